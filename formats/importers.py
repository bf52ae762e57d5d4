"""Registry of importers: format name -> function(root, **options) -> SourceDataset.

Importers read datasets from elsewhere and never write: every path they follow is checked to stay inside
the source root (``formats.untrusted.resolve_inside``), and every problem is a one-line AnnotationError
naming the file and the line or record. Image files the annotations name but which do not exist are not
errors: they are listed in ``SourceDataset.missing_images`` and their images left out.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path

from formats.import_coco import import_coco
from formats.import_kitti import import_kitti
from formats.import_native import import_native
from formats.import_yolo import import_yolo
from formats.records import SourceDataset
from formats.untrusted import AnnotationError, one_line
from scenes.plain_data import clip_text, short_repr

Importer = Callable[..., SourceDataset]

IMPORTERS: dict[str, Importer] = {
    "coco": import_coco,
    "yolo": import_yolo,
    "kitti": import_kitti,
    "native": import_native,
}


def import_dataset(format: str, root: str | Path, **options: object) -> SourceDataset:  # noqa: A002
    """Import the dataset of ``format`` (coco, yolo, kitti, native) under ``root`` with its options:

    - coco: ``annotations="annotations.json"`` (relative to root), ``images="."`` (the folder file_name
      is relative to, relative to root);
    - yolo: ``data="data.yaml"`` (relative to root);
    - kitti: none (root holds image_2/ and label_2/);
    - native: ``sensors=None`` (list of camera names; None: every camera).

    An unknown format or option, a root that is no folder, and every problem in the data raise a
    one-line AnnotationError.
    """
    importer = IMPORTERS.get(format)
    if importer is None:
        raise AnnotationError(f"unknown import format {short_repr(format)}; known: {', '.join(sorted(IMPORTERS))}")
    known = [p for p in inspect.signature(importer).parameters if p != "root"]
    for name in options:
        if name not in known:
            raise AnnotationError(
                f"import {format}: unknown option {short_repr(name)}; known: {', '.join(known) if known else 'none'}"
            )
    for name, value in options.items():
        if name != "sensors" and not isinstance(value, str):
            raise AnnotationError(f"import {format}: option {name} must be a path string, got {short_repr(value)}")
    root_path = Path(root).absolute()
    if not root_path.is_dir():
        raise AnnotationError(f"import {format}: {root_path} is not a folder")
    try:
        return importer(root_path, **options)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as exc:
        # a safety net for a shape the checks did not foresee: still one line, never a traceback
        raise AnnotationError(
            f"{format} import of {root_path}: malformed dataset ({type(exc).__name__}: {clip_text(one_line(exc))})"
        ) from None

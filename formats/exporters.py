"""Registry of exporters: name -> function(dataset_root) -> written path.

Exporters read datasets that may come from elsewhere: a malformed record (a missing key, a wrong type,
invalid JSON) becomes a one-line DatasetError naming the exporter and the problem, not a traceback.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from formats.coco import export_coco
from formats.kitti_object import export_kitti
from formats.kitti_tracking import export_kitti_tracking
from formats.mot import export_mot
from formats.native import DatasetError
from formats.ply import export_ply
from formats.yolo import export_yolo, export_yolo_seg

Exporter = Callable[[str | Path], Path]


def _one_line_errors(name: str, export: Exporter) -> Exporter:
    @functools.wraps(export)
    def wrapped(dataset_root: str | Path) -> Path:
        try:
            return export(dataset_root)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            raise DatasetError(
                f"{name} export of {dataset_root}: malformed dataset ({type(exc).__name__}: {exc})"
            ) from None

    return wrapped


EXPORTERS: dict[str, Exporter] = {
    name: _one_line_errors(name, fn)
    for name, fn in (
        ("coco", export_coco),
        ("mot", export_mot),
        ("kitti_tracking", export_kitti_tracking),
        ("kitti", export_kitti),
        ("ply", export_ply),
        ("yolo", export_yolo),
        ("yolo_seg", export_yolo_seg),
    )
}


def get_exporter(name: str) -> Exporter:
    """The exporter called ``name``; KeyError names the unknown format."""
    try:
        return EXPORTERS[name]
    except KeyError:
        raise KeyError(f"unknown export format {name!r}; known: {', '.join(sorted(EXPORTERS))}") from None

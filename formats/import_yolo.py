"""YOLO importer (ultralytics layout): a data.yaml naming classes and split folders of images, and a
label .txt per image found by swapping the last ``images`` path component for ``labels``.

Label rows, values normalized to [0, 1] by the image's width and height (1e-6 outside is tolerated and
clipped); a row whose box is empty once clipped (``0 .5 .5 0 0``: zero width or height) is left out and
counted (``SourceDataset.dropped_objects``), as ultralytics drops degenerate boxes when it trains rather
than refusing the dataset:
- detect:  ``cls cx cy w h``; bbox = the box in pixels (clipped to the image), no mask;
- segment: ``cls x1 y1 x2 y2 ...`` (>= 3 points); bbox = the polygon's bounds, mask = the polygon
  rasterized by pycocotools (pixel-edge convention, as ``record_writers.write_yolo`` writes it).

Split folders are relative to ``root`` (the yaml's ``path`` key is ignored: a source stays inside its
root); each image's group is its rel path and meta {"split": split}. An image without a label file has no
objects; a folder, FIFO or other non-file in the label file's (or an image's) place is an error (a FIFO
is never opened: reading it would block). A folder named again by a later
split (``val: images/train``, validating on train) is read once, for the first; an image reached
through two different folders is an error. A yaml naming none of train/val/test is an error.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from formats import _masks
from formats.records import OUTSIDE_IMAGE, ImageAnnotations, ObjectAnnotation, SourceDataset, clip_box
from formats.untrusted import (
    AnnotationError,
    image_size,
    load_yaml,
    parse_float,
    regular_file,
    resolve_inside,
    row_error,
    text_rows,
)
from scenes.plain_data import short_repr

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
SPLITS = ("train", "val", "test")
TOLERANCE = 1e-6


def import_yolo(root: Path, *, data: str = "data.yaml") -> SourceDataset:
    """Read a YOLO dataset under ``root``; ``data``: the yaml file, relative to ``root``."""
    yaml_path = resolve_inside(root, data, f"import yolo of {root}: option data")
    config = load_yaml(yaml_path)
    if not isinstance(config, dict):
        raise AnnotationError(f"{yaml_path}: expected a mapping with names and train/val/test")
    names = _names(config.get("names"), yaml_path)
    if all(config.get(split) is None for split in SPLITS):
        raise AnnotationError(f"{yaml_path}: names no split folder; expected at least one of train, val, test")
    images: list[ImageAnnotations] = []
    seen: dict[str, str] = {}
    read: set[Path] = set()
    dropped = 0  # empty boxes left out, over every label file
    for split in SPLITS:
        for folder in _folders(config.get(split), yaml_path, split):
            base = resolve_inside(root, folder, f"{yaml_path}: {split}")
            if not base.is_dir():
                raise AnnotationError(f"{yaml_path}: {split} folder {short_repr(folder)} not found under {root}")
            if base in read:
                continue  # e.g. "val: images/train" (validating on train): the images keep their first split
            read.add(base)
            for rel in _image_files(root, folder):
                if rel in seen:
                    raise AnnotationError(f"{yaml_path}: image {short_repr(rel)} is in both {seen[rel]} and {split}")
                seen[rel] = split
                image, empty = _image(root, rel, split, names)
                images.append(image)
                dropped += empty
    return SourceDataset(
        format="yolo",
        root=root,
        categories=[names[k] for k in sorted(names)],
        images=images,
        dropped_objects={OUTSIDE_IMAGE: dropped} if dropped else {},
    )


def _names(value: Any, yaml_path: Path) -> dict[int, str]:
    if isinstance(value, list):
        value = dict(enumerate(value))
    if not isinstance(value, dict) or not value:
        raise AnnotationError(f"{yaml_path}: names must be a non-empty list or a mapping of class id to name")
    names: dict[int, str] = {}
    for key, name in value.items():
        if isinstance(key, bool) or not isinstance(key, int) or key < 0 or not isinstance(name, (str, int, float)):
            raise AnnotationError(f"{yaml_path}: names entry {short_repr(key, 40)}: {short_repr(name, 40)}")
        names[key] = str(name)
    return names


def _folders(value: Any, yaml_path: Path, split: str) -> list[str]:
    if value is None:
        return []
    folders = value if isinstance(value, list) else [value]
    for folder in folders:
        if not isinstance(folder, str):
            raise AnnotationError(f"{yaml_path}: {split} must be a folder or a list of folders")
        if folder.endswith(".txt"):
            raise AnnotationError(
                f"{yaml_path}: {split} {short_repr(folder)}: image list files are not supported; name a folder"
            )
    return folders


def _image_files(root: Path, folder: str) -> list[str]:
    """Rel paths (POSIX, from ``root``) of the images under ``folder``, sorted; symlinked folders are not
    entered (a link to outside the root would otherwise be walked)."""
    found: list[str] = []
    base = root / folder
    for dirpath, dirs, files in os.walk(base, followlinks=False):
        dirs.sort()
        for name in files:
            if name.lower().endswith(IMAGE_SUFFIXES):
                found.append((Path(dirpath) / name).relative_to(root).as_posix())
    return sorted(found)


def label_rel(image_rel: str) -> str:
    """The label file of an image: the last ``images`` component becomes ``labels``, the suffix .txt."""
    parts = image_rel.split("/")
    for k in range(len(parts) - 2, -1, -1):
        if parts[k] == "images":
            parts[k] = "labels"
            break
    stem, _, _ = parts[-1].rpartition(".")
    parts[-1] = f"{stem}.txt"
    return "/".join(parts)


def _image(root: Path, rel: str, split: str, names: dict[int, str]) -> tuple[ImageAnnotations, int]:
    """One image with its labels, and how many of its rows were left out (empty boxes)."""
    path = resolve_inside(root, rel, f"{root}: image")
    regular_file(path, "image")  # listed by os.walk, so it exists: a FIFO named a.png is refused, not opened
    width, height = image_size(path)
    label_path = resolve_inside(root, label_rel(rel), f"{root}: label of {rel}")
    rows = _objects(label_path, width, height, names) if regular_file(label_path, f"label of {short_repr(rel)}") else []
    objects = [obj for obj in rows if obj is not None]
    image = ImageAnnotations(
        path=path,
        rel_path=rel,
        width=width,
        height=height,
        objects=objects,
        original_id=rel,
        group=rel,
        meta={"split": split},
    )
    return image, len(rows) - len(objects)


def _objects(label_path: Path, width: int, height: int, names: dict[int, str]) -> list[ObjectAnnotation | None]:
    """The rows' objects, None for a row whose box is empty (zero width or height once clipped)."""
    objects: list[ObjectAnnotation | None] = []
    for line, fields in text_rows(label_path):
        n = len(fields)
        if n != 5 and (n < 7 or n % 2 == 0):
            raise row_error(label_path, line, f"{n} fields; expected 'cls cx cy w h' or 'cls x1 y1 x2 y2 x3 y3 ...'")
        cls = parse_float(fields[0], label_path, line, "class")
        if cls != int(cls) or int(cls) not in names:
            raise row_error(label_path, line, f"class {fields[0]} is not in names (0..{max(names)})")
        values = np.array([parse_float(f, label_path, line, "coordinate") for f in fields[1:]])
        bad = np.flatnonzero((values < -TOLERANCE) | (values > 1 + TOLERANCE))
        if len(bad):
            raise row_error(label_path, line, f"coordinate {fields[1 + bad[0]]} is outside [0, 1]")
        values = np.clip(values, 0.0, 1.0)
        if n == 5:
            cx, cy, w, h = values * (width, height, width, height)
            bbox = clip_box((cx - w / 2, cy - h / 2, w, h), width, height)
            mask = None
        else:
            points = values.reshape(-1, 2) * (width, height)
            (x0, y0), (x1, y1) = points.min(0), points.max(0)
            bbox = clip_box((x0, y0, x1 - x0, y1 - y0), width, height)
            mask = _masks.rle_from_polygons([points.ravel().tolist()], height, width) if bbox else None
        objects.append(ObjectAnnotation(category=names[int(cls)], bbox=bbox, mask=mask) if bbox else None)
    return objects

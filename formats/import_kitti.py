"""KITTI object importer (object devkit layout): ``image_2/<stem>.png`` and ``label_2/<stem>.txt``.

Label rows have 15 fields (16 with a detection score):
``type truncated occluded alpha left top right bottom height width length x y z rotation_y [score]``.
DontCare rows are skipped. The inverse of ``formats.kitti_object``'s conventions:
- category = the type as written (Car, Pedestrian, Misc, ...);
- bbox: left/top/right/bottom are continuous pixel edges, as the KITTI devkit and TrackEval compute areas
  ((right - left) * (bottom - top)), so [x, y, w, h] = [left, top, right - left, bottom - top] (our
  exporter writes right = x + w, bottom = y + h);
- truncation = truncated (float 0..1; 1e-6 outside is clipped, more is an error), occlusion = occluded
  (an integer 0..3, else an error);
- extra: alpha (rad), dimensions [height, width, length] (m), location [x, y, z] (bottom centre, camera
  frame, m), rotation_y (rad), and score when present.

Boxes are clipped to the image; one wholly outside it or empty once clipped is left out and counted
(``SourceDataset.dropped_objects``); a box whose corner or area overflows is an error. An image without a
label file has no objects (KITTI's testing split); a label file without an image is listed in
missing_images; a folder or FIFO in the place of either is an error.
"""

from __future__ import annotations

from pathlib import Path

from formats.import_yolo import IMAGE_SUFFIXES
from formats.records import OUTSIDE_IMAGE, ImageAnnotations, ObjectAnnotation, SourceDataset
from formats.untrusted import (
    AnnotationError,
    image_box,
    image_size,
    parse_float,
    regular_file,
    resolve_inside,
    row_error,
    text_rows,
)
from scenes.plain_data import short_repr

IMAGE_DIR, LABEL_DIR = "image_2", "label_2"
TOLERANCE = 1e-6  # truncated this far outside [0, 1] is rounding, and clipped


def import_kitti(root: Path) -> SourceDataset:
    """Read a KITTI object dataset under ``root`` (the folder holding image_2/ and label_2/)."""
    image_files = _listing(root, IMAGE_DIR, None)
    stems = {p.stem for p in image_files if p.suffix == ".png"} | {p.stem for p in _listing(root, LABEL_DIR, ".txt")}
    # images KITTI's layout does not name (000001.jpg, 000001.PNG): an error, not a "missing" image
    other_images = {p.stem: p for p in sorted(image_files) if p.suffix != ".png" and p.suffix.lower() in IMAGE_SUFFIXES}
    images: list[ImageAnnotations] = []
    missing: list[str] = []
    categories: dict[str, None] = {}
    outside = 0
    for stem in sorted(stems):
        rel = f"{IMAGE_DIR}/{stem}.png"
        path = resolve_inside(root, rel, f"{root}: image")
        if not regular_file(path, "image"):
            if stem in other_images:
                raise AnnotationError(
                    f"{other_images[stem]}: KITTI images are read as {IMAGE_DIR}/<stem>.png; "
                    f"there is no {rel} (convert the images to PNG)"
                )
            missing.append(rel)
            continue
        width, height = image_size(path)
        label_path = resolve_inside(root, f"{LABEL_DIR}/{stem}.txt", f"{root}: label of {rel}")
        rows = _objects(label_path, width, height) if regular_file(label_path, f"label of {short_repr(rel)}") else []
        objects = [o for o in rows if o is not None]
        outside += len(rows) - len(objects)
        categories.update((o.category, None) for o in objects)
        images.append(ImageAnnotations(path, rel, width, height, objects, original_id=stem, group=stem))
    return SourceDataset(
        format="kitti",
        root=root,
        categories=list(categories),
        images=images,
        missing_images=missing,
        dropped_objects={OUTSIDE_IMAGE: outside} if outside else {},
    )


def _listing(root: Path, folder: str, suffix: str | None) -> list[Path]:
    """The files in ``root/folder`` ending in ``suffix`` (None: all)."""
    base = resolve_inside(root, folder, f"{root}: folder")
    return [p for p in base.iterdir() if suffix is None or p.suffix == suffix] if base.is_dir() else []


def _objects(label_path: Path, width: int, height: int) -> list[ObjectAnnotation | None]:
    """The rows' objects (DontCare skipped), boxes clipped to the image; None for a box wholly outside it
    or empty once clipped."""
    objects: list[ObjectAnnotation | None] = []
    for line, fields in text_rows(label_path):
        if len(fields) not in (15, 16):
            raise row_error(label_path, line, f"{len(fields)} fields; a KITTI object row has 15 (16 with a score)")
        if fields[0] == "DontCare":
            continue
        names = ["truncated", "occluded", "alpha", "left", "top", "right", "bottom"]
        names += ["height", "width", "length", "x", "y", "z", "rotation_y", "score"]
        # zip stops at the row's end: "score" only when the row has 16 fields
        v = {name: parse_float(f, label_path, line, name) for name, f in zip(names, fields[1:], strict=False)}
        if v["occluded"] not in (0, 1, 2, 3):
            raise row_error(label_path, line, f"occluded {fields[2]} is not an integer 0..3")
        if not -TOLERANCE <= v["truncated"] <= 1 + TOLERANCE:
            raise row_error(label_path, line, f"truncated {fields[1]} is outside [0, 1]")
        w, h = v["right"] - v["left"], v["bottom"] - v["top"]
        if w < 0 or h < 0:
            raise row_error(label_path, line, "right < left or bottom < top")
        bbox = image_box([v["left"], v["top"], w, h], width, height, f"{label_path}:{line}: box [left, top, w, h]")
        if bbox is None:
            objects.append(None)
            continue
        extra = {
            "alpha": v["alpha"],
            "dimensions": [v["height"], v["width"], v["length"]],
            "location": [v["x"], v["y"], v["z"]],
            "rotation_y": v["rotation_y"],
        }
        if "score" in v:
            extra["score"] = v["score"]
        objects.append(
            ObjectAnnotation(
                category=fields[0],
                bbox=bbox,
                truncation=min(max(v["truncated"], 0.0), 1.0),
                occlusion=int(v["occluded"]),
                extra=extra,
            )
        )
    return objects

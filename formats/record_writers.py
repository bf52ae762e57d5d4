"""Writers of format-neutral records (``formats.records``) to COCO and YOLO label files (YOLO detect,
segment and pose). They write labels only: placing the image files at ``OutputImage.file_name`` is the
caller's job (hard links for a native export, copies for a mix). Every file is written atomically.

An object without a mask gets its box as its shape: in COCO a 4-corner polygon segmentation
``[[x, y, x + w, y, x + w, y + h, x, y + h]]`` (clipped to the image; COCOeval "segm" needs a shape for
every annotation), in YOLO segment rows the same 4 corners moved ``_masks.INSET_PX`` inside (as mask
polygons are, see ``yolo_rows``). YOLO rows are clipped to the image: a box's
corners are clipped first (a box wholly outside is left out), then turned into centre and size.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from formats import _masks, atomic
from formats.import_yolo import label_rel
from formats.records import ImageAnnotations, ObjectAnnotation, clip_box
from scenes.skeleton import COCO_FLIP_INDEX, COCO_KEYPOINTS, COCO_SKELETON

YOLO_SPLITS = ("train", "val", "test")
TASKS = ("detect", "segment", "pose")


@dataclass
class OutputImage:
    """One image of an output dataset.

    Attributes:
        file_name: the image's path relative to the output root, POSIX, ``images/<split>/...``.
        split: train, val or test.
        image: its annotations; ``objects[].category`` are already names in the writer's ``classes``.
        fields: extra image keys for COCO (provenance, e.g. source, original_id); YOLO ignores them.
    """

    file_name: str
    split: str
    image: ImageAnnotations
    fields: dict[str, Any] = field(default_factory=dict)


def _check(entries: Sequence[OutputImage], classes: Sequence[str]) -> dict[str, int]:
    index = {name: k for k, name in enumerate(classes)}
    if len(index) != len(classes):
        raise ValueError(f"duplicate class names in {list(classes)}")
    names: set[str] = set()
    for entry in entries:
        if not entry.file_name.startswith(f"images/{entry.split}/") or ".." in entry.file_name.split("/"):
            raise ValueError(f"output file_name {entry.file_name!r} must start with 'images/{entry.split}/'")
        if entry.file_name in names:
            raise ValueError(f"output file_name {entry.file_name!r} appears twice")
        names.add(entry.file_name)
        for obj in entry.image.objects:
            if obj.category not in index:
                raise ValueError(f"{entry.file_name}: category {obj.category!r} is not one of the classes")
    return index


def write_coco(path: str | Path, entries: Sequence[OutputImage], classes: Sequence[str]) -> Path:
    """One COCO JSON of ``entries``: categories id = index + 1 in ``classes``; images id = 1, 2, ... in
    order, with file_name, width, height, split and the entry's ``fields`` (which never replace those);
    annotations with bbox [x, y, w, h] (pixels), RLE segmentation when the object has a mask (else the
    box's 4 corners as a polygon, clipped to the image), area = mask pixel count (else w * h), iscrowd,
    and visibility/truncation/occlusion/track_id when known; people's ``keypoints`` and ``num_keypoints``
    where the object has keypoints, their categories with COCO's keypoint names and skeleton
    (:func:`keypoint_categories`).
    """
    index = _check(entries, classes)
    images, annotations = [], []
    for image_id, entry in enumerate(entries, start=1):
        im = entry.image
        record = {"id": image_id, "file_name": entry.file_name, "width": im.width, "height": im.height}
        record["split"] = entry.split
        record.update({k: v for k, v in entry.fields.items() if k not in record})
        images.append(record)
        for obj in im.objects:
            ann: dict[str, Any] = {
                "id": len(annotations) + 1,
                "image_id": image_id,
                "category_id": index[obj.category] + 1,
                "bbox": [float(v) for v in obj.bbox],
                "segmentation": (
                    dict(obj.mask) if obj.mask is not None else _box_segmentation(obj.bbox, im.width, im.height)
                ),
                "area": _masks.area(obj.mask) if obj.mask is not None else float(obj.bbox[2] * obj.bbox[3]),
                "iscrowd": int(obj.iscrowd),
            }
            for key in ("visibility", "truncation", "occlusion", "track_id"):
                if getattr(obj, key) is not None:
                    ann[key] = getattr(obj, key)
            if obj.keypoints is not None:
                ann["keypoints"] = list(obj.keypoints)
                ann["num_keypoints"] = sum(v > 0 for v in obj.keypoints[2::3])
            annotations.append(ann)
    categories = [{"id": k + 1, "name": name} for k, name in enumerate(classes)]
    coco = {
        "info": {"description": "written by synthsense"},
        "licenses": [],
        "categories": keypoint_categories(categories, annotations),
        "images": images,
        "annotations": annotations,
    }
    path = Path(path)
    atomic.write_json(path, coco, indent=None)
    return path


def keypoint_categories(categories: list[dict[str, Any]], annotations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The categories, those with keypoints in some annotation given COCO's keypoint names and skeleton;
    their annotations without keypoints get 51 zeros and ``num_keypoints`` 0, as COCO writes a person whose
    keypoints nobody labelled, so COCOeval's keypoint evaluation reads every one. The same list when
    none has."""
    with_keypoints = {a["category_id"] for a in annotations if "keypoints" in a}
    if not with_keypoints:
        return categories
    for ann in annotations:
        if ann["category_id"] in with_keypoints and "keypoints" not in ann:
            ann["keypoints"], ann["num_keypoints"] = [0] * (3 * len(COCO_KEYPOINTS)), 0
    keypoint_fields = {"keypoints": list(COCO_KEYPOINTS), "skeleton": [list(pair) for pair in COCO_SKELETON]}
    return [{**c, **keypoint_fields} if c["id"] in with_keypoints else c for c in categories]


def yolo_rows(image: ImageAnnotations, index: dict[str, int], task: str) -> str:
    """The label text of one image: a row per object, values normalized by the image size.

    Crowd regions are left out (YOLO has no crowd flag) and so are empty boxes. ``detect`` rows are the
    box clipped to the image (its corners clipped, then centre and size; nothing left: no row), 6 decimals.
    ``segment`` rows carry the polygon ultralytics reads back as the mask
    (``_masks.polygon_from_mask(mask, inset_px=_masks.INSET_PX)``), or the clipped box's 4 corners moved
    as far inside when the object has no mask (or an empty one), with ``_masks.yolo_decimals`` decimals
    (6 for images up to 7,812 pixels wide and high).

    ``pose`` rows are ``cls cx cy w h x1 y1 v1 ... x17 y17 v17``: the detect row's box, then the object's
    keypoints as ultralytics' own COCO converter writes them (``ultralytics/data/converter.py``
    ``convert_coco(use_keypoints=True)``: x / width, y / height, v kept, so COCO's pixel-index
    coordinates stay pixel indices), clipped to [0, 1] (a keypoint in the first row or column may lie up
    to half a pixel before 0, which ultralytics' label check refuses beyond -0.01) with the segment rows'
    decimals; v is 0 (then x = y = 0), 1 or 2. Objects without keypoints, or without one of v > 0
    (the converter skips those: COCO's keypoint evaluation ignores them), get no row.
    """
    scale = np.array([image.width, image.height], dtype=np.float64)
    decimals = 6 if task == "detect" else _masks.yolo_decimals(image.width, image.height)
    lines = []
    for obj in image.objects:
        x, y, w, h = obj.bbox
        if obj.iscrowd or w <= 0 or h <= 0 or (task == "pose" and not has_pose(obj)):
            continue
        clipped = clip_box(obj.bbox, image.width, image.height)
        if task in ("detect", "pose"):
            if clipped is None:
                continue
            x, y, w, h = clipped
            values = np.array([x + w / 2, y + h / 2, w, h]) / np.tile(scale, 2)
            if task == "pose":
                lines.append(_pose_row(index[obj.category], values, obj.keypoints, scale, decimals))
                continue
        else:
            polygon = np.zeros((0, 2))
            if obj.mask is not None:
                polygon = _masks.polygon_from_mask(_masks.decode(obj.mask), inset_px=_masks.INSET_PX)
            if len(polygon) < 3:
                if clipped is None:
                    continue
                polygon = _masks.box_polygon(clipped, inset_px=_masks.INSET_PX)
            values = (polygon / scale).ravel()
        values = np.clip(values, 0.0, 1.0) + 0.0  # + 0.0: no "-0.000000"
        lines.append(" ".join([str(index[obj.category]), *(f"{v:.{decimals}f}" for v in values)]) + "\n")
    return "".join(lines)


def has_pose(obj: ObjectAnnotation) -> bool:
    """Whether an object gets a YOLO pose row: it has keypoints, one of them labelled (v > 0)."""
    return obj.keypoints is not None and any(v > 0 for v in obj.keypoints[2::3])


def _pose_row(cls: int, box: np.ndarray, keypoints: list[float], scale: np.ndarray, decimals: int) -> str:
    """One pose row (see :func:`yolo_rows`): ``box`` the normalized cx cy w h, ``keypoints`` COCO's flat list."""
    points = np.asarray(keypoints, np.float64).reshape(-1, 3)
    xy = np.clip(points[:, :2] / scale, 0.0, 1.0) + 0.0  # + 0.0: no "-0.000000"
    fields = [f"{v:.6f}" for v in np.clip(box, 0.0, 1.0) + 0.0]
    for (x, y), v in zip(xy, points[:, 2].astype(int), strict=True):
        fields += [f"{x:.{decimals}f}", f"{y:.{decimals}f}", str(v)]
    return " ".join([str(cls), *fields]) + "\n"


def _box_segmentation(bbox: tuple[float, float, float, float], width: int, height: int) -> list[list[float]]:
    """The COCO polygon of an object without a mask: its box's 4 corners, clipped to the image."""
    corners = np.clip(_masks.box_polygon(bbox), 0.0, (width, height)) + 0.0
    return [[float(v) for v in corners.ravel()]]


def data_yaml(splits: Sequence[str], classes: Sequence[str], pose: bool = False) -> str:
    """data.yaml text: split folders relative to the yaml (no ``path`` key, so ultralytics takes the
    yaml's folder) and names as {id: name}; names are JSON strings, which YAML reads as they are.
    ``pose``: also ``kpt_shape: [17, 3]``, ``flip_idx`` (``scenes.skeleton.COCO_FLIP_INDEX``) and
    ``kpt_names`` (every class's ``COCO_KEYPOINTS``), as ultralytics' coco-pose.yaml has them.

    ``splits``: the splits that have images; train is required (ValueError). train and val are always
    written (ultralytics requires both): without val images, val is the train folder, with a comment.
    """
    if "train" not in splits:
        raise ValueError(f"a YOLO dataset needs train images; the splits with images are {list(splits)}")
    lines = ["# written by synthsense\n"]
    for split in ["train", "val", *(s for s in splits if s not in ("train", "val"))]:
        if split in splits:
            lines.append(f"{split}: images/{split}\n")
        else:  # ultralytics requires val
            lines.append(f"{split}: images/train  # no {split} images in this dataset: validating on train\n")
    lines += [f"nc: {len(classes)}\n", "names:\n"]
    lines += [f"  {k}: {json.dumps(name)}\n" for k, name in enumerate(classes)]
    if pose:
        lines += [f"kpt_shape: [{len(COCO_KEYPOINTS)}, 3]\n", f"flip_idx: {json.dumps(list(COCO_FLIP_INDEX))}\n"]
        lines += ["kpt_names:\n", *(f"  {k}: {json.dumps(list(COCO_KEYPOINTS))}\n" for k in range(len(classes)))]
    return "".join(lines)


def write_yolo(
    root: str | Path,
    entries: Sequence[OutputImage],
    classes: Sequence[str],
    task: str = "detect",
    durable: bool = True,
) -> list[Path]:
    """Labels of ``entries`` at ``root/labels/<split>/<stem>.txt`` (ultralytics finds them by swapping
    ``images`` for ``labels``; an image without objects gets an empty file) and ``root/data.yaml``.
    ``task``: "detect" (cls cx cy w h), "segment" (cls x1 y1 ...) or "pose" (cls cx cy w h x1 y1 v1 ...;
    objects without labelled keypoints get no row, :func:`yolo_rows`). Returns the written paths.

    ``durable=False`` writes the label files plainly, without a temporary name and fsync each: for a
    fresh staging folder that the caller syncs once and renames into place (one fsync per small label
    file was two thirds of a 100k-box mix's time).
    """
    if task not in TASKS:
        raise ValueError(f"YOLO task must be one of {TASKS}, got {task!r}")
    index = _check(entries, classes)
    present = {e.split for e in entries}
    splits = [s for s in YOLO_SPLITS if s in present] + sorted(present - set(YOLO_SPLITS))
    # before any label is written: it refuses a dataset without train
    yaml_text = data_yaml(splits, classes, pose=task == "pose")
    root = Path(root)
    written: list[Path] = []
    for entry in entries:
        path = root / label_rel(entry.file_name)
        if durable:
            atomic.write_text(path, yolo_rows(entry.image, index, task))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic.naming(path):
                path.write_text(yolo_rows(entry.image, index, task), encoding="utf-8")
        written.append(path)
    atomic.write_text(root / "data.yaml", yaml_text)
    written.append(root / "data.yaml")
    return written

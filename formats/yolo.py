"""YOLO exports of a native dataset (ultralytics layout), detection and segmentation:

    <dataset>/exports/yolo/data.yaml                        train/val/test folders, names {id: name}
    <dataset>/exports/yolo/images/<split>/<scene>_<frame:06d>_<camera>.png   hard links to the rgb PNGs
    <dataset>/exports/yolo/labels/<split>/<scene>_<frame:06d>_<camera>.txt   cls cx cy w h (normalized)

``yolo_seg`` writes the same under exports/yolo_seg with rows ``cls x1 y1 ...``: the polygon ultralytics
rasterizes back to the visible mask (``formats._masks.polygon_from_mask(mask, inset_px=INSET_PX)``).

``yolo_pose`` writes the same under exports/yolo_pose with rows ``cls cx cy w h x1 y1 v1 ... x17 y17 v17``
(``record_writers.yolo_rows``: ultralytics' own COCO-to-YOLO keypoint rule) and a data.yaml with
``kpt_shape: [17, 3]``, ``flip_idx`` and ``kpt_names``. Its classes are the pose classes: the categories
of the people with labelled keypoints (``pedestrian``, ``cyclist``: every articulated person, one of its
keypoints in the image); other objects get no row (a pose model's every row holds keypoints), and an
image without a person has an empty label file (a background image for ultralytics). A dataset without
any is refused (DatasetError): it has no pose class.

The records come from the native importer (visible objects, visible boxes and masks) and the label files
from ``formats.record_writers``: one conversion path for exports and mixes. Splits are per scene
(``formats.splits.assign_splits``, train/val/test 0.8/0.1/0.1, seed 0, scenes weighted by their images),
so a sequence never crosses splits. Classes are dataset.json's categories in id order, only those with
at least one exported object.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import replace
from pathlib import Path

from formats._files import export_dir, place_image, remove_stale
from formats.import_native import import_native
from formats.native import DatasetError, FrameKey, NativeDataset
from formats.record_writers import OutputImage, has_pose, write_yolo
from formats.splits import assign_splits

SPLIT_RATIOS = {"train": 0.8, "val": 0.1, "test": 0.1}
SPLIT_SEED = 0
LAYOUT = ("data.yaml", "images/*/*.png", "labels/*/*.txt")


def _export(dataset_root: str | Path, subdir: str, task: str, skip: Collection[FrameKey]) -> Path:
    dataset = NativeDataset(dataset_root, skip)
    source = import_native(dataset.root, skip=dataset.skip)
    out = export_dir(dataset.root, subdir)
    splits = assign_splits(Counter(im.group for im in source.images), SPLIT_RATIOS, SPLIT_SEED)
    if task == "pose":  # only the people with labelled keypoints (see the module docstring)
        source.images = [replace(im, objects=[o for o in im.objects if has_pose(o)]) for im in source.images]
    used = {obj.category for im in source.images for obj in im.objects}
    if task == "pose" and not used:
        raise DatasetError(f"yolo_pose export of {dataset.root}: no person with keypoints in the image (no pose class)")
    classes = [c["name"] for c in sorted(dataset.categories, key=lambda c: c["id"]) if c["name"] in used]
    entries = []
    for im in source.images:
        split = splits[im.group]
        name = f"{im.meta['scene_id']}_{int(im.meta['frame']):06d}_{im.meta['sensor']}.png"
        entries.append(OutputImage(file_name=f"images/{split}/{name}", split=split, image=im))
    written = set(write_yolo(out, entries, classes, task=task))
    for entry in entries:
        place_image(dataset.root, entry.image.rel_path, out / entry.file_name)
        written.add(out / entry.file_name)
    remove_stale(out, written, LAYOUT)
    return out


def export_yolo(dataset_root: str | Path, skip: Collection[FrameKey] = ()) -> Path:
    """Write ``<dataset>/exports/yolo/`` (detection labels) and return that folder."""
    return _export(dataset_root, "exports/yolo", "detect", skip)


def export_yolo_seg(dataset_root: str | Path, skip: Collection[FrameKey] = ()) -> Path:
    """Write ``<dataset>/exports/yolo_seg/`` (segmentation polygons) and return that folder."""
    return _export(dataset_root, "exports/yolo_seg", "segment", skip)


def export_yolo_pose(dataset_root: str | Path, skip: Collection[FrameKey] = ()) -> Path:
    """Write ``<dataset>/exports/yolo_pose/`` (people's boxes and keypoints) and return that folder."""
    return _export(dataset_root, "exports/yolo_pose", "pose", skip)

"""COCO export of a native dataset: one annotations.json for every camera image.

Images: ``file_name`` relative to the dataset root, plus ``scene_id``, ``frame``, ``sensor``.
Annotations: RLE ``segmentation`` of the visible mask, ``area`` = its pixel count, ``bbox`` = visible
box [x, y, w, h], ``iscrowd`` 0, plus ``instance_id``, ``bbox_amodal``, ``visibility``, ``truncation``,
``occlusion``. Objects with no visible pixel are not exported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from formats import atomic
from formats.native import NativeDataset, sensor_file

EXPORT_SUBDIR = "exports/coco"


def build_coco(dataset: NativeDataset) -> dict[str, Any]:
    """The COCO dictionary of a native dataset (categories from dataset.json)."""
    images: list[dict] = []
    annotations: list[dict] = []
    for rec, labels in dataset.iter_labels():
        for sensor, calib in labels["sensors"].items():
            if calib["type"] != "camera":
                continue
            image_id = len(images) + 1
            images.append(
                {
                    "id": image_id,
                    "file_name": sensor_file(rec["scene_id"], rec["frame"], sensor, "rgb.png"),
                    "width": calib["width"],
                    "height": calib["height"],
                    "scene_id": rec["scene_id"],
                    "frame": rec["frame"],
                    "sensor": sensor,
                }
            )
            for obj in labels["objects"][sensor]:
                if obj["visible"]:
                    annotations.append(_annotation(len(annotations) + 1, image_id, obj))
    return {
        "info": {"description": "synthsense synthetic dataset", **_info(dataset)},
        "licenses": [],
        "categories": dataset.categories,
        "images": images,
        "annotations": annotations,
    }


def _info(dataset: NativeDataset) -> dict[str, Any]:
    return {"root_seed": dataset.meta.get("root_seed"), "format_version": dataset.meta.get("format_version")}


def _annotation(ann_id: int, image_id: int, obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": ann_id,
        "image_id": image_id,
        "category_id": obj["category_id"],
        "segmentation": obj["mask_rle"],
        "area": obj["visible_pixels"],
        "bbox": obj["bbox_visible"],
        "iscrowd": 0,
        "instance_id": obj["instance_id"],
        "bbox_amodal": obj["bbox_amodal"],
        "visibility": obj["visibility"],
        "truncation": obj["truncation"],
        "occlusion": obj["occlusion"],
    }


def export_coco(dataset_root: str | Path) -> Path:
    """Write ``<dataset>/exports/coco/annotations.json`` and return its path."""
    dataset = NativeDataset(dataset_root)
    out = dataset.root / EXPORT_SUBDIR / "annotations.json"
    atomic.write_json(out, build_coco(dataset), indent=None)
    return out

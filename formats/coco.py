"""COCO export of a native dataset: one annotations.json for every camera image.

Images: ``file_name`` relative to the dataset root, plus ``scene_id``, ``frame``, ``sensor``.
Annotations: RLE ``segmentation`` of the visible mask, ``area`` = its pixel count, ``bbox`` = visible
box [x, y, w, h], ``iscrowd`` 0, plus ``track_id`` (our instance id), ``bbox_amodal``, ``visibility``,
``truncation``, ``occlusion``. Objects with no visible pixel are not exported.

Extra keys stay clear of the names FiftyOne reserves on its ``Detection`` (``instance_id``, ``label``,
``bounding_box``, ``mask``, ``confidence``, ``index``, ``attributes``, ``tags``, ...): its COCO importer
turns every extra annotation key into a Detection attribute and refuses a reserved one, so the instance id
is written once, as ``track_id`` (ids are the track ids, DESIGN.md), not also as ``instance_id``.

Sequences, in the style of COCO-video / TAO: a top-level ``videos`` list with one entry per scene and
camera (``id``, ``name`` = the scene id, or ``<scene_id>-<camera>`` when a scene has several cameras,
``scene_id``, ``sensor``, ``width``, ``height``, ``fps`` in Hz, ``num_frames`` = its images here); each
image adds ``video_id`` and ``frame_index`` (0-based, = ``frame``); each annotation adds ``video_id`` and
``track_id`` (the same object keeps it over the whole video, also across an absence).

Keypoints (people with a skeleton, ``labels.keypoints``): their annotations add COCO's ``keypoints``
[x1, y1, v1, ..., x17, y17, v17] (``COCO_KEYPOINTS`` order; x, y the labels' (u, v) unchanged: COCO's
keypoint coordinates are pixel indices, the centre of pixel column j at x = j, as in labels.json; v the
labels' flag: 0 not in the image, written 0, 0, 0 as COCO writes an unlabelled keypoint, 1 hidden, 2
visible) and ``num_keypoints`` (how many v > 0). A category any exported annotation has keypoints in
gets COCO's ``keypoints`` names and ``skeleton`` (1-based pairs) in ``categories``, and each of its
annotations without keypoints (a person drawn rigid, in a dataset made before people had skeletons)
gets 51 zeros and ``num_keypoints`` 0, so COCOeval's keypoint evaluation reads every one. A dataset with
no articulated person exports exactly as before.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from formats import atomic
from formats._files import export_dir
from formats._sequences import iter_sequences, track_id
from formats.native import FrameKey, NativeDataset, sensor_file
from formats.record_writers import keypoint_categories
from formats.untrusted import coco_keypoints

EXPORT_SUBDIR = "exports/coco"


def build_coco(dataset: NativeDataset) -> dict[str, Any]:
    """The COCO dictionary of a native dataset (categories from dataset.json)."""
    videos: list[dict] = []
    images: list[dict] = []
    annotations: list[dict] = []
    # contiguous=False: COCO has no frame-numbered files, so a partly generated scene exports what it has
    for seq in iter_sequences(dataset, contiguous=False):
        video_id = len(videos) + 1
        videos.append(
            {
                "id": video_id,
                "name": seq.key,
                "scene_id": seq.scene_id,
                "sensor": seq.sensor,
                "width": seq.width,
                "height": seq.height,
                "fps": seq.fps,
                "num_frames": seq.num_frames,
            }
        )
        for labels in seq.labels:
            calib = labels["sensors"][seq.sensor]
            image_id = len(images) + 1
            image = {
                "id": image_id,
                "file_name": sensor_file(seq.scene_id, labels["frame"], seq.sensor, "rgb.png"),
                "width": calib["width"],
                "height": calib["height"],
                "scene_id": seq.scene_id,
                "frame": labels["frame"],
                "sensor": seq.sensor,
                "video_id": video_id,
                "frame_index": labels["frame"],
            }
            if "conditions" in labels:  # fog, night, ...: absent for clear_day, as in labels.json
                image["conditions"] = labels["conditions"]
            images.append(image)
            for obj in seq.objects(labels):
                if obj["visible"]:
                    annotations.append(_annotation(len(annotations) + 1, image_id, video_id, obj))
    return {
        "info": {"description": "synthsense synthetic dataset", **_info(dataset)},
        "licenses": [],
        "categories": keypoint_categories(dataset.categories, annotations),
        "videos": videos,
        "images": images,
        "annotations": annotations,
    }


def _info(dataset: NativeDataset) -> dict[str, Any]:
    return {"root_seed": dataset.meta.get("root_seed"), "format_version": dataset.meta.get("format_version")}


def _annotation(ann_id: int, image_id: int, video_id: int, obj: dict[str, Any]) -> dict[str, Any]:
    # Values are checked as they are copied: a dataset from elsewhere must not yield a COCO file that
    # loads but breaks training code later (a ValueError here becomes a one-line DatasetError).
    rle = obj["mask_rle"]
    ann = {
        "id": ann_id,
        "image_id": image_id,
        "video_id": video_id,
        "track_id": track_id(obj),
        "category_id": int(obj["category_id"]),
        "segmentation": {"size": [int(v) for v in rle["size"]], "counts": str(rle["counts"])},
        "area": int(obj["visible_pixels"]),
        "bbox": _box(obj["bbox_visible"]),
        "iscrowd": 0,
        "bbox_amodal": _box(obj["bbox_amodal"]),
        "visibility": float(obj["visibility"]),
        "truncation": float(obj["truncation"]),
        "occlusion": int(obj["occlusion"]),
    }
    if "keypoints" in obj:
        ann["keypoints"] = coco_keypoints(obj["keypoints"], f"object {track_id(obj)} keypoints")
        ann["num_keypoints"] = sum(v > 0 for v in ann["keypoints"][2::3])
    return ann


def _box(box: Any) -> list[int]:
    """A [x, y, w, h] box of four integers (pixels)."""
    if not isinstance(box, list) or len(box) != 4:
        raise ValueError(f"expected a box [x, y, w, h], got {box!r}")
    return [int(v) for v in box]


def export_coco(dataset_root: str | Path, skip: Collection[FrameKey] = ()) -> Path:
    """Write ``<dataset>/exports/coco/annotations.json`` and return its path."""
    dataset = NativeDataset(dataset_root, skip)
    out = export_dir(dataset.root, EXPORT_SUBDIR) / "annotations.json"
    atomic.write_json(out, build_coco(dataset), indent=None)
    return out

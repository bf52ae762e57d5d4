"""`synthsense validate DATASET`: check a native dataset against itself.

- manifest against files: every file a manifest line names exists and loads;
- file integrity: images decode with the calibrated size, arrays have their documented dtype and shape;
- label consistency: the ids in each instance map are exactly the visible objects of its labels, with
  their pixel counts; boxes lie inside the image;
- completeness: a frame whose files do not have their recorded sizes, and every scene failures.jsonl
  lists that is still incomplete.

Each problem is one line naming the file; the result is the list of problems (empty = valid).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from formats.failures import read_failures
from formats.native import DatasetError, NativeDataset, frame_dir, frame_is_complete, read_manifest
from scenes import DETECTION_DTYPE, POINT_DTYPE


def validate_dataset(root: str | Path) -> list[str]:
    """Problems found in the dataset at ``root`` (one line each)."""
    dataset = NativeDataset(root)
    problems: list[str] = []
    records = read_manifest(dataset.root)
    for rec in records:
        where = f"{rec['scene_id']}/{rec['frame']:06d}"
        for rel in [
            rec.get("labels", f"{frame_dir(rec['scene_id'], rec['frame'])}/labels.json"),
            *rec["files"].values(),
        ]:
            if not (dataset.root / rel).is_file():
                problems.append(f"{where}: missing file {rel}")
            elif rel in rec.get("bytes", {}) and (dataset.root / rel).stat().st_size != rec["bytes"][rel]:
                problems.append(f"{where}: {rel} is not the size it was written with (truncated or replaced)")
        try:
            labels = dataset.labels(rec["scene_id"], rec["frame"])
        except (OSError, json.JSONDecodeError) as exc:
            problems.append(f"{where}: unreadable labels.json ({exc})")
            continue
        for sensor, calib in labels["sensors"].items():
            try:
                problems += _check_sensor(dataset, rec, sensor, calib, labels["objects"][sensor])
            except (OSError, ValueError, KeyError) as exc:
                problems.append(f"{where}/{sensor}: unreadable ({type(exc).__name__}: {exc})")
    frames_per_scene = dataset.meta.get("config", {}).get("scene", {}).get("sequence", {}).get("num_frames", 1)
    for failure in read_failures(dataset.root):
        scene_records = [r for r in records if r["scene_id"] == failure["scene_id"]]
        if len(scene_records) < frames_per_scene or not all(frame_is_complete(dataset.root, r) for r in scene_records):
            problems.append(f"{failure['scene_id']}: failed in a run (failures.jsonl): {failure['error']}")
    return problems


def _check_sensor(dataset: NativeDataset, rec: dict, sensor: str, calib: dict, objects: list[dict]) -> list[str]:
    scene_id, frame = rec["scene_id"], rec["frame"]
    where = f"{scene_id}/{frame:06d}/{sensor}"
    if calib["type"] == "lidar":
        points = dataset.points(scene_id, frame, sensor)
        return [] if points.dtype == POINT_DTYPE else [f"{where}.points.npy: dtype is not POINT_DTYPE"]
    if calib["type"] == "radar":
        detections = dataset.detections(scene_id, frame, sensor)
        return [] if detections.dtype == DETECTION_DTYPE else [f"{where}.detections.npy: dtype is not DETECTION_DTYPE"]
    problems = []
    shape = (calib["height"], calib["width"])
    rgb = dataset.rgb(scene_id, frame, sensor)
    depth = dataset.depth(scene_id, frame, sensor)
    instance = dataset.instance(scene_id, frame, sensor)
    if rgb.shape != (*shape, 3) or rgb.dtype != np.uint8:
        problems.append(f"{where}.rgb.png: {rgb.dtype} {rgb.shape}, expected uint8 {(*shape, 3)}")
    if depth.shape != shape or depth.dtype != np.float32:
        problems.append(f"{where}.depth.npy: {depth.dtype} {depth.shape}, expected float32 {shape}")
    if instance.shape != shape:
        problems.append(f"{where}.instance.png: shape {instance.shape}, expected {shape}")
        return problems
    ids, counts = np.unique(instance[instance > 0], return_counts=True)
    in_map = dict(zip(ids.tolist(), counts.tolist(), strict=True))
    visible = {o["instance_id"]: o["visible_pixels"] for o in objects if o["visible"]}
    if in_map != visible:
        problems.append(f"{where}: instance map ids/pixel counts {in_map} differ from the labels' {visible}")
    for obj in objects:
        for key in ("bbox_visible", "bbox_amodal"):
            box = obj.get(key)
            if box is not None and not (
                0 <= box[0]
                and 0 <= box[1]
                and box[0] + box[2] <= shape[1]
                and box[1] + box[3] <= shape[0]
                and box[2] > 0
                and box[3] > 0
            ):
                problems.append(f"{where}: object {obj['instance_id']} {key} {box} is not inside the image")
    return problems


def validate_command(root: str) -> int:
    """Print the problems of a dataset; exit status 0 when there are none, 1 otherwise."""
    try:
        problems = validate_dataset(root)
    except DatasetError as exc:
        print(f"synthsense validate: error: {exc}")
        return 2
    for line in problems:
        print(line)
    frames = len(read_manifest(root))
    print(f"synthsense validate: {frames} frames checked, {len(problems)} problem(s)")
    return 1 if problems else 0

"""`synthsense validate DATASET`: check a native dataset against itself.

- manifest against files: every file a manifest line names exists and loads;
- file integrity: images decode with the calibrated size, arrays have their documented dtype and shape;
- label consistency: the ids in each instance map are exactly the visible objects of its labels, with
  their pixel counts; boxes lie inside the image;
- completeness: a frame whose files (its scene's scene.json included) do not have their recorded sizes
  and checksums, every malformed manifest line (by line number), and every scene failures.jsonl lists
  that is still incomplete.

Each problem is one line naming the file; the result is the list of problems (empty = valid). Every
file is read, so validating costs a full read of the dataset (checksums at about 1.7 GB/s).

``synthsense validate`` then recomputes the dataset's coverage.json and coverage.png
(``formats.coverage``) over every scene in it: after the last shard of a sharded run, the whole set's.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from formats.failures import read_failures
from formats.native import DatasetError, DigestMemo, FrameKey, NativeDataset, file_problems, scan_manifest
from formats.untrusted import one_line
from scenes import DETECTION_DTYPE, POINT_DTYPE

# what a damaged file or a dataset from elsewhere can raise while it is read and checked
_READ_ERRORS = (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError, DatasetError)


def validate_dataset(root: str | Path) -> list[str]:
    """Problems found in the dataset at ``root`` (one line each); DatasetError when it is not a dataset."""
    dataset = NativeDataset(root)
    manifest = scan_manifest(dataset.root)
    problems: list[str] = list(manifest.problems)  # malformed lines, by line number
    complete: set[FrameKey] = set()
    memo = DigestMemo()  # each scene.json is hashed once, not once per frame
    for rec in manifest.records:
        frame_problems = _check_frame(dataset, rec, memo)
        problems += frame_problems
        if not frame_problems:
            complete.add((rec["scene_id"], rec["frame"]))
    frames_per_scene = _frames_per_scene(dataset.meta)
    for failure in read_failures(dataset.root):
        scene_frames = [r["frame"] for r in manifest.records if r["scene_id"] == failure["scene_id"]]
        if len(scene_frames) < frames_per_scene or any((failure["scene_id"], f) not in complete for f in scene_frames):
            problems.append(f"{failure['scene_id']}: failed in a run (failures.jsonl): {failure['error']}")
    return problems


def _check_frame(dataset: NativeDataset, rec: dict, memo: DigestMemo | None = None) -> list[str]:
    """The problems of one frame: its files against the manifest (existence, size, checksum, scene.json
    included), then its labels against its sensor files."""
    where = f"{rec['scene_id']}/{rec['frame']:06d}"
    problems = [f"{where}: {p}" for p in file_problems(dataset.root, rec, memo=memo)]
    try:
        labels = dataset.labels(rec["scene_id"], rec["frame"])
        sensors, objects = labels["sensors"], labels["objects"]
        if not isinstance(sensors, dict) or not isinstance(objects, dict):
            raise TypeError("sensors and objects must be JSON objects")
    except _READ_ERRORS as exc:
        return [*problems, f"{where}: unreadable labels.json ({_reason(exc)})"]
    for sensor, calib in sensors.items():
        try:
            problems += _check_sensor(dataset, rec, sensor, calib, objects[sensor])
        except _READ_ERRORS as exc:
            problems.append(f"{where}/{sensor}: unreadable ({_reason(exc)})")
    return problems


def _reason(exc: BaseException) -> str:
    """A DatasetError's message (it names the file), other errors as ``Type: message``, on one line."""
    return one_line(exc) if isinstance(exc, DatasetError) else f"{type(exc).__name__}: {one_line(exc)}"


def _frames_per_scene(meta: dict) -> int:
    """``scene.sequence.num_frames`` of the resolved config in dataset.json (1 when absent or malformed)."""
    node: object = meta
    for key in ("config", "scene", "sequence", "num_frames"):
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, int) and not isinstance(node, bool) and node > 0 else 1


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
    """Print the problems of a dataset (stdout) and a summary; exit status 0 when there are none, 1
    otherwise, 2 (the error on stderr) when ``root`` is not a readable dataset."""
    try:
        problems = validate_dataset(root)
    except DatasetError as exc:
        print(f"synthsense validate: error: {exc}", file=sys.stderr)
        return 2
    for line in problems:
        print(line)
    frames = len(scan_manifest(root).records)
    print(f"synthsense validate: {frames} frames checked, {len(problems)} problem(s)")
    _coverage(root)
    return 1 if problems else 0


def _coverage(root: str) -> None:
    """Write the dataset's coverage and print one line saying so; a dataset that cannot be written to
    (read-only) gets a note on stderr instead: validating it has still been done."""
    from formats.coverage import write_coverage

    try:
        result = write_coverage(root)
    except OSError as exc:
        print(f"synthsense validate: coverage not written: {one_line(exc)}", file=sys.stderr)
        return
    print(f"synthsense validate: {result.line()}")

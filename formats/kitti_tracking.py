"""KITTI tracking export of a native dataset, in the tracking devkit's layout and field order.

    <dataset>/exports/kitti_tracking/image_02/<seq>/%06d.png   frames 0-based; hard links to the rgb PNGs
    <dataset>/exports/kitti_tracking/label_02/<seq>.txt         one line per object and frame
    <dataset>/exports/kitti_tracking/calib/<seq>.txt            P0..P3, R_rect, Tr_velo_cam, Tr_imu_velo
    <dataset>/exports/kitti_tracking/sequences.txt              "<seq> <scene_id> <camera>" per sequence

``<seq>`` is the 4-digit index of the sequence (0000, 0001, ...): scenes in id order, and one sequence
per camera when a scene has several. Our camera plays KITTI's left colour camera (image_02, P2).

Label lines (17 space-separated fields, the tracking devkit's order), for every object whose amodal box
is not null (it reaches the image), sorted by frame then track id:

    frame track_id type truncated occluded alpha left top right bottom height width length x y z rotation_y

- ``frame``: 0-based, our frame. ``track_id``: the track id (= instance id, stable over the sequence).
- ``type``: car -> Car, truck -> Truck, pedestrian -> Pedestrian, cyclist -> Cyclist, any other category
  (bus, traffic_cone, barrier, tabletop objects) -> Misc.
- ``truncated``: the tracking devkit's integer level (unlike the object benchmark's float), as in KITTI's
  raw tracklets: 0 in the image (our truncation 0), 1 truncated (0 < truncation < 1), 2 out of the image
  (truncation 1). The devkit's evaluator parses it with int(), so a float would be read as 0.
- ``occluded``: our occlusion level: 0 visibility >= 0.9, 1 >= 0.5, 2 > 0, 3 no visible pixel (KITTI's
  "unknown"; the devkit's evaluator ignores such ground truth, as it should for a fully hidden object).
- ``alpha``: observation angle in [-pi, pi): rotation_y - arctan2(x, z) of the location (see :func:`alpha`).
- ``left top right bottom``: the amodal box as 0-based pixel indices of its first and last column/row:
  left = x, top = y, right = x + w - 1, bottom = y + h - 1 for our [x, y, w, h].
- ``height width length``: the 3D box size in metres (our size_m is [length, width, height]).
- ``x y z``: bottom centre of the 3D box in the camera frame (OpenCV = KITTI camera: x right, y down,
  z forward), metres.
- ``rotation_y``: rotation about the camera's y axis in [-pi, pi], 0 when the object's forward axis is
  the camera's +x (our ``box3d_camera.rotation_y``).

Calibration: our images are already undistorted and there is no second camera, LiDAR or IMU in this
export, so P0..P3 = K [I | 0], R_rect = I and Tr_velo_cam = Tr_imu_velo = [I | 0].
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from formats import atomic
from formats._files import export_dir, place_image, remove_stale
from formats._kitti import alpha, box_fields, calib_line, kitti_type, number, projection
from formats._sequences import Sequence, iter_sequences, track_id
from formats.native import DatasetError, NativeDataset, sensor_file

__all__ = ["alpha", "calib_text", "export_kitti_tracking", "kitti_type", "label_line", "truncation_level"]

EXPORT_SUBDIR = "exports/kitti_tracking"
# what this exporter writes, relative to EXPORT_SUBDIR: only such files are ever removed as stale
LAYOUT = (
    "label_02/[0-9][0-9][0-9][0-9].txt",
    "calib/[0-9][0-9][0-9][0-9].txt",
    "image_02/[0-9]*/*.png",
    "sequences.txt",
)

# truncation within this of 0 or 1 counts as exactly 0 or 1 (it is a ratio of polygon areas)
_TRUNCATION_EPS = 1e-6


def truncation_level(truncation: float) -> int:
    """KITTI tracking truncation level (0 in image, 1 truncated, 2 out of image) of a share in [0, 1]."""
    if truncation <= _TRUNCATION_EPS:
        return 0
    if truncation >= 1.0 - _TRUNCATION_EPS:
        return 2
    return 1


def label_line(frame: int, obj: dict[str, Any]) -> str:
    """One label_02 line (no newline) of an object record whose ``bbox_amodal`` is not null."""
    head = [str(frame), str(track_id(obj)), kitti_type(obj["category"])]
    head += [str(truncation_level(obj["truncation"])), str(int(obj["occlusion"]))]
    return " ".join(head + [number(v) for v in box_fields(obj)])


def label_lines(seq: Sequence) -> list[str]:
    """The label_02 lines of a sequence, sorted by frame then track id."""
    rows = [
        (labels["frame"], track_id(obj), label_line(labels["frame"], obj))
        for labels in seq.labels
        for obj in seq.objects(labels)
        if obj["bbox_amodal"] is not None  # not in the image at all: no 2D box to write
    ]
    rows.sort(key=lambda r: (r[0], r[1]))
    return [line for _, _, line in rows]


def calib_text(seq: Sequence) -> str:
    """calib/<seq>.txt: the tracking devkit's keys ("P0:".."P3:" with a colon, the others without)."""
    K = np.asarray(seq.labels[0]["sensors"][seq.sensor]["K"], dtype=np.float64)
    for labels in seq.labels[1:]:
        if not np.array_equal(np.asarray(labels["sensors"][seq.sensor]["K"], dtype=np.float64), K):
            raise DatasetError(
                f"scene {seq.scene_id}, camera {seq.sensor}: K changes over the sequence; "
                "KITTI calibration holds one per sequence"
            )
    identity_3x4 = np.hstack([np.eye(3), np.zeros((3, 1))])
    rows = [(f"P{i}:", projection(K)) for i in range(4)]
    rows += [("R_rect", np.eye(3)), ("Tr_velo_cam", identity_3x4), ("Tr_imu_velo", identity_3x4)]
    return "".join(calib_line(key, matrix) for key, matrix in rows)


def export_kitti_tracking(dataset_root: str | Path) -> Path:
    """Write ``<dataset>/exports/kitti_tracking/`` (see the module docstring) and return that folder.

    Reruns give the same bytes; files of an earlier export that this one does not write are removed.
    """
    dataset = NativeDataset(dataset_root)
    out = export_dir(dataset.root, EXPORT_SUBDIR)
    written: set[Path] = set()
    index_lines: list[str] = []
    for index, seq in enumerate(iter_sequences(dataset)):
        name = f"{index:04d}"
        index_lines.append(f"{name} {seq.scene_id} {seq.sensor}\n")
        files = {
            out / "label_02" / f"{name}.txt": "".join(line + "\n" for line in label_lines(seq)),
            out / "calib" / f"{name}.txt": calib_text(seq),
        }
        for path, text in files.items():
            atomic.write_text(path, text)
            written.add(path)
        for labels in seq.labels:
            dst = out / "image_02" / name / f"{labels['frame']:06d}.png"
            place_image(dataset.root, sensor_file(seq.scene_id, labels["frame"], seq.sensor, "rgb.png"), dst)
            written.add(dst)
    atomic.write_text(out / "sequences.txt", "".join(index_lines))
    written.add(out / "sequences.txt")
    remove_stale(out, written, LAYOUT)
    return out

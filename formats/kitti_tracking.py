"""KITTI tracking export of a native dataset, in the tracking devkit's layout and field order.

    <dataset>/exports/kitti_tracking/image_02/<seq>/%06d.png   frames 0-based; hard links to the rgb PNGs
    <dataset>/exports/kitti_tracking/label_02/<seq>.txt         one line per object and frame
    <dataset>/exports/kitti_tracking/calib/<seq>.txt            P0..P3, R_rect, Tr_velo_cam, Tr_imu_velo
    <dataset>/exports/kitti_tracking/velodyne/<seq>/%06d.bin    the first LiDAR's returns (datasets with one)
    <dataset>/exports/kitti_tracking/sequences.txt              "<seq> <scene_id> <camera> <lidar or ->" per sequence

``<seq>`` is the 4-digit index of the sequence (0000, 0001, ...): scenes in id order, and one sequence
per camera when a scene has several. Our camera plays KITTI's left colour camera (image_02, P2).

Label lines (17 space-separated fields, the tracking devkit's order), for every object whose amodal box
is not null (it reaches the image), sorted by frame then track id:

    frame track_id type truncated occluded alpha left top right bottom height width length x y z rotation_y

- ``frame``: 0-based, our frame. ``track_id``: the track id (= instance id, stable over the sequence).
- ``type``: car -> Car, truck -> Truck, pedestrian -> Pedestrian, cyclist -> Cyclist, any other category
  (bus, traffic_cone, barrier, street furniture, tabletop objects) -> Misc.
- ``truncated``: the tracking devkit's integer level (unlike the object benchmark's float), as in KITTI's
  raw tracklets: 0 in the image (our truncation 0), 1 truncated (0 < truncation < 1), 2 out of the image
  (truncation 1). The devkit's evaluator parses it with int(), so a float would be read as 0.
- ``occluded``: our occlusion level: 0 visibility >= 0.9, 1 >= 0.5, 2 > 0, 3 no visible pixel (KITTI's
  "unknown"; the devkit's evaluator ignores such ground truth, as it should for a fully hidden object).
- ``alpha``: observation angle in [-pi, pi): rotation_y - arctan2(x, z) of the location (see :func:`alpha`).
- ``left top right bottom``: the amodal box's continuous pixel edges, as the devkit and TrackEval read
  them (area (right - left) * (bottom - top)): left = x, top = y, right = x + w, bottom = y + h for our
  [x, y, w, h].
- ``height width length``: the 3D box size in metres (our size_m is [length, width, height]).
- ``x y z``: bottom centre of the 3D box in the camera frame (OpenCV = KITTI camera: x right, y down,
  z forward), metres.
- ``rotation_y``: rotation about the camera's y axis in [-pi, pi], 0 when the object's forward axis is
  the camera's +x (our ``box3d_camera.rotation_y``).

Calibration (one file per sequence, as in the devkit): our images are already undistorted and there is
one camera, so P0..P3 = K [I | 0] and R_rect = I. With a LiDAR (the rig's first one plays the Velodyne):
Tr_velo_cam = camera_from_lidar = inverse(ego_from_camera) @ ego_from_lidar, the rig's fixed extrinsic
(both are mounted on the ego, so it is the same in every frame; a rig where it changes is refused), and
Tr_imu_velo = lidar_from_ego (our ego frame plays KITTI's IMU). Without a LiDAR both are [I | 0].

Velodyne files: as in the KITTI object export (float32 x, y, z, reflectance per valid return, in the LiDAR
frame at the point's own firing time as KITTI's raw scans, or at the frame time with ``deskew: true``).
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np

from formats import atomic
from formats._files import export_dir, place_image, remove_stale
from formats._kitti import alpha, box_fields, calib_line, kitti_type, number, projection, rigid_3x4, velodyne_bytes
from formats._sequences import Sequence, iter_sequences, track_id
from formats.native import DatasetError, FrameKey, NativeDataset, sensor_file
from formats.ply import read_points, sensor_names
from scenes.transforms import invert_pose

__all__ = ["alpha", "calib_text", "export_kitti_tracking", "kitti_type", "label_line", "truncation_level"]

EXPORT_SUBDIR = "exports/kitti_tracking"
# what this exporter writes, relative to EXPORT_SUBDIR: only such files are ever removed as stale
LAYOUT = (
    "label_02/[0-9][0-9][0-9][0-9].txt",
    "calib/[0-9][0-9][0-9][0-9].txt",
    "image_02/[0-9]*/*.png",
    "velodyne/[0-9]*/*.bin",
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


def calib_text(seq: Sequence, lidar: str | None = None) -> str:
    """calib/<seq>.txt: the tracking devkit's keys ("P0:".."P3:" with a colon, the others without);
    ``lidar``: the sensor playing the Velodyne (None: identity Tr_velo_cam and Tr_imu_velo)."""
    K = constant_over(seq, seq.sensor, "K", "KITTI calibration holds one per sequence")
    identity = np.eye(4)
    velo_to_cam = imu_to_velo = identity
    if lidar is not None:
        ego_from_camera = constant_over(seq, seq.sensor, "ego_from_sensor", "Tr_velo_cam must be fixed")
        ego_from_lidar = constant_over(seq, lidar, "ego_from_sensor", "Tr_velo_cam must be fixed")
        velo_to_cam = invert_pose(ego_from_camera) @ ego_from_lidar
        imu_to_velo = invert_pose(ego_from_lidar)
    rows = [(f"P{i}:", projection(K)) for i in range(4)]
    rows += [("R_rect", np.eye(3)), ("Tr_velo_cam", rigid_3x4(velo_to_cam)), ("Tr_imu_velo", rigid_3x4(imu_to_velo))]
    return "".join(calib_line(key, matrix) for key, matrix in rows)


def constant_over(seq: Sequence, sensor: str, key: str, why: str) -> np.ndarray:
    """The sensor's calibration entry ``key`` (K, ego_from_sensor), which must be equal in every frame."""
    value = np.asarray(seq.labels[0]["sensors"][sensor][key], dtype=np.float64)
    for labels in seq.labels[1:]:
        if not np.array_equal(np.asarray(labels["sensors"][sensor][key], dtype=np.float64), value):
            raise DatasetError(f"scene {seq.scene_id}, sensor {sensor}: {key} changes over the sequence; {why}")
    return value


def export_kitti_tracking(dataset_root: str | Path, skip: Collection[FrameKey] = ()) -> Path:
    """Write ``<dataset>/exports/kitti_tracking/`` (see the module docstring) and return that folder.

    Reruns give the same bytes; files of an earlier export that this one does not write are removed.
    """
    dataset = NativeDataset(dataset_root, skip)
    out = export_dir(dataset.root, EXPORT_SUBDIR)
    written: set[Path] = set()
    index_lines: list[str] = []
    for index, seq in enumerate(iter_sequences(dataset)):
        name = f"{index:04d}"
        lidars = sensor_names(seq.labels[0], "lidar")
        lidar = lidars[0] if lidars else None
        index_lines.append(f"{name} {seq.scene_id} {seq.sensor} {lidar or '-'}\n")
        files: dict[Path, str | bytes] = {
            out / "label_02" / f"{name}.txt": "".join(line + "\n" for line in label_lines(seq)),
            out / "calib" / f"{name}.txt": calib_text(seq, lidar),
        }
        if lidar is not None:
            for labels in seq.labels:
                points = read_points(dataset, seq.scene_id, labels["frame"], lidar)
                files[out / "velodyne" / name / f"{labels['frame']:06d}.bin"] = velodyne_bytes(points)
        for path, content in files.items():
            if isinstance(content, bytes):
                atomic.write_bytes(path, content)
            else:
                atomic.write_text(path, content)
            written.add(path)
        for labels in seq.labels:
            dst = out / "image_02" / name / f"{labels['frame']:06d}.png"
            place_image(dataset.root, sensor_file(seq.scene_id, labels["frame"], seq.sensor, "rgb.png"), dst)
            written.add(dst)
    atomic.write_text(out / "sequences.txt", "".join(index_lines))
    written.add(out / "sequences.txt")
    remove_stale(out, written, LAYOUT)
    return out

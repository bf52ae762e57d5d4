"""KITTI object (3D detection) export of a native dataset, in the object devkit's layout and conventions.

    <dataset>/exports/kitti/image_2/%06d.png    hard links to the first camera's rgb PNGs
    <dataset>/exports/kitti/label_2/%06d.txt    one line per object in the image
    <dataset>/exports/kitti/calib/%06d.txt      P0..P3, R0_rect, Tr_velo_to_cam, Tr_imu_to_velo
    <dataset>/exports/kitti/velodyne/%06d.bin   the first LiDAR's returns (only when the dataset has one)
    <dataset>/exports/kitti/samples.txt         "<index> <scene_id> <frame> <camera> <lidar or ->" per sample

One sample per completed (scene, frame), in manifest order (scene id, then frame), numbered 000000,
000001, ... Our first camera plays KITTI's left colour camera (image_2, P2); the first LiDAR plays the
Velodyne.

Label lines (15 space-separated fields, the object devkit's order), for every object of the camera whose
amodal box is not null (it reaches the image), in the labels' order:

    type truncated occluded alpha left top right bottom height width length x y z rotation_y

- ``type``: as in the KITTI tracking export (car -> Car, truck -> Truck, pedestrian -> Pedestrian,
  cyclist -> Cyclist, anything else -> Misc).
- ``truncated``: the object benchmark's float from 0 (in the image) to 1 (out of it): our truncation,
  the share of the projected 3D box outside the image.
- ``occluded``: our occlusion level, 0 fully visible .. 2 largely occluded, 3 no visible pixel (unknown).
- ``alpha``, ``left top right bottom``, ``height width length``, ``x y z`` (bottom centre in the
  rectified camera frame, metres), ``rotation_y``: as :func:`formats._kitti.box_fields` says.

Calibration (the object devkit's keys, each "key: " and the matrix row-major):

- ``P0:`` .. ``P3:`` = K [I | 0] (3x4): our images are undistorted and there is one camera.
- ``R0_rect:`` = I (3x3): our camera frame is already the rectified one.
- ``Tr_velo_to_cam:`` = camera_from_lidar (3x4) at the frame time (the sweep's start):
  inverse(world_from_camera) @ world_from_lidar. A point x of velodyne/ lands in the image at
  P2 @ R0_rect @ Tr_velo_to_cam @ x, as in the devkit.
- ``Tr_imu_to_velo:`` = lidar_from_ego (3x4): our ego frame plays KITTI's IMU.

Velodyne files: float32 little-endian x, y, z, reflectance (= our intensity in [0, 1]) per valid return,
x y z as in the dataset's points.npy: in the LiDAR frame at the point's own firing time (so with motion
skew on, a moving object's points are where it was when the beam hit it, as in KITTI's own scans), or at
the frame time when the LiDAR deskews (``deskew: true``).

A dataset without LiDAR gets no velodyne/ folder, and Tr_velo_to_cam = Tr_imu_to_velo = [I | 0].
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np

from formats import atomic
from formats._files import export_dir, place_image, remove_stale
from formats._kitti import box_fields, calib_line, kitti_type, number, projection, rigid_3x4, velodyne_bytes
from formats.native import DatasetError, FrameKey, NativeDataset, sensor_file
from formats.ply import pose_between, read_points, sensor_names
from scenes.transforms import invert_pose

EXPORT_SUBDIR = "exports/kitti"
# what this exporter writes, relative to EXPORT_SUBDIR: only such files are ever removed as stale
LAYOUT = (
    "image_2/[0-9]*.png",
    "label_2/[0-9]*.txt",
    "calib/[0-9]*.txt",
    "velodyne/[0-9]*.bin",
    "samples.txt",
)


def label_line(obj: dict[str, Any]) -> str:
    """One label_2 line (no newline) of a camera object record whose ``bbox_amodal`` is not null."""
    truncated = float(np.clip(float(obj["truncation"]), 0.0, 1.0))
    head = [kitti_type(obj["category"]), number(truncated), str(int(obj["occlusion"]))]
    return " ".join(head + [number(v) for v in box_fields(obj)])


def label_text(objects: list[dict[str, Any]]) -> str:
    """label_2/<index>.txt of a camera's object records: the objects that reach the image."""
    return "".join(label_line(obj) + "\n" for obj in objects if obj["bbox_amodal"] is not None)


def calib_text(labels: dict[str, Any], camera: str, lidar: str | None) -> str:
    """calib/<index>.txt of a frame (see the module docstring); ``lidar`` None: identity Tr_* rows."""
    sensors = labels["sensors"]
    P = projection(sensors[camera]["K"])
    if lidar is None:
        velo_to_cam = imu_to_velo = np.eye(4)
    else:
        velo_to_cam = pose_between(labels, camera, lidar)
        imu_to_velo = invert_pose(np.asarray(sensors[lidar]["ego_from_sensor"], dtype=np.float64))
    rows = [(f"P{i}:", P) for i in range(4)]
    rows += [("R0_rect:", np.eye(3)), ("Tr_velo_to_cam:", rigid_3x4(velo_to_cam))]
    rows += [("Tr_imu_to_velo:", rigid_3x4(imu_to_velo))]
    return "".join(calib_line(key, matrix) for key, matrix in rows)


def export_kitti(dataset_root: str | Path, skip: Collection[FrameKey] = ()) -> Path:
    """Write ``<dataset>/exports/kitti/`` (see the module docstring) and return that folder.

    Every frame needs a camera; a frame without one raises DatasetError. Reruns give the same bytes;
    files of an earlier export that this one does not write are removed.
    """
    dataset = NativeDataset(dataset_root, skip)
    out = export_dir(dataset.root, EXPORT_SUBDIR)
    written: set[Path] = set()
    index_lines: list[str] = []
    for index, rec in enumerate(dataset.frames()):
        scene_id, frame = rec["scene_id"], int(rec["frame"])
        labels = dataset.labels(scene_id, frame)
        cameras, lidars = sensor_names(labels, "camera"), sensor_names(labels, "lidar")
        if not cameras:
            raise DatasetError(f"scene {scene_id} frame {frame} has no camera; a KITTI sample needs an image")
        camera, lidar = cameras[0], (lidars[0] if lidars else None)
        name = f"{index:06d}"
        index_lines.append(f"{name} {scene_id} {frame} {camera} {lidar or '-'}\n")
        files: dict[Path, bytes] = {
            out / "label_2" / f"{name}.txt": label_text(labels["objects"][camera]).encode("ascii"),
            out / "calib" / f"{name}.txt": calib_text(labels, camera, lidar).encode("ascii"),
        }
        if lidar is not None:
            files[out / "velodyne" / f"{name}.bin"] = velodyne_bytes(read_points(dataset, scene_id, frame, lidar))
        for path, data in files.items():
            atomic.write_bytes(path, data)
            written.add(path)
        image = out / "image_2" / f"{name}.png"
        place_image(dataset.root, sensor_file(scene_id, frame, camera, "rgb.png"), image)
        written.add(image)
    atomic.write_text(out / "samples.txt", "".join(index_lines))
    written.add(out / "samples.txt")
    remove_stale(out, written, LAYOUT)
    return out

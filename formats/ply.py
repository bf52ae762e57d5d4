"""LiDAR sweeps of a native dataset as PLY point clouds for viewers (MeshLab, CloudCompare, Open3D), and
the reading of sweeps that the KITTI export and the preview share.

    <dataset>/exports/ply/<scene_id>/<frame:06d>/<lidar>.ply

One binary little-endian PLY per LiDAR and frame, one vertex per return (misses, ``valid`` False, are
left out), with these vertex properties in this order:

    x y z        float   metres, the LiDAR frame (x forward, y left, z up) at the point's firing time
                         (at the frame time when the LiDAR deskews)
    intensity    float   [0, 1]
    ring         ushort  channel, 0 = lowest elevation
    instance_id  ushort  0 = static world
    semantic_id  ushort  scenes.taxonomy.semantic_id
    red green blue uchar formats.bev.point_colours: the instance's colour, grey by intensity for id 0,
                         so a viewer shows the instances without any set-up
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np

from formats import atomic
from formats._files import export_dir, remove_stale
from formats._sequences import plain_name
from formats.bev import point_colours
from formats.native import DatasetError, FrameKey, NativeDataset, frame_dir, sensor_file
from scenes.transforms import invert_pose

EXPORT_SUBDIR = "exports/ply"
# what this exporter writes, relative to EXPORT_SUBDIR: only such files are ever removed as stale
LAYOUT = ("*/[0-9][0-9][0-9][0-9][0-9][0-9]/*.ply",)

# vertex record of the PLY body, packed (PLY has no padding), little-endian
PLY_DTYPE = np.dtype(
    [
        ("x", "<f4"),
        ("y", "<f4"),
        ("z", "<f4"),
        ("intensity", "<f4"),
        ("ring", "<u2"),
        ("instance_id", "<u2"),
        ("semantic_id", "<u2"),
        ("red", "u1"),
        ("green", "u1"),
        ("blue", "u1"),
    ]
)
_PLY_TYPE_NAMES = {"f4": "float", "u2": "ushort", "u1": "uchar"}

# POINT_DTYPE fields that the exports and pictures read
_POINT_FIELDS = ("x", "y", "z", "intensity", "ring", "instance_id", "semantic_id", "valid")


def sensor_names(labels: dict[str, Any], kind: str) -> list[str]:
    """Names of a frame's sensors of one ``type`` ("camera", "lidar", "radar"), in the labels' order."""
    return [name for name, calib in labels["sensors"].items() if calib["type"] == kind]


def pose_between(labels: dict[str, Any], a: str, b: str) -> np.ndarray:
    """4x4 ``a_from_b`` between two sensors of a frame: inverse(world_from_a) @ world_from_b, both at the
    frame time (for a LiDAR, the sweep's start)."""
    sensors = labels["sensors"]
    world_from_a = np.asarray(sensors[a]["world_from_sensor"], dtype=np.float64)
    world_from_b = np.asarray(sensors[b]["world_from_sensor"], dtype=np.float64)
    return invert_pose(world_from_a) @ world_from_b


def read_points(dataset: NativeDataset, scene_id: str, frame: int, lidar: str) -> np.ndarray:
    """The returns of one sweep: the rows of ``<lidar>.points.npy`` (POINT_DTYPE) whose ``valid`` is set.

    The file must be a regular file inside the dataset holding a structured array with POINT_DTYPE's
    fields; anything else raises DatasetError naming it.
    """
    rel = sensor_file(scene_id, frame, lidar, "points.npy")
    path = (dataset.root / rel).resolve()
    if not path.is_relative_to(dataset.root.resolve()) or not path.is_file():
        raise DatasetError(f"{dataset.root / rel}: not found, not a regular file or outside the dataset")
    try:
        points = np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise DatasetError(f"{dataset.root / rel}: unreadable points ({exc})") from None
    missing = [f for f in _POINT_FIELDS if f not in (points.dtype.names or ())]
    if points.ndim != 1 or missing:
        raise DatasetError(f"{dataset.root / rel}: not a 1-D POINT_DTYPE array (missing fields {missing})")
    return points[points["valid"]]


def ply_vertices(points: np.ndarray) -> np.ndarray:
    """(n,) PLY_DTYPE records of (n,) POINT_DTYPE returns, colours included."""
    vertices = np.empty(len(points), dtype=PLY_DTYPE)
    for name in ("x", "y", "z", "intensity", "ring", "instance_id", "semantic_id"):
        vertices[name] = points[name]
    colours = point_colours(points)
    vertices["red"], vertices["green"], vertices["blue"] = colours[:, 0], colours[:, 1], colours[:, 2]
    return vertices


def encode_ply(points: np.ndarray, comment: str = "") -> bytes:
    """Binary little-endian PLY bytes of (n,) POINT_DTYPE returns (see the module docstring)."""
    vertices = ply_vertices(points)
    header = ["ply", "format binary_little_endian 1.0"]
    header += [f"comment {line}" for line in comment.splitlines()]
    header.append(f"element vertex {len(vertices)}")
    header += [f"property {_PLY_TYPE_NAMES[PLY_DTYPE[name].str[1:]]} {name}" for name in PLY_DTYPE.names]
    header.append("end_header")
    return ("\n".join(header) + "\n").encode("ascii") + vertices.tobytes()


def export_ply(dataset_root: str | Path, skip: Collection[FrameKey] = ()) -> Path:
    """Write ``<dataset>/exports/ply/`` (see the module docstring) for every LiDAR of every completed
    frame, and return that folder. A dataset without LiDAR gets an empty folder.

    Reruns give the same bytes; files of an earlier export that this one does not write are removed.
    """
    dataset = NativeDataset(dataset_root, skip)
    out = export_dir(dataset.root, EXPORT_SUBDIR)
    written: set[Path] = set()
    for rec in dataset.frames():
        scene_id, frame = plain_name(rec["scene_id"], "scene id"), int(rec["frame"])
        labels = dataset.labels(scene_id, frame)
        for lidar in sensor_names(labels, "lidar"):
            points = read_points(dataset, scene_id, frame, plain_name(lidar, "LiDAR name"))
            comment = f"synthsense {frame_dir(scene_id, frame)}/{lidar}: LiDAR frame, x forward, y left, z up, metres"
            path = out / scene_id / f"{frame:06d}" / f"{lidar}.ply"
            atomic.write_bytes(path, encode_ply(points, comment))
            written.add(path)
    remove_stale(out, written, LAYOUT)
    return out

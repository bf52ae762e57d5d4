"""KITTI object export, on a small native dataset with a camera and a LiDAR written by hand.

Scene 000000, 2 frames at 10 fps. The ego drives forward and turns a little between the frames; on it a
160x120 camera looks along the ego's +x, and a LiDAR ("velodyne") sits 0.8 m ahead, 0.2 m right, 1.9 m up,
turned 0.1 rad to the left (so Tr_velo_to_cam is no plain axis swap). Objects (world frame, z up):
    1 car         ahead and left of the ego, heading 0.4 rad, moving
    2 pedestrian  ahead and right, heading -1.2 rad
    3 barrier     behind the ego: out of the image (bbox_amodal null), but in the sweep
LiDAR points are sampled on the boxes' faces (ids 1-3) and on the ground (id 0), in the LiDAR frame at
the frame time, plus a few misses (valid False) that no export may contain.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

from formats import atomic
from formats.exporters import get_exporter
from formats.kitti_object import export_kitti
from formats.native import DATASET_FILE, MANIFEST_FILE, DatasetError, frame_dir, sensor_file
from labels.annotate import encode_rle
from labels.geometry import box3d_record, rotation_y_kitti, truncation
from scenes.sensors import POINT_DTYPE
from scenes.taxonomy import category_id, category_table, semantic_id
from scenes.transforms import (
    box_corners,
    invert_pose,
    look_at,
    make_pose,
    matrix_from_quaternion,
    project_points,
    rotation_z,
    transform_points,
    yaw_from_matrix,
)

W, H, FPS = 160, 120, 10.0
K = np.array([[120.0, 0.0, 79.5], [0.0, 120.0, 59.5], [0.0, 0.0, 1.0]])
EGO_FROM_CAMERA = look_at([1.5, 0.0, 1.6], [11.5, 0.0, 1.6])  # OpenCV camera looking along ego +x
EGO_FROM_LIDAR = make_pose(rotation_z(0.1), [0.8, -0.2, 1.9])
CAMERA, LIDAR = "cam", "velodyne"
# instance id -> (category, size_m [l, w, h])
OBJECTS = {1: ("car", (4.0, 1.8, 1.5)), 2: ("pedestrian", (0.6, 0.7, 1.7)), 3: ("barrier", (2.0, 0.4, 1.0))}
POINTS_PER_OBJECT = 300


def world_from_ego(frame: int) -> np.ndarray:
    return make_pose(rotation_z(0.05 * frame), [1.0 * frame, 0.3 * frame, 0.0])


def world_from_object(iid: int, frame: int) -> np.ndarray:
    height = OBJECTS[iid][1][2]
    if iid == 1:
        return make_pose(rotation_z(0.4), [14.0 + 0.5 * frame, 2.5, height / 2])
    if iid == 2:
        return make_pose(rotation_z(-1.2), [10.0, -2.0 - 0.2 * frame, height / 2])
    return make_pose(rotation_z(0.0), [-8.0, 0.0, height / 2])


def surface_samples(size_m, count: int, rng: np.random.Generator) -> np.ndarray:
    """(count, 3) points on the faces of a box of size [l, w, h] centred at the origin (object frame)."""
    half = 0.5 * np.asarray(size_m)
    points = rng.uniform(-half, half, size=(count, 3))
    axis = rng.integers(0, 3, size=count)
    sign = rng.choice([-1.0, 1.0], size=count)
    points[np.arange(count), axis] = sign * half[axis]
    return points


def amodal_box(camera_from_object: np.ndarray, size_m) -> list[int] | None:
    """[x, y, w, h] of the pixels whose centres lie within the projected box's extent (None if behind)."""
    corners = transform_points(camera_from_object, box_corners(size_m))
    if (corners[:, 2] <= 0.1).any():
        return None
    uv, _ = project_points(K, np.eye(4), corners)
    left, top = math.ceil(uv[:, 0].min()), math.ceil(uv[:, 1].min())
    right, bottom = math.floor(uv[:, 0].max()), math.floor(uv[:, 1].max())
    return [left, top, right - left + 1, bottom - top + 1]


def camera_object(iid: int, frame: int, world_from_camera: np.ndarray) -> dict:
    category, size = OBJECTS[iid]
    wfo = world_from_object(iid, frame)
    cfo = invert_pose(world_from_camera) @ wfo
    box = amodal_box(cfo, size)
    mask = np.zeros((H, W), dtype=bool)
    if box is not None:
        x, y, w, h = box
        mask[y : y + h, x : x + w] = True
    return {
        "instance_id": iid,
        "track_id": iid,
        "category": category,
        "category_id": category_id(category),
        "visible": box is not None,
        "visible_pixels": int(mask.sum()),
        "bbox_visible": box,
        "bbox_amodal": box,
        "mask_rle": encode_rle(mask) if box is not None else None,
        "unoccluded_pixels": int(mask.sum()),
        "visibility": 1.0 if box is not None else 0.0,
        "truncation": truncation(cfo, size, K, W, H, 0.1),
        "occlusion": 0 if box is not None else 3,
        "box3d_world": {**box3d_record(wfo, size), "yaw": yaw_from_matrix(wfo[:3, :3])},
        "box3d_camera": {**box3d_record(cfo, size), "rotation_y": rotation_y_kitti(cfo)},
        "range_m": float(np.linalg.norm(cfo[:3, 3])),
        "velocity_world": [5.0 if iid == 1 else 0.0, 0.0, 0.0],
    }


def sweep(frame: int, world_from_lidar: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, list[dict]]:
    """The LiDAR's points (POINT_DTYPE, misses included) and object records of one frame."""
    lidar_from_world = invert_pose(world_from_lidar)
    chunks, objects = [], []
    for iid, (category, size) in OBJECTS.items():
        lfo = lidar_from_world @ world_from_object(iid, frame)
        chunks.append((transform_points(lfo, surface_samples(size, POINTS_PER_OBJECT, rng)), iid, category))
        objects.append(
            {
                "instance_id": iid,
                "track_id": iid,
                "category": category,
                "category_id": category_id(category),
                "box3d_sensor": box3d_record(lfo, size),
                "num_lidar_points": POINTS_PER_OBJECT,
            }
        )
    ground = np.stack(np.meshgrid(np.arange(-20.0, 21.0, 2.0), np.arange(-20.0, 21.0, 2.0)), -1).reshape(-1, 2)
    ground_world = transform_points(world_from_lidar, np.zeros((1, 3)))[0, :2] + ground
    ground_world = np.hstack([ground_world, np.zeros((len(ground_world), 1))])
    chunks.append((transform_points(lidar_from_world, ground_world), 0, "ground"))
    chunks.append((np.full((5, 3), 1000.0), 0, "ground"))  # misses: flagged invalid
    points = np.zeros(sum(len(c[0]) for c in chunks), dtype=POINT_DTYPE)
    start = 0
    for xyz, iid, category in chunks:
        rows = slice(start, start + len(xyz))
        points["x"][rows], points["y"][rows], points["z"][rows] = xyz.T
        points["instance_id"][rows] = iid
        points["semantic_id"][rows] = semantic_id(category)
        start += len(xyz)
    points["intensity"] = rng.uniform(0.0, 1.0, len(points))
    points["range"] = np.linalg.norm(np.stack([points["x"], points["y"], points["z"]], 1), axis=1)
    points["azimuth"] = np.arctan2(points["y"], points["x"])
    points["ring"] = rng.integers(0, 64, len(points))
    points["valid"] = True
    points["valid"][-5:] = False
    return points, objects


def write_lidar_dataset(root: Path, lidar: bool = True, frames: int = 2) -> Path:
    """The dataset of the module docstring (``lidar`` False: the camera only)."""
    meta = {
        "format": "synthsense-native",
        "format_version": 1,
        "config_hash": "test",
        "root_seed": 0,
        "categories": category_table(),
        "config": {"scene": {"fps": FPS, "num_frames": frames}},
    }
    atomic.write_json(root / DATASET_FILE, meta)
    rng = np.random.default_rng(7)
    scene_id = "000000"
    for frame in range(frames):
        world_from_camera = world_from_ego(frame) @ EGO_FROM_CAMERA
        world_from_lidar = world_from_ego(frame) @ EGO_FROM_LIDAR
        sensors = {
            CAMERA: {
                "type": "camera",
                "width": W,
                "height": H,
                "K": K.tolist(),
                "ego_from_sensor": EGO_FROM_CAMERA.tolist(),
                "world_from_sensor": world_from_camera.tolist(),
                "velocity_world": [1.0, 0.3, 0.0],
            }
        }
        objects = {CAMERA: [camera_object(iid, frame, world_from_camera) for iid in OBJECTS]}
        files = {f"{CAMERA}.rgb.png": sensor_file(scene_id, frame, CAMERA, "rgb.png")}
        rgb = np.zeros((H, W, 3), dtype=np.uint8)
        rgb[..., 0] = np.linspace(0, 200, W, dtype=np.uint8)[None, :]
        rgb[..., 2] = 40 * (frame + 1)
        atomic.write_png(root / files[f"{CAMERA}.rgb.png"], rgb)
        if lidar:
            sensors[LIDAR] = {
                "type": "lidar",
                "ego_from_sensor": EGO_FROM_LIDAR.tolist(),
                "world_from_sensor": world_from_lidar.tolist(),
                "preset": "hdl64e",
                "channels": 64,
            }
            points, objects[LIDAR] = sweep(frame, world_from_lidar, rng)
            files[f"{LIDAR}.points.npy"] = sensor_file(scene_id, frame, LIDAR, "points.npy")
            atomic.write_npy(root / files[f"{LIDAR}.points.npy"], points)
        labels = {
            "scene_id": scene_id,
            "frame": frame,
            "t": frame / FPS,
            "world_from_ego": world_from_ego(frame).tolist(),
            "sensors": sensors,
            "objects": objects,
        }
        labels_rel = f"{frame_dir(scene_id, frame)}/labels.json"
        atomic.write_json(root / labels_rel, labels)
        record = {"scene_id": scene_id, "frame": frame, "t": frame / FPS, "labels": labels_rel, "files": files}
        atomic.append_line(root / MANIFEST_FILE, json.dumps(record))
    return root


@pytest.fixture
def dataset(tmp_path) -> Path:
    return write_lidar_dataset(tmp_path / "ds")


def native_points(root: Path, frame: int) -> np.ndarray:
    points = np.load(root / sensor_file("000000", frame, LIDAR, "points.npy"))
    return points[points["valid"]]


def read_calib(path: Path) -> dict[str, np.ndarray]:
    """A calib file as the devkit's readers take it: "key: v v v ..." per line."""
    rows = [line.split(" ") for line in path.read_text().splitlines()]
    return {r[0].rstrip(":"): np.array([float(v) for v in r[1:]]) for r in rows}


def kitti_corners(fields: list[str]) -> np.ndarray:
    """(8, 3) corners, rectified camera frame, of a label_2 line, as the devkit's computeBox3D builds them."""
    h, w, length, x, y, z, ry = (float(v) for v in fields[8:15])
    xs = [length / 2, length / 2, -length / 2, -length / 2] * 2
    ys = [0.0] * 4 + [-h] * 4
    zs = [w / 2, -w / 2, -w / 2, w / 2] * 2
    R = np.array([[math.cos(ry), 0, math.sin(ry)], [0, 1, 0], [-math.sin(ry), 0, math.cos(ry)]])
    return (R @ np.array([xs, ys, zs])).T + [x, y, z]


def inside_kitti_box(points_rect: np.ndarray, fields: list[str], tol: float) -> np.ndarray:
    """(n,) bool: points (rectified camera frame) inside the label line's box (+ tol metres)."""
    h, w, length, x, y, z, ry = (float(v) for v in fields[8:15])
    R = np.array([[math.cos(ry), 0, math.sin(ry)], [0, 1, 0], [-math.sin(ry), 0, math.cos(ry)]])
    local = (points_rect - [x, y, z]) @ R  # R^T (p - location), row-wise
    return (
        (np.abs(local[:, 0]) <= length / 2 + tol)
        & (np.abs(local[:, 2]) <= w / 2 + tol)
        & (local[:, 1] <= tol)
        & (local[:, 1] >= -h - tol)
    )


def test_layout_samples_and_hard_linked_images(dataset):
    out = export_kitti(dataset)
    assert out == dataset / "exports/kitti"
    for folder, ext in (("image_2", "png"), ("label_2", "txt"), ("calib", "txt"), ("velodyne", "bin")):
        assert sorted(p.name for p in (out / folder).iterdir()) == [f"00000{i}.{ext}" for i in range(2)]
    assert (out / "samples.txt").read_text() == "000000 000000 0 cam velodyne\n000001 000000 1 cam velodyne\n"
    assert os.path.samefile(out / "image_2/000001.png", dataset / sensor_file("000000", 1, CAMERA, "rgb.png"))


def test_label_fields_order_and_values(dataset):
    out = export_kitti(dataset)
    for frame in range(2):
        lines = (out / f"label_2/{frame:06d}.txt").read_text().splitlines()
        fields = [line.split(" ") for line in lines]
        assert [len(f) for f in fields] == [15, 15]  # the barrier behind the camera has no 2D box: skipped
        assert [f[0] for f in fields] == ["Car", "Pedestrian"]
        labels = json.loads((dataset / frame_dir("000000", frame) / "labels.json").read_text())
        for f, obj in zip(fields, labels["objects"][CAMERA][:2], strict=True):
            truncated, occluded = float(f[1]), int(f[2])  # the object benchmark's types: float, int
            assert (truncated, occluded) == (0.0, 0)
            x, y, w, h = obj["bbox_amodal"]
            assert [float(v) for v in f[4:8]] == [x, y, x + w, y + h]  # continuous edges: the devkit's widths
            length, width, height = obj["box3d_camera"]["size_m"]
            assert [float(v) for v in f[8:11]] == pytest.approx([height, width, length], abs=1e-6)
            # location: bottom centre = centre moved half the height down (camera +y: the camera is level)
            centre = np.array(obj["box3d_camera"]["center"])
            np.testing.assert_allclose([float(v) for v in f[11:14]], centre + [0, height / 2, 0], atol=1e-5)
            ry = float(f[14])
            assert ry == pytest.approx(obj["box3d_camera"]["rotation_y"], abs=1e-6)
            assert float(f[3]) == pytest.approx(ry - math.atan2(centre[0], centre[2]), abs=1e-5)  # alpha


def _kitti_devkit_iou(a: list[float], b: list[float]) -> float:
    """IoU of two (left, top, right, bottom) boxes by the arithmetic the KITTI devkit (eval_object.cpp,
    boxoverlap) and TrackEval (_BaseDataset._calculate_box_ious, box_format "x0y0x1y1") share: continuous
    edges, area (right - left) * (bottom - top)."""
    iw = max(min(a[2], b[2]) - max(a[0], b[0]), 0.0)
    ih = max(min(a[3], b[3]) - max(a[1], b[1]), 0.0)
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def test_boxes_read_by_the_devkit_rule_have_our_size(dataset):
    from formats._kitti import box_fields

    # a one-pixel object, the case "right = x + w - 1" got wrong: zero area, matching nothing, not even itself
    obj = {"bbox_amodal": [10, 20, 1, 1], "box3d_camera": camera_object(1, 0, np.eye(4))["box3d_camera"]}
    left, top, right, bottom = box_fields(obj)[1:5]
    assert (right - left, bottom - top) == (1, 1)
    assert _kitti_devkit_iou([left, top, right, bottom], [left, top, right, bottom]) == 1.0
    out = export_kitti(dataset)
    for frame in range(2):
        labels = json.loads((dataset / frame_dir("000000", frame) / "labels.json").read_text())
        boxes = [o["bbox_amodal"] for o in labels["objects"][CAMERA] if o["bbox_amodal"] is not None]
        rows = [
            [float(v) for v in line.split(" ")[4:8]]
            for line in (out / f"label_2/{frame:06d}.txt").read_text().splitlines()
        ]
        for (_, _, w, h), row in zip(boxes, rows, strict=True):
            assert (row[2] - row[0]) * (row[3] - row[1]) == w * h  # the devkit's area is our pixel count of the box
            assert _kitti_devkit_iou(row, row) == 1.0


def test_calib_keys_and_matrices(dataset):
    out = export_kitti(dataset)
    rows = [line.split(" ") for line in (out / "calib/000001.txt").read_text().splitlines()]
    assert [r[0] for r in rows] == ["P0:", "P1:", "P2:", "P3:", "R0_rect:", "Tr_velo_to_cam:", "Tr_imu_to_velo:"]
    assert [len(r) - 1 for r in rows] == [12, 12, 12, 12, 9, 12, 12]
    calib = read_calib(out / "calib/000001.txt")
    np.testing.assert_array_equal(calib["P2"].reshape(3, 4), np.hstack([K, np.zeros((3, 1))]))
    np.testing.assert_array_equal(calib["R0_rect"].reshape(3, 3), np.eye(3))
    camera_from_lidar = invert_pose(EGO_FROM_CAMERA) @ EGO_FROM_LIDAR  # a rigid rig: the same in every frame
    np.testing.assert_allclose(calib["Tr_velo_to_cam"].reshape(3, 4), camera_from_lidar[:3], atol=1e-9)
    np.testing.assert_allclose(calib["Tr_imu_to_velo"].reshape(3, 4), invert_pose(EGO_FROM_LIDAR)[:3], atol=1e-9)


def test_projected_label_boxes_bound_the_2d_boxes(dataset):
    out = export_kitti(dataset)
    for frame in range(2):
        calib = read_calib(out / f"calib/{frame:06d}.txt")
        P2, R0 = calib["P2"].reshape(3, 4), np.eye(4)
        R0[:3, :3] = calib["R0_rect"].reshape(3, 3)
        for line in (out / f"label_2/{frame:06d}.txt").read_text().splitlines():
            f = line.split(" ")
            assert float(f[1]) == 0.0  # untruncated
            corners = np.hstack([kitti_corners(f), np.ones((8, 1))])
            uvw = (P2 @ R0 @ corners.T).T
            uv = uvw[:, :2] / uvw[:, 2:]
            left, top, right, bottom = (float(v) for v in f[4:8])
            assert abs(uv[:, 0].min() - left) <= 1.0 and abs(uv[:, 0].max() - right) <= 1.0
            assert abs(uv[:, 1].min() - top) <= 1.0 and abs(uv[:, 1].max() - bottom) <= 1.0


def test_velodyne_points_fall_inside_their_label_boxes(dataset):
    out = export_kitti(dataset)
    for frame in range(2):
        calib = read_calib(out / f"calib/{frame:06d}.txt")
        rect_from_velo = np.eye(4)
        rect_from_velo[:3, :3] = calib["R0_rect"].reshape(3, 3)
        velo_to_cam = np.vstack([calib["Tr_velo_to_cam"].reshape(3, 4), [0, 0, 0, 1]])
        scan = np.fromfile(out / f"velodyne/{frame:06d}.bin", dtype="<f4").reshape(-1, 4)
        ids = native_points(dataset, frame)["instance_id"]  # the .bin keeps the returns in their order
        assert len(scan) == len(ids)
        points_rect = transform_points(rect_from_velo @ velo_to_cam, scan[:, :3])
        lines = [line.split(" ") for line in (out / f"label_2/{frame:06d}.txt").read_text().splitlines()]
        for fields, iid in zip(lines, (1, 2), strict=True):
            assert inside_kitti_box(points_rect[ids == iid], fields, tol=1e-3).all()
            other = 3 - iid
            assert not inside_kitti_box(points_rect[ids == other], fields, tol=1e-3).any()
            # faces, not just the inside: the points reach every side of the box
            assert inside_kitti_box(points_rect[ids == iid], fields, tol=-0.05).mean() < 0.2


def test_velodyne_round_trip(dataset):
    out = export_kitti(dataset)
    points = native_points(dataset, 0)
    data = (out / "velodyne/000000.bin").read_bytes()
    assert len(data) == 16 * len(points)  # 4 float32 per valid return; the misses are gone
    scan = np.frombuffer(data, dtype="<f4").reshape(-1, 4)
    for k, name in enumerate(("x", "y", "z", "intensity")):
        np.testing.assert_array_equal(scan[:, k], points[name])


def test_without_lidar_no_velodyne_and_identity_tr(tmp_path):
    root = write_lidar_dataset(tmp_path / "ds", lidar=False)
    out = export_kitti(root)
    assert not (out / "velodyne").exists()
    calib = read_calib(out / "calib/000000.txt")
    identity = np.hstack([np.eye(3), np.zeros((3, 1))])
    np.testing.assert_array_equal(calib["Tr_velo_to_cam"].reshape(3, 4), identity)
    np.testing.assert_array_equal(calib["Tr_imu_to_velo"].reshape(3, 4), identity)
    assert (out / "samples.txt").read_text().splitlines()[0] == "000000 000000 0 cam -"
    assert len((out / "label_2/000000.txt").read_text().splitlines()) == 2


def test_rerun_same_bytes_and_stale_files_removed(dataset):
    out = export_kitti(dataset)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    atomic.write_bytes(out / "velodyne/000007.bin", b"old")
    atomic.write_text(out / "label_2/000007.txt", "old\n")
    atomic.write_text(out / "notes.txt", "mine\n")  # not the format's: kept
    export_kitti(dataset)
    assert not (out / "velodyne/000007.bin").exists() and not (out / "label_2/000007.txt").exists()
    assert (out / "notes.txt").read_text() == "mine\n"
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and p.name != "notes.txt"} == before


def test_registered_with_one_line_errors(dataset):
    assert get_exporter("kitti")(dataset) == dataset / "exports/kitti"
    assert get_exporter("ply")(dataset) == dataset / "exports/ply"
    labels_path = dataset / frame_dir("000000", 1) / "labels.json"
    labels = json.loads(labels_path.read_text())
    del labels["sensors"][CAMERA]["K"]
    atomic.write_json(labels_path, labels)
    with pytest.raises(DatasetError, match=r"^kitti export of .*malformed dataset \(KeyError: 'K'\)$"):
        get_exporter("kitti")(dataset)


def test_export_refuses_a_symlinked_points_file(dataset, tmp_path):
    outside = tmp_path / "outside.npy"
    np.save(outside, np.zeros(3, dtype=POINT_DTYPE))
    target = dataset / sensor_file("000000", 0, LIDAR, "points.npy")
    target.unlink()
    target.symlink_to(outside)
    with pytest.raises(DatasetError, match="outside the dataset"):
        export_kitti(dataset)


def test_box_records_are_consistent():
    """The hand-built dataset's three boxes are one box: camera and LiDAR records agree through the rig."""
    camera_from_lidar = invert_pose(EGO_FROM_CAMERA) @ EGO_FROM_LIDAR
    world_from_lidar = world_from_ego(1) @ EGO_FROM_LIDAR
    _, lidar_objects = sweep(1, world_from_lidar, np.random.default_rng(0))
    for obj in lidar_objects:
        cam = camera_object(obj["instance_id"], 1, world_from_ego(1) @ EGO_FROM_CAMERA)["box3d_camera"]
        centre = transform_points(camera_from_lidar, np.array([obj["box3d_sensor"]["center"]]))[0]
        np.testing.assert_allclose(centre, cam["center"], atol=1e-9)
        rotation = camera_from_lidar[:3, :3] @ matrix_from_quaternion(obj["box3d_sensor"]["rotation_wxyz"])
        np.testing.assert_allclose(rotation, matrix_from_quaternion(cam["rotation_wxyz"]), atol=1e-9)


def test_tracking_export_carries_the_lidar(dataset):
    """KITTI tracking on the same dataset: velodyne/<seq>/ holds the object export's scans, and the one
    calib of the sequence takes its points into its label boxes (Tr_velo_cam = the rig's extrinsic)."""
    from formats.kitti_tracking import export_kitti_tracking

    out = export_kitti_tracking(dataset)
    assert (out / "sequences.txt").read_text() == "0000 000000 cam velodyne\n"
    calib = read_calib(out / "calib/0000.txt")
    camera_from_lidar = invert_pose(EGO_FROM_CAMERA) @ EGO_FROM_LIDAR
    np.testing.assert_allclose(calib["Tr_velo_cam"].reshape(3, 4), camera_from_lidar[:3], atol=1e-9)
    np.testing.assert_allclose(calib["Tr_imu_velo"].reshape(3, 4), invert_pose(EGO_FROM_LIDAR)[:3], atol=1e-9)
    velo_to_cam = np.vstack([calib["Tr_velo_cam"].reshape(3, 4), [0, 0, 0, 1]])  # R_rect is I
    object_export = export_kitti(dataset)
    lines = [line.split(" ") for line in (out / "label_02/0000.txt").read_text().splitlines()]
    for frame in range(2):
        scan_bytes = (out / f"velodyne/0000/{frame:06d}.bin").read_bytes()
        assert scan_bytes == (object_export / f"velodyne/{frame:06d}.bin").read_bytes()
        scan = np.frombuffer(scan_bytes, dtype="<f4").reshape(-1, 4)
        ids = native_points(dataset, frame)["instance_id"]
        points_rect = transform_points(velo_to_cam, scan[:, :3])
        tracks = [fields for fields in lines if int(fields[0]) == frame]
        assert sorted(int(f[1]) for f in tracks) == [1, 2]
        for fields in tracks:
            track = int(fields[1])
            assert inside_kitti_box(points_rect[ids == track], fields[2:], tol=1e-3).all()
            assert not inside_kitti_box(points_rect[ids == 3 - track], fields[2:], tol=1e-3).any()

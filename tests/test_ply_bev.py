"""PLY export of LiDAR sweeps, the bird's-eye view, LiDAR points on the camera image, and the preview
with and without a LiDAR (on the hand-built dataset of test_kitti_object)."""

from __future__ import annotations

import imageio.v3 as iio
import numpy as np
import pytest
import trimesh
from test_kitti_object import EGO_FROM_CAMERA, EGO_FROM_LIDAR, LIDAR, K, native_points, write_lidar_dataset

from formats import atomic
from formats.bev import (
    BACKGROUND,
    bev_image,
    bev_pixels,
    instance_colour,
    point_colours,
    project_points_on_image,
    range_colours,
)
from formats.ply import export_ply
from formats.preview import THUMB_WIDTH, write_preview, write_sequence_previews
from scenes.sensors import POINT_DTYPE
from scenes.transforms import invert_pose, transform_points


def read_ply(path) -> np.ndarray:
    """A binary little-endian PLY's vertices as a structured array, from its own header."""
    data = path.read_bytes()
    head, body = data.split(b"end_header\n", 1)
    lines = head.decode("ascii").splitlines()
    assert lines[:2] == ["ply", "format binary_little_endian 1.0"]
    count = next(int(line.split()[2]) for line in lines if line.startswith("element vertex"))
    types = {"float": "<f4", "ushort": "<u2", "uchar": "u1"}
    dtype = np.dtype([(line.split()[2], types[line.split()[1]]) for line in lines if line.startswith("property")])
    assert len(body) == count * dtype.itemsize
    return np.frombuffer(body, dtype=dtype)


def make_points(rows) -> np.ndarray:
    """POINT_DTYPE from (x, y, z, intensity, instance_id, valid) tuples."""
    points = np.zeros(len(rows), dtype=POINT_DTYPE)
    for name, column in zip(
        ("x", "y", "z", "intensity", "instance_id", "valid"), zip(*rows, strict=True), strict=False
    ):
        points[name] = column
    return points


@pytest.fixture
def dataset(tmp_path):
    return write_lidar_dataset(tmp_path / "ds")


# --- PLY ---------------------------------------------------------------------------------------------


def test_ply_round_trip(dataset):
    out = export_ply(dataset)
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*.ply")) == [
        "000000/000000/velodyne.ply",
        "000000/000001/velodyne.ply",
    ]
    for frame in range(2):
        path = out / f"000000/{frame:06d}/velodyne.ply"
        points = native_points(dataset, frame)  # valid returns only: the misses are not exported
        vertices = read_ply(path)
        assert vertices.dtype.names == (
            "x",
            "y",
            "z",
            "intensity",
            "ring",
            "instance_id",
            "semantic_id",
            "red",
            "green",
            "blue",
        )
        for name in ("x", "y", "z", "intensity", "ring", "instance_id", "semantic_id"):
            np.testing.assert_array_equal(vertices[name], points[name])
        colours = np.stack([vertices["red"], vertices["green"], vertices["blue"]], axis=1)
        np.testing.assert_array_equal(colours, point_colours(points))
        assert (colours[points["instance_id"] == 1] == instance_colour(1)).all()
        cloud = trimesh.load(path, process=False)  # what a viewer sees
        assert isinstance(cloud, trimesh.PointCloud)
        np.testing.assert_array_equal(cloud.vertices, np.stack([points["x"], points["y"], points["z"]], axis=1))
        np.testing.assert_array_equal(cloud.colors[:, :3], colours)


def test_ply_stale_files_removed_and_camera_only_gives_none(dataset, tmp_path):
    out = export_ply(dataset)
    atomic.write_bytes(out / "000000/000009/velodyne.ply", b"old")
    atomic.write_text(out / "readme.txt", "mine\n")
    export_ply(dataset)
    assert not (out / "000000/000009").exists()
    assert (out / "readme.txt").exists()
    camera_only = write_lidar_dataset(tmp_path / "cam", lidar=False)
    assert list(export_ply(camera_only).rglob("*.ply")) == []


# --- bird's-eye view ---------------------------------------------------------------------------------


def test_bev_places_points_boxes_and_ids():
    range_m, ppm = 20.0, 5.0
    points = make_points(
        [
            (9.0, 5.5, 0.5, 0.9, 1, True),  # on car 1, ahead and left
            (-10.0, -8.0, 0.0, 0.5, 0, True),  # ground, behind and right
            (3.0, -7.0, 0.0, 0.5, 2, False),  # a miss: not drawn
        ]
    )
    car = {
        "instance_id": 1,
        "box3d_sensor": {"center": [10.0, 5.0, 0.75], "size_m": [4.0, 2.0, 1.5], "rotation_wxyz": [1, 0, 0, 0]},
    }
    image = np.asarray(bev_image(points, [car], range_m=range_m, px_per_m=ppm))
    assert image.shape == (200, 200, 3)

    def pixel(x, y):
        u, v = bev_pixels(np.array([[x, y]]), range_m, ppm)[0]
        return int(np.floor(v)), int(np.floor(u))

    assert pixel(9.0, 5.5) == (55, 72)  # forward = up the image, left = to the left
    assert tuple(image[pixel(9.0, 5.5)]) == instance_colour(1)
    grey = image[pixel(-10.0, -8.0)]
    assert grey[0] == grey[1] == grey[2] == pytest.approx(64 + 191 * 0.5, abs=1)
    assert tuple(image[pixel(3.0, -7.0)]) == BACKGROUND
    assert tuple(image[0, 0]) == BACKGROUND
    # the box's rear edge (x = 8, y from 4 to 6) is drawn in the car's colour
    r, c = pixel(8.0, 5.0)
    assert (image[r - 1 : r + 2, c - 1 : c + 2] == instance_colour(1)).all(axis=-1).any()


def test_bev_of_the_dataset_sweep_shows_every_object(dataset):
    import json

    points = native_points(dataset, 0)
    labels = json.loads((dataset / "scenes/000000/000000/labels.json").read_text())
    image = np.asarray(bev_image(points, labels["objects"][LIDAR], range_m=30.0, px_per_m=4.0))
    for iid in (1, 2, 3):
        assert (image == instance_colour(iid)).all(axis=-1).sum() >= 10


# --- points on the camera image ----------------------------------------------------------------------


def test_projected_points_land_on_their_pixels_coloured_by_range():
    camera_from_lidar = invert_pose(EGO_FROM_CAMERA) @ EGO_FROM_LIDAR
    lidar_from_camera = invert_pose(camera_from_lidar)
    in_camera = np.array([[1.1, 0.4, 10.0], [-2.2, -1.1, 20.0], [3.3, 1.2, 30.0], [0.0, 0.0, -5.0], [50, 0, 1]])
    xyz = transform_points(lidar_from_camera, in_camera)
    points = make_points([(*p, 0.5, 0, True) for p in xyz])
    rgb = np.zeros((120, 160, 3), dtype=np.uint8)
    image = np.asarray(project_points_on_image(rgb, points, K, camera_from_lidar))
    assert image.shape == rgb.shape
    ranges = np.linalg.norm(xyz, axis=1)
    for k in (0, 1):
        u, v, _ = K @ (in_camera[k] / in_camera[k, 2])
        assert tuple(image[round(v), round(u)]) == tuple(range_colours(ranges[k : k + 1], 60.0)[0])
    # point 2 hides behind point 0 (same pixel, farther); behind the camera and outside the image: nothing
    assert (image.any(axis=-1)).sum() == 2
    big = np.asarray(project_points_on_image(rgb, points, K, camera_from_lidar, dot_px=3))
    assert (big.any(axis=-1)).sum() == 18
    assert tuple(range_colours(np.array([0.0]), 60.0)[0]) == (255, 0, 0)  # near red ... far blue
    assert range_colours(np.array([100.0]), 60.0)[0, 2] == 255


# --- preview -----------------------------------------------------------------------------------------


def test_preview_camera_only_and_with_lidar(tmp_path):
    camera_only = write_lidar_dataset(tmp_path / "cam", lidar=False)
    sheet = iio.imread(write_preview(camera_only))
    tile_h = round(120 * THUMB_WIDTH / 160)
    assert sheet.shape == (tile_h, 2 * THUMB_WIDTH, 3)  # two frames, camera tiles only

    with_lidar = write_lidar_dataset(tmp_path / "lidar")
    sheet_lidar = iio.imread(write_preview(with_lidar))
    assert sheet_lidar.shape == (tile_h, 2 * (THUMB_WIDTH + tile_h), 3)  # each tile gains a square BEV
    camera_part = sheet_lidar[:, :THUMB_WIDTH]
    assert (camera_part != sheet[:, :THUMB_WIDTH]).any(axis=-1).sum() > 50  # the projected points
    bev = sheet_lidar[:, THUMB_WIDTH : THUMB_WIDTH + tile_h]
    for iid in (1, 2, 3):
        assert (bev == instance_colour(iid)).all(axis=-1).any()
    gifs = write_sequence_previews(with_lidar, ["000000"])  # the first camera, not the LiDAR
    assert [p.name for p in gifs] == ["preview.gif"]


def test_bev_rotated_box_corners():
    # a box turned 90 degrees: its length runs along y
    box = {
        "center": [0.0, 10.0, 0.0],
        "size_m": [6.0, 2.0, 1.0],
        "rotation_wxyz": [np.cos(np.pi / 4), 0, 0, np.sin(np.pi / 4)],
    }
    image = np.asarray(
        bev_image(make_points([]), [{"instance_id": 4, "box3d_sensor": box}], range_m=20.0, px_per_m=5.0)
    )
    coloured = (image == instance_colour(4)).all(axis=-1)
    rows, cols = np.nonzero(coloured[:, :])
    # footprint x from -1 to 1 (rows 95..105), y from 7 to 13 (columns 35..65); the id text sits above it
    box_rows = rows >= 90
    assert cols[box_rows].min() == pytest.approx(35, abs=1) and cols[box_rows].max() == pytest.approx(65, abs=1)
    assert rows[box_rows].max() == pytest.approx(105, abs=1)

"""Camera-LiDAR fusion on a rendered street frame: LiDAR points projected through the written
calibration land on pixels of the same instance; the KITTI-like rig writes every sensor's labels."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import generate

from formats.native import NativeDataset
from scenes.transforms import invert_pose, transform_points

pytestmark = pytest.mark.gl


@pytest.fixture(scope="module")
def kitti_like(tmp_path_factory):
    root = tmp_path_factory.mktemp("fusion") / "ds"
    generate(
        root,
        "sensors=kitti_like",
        "num_scenes=1",
        "seed=6",
        "scene.sequence.num_frames=2",
        "sensors.cameras.0.width=621",
        "sensors.cameras.0.height=188",
        "sensors.lidars.0.motion_skew=false",
        "sensors.lidars.0.noise=false",
    )
    return root


def test_lidar_points_land_on_pixels_of_the_same_instance(kitti_like):
    ds = NativeDataset(kitti_like)
    checked = agree = 0
    for rec in ds.frames():
        labels = ds.labels(rec["scene_id"], rec["frame"])
        camera, lidar = labels["sensors"]["front"], labels["sensors"]["velodyne"]
        assert not lidar["motion_skew"]
        points = ds.points(rec["scene_id"], rec["frame"], "velodyne")
        points = points[points["valid"]]
        xyz = np.stack([points["x"], points["y"], points["z"]], axis=1).astype(np.float64)
        # only the written calibration: camera_from_lidar = inv(world_from_camera) @ world_from_lidar
        cam = transform_points(
            invert_pose(np.array(camera["world_from_sensor"])) @ np.array(lidar["world_from_sensor"]), xyz
        )
        K = np.array(camera["K"])
        front = cam[:, 2] > 0.5
        u = np.rint(K[0, 0] * cam[:, 0] / cam[:, 2] + K[0, 2]).astype(int)
        v = np.rint(K[1, 1] * cam[:, 1] / cam[:, 2] + K[1, 2]).astype(int)
        inside = front & (u >= 0) & (u < camera["width"]) & (v >= 0) & (v < camera["height"])
        depth = ds.depth(rec["scene_id"], rec["frame"], "front")
        instance = ds.instance(rec["scene_id"], rec["frame"], "front")
        u, v, z, ids = u[inside], v[inside], cam[inside, 2], points["instance_id"][inside]
        seen = np.abs(depth[v, u] - z) <= 0.05  # the camera sees this very surface point
        checked += int(seen.sum())
        agree += int((instance[v[seen], u[seen]] == ids[seen]).sum())
        assert (ids[seen] > 0).sum() > 100  # objects, not only road and buildings
    assert checked > 2000
    assert agree / checked >= 0.99, agree / checked


def test_every_sensor_gets_boxes_and_point_counts(kitti_like):
    ds = NativeDataset(kitti_like)
    rec = ds.frames()[0]
    labels = ds.labels(rec["scene_id"], rec["frame"])
    assert set(labels["sensors"]) == {"front", "velodyne"}
    assert labels["sensors"]["velodyne"]["type"] == "lidar" and labels["sensors"]["velodyne"]["channels"] == 64
    points = ds.points(rec["scene_id"], rec["frame"], "velodyne")
    lidar_objects = {o["instance_id"]: o for o in labels["objects"]["velodyne"]}
    camera_objects = {o["instance_id"]: o for o in labels["objects"]["front"]}
    assert set(lidar_objects) == set(camera_objects)
    for iid, obj in lidar_objects.items():
        assert obj["num_lidar_points"] == int(((points["instance_id"] == iid) & points["valid"]).sum())
    assert sum(o["num_lidar_points"] > 0 for o in lidar_objects.values()) >= 5
    # the same box in two frames: camera box and LiDAR box differ exactly by the written calibration
    lidar_from_camera = invert_pose(np.array(labels["sensors"]["velodyne"]["world_from_sensor"])) @ np.array(
        labels["sensors"]["front"]["world_from_sensor"]
    )
    for iid, obj in lidar_objects.items():
        centre = transform_points(lidar_from_camera, np.array([camera_objects[iid]["box3d_camera"]["center"]]))[0]
        np.testing.assert_allclose(obj["box3d_sensor"]["center"], centre, atol=1e-9)


def test_kitti_velodyne_points_fall_inside_their_label_boxes(kitti_like):
    """The exported velodyne points, moved with Tr_velo_to_cam (R0_rect = I), fall inside the label_2 box
    of the object that the native points file says they hit (boxes built the devkit's way)."""
    from formats.exporters import get_exporter

    out = get_exporter("kitti")(kitti_like)
    ds = NativeDataset(kitti_like)
    checked = inside_total = 0
    for index, rec in enumerate(ds.frames()):
        native = ds.points(rec["scene_id"], rec["frame"], "velodyne")
        ids = native["instance_id"][native["valid"]]
        velo = np.fromfile(out / f"velodyne/{index:06d}.bin", dtype="<f4").reshape(-1, 4)[:, :3]
        assert len(velo) == len(ids)
        calib = {
            line.split(":")[0]: np.array(line.split(":")[1].split(), float)
            for line in (out / f"calib/{index:06d}.txt").read_text().splitlines()
            if ":" in line
        }
        tr = calib["Tr_velo_to_cam"].reshape(3, 4)
        cam = velo @ tr[:, :3].T + tr[:, 3]
        labels = ds.labels(rec["scene_id"], rec["frame"])
        in_image = [o for o in labels["objects"]["front"] if o["bbox_amodal"] is not None]
        lines = (out / f"label_2/{index:06d}.txt").read_text().splitlines()
        assert len(lines) == len(in_image)
        for obj, line in zip(in_image, lines, strict=True):
            h, w, l, x, y, z, ry = (float(v) for v in line.split()[8:15])
            mine = cam[ids == obj["instance_id"]]
            d = mine - [x, y, z]  # KITTI: location is the bottom centre, y points down, ry about y
            c, s = np.cos(ry), np.sin(ry)
            along, across = c * d[:, 0] - s * d[:, 2], s * d[:, 0] + c * d[:, 2]
            inside = (np.abs(along) <= l / 2 + 0.02) & (np.abs(across) <= w / 2 + 0.02)
            inside &= (d[:, 1] <= 0.02) & (d[:, 1] >= -h - 0.02)
            checked += len(mine)
            inside_total += int(inside.sum())
    assert checked > 1000
    assert inside_total == checked

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

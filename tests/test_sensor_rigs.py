"""Sensor rigs from the `sensors` group: presets compose, mounts are where the config says, scene.json
round-trips them, bad sensor configs are one-line errors, noise follows the sensor."""

from __future__ import annotations

import numpy as np
import pytest

from generator.config import compose_config
from generator.errors import ConfigError
from generator.run.range_sensors import sensor_key
from generator.world.sampling import sample_scene
from scenes import scene_from_dict, scene_to_dict
from scenes.sensor_presets import LIDAR_PRESETS


@pytest.mark.parametrize(
    ("preset", "cams", "lidars", "radars"), [("mono", 1, 0, 0), ("kitti_like", 1, 1, 0), ("nuscenes_like", 6, 1, 5)]
)
def test_presets_build_their_rigs_and_round_trip(preset, cams, lidars, radars):
    scene = sample_scene(compose_config([f"sensors={preset}", "scene.sequence.num_frames=3"]), 0)
    rig = scene.rig
    assert (len(rig.cameras), len(rig.lidars), len(rig.radars)) == (cams, lidars, radars)
    back = scene_from_dict(scene_to_dict(scene))
    assert scene_to_dict(back) == scene_to_dict(scene)
    for lidar in back.rig.lidars:
        np.testing.assert_array_equal(lidar.elevations, LIDAR_PRESETS[lidar.preset]["elevations"])


def test_kitti_like_mounts():
    rig = sample_scene(compose_config(["sensors=kitti_like"]), 0).rig
    camera, lidar = rig.cameras[0], rig.lidars[0]
    np.testing.assert_allclose(camera.ego_from_sensor[:3, 3], [0.27, 0.0, 1.65])
    np.testing.assert_allclose(lidar.ego_from_sensor[:3, 3], [0.0, 0.0, 1.73])
    np.testing.assert_allclose(camera.ego_from_sensor[:3, 2], [1, 0, 0], atol=1e-12)  # optical axis forward
    np.testing.assert_allclose(camera.ego_from_sensor[:3, 1], [0, 0, -1], atol=1e-12)  # image down = ego down
    np.testing.assert_allclose(lidar.ego_from_sensor[:3, :3], np.eye(3), atol=1e-12)
    assert (camera.width, camera.height) == (1242, 375) and lidar.channels == 64


def test_nuscenes_like_camera_yaws():
    rig = sample_scene(compose_config(["sensors=nuscenes_like"]), 0).rig
    axes = {c.name: c.ego_from_sensor[:3, 2] for c in rig.cameras}
    np.testing.assert_allclose(axes["cam_back"], [-1, 0, 0], atol=1e-12)
    left = axes["cam_front_left"]
    assert np.degrees(np.arctan2(left[1], left[0])) == pytest.approx(55.0)


@pytest.mark.parametrize(
    ("overrides", "culprit"),
    [
        (["sensors=kitti_like", "sensors.lidars.0.preset=hdl128"], "preset"),
        (["sensors=kitti_like", "sensors.lidars.0.rotation_hz=0"], "rotation_hz"),
        (["sensors=kitti_like", "sensors.lidars.0.dropout=2"], "dropout"),
        (["sensors=kitti_like", "sensors.lidars.0.name=front"], "unique"),
        (["sensors=kitti_like", "sensors.lidars.0.name=../x"], "sensor name"),
        (["sensors=kitti_like", "scene=tabletop"], "street"),
        (["sensors=nuscenes_like", "sensors.radars.0.preset=x"], "preset"),
    ],
)
def test_bad_sensor_configs_are_config_errors(overrides, culprit):
    with pytest.raises(ConfigError, match=culprit):
        compose_config(overrides)


def test_noise_keys_follow_sensor_names():
    assert sensor_key("velodyne") == sensor_key("velodyne") != sensor_key("radar_front")

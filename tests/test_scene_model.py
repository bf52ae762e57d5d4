"""Scene model: trajectories and the lossless scene.json round trip."""

from __future__ import annotations

import json

import numpy as np

from generator.config import compose_config
from generator.world.sampling import sample_scene
from scenes import Trajectory, scene_from_dict, scene_to_dict, scene_to_json
from scenes.transforms import make_pose, rotation_z


def test_static_trajectory_and_velocity():
    pose = make_pose(rotation_z(0.4), [1.0, 2.0, 0.5])
    traj = Trajectory.static(pose)
    for t in (0.0, 1.5, 100.0):
        np.testing.assert_array_equal(traj.pose_at(t), pose)
        np.testing.assert_array_equal(traj.velocity_at(t), 0.0)


def test_keyframed_trajectory_interpolates():
    traj = Trajectory(
        times=[0.0, 2.0], poses=[make_pose(rotation_z(0.0), [0, 0, 0]), make_pose(rotation_z(1.0), [4, 0, 0])]
    )
    mid = traj.pose_at(1.0)
    np.testing.assert_allclose(mid[:3, 3], [2, 0, 0])
    np.testing.assert_allclose(mid[:3, :3], rotation_z(0.5), atol=1e-12)
    np.testing.assert_allclose(traj.velocity_at(1.0), [2, 0, 0])
    np.testing.assert_allclose(traj.pose_at(5.0)[:3, 3], [4, 0, 0])


def test_scene_json_round_trip_is_lossless():
    for scene_kind in ("street", "tabletop"):
        scene = sample_scene(compose_config([f"scene={scene_kind}", "seed=3"]), 4)
        text = scene_to_json(scene)
        back = scene_from_dict(json.loads(text))
        assert scene_to_json(back) == text
        for a, b in zip(scene.entities, back.entities, strict=True):
            np.testing.assert_array_equal(a.trajectory.poses[0], b.trajectory.poses[0])
        np.testing.assert_array_equal(scene.rig.cameras[0].K, back.rig.cameras[0].K)
        assert scene_to_dict(back) == scene_to_dict(scene)

"""Scene model: trajectories and the lossless scene.json round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest

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


def test_velocity_at_a_frame_time_is_the_interval_starting_at_its_keyframe():
    """Frame time 3/10 s and keyframe linspace(...)[6] are the same instant but differ in the last
    bits (0.3 < 0.30000000000000004): the frame must get the interval from its keyframe on, not the
    one before it (a braking car's speed was then one keyframe step late)."""
    from generator.world.motion import keyframe_times

    times = keyframe_times(1.0)
    assert times[6] != 3 / 10
    x = np.cumsum(np.arange(len(times)) * 0.01)  # speed grows by 0.2 m/s each interval
    poses = [np.eye(4) for _ in times]
    for pose, xi in zip(poses, x, strict=True):
        pose[0, 3] = xi
    trajectory = Trajectory(times=[float(t) for t in times], poses=poses)
    for frame in range(10):
        expected = (x[2 * frame + 1] - x[2 * frame]) / (times[2 * frame + 1] - times[2 * frame])
        assert trajectory.velocity_at(frame / 10)[0] == pytest.approx(expected, rel=1e-9)

"""Motion models and swept placement: kinematics of each model, collision checks over time."""

from __future__ import annotations

import numpy as np
import pytest

from generator.config import compose_config
from generator.errors import ConfigError
from generator.world.motion import KEYFRAME_DT_S, blended_speed, integrate, keyframe_times, lane_change, walk_across
from generator.world.motion_models import reentry_motion
from generator.world.placement import Placer, SweptFootprint, swept_overlap
from generator.world.sampling import sample_scene

TIMES = keyframe_times(6.0)


def test_keyframe_grid_and_integration():
    assert TIMES[0] == 0 and TIMES[-1] == pytest.approx(6.0) and np.allclose(np.diff(TIMES), KEYFRAME_DT_S)
    speed = np.full(len(TIMES), 2.0)
    np.testing.assert_allclose(integrate(TIMES, speed)[-1], 12.0)


def test_stop_and_go_profile_stops_and_recovers():
    profile = blended_speed(TIMES, [8.0, 0.0, 8.0], [2.0, 4.0], ramp_s=1.0)
    assert profile[0] == 8.0 and profile[-1] == 8.0
    assert profile[np.searchsorted(TIMES, 3.0)] == 0.0  # between the ramps: standing
    assert np.all(np.abs(np.diff(profile)) <= 8.0 * 1.5 * KEYFRAME_DT_S + 1e-9)  # smooth, no jump


def test_lane_change_moves_one_lane_with_tangent_heading():
    m = lane_change({}, TIMES, 0.0, -1.75, 1.0, 10.0, -3.5, start_s=1.0, duration_s=3.0)
    assert m.positions[0, 1] == -1.75 and m.positions[-1, 1] == pytest.approx(-5.25)
    velocity = np.gradient(m.positions, TIMES, axis=0)
    mid = np.searchsorted(TIMES, 2.5)
    assert m.headings[mid] == pytest.approx(np.arctan2(velocity[mid, 1], velocity[mid, 0]), abs=1e-3)
    assert m.headings[0] == 0.0 and m.headings[-1] == pytest.approx(0.0)


def test_walk_across_waits_walks_and_stops():
    m = walk_across({}, TIMES, 10.0, 3.0, -3.0, 1.5, start_s=1.0)
    assert m.positions[np.searchsorted(TIMES, 0.5), 1] == 3.0
    assert m.positions[np.searchsorted(TIMES, 2.0), 1] == pytest.approx(1.5)
    assert m.positions[-1, 1] == -3.0 and np.all(m.positions[:, 0] == 10.0)


def test_reentry_car_falls_behind_then_leads():
    m = reentry_motion(TIMES, ego_speed=10.0, lane_y=-5.25)
    relative = m.positions[:, 0] - 10.0 * TIMES
    assert relative[0] > 10 and relative.min() < -1 and relative[-1] > 10  # behind the camera mid-way


def test_trajectory_keyframes_are_simplified_and_exact():
    straight = lane_change({}, TIMES, 0.0, 0.0, 1.0, 10.0, 0.0, 1.0, 3.0).trajectory(0.5)
    assert len(straight.times) == 2  # a straight constant-speed path needs two keyframes
    np.testing.assert_allclose(straight.pose_at(3.3)[:3, 3], [33.0, 0.0, 0.5])


def test_swept_overlap_catches_a_crossing_not_a_pass_by():
    n = len(TIMES)
    car = SweptFootprint(np.column_stack([10.0 * TIMES, np.zeros(n)]), np.zeros(n), 4.5, 1.8)
    walker = SweptFootprint(np.column_stack([np.full(n, 30.0), 6.0 - 2.0 * TIMES]), np.full(n, -np.pi / 2), 0.5, 0.6)
    assert swept_overlap(car, walker)  # both at (30, 0) at t = 3 s
    late = SweptFootprint(np.column_stack([np.full(n, 30.0), 10.0 - 2.0 * TIMES]), np.full(n, -np.pi / 2), 0.5, 0.6)
    assert not swept_overlap(car, late)  # crosses the lane at t = 5 s, long after the car passed
    placer = Placer(margin=0.2, steps=n)
    assert placer.try_place(car) and not placer.try_place(walker) and placer.try_place(late)


@pytest.mark.parametrize("model", ["orbit", "dolly"])
def test_tabletop_camera_motions(model):
    cfg = compose_config(["scene=tabletop", f"scene.camera_motion={{{model}: 1.0}}", "scene.sequence.num_frames=300"])
    scene = sample_scene(cfg, 0)
    camera = scene.rig.cameras[0]
    target = np.array(scene.params["camera_target"])
    start = scene.rig.world_from_sensor(camera, 0.0)[:3, 3]
    end = scene.rig.world_from_sensor(camera, scene.duration_s)[:3, 3]
    assert not np.allclose(start, end)
    if model == "orbit":  # same distance to the table's vertical axis and the same height
        np.testing.assert_allclose(np.hypot(*(end - target)[:2]), np.hypot(*(start - target)[:2]), rtol=1e-3)
        assert end[2] == pytest.approx(start[2])
    else:  # a 30 s dolly covers at most half the way to the table: the camera stays above it
        assert np.linalg.norm(end - start) <= 0.5 * np.linalg.norm(start - target) + 1e-9
        assert end[2] > target[2]


def test_street_sequence_uses_every_motion_model():
    cfg = compose_config(["scene.sequence.num_frames=60", "seed=1"])
    models = {e.motion["model"] for i in range(4) for e in sample_scene(cfg, i).labelled_entities()}
    assert {"parked", "constant_velocity", "stop_and_go", "walk_along", "walk_across", "standing"} <= models
    cfg2 = compose_config(["scene.sequence.num_frames=60", "seed=1", "scene.lanes_per_direction=2"])
    models2 = {e.motion["model"] for i in range(4) for e in sample_scene(cfg2, i).labelled_entities()}
    assert "lane_change" in models2


@pytest.mark.parametrize(
    ("overrides", "culprit"),
    [
        (["scene.sequence.num_frames=30"], "at least 4"),
        (["scene.sequence.num_frames=3", "scene.sequence.fps=0.5"], "at least 10 frames"),
        (["scene.sequence.num_frames=60", "scene.camera_yaw_deg=30"], "does not leave the view"),
        (["scene.sequence.num_frames=60", "scene.lane_width_m=2.0"], "too narrow"),
    ],
)
def test_reentry_that_cannot_happen_is_a_config_error(overrides, culprit):
    with pytest.raises(ConfigError, match=culprit):
        sample_scene(compose_config(["scene.sequence.reentry=true", *overrides]), 0)

"""Which motion each object gets, sampled from the config: vehicles (parked, constant velocity, lane
change, stop-and-go), cyclists, pedestrians (standing, walking along the sidewalk with varying speed,
crossing the road), the ego vehicle, the scripted re-entry car, and tabletop camera moves.

Every model draws from the generator it is given and returns a ``generator.world.motion.Motion`` sampled on
the sequence's keyframe grid ``times``; its parameters are recorded in scene.json.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from generator.world.distributions import sample, weighted_choice
from generator.world.motion import Motion, along_x, blended_speed, lane_change, static, walk_across
from scenes import Trajectory
from scenes.transforms import make_pose, rotation_z

VEHICLE_MODELS = ("parked", "constant_velocity", "lane_change", "stop_and_go")
PEDESTRIAN_MODELS = ("standing", "walk_along", "walk_across")
CAMERA_MOTIONS = ("orbit", "dolly", "static")
MIN_REENTRY_S = 4.0  # the overtaking scenario needs time to fall behind and come back
REENTRY_START_AHEAD_M = 14.0  # the re-entry car starts this far ahead of the camera
REENTRY_BEHIND_M = 3.0  # ... is this far behind it (out of view) half-way through ...
REENTRY_END_AHEAD_M = 16.0  # ... and ends this far ahead
LANE_CHANGE_S = 3.0  # duration of a lane change
MIN_REENTRY_FRAMES = 10  # the car must be seen in, out, and in again
DOLLY_MAX_FRACTION = 0.5  # a dolly covers at most this share of the distance to the table


def vehicle_motion(
    cfg: Any,
    times: np.ndarray,
    rng: np.random.Generator,
    lane_y: float,
    direction: float,
    x0: float,
    layout: dict[str, float],
    width: float,
) -> Motion:
    """A car, truck or bus in the lane at ``lane_y`` heading ``direction`` (+1: +x, -1: -x)."""
    model = weighted_choice(dict(cfg.vehicle_models), rng)
    speed = float(sample("scene.motion.vehicle_speed_mps", cfg.vehicle_speed_mps, rng))
    duration = float(times[-1])
    heading = 0.0 if direction > 0 else np.pi
    if model == "parked":
        half_road = layout["lanes_per_direction"] * layout["lane_width_m"]
        y = np.sign(lane_y) * (half_road - width / 2.0 - 0.3)  # against the curb of its side
        return static("parked", {}, times, x0, y, heading)
    if model == "lane_change" and layout["lanes_per_direction"] >= 2:
        # move towards the road centre from the outer lane, away from it from the inner one
        inner = abs(abs(lane_y) - layout["lane_width_m"] / 2.0) < 1e-6
        dy = np.sign(lane_y) * layout["lane_width_m"] * (1.0 if inner else -1.0)
        start = float(rng.uniform(0.0, max(0.0, duration - LANE_CHANGE_S)))
        params = {"speed_mps": speed, "dy_m": float(dy), "start_s": start, "duration_s": LANE_CHANGE_S}
        return lane_change(params, times, x0, lane_y, direction, speed, float(dy), start, LANE_CHANGE_S)
    if model == "stop_and_go":
        brake = float(rng.uniform(0.2, 0.5)) * duration
        stopped = float(rng.uniform(1.0, 2.0))
        restart = brake + stopped + speed / 3.0
        ramp = max(speed / 3.0, 0.5)  # about 3 m/s^2, never a jump
        params = {"speed_mps": speed, "brake_s": brake, "restart_s": restart, "ramp_s": ramp}
        profile = blended_speed(times, [speed, 0.0, speed], [brake, restart], ramp_s=ramp)
        return along_x("stop_and_go", params, times, x0, lane_y, direction, profile)
    return along_x("constant_velocity", {"speed_mps": speed}, times, x0, lane_y, direction, np.full(len(times), speed))


def cyclist_motion(
    cfg: Any, times: np.ndarray, rng: np.random.Generator, y: float, direction: float, x0: float
) -> Motion:
    speed = float(sample("scene.motion.cyclist_speed_mps", cfg.cyclist_speed_mps, rng))
    return along_x("constant_velocity", {"speed_mps": speed}, times, x0, y, direction, np.full(len(times), speed))


def pedestrian_motion(
    cfg: Any,
    times: np.ndarray,
    rng: np.random.Generator,
    x0: float,
    y0: float,
    heading: float,
    half_road: float,
) -> tuple[Motion, bool]:
    """A pedestrian starting on the sidewalk at (x0, y0). Returns the motion and whether it walks on
    the road (crossing pedestrians walk at road level between the curbs)."""
    model = weighted_choice(dict(cfg.pedestrian_models), rng)
    duration = float(times[-1])
    if model == "walk_along":
        switches = [float(t) for t in np.arange(1.5, duration, 1.5)]  # a new pace every 1.5 s
        speeds = [
            float(sample("scene.motion.pedestrian_speed_mps", cfg.pedestrian_speed_mps, rng))
            for _ in range(len(switches) + 1)
        ]
        direction = 1.0 if rng.uniform() < 0.5 else -1.0
        profile = blended_speed(times, speeds, switches, ramp_s=0.8)
        return along_x(
            "walk_along", {"speeds_mps": speeds, "switch_s": switches}, times, x0, y0, direction, profile
        ), False
    if model == "walk_across":
        speed = float(sample("scene.motion.pedestrian_speed_mps", cfg.pedestrian_speed_mps, rng))
        side = np.sign(y0)
        start = float(rng.uniform(0.0, max(duration / 2.0, 0.0)))
        y_start, y_end = side * (half_road - 0.4), -side * (half_road - 0.4)
        params = {"speed_mps": speed, "start_s": start, "y_start_m": float(y_start), "y_end_m": float(y_end)}
        return walk_across(params, times, x0, y_start, y_end, speed, start), True
    return static("standing", {}, times, x0, y0, heading), False


def ego_motion(speed: float, times: np.ndarray, lane_y: float) -> Motion:
    """The ego vehicle: constant speed along +x in the lane at ``lane_y``, starting at x = 0."""
    return along_x("ego", {"speed_mps": speed}, times, 0.0, lane_y, 1.0, np.full(len(times), speed))


def reentry_speeds(duration: float) -> tuple[float, float]:
    """Speed deficit and surplus (m/s) relative to the ego that take the re-entry car from
    REENTRY_START_AHEAD_M ahead to REENTRY_BEHIND_M behind in the first half of the sequence and to
    REENTRY_END_AHEAD_M ahead in the second half."""
    half = duration / 2.0
    return (REENTRY_START_AHEAD_M + REENTRY_BEHIND_M) / half, (REENTRY_BEHIND_M + REENTRY_END_AHEAD_M) / half


def reentry_motion(times: np.ndarray, ego_speed: float, lane_y: float) -> Motion:
    """The scripted car of ``scene.sequence.reentry``: in the next lane, overtaken by the ego (it leaves
    the view beside and behind the camera), then overtaking it again (it re-enters the view)."""
    duration = float(times[-1])
    slower, faster = reentry_speeds(duration)
    profile = blended_speed(times, [ego_speed - slower, ego_speed + faster], [duration / 2.0], ramp_s=1.0)
    params = {"ego_speed_mps": ego_speed, "slower_mps": slower, "faster_mps": faster, "switch_s": duration / 2.0}
    return along_x("reentry_overtake", params, times, REENTRY_START_AHEAD_M, lane_y, 1.0, profile)


def tabletop_camera_trajectory(
    cfg: Any, times: np.ndarray, rng: np.random.Generator, target: np.ndarray, view_dir: np.ndarray, distance: float
) -> tuple[Trajectory, dict[str, Any]]:
    """``world_from_ego`` of the tabletop rig: an orbit about the vertical through ``target``, a dolly
    along the viewing direction ``view_dir`` (unit, world) from ``distance`` metres away, or static."""
    model = weighted_choice(dict(cfg.camera_motion), rng)
    if len(times) == 1 or model == "static":
        return Trajectory.static(np.eye(4)), {"model": "static"}
    if model == "orbit":
        rate = np.radians(float(sample("scene.orbit_rate_deg_s", cfg.orbit_rate_deg_s, rng)))
        poses = []
        for t in times:
            rot = rotation_z(rate * t)
            poses.append(make_pose(rot, target - rot @ target))  # rotate about the vertical through target
        return Trajectory([float(t) for t in times], poses), {"model": "orbit", "rate_rad_s": float(rate)}
    sampled = float(sample("scene.dolly_speed_mps", cfg.dolly_speed_mps, rng))
    # never travel more than half the distance to the target: the camera stays above the table and in
    # front of it however long the sequence
    limit = DOLLY_MAX_FRACTION * distance / float(times[-1])
    speed = float(np.clip(sampled, -limit, limit))
    poses = [make_pose(np.eye(3), speed * t * view_dir) for t in (times[0], times[-1])]
    params = {"model": "dolly", "sampled_speed_mps": sampled, "speed_mps": speed}
    return Trajectory([float(times[0]), float(times[-1])], poses), params

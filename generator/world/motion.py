"""Motion models: continuous trajectories sampled as keyframes.

A model is a function of time giving a ground position (x, y) and a heading; it is sampled at
``KEYFRAME_DT_S`` over the sequence (plus one frame, so optical flow of the last frame is defined) and
turned into a ``scenes.Trajectory``, which interpolates linearly between keyframes: pose and velocity
are then defined at any t, not only at frame times. Keyframes that a straight line through their
neighbours already gives are dropped, so constant-velocity and static objects cost two keyframes.

World frame: z up, x along the road. Speeds in m/s, times in s, angles in radians.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from scenes import Trajectory
from scenes.transforms import make_pose, rotation_z

KEYFRAME_DT_S = 0.05  # keyframe spacing: 20 Hz keeps curves within millimetres of the model

SpeedProfile = Callable[[np.ndarray], np.ndarray]  # times (n,) s -> speed (n,) m/s


@dataclass
class Motion:
    """A sampled motion: the model's name and parameters (recorded in scene.json) and its ground
    path: ``positions`` (n, 2) world metres and ``headings`` (n,) radians at ``times`` (n,) seconds."""

    model: str
    params: dict[str, Any]
    times: np.ndarray
    positions: np.ndarray
    headings: np.ndarray

    def trajectory(self, z: float) -> Trajectory:
        """The Trajectory of an object whose box centre rides at height ``z`` (m) along the path."""
        keep = _needed_keyframes(self.times, self.positions, self.headings)
        poses = [make_pose(rotation_z(float(self.headings[k])), [*self.positions[k], z]) for k in np.flatnonzero(keep)]
        return Trajectory(times=[float(t) for t in self.times[keep]], poses=poses)


def keyframe_times(duration_s: float) -> np.ndarray:
    """Keyframe times covering [0, duration_s] (inclusive, the last one exactly at duration_s)."""
    count = int(np.ceil(duration_s / KEYFRAME_DT_S - 1e-9))
    return np.linspace(0.0, count * KEYFRAME_DT_S, count + 1) if count > 0 else np.array([0.0])


def _needed_keyframes(times: np.ndarray, positions: np.ndarray, headings: np.ndarray) -> np.ndarray:
    """Mask of keyframes that linear interpolation between the kept neighbours cannot reproduce
    (1e-9 m, 1e-12 rad). The first and last keyframes are always kept."""
    keep = np.ones(len(times), dtype=bool)
    if len(times) <= 2:
        return keep
    last = 0
    for k in range(1, len(times) - 1):
        alpha = (times[k] - times[last]) / (times[k + 1] - times[last])
        pos = positions[last] + alpha * (positions[k + 1] - positions[last])
        head = headings[last] + alpha * (headings[k + 1] - headings[last])
        if np.abs(pos - positions[k]).max() < 1e-9 and abs(head - headings[k]) < 1e-12:
            keep[k] = False
        else:
            last = k
    if np.all(np.abs(positions - positions[0]) < 1e-12) and np.all(np.abs(headings - headings[0]) < 1e-15):
        keep[1:] = False  # not moving at all: a single keyframe is a static object
    return keep


def integrate(times: np.ndarray, speed: np.ndarray) -> np.ndarray:
    """Distance travelled (n,) m at each time by trapezoidal integration of speed (n,) m/s."""
    if len(times) < 2:
        return np.zeros(len(times))
    steps = 0.5 * (speed[1:] + speed[:-1]) * np.diff(times)
    return np.concatenate([[0.0], np.cumsum(steps)])


def smoothstep(x: np.ndarray) -> np.ndarray:
    """0 for x <= 0, 1 for x >= 1, C1-smooth cubic in between."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def blended_speed(times: np.ndarray, speeds: list[float], switch_times: list[float], ramp_s: float) -> np.ndarray:
    """Piecewise-constant speeds (m/s) switching at ``switch_times`` (s), each switch a smooth ramp of
    ``ramp_s`` seconds centred on it."""
    out = np.full(len(times), float(speeds[0]))
    for k, t_switch in enumerate(switch_times):
        out += (speeds[k + 1] - speeds[k]) * smoothstep((times - (t_switch - ramp_s / 2)) / ramp_s)
    return out


def along_x(
    model: str, params: dict[str, Any], times: np.ndarray, x0: float, y0: float, direction: float, speed: np.ndarray
) -> Motion:
    """Travel along ±x (``direction`` = +1 or -1) from (x0, y0) with the given speed profile."""
    s = integrate(times, speed)
    positions = np.column_stack([x0 + direction * s, np.full(len(times), y0)])
    heading = 0.0 if direction > 0 else np.pi
    return Motion(model, params, times, positions, np.full(len(times), heading))


def lane_change(
    params: dict[str, Any],
    times: np.ndarray,
    x0: float,
    y0: float,
    direction: float,
    speed: float,
    dy: float,
    start_s: float,
    duration_s: float,
) -> Motion:
    """Constant speed along ±x with a smooth lateral move of ``dy`` metres between ``start_s`` and
    ``start_s + duration_s``; the heading follows the path's tangent."""
    s = speed * times
    lateral = dy * smoothstep((times - start_s) / duration_s)
    positions = np.column_stack([x0 + direction * s, y0 + lateral])
    # d(lateral)/dt of the smoothstep, for an exact tangent at every keyframe
    u = np.clip((times - start_s) / duration_s, 0.0, 1.0)
    lateral_rate = dy * 6.0 * u * (1.0 - u) / duration_s
    headings = np.arctan2(lateral_rate, direction * speed)
    return Motion("lane_change", params, times, positions, headings)


def walk_across(
    params: dict[str, Any],
    times: np.ndarray,
    x0: float,
    y_start: float,
    y_end: float,
    speed: float,
    start_s: float,
) -> Motion:
    """Wait at ``y_start`` until ``start_s``, walk at ``speed`` straight to ``y_end``, then stand."""
    span = abs(y_end - y_start)
    travelled = np.clip((times - start_s) * speed, 0.0, span)
    direction = np.sign(y_end - y_start)
    positions = np.column_stack([np.full(len(times), x0), y_start + direction * travelled])
    return Motion("walk_across", params, times, positions, np.full(len(times), direction * np.pi / 2))


def static(model: str, params: dict[str, Any], times: np.ndarray, x: float, y: float, heading: float) -> Motion:
    """Not moving (parked, standing, placed)."""
    return Motion(model, params, times, np.tile([x, y], (len(times), 1)), np.full(len(times), heading))

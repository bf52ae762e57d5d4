"""Scenarios at the intersection layout (``generator.world.intersection``).

``turn_across_path`` follows Euro NCAP's CCFtap set-up (Car-to-Car Front turn-across-path, Euro NCAP
AEB Car-to-Car test protocol, v4.x): the ego (VUT) turns left at a junction across the path of an
oncoming car (GVT) going straight; ego 10 / 15 / 20 km/h, target 30 / 45 / 60 km/h. The ego's path is a
straight approach in its lane, a circular arc of ``turn_radius_m`` (its origin's path; headings are the
arc's exact tangents) and a straight exit into the crossing road's first lane heading +y. The protocol
ties the VUT's turning radius to its speed; here the radius is a parameter of its own (default
9-15 m, a city junction's), so a sweep can cover tighter and wider turns.

The conflict point is where the ego's path crosses the centre line of the target's lane (the first
oncoming lane). The critical moment is when both would reach it: the target's box centre does, at its
constant speed, and so would the ego's origin had it kept its approach speed. The ego yields instead: it
brakes (``ego_deceleration_mps2``) to a stop where its footprint stays YIELD_CLEARANCE_M short of the
target's lane, waits until the target has passed, then pulls away (``ego_acceleration_mps2``) back to
its speed and completes the turn; no keyframe shows the two overlapping.

The scenario places the junction: the ego starts on its approach at the origin, as on every street, or,
when the critical moment comes too soon for that (a still shows the yield itself), inside its turn,
which then begins at x = 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from generator.errors import ConfigError
from generator.world.motion import KEYFRAME_DT_S, Motion, along_x
from generator.world.placement import SweptFootprint, swept_overlap
from generator.world.scenarios.base import (
    EGO_CENTRE_X_M,
    EGO_LENGTH_M,
    EGO_WIDTH_M,
    KMH,
    Actor,
    Parameter,
    ScenarioContext,
    ScenarioPlan,
    ScenarioSpec,
    ego_footprint,
)

YIELD_CLEARANCE_M = 0.7  # the yielding ego's footprint stays this far from the target's lane band
PASS_CLEARANCE_M = 0.5  # the ego pulls away once its footprint keeps this gap from the passing target
SEARCH_STEP_M = 0.01  # arc-length resolution of the yield point


def turn_path(sigma: np.ndarray, x_start: float, y_lane: float, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Ground positions (n, 2) world m and headings (n,) rad of a left turn at arc length ``sigma``
    (n,) m from the turn-in point (x_start, y_lane): before it (sigma < 0) straight along +x, then a
    circular arc of ``radius`` m turning to heading pi / 2, then straight along +y."""
    quarter = radius * np.pi / 2.0
    theta = np.clip(sigma, 0.0, quarter) / radius
    x = x_start + np.minimum(sigma, 0.0) + radius * np.sin(theta)
    y = y_lane + radius * (1.0 - np.cos(theta)) + np.maximum(sigma - quarter, 0.0)
    return np.column_stack([x, y]), theta


def conflict_arc_length(y_lane: float, y_target: float, radius: float) -> float:
    """Arc length (m) from the turn-in point to where the path crosses the line y = ``y_target``."""
    rise = y_target - y_lane
    if rise <= radius:  # on the arc: y_lane + R (1 - cos theta) = y_target
        return radius * float(np.arccos(1.0 - rise / radius))
    return radius * np.pi / 2.0 + rise - radius  # on the straight exit


def yield_arc_length(y_lane: float, radius: float, y_limit: float) -> float:
    """The furthest arc length (m) at which the ego's footprint (EGO_LENGTH_M x EGO_WIDTH_M, centred
    EGO_CENTRE_X_M along its heading) stays below y = ``y_limit``."""
    sigma = np.arange(-EGO_LENGTH_M, radius * np.pi / 2.0 + EGO_LENGTH_M, SEARCH_STEP_M)
    points, heading = turn_path(sigma, 0.0, y_lane, radius)
    centre_y = points[:, 1] + EGO_CENTRE_X_M * np.sin(heading)
    top = centre_y + EGO_LENGTH_M / 2.0 * np.abs(np.sin(heading)) + EGO_WIDTH_M / 2.0 * np.cos(heading)
    over = np.flatnonzero(top > y_limit)
    if len(over) == 0 or over[0] == 0:
        raise ValueError(f"no yield point below y = {y_limit:.2f} m on a turn of radius {radius:.2f} m")
    return float(sigma[over[0] - 1])


def yielding_progress(
    times: np.ndarray, speed: float, brake_s: float, deceleration: float, go_s: float, acceleration: float
) -> np.ndarray:
    """Distance (m) along the path, relative to the stop point, at ``times`` (s): ``speed`` (m/s) until
    ``brake_s``, braking at ``deceleration`` (m/s^2) to a stop (at 0), standing until ``go_s``, then
    pulling away at ``acceleration`` (m/s^2) back to ``speed``. Closed form: exact at every keyframe."""
    stop_s = brake_s + speed / deceleration
    before = -speed * speed / (2.0 * deceleration)  # the stop point is this far past the brake onset
    braking = np.clip(times - brake_s, 0.0, speed / deceleration)
    approach = np.where(
        times < brake_s, before + speed * (times - brake_s), before + speed * braking - 0.5 * deceleration * braking**2
    )
    pull = np.clip(times - go_s, 0.0, speed / acceleration)
    away = 0.5 * acceleration * pull**2 + speed * np.maximum(times - go_s - speed / acceleration, 0.0)
    return np.where(times < stop_s, approach, np.where(times < go_s, 0.0, away))


def _ego_motion(ctx: ScenarioContext, geometry: dict[str, float], go_s: float) -> Motion:
    g = geometry
    along = g["yield_arc_m"] + yielding_progress(
        ctx.times, g["speed_mps"], g["brake_s"], g["deceleration_mps2"], go_s, g["acceleration_mps2"]
    )
    positions, headings = turn_path(along, g["turn_in_x_m"], ctx.ego_lane_y, g["radius_m"])
    params = {**g, "go_s": None if not np.isfinite(go_s) else float(go_s)}
    return Motion("turn_left_yielding", params, ctx.times, positions, headings)


def _pull_away_time(ctx: ScenarioContext, geometry: dict[str, float], target: Motion, size: tuple) -> float:
    """The first keyframe time, not before the ego's stop, at which it can pull away and complete its
    turn keeping PASS_CLEARANCE_M from the target at every keyframe (inf: not within the sequence)."""
    swept = SweptFootprint(target.positions, target.headings, size[0], size[1])
    stop_s = geometry["brake_s"] + geometry["speed_mps"] / geometry["deceleration_mps2"]
    first = int(np.ceil(max(stop_s, 0.0) / KEYFRAME_DT_S - 1e-9))
    for k in range(first, len(ctx.times)):
        go_s = float(ctx.times[k])
        if not swept_overlap(ego_footprint(_ego_motion(ctx, geometry, go_s)), swept, PASS_CLEARANCE_M):
            return go_s
    return float("inf")


def check_turn_fits(ctx: ScenarioContext, radius: float) -> None:
    """Raise ConfigError naming scenario.turn_radius_m when the ego's origin, on an arc of ``radius``
    m ending in the crossing road's first lane, would leave the ego's road beside the crossing road
    (across a corner) rather than into it: too wide a turn for the junction's roads."""
    half_ego_road, half_crossing = ctx.half_road, float(ctx.layout["crossing_half_width_m"])
    rise = half_ego_road - ctx.ego_lane_y  # from the ego lane's centre to the far curb
    if rise >= radius:
        return  # the turn ends before it leaves the ego's road
    theta = float(np.arccos(1.0 - rise / radius))
    short = radius * (1.0 - np.sin(theta)) - ctx.lane_width / 2.0  # west of the exit lane's centre
    if short > half_crossing:
        raise ConfigError(
            f"scenario.turn_radius_m: a {radius:.1f} m turn cuts the junction's corner "
            f"({ctx.layout['crossing_lanes_per_direction']} crossing lane(s) each way); draw a smaller radius"
        )


def _turn_across_path(ctx: ScenarioContext) -> ScenarioPlan:
    p = ctx.params
    speed, target_speed = p["ego_speed_kmh"] * KMH, p["target_speed_kmh"] * KMH
    radius, deceleration = float(p["turn_radius_m"]), float(p["ego_deceleration_mps2"])
    check_turn_fits(ctx, radius)
    choice = ctx.asset(0, "car")
    y_target = ctx.lane_y(-1)
    conflict = conflict_arc_length(ctx.ego_lane_y, y_target, radius)
    stop = yield_arc_length(ctx.ego_lane_y, radius, y_target - choice.size_m[1] / 2.0 - YIELD_CLEARANCE_M)
    # on schedule (the ego's origin at the conflict point at the critical moment) until it brakes
    brake_at = stop - speed * speed / (2.0 * deceleration)
    brake_s = ctx.critical_time_s - (conflict - brake_at) / speed
    geometry = {
        "speed_mps": speed,
        "radius_m": radius,
        "turn_in_x_m": 0.0,
        "yield_arc_m": stop,
        "brake_s": brake_s,
        "deceleration_mps2": deceleration,
        "acceleration_mps2": float(p["ego_acceleration_mps2"]),
    }
    # where the ego is at t = 0 (arc length from the turn-in point) fixes where the turn-in point is
    start = stop + float(yielding_progress(np.array([0.0]), speed, brake_s, deceleration, np.inf, 1.0)[0])
    geometry["turn_in_x_m"] = max(0.0, -start)
    [conflict_xy], _ = turn_path(np.array([conflict]), geometry["turn_in_x_m"], ctx.ego_lane_y, radius)
    x0 = float(conflict_xy[0]) + target_speed * ctx.critical_time_s
    target = along_x(
        "constant_velocity",
        {"speed_mps": target_speed},
        ctx.times,
        x0,
        y_target,
        -1.0,
        np.full(len(ctx.times), target_speed),
    )
    go_s = _pull_away_time(ctx, geometry, target, choice.size_m)
    ego = _ego_motion(ctx, geometry, go_s)
    actor = Actor("oncoming_car", "car", choice, target, ctx.material(0, "car"))
    # the turn ends in the crossing road's first lane heading +y: its centre line is half a lane west
    junction_x = geometry["turn_in_x_m"] + radius - ctx.lane_width / 2.0
    derived: dict[str, Any] = {
        "conflict_point_m": [float(v) for v in conflict_xy],
        "conflict_arc_m": conflict,
        "yield_arc_m": stop,
        "turn_in_x_m": geometry["turn_in_x_m"],
        "brake_s": brake_s,
        "stop_s": brake_s + speed / deceleration,
        "go_s": None if not np.isfinite(go_s) else go_s,
        "outcome": "ego_yields",
    }
    return ScenarioPlan([actor], ego=ego, derived=derived, junction_x_m=junction_x)


TURN_ACROSS_PATH = ScenarioSpec(
    name="turn_across_path",
    min_lane_width_m=3.0,  # narrower lanes leave no yield point short of the oncoming lane for the 2.4 m ego
    description="the ego turns left at a junction across the path of an oncoming car going straight (CCFtap)",
    critical_moment=(
        "the oncoming car reaches the conflict point (where the ego's turn crosses its lane), as the ego "
        "would at its approach speed; the ego yields short of the lane"
    ),
    parameters={
        "ego_speed_kmh": Parameter(
            "ego speed on its approach and through the turn (Euro NCAP: 10, 15, 20)", 3, 40, "km/h"
        ),
        "target_speed_kmh": Parameter("oncoming car's speed, straight on (Euro NCAP: 30, 45, 60)", 5, 100, "km/h"),
        "turn_radius_m": Parameter("radius of the ego's left turn (its origin's path)", 6, 40, "m"),
        "ego_deceleration_mps2": Parameter("ego's braking to yield short of the oncoming lane", 0.5, 10.0, "m/s^2"),
        "ego_acceleration_mps2": Parameter("ego's pulling away once the oncoming car has passed", 0.3, 5.0, "m/s^2"),
    },
    build=_turn_across_path,
    layout="intersection",
    ego_speed_kmh="ego_speed_kmh",
)

SPECS: list[ScenarioSpec] = [TURN_ACROSS_PATH]

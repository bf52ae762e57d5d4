"""Scenarios between vehicles: a car cutting in, a lead car braking, a stopped car and a wrong-way car.

Set-ups follow the Euro NCAP AEB Car-to-Car test protocol (v4.3, 2023) where it has them: CCRb (a lead
car braking ahead; both at 50 km/h, headway 12 or 40 m, deceleration 2 or 6 m/s^2), CCRs (a stationary
car ahead, lateral overlap -75 % .. 100 % of the ego's width) and CCFhos (head-on straight: a car coming
towards the ego in its lane). The cut-in follows the cut-in tests of the Euro NCAP Assisted Driving
(Highway Assist) protocols: a car from the adjacent lane cuts in at a gap and a relative speed.

Distances to a vehicle ahead run from the ego's front (``EGO_FRONT_M`` ahead of its origin, where the
camera is) to the vehicle's nearest face. The ego reacts after the critical moment (its reaction time,
then its deceleration): :func:`ego_response` checks the gap on the closed-form paths of both, over the
whole manoeuvre (not only the sequence's frames), and brakes harder (up to about 1 g) or, when even that
is not enough, sooner (never before the critical moment) so that the ego always stays at least
``FOLLOW_CLEARANCE_M`` behind; ``derived.outcome`` says which. No frame shows two vehicles
interpenetrating.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from generator.errors import ConfigError
from generator.world.motion import Motion, lane_change, smoothstep, static
from generator.world.pieces import AssetChoice
from generator.world.placement import STREET_MARGIN_M, SweptFootprint, swept_overlap
from generator.world.scenarios.base import (
    CLEARANCE_M,
    EGO_FRONT_M,
    EGO_WIDTH_M,
    KMH,
    MAX_DECELERATION_MPS2,
    Actor,
    Parameter,
    ScenarioContext,
    ScenarioPlan,
    ScenarioSpec,
    braking_ego,
    ego_footprint,
    slowing_distance,
    slowing_ego,
    slowing_ego_x,
)
from generator.world.scenarios.vulnerable import EGO_BODY_WIDTH_M, EGO_RESPONSE

FOLLOW_CLEARANCE_M = CLEARANCE_M  # the ego never comes closer than this to a vehicle in its path (m)
PLACER_MARGIN_M = STREET_MARGIN_M  # street.place_objects keeps footprints this far apart (m)
SLACK_M = 0.05
SOLVE_DT_S = 0.005  # time step of the gap check on the closed-form paths (s)
BISECTION_STEPS = 40


# --- closed-form kinematics ----------------------------------------------------------------------------
def braking_x(t: np.ndarray, x_onset: float, v0: float, onset_s: float, a: float) -> np.ndarray:
    """x (m) at times ``t`` (s) of a vehicle at ``x_onset`` when it starts braking at ``onset_s``: constant
    ``v0`` (m/s) along +x before, constant deceleration ``a`` (m/s^2) to a standstill after."""
    t = np.asarray(t, dtype=float)
    return x_onset + np.where(t < onset_s, v0 * (t - onset_s), slowing_distance(v0, a, 0.0, t - onset_s))


def lane_change_extent(
    times: np.ndarray, speed: float, dy: float, start_s: float, duration_s: float, size: tuple[float, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Heading angle off the travel direction (rad, >= 0) of :func:`motion.lane_change` at ``times`` and
    the half extents (m) along x and y of the footprint of a ``size`` (length, width) vehicle at that
    angle (a rectangle turned by theta reaches L/2 cos + W/2 sin along its travel and L/2 sin + W/2 cos
    across it)."""
    u = np.clip((np.asarray(times, dtype=float) - start_s) / duration_s, 0.0, 1.0)
    theta = np.arctan2(np.abs(dy) * 6.0 * u * (1.0 - u) / duration_s, speed)
    half_l, half_w = size[0] / 2.0, size[1] / 2.0
    along = half_l * np.cos(theta) + half_w * np.sin(theta)
    across = half_l * np.sin(theta) + half_w * np.cos(theta)
    return theta, along, across


# --- the ego's response ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Obstacle:
    """What the ego must stay behind: ``face_x(t)`` the x (world m) of the vehicle's face nearest the ego
    at times ``t`` (s, an array); from ``settle_s`` on it stands still or moves away no slower than the
    ego's final speed, and after ``until_s`` it is out of the ego's path (it swerved away)."""

    face_x: Callable[[np.ndarray], np.ndarray]
    settle_s: float
    until_s: float = np.inf


def ego_front_x(ctx: ScenarioContext, t: np.ndarray, start_s: float, a: float, final_speed: float) -> np.ndarray:
    """x (world m) of the ego's front at ``t`` when it slows from its speed at ``start_s`` at ``a``
    (m/s^2) to ``final_speed`` (m/s)."""
    return EGO_FRONT_M + slowing_ego_x(ctx, t, start_s, a, final_speed)


def min_gap(ctx: ScenarioContext, obstacle: Obstacle, start_s: float, a: float, final_speed: float) -> float:
    """The smallest gap (m) between the ego's front and the obstacle from the critical moment until both
    have settled (or the obstacle has left the ego's path)."""
    t0 = ctx.critical_time_s
    end = max(min(max(start_s + (ctx.ego_speed - final_speed) / a, obstacle.settle_s), obstacle.until_s), t0)
    t = np.linspace(t0, end, max(2, int(np.ceil((end - t0) / SOLVE_DT_S)) + 1))
    return float(np.min(obstacle.face_x(t) - ego_front_x(ctx, t, start_s, a, final_speed)))


def _bisect(holds: Callable[[float], bool], good: float, bad: float) -> float:
    """The value nearest ``bad`` for which ``holds`` is still True (``holds(good)`` is), by bisection;
    ``holds`` must be monotone between them."""
    for _ in range(BISECTION_STEPS):
        middle = 0.5 * (good + bad)
        good, bad = (middle, bad) if holds(middle) else (good, middle)
    return good


def ego_response(
    ctx: ScenarioContext,
    obstacle: Obstacle,
    reaction_s: float,
    deceleration: float,
    final_speed: float = 0.0,
    names: str = "",
) -> tuple[Motion, dict[str, Any]]:
    """The ego braking for ``obstacle``: constant speed until ``reaction_s`` after the critical moment,
    then slowing at ``deceleration`` (m/s^2) to ``final_speed`` (m/s; 0: a stop, else it then follows at
    that speed), so that its front stays FOLLOW_CLEARANCE_M behind the obstacle's face. When that
    deceleration is not enough it brakes harder, up to MAX_DECELERATION_MPS2 (about 1 g, what tyres on
    dry asphalt allow); when even that is not enough, sooner, at the latest onset (not before the critical
    moment) that still keeps the clearance. Raises ConfigError naming ``names`` (the parameters that set
    the situation up) when no braking keeps it: the config draws a combination the scenario cannot stage
    (the first scene stops the run with that line; a later one goes to failures.jsonl).

    Returns the motion and the derived values (onset, deceleration, smallest gap, outcome)."""
    t_c = ctx.critical_time_s
    start, a = t_c + reaction_s, float(deceleration)

    def holds(onset: float, decel: float) -> bool:
        return min_gap(ctx, obstacle, onset, decel, final_speed) >= FOLLOW_CLEARANCE_M

    if holds(start, a):
        outcome = "ego_brakes"
    elif holds(start, MAX_DECELERATION_MPS2):
        a, outcome = _bisect(lambda d: holds(start, d), MAX_DECELERATION_MPS2, a), "ego_brakes_harder"
    elif holds(t_c, MAX_DECELERATION_MPS2):
        a = MAX_DECELERATION_MPS2
        start, outcome = _bisect(lambda s: holds(s, a), t_c, start), "ego_brakes_sooner"
    else:
        raise ConfigError(
            f"{names}: the ego cannot stop {FOLLOW_CLEARANCE_M:g} m short even braking at "
            f"{MAX_DECELERATION_MPS2:g} m/s^2 at the critical moment; draw a longer time or distance"
        )
    if final_speed > 0.0:
        ego = slowing_ego(ctx, start, a, final_speed, model="ego_following")  # an adaptive cruise control's response
    else:
        ego = braking_ego(ctx, start, a)
    derived = {
        "ego_brake_s": float(start),
        "ego_deceleration_mps2": float(a),
        "ego_final_speed_mps": float(final_speed),
        "min_gap_m": min_gap(ctx, obstacle, start, a, final_speed),
        "outcome": outcome,
    }
    return ego, derived


def check_clear_of_ego(ego: Motion, motion: Motion, choice: AssetChoice, names: str) -> None:
    """Raise ConfigError naming ``names`` when the actor's path comes within the placer's margin of the
    ego's reserved footprint at some keyframe (``street.scenario_entities`` would refuse it)."""
    swept = SweptFootprint(motion.positions, motion.headings, *choice.size_m[:2])
    if swept_overlap(ego_footprint(ego), swept, PLACER_MARGIN_M + SLACK_M):
        raise ConfigError(f"{names}: this combination drives the vehicle into the ego's side")


# --- cut_in ---------------------------------------------------------------------------------------------
def _cut_in(ctx: ScenarioContext) -> ScenarioPlan:
    """A car from lane 1 (right of the ego, same direction) changes into the ego lane; its centre crosses
    the lane line (y = -lane_width) at the critical moment, its rear ``gap_m`` ahead of the ego's front."""
    p = ctx.params
    choice = ctx.asset(0, "car")
    length = choice.size_m[0]
    t_c, duration, w = ctx.critical_time_s, float(p["lane_change_s"]), ctx.lane_width
    speed = ctx.ego_speed + float(p["relative_speed_mps"])
    x_centre = ctx.ego_x(t_c) + EGO_FRONT_M + float(p["gap_m"]) + length / 2.0  # at the crossing
    x0, start = x_centre - speed * t_c, t_c - duration / 2.0  # the smoothstep is half-way at t_c
    params = {"speed_mps": speed, "dy_m": w, "start_s": start, "duration_s": duration}
    motion = lane_change(params, ctx.times, x0, ctx.lane_y(1), 1.0, speed, w, start, duration)
    derived: dict[str, Any] = {
        "lane_line_y_m": -w,
        "crossing_x_m": x_centre,
        "cut_in_speed_mps": speed,
        "lane_change_start_s": start,
    }
    ego = None
    if speed < ctx.ego_speed:  # the gap closes: the ego slows to the cut-in car's speed behind it

        def rear(t: np.ndarray) -> np.ndarray:
            return x0 + speed * t - lane_change_extent(t, speed, w, start, duration, choice.size_m)[1]

        ego, response = ego_response(
            ctx,
            Obstacle(rear, settle_s=start + duration),
            float(p["ego_reaction_s"]),
            float(p["ego_deceleration_mps2"]),
            final_speed=speed,
            names="scenario.gap_m / scenario.relative_speed_mps",
        )
        derived.update(response)
    else:
        derived["outcome"] = "ego_keeps_speed"
    names = "scenario.gap_m / scenario.relative_speed_mps / scenario.lane_change_s"
    check_clear_of_ego(ego if ego is not None else ctx.ego, motion, choice, names)
    actor = Actor("cut_in_vehicle", "car", choice, motion, ctx.material(0, "car"))
    return ScenarioPlan([actor], ego=ego, derived=derived)


# --- lead_vehicle_braking (CCRb) -------------------------------------------------------------------------
def _lead_vehicle_braking(ctx: ScenarioContext) -> ScenarioPlan:
    """A car ahead in the ego lane at the ego's speed brakes at the critical moment at a constant
    ``lead_deceleration_mps2`` to a standstill (positions in closed form at every keyframe)."""
    p = ctx.params
    choice = ctx.asset(0, "car")
    t_c, v, a = ctx.critical_time_s, ctx.ego_speed, float(p["lead_deceleration_mps2"])
    rear_at_onset = ctx.ego_x(t_c) + EGO_FRONT_M + float(p["headway_m"])

    def rear(t: np.ndarray) -> np.ndarray:
        return braking_x(t, rear_at_onset, v, t_c, a)

    positions = np.column_stack([rear(ctx.times) + choice.size_m[0] / 2.0, np.full(len(ctx.times), ctx.ego_lane_y)])
    params = {"speed_mps": v, "brake_s": t_c, "deceleration_mps2": a}
    motion = Motion("braking_lead", params, ctx.times, positions, np.zeros(len(ctx.times)))
    ego, derived = ego_response(
        ctx,
        Obstacle(rear, settle_s=t_c + v / a),
        float(p["ego_reaction_s"]),
        float(p["ego_deceleration_mps2"]),
        names="scenario.headway_m / scenario.lead_deceleration_mps2",
    )
    derived.update({"lead_stop_s": t_c + v / a, "lead_stop_x_m": float(rear(np.array([t_c + v / a]))[0])})
    actor = Actor("braking_lead", "car", choice, motion, ctx.material(0, "car"))
    return ScenarioPlan([actor], ego=ego, derived=derived)


# --- stationary_vehicle (CCRs) ---------------------------------------------------------------------------
def overlap_y(ctx: ScenarioContext, overlap_pct: float) -> float:
    """World y (m) of a target's centre covering ``overlap_pct`` % of the ego's width (Euro NCAP: the
    share of the ego's width that overlaps the target): its centre line is offset from the ego's by
    (1 - |overlap|) of the ego's width, to the right (y < 0) for overlaps >= 0, to the left for negative
    ones (for a target as wide as the ego the overlap is then exact)."""
    side = 1.0 if overlap_pct >= 0.0 else -1.0
    return ctx.ego_lane_y - side * (1.0 - abs(overlap_pct) / 100.0) * EGO_BODY_WIDTH_M


def _stationary_vehicle(ctx: ScenarioContext) -> ScenarioPlan:
    """A stopped car in the ego lane, ``ttc_s`` ahead of the ego's front at the critical moment (the ego
    at constant speed), offset by the sampled overlap; the ego brakes after its reaction time."""
    p = ctx.params
    choice = ctx.asset(0, "car")
    t_c, v = ctx.critical_time_s, ctx.ego_speed
    rear = ctx.ego_x(t_c) + EGO_FRONT_M + v * float(p["ttc_s"])
    y = overlap_y(ctx, float(p["overlap_pct"]))
    motion = static(
        "stationary", {"overlap_pct": float(p["overlap_pct"])}, ctx.times, rear + choice.size_m[0] / 2, y, 0.0
    )
    ego, derived = ego_response(
        ctx,
        Obstacle(lambda t: np.full(len(t), rear), settle_s=t_c),
        float(p["ego_reaction_s"]),
        float(p["ego_deceleration_mps2"]),
        names="scenario.ttc_s / scenario.ego_speed_kmh",
    )
    derived.update({"rear_x_m": rear, "centre_y_m": y})
    actor = Actor("stationary_vehicle", "car", choice, motion, ctx.material(0, "car"))
    return ScenarioPlan([actor], ego=ego, derived=derived)


# --- wrong_way_vehicle (CCFhos) --------------------------------------------------------------------------
def _wrong_way_vehicle(ctx: ScenarioContext) -> ScenarioPlan:
    """A car driving towards -x in the ego lane, ``ttc_s`` from a head-on collision at the critical
    moment (both at constant speed: their fronts ``(v_ego + v_car) * ttc_s`` apart). ``wrong_way_reaction_s``
    later it either brakes to a stop or swerves back to its own lane (the first oncoming lane); the ego
    brakes after its own reaction time, as long as the car is in its path."""
    p = ctx.params
    choice = ctx.asset(0, "car")
    t_c, v_w = ctx.critical_time_s, float(p["wrong_way_speed_kmh"]) * KMH
    distance = (ctx.ego_speed + v_w) * float(p["ttc_s"])
    front_at_c = ctx.ego_x(t_c) + EGO_FRONT_M + distance  # its front faces -x: the face nearest the ego
    react = t_c + float(p["wrong_way_reaction_s"])
    if p["wrong_way_response"] == "brake":
        motion, obstacle = _wrong_way_braking(ctx, choice, front_at_c, v_w, react)
    else:
        motion, obstacle = _wrong_way_swerve(ctx, choice, front_at_c, v_w, react)
    ego, derived = ego_response(
        ctx,
        obstacle,
        float(p["ego_reaction_s"]),
        float(p["ego_deceleration_mps2"]),
        names="scenario.ttc_s / scenario.wrong_way_speed_kmh / scenario.wrong_way_reaction_s",
    )
    check_clear_of_ego(ego, motion, choice, "scenario.ttc_s / scenario.wrong_way_speed_kmh / scenario.swerve_s")
    derived.update(
        {"closing_speed_mps": ctx.ego_speed + v_w, "distance_m": distance, "response": p["wrong_way_response"]}
    )
    actor = Actor("wrong_way_vehicle", "car", choice, motion, ctx.material(0, "car"))
    return ScenarioPlan([actor], ego=ego, derived=derived)


def _wrong_way_braking(
    ctx: ScenarioContext, choice: AssetChoice, front_at_c: float, v_w: float, react: float
) -> tuple[Motion, Obstacle]:
    """The wrong-way car keeping its speed ``v_w`` (m/s, towards -x) until ``react``, then braking at
    ``wrong_way_deceleration_mps2`` to a stop in the ego lane."""
    a, t_c = float(ctx.params["wrong_way_deceleration_mps2"]), ctx.critical_time_s
    onset_x = front_at_c - v_w * (react - t_c)

    def front(t: np.ndarray) -> np.ndarray:  # mirrored: distance covered towards -x
        return 2.0 * onset_x - braking_x(t, onset_x, v_w, react, a)

    positions = np.column_stack([front(ctx.times) + choice.size_m[0] / 2.0, np.full(len(ctx.times), ctx.ego_lane_y)])
    params = {"speed_mps": v_w, "brake_s": react, "deceleration_mps2": a}
    motion = Motion("wrong_way_braking", params, ctx.times, positions, np.full(len(ctx.times), np.pi))
    return motion, Obstacle(front, settle_s=react + v_w / a)


def _wrong_way_swerve(
    ctx: ScenarioContext, choice: AssetChoice, front_at_c: float, v_w: float, react: float
) -> tuple[Motion, Obstacle]:
    """The wrong-way car keeping its speed ``v_w`` (m/s, towards -x) and, from ``react`` on, changing
    back over ``swerve_s`` to the first oncoming lane; it is out of the ego's path once its footprint
    stays clear of the ego's (reserved, EGO_WIDTH_M wide) for good."""
    duration, t_c = float(ctx.params["swerve_s"]), ctx.critical_time_s
    dy = ctx.lane_y(-1) - ctx.ego_lane_y
    x0 = front_at_c + v_w * t_c + choice.size_m[0] / 2.0  # its centre at t = 0
    params = {"speed_mps": v_w, "dy_m": dy, "start_s": react, "duration_s": duration}
    motion = lane_change(params, ctx.times, x0, ctx.ego_lane_y, -1.0, v_w, dy, react, duration)

    def front(t: np.ndarray) -> np.ndarray:
        return x0 - v_w * t - lane_change_extent(t, v_w, dy, react, duration, choice.size_m)[1]

    # out of the ego's path from the first time its near side (lowest y) stays past the ego's reserved width
    t = np.linspace(react, react + duration, max(2, int(np.ceil(duration / SOLVE_DT_S)) + 1))
    across = lane_change_extent(t, v_w, dy, react, duration, choice.size_m)[2]
    near_side = ctx.ego_lane_y + dy * smoothstep((t - react) / duration) - across
    blocked = np.flatnonzero(near_side < ctx.ego_lane_y + EGO_WIDTH_M / 2.0 + PLACER_MARGIN_M + 2 * SLACK_M)
    if len(blocked) and blocked[-1] == len(t) - 1:
        until = np.inf  # lanes too narrow to pass side by side: the ego must stop short of it
    else:
        until = float(t[blocked[-1] + 1]) if len(blocked) else react
    return motion, Obstacle(front, settle_s=react + duration, until_s=until)


# --- the specs -------------------------------------------------------------------------------------------
CUT_IN = ScenarioSpec(
    name="cut_in",
    description="a car from the lane to the ego's right cuts in ahead at a short gap (Euro NCAP Highway Assist cut-in)",
    critical_moment="the cut-in car's centre crosses the lane line between lane 1 and the ego lane, its rear gap_m "
    "ahead of the ego's front",
    parameters={
        "ego_speed_kmh": Parameter("ego speed", 30.0, 130.0, "km/h"),
        "gap_m": Parameter("gap from the ego's front to the cut-in car's rear at the critical moment", 3.0, 60.0, "m"),
        "relative_speed_mps": Parameter(
            "the cut-in car's speed minus the ego's (< 0: the gap closes)", -6.0, 6.0, "m/s"
        ),
        "lane_change_s": Parameter("duration of the lane change (centred on the critical moment)", 1.5, 10.0, "s"),
        **EGO_RESPONSE,
    },
    build=_cut_in,
    min_lanes_per_direction=2,
    ego_speed_kmh="ego_speed_kmh",
)

LEAD_VEHICLE_BRAKING = ScenarioSpec(
    name="lead_vehicle_braking",
    description="a lead car ahead in the ego lane at the ego's speed brakes hard (Euro NCAP CCRb)",
    critical_moment="the lead car starts braking at lead_deceleration_mps2, headway_m ahead of the ego's front",
    parameters={
        "ego_speed_kmh": Parameter("ego and lead car speed (Euro NCAP CCRb: 50)", 5.0, 130.0, "km/h"),
        "headway_m": Parameter(
            "gap from the ego's front to the lead's rear at the brake onset (CCRb: 12, 40)", 2.0, 200.0, "m"
        ),
        "lead_deceleration_mps2": Parameter(
            "the lead's constant deceleration to a stop (CCRb: 2, 6)", 0.5, 10.0, "m/s^2"
        ),
        **EGO_RESPONSE,
    },
    build=_lead_vehicle_braking,
    ego_speed_kmh="ego_speed_kmh",
)

STATIONARY_VEHICLE = ScenarioSpec(
    name="stationary_vehicle",
    description="a stopped car in the ego lane ahead, partly or fully in the ego's path (Euro NCAP CCRs)",
    critical_moment="the ego, at constant speed, is ttc_s from hitting the stopped car",
    parameters={
        "ego_speed_kmh": Parameter("ego speed (Euro NCAP CCRs: 10-50)", 5.0, 130.0, "km/h"),
        "overlap_pct": Parameter(
            "share of the ego's width the stopped car covers; >= 0 on the ego's right, < 0 on its left",
            -75.0,
            100.0,
            "%",
        ),
        "ttc_s": Parameter("time to collision at the critical moment (ego at constant speed)", 0.1, 20.0, "s"),
        **EGO_RESPONSE,
    },
    build=_stationary_vehicle,
    min_lanes_per_direction=2,  # a car offset to the ego's right reaches into lane 1, not over the curb
    ego_speed_kmh="ego_speed_kmh",
)

WRONG_WAY_VEHICLE = ScenarioSpec(
    name="wrong_way_vehicle",
    description="an oncoming car drives at the ego in its lane, then brakes or swerves back (Euro NCAP CCFhos)",
    critical_moment="the wrong-way car, heading -x in the ego lane, is ttc_s from a head-on collision (closing speed)",
    parameters={
        "ego_speed_kmh": Parameter("ego speed", 5.0, 130.0, "km/h"),
        "wrong_way_speed_kmh": Parameter("the wrong-way car's speed", 5.0, 130.0, "km/h"),
        "ttc_s": Parameter("time to collision at the critical moment (both at constant speed)", 0.1, 20.0, "s"),
        "wrong_way_response": Parameter(
            "what the wrong-way car does after its reaction time: brake to a stop or swerve back to its lane",
            options=("brake", "swerve"),
        ),
        "wrong_way_reaction_s": Parameter("the wrong-way car's reaction time after the critical moment", 0.0, 5.0, "s"),
        "wrong_way_deceleration_mps2": Parameter("its braking deceleration (response brake)", 0.5, 10.0, "m/s^2"),
        "swerve_s": Parameter("duration of its swerve back to its lane (response swerve)", 1.0, 10.0, "s"),
        **EGO_RESPONSE,
    },
    build=_wrong_way_vehicle,
    ego_speed_kmh="ego_speed_kmh",
)

SPECS: list[ScenarioSpec] = [CUT_IN, LEAD_VEHICLE_BRAKING, STATIONARY_VEHICLE, WRONG_WAY_VEHICLE]

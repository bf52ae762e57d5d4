"""Scenarios with vulnerable road users: pedestrians, children and cyclists in the ego's path.

Set-ups follow the Euro NCAP AEB VRU test protocol (v4.3, 2023): the pedestrian (or cyclist) is on a
collision course with the ego, reaching the impact point on the ego's front at the moment the ego's
front would arrive there at constant speed. The impact point is given as a share of the ego's width
(``impact_overlap_pct``), measured from the side the actor comes from. The ego brakes after the
critical moment (its reaction time, then its deceleration, harder when stopping short needs it, up to
about 1 g); when even that cannot stop it short of the actor's path, the actor waits at the edge of the
ego's path instead, so no frame shows the two interpenetrating (``derived.outcome`` says which).
"""

from __future__ import annotations

from typing import Any

from generator.world.motion import Motion, walk_across
from generator.world.scenarios.base import (
    EGO_FRONT_M,
    EGO_WIDTH_M,
    KMH,
    Actor,
    Parameter,
    ScenarioContext,
    ScenarioPlan,
    ScenarioSpec,
    ego_braking_for,
)

EGO_BODY_WIDTH_M = 1.9  # the ego car's width, against which impact points are measured (Euro NCAP)
CURB_OFFSET_M = 0.3  # a pedestrian waits this far into the road from the curb line
PATH_EDGE_CLEARANCE_M = 0.5  # a halting actor stops this far short of the ego's path (its footprint)

EGO_RESPONSE = {
    "ego_reaction_s": Parameter("ego's reaction time after the critical moment before it brakes", 0.0, 5.0, "s"),
    "ego_deceleration_mps2": Parameter(
        "ego's braking deceleration (harder, up to 10, when that is what stopping short takes)", 0.5, 10.0, "m/s^2"
    ),
}


def impact_y(ctx: ScenarioContext, from_right: bool, overlap_pct: float) -> float:
    """World y (m) of the impact point on the ego's front, ``overlap_pct`` % of its width in from the
    side the actor comes from (the right side: y < 0, the near-side curb)."""
    right_edge = ctx.ego_lane_y - EGO_BODY_WIDTH_M / 2.0
    left_edge = ctx.ego_lane_y + EGO_BODY_WIDTH_M / 2.0
    share = overlap_pct / 100.0
    return right_edge + share * EGO_BODY_WIDTH_M if from_right else left_edge - share * EGO_BODY_WIDTH_M


def crossing_walk(
    ctx: ScenarioContext,
    choice,
    near: bool,
    overlap_pct: float,
    speed: float,
    ttc_s: float,
    reaction_s: float,
    deceleration: float,
) -> tuple[Motion, Motion, dict[str, Any]]:
    """A road user crossing the road at ``speed`` (m/s) on a collision course with the ego: it reaches
    the impact point (``overlap_pct`` % of the ego's width in from its side) when the ego's front would at
    constant speed, ``ttc_s`` after the critical moment. Before it starts walking it waits at the curb
    (it may have started before the sequence). Returns its motion, the ego's braking motion and the
    derived values."""
    curb_y = -(ctx.half_road - CURB_OFFSET_M) if near else ctx.half_road - CURB_OFFSET_M
    y_impact = impact_y(ctx, near, overlap_pct)
    t_impact = ctx.critical_time_s + ttc_s
    walk_start = t_impact - abs(y_impact - curb_y) / speed
    # facing across the road, the actor's width lies along x and its length along y: the crossing line
    # is where the ego's front at t_impact touches the actor's near side
    half_x, half_y = choice.size_m[1] / 2.0, choice.size_m[0] / 2.0
    x_cross = ctx.ego_x(t_impact) + EGO_FRONT_M + half_x
    ego, stops = ego_braking_for(ctx, x_cross - half_x, ctx.critical_time_s + reaction_s, deceleration)
    y_stop = -curb_y
    if not stops:  # wait short of the ego's path (its reserved footprint's edge), on the side it came from
        side = -1.0 if near else 1.0
        edge = ctx.ego_lane_y + side * (EGO_WIDTH_M / 2.0 + PATH_EDGE_CLEARANCE_M + half_y)
        y_stop = max(edge, curb_y) if near else min(edge, curb_y)
    params = {"speed_mps": speed, "start_s": walk_start, "y_start_m": curb_y, "y_end_m": y_stop}
    motion = walk_across(params, ctx.times, x_cross, curb_y, y_stop, speed, walk_start)
    derived = {
        "impact_y_m": y_impact,
        "impact_time_s": t_impact,
        "walk_start_s": walk_start,
        "crossing_x_m": x_cross,
        "ego_deceleration_mps2": float(ego.params["deceleration_mps2"]),
        "outcome": "ego_stops" if stops else "actor_waits",
    }
    return motion, ego, derived


def _pedestrian_crossing(ctx: ScenarioContext) -> ScenarioPlan:
    p = ctx.params
    choice = ctx.asset(0, "pedestrian")
    motion, ego, derived = crossing_walk(
        ctx,
        choice,
        p["side"] == "near",
        p["impact_overlap_pct"],
        p["pedestrian_speed_kmh"] * KMH,
        p["ttc_s"],
        p["ego_reaction_s"],
        p["ego_deceleration_mps2"],
    )
    actor = Actor("crossing_pedestrian", "pedestrian", choice, motion, ctx.material(0))
    return ScenarioPlan([actor], ego=ego, derived=derived)


PEDESTRIAN_CROSSING = ScenarioSpec(
    name="pedestrian_crossing",
    description="an adult crosses in front of the ego from the near or far side (Euro NCAP CPNA / CPFA)",
    critical_moment="the pedestrian, crossing on a collision course, is ttc_s from impact with the ego's front",
    parameters={
        "side": Parameter("curb the pedestrian starts from: near (the ego's right) or far", options=("near", "far")),
        "impact_overlap_pct": Parameter("impact point on the ego's front, % of its width from that side", 0, 100, "%"),
        "pedestrian_speed_kmh": Parameter("walking speed (Euro NCAP: 5 near side, 8 far side)", 0.5, 20.0, "km/h"),
        "ego_speed_kmh": Parameter("ego speed", 0.0, 130.0, "km/h"),
        "ttc_s": Parameter("time to collision at the critical moment (ego at constant speed)", 0.1, 20.0, "s"),
        **EGO_RESPONSE,
    },
    build=_pedestrian_crossing,
    ego_speed_kmh="ego_speed_kmh",
)

SPECS: list[ScenarioSpec] = [PEDESTRIAN_CROSSING]

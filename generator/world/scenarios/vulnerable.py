"""Scenarios with vulnerable road users: pedestrians, children and cyclists in the ego's path.

Set-ups follow the Euro NCAP AEB VRU test protocol (v4.3, 2023): the pedestrian (or cyclist) is on a
collision course with the ego, reaching the impact point on the ego's front at the moment the ego's
front would arrive there at constant speed. The impact point is given as a share of the ego's width
(``impact_overlap_pct``), measured from the side the actor comes from. The ego brakes after the
critical moment (its reaction time, then its deceleration, harder when stopping short needs it, up to
about 1 g); when even that cannot stop it short of the actor's path, the actor waits at the edge of the
ego's path instead, so no frame shows the two interpenetrating (``derived.outcome`` says which).

The scenarios: ``pedestrian_crossing`` (CPNA / CPFA), ``occluded_pedestrian`` (CPNCO: a child steps out
from behind parked vehicles), ``cyclist_crossing`` (CBNA), ``cyclist_along`` (CBLA: a cyclist ahead in the
ego lane; the ego slows down to its speed behind it rather than stopping) and ``jaywalking_group``
(several pedestrians crossing mid-block together, an echelon that partly hides each member).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from assets.procedural import get_procedural
from generator.world.intersection import is_intersection, junction_for_crosswalk
from generator.world.motion import Motion, along_x, static, walk_across
from generator.world.pieces import AssetChoice, procedural_choice
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
    slowing_ego,
)
from generator.world.scenarios.manoeuvres import CYCLIST_ACCELERATION_MPS2, follow_braking, ride_across

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


def curb_wait_y(ctx: ScenarioContext, near: bool) -> float:
    """World y (m) where a road user waits to cross: CURB_OFFSET_M in from the near (right) or far curb."""
    return -(ctx.half_road - CURB_OFFSET_M) if near else ctx.half_road - CURB_OFFSET_M


def short_of_path_y(ctx: ScenarioContext, near: bool, half_y: float) -> float:
    """World y (m) of the centre of a crossing road user (``half_y`` m deep across the road) that halts
    PATH_EDGE_CLEARANCE_M short of the ego's path (its reserved footprint), on the side it came from; on
    the sidewalk, CURB_OFFSET_M behind the curb, when that point is past the curb (a one-lane road's
    near side: see :func:`on_sidewalk`). The point may lie behind where the road user waits to cross:
    the caller lets it wait there then."""
    side = -1.0 if near else 1.0
    edge = ctx.ego_lane_y + side * (EGO_WIDTH_M / 2.0 + PATH_EDGE_CLEARANCE_M + half_y)
    if abs(edge) + half_y <= ctx.half_road:
        return edge
    return side * (ctx.half_road + CURB_OFFSET_M + half_y)


def on_sidewalk(ctx: ScenarioContext, y: float) -> bool:
    """Whether a road user centred at world ``y`` (m) stands beyond the curb line (on the sidewalk)."""
    return abs(y) > ctx.half_road


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
    curb_y = curb_wait_y(ctx, near)
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
        y_stop = short_of_path_y(ctx, near, half_y)
        if abs(y_stop) > abs(curb_y):  # too close to the path at the curb already: it waits further back
            curb_y = y_stop
    support_z = ctx.curb_height_m if on_sidewalk(ctx, curb_y) else 0.0  # it never steps off the curb then
    params = {"speed_mps": speed, "start_s": walk_start, "y_start_m": curb_y, "y_end_m": y_stop}
    motion = walk_across(params, ctx.times, x_cross, curb_y, y_stop, speed, walk_start)
    derived = {
        "impact_y_m": y_impact,
        "impact_time_s": t_impact,
        "walk_start_s": walk_start,
        "crossing_x_m": x_cross,
        "ego_deceleration_mps2": float(ego.params["deceleration_mps2"]),
        "outcome": "ego_stops" if stops else "actor_waits",
        "support_z_m": support_z,
    }
    return motion, ego, derived


def _pedestrian_crossing(ctx: ScenarioContext) -> ScenarioPlan:
    p = ctx.params
    choice = ctx.person(0, "pedestrian", p["pedestrian_speed_kmh"] * KMH)
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
    actor = Actor("crossing_pedestrian", "pedestrian", choice, motion, ctx.material(0), derived["support_z_m"])
    # at an intersection the junction moves so that the crosswalk of the ego's arm is where it crosses
    junction_x = junction_for_crosswalk(ctx.layout, derived["crossing_x_m"]) if is_intersection(ctx.layout) else None
    return ScenarioPlan([actor], ego=ego, derived=derived, junction_x_m=junction_x)


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
    layout="any",  # at scene.layout=intersection, on the crosswalk before the junction
    ego_speed_kmh="ego_speed_kmh",
)


# --- occluded_pedestrian: a child steps out from behind parked vehicles (CPNCO) -------------------------
PARK_CURB_GAP_M = 0.3  # parked vehicles stand this far from the curb (as the street's parked cars do)
OCCLUDER_CLEARANCE_M = 0.3  # the child waits this far ahead of the hiding vehicle's front bumper (> the
# placer's 0.2 m margin)
CHILD_HEAD_ROOM_M = 0.2  # the hiding vehicle is at least this much taller than the child


def child_choice(ctx: ScenarioContext, height_m: float) -> AssetChoice:
    """The procedural pedestrian at a child's ``height_m`` (m): shoulders 24-30 % of the height as for the
    street's adults, the torso depth of a 1.75 m adult's 0.18-0.28 m scaled by height (rng: actor 0,
    part 3)."""
    rng = ctx.rng(0, 3)
    params = {
        "height": float(height_m),
        "shoulder_width": float(height_m * rng.uniform(0.24, 0.30)),
        "torso_depth": float(rng.uniform(0.18, 0.28) * height_m / 1.75),
    }
    return procedural_choice("pedestrian", params)


def parked_car(ctx: ScenarioContext, actor: int, height_m: float | None = None) -> AssetChoice:
    """A procedural car with the street's sampled proportions (rng: ``actor``, part 0), ``height_m`` tall
    when given (vans and SUVs as well as cars)."""
    params = get_procedural("car").sample(ctx.rng(actor, 0))
    if height_m is not None:
        params["height"] = float(height_m)
    return procedural_choice("car", params)


def parked_y(ctx: ScenarioContext, width_m: float) -> float:
    """World y (m) of the centre of a vehicle ``width_m`` wide parked against the right curb."""
    return -(ctx.half_road - width_m / 2.0 - PARK_CURB_GAP_M)


def _occluded_pedestrian(ctx: ScenarioContext) -> ScenarioPlan:
    """The child waits at the right curb in the gap in front of the first parked vehicle, where every
    line of sight from the ego camera to it crosses that vehicle (the camera is behind and to the left
    of it, and the vehicle is taller than the child), then walks across on a collision course with the
    ego; the critical moment is when its front passes the vehicle's inner side."""
    p = ctx.params
    speed = p["walking_speed_kmh"] * KMH
    child = ctx.person(0, "pedestrian", speed, child_choice(ctx, p["child_height_m"]))
    hider = parked_car(ctx, 1, max(p["occluder_height_m"], p["child_height_m"] + CHILD_HEAD_ROOM_M))
    y_inner = parked_y(ctx, hider.size_m[1]) + hider.size_m[1] / 2.0
    half_x, half_y = child.size_m[1] / 2.0, child.size_m[0] / 2.0  # facing across the road
    # the ttc at the critical moment follows from the geometry: the child's centre reaches the impact
    # point when the ego's front would (constant speed)
    ttc = (impact_y(ctx, True, p["impact_overlap_pct"]) - (y_inner - half_y)) / speed
    motion, ego, derived = crossing_walk(
        ctx, child, True, p["impact_overlap_pct"], speed, ttc, p["ego_reaction_s"], p["ego_deceleration_mps2"]
    )
    x_child = derived["crossing_x_m"]
    front = x_child - half_x - OCCLUDER_CLEARANCE_M  # the hiding vehicle's front bumper
    y_hider = parked_y(ctx, hider.size_m[1])
    occluders = [static("parked", {}, ctx.times, front - hider.size_m[0] / 2.0, y_hider, 0.0)]
    choices = [hider]
    if p["parked_vehicles"] >= 2:  # the second one stands ahead, across the gap the child walks out of
        second = parked_car(ctx, 2)
        rear = front + max(p["parked_gap_m"], 2.0 * (half_x + OCCLUDER_CLEARANCE_M))
        x2 = rear + second.size_m[0] / 2.0
        occluders.append(static("parked", {}, ctx.times, x2, parked_y(ctx, second.size_m[1]), 0.0))
        choices.append(second)
    support = derived["support_z_m"]
    actors = [Actor("child", "pedestrian", child, motion, ctx.material(0), support, {"age_group": "child"})]
    actors += [
        Actor("occluder", "car", choice, occluder, ctx.material(k + 1, "car"), clear_view=False)
        for k, (choice, occluder) in enumerate(zip(choices, occluders, strict=True))
    ]
    derived.update(
        ttc_at_critical_s=ttc,
        occluder_front_x_m=front,
        occluder_inner_y_m=y_inner,
        occluder_heights_m=[c.size_m[2] for c in choices],
    )
    return ScenarioPlan(actors, ego=ego, derived=derived)


OCCLUDED_PEDESTRIAN = ScenarioSpec(
    name="occluded_pedestrian",
    description="a child steps out from behind cars parked at the right curb into the ego lane (Euro NCAP CPNCO)",
    critical_moment="the child's front passes the inner side of the parked vehicle hiding it, on a collision course",
    parameters={
        "child_height_m": Parameter("the child's standing height", 0.8, 1.5, "m"),
        "walking_speed_kmh": Parameter("walking speed (Euro NCAP CPNCO: 5)", 0.5, 15.0, "km/h"),
        "impact_overlap_pct": Parameter("impact point on the ego's front, % of its width from the right", 0, 100, "%"),
        "ego_speed_kmh": Parameter("ego speed", 0.0, 130.0, "km/h"),
        "parked_vehicles": Parameter("parked vehicles at the curb (the first hides the child)", 1, 2, "", True),
        "occluder_height_m": Parameter("height of the hiding vehicle (at least the child's + 0.2 m)", 1.2, 3.5, "m"),
        "parked_gap_m": Parameter("free gap between the two parked vehicles' bumpers", 0.5, 20.0, "m"),
        **EGO_RESPONSE,
    },
    build=_occluded_pedestrian,
    min_lanes_per_direction=2,  # the parked vehicles stand in the curb lane, the ego drives in the inner one
    ego_speed_kmh="ego_speed_kmh",
)


# --- cyclist_crossing: a cyclist crosses from the near side (CBNA) ------------------------------------------


def _cyclist_crossing(ctx: ScenarioContext) -> ScenarioPlan:
    """The cyclist waits at the right curb across the road (its length along y), then rides across on a
    collision course, reaching the impact point when the ego's front would at constant speed."""
    p = ctx.params
    speed = p["cyclist_speed_kmh"] * KMH
    choice = ctx.person(0, "cyclist", speed)
    half_x, half_y = choice.size_m[1] / 2.0, choice.size_m[0] / 2.0
    y_start = -(ctx.half_road - CURB_OFFSET_M - half_y)  # its rear wheel CURB_OFFSET_M in from the curb
    y_impact = impact_y(ctx, True, p["impact_overlap_pct"])
    t_impact = ctx.critical_time_s + p["ttc_s"]
    x_cross = ctx.ego_x(t_impact) + EGO_FRONT_M + half_x
    start = ctx.critical_time_s + p["ego_reaction_s"]
    ego, stops = ego_braking_for(ctx, x_cross - half_x, start, p["ego_deceleration_mps2"])
    y_end = -y_start if stops else short_of_path_y(ctx, True, half_y)
    reach = y_impact - y_start
    span = max(y_end - y_start, 0.0)  # two lanes a side: the edge is always ahead of the start
    # ramps short enough that the rider rides the second half of its way to the impact point at full
    # speed (and keeps it through the impact point when it rides on)
    ramp = min(speed / CYCLIST_ACCELERATION_MPS2, reach / speed)
    if span > reach:
        ramp = min(ramp, 2.0 * (span - reach) / speed)
    ramp = max(min(ramp, span / speed), 0.1)
    t_on = t_impact - reach / speed
    params = {"speed_mps": speed, "start_s": t_on, "ramp_s": ramp, "y_start_m": y_start, "y_end_m": y_end}
    motion = ride_across(params, ctx.times, x_cross, y_start, y_end, speed, t_on, ramp)
    derived = {
        "impact_y_m": y_impact,
        "impact_time_s": t_impact,
        "ride_start_s": t_on,
        "crossing_x_m": x_cross,
        "ego_deceleration_mps2": float(ego.params["deceleration_mps2"]),
        "outcome": "ego_stops" if stops else "actor_waits",
    }
    actor = Actor("crossing_cyclist", "cyclist", choice, motion, ctx.material(0))
    return ScenarioPlan([actor], ego=ego, derived=derived)


CYCLIST_CROSSING = ScenarioSpec(
    name="cyclist_crossing",
    description="a cyclist rides across in front of the ego from the right curb (Euro NCAP CBNA)",
    critical_moment="the cyclist, crossing on a collision course, is ttc_s from impact with the ego's front",
    parameters={
        "impact_overlap_pct": Parameter("impact point on the ego's front, % of its width from the right", 0, 100, "%"),
        "cyclist_speed_kmh": Parameter("riding speed (Euro NCAP CBNA: 15)", 2.0, 45.0, "km/h"),
        "ego_speed_kmh": Parameter("ego speed", 0.0, 130.0, "km/h"),
        "ttc_s": Parameter("time to collision at the critical moment (ego at constant speed)", 0.1, 20.0, "s"),
        **EGO_RESPONSE,
    },
    build=_cyclist_crossing,
    min_lanes_per_direction=2,  # it crosses the curb lane first: time to see it coming
    ego_speed_kmh="ego_speed_kmh",
)


# --- cyclist_along: a cyclist ahead in the ego lane, the ego closing in (CBLA) ------------------------------
MIN_CLOSING_MPS = 1.0  # an ego no faster than the cyclist: ttc_s counts at this closing speed (gap = ttc_s m/s)


def _cyclist_along(ctx: ScenarioContext) -> ScenarioPlan:
    """The cyclist rides along the ego lane at a constant speed, its centre line at the sampled share of
    the ego's width; the ego, faster, is ttc_s behind it at the critical moment and falls in behind it
    after its reaction time."""
    p = ctx.params
    v_cyclist = p["cyclist_speed_kmh"] * KMH
    choice = ctx.person(0, "cyclist", v_cyclist)
    closing = ctx.ego_speed - v_cyclist
    gap = max(closing, MIN_CLOSING_MPS) * p["ttc_s"]  # ego front to rear wheel at the critical moment (m)
    ego, outcome = None, "no_closing"
    if closing > 0:
        onset, deceleration = follow_braking(closing, gap, p["ego_reaction_s"], p["ego_deceleration_mps2"])
        outcome = "ego_slows" if onset >= p["ego_reaction_s"] else "ego_brakes_early"
        start = ctx.critical_time_s + onset
        if start < 0.0:  # braking at the limit from the first frame: the cyclist starts that much further on
            gap += -start * closing
            start, outcome = 0.0, "cyclist_further"
        ego = slowing_ego(ctx, start, deceleration, v_cyclist)
    x_rear = ctx.ego_x(ctx.critical_time_s) + EGO_FRONT_M + gap  # at the critical moment
    x0 = x_rear + choice.size_m[0] / 2.0 - v_cyclist * ctx.critical_time_s
    y = impact_y(ctx, True, p["lateral_overlap_pct"])
    speeds = np.full(len(ctx.times), v_cyclist)
    motion = along_x("constant_velocity", {"speed_mps": v_cyclist}, ctx.times, x0, y, 1.0, speeds)
    derived = {
        "gap_at_critical_m": gap,
        "closing_speed_mps": closing,
        "cyclist_y_m": y,
        "outcome": outcome,
        "ego_deceleration_mps2": None if ego is None else float(ego.params["deceleration_mps2"]),
    }
    actor = Actor("cyclist_ahead", "cyclist", choice, motion, ctx.material(0))
    return ScenarioPlan([actor], ego=ego, derived=derived)


CYCLIST_ALONG = ScenarioSpec(
    name="cyclist_along",
    description="the ego closes in on a cyclist riding ahead in its lane and falls in behind it (Euro NCAP CBLA)",
    critical_moment="the ego, faster than the cyclist ahead in its lane, is ttc_s from hitting its rear wheel",
    parameters={
        "lateral_overlap_pct": Parameter(
            "the cyclist's line on the ego's front, % of its width from the right", 0, 100, "%"
        ),
        "cyclist_speed_kmh": Parameter("riding speed (Euro NCAP CBLA: 15-20)", 2.0, 45.0, "km/h"),
        "ego_speed_kmh": Parameter("ego speed", 0.0, 130.0, "km/h"),
        "ttc_s": Parameter("time to collision at the critical moment (both at constant speed)", 0.5, 20.0, "s"),
        **EGO_RESPONSE,
    },
    build=_cyclist_along,
    ego_speed_kmh="ego_speed_kmh",
)


# --- jaywalking_group: pedestrians crossing mid-block together ----------------------------------------------
GROUP_MIN_GAP_M = 0.25  # free gap between neighbours along the road (> the placer's 0.2 m margin)


def group_formation(ctx: ScenarioContext, choices: list[AssetChoice]) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (m) of each member from the group's reference point, a loose echelon: along the road (x,
    member 0 at 0: the one nearest the ego) side by side with the sampled free gap (jittered 60-140 %, at
    least GROUP_MIN_GAP_M), and across it (y, >= 0: into the road) each 50-100 % of the sampled stagger
    ahead of its nearer neighbour. Why an echelon: seen from the ego's lane along the road, a member
    further off looks shifted towards the camera's line of sight by perspective and by its stagger alike
    (as long as the group is on its way to the ego lane), so each member peeks out beside the one in
    front of it, partly hidden, where a random stagger can cancel the perspective shift and hide one
    wholly for a whole sequence. Members face across the road, so their widths lie along x and their
    footprints never overlap. rng: member k, part 3."""
    p = ctx.params
    dx, dy = np.zeros(len(choices)), np.zeros(len(choices))
    for k in range(1, len(choices)):
        rng = ctx.rng(k, 3)
        gap = max(GROUP_MIN_GAP_M, p["spacing_m"] * rng.uniform(0.6, 1.4))
        dx[k] = dx[k - 1] + (choices[k - 1].size_m[1] + choices[k].size_m[1]) / 2.0 + gap
        dy[k] = dy[k - 1] + p["stagger_m"] * rng.uniform(0.5, 1.0)
    return dx, dy


def _jaywalking_group(ctx: ScenarioContext) -> ScenarioPlan:
    """A rigid formation of pedestrians walks across from one curb at one pace. Its leader (the member
    whose front is furthest into the road) steps into the ego lane at the critical moment and is on a
    collision course with the ego; when the ego cannot stop short of the group, the group halts with its
    leader short of the ego's path."""
    p = ctx.params
    near = p["side"] == "near"
    sign = 1.0 if near else -1.0  # walking direction along y
    choices = [ctx.person(k, "pedestrian", p["walking_speed_kmh"] * KMH) for k in range(p["group_size"])]
    dx, dy = group_formation(ctx, choices)
    half_y = np.array([c.size_m[0] / 2.0 for c in choices])
    lead = int(np.argmax(dy + half_y))
    y0 = curb_wait_y(ctx, near) + sign * dy
    speed = p["walking_speed_kmh"] * KMH
    lane_line = -ctx.lane_width if near else 0.0  # the ego lane's edge on the group's side
    y_impact = impact_y(ctx, near, p["impact_overlap_pct"])
    y_entry = lane_line - sign * half_y[lead]  # the leader's centre when its front reaches the lane line
    t_impact = ctx.critical_time_s + abs(y_impact - y_entry) / speed
    start = t_impact - abs(y_impact - y0[lead]) / speed
    # the leader is on the collision course: the ego's front would touch its near side at t_impact; the
    # members nearer the ego along x (further back across the road) are what the ego must stop short of
    half_x = np.array([c.size_m[1] / 2.0 for c in choices])
    offsets = dx - dx[lead]
    x_ref = ctx.ego_x(t_impact) + EGO_FRONT_M + half_x[lead]
    conflict_x = x_ref + float((offsets - half_x).min())
    ego, stops = ego_braking_for(ctx, conflict_x, ctx.critical_time_s + p["ego_reaction_s"], p["ego_deceleration_mps2"])
    y_end = -curb_wait_y(ctx, near) if stops else short_of_path_y(ctx, near, half_y[lead])
    span = max(sign * (y_end - y0[lead]), 0.0)  # two lanes a side: the edge is always ahead of the start
    actors = []
    for k, choice in enumerate(choices):
        y_stop = y0[k] + sign * span
        params = {"speed_mps": speed, "start_s": start, "y_start_m": float(y0[k]), "y_end_m": float(y_stop)}
        motion = walk_across(params, ctx.times, x_ref + offsets[k], float(y0[k]), float(y_stop), speed, start)
        actors.append(Actor("group_pedestrian", "pedestrian", choice, motion, ctx.material(k)))
    derived = {
        "leader": lead + 1,  # instance id
        "impact_y_m": y_impact,
        "impact_time_s": t_impact,
        "walk_start_s": start,
        "crossing_x_m": x_ref,  # the leader's path
        "conflict_x_m": conflict_x,  # the nearest member's near side
        "ttc_at_critical_s": t_impact - ctx.critical_time_s,
        "ego_deceleration_mps2": float(ego.params["deceleration_mps2"]),
        "outcome": "ego_stops" if stops else "group_waits",
    }
    return ScenarioPlan(actors, ego=ego, derived=derived)


JAYWALKING_GROUP = ScenarioSpec(
    name="jaywalking_group",
    description="a group of pedestrians (group_size) crosses mid-block together, partly hiding each other",
    critical_moment="the group's leading pedestrian steps into the ego lane, on a collision course with the ego",
    parameters={
        "group_size": Parameter("pedestrians in the group", 2, 12, "", True),
        "side": Parameter("curb the group starts from: near (the ego's right) or far", options=("near", "far")),
        "walking_speed_kmh": Parameter("the group's walking pace", 0.5, 15.0, "km/h"),
        "spacing_m": Parameter("free gap between neighbours along the road (each jittered 60-140 %)", 0.25, 5.0, "m"),
        "stagger_m": Parameter(
            "how far each member walks ahead of its nearer neighbour (50-100 % of it)", 0.0, 2.0, "m"
        ),
        "impact_overlap_pct": Parameter(
            "where the leader meets the ego's front, % of its width from its side", 0, 100, "%"
        ),
        "ego_speed_kmh": Parameter("ego speed", 0.0, 130.0, "km/h"),
        **EGO_RESPONSE,
    },
    build=_jaywalking_group,
    min_lanes_per_direction=2,  # from the near side the group crosses the curb lane before the ego lane
    ego_speed_kmh="ego_speed_kmh",
)

SPECS: list[ScenarioSpec] = [
    PEDESTRIAN_CROSSING,
    OCCLUDED_PEDESTRIAN,
    CYCLIST_CROSSING,
    CYCLIST_ALONG,
    JAYWALKING_GROUP,
]

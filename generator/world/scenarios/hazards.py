"""Scenario family `hazards`: lost objects and animals in the ego lane, and a lane closed for road works.

``road_debris``: one to four unusual objects (a lost tyre, lost cargo, an animal) lie in the ego lane;
at the critical moment the first is ``ttc_s`` ahead of the ego's front (constant speed), and the ego
brakes after its reaction time (Euro NCAP AEB protocols' response model, as in ``vulnerable``).

``construction_zone``: the ego lane or the adjacent lane (same direction) is closed by a taper of
traffic cones whose length follows the US MUTCD (2009, section 6C.08, table 6C-4: a merging taper is
L = W * S^2 / 60 for S <= 40 mph, L = W * S from 45 mph, L and W in one length unit, S the posted
speed in mph), a barrier across the closed lane past the taper, cones along the lane line through the
work area, and workers (``pedestrian`` labelled ``{"role": "worker"}``) inside it. When the ego lane is
closed the ego changes lane or stops short of the taper.

Neither scenario lets an actor's path touch the ego's: when the sampled timing cannot work (the ego
cannot stop short even at about 1 g, a lane change would not fit), the fallback is recorded in
``derived.outcome``.
"""

from __future__ import annotations

import colorsys
import dataclasses
import math
from typing import Any

import numpy as np

from assets.procedural import get_procedural
from generator.world.motion import Motion, lane_change, static, walk_across
from generator.world.pieces import AssetChoice, procedural_choice
from generator.world.placement import STREET_MARGIN_M
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
    ego_braking_for,
)
from generator.world.scenarios.vulnerable import EGO_RESPONSE
from scenes import Material

STOP_CLEARANCE_M = CLEARANCE_M  # the ego's front stops this far short of an object
PLACER_MARGIN_M = STREET_MARGIN_M  # street.place_objects keeps footprints this far apart (m)
CURB_CLEARANCE_M = 0.2  # a crossing animal starts and ends this far inside the curb


def _tinted(rng: np.random.Generator, rgb: tuple[float, float, float], spread: float = 0.08, **kw: float) -> Material:
    """A material of colour ``rgb`` (linear, [0, 1]) with its hue, saturation and value moved by up to
    ``spread``: hazards are recognised by their real colours (black tyres, orange cones, hi-vis vests),
    so they are varied around those, not drawn from the scene's random palette."""
    h, s, v = colorsys.rgb_to_hsv(*rgb)
    h = (h + float(rng.uniform(-spread, spread)) * 0.25) % 1.0
    s = float(np.clip(s + rng.uniform(-spread, spread), 0.0, 1.0))
    v = float(np.clip(v + rng.uniform(-spread, spread) * max(v, 0.1), 0.0, 1.0))
    return Material(base_color=tuple(float(c) for c in colorsys.hsv_to_rgb(h, s, v)), **kw)


def _extents_xy(choice: AssetChoice, heading: float) -> tuple[float, float]:
    """World x and y extents (m) of an object's footprint turned by ``heading`` (rad)."""
    length, width = choice.size_m[0], choice.size_m[1]
    c, s = abs(math.cos(heading)), abs(math.sin(heading))
    return length * c + width * s, length * s + width * c


# --- road_debris -------------------------------------------------------------------------------------
HAZARD_CATEGORIES = ("tire", "debris", "animal")
# real colours of the hazards (linear RGB): tyre rubber, corrugated cardboard or pallet wood, a dog's or
# deer's brown coat
HAZARD_COLOURS = {"tire": (0.03, 0.03, 0.03), "debris": (0.45, 0.3, 0.16), "animal": (0.35, 0.22, 0.12)}
DEBRIS_GAP_JITTER = 0.25  # each gap between successive objects is spacing_m +/- this share


def _debris_categories(ctx: ScenarioContext) -> list[str]:
    """The category of each object: all of ``kind``, or for ``mixed`` each drawn uniformly."""
    count, kind = int(ctx.params["count"]), ctx.params["kind"]
    if kind != "mixed":
        return [kind] * count
    return [HAZARD_CATEGORIES[int(ctx.rng(k, 3).integers(len(HAZARD_CATEGORIES)))] for k in range(count)]


def _debris_layout(ctx: ScenarioContext, choices: list[AssetChoice], crossing: list[bool]) -> list[dict[str, float]]:
    """Heading, x extent and lateral position of each object, and its x relative to the first object's
    near side: objects follow each other along the ego lane ``spacing_m`` (+/- 25 %) apart, each at a
    random lateral offset that keeps its footprint inside the lane."""
    slots, x_near = [], 0.0
    for k, (choice, walks) in enumerate(zip(choices, crossing, strict=True)):
        rng = ctx.rng(k, 4)
        heading = float(rng.choice([-np.pi / 2.0, np.pi / 2.0])) if walks else float(rng.uniform(-np.pi, np.pi))
        ex, ey = _extents_xy(choice, heading)
        free = max(0.0, ctx.lane_width / 2.0 - ey / 2.0)
        y = ctx.ego_lane_y + float(rng.uniform(-1.0, 1.0)) * free
        if k > 0:
            x_near += float(ctx.params["spacing_m"]) * float(rng.uniform(1 - DEBRIS_GAP_JITTER, 1 + DEBRIS_GAP_JITTER))
        slots.append({"heading": heading, "ex": ex, "ey": ey, "y": y, "dx": x_near + ex / 2.0})
        x_near += ex
    return slots


def nearest_stoppable_x(ctx: ScenarioContext, start_s: float) -> float:
    """The nearest x (world m) an object's near side may have for the ego, braking from ``start_s`` at
    MAX_DECELERATION_MPS2, to stop STOP_CLEARANCE_M short of it (5 cm to spare for rounding)."""
    v = ctx.ego_speed
    return v * start_s + v * v / (2.0 * MAX_DECELERATION_MPS2) + EGO_FRONT_M + STOP_CLEARANCE_M + 0.05


def _debris_ego(ctx: ScenarioContext, near_x: float) -> tuple[Motion, float, str]:
    """The ego's braking for an object whose near side is at ``near_x`` (world m), and where that near
    side ends up: when even MAX_DECELERATION_MPS2 cannot stop the ego short of it, the objects move
    ahead to where it can (outcome ``moved_ahead``; ``derived.ttc_s_actual`` says how far)."""
    start = ctx.critical_time_s + float(ctx.params["ego_reaction_s"])
    decel = float(ctx.params["ego_deceleration_mps2"])
    ego, stops = ego_braking_for(ctx, near_x, start, decel, STOP_CLEARANCE_M)
    if stops:
        return ego, near_x, "ego_stops"
    near_x = nearest_stoppable_x(ctx, start)
    ego, _ = ego_braking_for(ctx, near_x, start, decel, STOP_CLEARANCE_M)
    return ego, near_x, "moved_ahead"


def _debris_motion(
    ctx: ScenarioContext, category: str, slot: dict[str, float], x: float, choice: AssetChoice, walks: bool
):
    """An object lying (an animal standing) still at (x, slot y), or an animal walking slowly across the
    road at ``x`` (world m): it reaches its lane position at the critical moment, from one curb to the other."""
    if not walks:
        return static("standing" if category == "animal" else "lying", {}, ctx.times, x, slot["y"], slot["heading"])
    speed = float(ctx.params["animal_speed_kmh"]) * KMH
    direction = 1.0 if slot["heading"] > 0 else -1.0  # facing +y: walks towards the far (left) curb
    edge = ctx.half_road - choice.size_m[0] / 2.0 - CURB_CLEARANCE_M
    y_start, y_end = -direction * edge, direction * edge
    start_s = ctx.critical_time_s - abs(slot["y"] - y_start) / speed
    params = {"speed_mps": speed, "start_s": start_s, "y_start_m": y_start, "y_end_m": y_end}
    return walk_across(params, ctx.times, x, y_start, y_end, speed, start_s)


def _road_debris(ctx: ScenarioContext) -> ScenarioPlan:
    """``count`` objects of ``kind`` one after another along the ego lane, the first one's near side
    ``ttc_s`` x the ego speed ahead of the ego's front at the critical moment; the ego brakes for it."""
    categories = _debris_categories(ctx)
    choices = [ctx.asset(k, category) for k, category in enumerate(categories)]
    crossing = [c == "animal" and ctx.params["animal_motion"] == "crossing" for c in categories]
    slots = _debris_layout(ctx, choices, crossing)
    near_x = ctx.ego_x(ctx.critical_time_s) + EGO_FRONT_M + ctx.ego_speed * float(ctx.params["ttc_s"])
    ego, near_x, outcome = _debris_ego(ctx, near_x)
    roles = {"tire": "lost_tire", "debris": "lost_cargo", "animal": "animal_on_road"}
    actors = []
    for k, (category, choice, slot, walks) in enumerate(zip(categories, choices, slots, crossing, strict=True)):
        motion = _debris_motion(ctx, category, slot, near_x + slot["dx"], choice, walks)
        material = _tinted(ctx.rng(k, 1), HAZARD_COLOURS[category], roughness=0.85, reflectivity=0.1)
        actors.append(Actor(roles[category], category, choice, motion, material))
    derived = {
        "categories": categories,
        "first_object_near_x_m": near_x,
        "ttc_s_actual": (near_x - ctx.ego_x(ctx.critical_time_s) - EGO_FRONT_M) / ctx.ego_speed,
        "ego_deceleration_mps2": float(ego.params["deceleration_mps2"]),
        "outcome": outcome,
    }
    return ScenarioPlan(actors, ego=ego, derived=derived)


ROAD_DEBRIS = ScenarioSpec(
    name="road_debris",
    description="lost objects (a tyre, boxes, a pallet) or an animal lie in the ego lane ahead; the ego brakes",
    critical_moment="the first object in the ego lane is ttc_s from the ego's front (ego at constant speed)",
    parameters={
        "kind": Parameter("what lies in the lane (mixed: each object drawn)", options=(*HAZARD_CATEGORIES, "mixed")),
        "count": Parameter("number of objects, one after another along the lane", 1, 4, integer=True),
        "spacing_m": Parameter("gap along the lane between successive objects (each +/- 25 %)", 0.5, 50.0, "m"),
        "animal_motion": Parameter(
            "an animal stands still, or walks slowly across the road (in the lane at the critical moment)",
            options=("standing", "crossing"),
        ),
        "animal_speed_kmh": Parameter("walking speed of a crossing animal", 0.5, 15.0, "km/h"),
        "ego_speed_kmh": Parameter("ego speed", 5.0, 130.0, "km/h"),
        "ttc_s": Parameter("time to collision with the first object at the critical moment", 0.5, 20.0, "s"),
        **EGO_RESPONSE,
    },
    build=_road_debris,
    ego_speed_kmh="ego_speed_kmh",
)


# --- construction_zone -------------------------------------------------------------------------------
CONE_INSET_M = 0.3  # a cone stands at least this far inside the closed lane from its lines
LANE_CHANGE_BUFFER_M = 2.0  # the ego's lane change ends with its front this far short of the first cone
MIN_LANE_CHANGE_S = 2.0  # shortest lane change (peak lateral acceleration 6 * 3.5 / 2^2 ~ 5 m/s^2)
MAX_TAPER_CONES = 40  # a longer taper spaces its cones wider (MUTCD: at most 1.0 x S ft apart)
MAX_LINE_CONES = 40  # as many along the work area
WORKER_LINE_CLEARANCE_M = 1.0  # a worker keeps this far (centre) from the lines of cones
MPH = 1.0 / 1.609344  # mph per km/h
CONE_ORANGE = (1.0, 0.22, 0.0)  # linear RGB of fluorescent orange (MUTCD 6F.64)
HI_VIS_YELLOW = (0.75, 1.0, 0.05)  # fluorescent yellow-green of a class 2 vest (ANSI/ISEA 107)


def mutcd_taper_length(lane_width_m: float, posted_speed_kmh: float) -> float:
    """The MUTCD (2009) minimum merging taper length (m) for closing a lane ``lane_width_m`` wide on a
    road posted at ``posted_speed_kmh``: L = W * S^2 / 60 below 45 mph, L = W * S from 45 mph (table
    6C-4; L and W in the same unit, S in mph)."""
    mph = posted_speed_kmh * MPH
    return lane_width_m * (mph * mph / 60.0 if mph < 45.0 else mph)


@dataclasses.dataclass(frozen=True)
class ZoneLines:
    """The closed lane's cross-section (world y, m): where cones stand on its far side (away from the
    open lane) and on its open side, and its centre; ``sign`` points from far to open (+1 or -1)."""

    y_far: float
    y_open: float
    y_centre: float
    sign: float


def _zone_lines(ctx: ScenarioContext, closed: int, cone_half_m: float) -> ZoneLines:
    """Cone lines of the closed lane ``closed`` (0: the ego lane, 1: the next one to the right). The
    open-side cones stand far enough in for the ego in the neighbouring lane to pass them."""
    centre, w = ctx.lane_y(closed), ctx.lane_width
    sign = -1.0 if closed == 0 else 1.0  # from the closed lane towards the open one
    passing = EGO_WIDTH_M / 2.0 + PLACER_MARGIN_M + 0.05 + cone_half_m - w / 2.0  # ego centred in its lane
    inset_open = min(max(CONE_INSET_M, passing), w / 2.0)
    inset_far = min(CONE_INSET_M, w / 2.0)
    return ZoneLines(centre - sign * (w / 2.0 - inset_far), centre + sign * (w / 2.0 - inset_open), centre, sign)


def _zone_ego(ctx: ScenarioContext, first_x: float, closed: int) -> tuple[Motion | None, float, dict[str, Any]]:
    """The ego's response to a taper whose first cone's near side is at ``first_x`` (world m): none
    when the adjacent lane is closed; a lane change to the right that ends LANE_CHANGE_BUFFER_M short of
    it (shortened to fit, or a stop when even MIN_LANE_CHANGE_S would not fit), or a stop short of it.
    Returns the motion, where the first cone ends up (moved ahead when not even 1 g stops the ego in
    time) and the derived values."""
    if closed == 1:
        return None, first_x, {"outcome": "ego_passes"}
    p, v, start = ctx.params, ctx.ego_speed, ctx.critical_time_s
    if p["ego_response"] == "change_lane":
        room = first_x - LANE_CHANGE_BUFFER_M - (ctx.ego_x(start) + EGO_FRONT_M)
        duration = min(float(p["lane_change_s"]), room / v)
        if duration >= MIN_LANE_CHANGE_S:
            params = {"speed_mps": v, "start_s": start, "duration_s": duration, "dy_m": -ctx.lane_width}
            motion = lane_change(params, ctx.times, 0.0, ctx.ego_lane_y, 1.0, v, -ctx.lane_width, start, duration)
            derived = {"outcome": "ego_changes_lane", "lane_change_s": duration}
            return dataclasses.replace(motion, model="ego_lane_change"), first_x, derived
    ego, stops = ego_braking_for(ctx, first_x, start, float(p["ego_deceleration_mps2"]), STOP_CLEARANCE_M)
    outcome = "ego_stops" if p["ego_response"] == "stop" else "ego_stops_instead"
    if not stops:
        first_x = nearest_stoppable_x(ctx, start)
        ego, _ = ego_braking_for(ctx, first_x, start, float(p["ego_deceleration_mps2"]), STOP_CLEARANCE_M)
        outcome = "zone_moved_ahead"
    return ego, first_x, {"outcome": outcome, "ego_deceleration_mps2": float(ego.params["deceleration_mps2"])}


def _cone_counts(taper_m: float, work_m: float, spacing_m: float) -> tuple[int, float]:
    """How many cones the taper has (both ends included, at most ``spacing_m`` apart, at most
    MAX_TAPER_CONES) and the spacing (m) of the cones along the work area (at most MAX_LINE_CONES)."""
    n_taper = min(max(2, math.ceil(taper_m / spacing_m - 1e-9) + 1), MAX_TAPER_CONES)
    return n_taper, max(spacing_m, work_m / MAX_LINE_CONES)


def _cone_positions(x0: float, lines: ZoneLines, taper_m: float, work_m: float, spacing_m: float):
    """Cone centres (x, y) of the taper, from the far line at ``x0`` to the open line ``taper_m``
    further, and of the open line through the work area; the barrier's x between them."""
    n_taper, step = _cone_counts(taper_m, work_m, spacing_m)
    u = np.linspace(0.0, 1.0, n_taper)
    taper = [(x0 + taper_m * a, lines.y_far + (lines.y_open - lines.y_far) * a) for a in u]
    barrier_x = x0 + taper_m + max(1.5, spacing_m / 2.0)
    line = [(barrier_x + step * (k + 1), lines.y_open) for k in range(int(work_m // step))]
    return taper, line, barrier_x


def _worker_motion(ctx: ScenarioContext, k: int, lo: float, hi: float, lines: ZoneLines, size: tuple) -> Motion:
    """Worker ``k`` inside the work area's stretch [lo, hi] (world x, m): standing at a random heading,
    or walking along the lane at the worker speed from one end of the stretch to the other, then standing."""
    rng = ctx.rng(k, 4)
    band = max(0.0, abs(lines.y_open - lines.y_far) / 2.0 - WORKER_LINE_CLEARANCE_M)
    y = (lines.y_far + lines.y_open) / 2.0 + float(rng.uniform(-band, band))
    half = max(size[0], size[1]) / 2.0
    lo, hi = lo + half, max(lo + half, hi - half)
    if ctx.params["worker_motion"] == "standing":
        return static("standing", {}, ctx.times, float(rng.uniform(lo, hi)), y, float(rng.uniform(-np.pi, np.pi)))
    speed = float(ctx.params["worker_speed_kmh"]) * KMH
    forward = rng.uniform() < 0.5
    x_start, direction = (lo, 1.0) if forward else (hi, -1.0)
    x = x_start + direction * np.clip(speed * ctx.times, 0.0, hi - lo)
    params = {"speed_mps": speed, "x_start_m": x_start, "x_end_m": x_start + direction * (hi - lo)}
    heading = 0.0 if forward else np.pi
    return Motion("walk_along", params, ctx.times, np.column_stack([x, np.full(len(x), y)]), np.full(len(x), heading))


def _barrier_actor(ctx: ScenarioContext, k: int, x: float, lines: ZoneLines) -> Actor:
    """A barrier segment across the closed lane at ``x``, cut to the width between its cone lines (a
    procedural jersey barrier: a user's barrier mesh could not be fitted)."""
    params = get_procedural("barrier").sample(ctx.rng(k, 0))
    params["length"] = max(1.0, min(params["length"], abs(lines.y_open - lines.y_far)))
    choice = procedural_choice("barrier", params)
    motion = static("placed", {}, ctx.times, x, (lines.y_far + lines.y_open) / 2.0, np.pi / 2.0)
    return Actor("closure_barrier", "barrier", choice, motion, ctx.material(k))


def _construction_zone(ctx: ScenarioContext) -> ScenarioPlan:
    """The closed lane's taper (its first cone ``distance_m`` ahead of the ego's front at the critical
    moment), the barrier across it, the cones along its open side and the workers, and the ego's response."""
    p = ctx.params
    closed = 0 if p["closed_lane"] == "ego" else 1
    mutcd = mutcd_taper_length(ctx.lane_width, float(p["posted_speed_kmh"]))
    taper_m, work_m, spacing = (
        mutcd * float(p["taper_length_factor"]),
        float(p["work_length_m"]),
        float(p["cone_spacing_m"]),
    )
    # actor numbers (the keys of their draws): cones 0.., the barrier and the workers after the most
    # cones there can be, so a longer taper does not change the workers
    n_taper, step = _cone_counts(taper_m, work_m, spacing)
    n_cones = MAX_TAPER_CONES + MAX_LINE_CONES
    cone_choices = [ctx.asset(k, "traffic_cone") for k in range(n_taper + int(work_m // step))]
    cone_half = max(max(c.size_m[:2]) for c in cone_choices) / 2.0
    lines = _zone_lines(ctx, closed, cone_half)
    near_x = ctx.ego_x(ctx.critical_time_s) + EGO_FRONT_M + float(p["distance_m"])
    ego, near_x, derived = _zone_ego(ctx, near_x, closed)
    taper, line, barrier_x = _cone_positions(near_x + cone_choices[0].size_m[0] / 2.0, lines, taper_m, work_m, spacing)
    actors = []
    for k, (x, y) in enumerate([*taper, *line]):
        role = "taper_cone" if k < len(taper) else "lane_cone"
        motion = static("placed", {}, ctx.times, x, y, 0.0)
        actors.append(Actor(role, "traffic_cone", cone_choices[k], motion, _tinted(ctx.rng(k, 1), CONE_ORANGE)))
    actors.append(_barrier_actor(ctx, n_cones, barrier_x, lines))
    lo, hi = barrier_x + 1.0, barrier_x + work_m
    stretch = (hi - lo) / int(p["workers"])
    for j in range(int(p["workers"])):
        k = n_cones + 1 + j
        walks = p["worker_motion"] != "standing"
        choice = ctx.person(k, "pedestrian", float(p["worker_speed_kmh"]) * KMH if walks else 0.0)
        motion = _worker_motion(ctx, k, lo + j * stretch + 0.3, lo + (j + 1) * stretch - 0.3, lines, choice.size_m)
        material = _tinted(ctx.rng(k, 1), HI_VIS_YELLOW, roughness=0.7)
        actors.append(Actor("worker", "pedestrian", choice, motion, material, attributes={"role": "worker"}))
    derived |= {
        "closed_lane_y_m": ctx.lane_y(closed),
        "mutcd_taper_length_m": mutcd,
        "taper_length_m": taper_m,
        "taper_cones": len(taper),
        "lane_cones": len(line),
        "first_cone_x_m": taper[0][0],
        "barrier_x_m": barrier_x,
        "work_area_x_m": [lo, hi],
    }
    return ScenarioPlan(actors, ego=ego, derived=derived)


CONSTRUCTION_ZONE = ScenarioSpec(
    name="construction_zone",
    description="a lane closed by a taper of cones (MUTCD length), a barrier and workers; the ego merges or stops",
    critical_moment="the taper's first cone is distance_m ahead of the ego's front; the ego starts to change lane "
    "or brake when its lane is closed",
    parameters={
        "closed_lane": Parameter(
            "which lane is closed: the ego's or the adjacent one to its right", options=("ego", "adjacent")
        ),
        "ego_response": Parameter(
            "when the ego lane is closed: change lane to the right, or stop", options=("change_lane", "stop")
        ),
        "ego_speed_kmh": Parameter("ego speed", 5.0, 130.0, "km/h"),
        "distance_m": Parameter("ego front to the taper's first cone at the critical moment", 2.0, 300.0, "m"),
        "posted_speed_kmh": Parameter(
            "posted speed the taper is laid out for (MUTCD L = W S^2 / 60)", 10.0, 130.0, "km/h"
        ),
        "taper_length_factor": Parameter("taper length as a multiple of the MUTCD minimum", 0.25, 3.0),
        "cone_spacing_m": Parameter(
            "spacing of the cones (MUTCD: at most the posted speed in mph, in ft)", 1.0, 30.0, "m"
        ),
        "work_length_m": Parameter(
            "length of the work area past the barrier, cones along its lane line", 6.0, 200.0, "m"
        ),
        "workers": Parameter("number of workers in the work area", 1, 4, integer=True),
        "worker_motion": Parameter("workers stand, or walk along the closed lane", options=("standing", "walking")),
        "worker_speed_kmh": Parameter("walking speed of a worker", 0.5, 8.0, "km/h"),
        "lane_change_s": Parameter(
            "duration of the ego's lane change (shortened to end before the taper)", 2.0, 10.0, "s"
        ),
        "ego_deceleration_mps2": Parameter(
            "ego's braking when it stops (harder, up to 10, when that is what stopping short takes)", 0.5, 10.0, "m/s^2"
        ),
    },
    build=_construction_zone,
    min_lanes_per_direction=2,
    ego_speed_kmh="ego_speed_kmh",
)

SPECS: list[ScenarioSpec] = [ROAD_DEBRIS, CONSTRUCTION_ZONE]

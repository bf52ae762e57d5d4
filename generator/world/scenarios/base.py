"""What a scenario is: its parameter table, the context it is built in, and the plan it returns.

A scenario places one named critical situation into a street scene. Its parameters are distributions
(``configs/scenario/<name>.yaml`` holds the defaults; :class:`Parameter` the physical range every draw
must lie in). Each parameter draws from its own generator, keyed by the parameter's name, so adding a
parameter never shifts the others' draws. The scenario's ``build`` turns the drawn values into
:class:`Actor` s (the critical actors, with their motions timed so the critical moment falls at
``ScenarioContext.critical_time_s``) and optionally the ego vehicle's own motion (an ego that brakes).

World frame as in ``generator.world.street``: z up, x along the road, the ego starting at
(0, -lane_width / 2) and driving towards +x; lanes with y < 0 drive towards +x. Speeds in config are
km/h where the test protocols (Euro NCAP) state them so, converted to m/s here.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assets.catalog import UserAsset
from generator.world.distributions import parse_distribution
from generator.world.motion import Motion
from generator.world.people import articulated_choice
from generator.world.pieces import AssetChoice, choose_asset, object_material
from generator.world.placement import SweptFootprint
from generator.world.seeding import rng_for
from scenes import Material

KMH = 1.0 / 3.6  # m/s per km/h
# The ego vehicle's footprint as reserved against every other object: 7 m x 2.4 m centred 0.5 m behind
# its origin (the camera sits at the origin), so its front reaches EGO_FRONT_M ahead of the camera.
EGO_LENGTH_M = 7.0
EGO_WIDTH_M = 2.4
EGO_CENTRE_X_M = -0.5
EGO_FRONT_M = EGO_CENTRE_X_M + EGO_LENGTH_M / 2.0
SIGHT_MARGIN_M = 0.6  # a sight corridor is this much wider than its actor on each side


@dataclass(frozen=True)
class Parameter:
    """One scenario parameter: what it is, its unit, and the inclusive physical range every draw of
    its distribution must lie in (checked when the config is validated), or the names it may draw."""

    description: str
    low: float = 0.0
    high: float = 0.0
    unit: str = ""
    integer: bool = False
    options: tuple[str, ...] | None = None  # a parameter that draws one of these names (low/high unused)


@dataclass
class Actor:
    """A critical actor: ``role`` names what it does in the scenario (recorded in scene.json),
    ``category`` its label category; ``motion`` its ground path on the scene's keyframe grid riding at
    ``support_z`` (m). ``clear_view``: keep the line of sight from the ego camera to it free of the
    scene's random objects (occluders that are part of the scenario are actors with False)."""

    role: str
    category: str
    choice: AssetChoice
    motion: Motion
    material: Material
    support_z: float = 0.0
    attributes: dict[str, Any] = field(default_factory=dict)
    clear_view: bool = True


@dataclass
class ScenarioPlan:
    """What ``build`` returns: the actors (ids are given in this order, from 1), the ego's motion when
    the scenario scripts it (None: constant ego speed), and derived values worth recording (e.g. the
    gap at the critical moment), JSON-ready. At the intersection layout a scenario may move the
    junction to where its situation happens (``junction_x_m``, the crossing road's centre line; None:
    where the layout drew it); the scenery and the random street are built after it."""

    actors: list[Actor]
    ego: Motion | None = None
    derived: dict[str, Any] = field(default_factory=dict)
    junction_x_m: float | None = None  # intersection layout: where the scenario needs the crossing road (x, m)


PEOPLE_PART = 9  # the part of an actor's rng its articulated body draws from (ScenarioContext.person)


@dataclass
class ScenarioContext:
    """Everything ``build`` may use. ``params``: the drawn parameter values (by name, in config
    units); ``layout``: the street layout (``street.sample_street_layout``: lanes_per_direction,
    lane_width_m, sidewalk_width_m, ego_speed_mps, ...); ``times``: the keyframe grid (s);
    ``critical_time_s``: when the critical moment happens in this scene (0 for a still: a still renders
    that instant); ``ego``: the ego's constant-speed motion (a plan may replace it)."""

    params: dict[str, Any]
    layout: dict[str, Any]
    times: np.ndarray
    critical_time_s: float
    ego: Motion
    root_seed: int
    index: int
    user_assets: list[UserAsset]
    materials_cfg: Any
    curb_height_m: float
    articulated_people: bool = True  # scene.people.articulated

    def rng(self, actor: int, part: int = 0) -> np.random.Generator:
        """The generator of actor number ``actor`` (0, 1, ...) for its ``part`` (0: asset, 1: material,
        2: texture, 3+: the scenario's own further draws)."""
        return rng_for(self.root_seed, self.index, "scenario", actor, part)

    def asset(self, actor: int, category: str) -> AssetChoice:
        """An asset of ``category`` for actor number ``actor`` (procedural or the user's catalog)."""
        return choose_asset(category, self.user_assets, self.rng(actor, 0))

    def person(self, actor: int, category: str, speed_mps: float, choice: AssetChoice | None = None) -> AssetChoice:
        """Actor ``actor``'s person of ``category`` (pedestrian or cyclist; ``choice`` when given, else
        :meth:`asset`'s), articulated (``generator.world.people``) with its box enclosing a whole gait
        cycle at ``speed_mps`` (m/s) and the standing pose, unless ``scene.people.articulated`` is false
        or the asset is a user's mesh (rng: ``actor``, part PEOPLE_PART)."""
        choice = choice if choice is not None else self.asset(actor, category)
        if not self.articulated_people:
            return choice
        return articulated_choice(choice, self.rng(actor, PEOPLE_PART), speed_mps)

    def material(self, actor: int, category: str | None = None) -> Material:
        """Actor ``actor``'s material: a vehicle's paint for a vehicle ``category`` (``generator.world.paint``,
        unless ``scene.materials.vehicle_paint`` is random), else random (rng: ``actor``, parts 1 and 2)."""
        return object_material(
            self.materials_cfg,
            category or "",
            self.root_seed,
            self.index,
            (1, actor),
            (self.rng(actor, 1), self.rng(actor, 2)),
        )

    # --- road geometry -------------------------------------------------------------------------------
    @property
    def lane_width(self) -> float:
        return float(self.layout["lane_width_m"])

    @property
    def half_road(self) -> float:
        """Distance (m) from the road centre line to either curb."""
        return float(self.layout["lanes_per_direction"] * self.layout["lane_width_m"])

    @property
    def ego_lane_y(self) -> float:
        """y (m) of the ego lane's centre."""
        return -self.lane_width / 2.0

    def lane_y(self, lane: int) -> float:
        """Centre y (m) of lane ``lane``: 0 is the ego lane, 1 the next one towards the right curb
        (same direction), -1 the first oncoming lane."""
        return -(lane + 0.5) * self.lane_width if lane >= 0 else (-lane - 0.5) * self.lane_width

    def ego_x(self, t: float) -> float:
        """x (m) of the ego's origin at time t (s) under its constant-speed motion, at any t: a still's
        keyframe grid ends long before the moment an actor is timed to reach the ego's path."""
        return float(self.ego.positions[0, 0] + self.ego_speed * t)

    @property
    def ego_speed(self) -> float:
        return float(self.layout["ego_speed_mps"])


@dataclass(frozen=True)
class ScenarioSpec:
    """A scenario of the library. ``build`` places its actors; ``layout`` is the road layout it is
    built on: ``straight`` or ``intersection`` replace ``scene.layout`` whatever it says, ``any`` keeps
    it (the scenario then reads ``ScenarioContext.layout["layout"]``, absent on a straight road); the
    layout used is recorded in the scenario record; ``min_lanes_per_direction`` raises the sampled lane
    count; ``ego_speed_kmh``: the parameter that sets the ego's speed (None: ``scene.motion.ego_speed_mps``);
    ``min_lane_width_m``: the narrowest lanes it can be staged in (checked when the config is validated)."""

    name: str
    description: str  # one line, shown by `synthsense scenarios`
    critical_moment: str  # what happens at critical_time_s
    parameters: dict[str, Parameter]
    build: Callable[[ScenarioContext], ScenarioPlan]
    layout: str = "straight"  # straight | intersection | any
    min_lanes_per_direction: int = 1
    ego_speed_kmh: str | None = None
    # narrowest scene.lane_width_m the scenario's actors fit in beside the ego's reserved 2.4 m footprint
    min_lane_width_m: float = 2.5


CRITICAL_TIME = Parameter("when the critical moment happens in a sequence (stills render it)", 0.0, 60.0, "s")


def draw_parameters(spec: ScenarioSpec, cfg: dict[str, Any], root_seed: int, index: int) -> dict[str, Any]:
    """Draw every parameter of ``spec`` from the scenario config ``cfg`` (plain data, validated), each
    from its own generator keyed by the parameter's name."""
    drawn: dict[str, Any] = {}
    for name, parameter in [("critical_time_s", CRITICAL_TIME), *spec.parameters.items()]:
        rng = rng_for(root_seed, index, "scenario", PARAMETER_KEY, zlib.crc32(name.encode()))
        value = parse_distribution(f"scenario.{name}", cfg[name], parameter.options).sample(rng)
        drawn[name] = value if isinstance(value, int | str) else float(value)
    return drawn


PARAMETER_KEY = 1_000_000  # subkey of parameter draws: actors use subkeys 0, 1, ... (never this many)


# --- helpers shared by the scenario families -----------------------------------------------------------
def slowing_distance(v0: float, a: float, v_final: float, dt: np.ndarray) -> np.ndarray:
    """Distance (m) covered ``dt`` s after the onset of braking from ``v0`` to ``v_final`` (m/s, 0: a
    stop) at a constant ``a`` (m/s^2, > 0), then holding ``v_final``; 0 for dt <= 0. The closed form, not
    trapezoids: exact at the keyframe holding the stop too."""
    dt = np.maximum(np.asarray(dt, dtype=float), 0.0)
    tau = np.minimum(dt, (v0 - v_final) / a)
    return v0 * tau - 0.5 * a * tau * tau + v_final * (dt - tau)


def slowing_ego_x(ctx: ScenarioContext, t: np.ndarray, start_s: float, a: float, final_speed: float) -> np.ndarray:
    """x (world m) of the ego's origin at times ``t`` (s): its constant speed until ``start_s``, then
    slowing at ``a`` (m/s^2) to ``final_speed`` (m/s; 0: a stop) and holding it (the ego starts at x = 0)."""
    v0 = ctx.ego_speed
    return v0 * np.minimum(t, start_s) + slowing_distance(v0, a, final_speed, np.asarray(t) - start_s)


def slowing_ego(
    ctx: ScenarioContext, start_s: float, deceleration: float, final_speed: float, model: str = "ego_slowing"
) -> Motion:
    """The ego at its constant speed until ``start_s``, then braking at ``deceleration`` (m/s^2, > 0) down
    to ``final_speed`` (m/s, below its speed) and driving on at it: it falls in behind a slower road user."""
    x = slowing_ego_x(ctx, ctx.times, start_s, deceleration, final_speed)
    positions = np.column_stack([x, np.full(len(ctx.times), ctx.ego_lane_y)])
    params = {
        "speed_mps": ctx.ego_speed,
        "brake_s": float(start_s),
        "deceleration_mps2": float(deceleration),
        "final_speed_mps": float(final_speed),
    }
    return Motion(model, params, ctx.times, positions, np.zeros(len(ctx.times)))


def braking_ego(ctx: ScenarioContext, start_s: float, deceleration: float, model: str = "ego_braking") -> Motion:
    """The ego at its constant speed until ``start_s``, then braking at ``deceleration`` (m/s^2, > 0)
    to a stop (the response of an ego's emergency braking, Euro NCAP AEB style)."""
    x = slowing_ego_x(ctx, ctx.times, start_s, deceleration, 0.0)
    positions = np.column_stack([x, np.full(len(ctx.times), ctx.ego_lane_y)])
    params = {"speed_mps": ctx.ego_speed, "brake_s": float(start_s), "deceleration_mps2": float(deceleration)}
    return Motion(model, params, ctx.times, positions, np.zeros(len(ctx.times)))


CLEARANCE_M = 1.0  # an ego stopping or falling in behind a road user keeps its front this far short of it
MAX_DECELERATION_MPS2 = 10.0  # about 1 g: what tyres on dry asphalt allow (friction coefficient ~1)


def ego_braking_for(
    ctx: ScenarioContext,
    conflict_x: float,
    start_s: float,
    deceleration: float,
    clearance_m: float = CLEARANCE_M,
) -> tuple[Motion, bool]:
    """The ego's emergency braking for a conflict at ``conflict_x`` (world m, the nearest point of the
    actor's path): constant speed until ``start_s`` (the critical moment plus a reaction time), then
    braking at ``deceleration`` (m/s^2), or harder (up to MAX_DECELERATION_MPS2) when that is what it
    takes to stop its front ``clearance_m`` short of ``conflict_x``. Returns the motion and whether it
    stops short (False: it cannot, even at the limit; it brakes at ``deceleration`` and the scenario must
    keep its actor out of the ego's path)."""
    v0 = ctx.ego_speed
    room = conflict_x - clearance_m - (v0 * max(start_s, 0.0) + EGO_FRONT_M)  # braking distance available
    needed = v0 * v0 / (2.0 * room) if room > 0 else np.inf
    if needed <= max(deceleration, MAX_DECELERATION_MPS2):
        return braking_ego(ctx, start_s, max(deceleration, needed)), True
    return braking_ego(ctx, start_s, deceleration), False


def ego_footprint(ego: Motion) -> SweptFootprint:
    """The ego vehicle's footprint along its motion (its centre EGO_CENTRE_X_M along its heading)."""
    offset = EGO_CENTRE_X_M * np.column_stack([np.cos(ego.headings), np.sin(ego.headings)])
    return SweptFootprint(ego.positions + offset, ego.headings, EGO_LENGTH_M, EGO_WIDTH_M)


def sight_corridor(ego: Motion, actor: Motion, actor_width: float, camera_x: float = 0.0) -> SweptFootprint:
    """A footprint over time covering the line of sight from the ego's camera (``camera_x`` m ahead
    of the ego's origin) to the actor's centre, ``actor_width`` + 2 * SIGHT_MARGIN_M wide; its length is
    the longest sight line of the sequence (shorter lines are covered centred on their midpoint, so
    the corridor runs a little past both ends: it only keeps random objects away)."""
    eye = ego.positions + [camera_x, 0.0]
    delta = actor.positions - eye
    length = float(np.hypot(*delta.T).max())
    return SweptFootprint(
        centres=eye + delta / 2.0,
        yaws=np.arctan2(delta[:, 1], delta[:, 0]),
        length=max(length, 0.1),
        width=actor_width + 2.0 * SIGHT_MARGIN_M,
    )


def critical_time(drawn_s: float, num_frames: int, fps: float) -> float:
    """When the critical moment happens in the scene: the drawn time, within the sequence's frames
    (a later one is moved to the last frame), and 0 for a still (its only frame shows the moment)."""
    if num_frames <= 1:
        return 0.0
    return float(min(drawn_s, (num_frames - 1) / fps))


def scenario_record(
    spec: ScenarioSpec, drawn: dict[str, Any], time_s: float, plan: ScenarioPlan, layout: str = "straight"
) -> dict[str, Any]:
    """scene.json's ``scenario``: the name, the road layout it was built on, the drawn parameters, the
    critical moment's time in the scene (s), the critical actors (their instance ids are 1.. in plan
    order) by id and role, and the scenario's derived values."""
    return {
        "name": spec.name,
        "layout": layout,
        "parameters": dict(drawn),
        "critical_time_s": time_s,
        "critical_moment": spec.critical_moment,
        "critical_actors": list(range(1, len(plan.actors) + 1)),
        "roles": {str(k + 1): actor.role for k, actor in enumerate(plan.actors)},
        "ego_motion": None if plan.ego is None else {"model": plan.ego.model, **plan.ego.params},
        "derived": dict(plan.derived),
    }

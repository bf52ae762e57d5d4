"""Street scenes: a straight road along +x, lanes both ways (right-hand traffic), sidewalks, buildings,
and labelled road users placed by category rules and moving by their motion models; an ego vehicle
driving along the first lane with a camera looking along +x.

World frame: z up, ground (road surface) at z = 0, the ego vehicle's ground point at
(0, -lane_width / 2, 0). Lanes with y < 0 drive towards +x, lanes with y > 0 towards -x.

This is the straight layout (``scene.layout=straight``); ``intersection`` adds a crossing road and
reuses the rules and motion models here for the road users on it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from assets.catalog import UserAsset
from generator.errors import ConfigError
from generator.world.distributions import sample
from generator.world.facades import Facade, no_facade
from generator.world.furniture import Item, furniture_entities, register
from generator.world.motion import Motion, static
from generator.world.motion_models import (
    cyclist_motion,
    ego_motion,
    pedestrian_motion,
    reentry_motion,
    reentry_speeds,
    vehicle_motion,
)
from generator.world.pieces import (
    ProposeMotion,
    choose_asset,
    grey_material,
    moving_entity,
    object_material,
    place_slots,
    procedural_choice,
    standing_entity,
)
from generator.world.placement import STREET_MARGIN_M, Placer, SweptFootprint
from generator.world.rig import rig_cameras, rig_lidars, rig_radars
from generator.world.road import CURB_HEIGHT_M, ROAD_START_X_M
from generator.world.scenarios.base import Actor, ego_footprint, sight_corridor
from generator.world.seeding import rng_for
from labels.geometry import truncation
from scenes import Entity, Scene, SensorRig
from scenes.transforms import invert_pose, look_at

NEAREST_OBJECT_X_M = 4.0  # objects start this far ahead of the ego camera
NEAREST_VEHICLE_X_M = 7.0  # vehicles in lanes start further out, so one bus does not hide the scene
LANE_RANGE_FACTOR = 1.5  # vehicles in lanes reach this multiple of view_range_m
# Where each category stands: a driving lane, the road edge, or the sidewalk; lost objects (`roadway`)
# lie still on the road edge or anywhere in a lane, animals (`verge`) stand on a sidewalk or the road edge;
# motorcycles (`parked`) stand along the road edge, still, facing with or against the traffic.
PLACEMENT_RULES: dict[str, str] = {
    "car": "lane",
    "truck": "lane",
    "bus": "lane",
    "cyclist": "lane_edge",
    "traffic_cone": "road_edge",
    "barrier": "road_edge",
    "pedestrian": "sidewalk",
    "tire": "roadway",
    "debris": "roadway",
    "animal": "verge",
    "motorcycle": "parked",
}
LOST_IN_LANE_SHARE = 0.5  # `roadway`: share of lost objects lying in a lane (the rest at the road edge)
VERGE_ROAD_SHARE = 0.3  # `verge`: share of animals standing at the road edge (the rest on a sidewalk)


def sample_street_layout(
    cfg: Any,
    rng: np.random.Generator,
    duration_s: float,
    reentry: bool,
    min_lanes: int = 1,
    ego_speed_mps: float | None = None,
) -> dict[str, float]:
    """Road geometry (metres) and the ego speed (m/s) for a sequence lasting ``duration_s`` seconds.

    The road is long enough for the ego's travel plus the view range plus the fastest traffic.
    ``reentry`` needs a second lane in the ego's direction and an ego fast enough to overtake. A
    scenario may ask for ``min_lanes`` per direction and set the ego's speed (``ego_speed_mps``; the
    sampled value is drawn all the same, so the other draws do not move).
    """
    lanes = max(int(sample("scene.lanes_per_direction", cfg.lanes_per_direction, rng)), min_lanes)
    ego_speed = float(sample("scene.motion.ego_speed_mps", cfg.motion.ego_speed_mps, rng))
    if ego_speed_mps is not None:
        ego_speed = float(ego_speed_mps)
    if reentry:
        lanes = max(lanes, 2)
        ego_speed = max(ego_speed, reentry_speeds(duration_s)[0] + 3.0)  # the overtaken car keeps moving
    layout = {
        "lanes_per_direction": lanes,
        "lane_width_m": float(sample("scene.lane_width_m", cfg.lane_width_m, rng)),
        "sidewalk_width_m": float(sample("scene.sidewalk_width_m", cfg.sidewalk_width_m, rng)),
        "view_range_m": float(sample("scene.view_range_m", cfg.view_range_m, rng)),
        "ego_speed_mps": ego_speed,
        "ego_travel_m": ego_speed * duration_s,
        "duration_s": duration_s,
        "reentry": reentry,
    }
    needed = ROAD_START_X_M + layout["ego_travel_m"] + LANE_RANGE_FACTOR * layout["view_range_m"] + 15.0 * duration_s
    layout["road_length_m"] = max(float(cfg.road_length_m), needed + 20.0)
    return layout


def context_entities(
    cfg: Any, layout: dict[str, float], rng: np.random.Generator, facade: Facade = no_facade
) -> list[Entity]:
    """Road, two sidewalks and two rows of buildings (instance id 0: scenery, not labelled); building k
    gets ``facade(k)``'s parameters, its street side (the asset's +y) turned to the road."""
    half_road = layout["lanes_per_direction"] * layout["lane_width_m"]
    length, sidewalk = layout["road_length_m"], layout["sidewalk_width_m"]
    x_mid = length / 2.0 - ROAD_START_X_M
    road = procedural_choice("road", {"length": length, "width": 2 * half_road, "thickness": 0.1})
    entities = [standing_entity("road", 0, "road", road, x_mid, 0.0, -0.1, 0.0, grey_material(0.18, 0.95, 0.1))]
    for side, sign in (("right", -1.0), ("left", 1.0)):
        walk = procedural_choice("sidewalk", {"length": length, "width": sidewalk, "curb_height": CURB_HEIGHT_M})
        y = sign * (half_road + sidewalk / 2.0)
        entities.append(
            standing_entity(f"sidewalk_{side}", 0, "sidewalk", walk, x_mid, y, 0.0, 0.0, grey_material(0.55))
        )
        x = -ROAD_START_X_M
        k = 0
        while x < length - ROAD_START_X_M:
            b_len = float(rng.uniform(8.0, 20.0))
            height = float(sample("scene.building_height_m", cfg.building_height_m, rng))
            params = {"length": b_len, "width": 10.0, "height": height, **facade(len(entities))}
            building = procedural_choice("building", params)
            level = float(rng.uniform(0.35, 0.8))
            y_b = sign * (half_road + sidewalk + 5.0 + float(rng.uniform(0.0, 1.5)))
            entities.append(
                standing_entity(
                    f"building_{side}_{k:02d}",
                    0,
                    "building",
                    building,
                    x + b_len / 2.0,
                    y_b,
                    0.0,
                    0.0 if sign < 0 else np.pi,
                    grey_material(level, 0.8, 0.4),
                )
            )
            x += b_len + float(rng.uniform(0.5, 4.0))
            k += 1
    return entities


def _slot_position(rule: str, layout: dict[str, float], rng: np.random.Generator) -> tuple[float, float, float, float]:
    """(x, y, support_z, heading) at t = 0 for one placement attempt under ``rule``. Objects spread
    along the stretch of road the ego covers plus its view range."""
    travel = layout["ego_travel_m"]
    if rule == "lane":  # lanes fill up first: let traffic stretch further down the road
        x = float(rng.uniform(NEAREST_VEHICLE_X_M, LANE_RANGE_FACTOR * layout["view_range_m"] + travel))
    else:
        x = float(rng.uniform(NEAREST_OBJECT_X_M, layout["view_range_m"] + travel))
    return (x, *slot_across(rule, layout, rng))


def slot_across(rule: str, layout: dict[str, float], rng: np.random.Generator) -> tuple[float, float, float]:
    """(y, support_z, heading) at t = 0 of a slot under ``rule`` across a road of the layout's lanes:
    the side (the right half drives towards +x), then the lane, edge or sidewalk offset."""
    n, w = layout["lanes_per_direction"], layout["lane_width_m"]
    half_road = n * w
    side = 1.0 if rng.uniform() < 0.5 else -1.0  # +1: left half (oncoming), -1: right half (ego direction)
    heading = 0.0 if side < 0 else np.pi
    if rule == "lane":
        lane = int(rng.integers(n))
        return side * (lane + 0.5) * w, 0.0, heading
    if rule == "lane_edge":
        return side * (half_road - 0.7), 0.0, heading
    if rule == "roadway" or rule == "verge":
        rule = _mixed_rule(rule, rng)
    if rule == "lost_in_lane":  # anywhere across one lane, at any angle: dropped, not parked
        y = side * (int(rng.integers(n)) + 0.5 + float(rng.uniform(-0.3, 0.3))) * w
        return y, 0.0, float(rng.uniform(-np.pi, np.pi))
    if rule == "road_edge":
        return side * (half_road - float(rng.uniform(0.3, 1.2))), 0.0, float(rng.uniform(-np.pi, np.pi))
    if rule == "parked":  # at the kerb, along it either way, a little askew
        along = heading + (np.pi if rng.uniform() < 0.3 else 0.0) + float(rng.uniform(-0.25, 0.25))
        return side * (half_road - float(rng.uniform(0.6, 1.0))), 0.0, along
    offset = float(rng.uniform(0.4, max(0.5, layout["sidewalk_width_m"] - 0.4)))
    return side * (half_road + offset), CURB_HEIGHT_M, float(rng.uniform(-np.pi, np.pi))


def _mixed_rule(rule: str, rng: np.random.Generator) -> str:
    """The concrete rule of one placement attempt under ``roadway`` (lost objects: in a lane or at the
    road edge) or ``verge`` (animals: at the road edge or on a sidewalk)."""
    draw = float(rng.uniform())
    if rule == "roadway":
        return "lost_in_lane" if draw < LOST_IN_LANE_SHARE else "road_edge"
    return "road_edge" if draw < VERGE_ROAD_SHARE else "sidewalk"


def road_user_motion(
    cfg: Any,
    layout: dict[str, float],
    times: np.ndarray,
    category: str,
    choice,
    rng: np.random.Generator,
    start: tuple[float, float, float, float],
) -> tuple[Motion, float]:
    """The motion of a road user of ``category`` starting at ``start`` = (x, y, support_z, heading) on a
    road along +x with the layout's lanes, by its category's motion model; and its support height (m)."""
    x, y, z, heading = start
    rule = PLACEMENT_RULES.get(category, "sidewalk")
    direction = 1.0 if y < 0 else -1.0  # right-hand traffic
    if rule == "lane":
        return vehicle_motion(cfg.motion, times, rng, y, direction, x, layout, choice.size_m[1]), z
    if category == "cyclist":
        return cyclist_motion(cfg.motion, times, rng, y, direction, x), z
    if category == "pedestrian":
        half_road = layout["lanes_per_direction"] * layout["lane_width_m"]
        motion, on_road = pedestrian_motion(cfg.motion, times, rng, x, y, heading, half_road)
        return motion, (0.0 if on_road else z)
    return static("placed", {}, times, x, y, heading), z


def road_proposer(cfg: Any, layout: dict[str, float], times: np.ndarray) -> ProposeMotion:
    """The proposal function of ``pieces.place_slots``: a start position by category rule, then the
    category's motion model."""

    def propose(category: str, choice, rng: np.random.Generator) -> tuple[Motion, float]:
        start = _slot_position(PLACEMENT_RULES.get(category, "sidewalk"), layout, rng)
        return road_user_motion(cfg, layout, times, category, choice, rng, start)

    return propose


def constant_ego(layout: dict[str, float], times: np.ndarray) -> Motion:
    """The ego vehicle at the layout's constant speed along the first right-hand lane."""
    return ego_motion(layout["ego_speed_mps"], times, -layout["lane_width_m"] / 2.0)


def place_objects(
    cfg: Any,
    layout: dict[str, float],
    user_assets: list[UserAsset],
    root_seed: int,
    index: int,
    count: int,
    times: np.ndarray,
    ego: Motion | None = None,
    actors: list[Actor] | None = None,
    propose: ProposeMotion | None = None,
    furniture: list[Item] | None = None,
) -> list[Entity]:
    """Up to ``count`` labelled road users (after a scenario's critical ``actors`` and the re-entry car,
    when asked), each starting where its category's rule puts it and moving by its motion model;
    footprints never overlap each other or the ego vehicle (moving along ``ego``, default
    :func:`constant_ego`) at any keyframe time, nor a critical actor's path or the line of sight to it.
    ``propose`` draws each attempt's motion (default: the straight road's rules; the intersection
    layout passes its own). ``furniture`` (``generator.world.furniture``) is registered after the critical
    actors and the re-entry car and before the random road users; its entities come last (labelled
    ones with ids after the road users')."""
    placer = Placer(margin=STREET_MARGIN_M, steps=len(times))
    w = layout["lane_width_m"]
    ego = ego if ego is not None else constant_ego(layout, times)
    placer.reserve(ego_footprint(ego))
    entities: list[Entity] = scenario_entities(actors or [], ego, placer)
    if layout["reentry"]:
        choice = choose_asset("car", [], rng_for(root_seed, index, "reentry", 0))
        material = object_material(
            cfg.materials,
            "car",
            root_seed,
            index,
            (2,),
            (rng_for(root_seed, index, "reentry", 1), rng_for(root_seed, index, "reentry", 2)),
        )
        motion = reentry_motion(times, layout["ego_speed_mps"], -1.5 * w)
        if not placer.try_place(SweptFootprint(motion.positions, motion.headings, choice.size_m[0], choice.size_m[1])):
            raise ConfigError(
                f"scene.lane_width_m: lanes {w:.2f} m wide are too narrow for the re-entry car to pass the ego vehicle"
            )
        iid = len(entities) + 1
        entities.append(moving_entity("car_reentry", iid, "car", choice, motion, 0.0, material))
    kept = register(furniture or [], placer)
    propose = propose or road_proposer(cfg, layout, times)
    entities += place_slots(cfg, user_assets, root_seed, index, count, placer, propose, first_id=len(entities) + 1)
    return entities + furniture_entities(kept, first_id=len(entities) + 1)


def scenario_entities(actors: list[Actor], ego: Motion, placer: Placer) -> list[Entity]:
    """Entities of a scenario's critical actors (instance ids 1, 2, ... in order), their paths and the
    lines of sight from the ego camera to those with ``clear_view`` reserved in ``placer``.

    Raises ConfigError when an actor's path overlaps the ego's or another actor's: the scenario's
    timing keeps them apart on the streets its parameters allow, so this is a street or a combination of
    parameters it cannot be staged on (narrow lanes, extreme values); the message names the actor."""
    entities = []
    for k, actor in enumerate(actors):
        swept = SweptFootprint(actor.motion.positions, actor.motion.headings, *actor.choice.size_m[:2])
        if not placer.try_place(swept):
            raise ConfigError(
                f"scenario: its critical actor {actor.role!r} would collide with the ego or another critical actor "
                "on this street; widen scene.lane_width_m or move the scenario's parameters towards their defaults"
            )
        name = f"{actor.role}_{k + 1:03d}"
        entity = moving_entity(name, k + 1, actor.category, actor.choice, actor.motion, actor.support_z, actor.material)
        entity.attributes = dict(actor.attributes)
        entities.append(entity)
    for actor in actors:
        if actor.clear_view:
            placer.reserve(sight_corridor(ego, actor.motion, float(max(actor.choice.size_m[:2]))))
    return entities


def ego_rig(
    cfg: Any,
    camera_cfg: Any,
    sensors_cfg: Any,
    layout: dict[str, float],
    rng: np.random.Generator,
    times: np.ndarray,
    ego: Motion | None = None,
) -> tuple[SensorRig, dict]:
    """The ego vehicle driving along the first right-hand lane (``ego``, default
    :func:`constant_ego`) with its sensors; a camera without a mount in the `sensors` config is the
    forward camera at a sampled vehicle height, pitch and yaw."""
    height = float(sample("scene.camera_height_m", cfg.camera_height_m, rng))
    pitch = np.radians(sample("scene.camera_pitch_deg", cfg.camera_pitch_deg, rng))
    yaw = np.radians(sample("scene.camera_yaw_deg", cfg.camera_yaw_deg, rng))
    eye = np.array([0.0, 0.0, height])
    direction = np.array([np.cos(pitch) * np.cos(yaw), np.cos(pitch) * np.sin(yaw), np.sin(pitch)])
    ego_from_sensor = look_at(eye, eye + direction)
    ego = ego if ego is not None else constant_ego(layout, times)
    rig = SensorRig(
        trajectory=ego.trajectory(0.0),
        cameras=rig_cameras(sensors_cfg, camera_cfg, ego_from_sensor),
        lidars=rig_lidars(sensors_cfg),
        radars=rig_radars(sensors_cfg),
    )
    return rig, {"camera_height_m": height, "camera_pitch_rad": float(pitch), "camera_yaw_rad": float(yaw)}


def check_reentry(scene: Scene) -> None:
    """Raise ConfigError unless the scripted re-entry car is in the first camera's view at the first
    frame, out of it at some frame, and back in at the last frame (a camera turned or zoomed far from
    the defaults can break the scenario; the user must hear it, not get a sequence without re-entry)."""
    [car] = [e for e in scene.entities if e.motion.get("model") == "reentry_overtake"]
    camera = scene.rig.cameras[0]
    in_view = []
    for frame in range(scene.num_frames):
        t = scene.frame_time(frame)
        camera_from_object = invert_pose(scene.rig.world_from_sensor(camera, t)) @ car.trajectory.pose_at(t)
        in_view.append(
            truncation(camera_from_object, car.size_m, camera.K, camera.width, camera.height, camera.znear) < 1.0
        )
    if not (in_view[0] and in_view[-1] and not all(in_view)):
        raise ConfigError(
            f"scene.sequence.reentry: in scene {scene.scene_id} the re-entry car does not leave the view and come "
            f"back (camera yaw {np.degrees(scene.params['camera_yaw_rad']):.1f} deg, "
            f"{scene.num_frames} frames at {scene.fps:g} fps); keep camera_yaw_deg and fov_deg near the defaults"
        )

"""Street scenes: a straight road along +x, lanes both ways (right-hand traffic), sidewalks, buildings,
and labelled road users placed by category rules; an ego camera in the first lane looking along +x.

World frame: z up, ground (road surface) at z = 0, the ego vehicle's ground point at
(0, -lane_width / 2, 0). Lanes with y < 0 drive towards +x, lanes with y > 0 towards -x.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from assets.catalog import UserAsset
from generator.distributions import sample
from generator.pieces import grey_material, make_camera, place_slots, procedural_choice, standing_entity
from generator.placement import Footprint, Placer
from scenes import Entity, SensorRig, Trajectory
from scenes.transforms import look_at, make_pose

CURB_HEIGHT_M = 0.15
NEAREST_OBJECT_X_M = 4.0  # objects start this far ahead of the ego camera
NEAREST_VEHICLE_X_M = 7.0  # vehicles in lanes start further out, so one bus does not hide the scene
LANE_RANGE_FACTOR = 1.5  # vehicles in lanes reach this multiple of view_range_m
# Where each category stands: a driving lane, the road edge, or the sidewalk.
PLACEMENT_RULES: dict[str, str] = {
    "car": "lane",
    "truck": "lane",
    "bus": "lane",
    "cyclist": "lane_edge",
    "traffic_cone": "road_edge",
    "barrier": "road_edge",
    "pedestrian": "sidewalk",
}


def sample_street_layout(cfg: Any, rng: np.random.Generator) -> dict[str, float]:
    """Road geometry parameters (metres)."""
    return {
        "lanes_per_direction": int(sample("scene.lanes_per_direction", cfg.lanes_per_direction, rng)),
        "lane_width_m": float(sample("scene.lane_width_m", cfg.lane_width_m, rng)),
        "sidewalk_width_m": float(sample("scene.sidewalk_width_m", cfg.sidewalk_width_m, rng)),
        "view_range_m": float(sample("scene.view_range_m", cfg.view_range_m, rng)),
        "road_length_m": float(cfg.road_length_m),
    }


def context_entities(cfg: Any, layout: dict[str, float], rng: np.random.Generator) -> list[Entity]:
    """Road, two sidewalks and two rows of buildings (instance id 0: scenery, not labelled)."""
    half_road = layout["lanes_per_direction"] * layout["lane_width_m"]
    length, sidewalk = layout["road_length_m"], layout["sidewalk_width_m"]
    x_mid = length / 2.0 - 20.0
    road = procedural_choice("road", {"length": length, "width": 2 * half_road, "thickness": 0.1})
    entities = [standing_entity("road", 0, "road", road, x_mid, 0.0, -0.1, 0.0, grey_material(0.18, 0.95, 0.1))]
    for side, sign in (("right", -1.0), ("left", 1.0)):
        walk = procedural_choice("sidewalk", {"length": length, "width": sidewalk, "curb_height": CURB_HEIGHT_M})
        y = sign * (half_road + sidewalk / 2.0)
        entities.append(
            standing_entity(f"sidewalk_{side}", 0, "sidewalk", walk, x_mid, y, 0.0, 0.0, grey_material(0.55))
        )
        x = -20.0
        k = 0
        while x < length - 20.0:
            b_len = float(rng.uniform(8.0, 20.0))
            height = float(sample("scene.building_height_m", cfg.building_height_m, rng))
            building = procedural_choice("building", {"length": b_len, "width": 10.0, "height": height})
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
                    0.0,
                    grey_material(level, 0.8, 0.4),
                )
            )
            x += b_len + float(rng.uniform(0.5, 4.0))
            k += 1
    return entities


def _slot_position(rule: str, layout: dict[str, float], rng: np.random.Generator) -> tuple[float, float, float, float]:
    """(x, y, support_z, yaw) for one placement attempt under ``rule``."""
    n, w = layout["lanes_per_direction"], layout["lane_width_m"]
    half_road = n * w
    if rule == "lane":  # lanes fill up first: let traffic stretch further down the road
        x = float(rng.uniform(NEAREST_VEHICLE_X_M, LANE_RANGE_FACTOR * layout["view_range_m"]))
    else:
        x = float(rng.uniform(NEAREST_OBJECT_X_M, layout["view_range_m"]))
    side = 1.0 if rng.uniform() < 0.5 else -1.0  # +1: left half (oncoming), -1: right half (ego direction)
    heading = 0.0 if side < 0 else np.pi
    if rule == "lane":
        lane = int(rng.integers(n))
        return x, side * (lane + 0.5) * w, 0.0, heading + float(rng.normal(0.0, 0.04))
    if rule == "lane_edge":
        return x, side * (half_road - 0.7), 0.0, heading + float(rng.normal(0.0, 0.05))
    if rule == "road_edge":
        return x, side * (half_road - float(rng.uniform(0.3, 1.2))), 0.0, float(rng.uniform(-np.pi, np.pi))
    offset = float(rng.uniform(0.4, max(0.5, layout["sidewalk_width_m"] - 0.4)))
    return x, side * (half_road + offset), CURB_HEIGHT_M, float(rng.uniform(-np.pi, np.pi))


def place_objects(
    cfg: Any, layout: dict[str, float], user_assets: list[UserAsset], root_seed: int, index: int, count: int
) -> list[Entity]:
    """Up to ``count`` labelled road users, each where its category's rule puts it, no overlaps."""
    placer = Placer(margin=0.2)
    w = layout["lane_width_m"]
    placer.reserve(Footprint(x=-0.5, y=-w / 2.0, length=7.0, width=2.4, yaw=0.0))  # the ego vehicle

    def propose(category, choice, rng):
        return _slot_position(PLACEMENT_RULES.get(category, "sidewalk"), layout, rng)

    return place_slots(cfg, user_assets, root_seed, index, count, placer, propose)


def ego_rig(cfg: Any, camera_cfg: Any, layout: dict[str, float], rng: np.random.Generator) -> tuple[SensorRig, dict]:
    """The ego vehicle in the first right-hand lane with a forward camera at vehicle height."""
    height = float(sample("scene.camera_height_m", cfg.camera_height_m, rng))
    pitch = np.radians(sample("scene.camera_pitch_deg", cfg.camera_pitch_deg, rng))
    yaw = np.radians(sample("scene.camera_yaw_deg", cfg.camera_yaw_deg, rng))
    eye = np.array([0.0, 0.0, height])
    direction = np.array([np.cos(pitch) * np.cos(yaw), np.cos(pitch) * np.sin(yaw), np.sin(pitch)])
    ego_from_sensor = look_at(eye, eye + direction)
    world_from_ego = make_pose(np.eye(3), [0.0, -layout["lane_width_m"] / 2.0, 0.0])
    rig = SensorRig(trajectory=Trajectory.static(world_from_ego), cameras=[make_camera(camera_cfg, ego_from_sensor)])
    return rig, {"camera_height_m": height, "camera_pitch_rad": float(pitch), "camera_yaw_rad": float(yaw)}

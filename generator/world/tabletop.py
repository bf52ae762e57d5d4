"""Tabletop scenes: household objects standing on a table, a floor, and a camera on a hemisphere
aimed at the table. World frame: z up, floor at z = 0, table centred on the origin."""

from __future__ import annotations

from typing import Any

import numpy as np

from assets.catalog import UserAsset
from generator.world.distributions import sample
from generator.world.motion import static
from generator.world.motion_models import tabletop_camera_trajectory
from generator.world.pieces import grey_material, place_slots, procedural_choice, standing_entity
from generator.world.placement import Placer
from generator.world.rig import rig_cameras
from scenes import Entity, Material, SensorRig
from scenes.transforms import look_at

EDGE_MARGIN_M = 0.03  # keep objects this far inside the table top's edge


def sample_table_layout(cfg: Any, rng: np.random.Generator) -> dict[str, float]:
    """Table size parameters (metres)."""
    return {
        "table_length_m": float(sample("scene.table_length_m", cfg.table_length_m, rng)),
        "table_width_m": float(sample("scene.table_width_m", cfg.table_width_m, rng)),
        "table_height_m": float(sample("scene.table_height_m", cfg.table_height_m, rng)),
    }


def context_entities(layout: dict[str, float], rng: np.random.Generator) -> list[Entity]:
    """A floor slab and the table (instance id 0: scenery)."""
    floor = procedural_choice("road", {"length": 8.0, "width": 8.0, "thickness": 0.05})
    table = procedural_choice(
        "table",
        {
            "length": layout["table_length_m"],
            "width": layout["table_width_m"],
            "height": layout["table_height_m"],
            "top_thickness": 0.04,
            "leg_width": 0.05,
        },
    )
    wood = Material(base_color=(float(rng.uniform(0.3, 0.6)), float(rng.uniform(0.2, 0.4)), 0.15), roughness=0.6)
    return [
        standing_entity("floor", 0, "ground", floor, 0.0, 0.0, -0.05, 0.0, grey_material(float(rng.uniform(0.3, 0.7)))),
        standing_entity("table", 0, "table", table, 0.0, 0.0, 0.0, 0.0, wood),
    ]


def place_objects(
    cfg: Any,
    layout: dict[str, float],
    user_assets: list[UserAsset],
    root_seed: int,
    index: int,
    count: int,
    times: np.ndarray,
) -> list[Entity]:
    """Up to ``count`` objects standing still on the table top, random yaw, no footprint overlap."""
    top_z = layout["table_height_m"]

    def propose(category, choice, rng):
        radius = 0.5 * float(np.hypot(choice.size_m[0], choice.size_m[1]))
        half_x = layout["table_length_m"] / 2.0 - EDGE_MARGIN_M - radius
        half_y = layout["table_width_m"] / 2.0 - EDGE_MARGIN_M - radius
        if half_x <= 0 or half_y <= 0:
            return None  # larger than the table
        x, y = float(rng.uniform(-half_x, half_x)), float(rng.uniform(-half_y, half_y))
        return static("placed", {}, times, x, y, float(rng.uniform(-np.pi, np.pi))), top_z

    placer = Placer(margin=0.01, steps=len(times))
    return place_slots(cfg, user_assets, root_seed, index, count, placer, propose)


def hemisphere_rig(
    cfg: Any,
    camera_cfg: Any,
    sensors_cfg: Any,
    layout: dict[str, float],
    rng: np.random.Generator,
    rng_motion: np.random.Generator,
    times: np.ndarray,
) -> tuple[SensorRig, dict]:
    """A camera on a hemisphere around the table centre, aimed at the table top (jittered); in a
    sequence it orbits about the table's vertical axis or dollies along its viewing direction."""
    distance = float(sample("scene.camera_distance_m", cfg.camera_distance_m, rng))
    elevation = np.radians(sample("scene.camera_elevation_deg", cfg.camera_elevation_deg, rng))
    azimuth = np.radians(sample("scene.camera_azimuth_deg", cfg.camera_azimuth_deg, rng))
    target = np.array([*rng.uniform(-0.1, 0.1, size=2), layout["table_height_m"]])
    eye = target + distance * np.array(
        [np.cos(elevation) * np.cos(azimuth), np.cos(elevation) * np.sin(azimuth), np.sin(elevation)]
    )
    view_dir = (target - eye) / distance
    trajectory, motion = tabletop_camera_trajectory(cfg, times, rng_motion, target, view_dir, distance)
    rig = SensorRig(trajectory=trajectory, cameras=rig_cameras(sensors_cfg, camera_cfg, look_at(eye, target)))
    params = {
        "camera_distance_m": distance,
        "camera_elevation_rad": float(elevation),
        "camera_azimuth_rad": float(azimuth),
        "camera_target": [float(v) for v in target],
        "camera_motion": motion,
    }
    return rig, params

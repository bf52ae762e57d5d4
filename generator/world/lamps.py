"""Lamps the conditions switch on: street lamps along the sidewalks and vehicles' head and tail lights.

Each lamp is a ``scenes.Light``: a spot light that lights the scene and an emitter disc that glows in the
camera image only (never in depth, instance maps, masks or LiDAR returns, so labels stay those of the
unlit scene). Vehicle lamps are mounted on their vehicle (``Light.parent``) at its actual surface, found
by casting a ray at the vehicle's mesh in its object frame, so the disc sits on the body, not on its box.

Street lamps hang 6 m above the outer edge of each sidewalk, every ``street_light_spacing_m``, tilted
towards the road (EN 13201 lighting classes for urban streets assume mounting heights of 4-10 m); their
posts and arms come with the street furniture of a later issue, so today only the lamp head is there.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from assets import entity_mesh
from generator.world.road import ROAD_START_X_M
from scenes import Entity, Light

VEHICLE_CATEGORIES = ("car", "truck", "bus")
UNLIT_MOTIONS = ("parked",)  # parked vehicles stand dark
STREET_LAMP_HEIGHT_M = 6.0
STREET_LAMP_INSET_M = 0.5  # from the sidewalk's outer edge towards the road
STREET_LAMP_TILT = 0.3  # horizontal component (towards the road) of the lamp's unit down direction, before normalising
STREET_LAMP_CONE_RAD = 1.0  # half-angle: a wide street-lighting distribution
STREET_LAMP_RADIUS_M = 0.25
STREET_LAMP_COLOR = (1.0, 0.85, 0.62)  # warm white (3000 K LED, as most European retrofits)
# Head lamps: low beams aim slightly down (ECE R112's cut-off lies 1 % below the horizon); the lamp centre
# ~0.6 m above the road on cars, ~0.9 m on trucks and buses; tail lamps are red (ECE R7).
HEAD_CONE_RAD = 0.35
HEAD_DROP = 0.03  # downward slope of the beam axis
HEAD_COLOR = (1.0, 0.95, 0.85)
TAIL_COLOR = (1.0, 0.04, 0.02)
HEAD_RADIUS_M = {"car": 0.09, "truck": 0.12, "bus": 0.12}
TAIL_RADIUS_M = {"car": 0.06, "truck": 0.08, "bus": 0.08}
LAMP_HEIGHT_M = {"car": 0.62, "truck": 0.9, "bus": 0.9}
LAMP_SIDE_SHARE = 0.36  # lamp centres at +/- this share of the width from the centre line
SURFACE_OFFSET_M = 0.01  # the disc floats this far off the body, so it never sinks into it


def street_lamps(layout: dict[str, Any], spacing_m: float, intensity: float) -> list[Light]:
    """Spot lights with emitter discs along both sidewalks of the ego road (world frame)."""
    half_road = layout["lanes_per_direction"] * layout["lane_width_m"]
    y_edge = half_road + layout["sidewalk_width_m"] - STREET_LAMP_INSET_M
    length = layout["road_length_m"]
    lamps = []
    for side, sign in (("right", -1.0), ("left", 1.0)):
        direction = np.array([0.0, -sign * STREET_LAMP_TILT, -1.0])
        direction /= np.linalg.norm(direction)
        for k, x in enumerate(np.arange(-ROAD_START_X_M + spacing_m / 2.0, length - ROAD_START_X_M, spacing_m)):
            position = (float(x), float(sign * y_edge), STREET_LAMP_HEIGHT_M)
            lamps.append(
                _spot(
                    f"street_lamp_{side}_{k:03d}",
                    STREET_LAMP_COLOR,
                    intensity,
                    direction,
                    position,
                    STREET_LAMP_CONE_RAD,
                    STREET_LAMP_RADIUS_M,
                )  # fmt: skip
            )
    return lamps


def vehicle_lamps(entities: list[Entity], headlight_intensity: float) -> list[Light]:
    """Two head lamps (spot lights) and two tail lamps (glow only) on every labelled vehicle that is not
    parked, in the vehicle's object frame (x forward, y left, z up; origin at its box centre)."""
    head_dir = np.array([1.0, 0.0, -HEAD_DROP]) / np.hypot(1.0, HEAD_DROP)
    tail_dir = np.array([-1.0, 0.0, 0.0])
    lamps = []
    for entity in entities:
        if entity.category not in VEHICLE_CATEGORIES or entity.motion.get("model") in UNLIT_MOTIONS:
            continue
        _, width, height = entity.size_m
        z = min(LAMP_HEIGHT_M[entity.category], 0.8 * height) - height / 2.0
        ys = (LAMP_SIDE_SHARE * width, -LAMP_SIDE_SHARE * width)
        for kind, facing, color, intensity, direction, radius in (
            ("head", +1.0, HEAD_COLOR, headlight_intensity, head_dir, HEAD_RADIUS_M[entity.category]),
            ("tail", -1.0, TAIL_COLOR, 0.0, tail_dir, TAIL_RADIUS_M[entity.category]),
        ):
            points = _surface_points(entity, ys, z, facing)
            for side, point in zip(("left", "right"), points, strict=True):
                name = f"{entity.name}_{kind}_{side}"
                lamps.append(_spot(name, color, intensity, direction, point, HEAD_CONE_RAD, radius, entity.name))
    return lamps


def _spot(
    name: str,
    color: tuple[float, float, float],
    intensity: float,
    direction: np.ndarray,
    position: Any,
    cone_rad: float,
    radius_m: float,
    parent: str | None = None,
) -> Light:
    """A spot lamp with an emitter disc (plain floats, as scene.json stores them)."""
    return Light(
        name=name,
        kind="spot",
        color=color,
        intensity=float(intensity),
        direction=tuple(float(v) for v in direction),
        position=tuple(float(v) for v in position),
        spot_angle_rad=cone_rad,
        parent=parent,
        emitter_radius_m=radius_m,
    )


def _surface_points(entity: Entity, ys: tuple[float, ...], z: float, facing: float) -> list[np.ndarray]:
    """Where rays along -facing * x, at heights z and lateral offsets ys (object frame, m), first meet the
    entity's mesh coming from outside its box, moved SURFACE_OFFSET_M back out; the box face where a ray
    misses the mesh."""
    length = entity.size_m[0]
    origins = np.array([[facing * (length / 2.0 + 1.0), y, z] for y in ys])
    direction = np.array([-facing, 0.0, 0.0])
    distances = _first_hits(entity_mesh(entity), origins, direction)
    points = []
    for origin, distance in zip(origins, distances, strict=True):
        if not np.isfinite(distance):
            distance = 1.0  # the box face
        points.append(origin + direction * (distance - SURFACE_OFFSET_M))
    return points


def _first_hits(mesh: Any, origins: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Distance (m) along ``direction`` from each origin to the nearest triangle of ``mesh`` (inf on a
    miss): the Moller-Trumbore test (J. Graphics Tools 2(1), 1997) vectorised over all triangles. A few
    rays per vehicle, so no acceleration structure (and no Embree in the generator)."""
    tri = np.asarray(mesh.triangles, np.float64)
    v0, e1, e2 = tri[:, 0], tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
    p = np.cross(direction, e2)
    det = np.einsum("ij,ij->i", e1, p)
    ok = np.abs(det) > 1e-12
    inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
    out = np.full(len(origins), np.inf)
    for k, origin in enumerate(origins):
        s = origin - v0
        u = np.einsum("ij,ij->i", s, p) * inv
        q = np.cross(s, e1)
        v = (q @ direction) * inv
        t = np.einsum("ij,ij->i", e2, q) * inv
        hit = ok & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 0)
        if hit.any():
            out[k] = float(t[hit].min())
    return out

"""Automotive radar detections by ray casting: range, azimuth, elevation, Doppler velocity, RCS, labels.

Scan: a grid of rays over the radar's field of view, one per cell of ``radar.azimuth_resolution`` in
azimuth by about 1 degree in elevation (cell centres), cast from the sensor at time ``t`` against every
object at ``t``. Each cell that hits a surface within ``radar.max_range`` is a candidate detection.

RCS proxy (dBsm), per cell:
    sigma = reflectivity * |cos(incidence)| * r^2 * d_omega,   rcs = 10 log10(sigma)
where r^2 * d_omega (d_omega = d_azimuth * d_elevation * cos(elevation), the cell's solid angle) is the
area the cell covers perpendicular to the ray at range r: a large surface seen from far away spreads its
cross-section over fewer, larger cells. The material's ``reflectivity`` stands in for its radar
reflectance and |cos(incidence)| for the share of energy a tilted surface sends back.
Strength: detections are ranked by the radar equation's received power, sigma / r^4 (in dB:
rcs - 40 log10 r), strongest first, ties broken by scan order (azimuth cell, then elevation cell).

Selection: at most ``radar.max_per_object`` detections per labelled object (instance id > 0); the static
world (id 0, many unrelated surfaces) has no per-object cap; at most ``radar.max_detections`` in all.

Radial velocity (m/s, + = moving away): ``(v_hit - v_sensor) . u`` with u the unit line of sight from
the sensor to the hit point, v_hit the hit entity's velocity (``Trajectory.velocity_at``; 0 for the
static world) and v_sensor the velocity of the sensor origin (a finite difference of
``rig.world_from_sensor`` over 1e-4 s, so the ego's turning is included). An articulated entity (a
person) is cast with its parts where they are at t, but every detection on it gets its trajectory's
velocity, not that of the limb hit: the micro-Doppler of swinging arms and legs is not modelled.

Noise (only from the ``rng`` passed): Gaussian on range, azimuth and radial velocity with the radar's
standard deviations; then range and velocity are quantised to multiples of their resolutions and the
azimuth to the centre of its scan cell. Output x, y, z: sensor frame (x forward, y left, z up) at ``t``
from the reported range, azimuth and the cell's elevation.

Rain (``scene.conditions.rain_rate_mm_h`` > 0; renderers.raycast.radar_weather): two-way ITU-R P.838-3
attenuation of each detection's power and inferred RCS, detections below the rated range's floor dropped, and
light rain clutter (instance id 0, semantic class ``weather``, the ground's velocity) ranked with the rest.
Radial velocities of real detections are unchanged. Without rain nothing of this runs.
"""

from __future__ import annotations

import numpy as np

from renderers.raycast.radar_weather import WEATHER_SEMANTIC_ID, detectable, rain_clutter, two_way_loss_db
from renderers.raycast.world import Hits, world_for
from scenes import DETECTION_DTYPE, Radar, Scene

# Elevation step of the scan grid (radians): radars resolve elevation coarsely, if at all.
ELEVATION_STEP = np.radians(1.0)
# Time step of the sensor velocity's finite difference, seconds.
VELOCITY_DT = 1e-4
# Floor of sigma before the logarithm (m^2): grazing cells get -100 dBsm, not -inf.
_SIGMA_FLOOR = 1e-10


def scan_grid(radar: Radar) -> tuple[np.ndarray, np.ndarray, float, float]:
    """The scan cells in scan order (azimuth cell, then elevation cell).

    Returns (azimuth (n,), elevation (n,), d_azimuth, d_elevation): cell centres and sizes, radians.
    """
    n_az = max(1, round(radar.horizontal_fov / radar.azimuth_resolution))
    n_el = max(1, round(radar.vertical_fov / ELEVATION_STEP))
    d_az, d_el = radar.horizontal_fov / n_az, radar.vertical_fov / n_el
    az = -radar.horizontal_fov / 2 + (np.arange(n_az) + 0.5) * d_az
    el = -radar.vertical_fov / 2 + (np.arange(n_el) + 0.5) * d_el
    return np.repeat(az, n_el), np.tile(el, n_az), d_az, d_el


def sensor_velocity(scene: Scene, radar: Radar, t: float) -> np.ndarray:
    """(3,) world velocity (m/s) of the sensor origin at time t: forward finite difference of its pose."""
    p0 = scene.rig.world_from_sensor(radar, t)[:3, 3]
    p1 = scene.rig.world_from_sensor(radar, t + VELOCITY_DT)[:3, 3]
    return (p1 - p0) / VELOCITY_DT


def _entity_velocities(scene: Scene, t: float) -> np.ndarray:
    """(max_id + 1, 3) world velocity of each instance id at t; row 0 (static world) is 0."""
    top = max((e.instance_id for e in scene.entities), default=0)
    velocity = np.zeros((top + 1, 3))
    for entity in scene.entities:
        if entity.instance_id > 0:
            velocity[entity.instance_id] = entity.trajectory.velocity_at(t)
    return velocity


def _select(power: np.ndarray, instance_id: np.ndarray, radar: Radar) -> np.ndarray:
    """Indices of the kept candidates, strongest first: per-object cap, then the overall cap."""
    order = np.lexsort((np.arange(len(power)), -power))  # strongest first; ties: scan order
    ids = instance_id[order]
    by_id = np.argsort(ids, kind="stable")  # groups ids, strongest first inside each group
    sorted_ids = ids[by_id]
    starts = np.searchsorted(sorted_ids, sorted_ids, side="left")
    rank = np.empty(len(ids), np.intp)
    rank[by_id] = np.arange(len(ids)) - starts
    keep = (ids == 0) | (rank < radar.max_per_object)
    return order[keep][: radar.max_detections]


def detect_radar(scene: Scene, radar: Radar, t: float, rng: np.random.Generator | None = None) -> np.ndarray:
    """One radar frame at time ``t`` seconds.

    Args:
        scene: the scene (its Embree geometry is compiled on first use and cached).
        radar: a radar of ``scene.rig``.
        t: seconds from the scene's start.
        rng: generator for range, azimuth and velocity noise; None = exact (still quantised).

    Returns:
        (m,) ``DETECTION_DTYPE`` detections, strongest first (module docstring): range (m), azimuth and
        elevation (rad), radial_velocity (m/s, + = away), rcs (dBsm), instance_id, semantic_id, x y z
        (sensor frame, m).
    """
    azimuth, elevation, d_az, d_el = scan_grid(radar)
    world_from_sensor = scene.rig.world_from_sensor(radar, t)
    local = np.stack([np.cos(elevation) * np.cos(azimuth), np.cos(elevation) * np.sin(azimuth), np.sin(elevation)], 1)
    directions = local @ world_from_sensor[:3, :3].T
    origins = np.broadcast_to(world_from_sensor[:3, 3], directions.shape)
    hits = world_for(scene).cast(origins, directions, t, max_range=radar.max_range)
    cells = np.flatnonzero(hits.hit)
    r = hits.distance[cells].astype(np.float64)
    cos_incidence = np.abs(np.einsum("ij,ij->i", hits.normal[cells], hits.directions[cells]))
    sigma = hits.reflectivity[cells] * cos_incidence * r**2 * (d_az * d_el * np.cos(elevation[cells]))
    rcs = 10.0 * np.log10(np.maximum(sigma, _SIGMA_FLOOR))
    if scene.conditions.rain_rate_mm_h > 0:  # rain attenuates and adds clutter; never for a clear scene
        cells, r, rcs, radial, instance_id, semantic = _rainy(scene, radar, t, hits, cells, r, rcs, d_az * d_el)
    else:
        kept = _select(rcs - 40.0 * np.log10(r), hits.instance_id[cells], radar)
        cells, r, rcs = cells[kept], r[kept], rcs[kept]
        radial = _radial_velocity(scene, radar, t, hits, cells)
        instance_id, semantic = hits.instance_id[cells], hits.semantic_id[cells]
    az = azimuth[cells]
    if rng is not None:
        r = r + rng.normal(0.0, radar.range_noise_std, len(r))
        az = az + rng.normal(0.0, radar.azimuth_noise_std, len(az))
        radial = radial + rng.normal(0.0, radar.velocity_noise_std, len(radial))
    r = np.maximum(np.round(r / radar.range_resolution) * radar.range_resolution, 0.0)
    cell = np.clip(np.round((az + radar.horizontal_fov / 2) / d_az - 0.5), 0, round(radar.horizontal_fov / d_az) - 1)
    az = -radar.horizontal_fov / 2 + (cell + 0.5) * d_az
    radial = np.round(radial / radar.velocity_resolution) * radar.velocity_resolution
    el = elevation[cells]
    out = np.empty(len(cells), DETECTION_DTYPE)
    out["x"], out["y"], out["z"] = r * np.cos(el) * np.cos(az), r * np.cos(el) * np.sin(az), r * np.sin(el)
    out["range"], out["azimuth"], out["elevation"] = r, az, el
    out["radial_velocity"], out["rcs"] = radial, rcs
    out["instance_id"], out["semantic_id"] = instance_id, semantic
    return out


def _rainy(
    scene: Scene,
    radar: Radar,
    t: float,
    hits: Hits,
    cells: np.ndarray,
    r: np.ndarray,
    rcs: np.ndarray,
    cell_area: float,
) -> tuple[np.ndarray, ...]:
    """The candidates ``cells`` (ranges r, rcs) under rain (renderers.raycast.radar_weather): attenuated,
    those below the floor dropped, rain clutter added, then selected as in clear air. Returns (cells, r,
    rcs, radial velocity, instance id, semantic id) of the kept detections, strongest first."""
    rate = scene.conditions.rain_rate_mm_h
    azimuth, elevation, _, _ = scan_grid(radar)
    solid_angle = cell_area * np.cos(elevation)
    clutter = rain_clutter(scene, radar, t, hits.distance.astype(np.float64), solid_angle)
    seen = detectable(r, rate, radar.max_range)
    cells, r, rcs = cells[seen], r[seen], rcs[seen] - two_way_loss_db(r[seen], rate)
    hard = len(cells)
    radial = _radial_velocity(scene, radar, t, hits, cells)
    # clutter moves with the ground: the static world's radial velocity along each clutter cell's ray
    world_from_sensor = scene.rig.world_from_sensor(radar, t)
    el, az = elevation[clutter.cell], azimuth[clutter.cell]
    line = np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], 1) @ world_from_sensor[:3, :3].T
    clutter_radial = -line @ sensor_velocity(scene, radar, t)
    cells = np.concatenate([cells, clutter.cell])
    r, rcs = np.concatenate([r, clutter.range_m]), np.concatenate([rcs, clutter.rcs])
    radial = np.concatenate([radial, clutter_radial])
    weather = np.arange(len(cells)) >= hard
    instance_id = np.where(weather, 0, hits.instance_id[cells]).astype(np.uint16)
    semantic = np.where(weather, WEATHER_SEMANTIC_ID, hits.semantic_id[cells]).astype(np.uint16)
    kept = _select(rcs - 40.0 * np.log10(r), instance_id, radar)
    return cells[kept], r[kept], rcs[kept], radial[kept], instance_id[kept], semantic[kept]


def _radial_velocity(scene: Scene, radar: Radar, t: float, hits: Hits, cells: np.ndarray) -> np.ndarray:
    """(m,) exact radial velocity (m/s, + = away) of the hits ``cells``: relative velocity of the hit
    entity and the sensor origin, projected on the line of sight from the sensor to the hit point."""
    sensor_position = scene.rig.world_from_sensor(radar, t)[:3, 3]
    line = hits.point[cells] - sensor_position
    line /= np.linalg.norm(line, axis=1, keepdims=True)
    relative = _entity_velocities(scene, t)[hits.instance_id[cells]] - sensor_velocity(scene, radar, t)
    return np.einsum("ij,ij->i", relative, line)

"""A spinning LiDAR sweep by ray casting: points with range, intensity, ring, time and labels.

Firing pattern: ``lidar.azimuths()`` columns fired at ``lidar.firing_times()`` (seconds from the sweep
start), every channel of a column at once; channel k fires at elevation ``lidar.elevations[k]`` (ring k,
0 = lowest). Ray direction in the sensor frame (x forward, y left, z up):
``(cos el cos az, cos el sin az, sin el)``.

Motion skew: with ``lidar.motion_skew`` each column is cast from the sensor pose at ``t0 + firing time``
against every object at that same time (the ego moves during the sweep too); without it the whole sweep
sees the sensor and the world frozen at ``t0`` (the ``time`` field still holds the firing offsets).
A point's x, y, z are in the sensor frame at the pose its ray was cast from, i.e. at the point's own
firing time: ``range * direction``.

Intensity model (dimensionless, [0, 1]):
    intensity = clip(reflectivity * |cos(incidence)| * min(1, (r_ref / range)^2), 0, 1),  r_ref = 10 m.
A Lambertian surface returns power proportional to its reflectance and the cosine of the incidence angle
(between the ray and the surface normal); for an extended target that fills the beam the received power
falls off with the inverse square of range. Real receivers saturate at short range, modelled as full
scale within the reference distance r_ref, with the inverse-square fall-off beyond it.

Noise and dropout draw only from the ``rng`` the caller passes (none without it): Gaussian range noise
with ``lidar.range_noise_std`` metres along the ray, and a lost return with probability
``lidar.dropout + lidar.intensity_dropout * exp(-intensity / 0.1)`` (dim returns are lost more often).
Returns outside [min_range, max_range] and lost returns are misses: dropped, or kept with ``valid=False``
(x, y, z, range, intensity and ids 0) when ``lidar.keep_misses``.

Conditions (fog, rain, snow, a wet road: ``scene.conditions``) act between the cast and the noise, in
``renderers.raycast.weather``: attenuated and lost hard returns, and weather returns (instance id 0, semantic
class ``weather``) from the fog's backscatter, rain drops and snow flakes. A clear scene skips it entirely.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from renderers.raycast.weather import R_REF, WEATHER_SEMANTIC_ID, apply_weather, has_weather
from renderers.raycast.world import Hits, world_for
from scenes import POINT_DTYPE, Lidar, Scene

# R_REF (renderers.raycast.weather): distance within which the receiver saturates (intensity model), metres.
# Intensity scale of the dim-return dropout: p = intensity_dropout * exp(-intensity / DIM_INTENSITY).
DIM_INTENSITY = 0.1


@dataclass(frozen=True)
class _Pattern:
    """A LiDAR's firing pattern, the same for every sweep; rays in firing order (column, then ring).

    directions: (columns, channels, 3) float32 sensor-frame unit vectors.
    dx, dy, dz: (n,) float32 the same, per component (n = columns * channels).
    azimuth, time: (n,) float32 firing azimuth (radians) and firing offset from the sweep start (s).
    ring: (n,) uint16 channel index.
    offsets: (columns,) float64 firing offsets of the columns (s).
    cone_axes: (columns, 3) float32 sensor-frame axis of the cone holding each column's rays (the
        direction at the middle elevation), and cone_cos its half-angle's cosine (half the elevation
        span), so the caster need not derive them from the rays of every sweep.
    """

    directions: np.ndarray
    dx: np.ndarray
    dy: np.ndarray
    dz: np.ndarray
    azimuth: np.ndarray
    time: np.ndarray
    ring: np.ndarray
    offsets: np.ndarray
    cone_axes: np.ndarray
    cone_cos: np.ndarray


@lru_cache(maxsize=32)
def _pattern_cached(elevations: bytes, steps: int, fov: float, rotation_hz: float) -> _Pattern:
    lidar = Lidar("pattern", np.frombuffer(elevations), steps, np.eye(4), horizontal_fov=fov, rotation_hz=rotation_hz)
    az, el = lidar.azimuths(), lidar.elevations
    directions = np.empty((len(az), len(el), 3), np.float32)
    directions[..., 0] = np.cos(az)[:, None] * np.cos(el)[None, :]
    directions[..., 1] = np.sin(az)[:, None] * np.cos(el)[None, :]
    directions[..., 2] = np.sin(el)[None, :]
    channels = lidar.channels
    flat = directions.reshape(-1, 3)
    mid, half = 0.5 * (el.max() + el.min()), 0.5 * (el.max() - el.min())
    cone_axes = np.stack([np.cos(az) * np.cos(mid), np.sin(az) * np.cos(mid), np.full_like(az, np.sin(mid))], axis=1)
    return _Pattern(
        directions=directions,
        dx=flat[:, 0].copy(),
        dy=flat[:, 1].copy(),
        dz=flat[:, 2].copy(),
        azimuth=np.repeat(az, channels).astype(np.float32),
        time=np.repeat(lidar.firing_times(), channels).astype(np.float32),
        ring=np.tile(np.arange(channels, dtype=np.uint16), steps),
        offsets=lidar.firing_times(),
        cone_axes=cone_axes.astype(np.float32),
        cone_cos=np.full(steps, np.cos(half) - 1e-6, np.float32),  # margin: float32 rounding of the rays
    )


def _pattern(lidar: Lidar) -> _Pattern:
    elevations = np.ascontiguousarray(lidar.elevations, np.float64).tobytes()
    return _pattern_cached(elevations, int(lidar.azimuth_steps), float(lidar.horizontal_fov), float(lidar.rotation_hz))


@dataclass(frozen=True)
class Sweep:
    """The rays of one sweep in firing order, one bundle per column (all channels of a column share the
    sensor origin and the firing time).

    origins: (columns, 3) float64 world metres, the sensor origin when each column fires.
    directions: (columns, channels, 3) float32 world unit vectors.
    times: (columns,) float64 seconds from the scene's start at which each column is cast (the sweep
        start for every column without motion skew).
    cone_axes, cone_cos: (columns, 3) float32 world axes and (columns,) half-angle cosines of cones
        holding each column's directions.
    """

    origins: np.ndarray
    directions: np.ndarray
    times: np.ndarray
    cone_axes: np.ndarray
    cone_cos: np.ndarray


def sweep_rays(scene: Scene, lidar: Lidar, t0: float) -> Sweep:
    """The rays of one sweep of ``lidar`` starting at ``t0`` seconds (see :class:`Sweep`)."""
    pattern = _pattern(lidar)
    columns = len(pattern.offsets)
    track = world_for(scene).rig_track
    skewed = lidar.motion_skew
    times = t0 + pattern.offsets if skewed else np.full(columns, float(t0))
    # one ego pose for the whole sweep when it is frozen, or when the ego does not move at all
    pose_times = times if skewed and track.times.size > 1 else times[:1]
    mount = np.asarray(lidar.ego_from_sensor, np.float64)
    ego_rot = track.rotations_at(pose_times)  # (c, 3, 3) world_from_ego
    origins = np.einsum("cij,j->ci", ego_rot, mount[:3, 3]) + track.translations_at(pose_times)
    if track.fixed_rotation is not None or len(pose_times) == 1:  # one rotation for the sweep: one product
        rot = (ego_rot[0] @ mount[:3, :3]).astype(np.float32)
        directions = pattern.directions @ rot.T
        axes = pattern.cone_axes @ rot.T
    else:
        rot = (ego_rot @ mount[:3, :3]).astype(np.float32)  # (c, 3, 3) world_from_sensor
        directions = np.matmul(pattern.directions, rot.transpose(0, 2, 1))
        axes = np.matmul(rot, pattern.cone_axes[:, :, None])[..., 0]
    return Sweep(np.broadcast_to(origins, (columns, 3)), directions, times, axes, pattern.cone_cos)


def cast_lidar(
    scene: Scene, lidar: Lidar, t0: float, rng: np.random.Generator | None = None, threads: int = 1
) -> np.ndarray:
    """One sweep of ``lidar`` starting at ``t0`` seconds.

    Args:
        scene: the scene (its Embree geometry is compiled on first use and cached).
        lidar: a LiDAR of ``scene.rig``.
        t0: sweep start, seconds from the scene's start.
        rng: generator for range noise and dropout; None = exact returns, nothing dropped.
        threads: ray-casting threads (Embree releases the GIL).

    Returns:
        (m,) ``POINT_DTYPE`` points in firing order (column, then ring): x, y, z in the sensor frame at
        each point's firing time (metres), intensity (module docstring), range (m), azimuth (rad), ring,
        time (s from ``t0``), instance_id, semantic_id, valid. m = returns, or channels x azimuth_steps
        with ``lidar.keep_misses``.
    """
    pattern = _pattern(lidar)
    sweep = sweep_rays(scene, lidar, t0)
    hits = world_for(scene).cast_bundles(
        sweep.origins,
        sweep.directions,
        sweep.times,
        max_range=lidar.max_range,
        threads=threads,
        cones=(sweep.cone_axes, sweep.cone_cos),
        scratch=True,  # consumed below, before this thread casts again
    )
    distance = hits.distance
    returned = np.flatnonzero((distance >= lidar.min_range) & (distance <= lidar.max_range))
    cos_incidence = np.abs(np.einsum("ij,ij->i", hits.normal, hits.directions))
    true_range = np.take(distance, returned)
    falloff = np.minimum(np.float32(1.0), np.square(np.float32(R_REF) / true_range))
    intensity = np.take(hits.reflectivity, returned) * np.take(cos_incidence, returned) * falloff
    np.clip(intensity, 0.0, 1.0, out=intensity)
    measured = true_range
    weather = offset = None
    if has_weather(scene.conditions):  # never for a clear scene: its sweep is the one of before conditions
        w = apply_weather(scene, lidar, t0, hits, returned, true_range, intensity, noise=rng is not None)
        returned, true_range, intensity, weather, offset = w.rows, w.true_range, w.intensity, w.weather, w.range_offset
        measured = true_range if offset is None else true_range + offset
    if rng is not None:
        lost = _lost(lidar, intensity, rng)
        if lost is not None:
            kept = np.flatnonzero(~lost)
            returned, intensity, true_range = returned[kept], intensity[kept], true_range[kept]
            weather = None if weather is None else weather[kept]
            offset = None if offset is None else offset[kept]
            measured = true_range if offset is None else true_range + offset
        if lidar.range_noise_std > 0:
            measured = measured + rng.normal(0.0, lidar.range_noise_std, len(true_range)).astype(np.float32)
    return _points(lidar, pattern, hits, returned, measured, intensity, weather)


def deskew_points(scene: Scene, lidar: Lidar, t0: float, t_ref: float, points: np.ndarray) -> np.ndarray:
    """``points`` of a sweep started at ``t0`` (each in the sensor frame at its firing time t0 + time) moved
    into the sensor frame at ``t_ref`` seconds: ``inverse(world_from_sensor(t_ref)) @ world_from_sensor(
    t0 + time)`` per firing column. This removes the ego's motion during the sweep (a deskewed,
    motion-compensated cloud); an object that moves keeps its own motion. ``range`` and ``azimuth`` stay as
    measured from the firing pose. Returns a new array."""
    track = world_for(scene).rig_track
    mount = np.asarray(lidar.ego_from_sensor, np.float64)
    times, column = np.unique(t0 + points["time"].astype(np.float64), return_inverse=True)
    all_times = np.append(times, t_ref)
    ego_rot = track.rotations_at(all_times)  # (c + 1, 3, 3) world_from_ego
    rot = ego_rot @ mount[:3, :3]  # world_from_sensor rotations
    origin = np.einsum("cij,j->ci", ego_rot, mount[:3, 3]) + track.translations_at(all_times)
    ref_from_world = rot[-1].T
    # per column: ref_from_fire = ref_from_world @ world_from_fire, as a rotation and a translation
    rot_rf = np.einsum("ij,cjk->cik", ref_from_world, rot[:-1])
    trans_rf = (origin[:-1] - origin[-1]) @ ref_from_world.T
    xyz = np.stack([points["x"], points["y"], points["z"]], axis=1).astype(np.float64)
    moved = np.einsum("nij,nj->ni", rot_rf[column], xyz) + trans_rf[column]
    out = points.copy()
    out["x"], out["y"], out["z"] = moved[:, 0], moved[:, 1], moved[:, 2]
    return out


def _points(
    lidar: Lidar,
    pattern: _Pattern,
    hits: Hits,
    returned: np.ndarray,
    measured: np.ndarray,
    intensity: np.ndarray,
    weather: np.ndarray | None = None,
) -> np.ndarray:
    """Assemble the POINT_DTYPE records of the ``returned`` rays (firing-order indices); ``weather`` (m,)
    bool marks returns from fog, rain or snow (instance id 0, semantic class ``weather``)."""
    if lidar.keep_misses:
        points = np.zeros(len(pattern.ring), POINT_DTYPE)
        points["azimuth"], points["ring"], points["time"] = pattern.azimuth, pattern.ring, pattern.time
        rows = returned
    else:
        points = np.empty(len(returned), POINT_DTYPE)
        points["azimuth"] = np.take(pattern.azimuth, returned)
        points["ring"] = np.take(pattern.ring, returned)
        points["time"] = np.take(pattern.time, returned)
        rows = slice(None)
    # the ray left the sensor origin along its sensor-frame direction: the point is range * direction
    points["x"][rows] = measured * np.take(pattern.dx, returned)
    points["y"][rows] = measured * np.take(pattern.dy, returned)
    points["z"][rows] = measured * np.take(pattern.dz, returned)
    points["range"][rows] = measured
    points["intensity"][rows] = intensity
    points["instance_id"][rows] = np.take(hits.instance_id, returned)
    points["semantic_id"][rows] = np.take(hits.semantic_id, returned)
    points["valid"][rows] = True
    if weather is not None and weather.any():
        at = returned[weather] if lidar.keep_misses else np.flatnonzero(weather)
        points["instance_id"][at], points["semantic_id"][at] = 0, WEATHER_SEMANTIC_ID
    return points


def _lost(lidar: Lidar, intensity: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """(m,) bool: returns lost to dropout, or None when the sensor has no dropout."""
    if lidar.dropout <= 0 and lidar.intensity_dropout <= 0:
        return None
    p = lidar.dropout + lidar.intensity_dropout * np.exp(-intensity / DIM_INTENSITY)
    return rng.random(len(intensity)) < p

"""Rain drops and snow flakes in the camera image (numpy only; used by ``renderers.camera_weather``).

Particles are drawn from their measured size distributions at their physical number density in the camera's
frustum, move at their terminal fall velocity relative to the (moving) camera during the exposure, and are
composited in linear radiance where they are nearer than the scene's surface at each pixel (the exact depth
map). They are never labelled and never touch depth, instance or amodal passes.

- Rain: Marshall and Palmer ("The distribution of raindrops with size", J. Meteorology 5, 1948),
  N(D) = N0 exp(-Lambda D), N0 = 8000 m^-3 mm^-1, Lambda = 4.1 R^-0.21 mm^-1 (R in mm/h); terminal velocity
  v = 9.65 - 10.3 exp(-0.6 D) m/s (D in mm), the fit of Atlas, Srivastava and Sekhon (Rev. Geophysics 11,
  1973) to Gunn and Kinzer's (J. Meteorology 6, 1949) measurements.
- Snow: Gunn and Marshall (1958) flakes (``scenes.atmosphere``), falling at v = 0.8 D^0.16 m/s (D the
  flake's diameter in mm), Locatelli and Hobbs' (J. Geophys. Research 79, 1974) fit for aggregates of
  unrimed dendrites, about 1 m/s.

Photometry (Garg and Nayar, "Vision and Rain", IJCV 75, 2007): a particle moving across the image during
the exposure leaves a streak whose brightness at each pixel is the share of the exposure the particle covers
it; so a particle of projected diameter w px spreads its projected area pi w^2 / 4 (px^2) evenly along its
streak, and a pixel's coverage from overlapping particles is alpha = 1 - exp(-sum of the areas it got).
A covered pixel shows the particle's radiance, fogged over the particle's own distance like any surface.
Flakes and the nearest drops (wider than 2 px) are soft discs (a Gaussian of sigma w / 4); the rest are
one-pixel streaks (bilinear). Drops refract the environment over a wide field of view (Garg and Nayar): their
radiance is taken as the mean of the airlight (the sky above the horizon) and the radiance of a white
diffuser under the scene's light (the lit street below); a flake is a diffuser of albedo SNOW_ALBEDO.
Street and head lamps do not light particles here (only the sun and the ambient light do).

Count. Only particles that can show are drawn: drops of D >= RAIN_MIN_DIAMETER_MM and flakes of at least
SNOW_MIN_DIAMETER_MM (the exponential's tail beyond a size is the same exponential shifted). Their expected
number is the number density times the frustum's volume from PARTICLE_NEAR_M to PARTICLE_FAR_M; above
MAX_PARTICLES the far bound shrinks until the expected count is MAX_PARTICLES, so the nearest particles stay
at their true density (far ones are sub-pixel, and their aggregate is the extinction already in the fog
term). At 640x480 with a 90 degree field of view, moderate rain reaches the cap within a few metres.
"""

from __future__ import annotations

import math

import numpy as np

from scenes import Camera, Scene
from scenes.atmosphere import MARSHALL_PALMER_N0, SNOW_DIAMETER_FACTOR, gunn_marshall, marshall_palmer_slope
from scenes.conditions import weather_rng
from scenes.transforms import invert_pose

RAIN_MIN_DIAMETER_MM = 0.5  # smaller drops are sub-pixel hairlines of no visible weight
SNOW_MIN_DIAMETER_MM = 1.0  # dry flake diameter
SNOW_ALBEDO = 0.85  # fresh snow's diffuse reflectance in the visible
EXPOSURE_S = 0.008  # the camera's exposure time (1/125 s): sets the streak length
PARTICLE_NEAR_M = 0.5  # nearer particles are far out of focus and are left out
PARTICLE_FAR_M = 30.0
MAX_PARTICLES = 30000  # per kind and frame: bounds the cost (see the module docstring)
MAX_STREAK_SAMPLES = 256  # samples along one streak (one per pixel of its length, at most this)
MAX_DISC_RADIUS_PX = 6  # a soft disc's stencil half-width
SPHERE_MEAN_COSINE = 0.25  # mean of max(0, n . l) over a sphere: a particle's mean diffuse irradiance factor


def rain_terminal_velocity(diameter_mm: np.ndarray) -> np.ndarray:
    """Terminal fall speed (m/s) of rain drops of diameter ``diameter_mm`` (mm): 9.65 - 10.3 exp(-0.6 D)
    (Atlas et al. 1973), clipped at 0 for the tiniest drops where the fit turns negative."""
    return np.maximum(9.65 - 10.3 * np.exp(-0.6 * np.asarray(diameter_mm, dtype=np.float64)), 0.0)


def snow_terminal_velocity(diameter_mm: np.ndarray) -> np.ndarray:
    """Fall speed (m/s) of snow flakes of (dry) diameter ``diameter_mm`` (mm): 0.8 D^0.16 (Locatelli and
    Hobbs 1974)."""
    return 0.8 * np.asarray(diameter_mm, dtype=np.float64) ** 0.16


def visible_number_density(kind: str, rate_mm_h: float) -> float:
    """Particles per m^3 large enough to draw (``RAIN_MIN_DIAMETER_MM``, ``SNOW_MIN_DIAMETER_MM``): the
    tail N0 / Lambda exp(-Lambda D_min) of the exponential size distribution for ``kind`` "rain" or "snow"."""
    n0, lam, d_min = _distribution(kind, rate_mm_h)
    return n0 / lam * math.exp(-lam * d_min)


def _distribution(kind: str, rate_mm_h: float) -> tuple[float, float, float]:
    """(N0 1/(m^3 mm), Lambda 1/mm, smallest drawn diameter mm), all in the distribution's own diameter: the
    drop's for rain, the melted flake's for snow (Gunn-Marshall)."""
    if kind == "rain":
        return MARSHALL_PALMER_N0, marshall_palmer_slope(rate_mm_h), RAIN_MIN_DIAMETER_MM
    if kind == "snow":
        n0, lam = gunn_marshall(rate_mm_h)
        return n0, lam, SNOW_MIN_DIAMETER_MM / SNOW_DIAMETER_FACTOR
    raise ValueError(f"unknown precipitation kind {kind!r}; known: rain, snow")


def frustum_volume_m3(camera: Camera, near_m: float, far_m: float) -> float:
    """Volume (m^3) of the camera's view frustum between planar depths ``near_m`` and ``far_m``: its
    cross-section at depth z is (W / fx)(H / fy) z^2."""
    K = camera.K
    return camera.width * camera.height / (K[0, 0] * K[1, 1]) * (far_m**3 - near_m**3) / 3.0


def particle_range_m(camera: Camera, density_per_m3: float) -> tuple[float, float]:
    """(far bound m, expected count) of the particles drawn: PARTICLE_FAR_M, or nearer where the expected
    count reaches MAX_PARTICLES."""
    expected = density_per_m3 * frustum_volume_m3(camera, PARTICLE_NEAR_M, PARTICLE_FAR_M)
    if expected <= MAX_PARTICLES:
        return PARTICLE_FAR_M, expected
    per_cubic_m = density_per_m3 * camera.width * camera.height / (3.0 * camera.K[0, 0] * camera.K[1, 1])
    return (PARTICLE_NEAR_M**3 + MAX_PARTICLES / per_cubic_m) ** (1.0 / 3.0), float(MAX_PARTICLES)


def sample_particles(
    kind: str, rate_mm_h: float, camera: Camera, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Particles in the camera's frustum at mid-exposure: positions (n, 3) in the OpenCV camera frame (m),
    diameters (n,) in m (the drop's, or the dry flake's) and fall speeds (n,) m/s. Positions are uniform in
    the frustum's volume (pixel uniform over the image, depth with density ~ z^2)."""
    n0, lam, d_min = _distribution(kind, rate_mm_h)
    far_m, expected = particle_range_m(camera, visible_number_density(kind, rate_mm_h))
    count = int(rng.poisson(expected))
    u = rng.uniform(-0.5, camera.width - 0.5, count)
    v = rng.uniform(-0.5, camera.height - 0.5, count)
    z = (PARTICLE_NEAR_M**3 + rng.uniform(0.0, 1.0, count) * (far_m**3 - PARTICLE_NEAR_M**3)) ** (1.0 / 3.0)
    K = camera.K
    points = np.stack([(u - K[0, 2]) / K[0, 0] * z, (v - K[1, 2]) / K[1, 1] * z, z], axis=1)
    diameter_mm = d_min + rng.exponential(1.0 / lam, count)  # the exponential's tail above d_min
    if kind == "rain":
        return points, diameter_mm * 1e-3, rain_terminal_velocity(diameter_mm)
    flake_mm = diameter_mm * SNOW_DIAMETER_FACTOR
    return points, flake_mm * 1e-3, snow_terminal_velocity(flake_mm)


def _streak_samples(
    points: np.ndarray, diameters_m: np.ndarray, velocity: np.ndarray, camera: Camera
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points (m, 3) along each particle's streak over the exposure (camera frame), the projected area
    (px^2) each carries and the particle's projected diameter (px) at each."""
    start = points - 0.5 * EXPOSURE_S * velocity
    end = points + 0.5 * EXPOSURE_S * velocity
    keep = np.minimum(start[:, 2], end[:, 2]) > 0.5 * PARTICLE_NEAR_M  # the streak stays in front of the lens
    start, end, diameters_m, z_mid = start[keep], end[keep], diameters_m[keep], points[keep, 2]
    fx, fy = camera.K[0, 0], camera.K[1, 1]
    scale = np.array([fx, fy])
    length_px = np.linalg.norm(start[:, :2] / start[:, 2:] * scale - end[:, :2] / end[:, 2:] * scale, axis=1)
    width_px = fx * diameters_m / z_mid
    samples = np.minimum(np.ceil(np.maximum(length_px, width_px)), MAX_STREAK_SAMPLES).astype(np.int64) + 1
    owner = np.repeat(np.arange(len(samples)), samples)
    first = np.cumsum(samples) - samples
    s = (np.arange(len(owner)) - first[owner]) / np.maximum(samples[owner] - 1, 1)
    along = start[owner] + s[:, None] * (end[owner] - start[owner])
    area = (math.pi / 4.0 * width_px**2 / samples)[owner]
    return along, area, width_px[owner]


def _splat(
    along: np.ndarray, area: np.ndarray, width_px: np.ndarray, camera: Camera, depth: np.ndarray, beta: float
) -> tuple[np.ndarray, np.ndarray]:
    """Spread each sample's area over the pixels near its projection, only where it is nearer than the
    scene's surface; returns (H * W,) sums of area and of area times the particle's transmittance."""
    K, width, height = camera.K, camera.width, camera.height
    u = K[0, 0] * along[:, 0] / along[:, 2] + K[0, 2]
    v = K[1, 1] * along[:, 1] / along[:, 2] + K[1, 2]
    transmitted = np.exp(-beta * np.linalg.norm(along, axis=1))
    pixels, weights, owners = [], [], []
    thin = width_px <= 2.0
    # one-pixel streaks: bilinear weights on the four pixels around the sample
    iu, iv = np.floor(u[thin]).astype(np.int64), np.floor(v[thin]).astype(np.int64)
    fu, fv = u[thin] - iu, v[thin] - iv
    index = np.flatnonzero(thin)
    for du, dv, w in ((0, 0, (1 - fu) * (1 - fv)), (1, 0, fu * (1 - fv)), (0, 1, (1 - fu) * fv), (1, 1, fu * fv)):
        pixels.append((iu + du, iv + dv))
        weights.append(w)
        owners.append(index)
    # soft discs: a normalized Gaussian of sigma w / 4 over a stencil of the disc's radius
    for radius in range(1, MAX_DISC_RADIUS_PX + 1):
        group = np.flatnonzero(~thin & (np.minimum(np.ceil(width_px / 2.0), MAX_DISC_RADIUS_PX) == radius))
        if not len(group):
            continue
        cu, cv = np.rint(u[group]).astype(np.int64), np.rint(v[group]).astype(np.int64)
        du, dv = np.meshgrid(np.arange(-radius, radius + 1), np.arange(-radius, radius + 1))
        du, dv = du.ravel(), dv.ravel()
        sigma = width_px[group, None] / 4.0
        gauss = np.exp(
            -((cu[:, None] + du - u[group, None]) ** 2 + (cv[:, None] + dv - v[group, None]) ** 2) / (2 * sigma**2)
        )
        gauss /= gauss.sum(axis=1, keepdims=True)
        pixels.append(((cu[:, None] + du).ravel(), (cv[:, None] + dv).ravel()))
        weights.append(gauss.ravel())
        owners.append(np.repeat(group, len(du)))
    pu = np.concatenate([p[0] for p in pixels])
    pv = np.concatenate([p[1] for p in pixels])
    weight, owner = np.concatenate(weights), np.concatenate(owners)
    inside = (pu >= 0) & (pu < width) & (pv >= 0) & (pv < height)
    pu, pv, weight, owner = pu[inside], pv[inside], weight[inside], owner[inside]
    surface = depth[pv, pu]
    nearer = (surface == 0.0) | (along[owner, 2] < surface)  # occluded by the scene's exact depth otherwise
    flat, mass = (pv * width + pu)[nearer], (weight * area[owner])[nearer]
    size = width * height
    return np.bincount(flat, mass, size), np.bincount(flat, mass * transmitted[owner[nearer]], size)


def white_radiance(scene: Scene) -> np.ndarray:
    """(3,) linear radiance of a white diffuse particle under the scene's ambient light and directional
    lights (pyrender's diffuse term: intensity / pi per unit albedo, times the sphere's mean cosine)."""
    radiance = np.asarray(scene.environment.ambient, dtype=np.float64).copy()
    for light in scene.lights:
        if light.kind == "directional":
            radiance += np.asarray(light.color) * light.intensity / math.pi * SPHERE_MEAN_COSINE
    return radiance


def particle_radiance(kind: str, scene: Scene) -> np.ndarray:
    """(3,) linear radiance of a drop (mean of airlight and a lit white diffuser) or a flake (albedo
    SNOW_ALBEDO under the scene's light)."""
    white = white_radiance(scene)
    if kind == "rain":
        return 0.5 * (np.asarray(scene.conditions.airlight, dtype=np.float64) + white)
    return SNOW_ALBEDO * white


def precipitation_linear(
    linear: np.ndarray, depth_planar_m: np.ndarray, scene: Scene, camera: Camera, t: float
) -> np.ndarray:
    """A linear image (H, W, 3) with the scene's rain and snow particles composited over it (a new array).

    Draws come from ``weather_rng(scene.seeds, scene.index, t, camera.name)``, rain first, so the image is
    the same whatever the backend or frame order. Fall velocity is world -z; the camera's velocity (the
    rig's, its rotation neglected over the exposure) is subtracted, so streaks slant when driving."""
    conditions = scene.conditions
    rng = weather_rng(scene.seeds, scene.index, t, camera.name)
    camera_from_world = invert_pose(scene.rig.world_from_sensor(camera, t))[:3, :3]
    ego_velocity = scene.rig.trajectory.velocity_at(t)
    airlight = np.asarray(conditions.airlight, dtype=np.float64)
    beta = conditions.camera_extinction()
    depth = np.asarray(depth_planar_m)
    out = np.array(linear, dtype=np.float64)
    for kind, rate in (("rain", conditions.rain_rate_mm_h), ("snow", conditions.snow_rate_mm_h)):
        if rate <= 0:
            continue
        points, diameters, speed = sample_particles(kind, rate, camera, rng)
        fall = np.zeros((len(speed), 3))
        fall[:, 2] = -speed
        velocity = (fall - ego_velocity) @ camera_from_world.T
        along, area, width_px = _streak_samples(points, diameters, velocity, camera)
        mass, mass_t = _splat(along, area, width_px, camera, depth, beta)
        alpha = (1.0 - np.exp(-mass)).reshape(depth.shape)[..., None]
        share = np.divide(mass_t, mass, out=np.ones_like(mass), where=mass > 0).reshape(depth.shape)[..., None]
        seen = airlight + (particle_radiance(kind, scene) - airlight) * share  # Koschmieder over its distance
        out = out * (1.0 - alpha) + alpha * seen
    return out

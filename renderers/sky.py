"""A daylight sky from the sun's position, for camera backends that draw no sky of their own (numpy only).

Model: Preetham, Shirley and Smits, "A Practical Analytic Model for Daylight", SIGGRAPH 1999. The sky's
luminance Y and CIE chromaticity (x, y) in a view direction are Perez et al.'s all-weather distribution

    F(theta, gamma) = (1 + A exp(B / cos theta)) (1 + C exp(D gamma) + E cos^2 gamma),

theta the view's zenith angle, gamma its angle to the sun, scaled so that the zenith takes the paper's zenith
values: Y = Y_z F(theta, gamma) / F(0, theta_s), and the same for x and y (the paper's Appendix A.2 gives
A..E as linear functions of the turbidity T, and Y_z, x_z, y_z as functions of T and the sun's zenith angle
theta_s). CIE XYZ goes to linear sRGB with IEC 61966-2-1's matrix. The model holds for a sun at or above the
horizon and views above it: the sun is clamped to the horizon and a view below it takes the horizon's
values (cos theta clamped to ``HORIZON_COS``), as the ground hides such rays in a street.

The sky is brighter toward the sun (the circumsolar term C exp(D gamma), D < 0) and toward the horizon
(A exp(B / cos theta) with A, B < 0 darkens the zenith) and bluer at the zenith; the tests check these
against the formula's own terms. The sun's disc (``SUN_ANGULAR_RADIUS_DEG``) is drawn at
``SUN_DISC_RADIANCE``, which saturates any exposure of the street; near a low sun the circumsolar sky
saturates too (as Blender's does).

Exposure: luminance in kcd/m^2 times ``SKY_EXPOSURE`` gives the linear display radiance of the renderers'
units; it and the turbidity were fitted to the Blender backend's sky (Blender 5.0's Sky Texture, multiple
scattering, times ``renderers.blender.build.SKY_STRENGTH``, bpy 5.0.1): with the sun 45 degrees high, six
directions (zenith; 10 degrees above the horizon toward, across and away from the sun; 40 degrees up across
it; 15 degrees beside the sun) have Blender's luminance within -23 % to +31 % of this model's (geometric mean
ratio 1); turbidity 3 or more spreads them wider (Preetham's horizon brightens less than Blender's).
"""

from __future__ import annotations

import math

import numpy as np

from scenes import Camera, Scene
from scenes.camera_geometry import pixel_rays

SKY_TURBIDITY = 2.0  # Preetham's turbidity: 2 a very clear sky, 3 clear, 6 light haze; 2 fits Blender's sky best
HORIZON_COS = 0.01  # views at or below the horizon take cos(theta) = 0.01 (0.57 degrees above it)
SUN_ANGULAR_RADIUS_DEG = 0.265  # half of the sun's 32' apparent diameter
# linear radiance of the sun's disc: far above any display value, so it saturates every exposure (the real
# disc outshines the sky around it some 1e5 times)
SUN_DISC_RADIANCE = 1000.0
DISPLAY_GAMMA = 2.2  # pyrender's shader output and Pass.RGB's encoding (renderers.camera_weather)
# kcd/m^2 -> linear display radiance, fitted to the Blender backend's sky (module docstring)
SKY_EXPOSURE = 0.045

# Preetham et al. 1999, Appendix A.2: Perez coefficients (A, B, C, D, E) = slope * T + intercept
_PEREZ = {
    "Y": ((0.1787, -1.4630), (-0.3554, 0.4275), (-0.0227, 5.3251), (0.1206, -2.5771), (-0.0670, 0.3703)),
    "x": ((-0.0193, -0.2592), (-0.0665, 0.0008), (-0.0004, 0.2125), (-0.0641, -0.8989), (-0.0033, 0.0452)),
    "y": ((-0.0167, -0.2608), (-0.0950, 0.0092), (-0.0079, 0.2102), (-0.0441, -1.6537), (-0.0109, 0.0529)),
}
# zenith chromaticity: [T^2, T, 1] @ M @ [theta_s^3, theta_s^2, theta_s, 1]
_ZENITH_X = np.array(
    [[0.00166, -0.00375, 0.00209, 0.0], [-0.02903, 0.06377, -0.03202, 0.00394], [0.11693, -0.21196, 0.06052, 0.25886]]
)
_ZENITH_Y = np.array(
    [[0.00275, -0.00610, 0.00317, 0.0], [-0.04214, 0.08970, -0.04153, 0.00516], [0.15346, -0.26756, 0.06670, 0.26688]]
)
# CIE XYZ -> linear sRGB (IEC 61966-2-1)
_XYZ_TO_RGB = np.array([[3.2406, -1.5372, -0.4986], [-0.9689, 1.8758, 0.0415], [0.0557, -0.2040, 1.0570]])


def perez_coefficients(turbidity: float) -> dict[str, tuple[float, float, float, float, float]]:
    """Perez's (A, B, C, D, E) for Y, x and y at ``turbidity`` (Preetham et al. 1999, A.2)."""
    return {k: tuple(s * turbidity + c for s, c in rows) for k, rows in _PEREZ.items()}


def perez(cos_theta: np.ndarray, gamma: np.ndarray, coefficients: tuple[float, ...]) -> np.ndarray:
    """Perez's F(theta, gamma) from cos(theta) (clamped to ``HORIZON_COS``) and gamma (radians)."""
    a, b, c, d, e = coefficients
    cos_theta = np.maximum(cos_theta, HORIZON_COS)
    return (1.0 + a * np.exp(b / cos_theta)) * (1.0 + c * np.exp(d * gamma) + e * np.cos(gamma) ** 2)


def zenith_values(theta_s: float, turbidity: float) -> tuple[float, float, float]:
    """The zenith's luminance Y_z (kcd/m^2) and chromaticity (x_z, y_z) for a sun at zenith angle
    ``theta_s`` (radians) (Preetham et al. 1999, A.2)."""
    chi = (4.0 / 9.0 - turbidity / 120.0) * (math.pi - 2.0 * theta_s)
    luminance = (4.0453 * turbidity - 4.9710) * math.tan(chi) - 0.2155 * turbidity + 2.4192
    t = np.array([turbidity**2, turbidity, 1.0])
    s = np.array([theta_s**3, theta_s**2, theta_s, 1.0])
    return luminance, float(t @ _ZENITH_X @ s), float(t @ _ZENITH_Y @ s)


def sky_xyY(directions: np.ndarray, to_sun: np.ndarray, turbidity: float = SKY_TURBIDITY) -> np.ndarray:
    """(..., 3) Y (kcd/m^2), x, y of the sky seen along unit ``directions`` (..., 3), world frame (z up), under a
    sun in the unit direction ``to_sun`` (towards the sun, world frame)."""
    sun = np.asarray(to_sun, dtype=np.float64).copy()
    sun[2] = max(sun[2], 0.0)  # a sun below the horizon sits on it
    sun = sun / np.linalg.norm(sun) if np.linalg.norm(sun) > 0 else np.array([1.0, 0.0, 0.0])
    theta_s = math.acos(float(np.clip(sun[2], 0.0, 1.0)))
    directions = np.asarray(directions, dtype=np.float64)
    gamma = np.arccos(np.clip(directions @ sun, -1.0, 1.0))
    cos_theta = directions[..., 2]
    coefficients = perez_coefficients(turbidity)
    zenith = zenith_values(theta_s, turbidity)
    out = []
    for key, value in zip(("Y", "x", "y"), zenith, strict=True):
        out.append(value * perez(cos_theta, gamma, coefficients[key]) / perez(1.0, theta_s, coefficients[key]))
    return np.stack(out, axis=-1)


def xyY_to_linear_srgb(xyY: np.ndarray) -> np.ndarray:
    """(..., 3) Y, x, y -> (..., 3) linear sRGB in Y's units (negative components clipped to 0)."""
    luminance, x, y = xyY[..., 0], xyY[..., 1], xyY[..., 2]
    xyz = np.stack([x / y * luminance, luminance, (1.0 - x - y) / y * luminance], axis=-1)
    return np.maximum(xyz @ _XYZ_TO_RGB.T, 0.0)


def sky_linear(directions: np.ndarray, to_sun: np.ndarray, turbidity: float = SKY_TURBIDITY) -> np.ndarray:
    """(..., 3) linear display radiance of the sky along unit world ``directions``, with the sun's disc."""
    rgb = xyY_to_linear_srgb(sky_xyY(directions, to_sun, turbidity)) * SKY_EXPOSURE
    to_sun = np.asarray(to_sun, dtype=np.float64) / np.linalg.norm(to_sun)
    if to_sun[2] > 0.0:  # the disc, where the sun is up
        disc = np.asarray(directions) @ to_sun >= math.cos(math.radians(SUN_ANGULAR_RADIUS_DEG))
        rgb[disc] = SUN_DISC_RADIANCE
    return rgb


def camera_sky_linear(
    K: np.ndarray,
    width: int,
    height: int,
    world_from_camera: np.ndarray,
    to_sun: np.ndarray,
    where: np.ndarray | None = None,
) -> np.ndarray:
    """(H, W, 3) linear sky radiance through each pixel centre of a camera (``K`` 3x3 px, OpenCV frame, pose
    ``world_from_camera`` 4x4) under the sun in world direction ``to_sun``; only at the pixels ``where``
    (H, W bool) is True when given (0 elsewhere)."""
    rays = pixel_rays(K, width, height)
    sky = np.zeros((height, width, 3))
    if where is not None:
        rays = rays[where]
    rays = rays @ np.asarray(world_from_camera, dtype=np.float64)[:3, :3].T
    rays /= np.linalg.norm(rays, axis=-1, keepdims=True)
    if where is None:
        return sky_linear(rays, to_sun)
    sky[where] = sky_linear(rays, to_sun)
    return sky


def towards_sun(scene: Scene) -> np.ndarray:
    """Unit world direction towards the scene's sun (its first directional light); straight up without one
    (as the Blender backend's sky)."""
    sun = next((light for light in scene.lights if light.kind == "directional"), None)
    if sun is None:
        return np.array([0.0, 0.0, 1.0])
    direction = -np.asarray(sun.direction, dtype=np.float64)
    return direction / np.linalg.norm(direction)


def scene_sky_composite(rgba: np.ndarray, scene: Scene, camera: Camera, t: float) -> np.ndarray:
    """The rgb (H, W, 3 uint8) of ``rgba`` rendered over a clear colour of alpha 0 by ``camera`` of ``scene``
    at ``t`` seconds, with the scene's environment map (``renderers.hdri``) or else the procedural sky behind
    it (:func:`composite_sky`)."""
    where = rgba[..., 3] < 255
    if not where.any():
        return np.ascontiguousarray(rgba[..., :3])
    rays = pixel_rays(camera.K, camera.width, camera.height)[where]
    rays = rays @ np.asarray(scene.rig.world_from_sensor(camera, t), dtype=np.float64)[:3, :3].T
    rays /= np.linalg.norm(rays, axis=-1, keepdims=True)
    if scene.environment.hdri is not None:
        from renderers.hdri import hdri_radiance

        behind = hdri_radiance(scene.environment.hdri, rays)
    else:
        behind = sky_linear(rays, towards_sun(scene))
    return _composite(rgba, where, scene.environment.background, behind)


def composite_sky(rgba: np.ndarray, background: tuple[float, float, float], sky: np.ndarray) -> np.ndarray:
    """Put ``sky`` (H, W, 3 linear) behind a rendered image: ``rgba`` (H, W, 4 uint8, display-encoded with
    gamma ``DISPLAY_GAMMA``, alpha the share of each pixel's samples that hit a surface, resolved over the
    multisampled pixel) was cleared to ``background`` (linear RGB) with alpha 0, so a pixel holds
    a c + (1 - a) b (display values); it becomes a c + (1 - a) s, s the encoded sky. Fully covered pixels keep
    their bytes. Returns (H, W, 3) uint8."""
    where = rgba[..., 3] < 255
    return _composite(rgba, where, background, np.asarray(sky)[where])


def _composite(rgba: np.ndarray, where: np.ndarray, background, sky_pixels: np.ndarray) -> np.ndarray:
    """:func:`composite_sky` with the sky given only at the pixels ``where`` (alpha < 255), (N, 3) linear."""
    result = np.array(rgba[..., :3], dtype=np.uint8)
    alpha = rgba[where][:, 3:4].astype(np.float64) / 255.0
    encode = 1.0 / DISPLAY_GAMMA
    background_encoded = np.asarray(background, dtype=np.float64) ** encode * 255.0
    sky_encoded = np.clip(sky_pixels, 0.0, 1.0) ** encode * 255.0
    mixed = result[where].astype(np.float64) + (1.0 - alpha) * (sky_encoded - background_encoded)
    result[where] = np.rint(np.clip(mixed, 0.0, 255.0)).astype(np.uint8)
    return result

"""Conditions in the camera image, shared by every camera backend (numpy only: no pyrender, no bpy).

A backend renders the clear image and the exact depth of the same view; :func:`apply_camera_conditions`
then adds, in linear radiance, what lies between the camera and the surfaces:

- fog (and the extinction of rain and snow): Koschmieder's airlight, I = J t + A (1 - t),
  t = exp(-beta d), d the distance along each pixel's ray (``scenes.atmosphere.koschmieder``);
- precipitation: rain drops and snow flakes of their measured size distributions in the camera's frustum,
  drawn as exposure-time streaks where they are nearer than the scene's surface (``camera_particles``);
- glare toward a low sun: veiling glare from the CIE disability glare equation around the sun's direction,
  plus the sun's disc where the sky is visible.

Images are display-encoded with gamma 2.2 (the ``Pass.RGB`` convention, pyrender's shader output): each is
decoded to linear, composited and encoded once. Labels never pass through here: depth, instance and amodal
passes are the clear scene's.
"""

from __future__ import annotations

import math

import numpy as np

from renderers.camera_particles import precipitation_linear
from scenes import Camera, Scene
from scenes.atmosphere import koschmieder
from scenes.camera_geometry import pixel_rays, ray_distance_m
from scenes.transforms import invert_pose

DISPLAY_GAMMA = 2.2  # Pass.RGB's encoding (pyrender's shader writes pow(linear, 1 / 2.2))

# Glare. The sun's angular radius (0.265 deg, half of its 32' apparent diameter).
SUN_ANGULAR_RADIUS_DEG = 0.265
# The sun glares only when low: the conditions preset stated it (sun_elevation_deg) and it is at most this
# high (dusk, low sun); a high sun is rarely in a road camera's view, and clear_day keeps today's images.
GLARE_MAX_ELEVATION_DEG = 20.0
# CIE 146:2002's eye parameters, here standing in for a camera lens with a windshield: age 25 years and
# pigmentation factor p = 0.5 (brown eyes; p is 0 for black and 1 for light blue eyes).
GLARE_AGE_YEARS = 25.0
GLARE_PIGMENTATION = 0.5
# The camera's scatter relative to the eye's: no standard glare function exists for cameras, whose lenses
# scatter less than the eye; a tuning choice, 1 = the CIE eye (at 0.25 the veil 5 degrees from the sun
# equals a quarter of a sunlit white surface's radiance).
LENS_GLARE_SCALE = 0.25
# Height of the foggy or precipitating layer the sunlight crosses before reaching the street (m): radiation
# fog is typically some tens to a few hundred metres deep; the sun's light then travels height / sin(elev).
FOG_LAYER_HEIGHT_M = 100.0


_DECODED = (np.arange(256) / 255.0) ** DISPLAY_GAMMA  # every uint8 level's linear value


def decode_display(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 display-encoded colour -> float64 linear radiance in [0, 1]."""
    return _DECODED[np.asarray(rgb, dtype=np.uint8)]


def encode_display(linear: np.ndarray) -> np.ndarray:
    """Inverse of :func:`decode_display`: linear radiance (clipped to [0, 1]) -> uint8, rounded to nearest as
    GL's unsigned-normalized conversion does."""
    return np.rint(np.clip(linear, 0.0, 1.0) ** (1.0 / DISPLAY_GAMMA) * 255.0).astype(np.uint8)


def fog_linear(
    linear: np.ndarray, depth_planar_m: np.ndarray, K: np.ndarray, beta_per_m: float, airlight
) -> np.ndarray:
    """Koschmieder on a linear image: I = J t + A (1 - t), t = exp(-beta d), d along the ray; sky pixels
    (depth 0) show the airlight A (linear RGB)."""
    return koschmieder(linear, ray_distance_m(depth_planar_m, K), beta_per_m, np.asarray(airlight, np.float64))


def fog_composite(
    rgb_uint8: np.ndarray, depth_planar_m: np.ndarray, K: np.ndarray, beta_per_m: float, airlight_linear
) -> np.ndarray:
    """The fogged image of a clear display-encoded ``rgb_uint8`` (H, W, 3) with planar depth (H, W, m, 0 = sky)
    through a camera ``K`` (3x3 px), extinction ``beta_per_m`` (1/m) and airlight (linear RGB)."""
    return encode_display(fog_linear(decode_display(rgb_uint8), depth_planar_m, K, beta_per_m, airlight_linear))


def cie_glare_spread(theta_deg: np.ndarray, age_years: float = GLARE_AGE_YEARS, pigment: float = GLARE_PIGMENTATION):
    """The CIE general disability glare equation (CIE 135/1:1999, CIE 146:2002, Vos and van den Berg): the
    veiling luminance over the glare illuminance at the eye, L_veil / E_glare (1/sr), at angle theta (deg,
    valid 0.1 to 100 deg; clamped there) from the glare source:

        10 / theta^3 + (5 / theta^2 + 0.1 p / theta) (1 + (age / 62.5)^4) + 0.0025 p.

    Spencer et al. ("Physically-based glare effects for digital images", SIGGRAPH 1995) apply the eye's
    point-spread function to synthetic images the same way; here it stands for the camera's veiling glare."""
    theta = np.clip(np.asarray(theta_deg, dtype=np.float64), 0.1, 100.0)
    age = 1.0 + (age_years / 62.5) ** 4
    return 10.0 / theta**3 + (5.0 / theta**2 + 0.1 * pigment / theta) * age + 0.0025 * pigment


def sun_light(scene: Scene):
    """The scene's sun (its first directional light), or None."""
    return next((light for light in scene.lights if light.kind == "directional"), None)


def glare_active(scene: Scene) -> bool:
    """Whether the sun glares: the preset set a low sun (0 < elevation <= GLARE_MAX_ELEVATION_DEG) and the
    scene has a directional light of positive intensity."""
    elevation = scene.conditions.sun_elevation_deg
    sun = sun_light(scene)
    return (
        elevation is not None and 0.0 < elevation <= GLARE_MAX_ELEVATION_DEG and sun is not None and sun.intensity > 0
    )


def sun_glare_linear(linear: np.ndarray, depth_planar_m: np.ndarray, scene: Scene, camera: Camera, t: float):
    """Add the sun's veiling glare and disc to a linear image (H, W, 3), in place and returned.

    The glare illuminance at the lens is the sun's (its directional intensity, W/m^2 in the renderers'
    units, in which a white Lambertian surface facing the sun has radiance E / pi) times the transmittance
    of the fog layer along the sun's path; each pixel adds E * L_veil/E_glare(theta) of the angle theta
    between its ray and the sun (:func:`cie_glare_spread`), times LENS_GLARE_SCALE. Glare needs the sun's
    disc unoccluded: when the disc projects into the image, the share of its pixels showing sky (depth 0)
    scales the glare; a sun outside the frame is taken as unoccluded. The disc itself is drawn (saturating)
    where the sky shows."""
    sun = sun_light(scene)
    to_sun_world = -np.asarray(sun.direction, dtype=np.float64)
    to_sun_world /= np.linalg.norm(to_sun_world)
    elevation = math.asin(float(np.clip(to_sun_world[2], -1.0, 1.0)))
    camera_from_world = invert_pose(scene.rig.world_from_sensor(camera, t))
    to_sun = camera_from_world[:3, :3] @ to_sun_world
    if to_sun[2] <= 0.0 or elevation <= 0.0:
        return linear  # behind the image plane or below the horizon
    rays = pixel_rays(camera.K, camera.width, camera.height)
    rays /= np.linalg.norm(rays, axis=-1, keepdims=True)
    theta_deg = np.degrees(np.arccos(np.clip(rays @ to_sun, -1.0, 1.0)))
    path_m = FOG_LAYER_HEIGHT_M / math.sin(elevation)
    illuminance = (
        sun.intensity * np.asarray(sun.color, np.float64) * math.exp(-scene.conditions.camera_extinction() * path_m)
    )
    disc = theta_deg <= SUN_ANGULAR_RADIUS_DEG
    sky = np.asarray(depth_planar_m) == 0.0
    if disc.any():
        visible = float(sky[disc].mean())
    else:
        u, v = (
            camera.K[0, 0] * to_sun[0] / to_sun[2] + camera.K[0, 2],
            camera.K[1, 1] * to_sun[1] / to_sun[2] + camera.K[1, 2],
        )
        inside = -0.5 <= u < camera.width - 0.5 and -0.5 <= v < camera.height - 0.5
        visible = float(sky[int(round(v)), int(round(u))]) if inside else 1.0
    linear += visible * LENS_GLARE_SCALE * cie_glare_spread(theta_deg)[..., None] * illuminance
    # the disc's radiance, E / solid angle, saturates any exposure of the street
    disc_radiance = illuminance / (math.pi * math.radians(SUN_ANGULAR_RADIUS_DEG) ** 2)
    linear[disc & sky] = np.maximum(linear[disc & sky], disc_radiance)
    return linear


def camera_conditions_active(scene: Scene) -> bool:
    """Whether :func:`apply_camera_conditions` changes this scene's images (and so needs the depth pass):
    any fog, rain or snow, or a glaring low sun. False for clear_day."""
    return not scene.conditions.is_clear or glare_active(scene)


def apply_camera_conditions(
    rgb: np.ndarray, depth_planar_m: np.ndarray | None, scene: Scene, camera: Camera, t: float, fog: bool = True
) -> np.ndarray:
    """The image of ``camera`` at time ``t`` seconds seen through the scene's conditions.

    Args:
        rgb: (H, W, 3) uint8 display-encoded clear image.
        depth_planar_m: (H, W) planar depth (m, 0 = no surface) of the same view; may be None only when
            :func:`camera_conditions_active` is False.
        fog: apply Koschmieder's airlight (False for a backend rendering the medium itself, e.g. Blender's
            world volume: then only particles and glare are added).

    Returns:
        ``rgb`` itself when nothing applies (clear conditions), else a new uint8 image.
    """
    if not camera_conditions_active(scene):
        return rgb
    conditions = scene.conditions
    linear = decode_display(rgb)
    beta = conditions.camera_extinction()
    if fog and beta > 0.0:
        linear = fog_linear(linear, depth_planar_m, camera.K, beta, conditions.airlight)
    if conditions.rain_rate_mm_h > 0 or conditions.snow_rate_mm_h > 0:
        linear = precipitation_linear(linear, depth_planar_m, scene, camera, t)
    if glare_active(scene):
        linear = sun_glare_linear(linear, depth_planar_m, scene, camera, t)
    return encode_display(linear)


def precipitation_overlay(rgb: np.ndarray, depth_planar_m: np.ndarray, scene: Scene, camera: Camera, t: float):
    """``rgb`` (H, W, 3 uint8) with the scene's rain drops and snow flakes drawn (no fog, no glare)."""
    return encode_display(precipitation_linear(decode_display(rgb), depth_planar_m, scene, camera, t))

"""The procedural daylight sky (renderers.sky, Preetham et al. 1999) and pyrender's sun shadows.

The model's checks follow from the signs of the paper's Perez coefficients (A, B < 0 darken the zenith against
the horizon; C > 0, D < 0 brighten the sky around the sun) and from geometry (the sun's disc lies where the
sun projects through K). pyrender: the sky shows where nothing was drawn, surfaces keep their bytes, fog still
covers it, label passes are the same bytes with shadows on or off, and a box's shadow falls away from the sun
with the length h / tan(elevation).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import ndimage
from test_pyrender_backend import ALL_PASSES, at, box

from renderers.base import Pass
from renderers.sky import (
    SKY_TURBIDITY,
    SUN_ANGULAR_RADIUS_DEG,
    SUN_DISC_RADIANCE,
    camera_sky_linear,
    composite_sky,
    perez_coefficients,
    sky_linear,
    sky_xyY,
)
from scenes import Camera, Conditions, Environment, Light, Scene, SensorRig, Trajectory
from scenes.transforms import make_pose

pytestmark = pytest.mark.filterwarnings("ignore:tostring:DeprecationWarning")

# the OpenCV camera looking along world +x (x right = -y, y down = -z, z forward = +x)
FORWARD = np.array([[0.0, 0.0, 1.0], [-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]])
DOWN = np.array([[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]])  # looking straight down, image up = +x


def direction(elevation_deg: float, azimuth_deg: float) -> np.ndarray:
    """Unit world vector at ``elevation_deg`` above the horizon, ``azimuth_deg`` from +x towards +y."""
    e, a = math.radians(elevation_deg), math.radians(azimuth_deg)
    return np.array([math.cos(e) * math.cos(a), math.cos(e) * math.sin(a), math.sin(e)])


def sun_at(elevation_deg: float, azimuth_deg: float = 0.0, intensity: float = 3.0) -> Light:
    return Light("sun", "directional", intensity=intensity, direction=tuple(-direction(elevation_deg, azimuth_deg)))


def test_the_paper_coefficients_have_the_signs_the_sky_gradients_come_from() -> None:
    a, b, c, d, _ = perez_coefficients(SKY_TURBIDITY)["Y"]
    assert a < 0 and b < 0  # 1 + A exp(B / cos theta) grows from the zenith to the horizon
    assert c > 0 and d < 0  # C exp(D gamma) grows toward the sun


def test_luminance_rises_toward_the_sun_and_toward_the_horizon() -> None:
    to_sun = direction(45.0, 0.0)
    # along the sun's almucantar (same zenith angle): brighter the nearer the sun
    luminance = sky_xyY(np.stack([direction(45.0, az) for az in (5.0, 30.0, 60.0, 90.0)]), to_sun)[:, 0]
    assert np.all(np.diff(luminance) < 0), luminance
    # at the same angle (90 deg) from the sun: the horizon across the sun is brighter than the sky over the zenith
    over_zenith, horizon = direction(45.0, 180.0), direction(0.0, 90.0)
    assert math.isclose(float(over_zenith @ to_sun), 0.0, abs_tol=1e-12)
    assert math.isclose(float(horizon @ to_sun), 0.0, abs_tol=1e-12)
    y_over, y_horizon = sky_xyY(np.stack([over_zenith, horizon]), to_sun)[:, 0]
    assert y_horizon > 1.5 * y_over
    # and the zenith is bluer than the horizon (Rayleigh scattering; the paper's chromaticities)
    rgb = sky_linear(np.stack([direction(90.0, 0.0), direction(2.0, 90.0)]), to_sun)
    assert rgb[0, 2] / rgb[0, 0] > rgb[1, 2] / rgb[1, 0] > 1.0


def test_a_lower_sun_darkens_the_zenith() -> None:
    zenith = np.array([[0.0, 0.0, 1.0]])
    levels = [sky_xyY(zenith, direction(e, 0.0))[0, 0] for e in (10.0, 30.0, 60.0)]
    assert levels[0] < levels[1] < levels[2]


def test_composite_keeps_covered_pixels_and_mixes_edges_by_coverage() -> None:
    background = (0.2, 0.3, 0.4)
    bg = np.asarray(background) ** (1 / 2.2) * 255
    sky = np.full((1, 3, 3), 0.5)
    s = 0.5 ** (1 / 2.2) * 255
    surface = np.array([200.0, 100.0, 50.0])
    rgba = np.zeros((1, 3, 4), np.uint8)
    rgba[0, 0, :3], rgba[0, 0, 3] = np.rint(bg), 0  # nothing drawn
    rgba[0, 1, :3], rgba[0, 1, 3] = surface, 255  # covered
    rgba[0, 2, :3], rgba[0, 2, 3] = np.rint(0.25 * surface + 0.75 * bg), 64  # an edge: a quarter covered
    out = composite_sky(rgba, background, sky).astype(float)
    np.testing.assert_allclose(out[0, 0], s, atol=1.0)
    np.testing.assert_array_equal(out[0, 1], surface)
    np.testing.assert_allclose(out[0, 2], 0.25 * surface + 0.75 * s, atol=1.5)


def sky_scene(lights: list[Light], entities=(), sky: str = "sky", conditions=None, camera=None) -> Scene:
    K = np.array([[100.0, 0.0, 79.5], [0.0, 100.0, 59.5], [0.0, 0.0, 1.0]])
    camera = camera or Camera("cam", 160, 120, K, make_pose(FORWARD, (0.0, 0.0, 1.5)), zfar=300.0)
    rig = SensorRig(Trajectory.static(np.eye(4)), [camera])
    env = Environment(ambient=(0.3, 0.3, 0.3), background=(0.55, 0.7, 0.9), sky=sky)
    return Scene(f"sky-{sky}", 0, {}, 10.0, 1, list(entities), lights, env, rig, conditions=conditions or Conditions())


def pixel_of(camera: Camera, world_direction: np.ndarray) -> tuple[float, float]:
    """(u, v) where a direction at infinity projects (OpenCV: u = cx + fx x / z, v = cy + fy y / z)."""
    d = camera.ego_from_sensor[:3, :3].T @ world_direction  # the rig stands at the world origin
    return camera.K[0, 2] + camera.K[0, 0] * d[0] / d[2], camera.K[1, 2] + camera.K[1, 1] * d[1] / d[2]


@pytest.fixture(scope="module")
def backend():
    from renderers.pyrender import create_backend

    with create_backend(ALL_PASSES) as b:
        yield b


def test_the_sun_disc_lies_where_the_sun_projects_through_k() -> None:
    # a long lens (0.14 deg per pixel), the sun 20 deg up and 5 deg left of the view axis
    K = np.array([[400.0, 0.0, 79.5], [0.0, 400.0, 59.5], [0.0, 0.0, 1.0]])
    pitch = 18.0  # the camera looks 18 deg up
    c, s_ = math.cos(math.radians(pitch)), math.sin(math.radians(pitch))
    forward = np.array([c, 0.0, s_])
    down = np.array([s_, 0.0, -c])
    rotation = np.stack([np.cross(down, forward), down, forward], axis=1)  # columns: x right, y down, z forward
    camera = Camera("cam", 160, 120, K, make_pose(rotation, (0.0, 0.0, 1.5)))
    to_sun = direction(20.0, 5.0)
    sky = camera_sky_linear(K, 160, 120, camera.ego_from_sensor, to_sun)
    u, v = pixel_of(camera, to_sun)
    assert 20 < u < 140 and 20 < v < 100
    row, column = int(round(v)), int(round(u))
    # the pixel centre nearest the sun is within 0.1 deg of it (radius 0.265 deg): the disc
    assert (sky[row, column] == SUN_DISC_RADIANCE).all()
    disc = (sky == SUN_DISC_RADIANCE).all(axis=-1)
    rows, columns = np.nonzero(disc)
    # every disc pixel's centre within the radius: (0.265 deg * 400 px/rad) = 1.85 px of the projected sun
    assert np.hypot(rows - v, columns - u).max() <= 400 * math.tan(math.radians(SUN_ANGULAR_RADIUS_DEG)) + 0.01
    assert disc.sum() >= 9  # pi 1.85^2 = 10.7 pixel centres
    # no disc where the sun is behind the camera or under the horizon
    assert not (camera_sky_linear(K, 160, 120, camera.ego_from_sensor, -to_sun) == SUN_DISC_RADIANCE).any()


@pytest.mark.gl
def test_pyrender_sky_brightens_toward_the_sun_and_the_horizon(backend) -> None:
    # the sun 45 deg up, 60 deg to the left (+y) of the view along +x: above the image (31 deg half-height)
    scene = sky_scene([sun_at(45.0, 60.0)])
    rgb = backend.render(scene, 0.0, passes=frozenset({Pass.RGB})).rgb.astype(float)
    level = rgb[..., 0] + rgb[..., 1]  # blue saturates first
    assert (level < 2 * 255).mean() > 0.9
    # the horizon's row (v = cy = 59.5) against the top row, each on both sides
    for columns in (slice(0, 40), slice(120, 160)):
        assert level[59:61, columns].mean() > level[0:2, columns].mean() + 20
    # the left of the image (toward the sun's azimuth) against the right, along the same rows
    assert level[10:50, 0:30].mean() > level[10:50, 130:160].mean() + 10


@pytest.mark.gl
def test_pyrender_surfaces_keep_their_bytes_under_the_sky_and_fog_still_covers_it(backend) -> None:
    wall = box(1, (0.2, 2.0, 1.5), at(8.0, 0.0, 1.0), color=(0.6, 0.4, 0.3))
    plain = backend.render(sky_scene([sun_at(40.0, 150.0)], [wall], sky="color"), 0.0)
    with_sky = backend.render(sky_scene([sun_at(40.0, 150.0)], [wall]), 0.0)
    inside = with_sky.instance == 1
    inside[1:-1, 1:-1] &= inside[:-2, 1:-1] & inside[2:, 1:-1] & inside[1:-1, :-2] & inside[1:-1, 2:]  # off the edges
    assert inside.sum() > 200
    np.testing.assert_array_equal(with_sky.rgb[inside], plain.rgb[inside])
    sky = with_sky.depth == 0
    assert np.abs(with_sky.rgb[sky].astype(int) - plain.rgb[sky].astype(int)).mean() > 10  # the sky differs
    np.testing.assert_array_equal(with_sky.instance, plain.instance)
    np.testing.assert_array_equal(with_sky.depth, plain.depth)
    # fog: the sky is the airlight, as with a plain colour
    fog = Conditions("fog", visibility_m=50.0, airlight=(0.7, 0.72, 0.75))
    fogged = backend.render(sky_scene([sun_at(40.0, 150.0)], [wall], conditions=fog), 0.0).rgb
    expected = np.rint(np.asarray(fog.airlight) ** (1 / 2.2) * 255)
    open_sky = sky & ~ndimage.binary_dilation(with_sky.instance > 0, iterations=2)  # off the wall's blended edge
    assert open_sky.sum() > 1000
    assert np.abs(fogged[open_sky].astype(int) - expected).max() <= 1


@pytest.mark.gl
def test_sun_shadows_fall_away_from_the_sun_and_labels_stay_byte_identical() -> None:
    from renderers.pyrender import create_backend

    # top down from 12 m over a 1.5 m tall box on a bright ground; the sun 45 deg up toward +x (light along -x)
    h, height, elevation = 1.5, 12.0, 45.0
    K = np.array([[60.0, 0.0, 79.5], [0.0, 60.0, 59.5], [0.0, 0.0, 1.0]])
    top = Camera("cam", 160, 120, K, make_pose(DOWN, (0.0, 0.0, height)), zfar=100.0)
    things = [
        box(0, (30.0, 30.0, 0.1), at(0.0, 0.0, -0.05), color=(0.8, 0.8, 0.8)),
        box(1, (1.0, 1.0, h), at(0.0, 0.0, h / 2)),
    ]
    scene = sky_scene([sun_at(elevation, 0.0)], things, sky="color", camera=top)
    results = {}
    for shadows in (False, True):
        with create_backend(ALL_PASSES, shadows=shadows) as b:
            results[shadows] = b.render(scene, 0.0)
    plain, shadowed = results[False], results[True]
    for key in ("depth", "instance"):
        assert getattr(plain, key).tobytes() == getattr(shadowed, key).tobytes(), key
    assert plain.amodal.keys() == shadowed.amodal.keys()
    assert all(plain.amodal[i].tobytes() == shadowed.amodal[i].tobytes() for i in plain.amodal)
    # image column u = 79.5 + 60 x / 12 (x right = world +x), row v = 59.5 - 60 y / 12; the box's row
    row = shadowed.rgb[59:61, :, 0].astype(float).mean(axis=0)
    ground = (shadowed.instance[59:61] == 0).all(axis=0)
    dark = ground & (row < 0.75 * row[ground].max())
    x = (np.arange(160) - 79.5) * height / 60.0
    assert not (dark & (x > 0.6)).any()  # nothing dark on the sun's side
    # the shadow of the box's top (1.5 m) reaches h / tan(45 deg) = 1.5 m beyond its far face at x = -0.5 m
    x_end = x[dark].min()
    assert x_end == pytest.approx(-0.5 - h / math.tan(math.radians(elevation)), abs=0.35)
    assert not (ground & (plain.rgb[59:61, :, 0].astype(float).mean(axis=0) < 0.75 * row[ground].max())).any()


def test_renderer_shadows_is_a_setting_off_by_default_that_reaches_the_backend() -> None:
    from generator.config import compose_config
    from generator.run.resources import create_backend

    passes = frozenset({Pass.RGB})
    assert compose_config([]).renderer.shadows is False
    for overrides, expected in (([], False), (["renderer.shadows=true"], True)):
        backend = create_backend("pyrender", passes, compose_config(overrides).renderer)
        try:
            assert backend.shadows is expected
        finally:
            backend.close()

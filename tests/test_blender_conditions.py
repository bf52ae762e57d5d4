"""The Blender backend under conditions (issue 14): fog, rain and snow as a medium of the conditions' extinction,
night, dusk and low sun through the scene's lights, spot lamps, lamps on vehicles and their glowing discs.

Analytic checks: Beer-Lambert transmittance of a lamp disc seen through fog, Koschmieder's airlight of the
scene's lights (Henyey-Greenstein single scattering), a spot's cone and on-axis irradiance on the ground, a
low sun's shadow length h / tan(elevation). Invariant: depth, instance and amodal passes bitwise equal to
clear weather without lamps. Small images (48x36, 64x48) and few samples keep the file fast.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from test_pyrender_backend import box

from renderers.base import Pass
from renderers.blender.backend import camera_conditions
from scenes import Camera, Environment, Light, Scene, SensorRig, Trajectory
from scenes.conditions import Conditions
from scenes.transforms import make_pose

pytestmark = [pytest.mark.blender, pytest.mark.filterwarnings("ignore:tostring:DeprecationWarning")]

LABELS = (Pass.DEPTH, Pass.INSTANCE, Pass.AMODAL, Pass.NORMALS)
# OpenCV camera axes (x right, y down, z forward) in a z-up world: looking along +x, and straight down
FORWARD = np.array([[0.0, 0.0, 1.0], [-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]])
DOWN = np.array([[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]])
WIDTH, HEIGHT, FOCAL = 48, 36, 40.0
K = np.array([[FOCAL, 0.0, (WIDTH - 1) / 2], [0.0, FOCAL, (HEIGHT - 1) / 2], [0.0, 0.0, 1.0]])
SUN = Light("sun", "directional", intensity=3.0, direction=(0.3, 0.4, -0.85))
DAY = Environment(ambient=(0.3, 0.3, 0.3), background=(0.55, 0.7, 0.9))
FOG = Conditions("fog", visibility_m=60.0)
RAIN = Conditions("rain", rain_rate_mm_h=8.0, wet_road=0.8)
SNOW = Conditions("snow", snow_rate_mm_h=3.0, snow_cover=1.0)
HG_ASYMMETRY = 0.85  # the medium's Henyey-Greenstein g: water clouds in the visible (Hansen and Travis 1974)


def at(x: float, y: float, z: float) -> np.ndarray:
    return make_pose(np.eye(3), (x, y, z))


def scene_of(
    entities: list,
    lights: list[Light],
    environment: Environment = DAY,
    conditions: Conditions | None = None,
    camera: Camera | None = None,
    scene_id: str = "conditions",
) -> Scene:
    camera = camera or Camera("cam", WIDTH, HEIGHT, K, make_pose(FORWARD, (0.0, 0.0, 1.5)), zfar=200.0)
    rig = SensorRig(Trajectory.static(np.eye(4)), [camera])
    seeds = {"root_seed": 0}  # the Cycles seed of a scene without seeds (backend.cycles_seed)
    return Scene(scene_id, 0, seeds, 10.0, 2, entities, lights, environment, rig, conditions=conditions or Conditions())


def street(moving: bool = False) -> list:
    """Ground, a car (id 1) 12 m ahead facing the camera, one ahead driving away (id 3), a pedestrian (id 2), a wall."""
    car = (
        Trajectory(times=[0.0, 1.0], poses=[at(12.0, -1.0, 0.75), at(10.0, -1.0, 0.75)]) if moving else at(12, -1, 0.75)
    )
    return [
        box(0, (80.0, 30.0, 0.1), at(20.0, 0.0, -0.05), color=(0.3, 0.3, 0.3)),
        box(1, (4.0, 1.8, 1.5), car, color=(0.7, 0.1, 0.1)),
        box(2, (0.5, 0.5, 1.8), at(18.0, -4.0, 0.9), color=(0.2, 0.4, 0.7)),
        box(3, (4.0, 1.8, 1.5), at(24.0, 2.0, 0.75), color=(0.8, 0.8, 0.8)),
        box(0, (1.0, 30.0, 8.0), at(45.0, 0.0, 4.0), color=(0.6, 0.5, 0.4)),
    ]


def lamps(entities: list) -> list[Light]:
    """A street light (world frame) and head and tail lights mounted on the cars (their object frames)."""
    oncoming, leading = entities[1].name, entities[3].name
    lights = [Light("street", "spot", (1.0, 0.85, 0.6), 60.0, (0.0, 0.0, -1.0), (16.0, 4.0, 6.0), spot_angle_rad=0.9,
                    emitter_radius_m=0.3)]  # fmt: skip
    for side in (-0.6, 0.6):
        lights.append(Light(f"head{side}", "spot", (1.0, 1.0, 0.95), 25.0, (-1.0, 0.0, -0.1), (-2.0, side, 0.0),
                            spot_angle_rad=0.35, parent=oncoming, emitter_radius_m=0.15))  # fmt: skip
        lights.append(Light(f"tail{side}", "point", (1.0, 0.05, 0.02), 0.0, (-1.0, 0.0, 0.0), (-2.0, side, 0.1),
                            parent=leading, emitter_radius_m=0.2))  # fmt: skip
    return lights


def night(entities: list) -> tuple[list[Light], Environment]:
    return [replace(SUN, intensity=0.0), *lamps(entities)], Environment((0.004, 0.004, 0.006), (0.005, 0.006, 0.01))


def low_sun(elevation_deg: float, color: tuple[float, float, float] = (1.0, 0.75, 0.5)) -> Light:
    """A sun ``elevation_deg`` above the horizon ahead (+x), shining toward the camera (-x)."""
    e = math.radians(elevation_deg)
    return Light("sun", "directional", color, 3.0, (-math.cos(e), 0.0, -math.sin(e)))


def pixel_of(scene: Scene, point: np.ndarray) -> tuple[int, int]:
    """(row, column) of the pixel a world point projects to in the scene's camera at t = 0."""
    cam = scene.rig.cameras[0]
    local = np.linalg.inv(scene.rig.world_from_sensor(cam, 0.0)) @ np.append(point, 1.0)
    u, v, w = cam.K @ local[:3]
    return int(round(v / w)), int(round(u / w))


def srgb_to_linear(rgb: np.ndarray) -> np.ndarray:
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def assert_same_labels(result, reference) -> None:
    np.testing.assert_array_equal(result.depth, reference.depth)
    np.testing.assert_array_equal(result.normals, reference.normals)
    np.testing.assert_array_equal(result.instance, reference.instance)
    assert set(result.amodal) == set(reference.amodal)
    for instance_id, mask in reference.amodal.items():
        np.testing.assert_array_equal(result.amodal[instance_id], mask)


@pytest.fixture(scope="module")
def backend():
    from renderers.blender import create_backend

    # the radiometric checks read Cycles' own estimates: without the denoiser (on by default; a filter over them
    # that bleeds light across a cone's edge and dims a lamp disc of a few pixels; tests/test_blender_light.py)
    with create_backend(frozenset({Pass.RGB, *LABELS}), samples=8, denoise=False) as b:
        yield b


@pytest.fixture(scope="module")
def clear_day(backend):
    entities = street()
    return entities, backend.render(scene_of(entities, [SUN], scene_id="clear"), 0.0)


def condition_scene(name: str, entities: list) -> Scene:
    if name in ("fog", "rain", "snow"):
        return scene_of(entities, [SUN], conditions={"fog": FOG, "rain": RAIN, "snow": SNOW}[name], scene_id=name)
    if name == "night":
        lights, environment = night(entities)
        return scene_of(entities, lights, environment, Conditions("night", street_lights=True, vehicle_lights=True))
    if name == "dusk":
        environment = Environment((0.06, 0.05, 0.05), (0.3, 0.2, 0.2), sky="sky")
        lights = [low_sun(1.0, (1.0, 0.5, 0.25)), *lamps(entities)]
        return scene_of(entities, lights, environment, Conditions("dusk", sun_elevation_deg=1.0, street_lights=True))
    environment = Environment((0.2, 0.18, 0.16), DAY.background, sky="sky")
    return scene_of(entities, [low_sun(4.0)], environment, Conditions("low_sun", sun_elevation_deg=4.0))


@pytest.mark.parametrize("name", ["fog", "rain", "snow", "night", "dusk", "low_sun"])
def test_each_condition_renders_with_the_labels_of_clear_weather_without_lamps(backend, clear_day, name) -> None:
    entities, clear = clear_day
    result = backend.render(condition_scene(name, entities), 0.0)
    assert_same_labels(result, clear)
    assert set(np.unique(clear.instance)) == {0, 1, 2, 3}
    assert np.abs(result.rgb.astype(int) - clear.rgb.astype(int)).mean() > 3.0


def test_fog_pulls_surfaces_toward_its_sky_more_the_farther_they_are(backend, clear_day) -> None:
    # I = J t + A (1 - t): the car 10 m ahead (t = 0.6) stays nearer its clear colour J than the fog's sky A
    # (the airlight; the background behind 200 m of fog is gone), the wall 44 m ahead (t = 0.1) the reverse.
    entities, clear = clear_day
    fog = backend.render(condition_scene("fog", entities), 0.0)
    airlight = srgb_to_linear(fog.rgb[clear.depth == 0]).mean(axis=0)
    for mask, nearer_clear in ((clear.instance == 1, True), ((clear.instance == 0) & (clear.depth > 40), False)):
        seen, clear_colour = (srgb_to_linear(r.rgb[mask]).mean(axis=0) for r in (fog, clear))
        to_clear, to_airlight = np.abs(seen - clear_colour).sum(), np.abs(seen - airlight).sum()
        assert (to_clear < to_airlight) == nearer_clear, (to_clear, to_airlight)


def test_fog_transmittance_of_a_lamp_disc_is_beer_lambert_and_its_labels_are_clear(backend) -> None:
    # A black world and no light: the disc (intensity 0, radiance 4 x colour) lights neither the medium nor
    # anything else, so through fog its pixels keep exactly exp(-beta r) of their clear value. A second disc,
    # beside it (columns 38 on: its image spans columns 37 to 46), faces away from the camera.
    d, radius, beta = 10.0, 2.5, 0.05
    camera = Camera("cam", WIDTH, HEIGHT, K, np.eye(4), zfar=100.0)
    dark = Environment((0.0, 0.0, 0.0), (0.0, 0.0, 0.0))
    behind = [box(1, (1.0, 1.0, 1.0), at(0.0, 0.6, 12.0)), box(2, (40.0, 40.0, 0.1), at(0.0, 0.0, 20.0))]
    disc = Light("tail", "point", (0.15, 0.15, 0.15), 0.0, (0.0, 0.0, -1.0), (0.0, 0.0, d), emitter_radius_m=radius)
    away = Light("away", "point", (1.0, 1.0, 1.0), 0.0, (0.0, 0.0, 1.0), (4.5, 0.0, d), emitter_radius_m=1.0)
    unlit = scene_of(behind, [], dark, camera=camera, scene_id="unlit")
    clear = replace(unlit, lights=[disc, away], scene_id="disc")
    fog = replace(clear, conditions=Conditions("fog", visibility_m=math.log(20.0) / beta), scene_id="disc_fog")
    assert fog.conditions.camera_extinction() == pytest.approx(beta)
    reference, lit, fogged = (backend.render(s, 0.0) for s in (unlit, clear, fog))
    assert_same_labels(lit, reference)
    assert_same_labels(fogged, reference)
    v, u = np.mgrid[0:HEIGHT, 0:WIDTH]
    x, y = (u - K[0, 2]) / FOCAL, (v - K[1, 2]) / FOCAL
    inner = np.hypot(x, y) * d < radius - 2.5 * d / FOCAL  # 2.5 px inside the rim: no pixel filter blending
    assert inner.sum() > 100
    # Cycles' camera rays start on the near plane (z = 0.1 m) and the disc sits 1 cm in front of its position
    path = (d - 0.01 - camera.znear) * np.sqrt(1.0 + x**2 + y**2)
    clear_linear, fog_linear = (srgb_to_linear(r.rgb[..., 0])[inner] for r in (lit, fogged))
    np.testing.assert_allclose(clear_linear, 4.0 * 0.15, rtol=0.01)  # the disc's radiance, 8-bit rounded
    assert (lit.rgb[:, 38:] == 0).all()  # a disc glows on its front face only: this one faces away
    assert fog_linear.mean() / clear_linear.mean() == pytest.approx(np.exp(-beta * path[inner]).mean(), rel=0.03)


def test_fog_airlight_is_single_scattering_of_the_scene_lights(backend) -> None:
    # No surface in view and fog thick enough to hide the background (beta * zfar = 20): every pixel is the
    # airlight A = albedo (ambient + E p_HG(theta)), theta between the sunlight and the ray back to the camera.
    e = math.radians(40.0)
    sun = Light("sun", "directional", intensity=3.0, direction=(0.0, math.sin(e), -math.cos(e)))
    camera = Camera("cam", WIDTH, HEIGHT, K, np.eye(4), zfar=100.0)
    scene = scene_of([], [sun], Environment((0.2, 0.2, 0.2), (0.0, 0.5, 1.0)), Conditions("fog", visibility_m=15.0),
                     camera=camera, scene_id="airlight")  # fmt: skip
    rgb = backend.render(scene, 0.0, passes=frozenset({Pass.RGB})).rgb
    v, u = np.mgrid[0:HEIGHT, 0:WIDTH]
    rays = np.stack([(u - K[0, 2]) / FOCAL, (v - K[1, 2]) / FOCAL, np.ones((HEIGHT, WIDTH))], axis=-1)
    cos_theta = (rays / np.linalg.norm(rays, axis=-1, keepdims=True)) @ -np.asarray(sun.direction)
    g = HG_ASYMMETRY
    phase = (1.0 - g**2) / (4.0 * math.pi * (1.0 + g**2 - 2.0 * g * cos_theta) ** 1.5)
    airlight = 0.2 + sun.intensity * phase
    unsaturated = airlight < 0.9
    measured = srgb_to_linear(rgb)
    assert unsaturated.sum() > 1000
    np.testing.assert_array_equal(rgb[..., 0], rgb[..., 2])  # grey: the blue background is hidden
    ratio = measured[..., 0][unsaturated] / airlight[unsaturated]
    assert ratio.mean() == pytest.approx(1.0, abs=0.03) and np.percentile(np.abs(ratio - 1.0), 90) < 0.15


def test_spot_lamp_is_the_point_light_of_its_intensity_cut_to_its_cone(backend) -> None:
    # Straight down from h = 3 m onto the ground, seen from 6 m above it: inside the cone the ground is lit as
    # by a point light of the same intensity (the same power mapping), outside it not at all; the lit disc
    # has radius h tan(angle).
    h, angle = 3.0, math.radians(20.0)
    camera = Camera("cam", WIDTH, HEIGHT, K, make_pose(DOWN, (0.0, 0.0, 6.0)), zfar=50.0)
    ground = [box(0, (40.0, 40.0, 0.1), at(0.0, 0.0, -0.05), color=(0.8, 0.8, 0.8))]
    spot = Light(
        "spot", "spot", intensity=20.0, direction=(0.0, 0.0, -1.0), position=(0.0, 0.0, h), spot_angle_rad=angle
    )
    point = Light("point", "point", intensity=20.0, position=(0.0, 0.0, h))
    dark = Environment((0.0, 0.0, 0.0), (0.0, 0.0, 0.0))
    spot_lit, point_lit = (
        srgb_to_linear(backend.render(scene_of(ground, [light], dark, camera=camera, scene_id=light.name), 0.0).rgb)
        for light in (spot, point)
    )
    v, u = np.mgrid[0:HEIGHT, 0:WIDTH]
    ground_radius_m = np.hypot(u - K[0, 2], v - K[1, 2]) * 6.0 / FOCAL
    inside = ground_radius_m < 0.7 * h * math.tan(angle)
    assert spot_lit[inside].mean() == pytest.approx(point_lit[inside].mean(), rel=0.03)
    assert (spot_lit[ground_radius_m > 1.1 * h * math.tan(angle)] == 0).all()
    lit_radius_px = math.sqrt((spot_lit[..., 0] > 0.25 * spot_lit[inside][:, 0].mean()).sum() / math.pi)
    assert lit_radius_px == pytest.approx(h * math.tan(angle) * FOCAL / 6.0, abs=1.0)


def test_lamps_on_a_car_follow_it_and_light_the_road_ahead(backend) -> None:
    entities = street(moving=True)
    lights, environment = night(entities)
    headlights = [light for light in lights if light.name.startswith("head")]
    scene = scene_of(entities, [lights[0], *headlights], environment, scene_id="moving_lamps")
    unlit = replace(scene, lights=[lights[0]], scene_id="moving_unlit")
    for t in (0.0, 1.0):
        lit, dark = backend.render(scene, t), backend.render(unlit, t)
        assert_same_labels(lit, dark)
        for light in headlights:
            position, _ = scene.light_in_world(light, t)
            row, column = pixel_of(scene, position)
            assert lit.rgb[row - 1 : row + 2, column - 1 : column + 2].min(axis=-1).max() >= 240, (t, light.name)
        road = (lit.instance == 0) & (lit.depth > 0) & (lit.depth < 9.0 - 2.0 * t)  # ground before the car
        assert lit.rgb[road].mean() > dark.rgb[road].mean() + 10
    t0, t1 = (pixel_of(scene, scene.light_in_world(headlights[0], t)[0]) for t in (0.0, 1.0))
    assert t1[0] > t0[0] and t1 != t0  # the car came 2 m closer: its lamps moved down the image


def test_night_is_dark_with_bright_lamps_and_day_labels(backend, clear_day) -> None:
    entities, clear = clear_day
    scene = condition_scene("night", entities)
    result = backend.render(scene, 0.0)
    assert_same_labels(result, clear)
    assert result.rgb.mean() < 0.25 * clear.rgb.mean()
    for light in scene.lights:
        if light.emitter_radius_m > 0 and light.name != "street":  # the street lamp faces down, away from view
            row, column = pixel_of(scene, scene.light_in_world(light, 0.0)[0])
            patch = result.rgb[row - 1 : row + 2, column - 1 : column + 2].reshape(-1, 3)
            brightest = patch[patch.sum(axis=1).argmax()].astype(int)
            if light.name.startswith("tail"):
                assert brightest[0] >= 180 and brightest[0] > brightest[1] + 100, brightest  # red
            else:
                assert brightest.min() >= 240, brightest


def test_a_low_sun_casts_long_shadows_and_warms_the_procedural_sky(backend) -> None:
    # Top down over a 1.5 m tall box: the shadow runs h / tan(elevation) from its far side, along the sunlight.
    h, height = 1.5, 12.0
    top = Camera(
        "cam", 64, 48, np.array([[32.0, 0, 31.5], [0, 32.0, 23.5], [0, 0, 1]]), make_pose(DOWN, (0, 0, height))
    )
    things = [
        box(0, (60.0, 60.0, 0.1), at(0.0, 0.0, -0.05), color=(0.8, 0.8, 0.8)),
        box(1, (1.0, 1.0, h), at(0, 0, h / 2)),
    ]
    lengths = {}
    for elevation in (15.0, 50.0):
        scene = scene_of(things, [low_sun(elevation)], Environment((0.1, 0.1, 0.1), (0.0, 0.0, 0.0)), camera=top,
                         scene_id=f"shadow{elevation}")  # fmt: skip
        result = backend.render(scene, 0.0)
        row = srgb_to_linear(result.rgb[23:25, :, 0]).mean(axis=0)
        ground = (result.instance[23:25] == 0).all(axis=0)
        lit_level, shade_level = row[ground].max(), row[ground].min()
        shadow = ground & (row < (lit_level + shade_level) / 2) & (np.arange(64) < 31.5)  # on the -x side
        x_end = (np.flatnonzero(shadow).min() - 31.5) * height / 32.0  # the shadow's far end on the ground (m)
        lengths[elevation] = -x_end - 0.5
        assert lengths[elevation] == pytest.approx(h / math.tan(math.radians(elevation)), abs=0.6)
    assert lengths[15.0] > 3.0 * lengths[50.0]
    # Looking at the horizon under the sun: Blender's sky (multiple scattering) reddens as the sun sets.
    redness = {}
    for elevation in (3.0, 45.0):
        scene = scene_of([], [replace(low_sun(elevation), color=(1.0, 1.0, 1.0))], replace(DAY, sky="sky"),
                         scene_id=f"sky{elevation}")  # fmt: skip
        horizon = backend.render(scene, 0.0, passes=frozenset({Pass.RGB})).rgb[8:17].reshape(-1, 3).astype(float)
        redness[elevation] = horizon[:, 0].mean() / horizon[:, 2].mean()
    assert redness[3.0] > 1.3 * redness[45.0] and redness[3.0] > 1.0


def test_rain_gets_image_space_drops_from_the_depth_it_renders_without_returning_it(backend, clear_day) -> None:
    entities, _ = clear_day
    scene = condition_scene("rain", entities)
    result = backend.render(scene, 0.0, passes=frozenset({Pass.RGB}))
    assert result.rgb.shape == (HEIGHT, WIDTH, 3) and result.depth is None and result.instance is None
    # the call site adds renderers.camera_weather's drops (the medium already holds the extinction) ...
    rgb = np.full((HEIGHT, WIDTH, 3), 40, np.uint8)
    far = np.full((HEIGHT, WIDTH), 20.0, np.float32)
    dropped = camera_conditions(rgb, far, scene, scene.rig.cameras[0], 0.0)
    assert dropped is not rgb and (dropped > rgb).any()
    # ... and nothing where fog alone has nothing to add in image space
    fog = condition_scene("fog", entities)
    assert camera_conditions(rgb, far, fog, fog.rig.cameras[0], 0.0) is rgb


def test_a_lamp_mounted_on_an_unknown_entity_is_an_error_naming_it(backend) -> None:
    from renderers.base import BackendError

    lamp = Light("head", "spot", intensity=5.0, spot_angle_rad=0.3, parent="no_such_car", emitter_radius_m=0.1)
    with pytest.raises(BackendError, match="'head' is mounted on 'no_such_car'"):
        backend.render(scene_of(street(), [SUN, lamp], scene_id="orphan"), 0.0)

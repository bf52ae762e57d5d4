"""Conditions in the camera image (renderers.camera_weather, renderers.camera_particles) and the pyrender
backend's lamps: fog against Koschmieder's law on analytic planes, labels unchanged by any condition, lamps
at night, rain and snow particles (occlusion, determinism, rate), glare toward a low sun, clear scenes
untouched.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_pyrender_backend import at, box

from renderers.base import Pass
from renderers.camera_particles import (
    MAX_PARTICLES,
    PARTICLE_NEAR_M,
    rain_terminal_velocity,
    sample_particles,
    visible_number_density,
)
from renderers.camera_weather import (
    apply_camera_conditions,
    camera_conditions_active,
    cie_glare_spread,
    fog_composite,
    precipitation_overlay,
)
from scenes import Camera, Entity, Environment, Light, Scene, SensorRig, Trajectory
from scenes.camera_geometry import ray_distance_m
from scenes.conditions import Conditions
from scenes.transforms import look_at, project_points, rotation_z

gl = pytest.mark.gl
pytestmark = pytest.mark.filterwarnings("ignore:tostring:DeprecationWarning")
ALL_PASSES = frozenset(Pass) - {Pass.NORMALS}
SEEDS = {"root_seed": 5}


def camera(width: int = 64, height: int = 48, f: float = 50.0, pose: np.ndarray | None = None) -> Camera:
    k = np.array([[f, 0.0, (width - 1) / 2.0], [0.0, f, (height - 1) / 2.0], [0.0, 0.0, 1.0]])
    return Camera("cam", width, height, k, np.eye(4) if pose is None else pose)


def street_camera(width: int = 96, height: int = 72, f: float = 100.0) -> Camera:
    """A camera 1.5 m above the ground of a z-up world, looking along +x."""
    return camera(width, height, f, look_at(np.array([0.0, 0.0, 1.5]), np.array([10.0, 0.0, 1.5])))


def scene_of(
    entities: list[Entity],
    cam: Camera,
    conditions: Conditions | None = None,
    lights: list[Light] | None = None,
    env: Environment | None = None,
    scene_id: str = "w",
) -> Scene:
    rig = SensorRig(Trajectory.static(np.eye(4)), [cam])
    lights = [Light("sun", "directional", direction=(0.3, 0.2, -1.0))] if lights is None else lights
    env = env or Environment(ambient=(0.3, 0.3, 0.3), background=(0.5, 0.6, 0.8))
    return Scene(scene_id, 0, SEEDS, 10.0, 2, entities, lights, env, rig, conditions=conditions or Conditions())


@pytest.fixture(scope="module")
def backend():
    from renderers.pyrender import create_backend

    with create_backend(ALL_PASSES) as b:
        yield b


# --- fog ---------------------------------------------------------------------------------------------------


def test_the_shared_module_imports_no_renderer() -> None:
    import subprocess
    import sys

    code = (
        "import sys, renderers.camera_weather\n"
        "bad = [m for m in ('pyrender', 'OpenGL', 'bpy') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_ray_distance_is_planar_depth_times_the_ray_length() -> None:
    cam = camera()
    depth = np.full((48, 64), 2.0)
    depth[0, 0] = 0.0
    distance = ray_distance_m(depth, cam.K)
    corner = np.array([(1 - cam.K[0, 2]) / 50.0, (5 - cam.K[1, 2]) / 50.0, 1.0])  # pixel (row 5, column 1)
    assert distance[5, 1] == pytest.approx(2.0 * np.linalg.norm(corner))
    assert distance[0, 0] == 0.0


def test_fog_false_leaves_the_medium_to_the_backend() -> None:
    """A backend rendering fog itself (Blender's world volume) asks for particles and glare only."""
    cam = camera()
    rgb = np.random.default_rng(1).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    depth = np.linspace(0.0, 50.0, 48 * 64, dtype=np.float32).reshape(48, 64)
    scene = scene_of([], cam, Conditions(name="fog", visibility_m=30.0, airlight=(0.6, 0.6, 0.7)))
    np.testing.assert_array_equal(apply_camera_conditions(rgb, depth, scene, cam, 0.0, fog=False), rgb)
    fogged = apply_camera_conditions(rgb, depth, scene, cam, 0.0)
    np.testing.assert_array_equal(fogged, fog_composite(rgb, depth, cam.K, math.log(20.0) / 30.0, (0.6, 0.6, 0.7)))
    assert (fogged != rgb).any()


@gl
def test_fog_on_fronto_parallel_planes_is_koschmieder_within_one_level(backend) -> None:
    """Lit only by ambient light, a plane's clear radiance is J = albedo * ambient; in fog of visibility V
    each pixel must show (J t + A (1 - t))^(1/2.2), t = exp(-ln(20) / V * d), d along its ray, and the sky
    the airlight A."""
    cam = camera()
    albedo, ambient, airlight, visibility = np.array([0.6, 0.4, 0.2]), 0.5, np.array([0.7, 0.75, 0.8]), 40.0
    env = Environment(ambient=(ambient,) * 3, background=(0.1, 0.2, 0.3))
    beta = math.log(20.0) / visibility
    v, u = np.mgrid[0:48, 0:64]
    ray_length = np.sqrt(1.0 + ((u - cam.K[0, 2]) / 50.0) ** 2 + ((v - cam.K[1, 2]) / 50.0) ** 2)
    plane_columns = slice(0, 30)  # the plane spans x <= 0.1 d: columns u < 36.5; the sky the others
    for d in (3.0, 10.0, 25.0, 60.0):
        plane = box(1, (2.1 * d, 4.0 * d, 0.01), at(-0.95 * d, 0.0, d + 0.005), color=tuple(albedo))
        fog = Conditions(name="fog", visibility_m=visibility, airlight=tuple(airlight))
        clear = backend.render(scene_of([plane], cam, lights=[], env=env), 0.0)
        fogged = backend.render(scene_of([plane], cam, fog, lights=[], env=env, scene_id=f"fog{d}"), 0.0)
        expected_clear = np.rint(255 * (albedo * ambient) ** (1 / 2.2))
        assert np.abs(clear.rgb[:, plane_columns].astype(int) - expected_clear).max() <= 1
        t = np.exp(-beta * d * ray_length)[..., None]
        expected = np.rint(255 * (albedo * ambient * t + airlight * (1 - t)) ** (1 / 2.2))
        assert np.abs(fogged.rgb[:, plane_columns].astype(int) - expected[:, plane_columns]).max() <= 1
        sky = fogged.rgb[:, 40:].reshape(-1, 3).astype(int)
        assert np.abs(sky - np.rint(255 * airlight ** (1 / 2.2))).max() <= 1
        np.testing.assert_array_equal(fogged.depth, clear.depth)
        np.testing.assert_array_equal(fogged.instance, clear.instance)


# --- scenes with lamps --------------------------------------------------------------------------------------

CAR = (4.0, 1.8, 1.5)


def car(instance_id: int, x: float, y: float = 0.0) -> Entity:
    """A box car facing the camera (its +x towards world -x), on the ground at (x, y)."""
    entity = box(instance_id, CAR, at(x, y, 0.75, rotation_z(math.pi)), color=(0.3, 0.05, 0.05))
    entity.name = f"car{instance_id}"
    return entity


def head_lamp(parent: str, side: float, intensity: float = 15.0, radius: float = 0.15) -> Light:
    """A head lamp on the front face of ``parent`` (object frame +x), shining forward and slightly down."""
    return Light(
        f"{parent}.head{side:+.0f}",
        "spot",
        intensity=intensity,
        position=(CAR[0] / 2, 0.6 * side, -0.2),
        direction=(1.0, 0.0, -0.1),
        spot_angle_rad=0.5,
        parent=parent,
        emitter_radius_m=radius,
    )


def world(cam: Camera) -> list[Entity]:
    ground = box(0, (80.0, 40.0, 0.1), at(20.0, 0.0, -0.05), color=(0.4, 0.4, 0.4))
    return [ground, car(1, 10.0), car(2, 14.0, -3.0), box(0, (0.3, 2.5, 2.5), at(6.0, -2.2, 1.25))]  # a wall


NIGHT_ENV = Environment(ambient=(0.01, 0.01, 0.01), background=(0.005, 0.005, 0.01))
NIGHT = Conditions(name="night", street_lights=True, vehicle_lights=True, airlight=(0.02, 0.02, 0.03))


def night_lights() -> list[Light]:
    lamps = [head_lamp(f"car{i}", side) for i in (1, 2) for side in (-1.0, 1.0)]
    street = Light("street0", "spot", intensity=60.0, position=(8.0, 3.0, 5.0), direction=(0.0, -0.3, -1.0))
    street.spot_angle_rad, street.emitter_radius_m = 0.8, 0.2
    return [*lamps, street]


def lamp_pixel(scene: Scene, light: Light, cam: Camera) -> tuple[int, int]:
    position, _ = scene.light_in_world(light, 0.0)
    uv, z = project_points(cam.K, np.linalg.inv(cam.ego_from_sensor), position[None])
    row, col = int(round(uv[0, 1])), int(round(uv[0, 0]))
    assert z[0] > 0 and 0 <= row < cam.height and 0 <= col < cam.width  # in view
    return row, col


@gl
def test_labels_are_those_of_the_clear_scene_under_every_condition(backend) -> None:
    cam = street_camera()
    reference = backend.render(scene_of(world(cam), cam), 0.0)
    assert set(np.unique(reference.instance)) == {0, 1, 2} and set(reference.amodal) == {1, 2}
    low_sun = Conditions(name="low_sun", sun_elevation_deg=5.0, sun_azimuth_deg=0.0)
    cases = {
        "fog": (Conditions(name="fog", visibility_m=30.0), None, None),
        "rain": (Conditions(name="rain", rain_rate_mm_h=20.0, wet_road=0.8), None, None),
        "snow": (Conditions(name="snow", snow_rate_mm_h=2.0), None, None),
        "night": (NIGHT, [*night_lights()], NIGHT_ENV),
        "low_sun": (low_sun, [Light("sun", "directional", direction=(-1.0, 0.0, -0.087))], None),
    }
    for name, (conditions, lights, env) in cases.items():
        result = backend.render(scene_of(world(cam), cam, conditions, lights, env, scene_id=name), 0.0)
        np.testing.assert_array_equal(result.depth, reference.depth, err_msg=name)
        np.testing.assert_array_equal(result.instance, reference.instance, err_msg=name)
        assert set(result.amodal) == set(reference.amodal), name
        for instance_id, mask in reference.amodal.items():
            np.testing.assert_array_equal(result.amodal[instance_id], mask, err_msg=name)
        assert (result.rgb != reference.rgb).any(), name


@gl
def test_night_lamps_glow_in_rgb_lighting_the_street_and_hide_behind_occluders(backend) -> None:
    cam = street_camera()
    lights = night_lights()
    night = scene_of(world(cam), cam, NIGHT, lights, NIGHT_ENV, scene_id="night")
    day = scene_of(world(cam), cam, scene_id="day")
    night_rgb, day_rgb = backend.render(night, 0.0).rgb, backend.render(day, 0.0).rgb
    visible = lamp_pixel(night, lights[0], cam)  # car1's right lamp: in view, nothing in front
    assert night_rgb[visible].min() >= 230  # a white lamp saturates
    assert day_rgb[visible].max() < 150  # the car's dark red front in daylight
    hidden = lamp_pixel(night, lights[2], cam)  # car2 (y = -3) is behind the wall at x = 6
    wall = backend.render(night, 0.0, passes=frozenset({Pass.DEPTH})).depth[hidden]
    assert 0 < wall < 6.5  # the wall's depth, nearer than car2's front at 12 m
    assert night_rgb[hidden].max() < 60
    assert night_rgb.mean() < 0.25 * day_rgb.mean()
    # the head lamps light the road between the camera and car1; unlit lamps (intensity 0) do not
    unlit = [Light(**{**vars(light), "intensity": 0.0}) for light in lights]
    dark = backend.render(scene_of(world(cam), cam, NIGHT, unlit, NIGHT_ENV, scene_id="unlit"), 0.0).rgb
    road = (slice(60, 72), slice(40, 56))  # the ground just in front of the camera, below car1
    assert night_rgb[road].mean() > dark[road].mean() + 10


@gl
def test_a_lamp_against_the_sky_is_fogged_over_its_own_distance(backend) -> None:
    cam = street_camera()
    street = Light("street1", "spot", intensity=60.0, position=(15.0, 2.0, 5.0), direction=(0.0, -0.3, -1.0))
    street.spot_angle_rad, street.emitter_radius_m = 0.8, 0.3  # 15 m ahead, 5 m up: nothing but sky behind
    foggy = Conditions(name="fog", visibility_m=200.0, street_lights=True, airlight=(0.02, 0.02, 0.03))
    scene = scene_of([], cam, foggy, [street], NIGHT_ENV, scene_id="lamp_fog")
    pixel = lamp_pixel(scene, street, cam)
    rgb = backend.render(scene, 0.0).rgb
    assert backend.render(scene, 0.0, passes=frozenset({Pass.DEPTH})).depth[pixel] == 0.0  # not in labels
    clear = backend.render(scene_of([], cam, NIGHT, [street], NIGHT_ENV, scene_id="lamp_clear"), 0.0).rgb
    # Koschmieder over the lamp's own distance (~16 m), not the airlight the sky would show
    t = math.exp(-math.log(20.0) / 200.0 * np.linalg.norm(np.subtract(street.position, (0.0, 0.0, 1.5))))
    expected = ((clear[pixel] / 255.0) ** 2.2 * t + np.array(foggy.airlight) * (1 - t)) ** (1 / 2.2) * 255.0
    assert clear[pixel].min() > 150 and np.abs(rgb[pixel] - expected).max() <= 3.0


@gl
def test_emitters_and_mounted_lights_move_with_their_vehicle(backend) -> None:
    cam = street_camera()
    moving = car(1, 10.0)
    moving.trajectory = Trajectory(
        [0.0, 1.0], [at(10.0, 0.0, 0.75, rotation_z(math.pi)), at(10.0, 2.0, 0.75, rotation_z(math.pi))]
    )
    lamp = head_lamp("car1", 1.0)
    scene = scene_of([moving], cam, NIGHT, [lamp], NIGHT_ENV, scene_id="moving")
    for t in (0.0, 1.0):
        position, _ = scene.light_in_world(lamp, t)
        uv, _ = project_points(cam.K, np.linalg.inv(cam.ego_from_sensor), position[None])
        row, column = int(round(uv[0, 1])), int(round(uv[0, 0]))
        assert backend.render(scene, t).rgb[row, column].min() >= 230, t


@gl
def test_an_emitter_glows_toward_its_direction_only(backend) -> None:
    cam = street_camera()
    lamps = {
        "towards": Light("towards", "spot", intensity=0.0, position=(5.0, 0.0, 1.5), direction=(-1.0, 0.0, 0.0)),
        "away": Light("away", "spot", intensity=0.0, position=(5.0, 0.0, 1.5), direction=(1.0, 0.0, 0.0)),
    }
    for name, lamp in lamps.items():
        lamp.emitter_radius_m, lamp.color = 0.1, (1.0, 0.05, 0.02)  # a tail light: glows, lights nothing
        scene = scene_of([], cam, NIGHT, [lamp], NIGHT_ENV, scene_id=name)
        image = backend.render(scene, 0.0).rgb
        rgb = image[lamp_pixel(scene, lamp, cam)]
        if name == "towards":
            assert rgb[0] == 255 and rgb[1] < 0.5 * rgb[0]  # saturated red, keeping its hue
        else:
            np.testing.assert_array_equal(rgb, image[0, 0])  # culled: the night sky


def test_the_spot_pool_takes_the_lamps_nearest_the_view() -> None:
    from renderers.pyrender.lamps import SPOT_LIGHT_SLOTS, choose_spots

    cam = street_camera()
    # lamps every 5 m along a line 4 m left of the optical axis, from 40 m behind the camera to 60 m ahead
    lights = [Light(f"s{k}", "spot", intensity=100.0, position=(x, 4.0, 5.0)) for k, x in enumerate(range(-40, 61, 5))]
    scene = scene_of([], cam, lights=lights)
    chosen = [lights[i].position[0] for i in choose_spots(scene, lights, cam, 0.0, SPOT_LIGHT_SLOTS)]
    # the 7 lamps beside the first 30 m of the axis are equally close to it (r = sqrt(16 + 12.25) m); the
    # 8th is one of the two next nearest, 5 m behind the camera or 5 m past the axis' end
    assert len(chosen) == SPOT_LIGHT_SLOTS and set(range(0, 31, 5)) < set(chosen) <= set(range(-5, 36, 5))


# --- rain and snow -------------------------------------------------------------------------------------------


def precipitation_scene(cam: Camera, rain: float = 0.0, snow: float = 0.0) -> Scene:
    return scene_of([], cam, Conditions(name="rain" if rain else "snow", rain_rate_mm_h=rain, snow_rate_mm_h=snow))


def backdrop(height: int = 72, width: int = 96) -> tuple[np.ndarray, np.ndarray]:
    """A dark wall 20 m away, sky in the top rows, a surface 0.2 m from the lens on the left and one at
    1.5 m on the right."""
    rgb = np.full((height, width, 3), 50, np.uint8)
    depth = np.full((height, width), 20.0, np.float32)
    depth[:10] = 0.0
    depth[:, :20] = 0.2
    depth[:, -20:] = 1.5
    return rgb, depth


def test_gunn_kinzer_terminal_velocities_are_reproduced() -> None:
    # Gunn and Kinzer (1949), Table 2: 4.03 m/s at 1.0 mm, 6.49 at 2.0 mm, 8.83 at 4.0 mm
    np.testing.assert_allclose(rain_terminal_velocity(np.array([1.0, 2.0, 4.0])), [4.03, 6.49, 8.83], atol=0.15)


def test_rain_number_density_grows_with_the_rate_and_follows_marshall_palmer() -> None:
    rain = [visible_number_density("rain", r) for r in (1.0, 10.0, 50.0)]
    assert rain == sorted(rain)
    lam = 4.1 * 10.0**-0.21  # Marshall and Palmer: drops of 0.5 mm and more, 10 mm/h
    assert rain[1] == pytest.approx(8000.0 / lam * math.exp(-lam * 0.5))
    cam = street_camera()
    points, diameters, _ = sample_particles("rain", 10.0, cam, np.random.default_rng(0))
    assert abs(len(points) - MAX_PARTICLES) < 5 * math.sqrt(MAX_PARTICLES)  # capped: the nearest, at true density
    assert points[:, 2].min() >= PARTICLE_NEAR_M
    assert np.mean(diameters) * 1e3 == pytest.approx(0.5 + 1.0 / lam, rel=0.03)


@pytest.mark.parametrize("rates", [{"rain": 10.0}, {"snow": 1.5}])
def test_particles_never_cover_nearer_surfaces_and_are_deterministic(rates) -> None:
    cam = street_camera()
    scene = precipitation_scene(cam, **rates)
    rgb, depth = backdrop()
    out = precipitation_overlay(rgb, depth, scene, cam, 0.0)
    changed = (out != rgb).any(axis=-1)
    assert not changed[:, :20].any()  # a surface 0.2 m away hides every particle
    far = changed[10:, 20:-20].mean()
    assert far > 0.01 and changed[10:, -20:].mean() < 0.6 * far  # only the particles within 1.5 m show there
    np.testing.assert_array_equal(precipitation_overlay(rgb, depth, scene, cam, 0.0), out)
    assert (precipitation_overlay(rgb, depth, scene, cam, 0.1) != out).any()


@pytest.mark.parametrize("kind, rates", [("rain", (1.0, 10.0, 50.0)), ("snow", (0.5, 2.0, 5.0))])
def test_more_rain_or_snow_covers_more_of_the_image(kind, rates) -> None:
    """Gunn-Marshall's flakes grow fewer but larger with the rate: what grows is the area they cover."""
    cam = street_camera()
    rgb, depth = backdrop()
    cover = []
    for rate in rates:
        out = precipitation_overlay(rgb, depth, precipitation_scene(cam, **{kind: rate}), cam, 0.0)
        cover.append(np.abs(out.astype(int) - rgb).sum())
    assert cover == sorted(cover) and cover[2] > 1.5 * cover[0]


def streak_anisotropy(scene: Scene, cam: Camera) -> float:
    """How much more the rain-only image of ``scene`` changes across columns than along them (vertical
    streaks: large)."""
    rgb, depth = np.zeros((cam.height, cam.width, 3), np.uint8), np.zeros((cam.height, cam.width), np.float32)
    lum = precipitation_overlay(rgb, depth, scene, cam, 0.5).astype(float).sum(axis=-1)
    return float((np.diff(lum, axis=1) ** 2).sum() / (np.diff(lum, axis=0) ** 2).sum())


def test_rain_streaks_fall_vertically_and_slant_when_driving() -> None:
    """A still, level camera sees vertical streaks; driving at 15 m/s the drops also come towards the
    camera, so their streaks point away from the image centre and lose their vertical structure."""
    cam = street_camera()
    still = precipitation_scene(cam, rain=10.0)
    moving = precipitation_scene(cam, rain=10.0)
    moving.rig = SensorRig(Trajectory([0.0, 1.0], [np.eye(4), at(15.0, 0.0, 0.0)]), [cam])
    assert streak_anisotropy(still, cam) > 2.0
    assert streak_anisotropy(moving, cam) < 0.6 * streak_anisotropy(still, cam)


# --- glare and clear conditions --------------------------------------------------------------------------------


def test_cie_glare_spread_is_near_stiles_holladay() -> None:
    # between 2 and 20 degrees the CIE equation stays near the classic Stiles-Holladay 10 / theta^2
    theta = np.array([2.0, 5.0, 10.0, 20.0])
    ratio = cie_glare_spread(theta) / (10.0 / theta**2)
    assert ((ratio > 0.6) & (ratio < 1.1)).all()
    assert (np.diff(cie_glare_spread(np.linspace(0.1, 90.0, 50))) < 0).all()


def sun_scene(cam: Camera, towards_sun: np.ndarray, elevation_deg: float | None) -> Scene:
    conditions = Conditions(name="low_sun", sun_elevation_deg=elevation_deg)
    sun = Light("sun", "directional", intensity=3.0, direction=tuple(-towards_sun))
    return scene_of([], cam, conditions, lights=[sun])


def test_glare_brightens_toward_a_low_sun_in_view_only_when_unoccluded() -> None:
    cam = street_camera()
    elevation = math.radians(5.0)
    towards = np.array([math.cos(elevation), 0.0, math.sin(elevation)])  # ahead, 5 degrees up
    rgb, depth = np.full((72, 96, 3), 40, np.uint8), np.zeros((72, 96), np.float32)
    depth[40:] = 10.0  # the street below the horizon row (35.5), sky above
    out = apply_camera_conditions(rgb, depth, sun_scene(cam, towards, 5.0), cam, 0.0)
    uv, _ = project_points(cam.K, np.linalg.inv(cam.ego_from_sensor), np.array([[0.0, 0.0, 1.5]]) + 1000 * towards)
    row, column = int(round(uv[0, 1])), int(round(uv[0, 0]))
    assert out[row, column].min() == 255  # the sun's disc
    lum = out.astype(int).sum(axis=-1)
    profile = lum[row, column + 5 :: 8]  # brightness falls off with the angle from the sun
    assert (np.diff(profile) <= 0).all() and profile[0] > profile[-1] + 30
    assert (lum[60] > 120).all()  # the veil lies over the street too
    behind = apply_camera_conditions(rgb, depth, sun_scene(cam, -towards * [1, 1, -1], 5.0), cam, 0.0)
    np.testing.assert_array_equal(behind, rgb)
    occluded = depth.copy()
    occluded[row - 5 : row + 6, column - 5 : column + 6] = 30.0  # a building in front of the sun
    hidden = apply_camera_conditions(rgb, occluded, sun_scene(cam, towards, 5.0), cam, 0.0)
    np.testing.assert_array_equal(hidden, rgb)
    high = apply_camera_conditions(rgb, depth, sun_scene(cam, towards, None), cam, 0.0)  # no preset sun
    assert high is rgb


def test_clear_conditions_return_the_image_itself() -> None:
    cam = camera()
    rgb = np.zeros((48, 64, 3), np.uint8)
    for conditions in (Conditions(), Conditions(name="overcast"), Conditions(name="night", street_lights=True)):
        scene = scene_of([], cam, conditions)
        assert not camera_conditions_active(scene)
        assert apply_camera_conditions(rgb, None, scene, cam, 0.0) is rgb


@gl
def test_rgb_renders_need_no_label_pass_and_clear_scenes_keep_the_spot_programs(backend, monkeypatch) -> None:
    from renderers.pyrender import create_backend
    from renderers.pyrender.offscreen import OffscreenRenderer

    calls: list[str] = []
    original = OffscreenRenderer.render_segmentation

    def counting(self, *args, **kwargs):
        calls.append("seg")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(OffscreenRenderer, "render_segmentation", counting)
    cam = camera()
    with create_backend(frozenset({Pass.RGB})) as rgb_only:
        rgb_only.render(scene_of([box(1, (1, 1, 1), at(0, 0, 4))], cam), 0.0)
        assert calls == [] and rgb_only._renderer._renderer.max_spot_lights == 4
        rgb_only.render(
            scene_of([box(1, (1, 1, 1), at(0, 0, 4))], cam, Conditions(name="fog", visibility_m=50.0), scene_id="f"),
            0.0,
        )
        assert calls == []  # fog reads the lit pass's own depth: no label pass for it

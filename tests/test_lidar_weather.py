"""LiDAR and radar under conditions (renderers/raycast/weather.py, radar_weather.py): hard returns against an
analytic wall follow the attenuation law and the rated-range floor, fog backscatter near the sensor in dense
fog and not in light fog, labelled points stay on their objects, weather points (instance 0, class weather)
grow with rain and snow, snow returns lie in their beams' cones, determinism, clear scenes untouched; radar:
ITU-R P.838-3 attenuation at 77 GHz, clutter with id 0 and the ground's velocity, Doppler unchanged."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from renderers.raycast import cast_lidar, detect_radar
from renderers.raycast import lidar as lidar_module
from renderers.raycast import radar as radar_module
from renderers.raycast.weather import sample_particles
from scenes import AssetRef, Entity, Environment, Lidar, Material, Radar, Scene, SensorRig, Trajectory
from scenes.conditions import Conditions
from scenes.serialization import scene_from_dict, scene_to_dict
from scenes.transforms import make_pose

WEATHER = 106  # scenes.taxonomy.semantic_id("weather"), as the issue fixes it
FOG_DENSE, FOG_LIGHT = Conditions(name="fog", visibility_m=30.0), Conditions(name="fog", visibility_m=1000.0)


def box(name: str, iid: int, size, centre, refl: float = 0.6, trajectory: Trajectory | None = None) -> Entity:
    params = {"length": size[0], "width": size[1], "height": size[2]}
    trajectory = trajectory or Trajectory.static(make_pose(np.eye(3), centre))
    asset = AssetRef("procedural", "box", params)
    return Entity(name, iid, "box", asset, size, trajectory, Material(reflectivity=refl))


def small_lidar(**overrides) -> Lidar:
    elevations = np.radians(np.linspace(-10, 10, 8))
    args = dict(name="top", elevations=elevations, azimuth_steps=360, ego_from_sensor=np.eye(4))
    return Lidar(**{**args, **overrides})


def make_scene(entities, lidars=(), radars=(), conditions: Conditions | None = None, rig_trajectory=None) -> Scene:
    conditions = conditions or Conditions()
    rig = SensorRig(trajectory=rig_trajectory or Trajectory.static(np.eye(4)), lidars=list(lidars), radars=list(radars))
    return Scene("000000", 0, {"root_seed": 7}, 10.0, 10, list(entities), [], Environment(), rig, conditions=conditions)


def wall_at(distance: float, iid: int = 1) -> Entity:
    """A 400 x 400 m wall whose face (normal -x) lies ``distance`` m ahead of the sensor."""
    return box("wall", iid, (0.2, 400.0, 400.0), [distance + 0.1, 0.0, 0.0])


def xyz(points: np.ndarray) -> np.ndarray:
    return np.stack([points["x"], points["y"], points["z"]], axis=1).astype(np.float64)


def box_surface_distance(points: np.ndarray, centre, size) -> np.ndarray:
    """(n,) distance of world points to the surface of an axis-aligned box (analytic)."""
    q = np.abs(points - np.asarray(centre)) - np.asarray(size) / 2
    outside = np.linalg.norm(np.maximum(q, 0.0), axis=1)
    inside = np.minimum(q.max(axis=1), 0.0)
    return np.abs(outside + inside)


def street(conditions: Conditions, lidar: Lidar) -> tuple[Scene, list[tuple]]:
    boxes = [
        ("car", 1, (4.5, 1.8, 1.5), [9.0, -2.0, 0.75]),
        ("van", 2, (5.0, 2.0, 2.2), [-14.0, 3.0, 1.1]),
        ("wall", 3, (0.3, 30.0, 6.0), [25.0, 0.0, 3.0]),
        ("pole", 4, (0.3, 0.3, 4.0), [3.0, 4.0, 2.0]),
    ]
    ground = box("ground", 0, (200.0, 200.0, 0.2), [0.0, 0.0, -0.1])
    ground = dataclasses.replace(ground, category="ground")
    mount = make_pose(np.eye(3), [0.0, 0.0, 1.8])
    lidar = dataclasses.replace(lidar, ego_from_sensor=mount)
    entities = [box(n, i, s, c) for n, i, s, c in boxes] + [ground]
    return make_scene(entities, [lidar], conditions=conditions), boxes


# --- hard returns ----------------------------------------------------------------------------------------


def detected_by_equation(ranges: np.ndarray, alpha: float, max_range: float, r_ref: float = 10.0) -> np.ndarray:
    """The issue's rule, written out: min(1, (r_ref/R)^2) exp(-2 alpha R) >= min(1, (r_ref/R_max)^2)."""
    law = np.minimum(1.0, (r_ref / ranges) ** 2)
    return law * np.exp(-2.0 * alpha * ranges) >= min(1.0, (r_ref / max_range) ** 2)


@pytest.mark.parametrize("distance", [8.0, 14.0, 20.0, 30.0, 45.0])
def test_hard_returns_of_a_wall_follow_the_attenuation_law(distance):
    lidar = small_lidar(horizontal_fov=np.radians(140), azimuth_steps=280)
    fog = Conditions(name="fog", visibility_m=120.0)
    clear = cast_lidar(make_scene([wall_at(distance)], [lidar]), lidar, 0.0)
    foggy = cast_lidar(make_scene([wall_at(distance)], [lidar], conditions=fog), lidar, 0.0)
    alpha = fog.lidar_extinction()
    expected = detected_by_equation(clear["range"].astype(np.float64), alpha, lidar.max_range)
    t = np.exp(-2 * alpha * clear["range"].astype(np.float64))
    rays = {key: i for i, key in enumerate(zip(clear["ring"].tolist(), clear["azimuth"].tolist(), strict=True))}
    hard = foggy[foggy["instance_id"] == 1]
    kept = np.array([rays[k] for k in zip(hard["ring"].tolist(), hard["azimuth"].tolist(), strict=True)], int)
    assert np.all(expected[kept])  # no hard return the equation loses
    # kept hard returns: same place, intensity times exp(-2 alpha R)
    assert np.array_equal(hard["range"], clear["range"][kept]) and np.array_equal(xyz(hard), xyz(clear[kept]))
    assert np.allclose(hard["intensity"], clear["intensity"][kept] * t[kept], rtol=1e-5)
    # a ray the equation keeps but without its hard return lost it to a stronger fog return on that ray
    weather = foggy[foggy["semantic_id"] == WEATHER]
    fog_keys = zip(weather["ring"].tolist(), weather["azimuth"].tolist(), strict=True)
    fog_rays = dict(zip(fog_keys, weather, strict=True))
    replaced = np.setdiff1d(np.flatnonzero(expected), kept)
    for i in replaced:
        beaten = fog_rays[(int(clear["ring"][i]), float(clear["azimuth"][i]))]
        assert beaten["intensity"] >= clear["intensity"][i] * t[i]
    assert len(kept) > 0 or distance > 40


def test_the_share_of_hard_returns_with_dropout_follows_the_model():
    lidar = small_lidar(horizontal_fov=np.radians(60), azimuth_steps=600, intensity_dropout=0.6)
    rain = Conditions(name="rain", rain_rate_mm_h=5.0)
    alpha = rain.lidar_extinction()
    for distance in (10.0, 25.0):
        exact = cast_lidar(make_scene([wall_at(distance)], [lidar]), lidar, 0.0)  # clear, no rng: every ray
        r = exact["range"].astype(np.float64)
        t = np.exp(-2 * alpha * r)
        p_keep = detected_by_equation(r, alpha, lidar.max_range) * (1 - 0.6 * np.exp(-exact["intensity"] * t / 0.1))
        scene = make_scene([wall_at(distance)], [lidar], conditions=rain)
        kept = cast_lidar(scene, lidar, 0.0, rng=np.random.default_rng(3))
        n_hard = (kept["instance_id"] == 1).sum()
        mean, sd = p_keep.sum(), np.sqrt((p_keep * (1 - p_keep)).sum())
        assert abs(n_hard - mean) <= 4 * sd + 1, (distance, n_hard, mean)


def test_every_labelled_point_lies_on_its_object_in_any_weather():
    lidar = small_lidar(elevations=np.radians(np.linspace(-25, 5, 16)), azimuth_steps=720)
    for conditions in (FOG_DENSE, Conditions(name="snow", snow_rate_mm_h=3.0), Conditions(rain_rate_mm_h=30.0)):
        scene, boxes = street(conditions, lidar)
        points = cast_lidar(scene, scene.rig.lidars[0], 0.0)
        world = xyz(points) + [0.0, 0.0, 1.8]
        for _, iid, size, centre in boxes:
            mine = points["instance_id"] == iid
            assert np.all(box_surface_distance(world[mine], centre, size) < 1e-3)
        assert np.all(points["instance_id"][points["semantic_id"] == WEATHER] == 0)
        static = (points["instance_id"] == 0) & (points["semantic_id"] != WEATHER)
        assert np.abs(world[static, 2]).max() < 1e-3  # the only unlabelled surface is the ground's top


# --- fog backscatter ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dense_m, light_m", [(20.0, 600.0), (50.0, 2000.0)])
def test_dense_fog_backscatters_near_the_sensor_and_light_fog_does_not(dense_m, light_m):
    lidar = small_lidar()
    far_wall = [wall_at(80.0)]
    dense = cast_lidar(make_scene(far_wall, [lidar], conditions=Conditions(visibility_m=dense_m)), lidar, 0.0)
    weather = dense["semantic_id"] == WEATHER
    assert weather.mean() > 0.9  # the wall at 80 m is lost in dense fog; the fog answers instead
    assert dense["range"][weather].max() < 15.0 and dense["range"][weather].min() >= lidar.min_range
    assert np.all(dense["instance_id"][weather] == 0)
    light = cast_lidar(make_scene(far_wall, [lidar], conditions=Conditions(visibility_m=light_m)), lidar, 0.0)
    assert (light["semantic_id"] == WEATHER).sum() == 0
    assert (light["instance_id"] == 1).sum() > 0.5 * len(light)


def test_weather_points_with_kept_misses_and_behind_a_blocked_window():
    lidar = small_lidar(keep_misses=True)
    points = cast_lidar(make_scene([wall_at(80.0)], [lidar], conditions=FOG_DENSE), lidar, 0.0)
    assert len(points) == lidar.channels * lidar.azimuth_steps
    weather = points["semantic_id"] == WEATHER
    assert weather.sum() > 0.9 * len(points) and np.all(points["valid"][weather])
    assert np.all(points["instance_id"][weather] == 0)
    # a surface nearer than min_range returns nothing, and no fog lies behind it
    blocked = cast_lidar(make_scene([wall_at(0.3)], [lidar], conditions=FOG_DENSE), lidar, 0.0)
    ahead = np.abs(blocked["azimuth"]) < np.radians(30)
    assert not blocked["valid"][ahead].any()


def test_a_near_target_beats_the_fog():
    lidar = small_lidar(horizontal_fov=np.radians(40), azimuth_steps=80)
    points = cast_lidar(make_scene([wall_at(1.5)], [lidar], conditions=FOG_DENSE), lidar, 0.0)
    assert np.all(points["instance_id"] == 1)  # the soft return lies behind the wall: no fog in front


# --- rain and snow ----------------------------------------------------------------------------------------


def weather_share(conditions: Conditions, lidar: Lidar) -> float:
    points = cast_lidar(make_scene([wall_at(25.0)], [lidar], conditions=conditions), lidar, 0.0)
    return float((points["semantic_id"] == WEATHER).mean()) if len(points) else 1.0


def test_the_weather_share_grows_with_rain_and_snow_rate():
    lidar = small_lidar(azimuth_steps=720)
    snow = [weather_share(Conditions(snow_rate_mm_h=r), lidar) for r in (0.3, 1.5, 6.0)]
    assert 0 < snow[0] < snow[1] < snow[2], snow
    rain = [weather_share(Conditions(rain_rate_mm_h=r), lidar) for r in (2.0, 20.0, 80.0)]
    assert rain[0] < rain[1] < rain[2], rain


def test_snow_returns_lie_in_their_beams_cones():
    lidar = small_lidar(azimuth_steps=720, beam_divergence_rad=4e-3)
    points = cast_lidar(make_scene([wall_at(30.0)], [lidar], conditions=Conditions(snow_rate_mm_h=2.0)), lidar, 0.0)
    snow = points[points["semantic_id"] == WEATHER]
    assert len(snow) > 50 and np.all(snow["instance_id"] == 0)
    el = lidar.elevations[snow["ring"]]
    beam = np.stack([np.cos(el) * np.cos(snow["azimuth"]), np.cos(el) * np.sin(snow["azimuth"]), np.sin(el)], 1)
    direction = xyz(snow) / snow["range"][:, None]
    off_axis = np.linalg.norm(np.cross(beam, direction), axis=1)  # sin of the angle to the beam's axis
    assert off_axis.max() < 4e-3 / 2  # inside the cone (reported on its axis, to float32 rounding)
    assert snow["range"].max() < 30.0  # in front of the wall
    # the flakes themselves: inside the cone of full angle theta (offset <= theta R / 2), uniform in volume
    rng = np.random.default_rng(0)
    drawn = sample_particles(np.full(2000, 10.0), 4e-3, 300.0, lambda k, g: g.exponential(1e-3, k), rng)
    assert np.all(drawn.offset_m <= 4e-3 * drawn.range_m / 2) and np.all(drawn.range_m <= 10.0)
    expected = 300.0 * np.pi / 3 * (2e-3) ** 2 * 10.0**3 * 2000  # n V per beam, 2000 beams
    assert abs(len(drawn.beam) - expected) < 5 * np.sqrt(expected)
    assert abs(np.median(drawn.range_m) - 10.0 * 0.5 ** (1 / 3)) < 0.1  # volume-uniform: R = L u^(1/3)


def test_weather_is_deterministic_and_keyed_by_scene_not_by_the_sensor_rng():
    lidar = small_lidar()
    stormy = Conditions(visibility_m=80.0, rain_rate_mm_h=10.0, snow_rate_mm_h=1.0)
    one = cast_lidar(make_scene([wall_at(12.0)], [lidar], conditions=stormy), lidar, 0.0, rng=np.random.default_rng(1))
    two = cast_lidar(make_scene([wall_at(12.0)], [lidar], conditions=stormy), lidar, 0.0, rng=np.random.default_rng(1))
    assert one.tobytes() == two.tobytes()
    exact = cast_lidar(make_scene([wall_at(12.0)], [lidar], conditions=stormy), lidar, 0.0)
    again = cast_lidar(make_scene([wall_at(12.0)], [lidar], conditions=stormy), lidar, 0.0)
    assert exact.tobytes() == again.tobytes()
    later = cast_lidar(make_scene([wall_at(12.0)], [lidar], conditions=stormy), lidar, 0.1)
    assert later[later["semantic_id"] == WEATHER].tobytes() != exact[exact["semantic_id"] == WEATHER].tobytes()


def test_wet_road_gives_fewer_and_weaker_ground_returns():
    lidar = small_lidar(elevations=np.radians(np.linspace(-20, -2, 10)), azimuth_steps=360)
    dry, _ = street(Conditions(), lidar)
    road = [dataclasses.replace(e, category="road") if e.name == "ground" else e for e in dry.entities]
    dry = dataclasses.replace(dry, entities=road)
    wet = dataclasses.replace(dry, conditions=Conditions(wet_road=1.0))
    a, b = cast_lidar(dry, dry.rig.lidars[0], 0.0), cast_lidar(wet, wet.rig.lidars[0], 0.0)
    road_id = 100
    assert (b["semantic_id"] == road_id).sum() < (a["semantic_id"] == road_id).sum()
    assert b["intensity"][b["semantic_id"] == road_id].mean() < a["intensity"][a["semantic_id"] == road_id].mean()
    objects = lambda p: p[p["instance_id"] > 0]  # noqa: E731
    assert objects(a).tobytes() == objects(b).tobytes()  # only the road changes


def test_clear_scenes_never_reach_the_weather_code(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("weather code ran for a clear scene")

    monkeypatch.setattr(lidar_module, "apply_weather", fail)
    monkeypatch.setattr(radar_module, "rain_clutter", fail)
    lidar, radar = small_lidar(), Radar("front", np.eye(4))
    scene = make_scene([wall_at(12.0)], [lidar], [radar])
    cast_lidar(scene, lidar, 0.0, rng=np.random.default_rng(0))
    detect_radar(scene, radar, 0.0, rng=np.random.default_rng(0))
    # fog or snow alone leave the radar as in clear air
    foggy = dataclasses.replace(scene, conditions=Conditions(visibility_m=30.0, snow_rate_mm_h=2.0))
    assert detect_radar(foggy, radar, 0.0).tobytes() == detect_radar(scene, radar, 0.0).tobytes()


def test_lidar_without_divergence_in_scene_json_reads_with_the_default():
    scene = make_scene([wall_at(12.0)], [small_lidar()])
    data = scene_to_dict(scene)
    assert "beam_divergence_rad" not in data["rig"]["lidars"][0]  # the default is left out: old files match
    assert scene_from_dict(data).rig.lidars[0].beam_divergence_rad == 3e-3
    custom = make_scene([wall_at(12.0)], [small_lidar(beam_divergence_rad=2e-3)])
    assert scene_from_dict(scene_to_dict(custom)).rig.lidars[0].beam_divergence_rad == 2e-3


# --- radar ---------------------------------------------------------------------------------------------


def p838_at_77ghz() -> tuple[float, float]:
    """k and alpha of ITU-R P.838-3 at 77 GHz, written out from its Eqs. (2)-(5) and Tables 1-4 (horizontal
    path, 45 deg polarisation tilt), independently of the module's constants."""
    x = np.log10(77.0)

    def fit(a, b, c, m, cc):
        return float(np.sum(np.array(a) * np.exp(-(((x - np.array(b)) / np.array(c)) ** 2))) + m * x + cc)

    kh = 10 ** fit(
        [-5.33980, -0.35351, -0.23789, -0.94158],
        [-0.10008, 1.26970, 0.86036, 0.64552],
        [1.13098, 0.45400, 0.15354, 0.16817],
        -0.18961,
        0.71147,
    )
    kv = 10 ** fit(
        [-3.80595, -3.44965, -0.39902, 0.50167],
        [0.56934, -0.22911, 0.73042, 1.07319],
        [0.81061, 0.51059, 0.11899, 0.27195],
        -0.16398,
        0.63297,
    )
    ah = fit(
        [-0.14318, 0.29591, 0.32177, -5.37610, 16.1721],
        [1.82442, 0.77564, 0.63773, -0.96230, -3.29980],
        [-0.55187, 0.19822, 0.13164, 1.47828, 3.43990],
        0.67849,
        -1.95537,
    )
    av = fit(
        [-0.07771, 0.56727, -0.20238, -48.2991, 48.5833],
        [2.33840, 0.95545, 1.14520, 0.791669, 0.791459],
        [-0.76284, 0.54039, 0.26809, 0.116226, 0.116479],
        -0.053739,
        0.83433,
    )
    k = (kh + kv) / 2
    return k, (kh * ah + kv * av) / (2 * k)


def radar_scene(
    conditions: Conditions, distance: float = 60.0, speed: float = 0.0, size=(0.2, 400.0, 400.0)
) -> tuple[Scene, Radar]:
    radar = Radar("front", np.eye(4), max_range=200.0, max_detections=5000, max_per_object=5000)
    start, end = [distance + 0.1, 0.0, 0.0], [distance + 0.1 - speed, 0.0, 0.0]
    moving = Trajectory([0.0, 1.0], [make_pose(np.eye(3), start), make_pose(np.eye(3), end)])
    target = box("target", 1, size, start, trajectory=moving)
    return make_scene([target], radars=[radar], conditions=conditions), radar


def test_rain_attenuates_radar_by_p838_and_keeps_doppler():
    k, a = p838_at_77ghz()
    clear_scene, radar = radar_scene(Conditions(), distance=120.0, speed=8.0, size=(0.2, 60.0, 8.0))
    clear = detect_radar(clear_scene, radar, 0.5)
    for rate in (5.0, 25.0):
        rainy = detect_radar(dataclasses.replace(clear_scene, conditions=Conditions(rain_rate_mm_h=rate)), radar, 0.5)
        real = rainy[rainy["instance_id"] == 1]
        ref = clear[clear["instance_id"] == 1]
        real = real[np.lexsort((real["elevation"], real["azimuth"]))]
        ref = ref[np.lexsort((ref["elevation"], ref["azimuth"]))]
        assert len(real) == len(ref) > 0
        loss = 2 * k * rate**a * ref["range"].astype(np.float64) / 1000  # dB, there and back
        assert np.allclose(ref["rcs"] - real["rcs"], loss, atol=0.05)  # range quantisation: 0.4 m of 120 m
        assert np.array_equal(real["radial_velocity"], ref["radial_velocity"])  # Doppler unchanged


def test_heavy_rain_leaves_fewer_radar_detections():
    clear_scene, radar = radar_scene(Conditions(), distance=170.0)
    clear = detect_radar(clear_scene, radar, 0.0)
    k, a = p838_at_77ghz()
    for rate in (10.0, 100.0):
        rainy = detect_radar(dataclasses.replace(clear_scene, conditions=Conditions(rain_rate_mm_h=rate)), radar, 0.0)
        real = rainy[rainy["instance_id"] == 1]
        r = clear["range"].astype(np.float64)
        survive = 40 * np.log10(r) + 2 * k * rate**a * r / 1000 <= 40 * np.log10(200.0)
        assert abs(len(real) - survive.sum()) <= 0.05 * len(clear) + 1  # range bins quantise r by 0.4 m
    assert len(real) < 0.2 * len(clear)


def test_rain_clutter_has_no_id_the_ground_velocity_and_grows_with_rate():
    counts = []
    for rate in (2.0, 20.0, 100.0):
        scene, radar = radar_scene(Conditions(rain_rate_mm_h=rate))
        many = [detect_radar(scene, radar, t) for t in np.arange(10) * 0.1]
        clutter = np.concatenate([d[d["semantic_id"] == WEATHER] for d in many])
        assert np.all(clutter["instance_id"] == 0)
        assert np.all(clutter["radial_velocity"] == 0.0)  # a standing ego: the ground and the rain stand still
        surface = 60.0 / (np.cos(clutter["azimuth"]) * np.cos(clutter["elevation"]))
        assert np.all(clutter["range"] <= surface + radar.range_resolution)  # in front of the target
        counts.append(len(clutter))
    assert counts[0] < counts[1] < counts[2], counts


def test_disc_overlap_matches_the_lens_area():
    from renderers.raycast.weather import disc_overlap

    r1, r2, d = np.array([1.0, 1.0, 1.0, 2.0]), np.array([1.0, 1.0, 1.0, 0.5]), np.array([1.0, 0.0, 3.0, 0.2])
    lens = 2 * np.pi / 3 - np.sqrt(3) / 2  # two unit discs one radius apart
    assert np.allclose(disc_overlap(r1, r2, d), [lens, np.pi, 0.0, np.pi * 0.25])


def test_the_generator_casts_weather_into_its_sensors_and_labels_count_objects_only():
    from generator.config import compose_config
    from generator.run.range_sensors import range_sensor_labels
    from generator.world.sampling import sample_scene

    scene = sample_scene(compose_config(["sensors=nuscenes_like", "scene.sequence.num_frames=2", "seed=3"]), 0)
    scene = dataclasses.replace(scene, conditions=Conditions(name="snow", snow_rate_mm_h=2.0, rain_rate_mm_h=5.0))
    lidars, radars = scene.rig.lidars[:1], scene.rig.radars[:1]
    labels, arrays = {"sensors": {}, "objects": {}}, {}
    range_sensor_labels(scene, 0, 0.0, labels, arrays, lidars, radars)
    points = arrays[f"{lidars[0].name}.points.npy"]
    assert (points["semantic_id"] == WEATHER).sum() > 0
    assert np.all(points["instance_id"][points["semantic_id"] == WEATHER] == 0)
    for record in labels["objects"][lidars[0].name]:
        assert record["num_lidar_points"] == (points["instance_id"] == record["instance_id"]).sum()
    again = {}
    range_sensor_labels(scene, 0, 0.0, {"sensors": {}, "objects": {}}, again, lidars, radars)
    assert all(arrays[k].tobytes() == again[k].tobytes() for k in arrays)

"""The conditions group: presets, their draws on their own stream, the scene changes they make (sun, sky,
wet and snowy ground, lamps), and the label metadata (transmittance, conditions records)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import generate

from assets import entity_mesh
from generator.config import compose_config, validate_config
from generator.config_hash import config_hash
from generator.errors import ConfigError
from generator.world.conditions import KEYS
from generator.world.lamps import _first_hits
from generator.world.sampling import sample_scene
from labels import annotate
from scenes import Conditions, scene_from_dict, scene_to_dict
from scenes.conditions import PRESETS
from scenes.transforms import invert_pose, transform_points


def _scene(*overrides: str, index: int = 0):
    cfg = compose_config(["camera.width=160", "camera.height=120", *overrides])
    validate_config(cfg)
    return sample_scene(cfg, index)


def test_every_preset_states_every_key_and_validates():
    for name in PRESETS:
        cfg = compose_config([f"conditions={name}"])
        validate_config(cfg)
        assert set(cfg.conditions) == {"name", *KEYS}, name
        assert cfg.conditions.name == name


def test_clear_day_is_the_run_without_conditions():
    default = compose_config([])
    assert default.conditions.name == "clear_day"
    # left out of the hash and scene.json: a clear_day run is the run before conditions existed
    data = scene_to_dict(sample_scene(default, 0))
    assert "conditions" not in data
    assert all("parent" not in light and "emitter_radius_m" not in light for light in data["lights"])
    assert config_hash(default) != config_hash(compose_config(["conditions=fog"]))
    assert config_hash(default) == config_hash(compose_config(["conditions=clear_day"]))


@pytest.mark.parametrize("name", [p for p in PRESETS if p != "clear_day"])
def test_conditions_keep_the_geometry_of_clear_day(name):
    clear, other = _scene(index=3), _scene(f"conditions={name}", index=3)
    assert other.conditions.name == name
    assert [e.name for e in other.entities] == [e.name for e in clear.entities]
    for a, b in zip(clear.entities, other.entities, strict=True):
        assert (a.instance_id, a.category, a.asset, a.size_m) == (b.instance_id, b.category, b.asset, b.size_m)
        assert all(np.array_equal(p, q) for p, q in zip(a.trajectory.poses, b.trajectory.poses, strict=True))
        if a.is_labelled:  # objects keep their colours; only the ground weathers
            assert a.material == b.material
    assert np.array_equal(clear.rig.cameras[0].K, other.rig.cameras[0].K)
    assert all(
        np.array_equal(p, q) for p, q in zip(clear.rig.trajectory.poses, other.rig.trajectory.poses, strict=True)
    )
    # recorded in scene.json, and read back exactly
    assert scene_from_dict(json.loads(json.dumps(scene_to_dict(other)))).conditions == other.conditions


def test_parameters_are_drawn_from_the_conditions_stream_within_their_ranges():
    visibilities = {_scene("conditions=fog", index=i).conditions.visibility_m for i in range(3)}
    assert len(visibilities) == 3 and all(30.0 <= v <= 300.0 for v in visibilities)
    # adding a key's override changes only that key: the visibility of scene 2 stays
    a = _scene("conditions=fog", index=2).conditions
    b = _scene("conditions=fog", "conditions.rain_rate_mm_h=5.0", index=2).conditions
    assert a.visibility_m == b.visibility_m and b.rain_rate_mm_h == 5.0
    assert b.camera_extinction() > a.camera_extinction()


def test_low_sun_sits_low_ahead_of_the_ego_and_night_is_dark():
    low = _scene("conditions=low_sun")
    sun = next(light for light in low.lights if light.kind == "directional")
    towards = -np.asarray(sun.direction)
    elevation = math.degrees(math.asin(towards[2]))
    azimuth = math.degrees(math.atan2(towards[1], towards[0]))
    assert 2.0 <= elevation <= 8.0 and abs(azimuth) <= 20.0  # the ego drives along +x
    assert low.conditions.sun_elevation_deg == pytest.approx(elevation)
    night, day = _scene("conditions=night"), _scene()
    assert night.environment.ambient[0] <= 0.03 < day.environment.ambient[0]
    night_sun = next(light for light in night.lights if light.kind == "directional")
    assert night_sun.intensity <= 0.06 and max(night.environment.background) < 0.02
    # scene.lighting's studio area lights are gone from the street at night, whatever it drew
    lit = [i for i in range(4) if any(light.kind == "area" for light in _scene(index=i).lights)]
    assert lit and not any(light.kind == "area" for i in lit for light in _scene("conditions=night", index=i).lights)
    # a sun below the horizon (dusk) lights nothing
    dusk = _scene("conditions=dusk", "conditions.sun_elevation_deg=-1.5")
    assert next(light for light in dusk.lights if light.kind == "directional").intensity == 0.0


def test_wet_and_snowy_ground():
    clear, rain, snow = _scene(index=1), _scene("conditions=rain", index=1), _scene("conditions=snow", index=1)
    clear, rain, snow = (next(e for e in s.entities if e.category == "road").material for s in (clear, rain, snow))
    assert max(rain.base_color) < max(clear.base_color)  # wet asphalt is darker
    assert rain.roughness < clear.roughness  # and glossier
    assert rain.reflectivity == clear.reflectivity  # the LiDAR's loss on the film is the ray caster's
    assert min(snow.base_color) > max(clear.base_color)  # snow whitens it
    assert snow.reflectivity > clear.reflectivity


def test_night_lamps_sit_on_their_vehicles_and_along_the_sidewalks():
    night = _scene("conditions=night", index=4)
    lamps = [light for light in night.lights if light.emitter_radius_m > 0]
    street = [light for light in lamps if light.parent is None]
    mounted = [light for light in lamps if light.parent is not None]
    assert street and mounted
    moving = [e for e in night.labelled_entities() if e.category in ("car", "truck", "bus")]
    moving = [e for e in moving if e.motion.get("model") != "parked"]
    assert {light.parent for light in mounted} == {e.name for e in moving}
    for light in mounted:
        entity = night.entity(light.parent)
        assert light.name.endswith(("head_left", "head_right", "tail_left", "tail_right"))
        # on the body: 1 cm out from the mesh along the beam axis (x), not floating on the box face
        inward = np.array([-1.0 if "head" in light.name else 1.0, 0.0, 0.0])
        depth = _first_hits(entity_mesh(entity), np.array([light.position]), inward)[0]
        assert depth == pytest.approx(0.01, abs=1e-6)
        assert ("tail" in light.name) == (light.intensity == 0.0)
        # the lamp moves with its vehicle
        t = night.duration_s / 2
        world, _ = night.light_in_world(light, t)
        local = transform_points(invert_pose(entity.trajectory.pose_at(t)), world[None])[0]
        assert np.allclose(local, light.position)
    for light in street:
        assert light.kind == "spot" and light.position[2] == 6.0 and light.direction[2] < -0.9


def test_transmittance_is_the_mean_attenuation_over_visible_pixels():
    scene = _scene("conditions=fog")
    camera = scene.rig.cameras[0]
    target = scene.labelled_entities()[0]
    instance = np.zeros((camera.height, camera.width), np.uint16)
    depth = np.full(instance.shape, 30.0, np.float32)
    instance[50:60, 70:90] = target.instance_id
    depth[50:55, 70:90] = 10.0
    labels = annotate(scene, 0, camera, instance, {}, depth)
    record = next(o for o in labels["objects"][camera.name] if o["instance_id"] == target.instance_id)
    beta = math.log(20.0) / scene.conditions.visibility_m
    inv = np.linalg.inv(camera.K)
    expected = []
    for row in range(50, 60):
        for col in range(70, 90):
            ray = inv @ np.array([col, row, 1.0])
            expected.append(math.exp(-beta * (10.0 if row < 55 else 30.0) * np.linalg.norm(ray)))
    assert record["transmittance"] == pytest.approx(np.mean(expected), rel=1e-9)
    others = [o for o in labels["objects"][camera.name] if o["instance_id"] != target.instance_id]
    assert all(o["transmittance"] is None for o in others)  # not visible
    assert labels["conditions"]["name"] == "fog"
    clear = _scene()
    plain = annotate(clear, 0, clear.rig.cameras[0], instance, {}, depth)
    assert "conditions" not in plain and all("transmittance" not in o for o in plain["objects"][camera.name])


def test_a_transmittance_target_needs_attenuating_conditions():
    with pytest.raises(ConfigError, match="transmittance"):
        validate_config(compose_config(["target.objects.transmittance=[0,0.5]"]))
    validate_config(compose_config(["conditions=fog", "target.objects.transmittance=[0,0.5]"]))


def test_conditions_reach_labels_and_coco_and_the_target_can_bound_transmittance(tmp_path):
    root = tmp_path / "fog"
    overrides = [
        "renderer=fake",
        "conditions=fog",
        "num_scenes=2",
        "output.export=[coco]",
        "target.objects.transmittance=[0.0,0.6]",
        "target.objects.category=car",
    ]
    generate(root, *overrides)
    coco = json.loads((root / "exports" / "coco" / "annotations.json").read_text())
    assert all(image["conditions"]["name"] == "fog" for image in coco["images"])
    scene_dirs = sorted((root / "scenes").iterdir())
    assert len(scene_dirs) == 2
    for scene_dir in scene_dirs:
        labels = json.loads((scene_dir / "000000" / "labels.json").read_text())
        assert labels["conditions"]["name"] == "fog"
        cars = [o for o in labels["objects"]["front"] if o["category"] == "car" and o["visible"]]
        assert any(o["transmittance"] <= 0.6 for o in cars)
    dataset = json.loads((root / "dataset.json").read_text())
    assert dataset["config"]["conditions"]["name"] == "fog"


def test_conditions_record_names_the_extinctions():
    fog = Conditions(name="fog", visibility_m=100.0)
    record = fog.record()
    assert record["camera_extinction_per_m"] == pytest.approx(math.log(20.0) / 100.0)
    assert record["lidar_extinction_per_m"] == pytest.approx(
        math.log(20.0) / 100.0
    )  # fog proper: no wavelength dependence
    haze = Conditions(name="overcast", visibility_m=10_000.0)
    assert haze.lidar_extinction() < haze.camera_extinction()


def test_conditions_command_lists_the_presets_as_their_yaml_states_them(capsys):
    from synthsense.cli import main

    assert main(["conditions"]) == 0
    out = capsys.readouterr().out
    for name in PRESETS:
        assert f"{name}: " in out
    assert "visibility_m = uniform [30.0, 300.0]" in out  # configs/conditions/fog.yaml
    assert main(["conditions", "night"]) == 0
    night = capsys.readouterr().out
    assert all(f"  {key} = " in night for key in KEYS)
    assert main(["conditions", "hail"]) == 2
    assert "unknown conditions 'hail'" in capsys.readouterr().err


def test_preview_caption_names_the_conditions():
    from formats.preview import conditions_caption

    caption = conditions_caption(Conditions(name="fog", visibility_m=120.4, rain_rate_mm_h=2.0).record())
    assert caption == "fog, MOR 120 m, rain 2.0 mm/h"

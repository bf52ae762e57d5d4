"""Domain randomization: procedural textures, area lights and the sky are sampled deterministically from
their own generators, recorded in scene.json, validated in the config, and pyrender still renders them."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from generator.config import compose_config
from generator.errors import ConfigError
from generator.world.pieces import random_material, sample_lighting
from generator.world.sampling import sample_scene
from generator.world.seeding import rng_for
from scenes import Light, Texture, scene_from_dict, scene_to_dict, scene_to_json
from scenes.model import SKY_KINDS, TEXTURE_KINDS


def _scenes(*overrides: str, count: int = 6):
    cfg = compose_config(["camera.width=64", "camera.height=48", "seed=5", *overrides])
    return [sample_scene(cfg, i) for i in range(count)]


def test_textures_area_lights_and_sky_are_sampled_deterministically_and_vary():
    first, again = _scenes(), _scenes()
    assert [scene_to_json(s) for s in first] == [scene_to_json(s) for s in again]
    textures = [e.material.texture for s in first for e in s.labelled_entities()]
    kinds = {t.kind for t in textures}
    assert kinds <= set(TEXTURE_KINDS) and "none" in kinds and len(kinds) >= 3
    for t in textures:
        if t.kind != "none":
            assert 2.0 <= t.scale <= 20.0 and 0.0 <= t.roughness_variation <= 0.5
    area = [light for s in first for light in s.lights if light.kind == "area"]
    assert area and all(light.size_m > 0 and light.position[2] > 0 for light in area)
    for light in area:  # faces the origin
        np.testing.assert_allclose(np.cross(light.direction, light.position), 0.0, atol=1e-9)
    assert {s.environment.sky for s in first} == set(SKY_KINDS)


def test_texture_and_lighting_draws_leave_every_other_draw_unchanged():
    cfg = compose_config([])
    plain = random_material(cfg.scene.materials, rng_for(1, 0, "materials", 3))
    textured = random_material(
        cfg.scene.materials, rng_for(1, 0, "materials", 3), texture_rng=rng_for(1, 0, "textures")
    )
    assert plain.texture == Texture() and dataclasses.replace(textured, texture=Texture()) == plain
    lights, env = sample_lighting(cfg.scene.lighting, rng_for(1, 0, "lighting"))
    more, env_more = sample_lighting(cfg.scene.lighting, rng_for(1, 0, "lighting"), rng_for(1, 0, "lighting", 1))
    assert more[0] == lights[0] and env_more.ambient == env.ambient
    # the texture config does not move the scene's geometry, colours or the sun
    # (sidewalk paving is a fixed slab pattern, not a random texture: off in both)
    base = _scenes("scene.details.paving=false", count=3)
    untextured = _scenes(
        "scene.materials.texture_kinds={none: 1, noise: 0, checker: 0, wave: 0}",
        "scene.lighting.area_lights=0",
        "scene.details.paving=false",
        count=3,
    )
    for a, b in zip(base, untextured, strict=True):
        assert [e.trajectory.poses[0].tolist() for e in a.entities] == [
            e.trajectory.poses[0].tolist() for e in b.entities
        ]
        assert [e.material.base_color for e in a.entities] == [e.material.base_color for e in b.entities]
        assert a.lights[0] == b.lights[0]
        assert all(e.material.texture.kind == "none" for e in b.entities)
        assert [light.kind for light in b.lights] == ["directional"]


def test_textures_lights_and_sky_survive_the_json_round_trip():
    scene = next(s for s in _scenes() if any(light.kind == "area" for light in s.lights))
    back = scene_from_dict(json.loads(scene_to_json(scene)))
    assert scene_to_json(back) == scene_to_json(scene)
    assert [e.material for e in back.entities] == [e.material for e in scene.entities]
    assert back.lights == scene.lights and back.environment == scene.environment


def test_scene_json_without_the_new_fields_still_loads():
    scene = _scenes(count=1)[0]
    old = scene_to_dict(scene)
    for entity in old["entities"]:
        del entity["material"]["texture"]
    for light in old["lights"]:
        del light["size_m"]
    del old["environment"]["sky"]
    back = scene_from_dict(old)
    assert all(e.material.texture == Texture() for e in back.entities)
    assert back.environment.sky == "color" and all(light.size_m == 0.0 for light in back.lights)


@pytest.mark.parametrize(
    ("override", "culprit"),
    [
        ("scene.materials.texture_kinds={marble: 1}", "scene.materials.texture_kinds"),
        ("scene.lighting.sky={cloudy: 1}", "scene.lighting.sky"),
        ("scene.lighting.area_lights=1.5", "scene.lighting.area_lights"),
        ("scene.materials.texture_contrast=2", "scene.materials.texture_contrast"),
        ("scene.lighting.area_light_size_m=0", "scene.lighting.area_light_size_m"),
    ],
)
def test_bad_randomization_settings_name_their_key(override, culprit):
    with pytest.raises(ConfigError, match=culprit.replace(".", r"\.")):
        compose_config([override])


@pytest.mark.gl
def test_pyrender_draws_area_lights_as_point_lights():
    from renderers.base import Pass
    from renderers.pyrender import create_backend

    scene = _scenes("scene=tabletop", "scene.lighting.area_lights=0", count=1)[0]
    lit = dataclasses.replace(
        scene,
        lights=[
            *scene.lights,
            Light("area_0", "area", intensity=60.0, direction=(0, 0, -1), position=(0, 0, 2), size_m=1),
        ],
        environment=dataclasses.replace(scene.environment, sky="sky"),
    )
    with create_backend(frozenset({Pass.RGB, Pass.INSTANCE})) as backend:
        plain, with_area = backend.render(scene, 0.0), backend.render(lit, 0.0)
    np.testing.assert_array_equal(plain.instance, with_area.instance)
    assert with_area.rgb.astype(int).sum() > plain.rgb.astype(int).sum()

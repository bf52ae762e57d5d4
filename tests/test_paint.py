"""Vehicle paint (``generator.world.paint``): shares of the palette, its own seeding stream, the config switch
back to random materials, and the clear coat in scene.json."""

from __future__ import annotations

import json

import numpy as np
import pytest

from generator.config import compose_config
from generator.errors import ConfigError
from generator.world.paint import PALETTE, VEHICLE_CATEGORIES, paint_material
from generator.world.sampling import sample_scene
from scenes.serialization import scene_from_dict, scene_to_dict


def test_palette_shares_and_finishes():
    rng = np.random.default_rng(0)
    paints = [paint_material(rng) for _ in range(4000)]
    colors = np.array([p.base_color for p in paints])
    # white is the only family brighter than 0.6 in every channel; black the only one under 0.02 in all
    assert abs((colors.min(axis=1) > 0.6).mean() - PALETTE["white"][0]) < 0.03
    assert abs((colors.max(axis=1) < 0.02).mean() - PALETTE["black"][0]) < 0.03
    assert all(p.clearcoat == 1.0 and 0.25 <= p.roughness <= 0.45 for p in paints)
    assert all(p.metallic == 0.0 or 0.5 <= p.metallic <= 0.8 for p in paints)
    white = [p for p in paints if min(p.base_color) > 0.6]
    black = [p for p in paints if max(p.base_color) < 0.02]
    assert min(p.reflectivity for p in white) > max(p.reflectivity for p in black)  # TiO2 vs carbon black


def test_palette_draws_only_vehicle_materials_from_their_own_stream():
    palette = sample_scene(compose_config(["seed=4"]), 0)
    random = sample_scene(compose_config(["seed=4", "scene.materials.vehicle_paint=random"]), 0)
    assert [e.name for e in palette.entities] == [e.name for e in random.entities]
    vehicles = 0
    for a, b in zip(palette.entities, random.entities, strict=True):
        assert a.asset == b.asset and np.array_equal(a.trajectory.poses[0], b.trajectory.poses[0])
        if a.category in VEHICLE_CATEGORIES:
            vehicles += 1
            assert a.material.clearcoat == 1.0 and b.material.clearcoat == 0.0 and a.material != b.material
        else:
            assert a.material == b.material
    assert vehicles >= 3


def test_clearcoat_round_trips_through_scene_json_and_is_absent_when_zero():
    scene = sample_scene(compose_config(["seed=4"]), 0)
    data = json.loads(json.dumps(scene_to_dict(scene)))
    back = scene_from_dict(data)
    for entity, record, read in zip(scene.entities, data["entities"], back.entities, strict=True):
        assert read.material == entity.material
        assert ("clearcoat" in record["material"]) == (entity.material.clearcoat != 0.0)


def test_unknown_paint_mode_is_one_line_naming_the_key():
    from generator.config import validate_config

    with pytest.raises(ConfigError, match=r"^scene\.materials\.vehicle_paint must be one of palette, random"):
        validate_config(compose_config(["scene.materials.vehicle_paint=chrome"]))

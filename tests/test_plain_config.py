"""plain_config: the scene node read once into plain Python holds exactly what OmegaConf reads."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from generator.config import compose_config
from generator.world.plain_config import PlainNode, plain_config


def test_plain_scene_node_equals_omegaconf() -> None:
    cfg = compose_config(["seed=1"])
    plain = plain_config(cfg.scene)
    assert plain == OmegaConf.to_container(cfg.scene, resolve=True)
    assert plain.sequence.num_frames == cfg.scene.sequence.num_frames
    assert plain.materials.saturation == plain["materials"]["saturation"]
    assert isinstance(plain.furniture, PlainNode)
    with pytest.raises(AttributeError, match="no_such_key"):
        _ = plain.no_such_key
    assert not hasattr(plain, "no_such_key")


def test_nested_lists_of_mappings_are_wrapped() -> None:
    plain = plain_config(OmegaConf.create({"lidars": [{"rotation_hz": 10.0}], "x": "${y}", "y": 3}))
    assert plain.lidars[0].rotation_hz == 10.0 and plain.x == 3

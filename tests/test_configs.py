"""Every option of every config group composes and validates; overrides reach the scene."""

from __future__ import annotations

import itertools
from importlib import resources

import numpy as np
import pytest

from generator.config import compose_config
from generator.errors import ConfigError
from generator.world.sampling import sample_scene


def _options(group: str) -> list[str]:
    folder = resources.files("configs") / group
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def test_every_option_of_every_group_composes():
    groups = {g: _options(g) for g in ("scene", "renderer", "camera", "output")}
    assert groups["scene"] == ["street", "tabletop"] and "pyrender" in groups["renderer"]
    for combo in itertools.product(*groups.values()):
        cfg = compose_config([f"{g}={o}" for g, o in zip(groups, combo, strict=True)])
        assert cfg.scene.kind == combo[0]
        assert cfg.output_dir == f"datasets/{combo[0]}"


def test_camera_intrinsics_override_fov():
    cfg = compose_config(["camera.intrinsics=[500.0, 480.0, 300.0, 200.5]", "camera.width=600", "camera.height=400"])
    cam = sample_scene(cfg, 0).rig.cameras[0]
    np.testing.assert_array_equal(cam.K, [[500, 0, 300], [0, 480, 200.5], [0, 0, 1]])
    assert (cam.width, cam.height) == (600, 400)
    fov = sample_scene(compose_config(["camera.fov_deg=90", "camera.width=640"]), 0).rig.cameras[0]
    assert fov.K[0, 0] == pytest.approx(320.0)


@pytest.mark.parametrize(
    ("override", "culprit"),
    [
        ("camera.intrinsics=[1.0, 2.0]", "camera.intrinsics"),
        ("camera.name=../x", "camera.name"),
        ("camera.fov_deg=180", "camera.fov_deg"),
        ("scene.sequence.fps=0", "scene.sequence.fps"),
        ("scene.sequence.num_frames=0", "scene.sequence.num_frames"),
        ("camera.znear=0", "camera.znear"),
    ],
)
def test_bad_camera_and_scene_values(override, culprit):
    with pytest.raises(ConfigError, match=culprit.replace(".", r"\.")):
        compose_config([override])

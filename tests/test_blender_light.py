"""Blender light: the denoiser is on by default and never touches the labels; the procedural sky stands where
the scene's sun is (brighter toward it). Tiny images, few samples. (The sun's disc is not checked here: near
the sun Blender's sky saturates the display values as well.)"""

from __future__ import annotations

import math
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_blender_conditions import DAY, scene_of, srgb_to_linear  # noqa: E402
from test_pyrender_backend import ALL_PASSES, at, box, make_scene  # noqa: E402

from renderers.base import Pass  # noqa: E402
from scenes import Camera, Light  # noqa: E402
from scenes.transforms import make_pose  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:tostring:DeprecationWarning")


def test_the_denoiser_is_on_by_default() -> None:
    from generator.config import compose_config
    from renderers.blender.backend import BlenderSettings

    assert compose_config(["renderer=blender"]).renderer.denoise is True
    assert BlenderSettings().denoise is True
    assert compose_config(["renderer=blender", "renderer.denoise=false"]).renderer.denoise is False


@pytest.mark.blender
def test_denoising_changes_the_rgb_and_leaves_every_label_pass_byte_identical() -> None:
    from renderers.blender import create_backend

    plate = box(1, (1.2, 1.2, 0.2), at(0, 0, 3), color=(0.7, 0.7, 0.7))
    scene = make_scene([plate, box(2, (0.4, 0.4, 0.4), at(0.8, 0.4, 5))])
    results = {}
    for denoise in (False, True):
        with create_backend(ALL_PASSES | {Pass.NORMALS}, samples=2, denoise=denoise) as b:
            results[denoise] = b.render(scene, 0.0)
    noisy, clean = results[False], results[True]
    for key in ("depth", "instance", "normals"):
        assert getattr(noisy, key).tobytes() == getattr(clean, key).tobytes(), key
    assert noisy.amodal.keys() == clean.amodal.keys()
    assert all(noisy.amodal[i].tobytes() == clean.amodal[i].tobytes() for i in noisy.amodal)
    assert noisy.rgb.tobytes() != clean.rgb.tobytes()  # the denoiser ran (its noise figures: bench_blender_noise)


def forward_camera(pitch_deg: float, focal: float, width: int = 48, height: int = 36) -> Camera:
    """A camera 1.5 m up looking along +x, pitched up by ``pitch_deg``."""
    c, s = math.cos(math.radians(pitch_deg)), math.sin(math.radians(pitch_deg))
    forward, down = np.array([c, 0.0, s]), np.array([s, 0.0, -c])
    rotation = np.stack([np.cross(down, forward), down, forward], axis=1)  # columns: x right, y down, z forward
    K = np.array([[focal, 0.0, (width - 1) / 2], [0.0, focal, (height - 1) / 2], [0.0, 0.0, 1.0]])
    return Camera("cam", width, height, K, make_pose(rotation, (0.0, 0.0, 1.5)), zfar=200.0)


def sun(elevation_deg: float, azimuth_deg: float) -> Light:
    e, a = math.radians(elevation_deg), math.radians(azimuth_deg)
    towards = np.array([math.cos(e) * math.cos(a), math.cos(e) * math.sin(a), math.sin(e)])
    return Light("sun", "directional", (1.0, 1.0, 1.0), 3.0, tuple(-towards))


@pytest.mark.blender
def test_blender_sky_is_brighter_toward_the_sun() -> None:
    from renderers.blender import create_backend

    camera = forward_camera(10.0, 40.0)
    luminance = {}
    with create_backend(frozenset({Pass.RGB}), samples=2) as b:
        for azimuth in (0.0, 90.0, 180.0):  # the sun ahead, to the left, behind
            scene = scene_of([], [sun(20.0, azimuth)], replace(DAY, sky="sky"), camera=camera, scene_id=f"az{azimuth}")
            linear = srgb_to_linear(b.render(scene, 0.0).rgb)
            luminance[azimuth] = float((linear @ np.array([0.2126, 0.7152, 0.0722])).mean())
    assert luminance[0.0] > 1.4 * max(luminance[90.0], luminance[180.0]), luminance

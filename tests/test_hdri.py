"""Environment maps: Blender's bundled world HDRIs (CC0, in the bpy wheel), drawn per scene from their own
stream, recorded in scene.json, shown by pyrender (background and ambient) and lighting Blender."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from generator.config import compose_config
from generator.errors import ConfigError
from generator.world.sampling import sample_scene
from renderers import hdri
from renderers.base import Pass
from scenes.model import HDRI_NAMES
from scenes.serialization import scene_from_dict, scene_to_dict

pytestmark = pytest.mark.filterwarnings("ignore:tostring:DeprecationWarning")


def test_every_bundled_map_is_there_and_licensed_cc0() -> None:
    folder = hdri.hdri_dir()
    assert "All HDRIs are licensed as CC0" in (folder / "license.txt").read_text()
    for name in HDRI_NAMES:
        assert hdri.hdri_path(name).is_file(), name
    image = hdri.load_hdri("sunset")
    assert image.shape == (512, 1024, 3) and np.isfinite(image).all() and image.min() >= 0


def test_ambient_is_the_irradiance_of_the_upper_hemisphere_over_pi(monkeypatch) -> None:
    # a uniform sky of radiance L gives a horizontal surface E = pi L: the ambient is L (times the strength)
    uniform = np.full((64, 128, 3), 0.7, np.float32)
    monkeypatch.setattr(hdri, "load_hdri", lambda name: uniform)
    ambient = hdri.hdri_ambient.__wrapped__("city")
    np.testing.assert_allclose(ambient, 0.7 * hdri.HDRI_STRENGTH, rtol=2e-3)
    # light from below the horizon (the ground) does not reach an upward-facing surface
    lower = np.zeros((64, 128, 3), np.float32)
    lower[32:] = 5.0
    monkeypatch.setattr(hdri, "load_hdri", lambda name: lower)
    assert max(hdri.hdri_ambient.__wrapped__("city")) == 0.0


def test_equirectangular_mapping_is_blenders(monkeypatch) -> None:
    # columns carry their index, rows theirs: read back where Blender's mapping puts each direction
    h, w = 64, 128
    rows, columns = np.mgrid[0:h, 0:w].astype(np.float32)
    coded = np.stack([rows, columns, np.zeros_like(rows)], axis=-1) / hdri.HDRI_STRENGTH
    monkeypatch.setattr(hdri, "load_hdri", lambda name: coded)
    cases = {  # direction -> (row, column): +x at the image centre, +y a quarter to the left, up at the top
        (1.0, 0.0, 0.0): (h / 2, w / 2),
        (0.0, 1.0, 0.0): (h / 2, w / 4),
        (0.0, -1.0, 0.0): (h / 2, 3 * w / 4),
        (0.0, 0.0, 1.0): (0, None),
    }
    for direction, (row, column) in cases.items():
        got = hdri.hdri_radiance("city", np.array([direction]))[0]
        assert abs(got[0] - row) <= 1.0, direction
        if column is not None:
            assert abs(got[1] - column) <= 1.0, direction


def test_the_map_is_drawn_from_its_own_stream_and_round_trips_through_scene_json() -> None:
    base = ["camera.width=64", "camera.height=48"]
    plain = [sample_scene(compose_config(base), i) for i in range(6)]
    mapped = [
        sample_scene(compose_config([*base, "scene.lighting.hdri={none: 1, city: 1, sunset: 1}"]), i) for i in range(6)
    ]
    assert {s.environment.hdri for s in plain} == {None}
    assert len({s.environment.hdri for s in mapped}) >= 2
    for a, b in zip(plain, mapped, strict=True):  # nothing else moved
        assert replace(b.environment, hdri=None) == a.environment
        assert [e.trajectory.pose_at(0.0).tobytes() for e in a.entities] == [
            e.trajectory.pose_at(0.0).tobytes() for e in b.entities
        ]
        assert a.lights == b.lights
        assert scene_from_dict(scene_to_dict(b)).environment == b.environment


def test_an_unknown_map_is_a_one_line_error_naming_the_key() -> None:
    from generator.config import validate_config

    with pytest.raises(ConfigError, match=r"scene\.lighting\.hdri.*moon") as error:
        validate_config(compose_config(["scene.lighting.hdri={moon: 1}"]))
    assert "\n" not in str(error.value)


def test_conditions_that_set_the_sky_colour_take_the_map_away() -> None:
    from generator.world.conditions import relit
    from scenes import Environment

    drawn = dict.fromkeys(("sun_elevation_deg", "sun_azimuth_deg", "sun_intensity", "sun_color", "ambient"))
    _, env = relit([], Environment(hdri="city"), {**drawn, "sky_color": (0.01, 0.01, 0.02)})
    assert env.hdri is None and env.sky == "color"
    _, kept = relit([], Environment(hdri="city"), {**drawn, "sky_color": None})
    assert kept.hdri == "city"


def _street(name: str | None, size: tuple[int, int] = (96, 72)):
    scene = sample_scene(compose_config([f"camera.width={size[0]}", f"camera.height={size[1]}"]), 0)
    return replace(scene, environment=replace(scene.environment, hdri=name), scene_id=f"hdri-{name}")


@pytest.mark.gl
def test_pyrender_shows_the_map_behind_the_street_with_its_ambient_and_the_same_labels() -> None:
    from renderers.pyrender import create_backend

    passes = frozenset({Pass.RGB, Pass.DEPTH, Pass.INSTANCE})
    with create_backend(passes) as b:
        plain, mapped = b.render(_street(None), 0.0), b.render(_street("sunset"), 0.0)
    np.testing.assert_array_equal(plain.instance, mapped.instance)
    np.testing.assert_array_equal(plain.depth, mapped.depth)
    sky = plain.depth == 0
    assert sky.sum() > 100
    scene = _street("sunset")
    camera = scene.rig.cameras[0]
    from scenes.camera_geometry import pixel_rays

    rays = pixel_rays(camera.K, camera.width, camera.height)[sky] @ scene.rig.world_from_sensor(camera, 0.0)[:3, :3].T
    rays /= np.linalg.norm(rays, axis=-1, keepdims=True)
    expected = np.rint(np.clip(hdri.hdri_radiance("sunset", rays), 0, 1) ** (1 / 2.2) * 255)
    # away from surface edges (coverage-mixed) the sky pixels are the map's texels
    close = np.abs(mapped.rgb[sky].astype(float) - expected).max(axis=-1) <= 1
    assert close.mean() > 0.9
    assert math.isclose(float(np.mean(hdri.hdri_ambient("sunset"))), 0.39, abs_tol=0.3)


@pytest.mark.blender
def test_blender_renders_under_a_map_with_the_labels_of_the_plain_world() -> None:
    from renderers.blender import create_backend

    passes = frozenset({Pass.RGB, Pass.DEPTH, Pass.INSTANCE})
    with create_backend(passes, samples=2) as b:
        plain, mapped = b.render(_street(None, (48, 36)), 0.0), b.render(_street("sunset", (48, 36)), 0.0)
    np.testing.assert_array_equal(plain.instance, mapped.instance)
    np.testing.assert_array_equal(plain.depth, mapped.depth)
    sky = plain.depth == 0
    assert sky.any() and np.abs(plain.rgb[sky].astype(int) - mapped.rgb[sky].astype(int)).mean() > 5

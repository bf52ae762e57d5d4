"""The numpy fake backend: exact rectangles, painter's order, pass selection."""

from __future__ import annotations

import numpy as np
import pytest

from renderers.base import Pass, RendererBackend
from renderers.fake import FakeBackend
from scenes import AssetRef, Camera, Entity, Environment, Material, Scene, SensorRig, Trajectory
from scenes.transforms import make_pose

WIDTH, HEIGHT = 160, 120
# fx = fy = 100 px, principal point at (u, v) = (80, 60): projections are easy to do by hand.
K = np.array([[100.0, 0.0, 80.0], [0.0, 100.0, 60.0], [0.0, 0.0, 1.0]])
ALL_PASSES = frozenset(Pass) - {Pass.NORMALS}  # every pass but normals (Blender only)


def box(
    instance_id: int,
    size_m: tuple[float, float, float],
    centre: tuple[float, float, float],
    color: tuple[float, float, float] = (1.0, 0.0, 0.0),
) -> Entity:
    """An axis-aligned box entity; the camera frame is the world frame (OpenCV: x right, y down, z
    forward), so a box at centre (x, y, z) spans u = 80 + 100 * x / z etc."""
    length, width, height = size_m
    return Entity(
        name=f"box{instance_id}",
        instance_id=instance_id,
        category="box",
        asset=AssetRef("procedural", "box", {"length": length, "width": width, "height": height}),
        size_m=size_m,
        trajectory=Trajectory.static(make_pose(np.eye(3), centre)),
        material=Material(base_color=color),
    )


def make_scene(entities: list[Entity]) -> Scene:
    camera = Camera("cam", WIDTH, HEIGHT, K, np.eye(4))
    rig = SensorRig(Trajectory.static(np.eye(4)), [camera])
    env = Environment(ambient=(0.3, 0.3, 0.3), background=(0.0, 0.5, 1.0))
    return Scene("fake", 0, {}, 10.0, 1, entities, [], env, rig)


def test_fake_satisfies_protocol() -> None:
    with FakeBackend(ALL_PASSES) as backend:
        assert isinstance(backend, RendererBackend)
        assert backend.name == "fake"
        assert backend.capabilities == ALL_PASSES


def test_rectangle_is_exact() -> None:
    # Corners at z = 1.9 (front) and 2.1 (back): u spans 80 + 100 * [-0.5, 0.5] / 1.9 = [53.68, 106.32],
    # v spans 60 + 100 * [-0.2, 0.2] / 1.9 = [49.47, 70.53]; pixel centres inside: columns 54..106,
    # rows 50..70.
    scene = make_scene([box(7, (1.0, 0.4, 0.2), (0.0, 0.0, 2.0), color=(1.0, 0.5, 0.0))])
    result = FakeBackend(ALL_PASSES).render(scene, 0.0)
    expected = np.zeros((HEIGHT, WIDTH), dtype=bool)
    expected[50:71, 54:107] = True
    assert result.instance.dtype == np.uint16 and result.depth.dtype == np.float32 and result.rgb.dtype == np.uint8
    np.testing.assert_array_equal(result.instance == 7, expected)
    np.testing.assert_array_equal(result.instance[~expected], 0)
    np.testing.assert_array_equal(result.depth[expected], np.float32(2.0))
    np.testing.assert_array_equal(result.depth[~expected], 0.0)
    np.testing.assert_array_equal(result.rgb[expected], [[255, 128, 0]] * int(expected.sum()))
    np.testing.assert_array_equal(result.rgb[~expected], [[0, 128, 255]] * int((~expected).sum()))
    assert set(result.amodal) == {7}
    np.testing.assert_array_equal(result.amodal[7], expected)


def test_painters_order_near_wins_and_amodal_keeps_whole_rectangles() -> None:
    near = box(1, (0.4, 0.4, 0.2), (0.0, 0.0, 2.0))  # listed first, drawn last
    far = box(2, (2.0, 2.0, 0.2), (0.0, 0.0, 6.0))
    result = FakeBackend(ALL_PASSES).render(make_scene([near, far]), 0.0)
    assert set(np.unique(result.instance)) == {0, 1, 2}
    np.testing.assert_array_equal(result.instance == 1, result.amodal[1])
    assert result.amodal[2][result.amodal[1]].all()  # the far rectangle continues behind the near one
    assert np.array_equal(result.amodal[2] & (result.instance != 1), result.instance == 2)
    assert result.depth[60, 80] == np.float32(2.0)
    assert result.depth[result.instance == 2].max() == np.float32(6.0)


def test_boxes_behind_camera_or_outside_image_and_context_are_not_drawn() -> None:
    behind = box(1, (0.4, 0.4, 0.2), (0.0, 0.0, -3.0))
    straddling = box(2, (0.4, 0.4, 4.0), (0.0, 0.0, 0.5))  # corners at z = -1.5 and 2.5
    outside = box(3, (0.4, 0.4, 0.2), (10.0, 0.0, 2.0))
    context = box(0, (0.4, 0.4, 0.2), (0.0, 0.0, 2.0))
    result = FakeBackend(ALL_PASSES).render(make_scene([behind, straddling, outside, context]), 0.0)
    assert not result.instance.any()
    assert not result.depth.any()
    assert result.amodal == {}


def test_rectangle_is_clipped_to_the_image() -> None:
    # u spans [80 + 100 * 1.0 / 2.1, 80 + 100 * 2.0 / 1.9] = [127.6, 185.3]: columns 128..159 remain.
    scene = make_scene([box(4, (1.0, 0.4, 0.2), (1.5, 0.0, 2.0))])
    mask = FakeBackend(frozenset({Pass.AMODAL})).render(scene, 0.0).amodal[4]
    np.testing.assert_array_equal(np.flatnonzero(mask.any(axis=0)), np.arange(128, WIDTH))


@pytest.mark.parametrize("passes", [frozenset(), frozenset({Pass.DEPTH}), frozenset({Pass.RGB, Pass.AMODAL})])
def test_passes_not_requested_are_none(passes: frozenset[Pass]) -> None:
    result = FakeBackend(passes).render(make_scene([box(1, (0.4, 0.4, 0.2), (0.0, 0.0, 2.0))]), 0.5)
    assert result.camera == "cam" and result.t == 0.5
    for p in ALL_PASSES:
        assert (getattr(result, p.value) is not None) == (p in passes)


def test_fake_is_deterministic() -> None:
    scene = make_scene([box(i + 1, (0.3, 0.3, 0.3), (0.2 * i - 0.5, 0.1 * i, 2.0 + 0.3 * i)) for i in range(5)])
    a, b = FakeBackend(ALL_PASSES).render(scene, 0.0), FakeBackend(ALL_PASSES).render(scene, 0.0)
    for p in (Pass.RGB, Pass.DEPTH, Pass.INSTANCE):
        np.testing.assert_array_equal(getattr(a, p.value), getattr(b, p.value))

"""Rigid entities made of surface parts (``ProceduralAsset.build_parts``, ``assets.surfaces``): every renderer
draws each part in its surface's material, and no label changes from splitting the mesh into parts.

The asset here is two boxes side by side along x, a 1 m cube of the entity's own material (``body``) behind a
1 m cube of red tail-lamp lens (``tail_lamp``), registered for the test only; its one-mesh twin is the same
builder without ``build_parts``.
"""

from __future__ import annotations

import numpy as np
import pytest

from assets import entity_mesh
from assets.articulated import entity_parts, part_poses
from assets.procedural import PROCEDURAL_ASSETS, ProceduralAsset
from assets.procedural.base import assemble_parts, box_between, centre_parts
from assets.surfaces import SURFACES, surface_material
from renderers.base import Pass
from renderers.raycast import world_for
from scenes import AssetRef, Camera, Entity, Environment, Material, Scene, SensorRig, Trajectory
from scenes.transforms import make_pose

pytestmark = pytest.mark.filterwarnings("ignore:tostring:DeprecationWarning")

WIDTH, HEIGHT = 160, 120
K = np.array([[100.0, 0.0, 79.5], [0.0, 100.0, 59.5], [0.0, 0.0, 1.0]])
BODY = Material(base_color=(0.05, 0.1, 0.8), reflectivity=0.7)
LAMP = SURFACES["tail_lamp"]


def _parts(size: float) -> list:
    return centre_parts(
        [
            ("body", box_between((-size, -size / 2, 0.0), (0.0, size / 2, size))),
            ("tail_lamp", box_between((0.0, -size / 2, 0.0), (size, size / 2, size))),
        ]
    )


def _build(size: float):
    return assemble_parts(_parts(size))


@pytest.fixture(autouse=True)
def assets(monkeypatch):
    """``two_part`` (surface parts) and ``one_part`` (the same mesh without them) in the registry."""
    sample = lambda rng: {"size": 1.0}  # noqa: E731
    monkeypatch.setitem(PROCEDURAL_ASSETS, "two_part", ProceduralAsset("two_part", "box", _build, sample, _parts))
    monkeypatch.setitem(PROCEDURAL_ASSETS, "one_part", ProceduralAsset("one_part", "box", _build, sample))


def entity(asset: str, scale: float = 1.0) -> Entity:
    """The asset 4 m in front of an OpenCV camera at the origin (x right): the body on the left, the lamp
    on the right; turned so the object's x runs along the camera's x and its z up (camera -y)."""
    rotation = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])  # object x, y, z -> cam x, z, -y
    size = (2.0 * scale, 1.0 * scale, 1.0 * scale)
    pose = make_pose(rotation, (0.0, 0.0, 4.0))
    return Entity(asset, 1, "box", AssetRef("procedural", asset, {"size": 1.0}), size, Trajectory.static(pose), BODY,
                  scale)  # fmt: skip


def scene(entities: list[Entity]) -> Scene:
    rig = SensorRig(Trajectory.static(np.eye(4)), [Camera("cam", WIDTH, HEIGHT, K, np.eye(4))])
    env = Environment(ambient=(1.0, 1.0, 1.0), background=(0.0, 0.0, 0.0))
    return Scene("parts", 0, {}, 10.0, 1, entities, [], env, rig)


@pytest.mark.parametrize("scale", [1.0, 1.3])
def test_parts_concatenate_to_the_entity_mesh(scale):
    whole = entity_mesh(entity("two_part", scale))
    parts = entity_parts(entity("two_part", scale))
    assert [p.surface for p in parts] == ["body", "tail_lamp"]
    assert all(p.joint is None and np.array_equal(p.object_from_part, np.eye(4)) for p in parts)
    assert np.array_equal(np.concatenate([p.mesh.vertices for p in parts]), whole.vertices)
    offsets = np.cumsum([0] + [len(p.mesh.vertices) for p in parts[:-1]])
    faces = np.concatenate([p.mesh.faces + o for p, o in zip(parts, offsets, strict=True)])
    assert np.array_equal(faces, whole.faces)
    assert np.allclose(whole.bounds, [[-scale, -scale / 2, -scale / 2], [scale, scale / 2, scale / 2]])
    assert len(part_poses(entity("two_part", scale), 0.0)) == 2
    # one-part assets stay one part: their whole mesh
    assert len(entity_parts(entity("one_part"))) == 1


def test_surface_material_of_body_is_the_entity_material():
    assert surface_material("body", BODY) is BODY
    assert surface_material("car_glass", BODY) is SURFACES["car_glass"]
    with pytest.raises(KeyError, match="unknown surface 'chromium'"):
        surface_material("chromium", BODY)


@pytest.mark.gl
def test_pyrender_draws_each_part_in_its_surface_and_labels_the_whole():
    from renderers.pyrender import create_backend

    with create_backend(frozenset({Pass.RGB, Pass.DEPTH, Pass.INSTANCE, Pass.AMODAL})) as backend:
        parts = backend.render(scene([entity("two_part")]), 0.0)
        whole = backend.render(scene([entity("one_part")]), 0.0)
    # the body half (left of the image centre) in the entity's blue, the lamp half in the lens's red
    rgb = parts.rgb.astype(int)
    left, right = rgb[HEIGHT // 2, WIDTH // 2 - 15], rgb[HEIGHT // 2, WIDTH // 2 + 15]
    assert left[2] > left[0] + 100 and right[0] > right[2] + 60
    # the one-mesh twin is all body blue
    assert whole.rgb[HEIGHT // 2, WIDTH // 2 + 15, 2] > whole.rgb[HEIGHT // 2, WIDTH // 2 + 15, 0] + 100
    assert (parts.instance == 1).sum() > 1000
    assert np.array_equal(parts.instance, whole.instance)
    assert np.array_equal(parts.depth, whole.depth)
    assert np.array_equal(parts.amodal[1], whole.amodal[1])


def test_lidar_hits_carry_the_reflectivity_of_their_parts_surface():
    scenes = scene([entity("two_part")]), scene([entity("one_part")])
    # rays from the camera's origin through the body's and the lamp's faces (x = -0.5 m and +0.5 m at z = 3.5 m)
    xs = np.linspace(-0.9, 0.9, 19)
    directions = np.stack([xs, np.zeros_like(xs), np.full_like(xs, 3.5)], axis=1)
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    origins = np.zeros_like(directions)
    parts, whole = (world_for(s).cast(origins, directions, 0.0) for s in scenes)
    assert parts.hit.all() and np.array_equal(parts.distance, whole.distance)
    assert np.array_equal(parts.instance_id, whole.instance_id)
    expected = np.where(xs < 0, BODY.reflectivity, LAMP.reflectivity).astype(np.float32)
    assert np.array_equal(parts.reflectivity[np.abs(xs) > 0.05], expected[np.abs(xs) > 0.05])
    assert np.all(whole.reflectivity == np.float32(BODY.reflectivity))

"""Vehicles made of surface parts in Blender: the same instance map as pyrender's, each part in its
surface's material (dark tinted glass over white paint) in both, and the ray caster's reflectivity per part.

Two cars (a white sedan, id 1, and a white SUV behind it, id 2, partly hidden) on a ground slab, seen from
the side and a little above by a camera 7 m away. 160x120, 4 samples.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from assets.procedural import get_procedural
from assets.surfaces import SURFACES
from generator.world.pieces import size_of
from renderers.base import Pass
from renderers.raycast import world_for
from scenes import AssetRef, Camera, Entity, Environment, Light, Material, Scene, SensorRig, Trajectory
from scenes.camera_geometry import pixel_rays
from scenes.transforms import make_pose, rotation_x, rotation_z

pytestmark = [pytest.mark.filterwarnings("ignore:tostring:DeprecationWarning")]

WIDTH, HEIGHT, FOCAL = 160, 120, 150.0
K = np.array([[FOCAL, 0.0, (WIDTH - 1) / 2], [0.0, FOCAL, (HEIGHT - 1) / 2], [0.0, 0.0, 1.0]])
PAINT = Material(base_color=(0.8, 0.8, 0.78), roughness=0.3, metallic=0.0, reflectivity=0.77, clearcoat=1.0)


def car(instance_id: int, body: str, x: float, y: float, yaw: float) -> Entity:
    seed = 0
    while (params := get_procedural("car").sample(np.random.default_rng(seed)))["body"] != body:
        seed += 1
    ref = AssetRef("procedural", "car", params)
    size = size_of(ref, 1.0)
    pose = make_pose(rotation_z(yaw), (x, y, size[2] / 2))
    return Entity(f"car{instance_id}", instance_id, "car", ref, size, Trajectory.static(pose), PAINT)


def make_scene() -> Scene:
    ground = Entity("ground", 0, "road", AssetRef("procedural", "box", {"length": 60.0, "width": 30.0, "height": 0.1}),
                    (60.0, 30.0, 0.1), Trajectory.static(make_pose(np.eye(3), (0.0, 0.0, -0.05))),
                    Material(base_color=(0.3, 0.3, 0.3)))  # fmt: skip
    cars = [car(1, "sedan", -0.8, 0.0, 0.25), car(2, "suv", 1.8, 3.0, -0.2)]
    side = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])  # OpenCV axes looking along +y, z up
    look = side @ rotation_x(np.radians(-10.0))  # tilted 10 deg down
    camera = Camera("cam", WIDTH, HEIGHT, K, make_pose(look, (0.5, -7.0, 2.0)), zfar=100.0)
    rig = SensorRig(Trajectory.static(np.eye(4)), [camera])
    lights = [Light("sun", "directional", intensity=3.0, direction=(0.3, 0.4, -0.85))]
    env = Environment(ambient=(0.3, 0.3, 0.3), background=(0.55, 0.7, 0.9))
    return Scene("vehicles", 0, {"root_seed": 0}, 10.0, 1, [ground, *cars], lights, env, rig)


@pytest.fixture(scope="module")
def scene() -> Scene:
    return make_scene()


def cast_reflectivity(scene: Scene) -> tuple[np.ndarray, np.ndarray]:
    """(H, W) instance ids and LiDAR reflectivity of the first surface each pixel centre's ray meets."""
    cam = scene.rig.cameras[0]
    world_from_camera = scene.rig.world_from_sensor(cam, 0.0)
    directions = pixel_rays(cam.K, cam.width, cam.height).reshape(-1, 3) @ world_from_camera[:3, :3].T
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    origins = np.broadcast_to(world_from_camera[:3, 3], directions.shape)
    hits = world_for(scene).cast(origins, directions, 0.0)
    return hits.instance_id.reshape(HEIGHT, WIDTH), hits.reflectivity.reshape(HEIGHT, WIDTH)


def boundary_band(ids: np.ndarray) -> np.ndarray:
    """Pixels whose 3x3 neighbourhood in ``ids`` holds more than one id: where two renderers' pixel-centre rules
    may differ on an edge through the pixel centre."""
    return ndimage.maximum_filter(ids, size=3) != ndimage.minimum_filter(ids, size=3)


def agreement(ours: np.ndarray, reference: np.ndarray) -> float:
    """The share of the pixels showing a car in either map, outside the reference's boundary band, where both
    maps show the same id (slivers of a pixel, a mirror's edge, may fall either way)."""
    union = ((ours > 0) | (reference > 0)) & ~boundary_band(reference)
    return float((ours[union] == reference[union]).mean())


def interior(mask: np.ndarray) -> np.ndarray:
    """``mask`` less a 1-pixel band at its edges (where the pixel-centre rules of two renderers may differ)."""
    return ndimage.binary_erosion(mask, iterations=1)


def check_surfaces(rgb: np.ndarray, ids: np.ndarray, reflectivity: np.ndarray) -> None:
    """On each car, its glass (the ray caster's glass reflectivity) is much darker than its white paint."""
    glass_value = np.float32(SURFACES["car_glass"].reflectivity)
    for iid in (1, 2):
        glass = interior((ids == iid) & (reflectivity == glass_value))
        paint = interior((ids == iid) & (reflectivity == np.float32(PAINT.reflectivity)))
        assert glass.sum() > 20 and paint.sum() > 50, (iid, glass.sum(), paint.sum())
        luma = rgb.astype(np.float64).mean(axis=2)
        assert np.median(luma[paint]) > np.median(luma[glass]) + 60, iid


@pytest.fixture(scope="module")
def pyrender_result(scene):
    from renderers.pyrender import create_backend

    with create_backend(frozenset({Pass.RGB, Pass.INSTANCE, Pass.AMODAL})) as backend:
        return backend.render(scene, 0.0)


@pytest.mark.gl
def test_pyrender_labels_are_the_ray_cast_ones_and_glass_is_dark(scene, pyrender_result):
    ids, reflectivity = cast_reflectivity(scene)
    # LiDAR reflectivity per part: glass, tyres and plates on the cars, the paint elsewhere on them
    for iid in (1, 2):
        values = set(np.unique(reflectivity[ids == iid]).tolist())
        assert {np.float32(SURFACES[s].reflectivity).item() for s in ("car_glass", "tyre")} <= values
        assert np.float32(PAINT.reflectivity).item() in values
    assert agreement(pyrender_result.instance, ids) > 0.998
    check_surfaces(pyrender_result.rgb, ids, reflectivity)


@pytest.mark.blender
def test_blender_instance_map_is_pyrenders_and_glass_is_dark(scene, pyrender_result):
    from renderers.blender import create_backend

    with create_backend(frozenset({Pass.RGB, Pass.INSTANCE, Pass.AMODAL}), samples=4) as backend:
        result = backend.render(scene, 0.0)
    ids, reflectivity = cast_reflectivity(scene)
    band = boundary_band(ids)
    assert agreement(result.instance, pyrender_result.instance) > 0.998
    for iid in (1, 2):  # the amodal masks: the whole car, its hidden part included
        same = result.amodal[iid] == pyrender_result.amodal[iid]
        assert same[~band].mean() > 0.995
        assert result.amodal[iid].sum() > (result.instance == iid).sum() or iid == 1
    check_surfaces(result.rgb, ids, reflectivity)

"""Articulated people in the Blender backend: each person is its posed parts (``assets.articulated``), drawn with
its instance id, posed per frame, keyed for motion blur and masked as one entity in the amodal pass.

One street-like scene, seen from the side by a camera that travels along +x with two of the people: a walker
(id 1, gait phase 0.3: legs apart; a red top, its material's colour, and blue trousers, their own), a person in
a coat over a skirt standing with hands on hips (id 2) and a cyclist (id 3: the rigid ``bicycle`` asset plus a
pedalling rider) riding past behind the walker, with a glow-only lamp on its object frame. The reference for
every label is the exact one: the posed meshes (``assets.articulated.posed_mesh``) ray cast at each pixel centre,
the rule both Cycles' label passes and pyrender's rasterization follow. 320x240, few samples.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy import ndimage

from assets.articulated import entity_parts, posed_mesh
from assets.procedural.street import bicycle_contacts
from renderers.base import Pass
from scenes import AssetRef, Camera, Entity, Environment, Light, Material, Scene, SensorRig, Trajectory
from scenes.camera_geometry import pixel_rays
from scenes.skeleton import Appearance, Body, Skeleton
from scenes.transforms import make_pose

pytestmark = [pytest.mark.blender, pytest.mark.filterwarnings("ignore:tostring:DeprecationWarning")]

WIDTH, HEIGHT, FOCAL = 320, 240, 300.0
K = np.array([[FOCAL, 0.0, (WIDTH - 1) / 2], [0.0, FOCAL, (HEIGHT - 1) / 2], [0.0, 0.0, 1.0]])
SIDE = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])  # OpenCV axes looking along +y, z up
SPEED = 1.4  # m/s: the walker's, the standing person's and the camera's, along +x
TIMES = (0.0, 0.2)  # frames 0 and 2 at 10 fps: the walker's gait advances by about a fifth of a stride
WALKER, STANDER, CYCLIST = 1, 2, 3
PEOPLE = (WALKER, STANDER, CYCLIST)
LAMP = (-0.8, -0.32, -0.2)  # the cyclist's lamp in its object frame: behind the saddle, on the camera's side


def along_x(start: tuple[float, float, float], speed: float) -> Trajectory:
    """From ``start`` (world metres) along +x at ``speed`` m/s, heading +x, for 1 s."""
    start = np.asarray(start, np.float64)
    return Trajectory(
        times=[0.0, 1.0], poses=[make_pose(np.eye(3), start), make_pose(np.eye(3), start + [speed, 0.0, 0.0])]
    )


def boxed(entity: Entity) -> Entity:
    """``entity`` (skeleton origin at its body frame's origin, trajectory the body frame's, ground at z = 0) with
    its box around its posed parts at t = 0 from the ground up, the object origin at the box's centre."""
    lo, hi = np.array(posed_mesh(entity, 0.0).bounds)  # the object frame is the body frame here
    lo[2] = 0.0
    origin = (lo + hi) / 2.0
    poses = [pose @ make_pose(np.eye(3), origin) for pose in entity.trajectory.poses]
    return replace(
        entity,
        size_m=tuple(float(v) for v in hi - lo),
        trajectory=Trajectory(times=list(entity.trajectory.times), poses=poses),
        skeleton=replace(entity.skeleton, origin_in_body=tuple(float(v) for v in origin)),
    )


def person(
    instance_id: int,
    x: float,
    y: float,
    skeleton: Skeleton,
    speed: float = SPEED,
    color: tuple[float, float, float] = (0.5, 0.5, 0.5),
) -> Entity:
    """A pedestrian with ``skeleton`` whose top wears ``color`` (its material's), standing on (x, y, 0) at t = 0."""
    height = skeleton.body.height_m
    params = {"height": height, "shoulder_width": 0.26 * height, "torso_depth": 0.22}
    entity = Entity(
        f"person{instance_id}",
        instance_id,
        "pedestrian",
        AssetRef("procedural", "pedestrian", params),
        (1.0, 1.0, 1.0),
        along_x((x, y, 0.0), speed),
        Material(base_color=color, roughness=0.7),
        skeleton=replace(skeleton, origin_in_body=(0.0, 0.0, 0.0)),
    )
    return boxed(entity)


def cyclist(instance_id: int, x: float, y: float, speed: float) -> Entity:
    """A rider on the ``bicycle`` asset (the rigid bicycle and the articulated rider), the bicycle's ground frame
    at (x, y, 0) at t = 0."""
    params = {"wheel_radius": 0.35, "wheelbase": 1.05, "rider_height": 1.75}
    skeleton = Skeleton(Body(1.75), activity="cycle", bicycle=bicycle_contacts(**params), origin_in_body=(0, 0, 0))
    entity = Entity(
        f"cyclist{instance_id}",
        instance_id,
        "cyclist",
        AssetRef("procedural", "bicycle", params),
        (1.0, 1.0, 1.0),
        along_x((x, y, 0.0), speed),
        Material(base_color=(0.1, 0.6, 0.1)),
        skeleton=skeleton,
    )
    return boxed(entity)


def people_scene(lamp: bool = True) -> Scene:
    walker = person(
        WALKER,
        0.0,
        0.0,
        Skeleton(appearance=Appearance(bottom_color=(0.08, 0.1, 0.7)), activity="walk", phase=0.3),
        color=(0.7, 0.08, 0.08),
    )
    stander = person(
        STANDER,
        1.7,
        0.3,
        Skeleton(Body(1.65), Appearance(top="coat", bottom="skirt", hair="long"), stance="hands_on_hips"),
    )
    rider = cyclist(CYCLIST, 0.1, 1.5, 3.0)  # 1.6 m/s faster than the camera, 1.5 m behind the walker
    ground = Entity(
        "ground",
        0,
        "road",
        AssetRef("procedural", "box", {"length": 60.0, "width": 30.0, "height": 0.1}),
        (60.0, 30.0, 0.1),
        Trajectory.static(make_pose(np.eye(3), (0.0, 0.0, -0.05))),
        Material(base_color=(0.3, 0.3, 0.3)),
    )
    lights = [Light("sun", "directional", intensity=3.0, direction=(0.3, 0.4, -0.85))]
    if lamp:  # a lamp that only glows (intensity 0), facing the camera
        lights.append(Light("lamp", "point", (1.0, 1.0, 1.0), 0.0, (0.0, -1.0, 0.0), LAMP, parent=rider.name,
                            emitter_radius_m=0.05))  # fmt: skip
    camera = Camera("cam", WIDTH, HEIGHT, K, make_pose(SIDE, (0.0, -4.0, 1.0)), zfar=100.0)
    rig = SensorRig(along_x((0.0, 0.0, 0.0), SPEED), [camera])
    environment = Environment(ambient=(0.3, 0.3, 0.3), background=(0.55, 0.7, 0.9))
    return Scene("people", 0, {"root_seed": 0}, 10.0, 3, [ground, walker, stander, rider], lights, environment, rig)


def ray_cast_ids(scene: Scene, t: float, only: int | None = None) -> np.ndarray:
    """(H, W) uint16: the instance id of the first surface of the posed meshes (every entity, or entity ``only``
    alone) that each pixel centre's ray meets at ``t`` seconds (Embree, float32), 0 where none."""
    from embreex import rtcore_scene
    from embreex.mesh_construction import TriangleMesh

    entities = [e for e in scene.entities if only is None or e.instance_id == only]
    meshes = [posed_mesh(e, t, "world") for e in entities]
    vertices = np.concatenate([m.vertices for m in meshes])
    offsets = np.cumsum([0] + [len(m.vertices) for m in meshes[:-1]])
    faces = np.concatenate([m.faces + offset for m, offset in zip(meshes, offsets, strict=True)])
    ids = [np.full(len(m.faces), e.instance_id, np.uint16) for e, m in zip(entities, meshes, strict=True)]
    face_ids = np.concatenate(ids)
    embree = rtcore_scene.EmbreeScene()
    TriangleMesh(embree, np.ascontiguousarray(vertices, np.float32), np.ascontiguousarray(faces, np.int32))
    cam = scene.rig.cameras[0]
    world_from_camera = scene.rig.world_from_sensor(cam, t)
    directions = pixel_rays(cam.K, cam.width, cam.height).reshape(-1, 3) @ world_from_camera[:3, :3].T
    origins = np.broadcast_to(world_from_camera[:3, 3], directions.shape)
    hit = embree.run(np.ascontiguousarray(origins, np.float32), np.ascontiguousarray(directions, np.float32), output=1)
    prim = hit["primID"]
    return np.where(prim >= 0, face_ids[np.maximum(prim, 0)], 0).astype(np.uint16).reshape(cam.height, cam.width)


def boundary_band(ids: np.ndarray) -> np.ndarray:
    """Pixels whose 3x3 neighbourhood in ``ids`` holds more than one value: where two renderers' pixel-centre
    rules may differ on an edge through the pixel centre (the band of tests/test_blender_backend.py)."""
    ids = ids.astype(np.int32)
    return ndimage.maximum_filter(ids, size=3) != ndimage.minimum_filter(ids, size=3)


def agreement(ours: np.ndarray, reference: np.ndarray, instance_id: int) -> tuple[float, int]:
    """(share, pixels) over the pixels that show ``instance_id`` in either map, outside the reference's
    boundary band: the share where both maps show it."""
    union = ((ours == instance_id) | (reference == instance_id)) & ~boundary_band(reference)
    both = (ours == instance_id) & (reference == instance_id) & union
    return float(both.sum() / max(int(union.sum()), 1)), int(union.sum())


@pytest.fixture(scope="module")
def scene() -> Scene:
    return people_scene()


@pytest.fixture(scope="module")
def backend():
    from renderers.blender import create_backend

    with create_backend(frozenset({Pass.RGB, Pass.INSTANCE, Pass.AMODAL}), samples=4) as b:
        yield b


@pytest.fixture(scope="module")
def renders(backend, scene):
    """Blender's renders of ``scene`` at TIMES (rgb, instance, amodal)."""
    results = {t: backend.render(scene, t) for t in TIMES}
    assert backend.compile_count == 1  # one build; the second frame only re-poses the parts
    return results


def test_a_person_is_its_parts_and_a_rigid_entity_one() -> None:
    scene = people_scene()
    assert len(entity_parts(scene.entities[0])) == 1
    walker, stander, rider = scene.entities[1:]
    assert len(entity_parts(walker)) > 10 and len(entity_parts(stander)) > len(entity_parts(walker))  # coat, skirt
    assert entity_parts(rider)[0].joint is None  # the bicycle, fixed in the object frame


@pytest.mark.parametrize("t", TIMES)
def test_each_persons_instance_pixels_are_those_of_its_posed_mesh(scene, renders, t) -> None:
    ours, reference = renders[t].instance, ray_cast_ids(scene, t)
    for instance_id in PEOPLE:
        share, pixels = agreement(ours, reference, instance_id)
        assert pixels > 300 and share >= 0.99, (instance_id, share, pixels)
    assert (ours == reference).mean() >= 0.995  # the whole map, boundaries included


def test_the_amodal_mask_of_a_partly_hidden_cyclist_is_all_its_parts(scene, renders) -> None:
    result = renders[0.0]
    hidden = result.amodal[CYCLIST] & (result.instance == WALKER)
    assert hidden.sum() > 100  # the walker stands in front of the bicycle's front wheel
    for instance_id in PEOPLE:
        share, pixels = agreement(result.amodal[instance_id], ray_cast_ids(scene, 0.0, instance_id) > 0, True)
        assert pixels > 300 and share >= 0.99, (instance_id, share, pixels)
        assert not (result.amodal[instance_id] < (result.instance == instance_id)).any()  # visible within amodal


def test_the_amodal_mask_holds_limbs_that_swing_out_of_the_labelled_box(backend, scene) -> None:
    # the amodal render is bordered to the box's pixels: an articulated entity's box is that of its posed parts
    walker = scene.entities[WALKER]
    narrow = replace(walker, size_m=(0.2, 0.3, walker.size_m[2]))  # the torso's depth: the stride sticks out
    alone = replace(scene, entities=[narrow], lights=scene.lights[:1], scene_id="narrow")
    result = backend.render(alone, 0.0)
    reference = ray_cast_ids(alone, 0.0) > 0
    share, pixels = agreement(result.amodal[WALKER], reference, True)
    assert pixels > 300 and share >= 0.99, (share, pixels)


def test_a_walkers_limbs_move_between_frames_and_a_standing_person_keeps_its_pixels(renders) -> None:
    # The camera travels with both people, so their object frames keep their place in the image: only limbs move.
    first, second = (renders[t].instance for t in TIMES)
    walker = [mask == WALKER for mask in (first, second)]
    changed = walker[0] ^ walker[1]
    assert changed.sum() >= 0.15 * (walker[0] | walker[1]).sum()
    rows = np.flatnonzero(walker[0].any(axis=1))
    legs = rows[0] + (rows[-1] - rows[0]) // 2  # the lower half of the figure
    assert changed[legs:].sum() > changed[:legs].sum()  # legs swing more than arms
    stander = [mask == STANDER for mask in (first, second)]
    assert (stander[0] ^ stander[1]).sum() <= 0.005 * stander[0].sum()


def test_parts_draw_in_their_own_colours_and_the_others_in_the_entitys(renders) -> None:
    result = renders[0.0]
    walker = ndimage.binary_erosion(result.instance == WALKER)
    rows = np.flatnonzero(walker.any(axis=1))
    mid = rows[0] + (rows[-1] - rows[0]) // 2
    rgb, row = result.rgb.astype(int), np.arange(HEIGHT)[:, None]
    top, bottom = (np.median(rgb[walker & band], axis=0) for band in (row < mid - 10, row > mid + 10))
    assert top[0] > top[2] + 40 and bottom[2] > bottom[0] + 40, (top, bottom)  # red material top, blue trousers
    wheels = ndimage.binary_erosion(result.instance == CYCLIST) & (row > 150)
    green = np.median(rgb[wheels], axis=0)
    assert green[1] > green[0] + 20 and green[1] > green[2] + 20, green  # the bicycle: the material's green


def test_a_lamp_on_a_cyclist_follows_its_object_frame(scene, renders) -> None:
    lamp = next(light for light in scene.lights if light.name == "lamp")
    pixels = []
    for t in TIMES:
        position, _ = scene.light_in_world(lamp, t)
        cam = scene.rig.cameras[0]
        local = np.linalg.inv(scene.rig.world_from_sensor(cam, t)) @ np.append(position, 1.0)
        u, v, w = cam.K @ local[:3]
        row, column = int(round(v / w)), int(round(u / w))
        assert renders[t].rgb[row - 1 : row + 2, column - 1 : column + 2].min(axis=-1).max() >= 240, t
        pixels.append(column)
    # the cyclist gains (3.0 - SPEED) m/s on the camera; the lamp is 4.0 + 1.5 + LAMP[1] m in front of it
    assert pixels[1] - pixels[0] == pytest.approx(FOCAL * (3.0 - SPEED) * 0.2 / (5.5 + LAMP[1]), abs=1.0)


def test_motion_blur_keys_every_part_and_leaves_labels_sharp(scene, renders) -> None:
    from renderers.blender import create_backend

    passes = frozenset({Pass.RGB, Pass.INSTANCE})
    with create_backend(passes, samples=16, motion_blur=True, shutter=1.0) as backend:
        blurred = backend.render(scene, 0.0)
    with create_backend(passes, samples=16) as backend:
        sharp = backend.render(scene, 0.0)
    # the label render sits at the keyed poses of t: the same parts where the unblurred render has them
    np.testing.assert_array_equal(blurred.instance, sharp.instance)
    difference = np.abs(blurred.rgb.astype(int) - sharp.rgb.astype(int)).max(axis=-1)

    def around(instance_id: int) -> np.ndarray:
        return ndimage.binary_dilation(sharp.instance == instance_id, iterations=3)

    # the standing person moves with the camera and does not move its limbs: unchanged (the same seed, noise
    # aside); the walker's limbs swing within the shutter and the cyclist gains on the camera: smeared
    still, walking, riding = (np.mean(difference[around(i)] > 40) for i in (STANDER, WALKER, CYCLIST))
    assert still < 0.02 and walking > 0.1 and riding > 0.07, (still, walking, riding)


def test_a_generated_streets_people_are_their_posed_meshes(backend) -> None:
    from generator.config import compose_config
    from generator.world.sampling import sample_scene

    config = compose_config(["camera.width=320", "camera.height=240", "seed=2", "scene.sequence.num_frames=3"])
    street = sample_scene(config, 0)
    t = street.frame_time(1)
    ours, reference = backend.render(street, t).instance, ray_cast_ids(street, t)
    people = [e.instance_id for e in street.entities if e.skeleton is not None]
    seen = [i for i in people if agreement(ours, reference, i)[1] >= 100]
    assert len(seen) >= 2  # two pedestrians of this scene cover 100 pixels or more
    for instance_id in seen:
        assert agreement(ours, reference, instance_id)[0] >= 0.99, instance_id
    assert (ours == reference).mean() >= 0.995


@pytest.mark.gl
def test_blender_and_pyrender_agree_on_each_persons_instance_map(scene, renders) -> None:
    # the measure: per person, outside the boundary band of pyrender's map (as in test_blender_backend's
    # agreement test), the pixels both maps give the person over those either map gives it: >= 99 %
    from renderers.pyrender import create_backend

    with create_backend(frozenset({Pass.INSTANCE, Pass.AMODAL})) as gl:
        references = {t: gl.render(scene, t) for t in TIMES}
    for t, reference in references.items():
        ours = renders[t]
        for instance_id in PEOPLE:
            share, pixels = agreement(ours.instance, reference.instance, instance_id)
            assert pixels > 300 and share >= 0.99, (t, instance_id, share, pixels)
            share, pixels = agreement(ours.amodal[instance_id], reference.amodal[instance_id], True)
            assert pixels > 300 and share >= 0.99, (t, instance_id, share, pixels)
        assert (ours.instance == reference.instance).mean() >= 0.995

"""Articulated entities (people, a cyclist) in the pyrender backend and the Embree ray caster: drawn and
cast as their posed parts (``assets.articulated``), with the entity's ids on every part.

pyrender: instance masks against an independent ray cast of ``posed_mesh`` at pixel centres, part colours
in RGB, amodal masks of a hidden person, culling by the posed parts, shared part meshes, rigid scenes
exactly as a hand-built pyrender scene draws them. Ray caster: LiDAR points on a walking person and a
cyclist lie on their posed meshes at each point's own firing time, a static person's on its t = 0 pose,
and the sampled part tracks stay within their error bound.

World frame z up; the camera looks along +y from y = -CAM_DIST (OpenCV: x right = world +x, y down =
world -z, z forward = world +y).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import trimesh
from embreex import rtcore_scene
from embreex.mesh_construction import TriangleMesh
from scipy.spatial import cKDTree

from assets import entity_mesh
from assets.articulated import entity_parts, part_poses, posed_mesh
from assets.procedural.street import bicycle_contacts
from renderers.base import Pass
from renderers.raycast import cast_lidar, detect_radar, world_for
from renderers.raycast.motion import poses_at
from renderers.raycast.parts import moving_pieces, sample_times
from scenes import AssetRef, Camera, Entity, Environment, Lidar, Light, Material, Radar, Scene, SensorRig, Trajectory
from scenes.pose import stride_length
from scenes.skeleton import JOINTS, Appearance, Body, Skeleton
from scenes.taxonomy import semantic_id
from scenes.transforms import light_pose, make_pose, opengl_from_opencv_pose, rotation_z, transform_points

WIDTH, HEIGHT = 200, 150
K = np.array([[190.0, 0.0, 99.5], [0.0, 190.0, 74.5], [0.0, 0.0, 1.0]])
CAM_DIST, CAM_Z = 5.0, 0.9
CAM_R = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])  # world_from_camera rotation
FPS, FRAMES = 10.0, 10
gl = pytest.mark.gl
pytestmark = pytest.mark.filterwarnings("ignore:tostring:DeprecationWarning")


def person(
    iid: int,
    start: tuple[float, float],
    heading: float = 0.0,
    speed: float = 1.4,
    *,
    height: float = 1.75,
    appearance: Appearance | None = None,
    stance: str = "relaxed",
    color: tuple[float, float, float] = (0.5, 0.5, 0.5),
    size_m: tuple[float, float, float] | None = None,
) -> Entity:
    """A person walking from ``start`` (x, y metres, on the ground) along ``heading`` (rad) at ``speed``
    m/s for 2 s (speed 0: standing, one keyframe); object origin at the box centre, height / 2 up."""
    skeleton = Skeleton(
        body=Body(height_m=height),
        appearance=appearance or Appearance(),
        activity="walk",
        stance=stance,
        origin_in_body=(0.0, 0.0, height / 2),
    )
    rotation = rotation_z(heading)
    times = [0.0, 2.0] if speed else [0.0]
    poses = [make_pose(rotation, (*(np.asarray(start) + rotation[:2, 0] * speed * t), height / 2)) for t in times]
    params = {"height": height, "shoulder_width": 0.45, "torso_depth": 0.22}
    return Entity(
        f"person{iid}",
        iid,
        "pedestrian",
        AssetRef("procedural", "pedestrian", params),
        size_m or (0.8, 0.6, height),
        Trajectory(times, poses),
        Material(base_color=color, reflectivity=0.4),
        skeleton=skeleton,
    )


def cyclist(iid: int, start: tuple[float, float], speed: float = 4.0) -> Entity:
    """A rider pedalling a bicycle along +x; the body frame is the bicycle's ground frame, the object
    origin 0.8 m above its ground point (the box is not used here)."""
    params = {"wheel_radius": 0.35, "wheelbase": 1.05, "rider_height": 1.75}
    contacts = bicycle_contacts(**params)
    skeleton = Skeleton(body=Body(height_m=1.75), activity="cycle", bicycle=contacts, origin_in_body=(0.0, 0.0, 0.8))
    poses = [make_pose(np.eye(3), (start[0] + speed * t, start[1], 0.8)) for t in (0.0, 2.0)]
    return Entity(
        f"cyclist{iid}",
        iid,
        "cyclist",
        AssetRef("procedural", "bicycle", params),
        (1.8, 0.6, 1.6),
        Trajectory([0.0, 2.0], poses),
        Material(base_color=(0.1, 0.3, 0.8), reflectivity=0.6),
        skeleton=skeleton,
    )


def box(iid: int, size: tuple[float, float, float], centre: tuple[float, float, float], **kw) -> Entity:
    params = {"length": size[0], "width": size[1], "height": size[2]}
    trajectory = kw.pop("trajectory", None) or Trajectory.static(make_pose(np.eye(3), centre))
    return Entity(f"box{iid}", iid, "box", AssetRef("procedural", "box", params), size, trajectory, Material(**kw))


def camera_scene(entities: list[Entity], *, background=(0.0, 0.0, 0.0), lights: list[Light] | None = None) -> Scene:
    camera = Camera("cam", WIDTH, HEIGHT, K, make_pose(CAM_R, (0.0, -CAM_DIST, CAM_Z)))
    rig = SensorRig(Trajectory.static(np.eye(4)), [camera])
    lights = [Light("sun", "directional", direction=(0.3, 0.8, -1.0))] if lights is None else lights
    env = Environment(ambient=(0.35, 0.35, 0.35), background=background)
    return Scene("articulated", 0, {}, FPS, FRAMES, entities, lights, env, rig)


def raycast_mask(mesh: trimesh.Trimesh, camera: Camera) -> np.ndarray:
    """(H, W) bool: pixel centres whose camera ray meets ``mesh`` (world frame), by Embree ray casting:
    an independent reference for the rasterized masks."""
    embree = rtcore_scene.EmbreeScene()
    TriangleMesh(embree, mesh.vertices.astype(np.float32), mesh.faces.astype(np.int32))
    jj, ii = np.meshgrid(np.arange(camera.width), np.arange(camera.height))
    pixels = np.stack([jj.ravel(), ii.ravel(), np.ones(jj.size)], axis=1)
    world_from_camera = camera.ego_from_sensor
    directions = (pixels @ np.linalg.inv(camera.K).T) @ world_from_camera[:3, :3].T
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    origins = np.broadcast_to(world_from_camera[:3, 3], directions.shape)
    hit = embree.run(origins.astype(np.float32), directions.astype(np.float32))
    return (np.asarray(hit) >= 0).reshape(camera.height, camera.width)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


@pytest.fixture(scope="module")
def backend():
    from renderers.pyrender import create_backend

    with create_backend(frozenset({Pass.RGB, Pass.DEPTH, Pass.INSTANCE, Pass.AMODAL})) as b:
        yield b


# --- pyrender -------------------------------------------------------------------------------------------
@gl
def test_walking_person_mask_is_its_posed_mesh_at_each_time(backend) -> None:
    walker = person(7, (-0.6, 0.0))
    scene = camera_scene([walker])
    cycle_s = stride_length(walker.skeleton, 1.4) / 1.4
    # left heel strike (feet apart) and a quarter cycle later (the swing foot passing the stance foot)
    masks, widths = [], []
    for t in (0.0, 0.25 * cycle_s):
        instance = backend.render(scene, t).instance
        mask = instance == 7
        assert set(np.unique(instance)) == {0, 7}
        reference = raycast_mask(posed_mesh(walker, t, "world"), scene.rig.cameras[0])
        assert iou(mask, reference) >= 0.99
        rows = np.flatnonzero(mask.any(axis=1))
        feet = mask[rows[-1] - len(rows) // 8 : rows[-1] + 1]  # the lowest eighth of the figure
        columns = np.flatnonzero(feet.any(axis=0))
        masks.append((mask, reference))
        widths.append(columns[-1] - columns[0] + 1)
    # the legs moved: the feet's spread shrinks by a third, and each frame's mask is not the other's pose
    assert widths[1] < 0.7 * widths[0]
    assert iou(masks[0][0], masks[1][1]) < 0.9 and iou(masks[1][0], masks[0][1]) < 0.9


@gl
def test_parts_with_their_own_colours_appear_in_rgb(backend) -> None:
    # the trousers have a colour of their own; the top wears the entity's material colour (no own colour)
    clothes = Appearance(bottom_color=(0.03, 0.8, 0.03), shoe_color=(0.2, 0.2, 0.2), hair_color=(0.2, 0.2, 0.2))
    walker = person(3, (0.0, 0.0), speed=0.0, appearance=clothes, color=(0.9, 0.03, 0.03))
    parts = entity_parts(walker)
    assert any(p.color is None for p in parts) and any(p.color == (0.03, 0.8, 0.03) for p in parts)
    result = backend.render(camera_scene([walker]), 0.0)
    r, g, b = (result.rgb[..., c].astype(int) for c in range(3))
    inside = result.instance == 3
    red = inside & (r > 2 * g) & (r > 2 * b)
    green = inside & (g > 2 * r) & (g > 2 * b)
    blue = (b > r + 20) & (b > g + 20)
    # the top and the trousers, in their colours (the person covers ~450 pixels)
    assert red.sum() > 0.15 * inside.sum() and green.sum() > 0.3 * inside.sum()
    assert not blue.any()
    # the top is above the trousers in the image
    assert np.flatnonzero(red.any(axis=1)).mean() < np.flatnonzero(green.any(axis=1)).mean()


@gl
@pytest.mark.parametrize("method", ["union", "per_object"])
def test_amodal_of_a_partly_hidden_person_is_its_silhouette_alone(method: str) -> None:
    from renderers.pyrender import create_backend

    walker = person(5, (-0.4, 0.0))
    # a wall between the camera and the person's legs, and another labelled object beside it
    wall = box(9, (3.0, 0.1, 0.8), (0.0, -1.5, 0.4), base_color=(0.6, 0.6, 0.6))
    crate = box(11, (0.5, 0.5, 0.5), (1.4, 0.5, 0.25))
    t = 0.4
    with create_backend(frozenset({Pass.INSTANCE, Pass.AMODAL}), amodal_method=method) as b:
        hidden = b.render(camera_scene([wall, walker, crate]), t)
        alone = b.render(camera_scene([walker]), t)
    silhouette = alone.instance == 5
    visible = hidden.instance == 5
    assert visible.sum() < 0.75 * silhouette.sum()  # the wall hides the legs
    np.testing.assert_array_equal(hidden.amodal[5], silhouette)
    np.testing.assert_array_equal(alone.amodal[5], silhouette)
    assert iou(silhouette, raycast_mask(posed_mesh(walker, t, "world"), camera_scene([]).rig.cameras[0])) >= 0.99
    assert (hidden.amodal[5] & (hidden.instance == 9)).any()  # it is hidden where the wall is


@gl
def test_culling_keeps_a_person_whose_limbs_reach_past_its_box(backend) -> None:
    # a box of 2 cm about the object origin, left of the image's left edge; the body reaches into the image
    x_edge = -(K[0, 2] + 0.5) / K[0, 0] * CAM_DIST  # the left frustum plane at the person's depth (y = 0)
    walker = person(4, (x_edge - 0.08, 0.0), speed=0.0, stance="hands_on_hips", size_m=(0.02, 0.02, 0.02))
    result = backend.render(camera_scene([walker]), 0.0)
    assert (result.instance == 4).any()
    np.testing.assert_array_equal(result.amodal[4], result.instance == 4)


def test_identical_parts_share_meshes_and_rigid_entities_are_one_node() -> None:
    from renderers.pyrender.compile import compile_scene

    first, twin = person(1, (-1.0, 0.0)), person(2, (1.0, 0.0))
    recoloured = person(3, (0.0, 1.0), color=(0.9, 0.1, 0.1))  # the top wears the entity's colour
    boxes = [box(4, (1, 1, 1), (0, 3, 0.5)), box(5, (1, 1, 1), (2, 3, 0.5))]
    compiled = compile_scene(camera_scene([first, twin, recoloured, *boxes]))
    nodes = {entry.entity.name: entry.nodes for entry in compiled.entity_nodes}
    parts = entity_parts(first)
    assert len(nodes["person1"]) == len(nodes["person2"]) == len(parts) > 10
    assert [n.mesh for n in nodes["person1"]] == [n.mesh for n in nodes["person2"]]
    # the new top colour: only the parts in the entity's colour (the top's) get meshes of their own
    top = [k for k, p in enumerate(parts) if p.color is None]
    own = [k for k, (a, b) in enumerate(zip(nodes["person1"], nodes["person3"], strict=True)) if a.mesh is not b.mesh]
    assert own == top and top
    assert len(nodes["box4"]) == len(nodes["box5"]) == 1 and nodes["box4"][0].mesh is nodes["box5"][0].mesh
    # every part node draws in its entity's instance colour in the label passes
    for entry in compiled.entity_nodes:
        colours = {compiled.instance_colors[n] for n in entry.nodes}
        assert colours == {(entry.entity.instance_id & 0xFF, entry.entity.instance_id >> 8, 0)}


@gl
def test_static_person_keeps_its_pose_and_a_walking_one_follows_part_poses(backend) -> None:
    standing, walker = person(1, (-1.2, 0.0), speed=0.0, stance="phone"), person(2, (0.2, 0.0))
    scene = camera_scene([standing, walker])
    first = backend.render(scene, 0.0).instance
    later = backend.render(scene, 0.7).instance
    np.testing.assert_array_equal(first == 1, later == 1)
    assert not np.array_equal(first == 2, later == 2)
    entries = {e.entity.name: e for e in backend._compiled.entity_nodes}
    for node, pose in zip(entries["person2"].nodes, part_poses(walker, 0.7), strict=True):
        np.testing.assert_allclose(backend.pyrender_scene.get_pose(node), pose, atol=1e-12)


@gl
def test_rigid_scene_renders_exactly_as_a_hand_built_pyrender_scene(backend) -> None:
    from renderers.pyrender._gl import pyrender
    from renderers.pyrender.geometry import decode_instance, gl_intrinsics, instance_color
    from renderers.pyrender.offscreen import OffscreenRenderer

    moving = Trajectory(
        [0.0, 1.0], [make_pose(rotation_z(0.3), (0.8, 1.0, 0.5)), make_pose(np.eye(3), (1.6, 1.0, 0.5))]
    )
    entities = [
        box(1, (1.0, 0.6, 1.0), (-1.0, 0.5, 0.5), base_color=(0.8, 0.2, 0.2), roughness=0.4),
        box(2, (1.0, 0.6, 1.0), (0.0, 2.0, 0.5), base_color=(0.8, 0.2, 0.2), roughness=0.4),
        box(3, (0.7, 0.7, 0.7), (0, 0, 0), base_color=(0.1, 0.6, 0.3), metallic=0.3, trajectory=moving),
        box(0, (8.0, 8.0, 0.02), (0.0, 2.0, -0.01), base_color=(0.4, 0.4, 0.4)),
    ]
    lights = [Light("sun", "directional", direction=(0.3, 0.8, -1.0)), Light("lamp", "point", position=(1, -2, 2))]
    scene = camera_scene(entities, background=(0.2, 0.4, 0.7), lights=lights)
    t = 0.35
    result = backend.render(scene, t)
    assert all(len(entry.nodes) == 1 for entry in backend._compiled.entity_nodes)

    # the same world built by hand with pyrender: one mesh node per entity, nothing shared by the backend
    env = scene.environment
    world = pyrender.Scene(bg_color=(*(c ** (1 / 2.2) for c in env.background), 1.0), ambient_light=env.ambient)
    colors = {}
    for entity in entities:
        m = entity.material
        material = pyrender.MetallicRoughnessMaterial(
            baseColorFactor=(*m.base_color, 1.0), roughnessFactor=m.roughness, metallicFactor=m.metallic
        )
        mesh = pyrender.Mesh.from_trimesh(entity_mesh(entity), material=material, smooth=False)
        node = world.add(mesh, pose=entity.trajectory.pose_at(t))
        colors[node] = instance_color(entity.instance_id)
    sun, lamp = lights
    world.add(pyrender.DirectionalLight(color=sun.color, intensity=sun.intensity), pose=light_pose(sun.direction))
    world.add(pyrender.PointLight(color=lamp.color, intensity=lamp.intensity), pose=make_pose(np.eye(3), lamp.position))
    camera = scene.rig.cameras[0]
    intrinsics = pyrender.IntrinsicsCamera(*gl_intrinsics(K), znear=camera.znear, zfar=camera.zfar)
    world.add(intrinsics, pose=opengl_from_opencv_pose(camera.ego_from_sensor))
    renderer = OffscreenRenderer(WIDTH, HEIGHT)
    try:
        rgb, _ = renderer.render(world)
        seg, depth = renderer.render_segmentation(world, colors)
    finally:
        renderer.delete()
    np.testing.assert_array_equal(result.rgb, rgb)
    np.testing.assert_array_equal(result.depth, depth.astype(np.float32))
    np.testing.assert_array_equal(result.instance, decode_instance(seg))
    assert set(np.unique(result.instance)) == {0, 1, 2, 3}


@gl
@pytest.mark.parametrize("first", [0, 1])
def test_coincident_parts_draw_in_insertion_order(first: int) -> None:
    """Two coincident quads at the same node origin (the tie of two body parts meeting at a joint): the
    one added first wins every pixel, whatever order pyrender's node set would have given."""
    from renderers.pyrender._gl import pyrender
    from renderers.pyrender.compile import ordered_world
    from renderers.pyrender.geometry import gl_intrinsics
    from renderers.pyrender.offscreen import OffscreenRenderer

    colours = [(1.0, 0.0, 0.0), (0.0, 0.0, 1.0)]
    world = ordered_world(bg_color=(0.0, 0.0, 0.0, 1.0), ambient_light=(1.0, 1.0, 1.0))
    quad = trimesh.Trimesh([[-1, -1, 0], [1, -1, 0], [1, 1, 0], [-1, 1, 0]], [[0, 1, 2], [0, 2, 3]])
    pose = make_pose(np.eye(3), (0.0, 0.0, -3.0))  # in front of the OpenGL camera (looking along -z)
    nodes = []
    for k in (first, 1 - first):
        material = pyrender.MetallicRoughnessMaterial(baseColorFactor=(*colours[k], 1.0), metallicFactor=0.0)
        nodes.append(world.add(pyrender.Mesh.from_trimesh(quad, material=material, smooth=False), pose=pose))
    assert list(world.mesh_nodes) == nodes
    world.add(pyrender.IntrinsicsCamera(*gl_intrinsics(K), znear=0.1, zfar=10.0), pose=np.eye(4))
    renderer = OffscreenRenderer(WIDTH, HEIGHT)
    try:
        rgb, _ = renderer.render(world, pyrender.RenderFlags.FLAT)
    finally:
        renderer.delete()
    centre = rgb[HEIGHT // 2 - 10 : HEIGHT // 2 + 10, WIDTH // 2 - 10 : WIDTH // 2 + 10].reshape(-1, 3)
    winner = 0 if first == 0 else 2  # red channel when red came first, blue otherwise
    assert (centre[:, winner] > 200).all() and (centre[:, 2 - winner] < 50).all()


# --- ray casting -----------------------------------------------------------------------------------------
def lidar_scene(entities: list[Entity]) -> tuple[Scene, Lidar]:
    lidar = Lidar(
        name="lidar",
        elevations=np.radians(np.linspace(-20.0, 10.0, 48)),
        azimuth_steps=1800,
        ego_from_sensor=make_pose(np.eye(3), (0.0, 0.0, 1.2)),
    )
    rig = SensorRig(Trajectory.static(make_pose(np.eye(3), (0.0, -4.0, 0.0))), lidars=[lidar])
    return Scene("lidar_people", 0, {"root_seed": 0}, FPS, FRAMES, entities, [], Environment(), rig), lidar


def world_points(scene: Scene, lidar: Lidar, t0: float, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World positions of the points (sensor pose at each firing time) and those times (s)."""
    times = t0 + points["time"].astype(np.float64)
    xyz = np.stack([points["x"], points["y"], points["z"]], axis=1).astype(np.float64)
    world = np.empty_like(xyz)
    for t in np.unique(times):
        rows = times == t
        world[rows] = transform_points(scene.rig.world_from_sensor(lidar, t), xyz[rows])
    return world, times


def surface_distance(mesh: trimesh.Trimesh, points: np.ndarray, within: float = 0.05) -> np.ndarray:
    """(n,) distance of each point to the mesh surface, exact below ``within`` metres (inf beyond when no
    triangle is that near): trimesh's closest point on the triangles whose centroid a k-d tree finds
    within reach."""
    triangles = mesh.triangles
    centroids = triangles.mean(axis=1)
    reach = float(np.linalg.norm(triangles - centroids[:, None], axis=2).max())
    candidates = cKDTree(centroids).query_ball_point(points, reach + within)
    rows = np.repeat(np.arange(len(points)), [len(c) for c in candidates])
    best = np.full(len(points), np.inf)
    if len(rows):
        faces = np.concatenate([np.asarray(c, dtype=int) for c in candidates])
        closest = trimesh.triangles.closest_point(triangles[faces], points[rows])
        np.minimum.at(best, rows, np.linalg.norm(closest - points[rows], axis=1))
    return best


def distances_at(entity: Entity, world: np.ndarray, times: np.ndarray, shift: float = 0.0) -> np.ndarray:
    """Each point's distance to the entity's posed mesh at the point's own time + ``shift`` seconds."""
    out = np.empty(len(world))
    for t in np.unique(times):
        rows = times == t
        out[rows] = surface_distance(posed_mesh(entity, t + shift, "world"), world[rows])
    return out


def test_lidar_points_on_walking_people_lie_on_their_posed_meshes_at_their_own_times() -> None:
    walker, runner = person(6, (-1.5, 1.0), heading=0.2), person(8, (2.0, 3.0), heading=np.pi, speed=3.5)
    rider = cyclist(12, (-3.0, 5.0))
    scene, lidar = lidar_scene([walker, runner, rider, box(0, (30.0, 30.0, 0.1), (0.0, 0.0, -0.05))])
    t0 = 0.45  # a time between the 10 ms samples and between frames
    points = cast_lidar(scene, lidar, t0)
    world, times = world_points(scene, lidar, t0, points)
    for entity in (walker, runner, rider):
        rows = points["instance_id"] == entity.instance_id
        assert rows.sum() > 150
        assert np.all(points["semantic_id"][rows] == semantic_id(entity.category))
        on_pose = distances_at(entity, world[rows], times[rows])
        assert on_pose.max() < 0.01
        # the limbs move fast enough that the pose 50 ms off is a different surface
        assert distances_at(entity, world[rows], times[rows], shift=0.05).max() > 0.02
    # and every point on a posed person carries its id: the ground's points near the walker lie off its body
    ground = (points["instance_id"] == 0) & (
        np.linalg.norm(world[:, :2] - world[points["instance_id"] == 6, :2].mean(0), axis=1) < 1.5
    )
    assert ground.sum() > 50 and distances_at(walker, world[ground], times[ground]).min() > 1e-3


def test_static_person_points_lie_on_its_pose_at_time_zero() -> None:
    standing = person(5, (0.5, 0.0), speed=0.0, stance="arms_crossed")
    scene, lidar = lidar_scene([standing])
    points = cast_lidar(scene, lidar, 0.6)
    world, _ = world_points(scene, lidar, 0.6, points)
    assert len(points) > 300 and np.all(points["instance_id"] == 5)
    assert surface_distance(posed_mesh(standing, 0.0, "world"), world).max() < 1e-3
    # not the rigid stick figure the body replaces
    rigid = entity_mesh(standing).apply_transform(standing.trajectory.poses[0])
    assert surface_distance(rigid, world).max() > 0.05
    assert not world_for(scene).bodies and not world_for(scene).groups


@pytest.mark.parametrize("speed", [1.4, 3.5])
def test_sampled_part_tracks_are_exact_at_frames_and_close_between(speed: float) -> None:
    walker = person(1, (0.0, 0.0), heading=0.4, speed=speed)
    scene, _ = lidar_scene([walker])
    times = sample_times(scene, walker)
    assert np.all(np.diff(times) <= 0.01 + 1e-12) and times[0] == 0.0 and times[-1] >= 0.9 + 0.1
    frames = np.arange(FRAMES) / FPS
    assert np.isin(frames, times).all()
    piece, group = moving_pieces(walker, times)
    assert piece is None and len(group.meshes) == len(entity_parts(walker))  # every part moves in the body
    rng = np.random.default_rng(0)
    queries = np.concatenate([frames, rng.uniform(0.0, times[-1], 150)])
    rotations, translations = group.tracks.poses_at(queries)
    errors = np.zeros(len(queries))
    for q, t in enumerate(queries):
        for k, (mesh, exact) in enumerate(zip(group.meshes, part_poses(walker, float(t)), strict=True)):
            approx = mesh.vertices @ rotations[q, k].T + translations[q, k]
            errors[q] = max(errors[q], np.abs(approx - transform_points(exact, mesh.vertices)).max())
    assert errors[:FRAMES].max() < 1e-9  # exact at every frame time
    # between samples: within a few millimetres but where the pose itself jumps (the gait's stepped swing
    # clearance moves a foot by centimetres within a millisecond, at some 15 instants per gait cycle)
    assert np.median(errors) < 0.001 and np.quantile(errors, 0.95) < 0.005
    # the sphere about the entity holds every part at every time
    centres = poses_at(walker.trajectory, queries)[:, :3, 3]
    for k, mesh in enumerate(group.meshes):
        reach = np.linalg.norm(mesh.vertices, axis=1).max()
        assert np.all(np.linalg.norm(translations[:, k] - centres, axis=1) + reach <= group.radius + 1e-9)


def test_sample_refinement_pins_a_jump_of_the_pose(monkeypatch) -> None:
    import renderers.raycast.parts as parts_module

    walker = person(1, (0.0, 0.0), speed=1.4)
    scene, _ = lidar_scene([walker])
    jump_at, hand = 0.1234, 16  # the right hand jumps 5 cm sideways at jump_at and stays there
    assert entity_parts(walker)[hand].joint == JOINTS.index("right_wrist")
    exact = parts_module.part_poses

    def jumpy(entity: Entity, t: float) -> list[np.ndarray]:
        poses = exact(entity, t)
        if t >= jump_at:
            poses[hand] = poses[hand] @ make_pose(np.eye(3), (0.0, 0.05, 0.0))
        return poses

    monkeypatch.setattr(parts_module, "part_poses", jumpy)
    _, group = moving_pieces(walker, sample_times(scene, walker))
    times = group.tracks.times
    before, after = times[times < jump_at].max(), times[times >= jump_at].min()
    window = 2 * parts_module._MIN_SPLIT_S  # the samples about the jump: far closer than SAMPLE_DT_S
    assert after - before < window < parts_module.SAMPLE_DT_S / 4 and before < jump_at <= after
    # away from the jump the tracks follow the jumped hand as closely as the rest of the body
    rng = np.random.default_rng(1)
    queries = rng.uniform(0.05, 0.2, 200)
    queries = queries[np.abs(queries - jump_at) > window]
    rotations, translations = group.tracks.poses_at(queries)
    vertices = entity_parts(walker)[hand].mesh.vertices
    for q, t in enumerate(queries):
        approx = vertices @ rotations[q, hand].T + translations[q, hand]
        assert np.abs(approx - transform_points(jumpy(walker, float(t))[hand], vertices)).max() < 0.01


def test_cyclist_bicycle_moves_with_its_trajectory_and_the_rider_in_parts() -> None:
    rider = cyclist(3, (0.0, 0.0))
    scene, _ = lidar_scene([rider])
    world = world_for(scene)
    assert len(world.bodies) == 1 and len(world.groups) == 1
    # the bicycle and the rider's upper body move with the object frame, the legs pedal
    parts = entity_parts(rider)
    assert parts[0].joint is None
    legs = [p.mesh for p in parts if p.joint is not None and JOINTS[p.joint].endswith(("hip", "knee", "ankle"))]
    _, group = moving_pieces(rider, sample_times(scene, rider))
    assert len(legs) == 6 and all(any(m is leg for m in group.meshes) for leg in legs)
    assert len(group.meshes) < len(parts) - 1
    faces = sum(len(p.mesh.faces) for p in parts)
    assert len(world.bodies[0].normals) + len(world.groups[0].normals) == faces == len(world.ids) - 1
    assert np.all(world.ids[:-1, 0] == 3) and np.all(world.ids[:-1, 1] == semantic_id("cyclist"))


def test_moving_rigid_entities_stay_one_body_each() -> None:
    moving = Trajectory([0.0, 1.0], [make_pose(np.eye(3), (0, 0, 0.5)), make_pose(np.eye(3), (1, 0, 0.5))])
    scene, _ = lidar_scene([box(1, (1, 1, 1), (0, 0, 0), trajectory=moving), person(2, (0, 2), speed=0.0)])
    world = world_for(scene)
    assert len(world.bodies) == 1 and not world.groups and world.static is not None
    rigid = dataclasses.replace(scene, entities=scene.entities[:1])
    np.testing.assert_array_equal(world_for(rigid).bodies[0].track.translations, world.bodies[0].track.translations)


def test_radar_sees_a_walking_person_through_the_same_world_with_its_trajectory_velocity() -> None:
    radar = Radar("front", make_pose(np.eye(3), (0.0, 0.0, 1.0)), velocity_resolution=1e-7, range_resolution=0.05)
    walker = person(9, (8.0, 0.0), heading=np.pi, speed=1.4)  # walking straight at the radar
    rig = SensorRig(Trajectory.static(np.eye(4)), radars=[radar])
    scene = Scene("radar_people", 0, {"root_seed": 0}, FPS, FRAMES, [walker], [], Environment(), rig)
    t = 0.5
    detections = detect_radar(scene, radar, t)
    on = detections[detections["instance_id"] == 9]
    assert len(on) >= 3 and np.all(on["semantic_id"] == semantic_id("pedestrian"))
    # the posed body at t is where the detections are: within half a range cell of its surface
    xyz = np.stack([on["x"], on["y"], on["z"]], axis=1).astype(np.float64)
    points = transform_points(scene.rig.world_from_sensor(radar, t), xyz)
    assert surface_distance(posed_mesh(walker, t, "world"), points).max() < 0.03
    cos_line = np.cos(on["azimuth"]) * np.cos(on["elevation"])
    np.testing.assert_allclose(on["radial_velocity"], -1.4 * cos_line, atol=1e-3)  # approaching

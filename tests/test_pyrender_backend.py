"""The pyrender backend against analytic scenes: depth of planes, masks of projected boxes, the
half-pixel convention, occlusion and amodal masks, pose updates without recompiling, determinism.

The camera frame is the world frame in most scenes here (OpenCV: x right, y down, z forward), so a
point (x, y, z) lands at u = cx + fx * x / z, v = cy + fy * y / z.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from renderers.base import Pass, RendererBackend
from renderers.pyrender.geometry import decode_bits
from scenes import AssetRef, Camera, Entity, Environment, Light, Material, Scene, SensorRig, Trajectory
from scenes.camera_geometry import box_in_view
from scenes.transforms import (
    box_corners,
    light_pose,
    make_pose,
    project_points,
    rotation_x,
    rotation_z,
    transform_points,
)

WIDTH, HEIGHT = 160, 120
K = np.array([[100.0, 0.0, 79.5], [0.0, 100.0, 59.5], [0.0, 0.0, 1.0]])
ALL_PASSES = frozenset(Pass) - {Pass.NORMALS}  # every pass but normals (Blender only)
gl = pytest.mark.gl
# PyOpenGL 3.1.0 (pinned by pyrender) calls numpy's deprecated tostring() on every upload.
pytestmark = pytest.mark.filterwarnings("ignore:tostring:DeprecationWarning")


def box(
    instance_id: int,
    size_m: tuple[float, float, float],
    pose: np.ndarray | Trajectory,
    color: tuple[float, float, float] = (0.8, 0.2, 0.2),
) -> Entity:
    """A `box` asset entity; ``pose`` is world_from_object (4x4) or a Trajectory."""
    length, width, height = size_m
    trajectory = pose if isinstance(pose, Trajectory) else Trajectory.static(pose)
    return Entity(
        name=f"box{instance_id}_{id(trajectory)}",
        instance_id=instance_id,
        category="box",
        asset=AssetRef("procedural", "box", {"length": length, "width": width, "height": height}),
        size_m=size_m,
        trajectory=trajectory,
        material=Material(base_color=color),
    )


def at(x: float, y: float, z: float, rotation: np.ndarray | None = None) -> np.ndarray:
    return make_pose(np.eye(3) if rotation is None else rotation, (x, y, z))


def make_scene(
    entities: list[Entity], K: np.ndarray = K, scene_id: str = "gl", cameras: list[Camera] | None = None
) -> Scene:
    cameras = cameras or [Camera("cam", WIDTH, HEIGHT, K, np.eye(4))]
    rig = SensorRig(Trajectory.static(np.eye(4)), cameras)
    lights = [Light("sun", "directional", direction=(0.3, 0.5, 1.0)), Light("lamp", "point", position=(0, -2, 0))]
    env = Environment(ambient=(0.3, 0.3, 0.3), background=(0.0, 0.5, 1.0))
    return Scene(scene_id, 0, {}, 10.0, 2, entities, lights, env, rig)


@pytest.fixture(scope="module")
def backend():
    # a plain import: a machine without EGL must fail these tests, not skip them
    from renderers.pyrender import create_backend

    with create_backend(ALL_PASSES) as b:
        yield b


def test_importing_generator_and_the_backend_package_does_not_import_gl() -> None:
    code = (
        "import sys, generator, renderers.pyrender, renderers.pyrender.geometry, renderers.fake\n"
        "bad = [m for m in ('pyrender', 'OpenGL', 'bpy') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_light_pose_points_minus_z_along_the_light_direction() -> None:
    direction = np.array([0.3, -0.5, -1.0])
    pose = light_pose(direction)
    np.testing.assert_allclose(-pose[:3, 2], direction / np.linalg.norm(direction))
    np.testing.assert_allclose(pose[:3, :3].T @ pose[:3, :3], np.eye(3), atol=1e-12)
    assert np.linalg.det(pose[:3, :3]) == pytest.approx(1.0)


def test_box_in_view_culls_boxes_behind_and_beside_the_camera() -> None:
    def in_view(pose: np.ndarray) -> bool:
        return box_in_view(K, WIDTH, HEIGHT, 0.05, 100.0, pose, (1.0, 1.0, 1.0))

    assert in_view(at(0, 0, 5))
    assert not in_view(at(0, 0, -5))
    assert not in_view(at(20, 0, 5))  # u of its nearest edge: 79.5 + 100 * 19.5 / 4.5 >> 160
    assert in_view(at(4.2, 0, 5))  # straddles the right image border
    assert in_view(at(0, 0, 0))  # camera inside the box


def test_decode_bits_reads_back_each_bit() -> None:
    color = np.array([[[0b101, 0, 0x80], [0, 1, 0]]], dtype=np.uint8)
    masks = decode_bits(color, 24)
    assert [k for k in range(24) if masks[k][0, 0]] == [0, 2, 23]
    assert [k for k in range(24) if masks[k][0, 1]] == [8]


@gl
def test_backend_protocol_and_result_types(backend) -> None:
    assert isinstance(backend, RendererBackend)
    assert backend.name == "pyrender" and backend.capabilities == ALL_PASSES
    result = backend.render(make_scene([box(3, (0.6, 0.6, 0.6), at(0, 0, 3))]), 0.0)
    assert result.camera == "cam" and result.t == 0.0
    assert result.rgb.dtype == np.uint8 and result.rgb.shape == (HEIGHT, WIDTH, 3)
    assert result.depth.dtype == np.float32 and result.depth.shape == (HEIGHT, WIDTH)
    assert result.instance.dtype == np.uint16 and result.instance.shape == (HEIGHT, WIDTH)
    background = result.instance == 0
    # the linear background (0, 0.5, 1) is display-encoded like lit colours: 255 * 0.5 ** (1 / 2.2) = 186
    assert np.abs(result.rgb[background].astype(int) - [0, 186, 255]).max() <= 1
    assert np.abs(result.rgb[~background].astype(int) - [0, 128, 255]).max(axis=1).min() > 20


@gl
def test_plane_facing_the_camera_has_its_distance_as_depth(backend) -> None:
    d = 3.0
    plane = box(1, (2.0, 1.5, 0.01), at(0.1, -0.2, d + 0.005))  # front face at z = d
    result = backend.render(make_scene([plane]), 0.0)
    covered = result.instance == 1
    assert covered.sum() > 1000 and (~covered).sum() > 1000
    np.testing.assert_allclose(result.depth[covered], d, rtol=1e-4)
    assert (result.depth[~covered] == 0.0).all()


@gl
def test_tilted_plane_depth_matches_ray_plane_intersection_at_pixel_centres(backend) -> None:
    rotation = rotation_z(0.3) @ rotation_x(0.5)
    centre = np.array([0.0, 0.0, 4.0])
    plane = box(1, (30.0, 30.0, 0.01), at(*centre, rotation))  # covers the whole image
    depth = backend.render(make_scene([plane]), 0.0).depth
    normal = rotation[:, 2]
    offset = normal @ (centre - 0.005 * normal)  # the face towards the camera: normal . X = offset
    v, u = np.mgrid[0:HEIGHT, 0:WIDTH]
    rays = np.stack([(u - K[0, 2]) / K[0, 0], (v - K[1, 2]) / K[1, 1], np.ones_like(u, dtype=float)], axis=-1)
    np.testing.assert_allclose(depth, offset / (rays @ normal), rtol=1e-4)


def analytic_box_mask(entity: Entity, k: np.ndarray = K, width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """Pixels whose centre lies inside the convex hull of the box corners projected by a camera at
    the world origin (the silhouette of a convex body in front of the camera)."""
    from scipy.spatial import ConvexHull

    corners = transform_points(entity.trajectory.pose_at(0.0), box_corners(entity.size_m))
    uv, z = project_points(k, np.eye(4), corners)
    assert (z > 0).all()
    hull = ConvexHull(uv)
    v, u = np.mgrid[0:height, 0:width]
    pixels = np.stack([u.ravel(), v.ravel()], axis=1)
    inside = (pixels @ hull.equations[:, :2].T + hull.equations[:, 2] <= 0).all(axis=1)
    return inside.reshape(height, width)


@gl
def test_rotated_cube_mask_matches_its_analytic_projection(backend) -> None:
    cube = box(5, (1.0, 1.0, 1.0), at(0.2, -0.1, 4.0, rotation_z(0.5) @ rotation_x(0.4)))
    result = backend.render(make_scene([cube]), 0.0)
    mask, expected = result.instance == 5, analytic_box_mask(cube)
    assert (mask & expected).sum() / (mask | expected).sum() >= 0.99
    np.testing.assert_array_equal(result.amodal[5], mask)


@gl
def test_half_pixel_convention_pixel_centres_are_integer_uv(backend) -> None:
    # The face at z = 2 spans u in [100.3, 130.7], v in [40.3, 80.7]. The principal point lies inside
    # that range, so the side faces are seen edge-on or from behind and the silhouette is the face.
    z, cx, cy = 2.0, 115.0, 60.0
    k = np.array([[100.0, 0.0, cx], [0.0, 100.0, cy], [0.0, 0.0, 1.0]])
    x0, x1 = (np.array([100.3, 130.7]) - cx) * z / 100.0
    y0, y1 = (np.array([40.3, 80.7]) - cy) * z / 100.0
    face = box(2, (x1 - x0, y1 - y0, 0.4), at((x0 + x1) / 2, (y0 + y1) / 2, z + 0.2))
    instance = backend.render(make_scene([face], K=k), 0.0).instance
    expected = np.zeros((HEIGHT, WIDTH), dtype=bool)
    expected[41:81, 101:131] = True  # rows 41..80, columns 101..130
    np.testing.assert_array_equal(instance == 2, expected)


@gl
def test_two_objects_occlusion_and_amodal_masks(backend) -> None:
    front = box(1, (0.6, 0.6, 0.2), at(0.3, 0.0, 3.0))
    back = box(2, (2.0, 1.5, 0.2), at(0.0, 0.0, 6.0))
    wall = box(0, (1.0, 3.0, 0.2), at(-1.0, 0.0, 5.0), color=(0.5, 0.5, 0.5))  # context: occludes, no id
    result = backend.render(make_scene([front, back, wall]), 0.0)
    assert set(np.unique(result.instance)) == {0, 1, 2}
    assert set(result.amodal) == {1, 2}
    visible_back = result.instance == 2
    assert (result.amodal[2] & visible_back).sum() == visible_back.sum()  # superset of the visible pixels
    hidden = result.amodal[2] & ~visible_back
    assert hidden.sum() > 100
    assert (result.instance[hidden] == 1).any()  # hidden behind the labelled box ...
    assert ((result.instance[hidden] == 0) & (result.depth[hidden] > 0)).any()  # ... and the context wall
    np.testing.assert_array_equal(result.amodal[1], result.instance == 1)
    np.testing.assert_array_equal(result.amodal[2], analytic_box_mask(back))
    assert (result.depth[result.instance == 1] < result.depth[visible_back].min()).all()


@gl
def test_objects_out_of_view_have_no_amodal_entry(backend) -> None:
    entities = [
        box(1, (0.5, 0.5, 0.5), at(0, 0, -3)),
        box(2, (0.5, 0.5, 0.5), at(30, 0, 3)),
        box(3, (0.5, 0.5, 0.5), at(2.5, 0, 3)),
    ]  # id 3 straddles the right border
    result = backend.render(make_scene(entities), 0.0)
    assert set(result.amodal) == {3}
    assert result.amodal[3][:, -1].any() and result.amodal[3].sum() < analytic_box_mask(entities[2]).size


@gl
def test_union_amodal_equals_per_object_renders_with_many_overlapping_objects(backend) -> None:
    from renderers.pyrender import create_backend

    rng = np.random.default_rng(7)
    entities = []
    for i in range(30):  # more than 24 objects: two union passes
        pose = at(*rng.uniform([-2, -1.5, 3], [2, 1.5, 8]), rotation_z(rng.uniform(0, 6)))
        entities.append(box(i + 1, tuple(rng.uniform(0.3, 1.2, 3)), pose))
    scene = make_scene(entities)
    union = backend.render(scene, 0.0)
    with create_backend(frozenset({Pass.AMODAL}), amodal_method="per_object") as reference_backend:
        reference = reference_backend.render(scene, 0.0).amodal
    assert set(union.amodal) == set(reference) and len(reference) > 24
    for instance_id, mask in reference.items():
        np.testing.assert_array_equal(union.amodal[instance_id], mask)
    occluded = [i for i, m in reference.items() if (m & (union.instance != i)).any()]
    assert len(occluded) > 5  # the scene really does overlap


@gl
def test_poses_update_across_frames_without_recompiling() -> None:
    from renderers.pyrender import create_backend

    moving = Trajectory(times=[0.0, 1.0], poses=[at(-0.5, 0, 3), at(0.5, 0, 3)])
    scene = make_scene([box(1, (0.4, 0.4, 0.4), moving), box(2, (0.3, 0.3, 0.3), at(0, 0.6, 4))])
    with create_backend(frozenset({Pass.INSTANCE, Pass.DEPTH})) as b:
        first = b.render(scene, 0.0)
        world = b.pyrender_scene
        later = [b.render(scene, t) for t in (0.5, 1.0)]
        assert b.pyrender_scene is world and b.compile_count == 1
        columns = [np.flatnonzero((r.instance == 1).any(axis=0)).mean() for r in (first, *later)]
        # centre column moves by fx * 0.5 / 3 px per half second
        np.testing.assert_allclose(np.diff(columns), 100.0 * 0.5 / 3.0, atol=1.0)
        np.testing.assert_array_equal(first.instance == 2, later[-1].instance == 2)
        b.render(make_scene(scene.entities, scene_id="other"), 0.0)
        assert b.compile_count == 2 and b.pyrender_scene is not world


@gl
def test_rendering_twice_is_identical(backend) -> None:
    scene = make_scene([box(1, (0.5, 0.7, 0.3), at(0.1, 0.2, 3.0, rotation_z(0.7))), box(2, (2, 2, 0.2), at(0, 0, 5))])
    a, b = backend.render(scene, 0.0), backend.render(scene, 0.0)
    np.testing.assert_array_equal(a.instance, b.instance)
    np.testing.assert_array_equal(a.depth, b.depth)
    np.testing.assert_array_equal(a.rgb, b.rgb)


@gl
def test_cameras_of_different_sizes_share_one_context(backend) -> None:
    small_k = K.copy()
    small_k[:2] /= 2.0
    small_k[:2, 2] = [39.5, 29.5]
    cameras = [Camera("cam", WIDTH, HEIGHT, K, np.eye(4)), Camera("small", WIDTH // 2, HEIGHT // 2, small_k, np.eye(4))]
    cube = box(1, (1.0, 1.0, 0.2), at(0, 0, 3))  # axis-aligned: no pixel centre lies on an edge
    scene = make_scene([cube], cameras=cameras)
    big, small, big_again = (backend.render(scene, 0.0, camera) for camera in ("cam", "small", "cam"))
    assert small.instance.shape == (HEIGHT // 2, WIDTH // 2) and small.camera == "small"
    np.testing.assert_array_equal(small.instance == 1, analytic_box_mask(cube, small_k, WIDTH // 2, HEIGHT // 2))
    np.testing.assert_array_equal(big.instance == 1, analytic_box_mask(cube))
    np.testing.assert_array_equal(big.instance, big_again.instance)


@gl
def test_unrequested_passes_are_none_and_close_is_idempotent() -> None:
    from renderers.base import BackendError
    from renderers.pyrender import create_backend

    b = create_backend(frozenset({Pass.DEPTH}))
    result = b.render(make_scene([box(1, (0.5, 0.5, 0.5), at(0, 0, 3))]), 0.0)
    assert result.depth is not None and result.rgb is None and result.instance is None and result.amodal is None
    b.close()
    b.close()
    with pytest.raises(BackendError):
        b.render(make_scene([]), 0.0)
    with pytest.raises(BackendError):
        create_backend(frozenset(Pass), amodal_method="guess")


@gl
def test_closing_one_backend_leaves_other_backends_working(backend) -> None:
    # pyrender's own EGL teardown terminates the display every context of the process shares.
    from renderers.pyrender import create_backend

    scene = make_scene([box(1, (0.5, 0.5, 0.5), at(0, 0, 3))])
    before = backend.render(scene, 0.0)
    with create_backend(frozenset({Pass.INSTANCE})) as other:
        other.render(scene, 0.0)
    np.testing.assert_array_equal(backend.render(scene, 0.0).instance, before.instance)


def test_an_image_over_the_gl_maximum_closes_the_context_it_opened(monkeypatch) -> None:
    """__init__ opens the GL context to read its limits; when a size is refused the caller gets no backend
    to close, so the backend must delete the renderer itself (a leaked EGL context per refused run)."""
    from renderers.base import BackendError
    from renderers.pyrender import backend as module

    opened: list[FakeRenderer] = []

    class FakeRenderer:
        def __init__(self, width: int, height: int) -> None:
            self.deleted = 0
            opened.append(self)

        def max_image_size(self) -> tuple[int, int]:
            return (32, 32)

        def delete(self) -> None:
            self.deleted += 1

    monkeypatch.setattr(module, "OffscreenRenderer", FakeRenderer)
    with pytest.raises(BackendError, match="64x48 px exceeds this GL context's maximum of 32x32"):
        module.PyrenderBackend({Pass.RGB}, image_sizes=[(16, 16), (64, 48)])
    assert len(opened) == 1 and opened[0].deleted == 1
    with module.PyrenderBackend({Pass.RGB}, image_sizes=[(16, 16)]) as backend:
        assert backend.max_image_size() == (32, 32)
    assert opened[1].deleted == 1

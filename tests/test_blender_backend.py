"""The Blender backend against the same analytic scenes as pyrender (plane depth, cube mask, the
half-pixel convention, occlusion and amodal masks), and against pyrender itself on one scene.

Scenes come from tests/test_pyrender_backend.py: the camera frame is the world frame (OpenCV), so a
point (x, y, z) lands at u = cx + fx * x / z, v = cy + fy * y / z. Few samples keep the file fast:
labels and depth do not depend on the sample count.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
from scipy import ndimage
from test_pyrender_backend import ALL_PASSES, HEIGHT, WIDTH, K, analytic_box_mask, at, box, make_scene

from renderers.base import BackendError, Pass, RendererBackend
from renderers.blender.camera import shift_from_principal_point
from renderers.blender.worker import disjoint_batches, linear_to_srgb_bytes
from scenes import Camera, Trajectory
from scenes.transforms import rotation_x, rotation_z

pytestmark = [pytest.mark.blender, pytest.mark.filterwarnings("ignore:tostring:DeprecationWarning")]


@pytest.fixture(scope="module")
def backend():
    from renderers.blender import create_backend

    # exact background bytes and Cycles' own estimates: without the denoiser (on by default, which at 2 samples
    # bleeds object colour into the flat background; tests/test_blender_light.py)
    with create_backend(ALL_PASSES | {Pass.NORMALS}, samples=2, denoise=False) as b:
        yield b


def test_importing_the_blender_package_does_not_import_bpy() -> None:
    code = (
        "import sys, generator, renderers.blender, renderers.blender.backend, renderers.blender.worker\n"
        "assert 'bpy' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_shift_puts_the_principal_point_at_the_image_centre_convention() -> None:
    assert shift_from_principal_point(79.5, 59.5, 160, 120) == (0.0, 0.0)
    shift_x, shift_y = shift_from_principal_point(115.0, 60.0, 160, 120)
    assert shift_x == pytest.approx(-35.5 / 160) and shift_y == pytest.approx(0.5 / 160)


def test_amodal_batches_hold_pairwise_disjoint_pixel_boxes() -> None:
    regions = [(0, 0, 9, 9), (5, 5, 20, 20), (10, 0, 19, 4), (30, 30, 31, 31), (0, 10, 4, 30)]
    batches = disjoint_batches(regions)
    assert sorted(k for batch in batches for k in batch) == list(range(len(regions)))
    assert batches == [[1, 4, 2, 3], [0]]  # largest first; only (0, 0, 9, 9) overlaps (5, 5, 20, 20)
    assert disjoint_batches([]) == []


def test_srgb_encoding_matches_the_standard_view_transform() -> None:
    np.testing.assert_array_equal(linear_to_srgb_bytes(np.array([0.0, 0.5, 1.0, 2.0])), [0, 188, 255, 255])


def test_backend_protocol_and_result_types(backend) -> None:
    assert isinstance(backend, RendererBackend)
    assert backend.name == "blender" and backend.capabilities == ALL_PASSES | {Pass.NORMALS}
    result = backend.render(make_scene([box(3, (0.6, 0.6, 0.6), at(0, 0, 3))]), 0.0)
    assert result.camera == "cam" and result.t == 0.0
    assert result.rgb.dtype == np.uint8 and result.rgb.shape == (HEIGHT, WIDTH, 3)
    assert result.depth.dtype == np.float32 and result.depth.shape == (HEIGHT, WIDTH)
    assert result.instance.dtype == np.uint16 and result.instance.shape == (HEIGHT, WIDTH)
    # linear background (0, 0.5, 1) through the sRGB curve; the 1.5 px pixel filter blends the colours
    # of the pixels next to the object's edge, diagonal neighbours included (its footprint is square)
    background = ~ndimage.binary_dilation(result.instance > 0, structure=np.ones((3, 3), bool))
    assert np.abs(result.rgb[background].astype(int) - [0, 188, 255]).max() <= 1
    inner = ndimage.binary_erosion(result.instance == 3)
    assert np.abs(result.rgb[inner].astype(int) - [0, 188, 255]).max(axis=1).min() > 20


def test_plane_facing_the_camera_has_its_distance_as_depth(backend) -> None:
    d = 3.0
    plane = box(1, (2.0, 1.5, 0.01), at(0.1, -0.2, d + 0.005))  # front face at z = d
    result = backend.render(make_scene([plane]), 0.0)
    covered = result.instance == 1
    assert covered.sum() > 1000 and (~covered).sum() > 1000
    np.testing.assert_allclose(result.depth[covered], d, rtol=1e-4)
    assert (result.depth[~covered] == 0.0).all()


def test_tilted_plane_depth_is_planar_z_at_pixel_centres(backend) -> None:
    # Ray distance would be off by up to 14% at the corners; an off-centre sample by ~1e-2 relative.
    rotation = rotation_z(0.3) @ rotation_x(0.5)
    centre = np.array([0.0, 0.0, 4.0])
    depth = backend.render(make_scene([box(1, (30.0, 30.0, 0.01), at(*centre, rotation))]), 0.0).depth
    normal = rotation[:, 2]
    offset = normal @ (centre - 0.005 * normal)
    v, u = np.mgrid[0:HEIGHT, 0:WIDTH]
    rays = np.stack([(u - K[0, 2]) / K[0, 0], (v - K[1, 2]) / K[1, 1], np.ones_like(u, dtype=float)], axis=-1)
    np.testing.assert_allclose(depth, offset / (rays @ normal), rtol=1e-4)


def test_rotated_cube_mask_matches_its_analytic_projection(backend) -> None:
    cube = box(5, (1.0, 1.0, 1.0), at(0.2, -0.1, 4.0, rotation_z(0.5) @ rotation_x(0.4)))
    result = backend.render(make_scene([cube]), 0.0)
    mask, expected = result.instance == 5, analytic_box_mask(cube)
    assert (mask & expected).sum() / (mask | expected).sum() >= 0.99
    np.testing.assert_array_equal(result.amodal[5], mask)


@pytest.mark.parametrize("margin", [0.3, 0.05])
def test_half_pixel_convention_pixel_centres_are_integer_uv(backend, margin: float) -> None:
    # The face spans u in [100 + m, 131 - m], v in [40 + m, 81 - m] with the principal point off centre:
    # an edge only ``margin`` px from a pixel centre shows any offset in the camera shift or any
    # jitter of the sample that the labels come from (the rgb pass keeps its 1.5 px filter).
    z, cx, cy = 2.0, 115.0, 60.0
    k = np.array([[100.0, 0.0, cx], [0.0, 100.0, cy], [0.0, 0.0, 1.0]])
    x0, x1 = (np.array([100.0 + margin, 131.0 - margin]) - cx) * z / 100.0
    y0, y1 = (np.array([40.0 + margin, 81.0 - margin]) - cy) * z / 100.0
    face = box(2, (x1 - x0, y1 - y0, 0.4), at((x0 + x1) / 2, (y0 + y1) / 2, z + 0.2))
    instance = backend.render(make_scene([face], K=k), 0.0).instance
    expected = np.zeros((HEIGHT, WIDTH), dtype=bool)
    expected[41:81, 101:131] = True  # rows 41..80, columns 101..130
    np.testing.assert_array_equal(instance == 2, expected)


def test_two_objects_occlusion_and_amodal_masks(backend) -> None:
    front = box(1, (0.6, 0.6, 0.2), at(0.3, 0.0, 3.0))
    back = box(2, (2.0, 1.5, 0.2), at(0.0, 0.0, 6.0))
    wall = box(0, (1.0, 3.0, 0.2), at(-1.0, 0.0, 5.0), color=(0.5, 0.5, 0.5))  # context: occludes, no id
    far = box(3, (0.5, 0.5, 0.5), at(30, 0, 3))  # out of view: no amodal entry
    result = backend.render(make_scene([front, back, wall, far]), 0.0)
    assert set(np.unique(result.instance)) == {0, 1, 2}
    assert set(result.amodal) == {1, 2}
    visible_back = result.instance == 2
    hidden = result.amodal[2] & ~visible_back
    assert (result.amodal[2] & visible_back).sum() == visible_back.sum() and hidden.sum() > 100
    assert (result.instance[hidden] == 1).any()
    assert ((result.instance[hidden] == 0) & (result.depth[hidden] > 0)).any()  # behind the context wall
    np.testing.assert_array_equal(result.amodal[1], result.instance == 1)
    np.testing.assert_array_equal(result.amodal[2], analytic_box_mask(back))


def test_poses_update_across_frames_without_rebuilding_and_the_worker_recycles() -> None:
    from renderers.blender import create_backend

    moving = Trajectory(times=[0.0, 1.0], poses=[at(-0.5, 0, 3), at(0.5, 0, 3)])
    scene = make_scene([box(1, (0.4, 0.4, 0.4), moving), box(2, (0.3, 0.3, 0.3), at(0, 0.6, 4))])
    with create_backend(frozenset({Pass.INSTANCE}), samples=1, recycle_after=1) as b:
        frames = [b.render(scene, t) for t in (0.0, 0.5, 1.0)]
        assert b.compile_count == 1 and b.worker_starts == 1
        columns = [np.flatnonzero((r.instance == 1).any(axis=0)).mean() for r in frames]
        np.testing.assert_allclose(np.diff(columns), 100.0 * 0.5 / 3.0, atol=1.0)
        np.testing.assert_array_equal(frames[0].instance == 2, frames[-1].instance == 2)
        assert frames[0].rgb is None and frames[0].depth is None and frames[0].amodal is None
        other = b.render(make_scene(scene.entities, scene_id="other"), 0.0)  # second scene: new worker
        assert b.compile_count == 2 and b.worker_starts == 2
        np.testing.assert_array_equal(other.instance, frames[0].instance)
    b.close()  # twice is fine
    with pytest.raises(BackendError):
        b.render(scene, 0.0)


def test_worker_errors_are_raised_and_the_worker_keeps_serving(backend) -> None:
    k = K.copy()
    k[1, 1] = 120.0  # non-square pixels are not supported
    with pytest.raises(BackendError, match="square pixels"):
        backend.render(make_scene([], cameras=[Camera("cam", WIDTH, HEIGHT, k, np.eye(4))]), 0.0)
    assert backend.render(make_scene([box(1, (0.5, 0.5, 0.5), at(0, 0, 3))]), 0.0).instance.max() == 1
    with pytest.raises(BackendError):
        from renderers.blender import create_backend

        create_backend(ALL_PASSES, engine="EEVEE")


@pytest.mark.gl
def test_blender_and_pyrender_agree_on_instances_and_depth(backend) -> None:
    from renderers.pyrender import create_backend

    rng = np.random.default_rng(3)
    entities = [box(0, (20.0, 20.0, 0.1), at(0, 0, 9.0), color=(0.4, 0.4, 0.4))]  # context backdrop
    for i in range(8):
        pose = at(*rng.uniform([-1.5, -1.0, 3], [1.5, 1.0, 7]), rotation_z(rng.uniform(0, 6)) @ rotation_x(0.3))
        entities.append(box(i + 1, tuple(rng.uniform(0.3, 1.0, 3)), pose))
    scene = make_scene(entities)
    with create_backend(frozenset({Pass.DEPTH, Pass.INSTANCE, Pass.AMODAL})) as gl:
        reference = gl.render(scene, 0.0)
    ours = backend.render(scene, 0.0)
    ids = reference.instance.astype(np.int32)
    band = ndimage.maximum_filter(ids, size=3) != ndimage.minimum_filter(ids, size=3)
    assert (ours.instance == reference.instance)[~band].mean() >= 0.995
    both = (ours.depth > 0) & (reference.depth > 0) & ~band
    assert both.mean() > 0.9
    np.testing.assert_allclose(ours.depth[both], reference.depth[both], rtol=5e-3)
    assert set(ours.amodal) == set(reference.amodal)
    for instance_id, mask in reference.amodal.items():
        ids_mask = mask.astype(np.int32)
        edge = ndimage.maximum_filter(ids_mask, size=3) != ndimage.minimum_filter(ids_mask, size=3)
        assert (ours.amodal[instance_id] == mask)[~edge].all()


def test_cycles_seed_is_drawn_from_the_scene_and_frame() -> None:
    from renderers.blender.backend import cycles_seed

    scene = make_scene([])
    seeds = {cycles_seed(scene, t) for t in (0.0, 0.1, 0.2)}
    assert len(seeds) == 3 and all(0 <= s < 2**31 for s in seeds)
    assert cycles_seed(scene, 0.1) == cycles_seed(make_scene([]), 0.1)  # stable: no state, no call order
    reseeded = replace(scene, seeds={"root_seed": 7}, index=3)
    assert cycles_seed(reseeded, 0.0) not in seeds


def test_same_scene_and_seed_give_identical_rgb_bytes() -> None:
    from renderers.blender import create_backend

    scene = make_scene([box(1, (0.6, 0.6, 0.6), at(0, 0, 3)), box(2, (2.0, 1.5, 0.2), at(0.3, 0.2, 5))])
    with create_backend(frozenset({Pass.RGB}), samples=3) as b:
        first, again = b.render(scene, 0.0).rgb, b.render(scene, 0.0).rgb
        next_frame = b.render(scene, 0.1).rgb  # the same poses (static scene), another frame: another seed
    with create_backend(frozenset({Pass.RGB}), samples=3) as b:  # a fresh worker
        fresh = b.render(make_scene(scene.entities), 0.0).rgb
    assert first.tobytes() == again.tobytes() == fresh.tobytes()
    assert next_frame.tobytes() != first.tobytes()  # the seed reaches Cycles: 3 samples are noisy


@pytest.mark.gl
def test_label_records_agree_with_pyrender_on_a_street_scene(backend) -> None:
    from generator.config import compose_config
    from generator.world.sampling import sample_scene
    from labels import annotate
    from renderers.pyrender import create_backend

    scene = sample_scene(compose_config(["camera.width=160", "camera.height=120", "seed=2"]), 0)
    camera = scene.rig.cameras[0]
    with create_backend(ALL_PASSES) as gl:
        reference = gl.render(scene, 0.0)
    ours = backend.render(scene, 0.0)
    records = []
    for result in (reference, ours):
        objects = annotate(scene, 0, camera, result.instance, result.amodal)["objects"][camera.name]
        records.append({o["instance_id"]: o for o in objects})
    theirs, mine = records
    visible = [{i for i, o in r.items() if o["visible"]} for r in records]
    # objects of a few pixels may flip in or out of view on a pixel-centre tie; others may not
    assert all(max(theirs[i]["visible_pixels"], mine[i]["visible_pixels"]) < 20 for i in visible[0] ^ visible[1])
    checked = [i for i in visible[0] & visible[1] if theirs[i]["visible_pixels"] >= 50]
    assert len(checked) >= 3
    for i in checked:
        for key in ("bbox_visible", "bbox_amodal"):
            np.testing.assert_allclose(mine[i][key], theirs[i][key], atol=1, err_msg=f"{key} of {i}")
    for i in visible[0] & visible[1]:
        assert abs(mine[i]["visibility"] - theirs[i]["visibility"]) <= 0.02, i


def test_a_textured_box_varies_in_colour_and_keeps_its_instance_mask() -> None:
    from renderers.blender import create_backend
    from scenes import Texture

    plain = box(1, (1.2, 1.2, 0.2), at(0, 0, 3), color=(0.7, 0.5, 0.3))
    scenes = {"none": make_scene([plain])}
    for kind in ("noise", "checker", "wave"):
        texture = Texture(kind=kind, scale=8.0, color2=(0.1, 0.05, 0.02), roughness_variation=0.4)
        textured = replace(plain, material=replace(plain.material, texture=texture))
        scenes[kind] = make_scene([textured], scene_id=kind)
    with create_backend(frozenset({Pass.RGB, Pass.DEPTH, Pass.INSTANCE}), samples=32) as b:  # little noise
        results = {kind: b.render(scene, 0.0) for kind, scene in scenes.items()}
    inner = ndimage.binary_erosion(results["none"].instance == 1, iterations=2)
    # pixel-to-pixel change (the smooth falloff of the lamp's light barely counts)
    both = inner[:, 1:] & inner[:, :-1]
    spread = {kind: np.abs(np.diff(r.rgb.astype(float), axis=1))[both].mean() for kind, r in results.items()}
    for kind in ("noise", "checker", "wave"):
        np.testing.assert_array_equal(results[kind].instance, results["none"].instance)
        np.testing.assert_array_equal(results[kind].depth, results["none"].depth)
        assert spread[kind] > 3 * spread["none"] + 1, spread


def test_area_light_and_sky_change_the_rgb_but_not_the_labels(backend) -> None:
    from scenes import Light

    entities = [box(1, (0.8, 0.8, 0.8), at(0, 0.3, 4)), box(2, (3.0, 0.1, 3.0), at(0, 1.0, 5), color=(0.6, 0.6, 0.6))]
    scene = make_scene(entities)
    area = Light("area_0", "area", intensity=40.0, direction=(0.0, 0.6, 0.8), position=(0.0, -1.2, 2.0), size_m=1.0)
    lit = replace(scene, lights=[*scene.lights, area])
    sky = replace(scene, environment=replace(scene.environment, sky="sky"))
    base, with_area, with_sky = (backend.render(s, 0.0) for s in (scene, lit, sky))
    for result in (with_area, with_sky):
        np.testing.assert_array_equal(result.instance, base.instance)
        np.testing.assert_array_equal(result.depth, base.depth)
        assert set(result.amodal) == set(base.amodal)
    objects = base.instance > 0
    assert with_area.rgb[objects].astype(int).mean() > base.rgb[objects].astype(int).mean() + 5
    background = ~ndimage.binary_dilation(objects, structure=np.ones((3, 3), bool))
    assert np.abs(with_sky.rgb[background].astype(int) - base.rgb[background].astype(int)).mean() > 10


def test_normals_of_a_box_facing_the_camera_point_back_at_it_and_background_is_zero(backend) -> None:
    result = backend.render(make_scene([box(1, (1.0, 1.0, 1.0), at(0.1, -0.1, 3.0))]), 0.0)
    normals = result.normals
    assert normals.dtype == np.float32 and normals.shape == (HEIGHT, WIDTH, 3)
    # the pass is averaged over the pixel filter: pixels along the edge blend in the background
    front = ndimage.binary_erosion(result.instance == 1, iterations=2)
    assert front.sum() > 500
    np.testing.assert_allclose(normals[front], np.broadcast_to([0.0, 0.0, -1.0], (front.sum(), 3)), atol=1e-3)
    assert (normals[result.depth == 0.0] == 0.0).all() and (result.depth == 0.0).sum() > 1000
    np.testing.assert_allclose(np.linalg.norm(normals[result.depth > 0.0], axis=-1), 1.0, atol=1e-5)


@pytest.mark.parametrize("camera_rotation", [np.eye(3), rotation_x(0.2) @ rotation_z(-0.4)])
def test_normals_of_a_tilted_plane_are_its_analytic_normal_in_the_camera_frame(backend, camera_rotation) -> None:
    # The camera's OpenCV frame is rotated in the world in the second case: n_cam = R^T n_world.
    rotation = rotation_z(0.3) @ rotation_x(0.5)
    centre = camera_rotation @ np.array([0.0, 0.0, 4.0])
    camera = Camera("cam", WIDTH, HEIGHT, K, at(0.0, 0.0, 0.0, camera_rotation))
    scene = make_scene([box(1, (30.0, 30.0, 0.01), at(*centre, rotation))], cameras=[camera])
    normals = backend.render(scene, 0.0).normals
    expected = camera_rotation.T @ rotation[:, 2]
    expected = -expected if expected[2] > 0 else expected  # the visible face looks back at the camera
    np.testing.assert_allclose(normals.reshape(-1, 3), np.broadcast_to(expected, (HEIGHT * WIDTH, 3)), atol=1e-3)


def test_a_blender_run_writes_normals_files(tmp_path) -> None:
    from formats.native import NativeDataset
    from generator.config import compose_config
    from generator.run.loop import run_generation

    overrides = ["renderer=blender", "renderer.samples=1", "camera.width=64", "camera.height=48", "num_scenes=1"]
    cfg = compose_config([*overrides, "output.progress=false", f"output_dir={tmp_path / 'ds'}"])
    run_generation(cfg)
    dataset = NativeDataset(tmp_path / "ds")
    assert "normals" in dataset.meta["passes"]
    records = dataset.frames()
    assert records
    for rec in records:
        cameras = [name[: -len(".rgb.png")] for name in rec["files"] if name.endswith(".rgb.png")]
        assert cameras and all(f"{cam}.normals.npy" in rec["files"] for cam in cameras)
        for cam in cameras:
            normals = dataset.normals(rec["scene_id"], rec["frame"], cam)
            depth = dataset.depth(rec["scene_id"], rec["frame"], cam)
            assert normals.dtype == np.float32 and normals.shape == (48, 64, 3)
            assert (normals[depth == 0.0] == 0.0).all()
            np.testing.assert_allclose(np.linalg.norm(normals[depth > 0.0], axis=-1), 1.0, atol=1e-4)


SMALL_K = np.array([[60.0, 0.0, 47.5], [0.0, 60.0, 35.5], [0.0, 0.0, 1.0]])


def small_scene(entities: list) -> object:
    return make_scene(entities, K=SMALL_K, cameras=[Camera("cam", 96, 72, SMALL_K, np.eye(4))])


def test_workbench_rgb_with_labels_identical_to_a_cycles_render() -> None:
    from renderers.blender import create_backend

    scene = small_scene([box(1, (0.8, 0.8, 0.8), at(0.2, 0, 4, rotation_z(0.4))), box(2, (3, 3, 0.2), at(0, 0, 6))])
    passes = frozenset({Pass.RGB, Pass.DEPTH, Pass.INSTANCE, Pass.NORMALS})
    with create_backend(passes, samples=2) as b:
        cycles = b.render(scene, 0.0)
    with create_backend(passes, samples=2, engine="BLENDER_WORKBENCH") as b:
        workbench = b.render(scene, 0.0)
    assert np.abs(workbench.rgb.astype(int) - cycles.rgb.astype(int)).mean() > 2.0
    assert set(np.unique(workbench.instance)) == {0, 1, 2}
    np.testing.assert_array_equal(workbench.instance, cycles.instance)
    np.testing.assert_array_equal(workbench.depth, cycles.depth)
    surface = cycles.depth > 0
    assert (np.einsum("hwc,hwc->hw", workbench.normals, cycles.normals)[surface] > 0.99).all()


def test_motion_blur_smears_rgb_along_the_motion_and_leaves_labels_sharp() -> None:
    from renderers.blender import create_backend

    # 10 m/s along x at 4 m: a 1-frame shutter at 10 fps spans 1 m, 15 px; the box is 9 px wide
    moving = Trajectory(times=[-1.0, 1.0], poses=[at(-10, 0, 4), at(10, 0, 4)])
    scene = small_scene([box(1, (0.6, 0.6, 0.6), moving)])
    passes = frozenset({Pass.RGB, Pass.INSTANCE, Pass.DEPTH})
    with create_backend(passes, samples=3) as b:
        sharp = b.render(scene, 0.0)
    with create_backend(passes, samples=3, motion_blur=True, shutter=1.0) as b:
        blurred = b.render(scene, 0.0)
    np.testing.assert_array_equal(blurred.instance, sharp.instance)
    np.testing.assert_array_equal(blurred.depth, sharp.depth)

    def touched(rgb: np.ndarray) -> np.ndarray:
        return np.abs(rgb.astype(int) - [0, 188, 255]).max(axis=-1) > 3

    covered = sharp.instance == 1
    rows = covered.any(axis=1)
    assert covered.sum() > 50
    assert touched(blurred.rgb).sum() > 1.5 * touched(sharp.rgb).sum()
    # the smear runs along x: wider in columns, not taller in rows
    assert touched(blurred.rgb).any(axis=0).sum() >= touched(sharp.rgb).any(axis=0).sum() + 8
    assert touched(blurred.rgb)[~rows].sum() <= touched(sharp.rgb)[~rows].sum() + 2 * 96

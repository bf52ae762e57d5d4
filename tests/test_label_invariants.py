"""Label invariants on pyrender-rendered scenes: 3D boxes bound amodal boxes, visible inside amodal,
visibility and occlusion consistent, calibration consistent with the scene."""

from __future__ import annotations

import numpy as np
import pytest

from formats.native import NativeDataset
from scenes.transforms import box_corners, invert_pose, make_pose, matrix_from_quaternion, project_points

pytestmark = pytest.mark.gl


def _objects(root):
    ds = NativeDataset(root)
    for _rec, labels in ds.iter_labels():
        for sensor, objects in labels["objects"].items():
            yield labels["sensors"][sensor], objects


@pytest.mark.parametrize("name", ["street_dataset", "tabletop_dataset"])
def test_projected_box_corners_bound_amodal_box(name, request):
    root = request.getfixturevalue(name)
    checked = 0
    for calib, objects in _objects(root):
        K = np.array(calib["K"])
        camera_from_world = invert_pose(np.array(calib["world_from_sensor"]))
        for obj in objects:
            if obj["bbox_amodal"] is None or obj["truncation"] > 0:
                continue
            box = obj["box3d_world"]
            world_from_object = make_pose(matrix_from_quaternion(box["rotation_wxyz"]), box["center"])
            corners = box_corners(box["size_m"]) @ world_from_object[:3, :3].T + world_from_object[:3, 3]
            uv, z = project_points(K, camera_from_world, corners)
            assert (z > 0).all()
            x, y, w, h = obj["bbox_amodal"]
            # every covered pixel centre lies inside the projected box: the corner extent bounds the box
            assert uv[:, 0].min() - 1 <= x and x + w - 1 <= uv[:, 0].max() + 1
            assert uv[:, 1].min() - 1 <= y and y + h - 1 <= uv[:, 1].max() + 1
            checked += 1
    assert checked > 5


@pytest.mark.parametrize("name", ["street_dataset", "tabletop_dataset"])
def test_visible_box_inside_amodal_box_and_visibility(name, request):
    root = request.getfixturevalue(name)
    for _, objects in _objects(root):
        for obj in objects:
            if not obj["visible"]:
                assert obj["bbox_visible"] is None and obj["occlusion"] == 3 and obj["visibility"] == 0
                continue
            vx, vy, vw, vh = obj["bbox_visible"]
            ax, ay, aw, ah = obj["bbox_amodal"]
            assert ax <= vx and ay <= vy and vx + vw <= ax + aw and vy + vh <= ay + ah
            assert 0 < obj["visibility"] <= 1.0
            assert obj["visible_pixels"] <= obj["unoccluded_pixels"]
            assert obj["visibility"] == pytest.approx(obj["visible_pixels"] / obj["unoccluded_pixels"])
            assert 0.0 <= obj["truncation"] <= 1.0


def test_some_objects_are_occluded_and_some_truncated(street_dataset):
    objs = [o for _, objects in _objects(street_dataset) for o in objects]
    assert any(0 < o["visibility"] < 0.9 for o in objs), "street scenes should contain occlusion"
    assert any(o["occlusion"] == 0 for o in objs)


def test_camera_frame_box_matches_world_box(street_dataset):
    for calib, objects in _objects(street_dataset):
        camera_from_world = invert_pose(np.array(calib["world_from_sensor"]))
        for obj in objects:
            centre_cam = camera_from_world[:3, :3] @ obj["box3d_world"]["center"] + camera_from_world[:3, 3]
            np.testing.assert_allclose(obj["box3d_camera"]["center"], centre_cam, atol=1e-9)
            assert obj["range_m"] == pytest.approx(np.linalg.norm(centre_cam))


@pytest.mark.parametrize("kind", ["street", "tabletop"])
def test_backend_visible_pixels_lie_inside_amodal_masks(kind):
    """On raw backend output (no label post-processing): every pixel carrying an id belongs to that
    object's amodal mask, and every visible object has an amodal mask."""
    from generator.config import compose_config
    from generator.world.sampling import sample_scene
    from renderers.base import Pass
    from renderers.pyrender import create_backend

    cfg = compose_config([f"scene={kind}", "seed=21", "camera.width=320", "camera.height=240"])
    with create_backend(frozenset({Pass.INSTANCE, Pass.AMODAL})) as backend:
        for index in range(4):
            result = backend.render(sample_scene(cfg, index), 0.0)
            ids = set(np.unique(result.instance).tolist()) - {0}
            assert ids <= set(result.amodal)
            for iid in ids:
                visible = result.instance == iid
                assert not (visible & ~result.amodal[iid]).any(), (index, iid)

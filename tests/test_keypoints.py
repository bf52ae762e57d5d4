"""Keypoint labels of articulated people (labels.keypoints): the flag's definition on synthetic buffers,
then people in ray-cast scenes (tests/_pixel_cast.py: exact instance and depth passes, no GL) hidden by
another object, by scenery, by their own body, or partly outside the image; rigid records unchanged."""

from __future__ import annotations

import numpy as np
import pytest
from _people import box, camera, cyclist, person, scene
from _pixel_cast import PixelCastBackend

from assets.articulated import keypoints_world
from generator.run.judging import JudgePlan, judge_frame
from generator.run.scene_job import compute_frame
from labels import annotate
from labels.keypoints import keypoint_visibility
from renderers.base import Pass
from scenes.pose import joint_frames
from scenes.skeleton import COCO_KEYPOINTS, EXTRA_JOINTS, JOINT_INDEX
from scenes.transforms import invert_pose, transform_points

KP = {name: k for k, name in enumerate(COCO_KEYPOINTS)}
KEYPOINT_FIELDS = {"keypoints_world", "keypoints_camera", "joints_world", "keypoints", "num_keypoints"}
KEYPOINT_FIELDS |= {"keypoint_occluders"}
K = np.array([[128.0, 0.0, 15.0], [0.0, 128.0, 10.0], [0.0, 0.0, 1.0]])  # a 30 x 20 image


def _at(u: float, v: float, z: float) -> list[float]:
    """The camera-frame point that projects to (u, v) at depth z through K (exactly, for z a power of 2)."""
    return [(u - 15.0) * z / 128.0, (v - 10.0) * z / 128.0, z]


# --- the definition, on a synthetic instance map and depth --------------------------------------------


def test_flags_and_occluders_on_a_synthetic_buffer():
    person_id, car_id = 5, 9
    instance = np.zeros((20, 30), np.uint16)
    depth = np.zeros((20, 30), np.float32)
    instance[2:18, 5:25], depth[2:18, 5:25] = person_id, 4.0  # the person's surface at 4 m
    instance[12:18, 5:12], depth[12:18, 5:12] = car_id, 3.0  # a car in front of its lower left
    instance[2:5, 20:25], depth[2:5, 20:25] = person_id, 3.5  # its own arm 0.5 m in front of its chest
    depth[0, :] = 2.0  # scenery (id 0) along the top row
    instance[2:18, 25:27], depth[2:18, 25:27] = 11, 6.0  # a wall 2 m behind, right of the person
    points = np.array(
        [
            _at(10.0, 6.0, 4.05),  # on its own surface, 5 cm behind it: r 0.06 encloses -> visible
            _at(8.0, 14.0, 4.05),  # behind the car -> hidden by the car
            _at(22.0, 3.0, 4.05),  # behind its own arm -> hidden by itself
            _at(10.0, 0.0, 4.05),  # behind scenery -> hidden, occluder 0
            _at(28.0, 10.0, 4.05),  # in the image, where nothing is drawn -> hidden, occluder 0
            _at(25.0, 10.0, 4.05),  # where the wall behind shows: not the person's surface -> "hidden", 11
            _at(-0.6, 6.0, 4.05),  # rounds to column -1: outside
            [0.0, 0.0, 0.05],  # in front of the camera but nearer than znear
            [0.0, 0.0, -2.0],  # behind the camera
        ]
    )
    radii = np.full(len(points), 0.06)
    uv, flags, occluders = keypoint_visibility(points, K, 0.1, radii, person_id, instance, depth)
    assert flags.tolist() == [2, 1, 1, 1, 1, 1, 0, 0, 0]
    assert occluders == [None, car_id, person_id, 0, 0, 11, None, None, None]
    expected_uv = [[10, 6], [8, 14], [22, 3], [10, 0], [28, 10], [25, 10], [-0.6, 6]]
    np.testing.assert_allclose(uv[:7], expected_uv, atol=1e-12)
    assert (uv[7:] == 0).all()  # behind the camera: no projection


def test_pixel_rounding_and_the_depth_tolerance_at_its_bounds():
    instance = np.full((20, 30), 5, np.uint16)
    depth = np.full((20, 30), 7.0, np.float32)
    depth[:, 29] = 20.0
    instance[5, 4] = 0  # at u = 4.5 (half-way between columns 4 and 5) the keypoint is in column 5
    # (u, v): the pixel is the one whose half-open area [j - 1/2, j + 1/2) holds u
    cases = [(-0.5, 3.0), (-0.5001, 3.0), (29.4999, 3.0), (29.5, 3.0), (3.0, 19.4999), (3.0, 19.5), (3.0, -0.5)]
    cases += [(4.5, 5.0), (4.4999, 5.0)]
    points = np.array([_at(u, v, 8.0) for u, v in cases])
    _, flags, _ = keypoint_visibility(points, K, 0.1, np.full(len(cases), 1.0), 5, instance, depth)
    assert flags.tolist() == [2, 0, 2, 0, 2, 0, 2, 2, 1]
    # tol(10 m) = 0.01 + 1e-4 * 10 = 0.011 m: a surface r + 0.0109 m in front still shows the keypoint,
    # r + 0.0111 m does not (it is a nearer part of the body)
    z, r = 10.0, 0.05
    for gap, flag in ((0.0109, 2), (0.0111, 1)):
        depth[:] = z - r - gap
        _, flags, occ = keypoint_visibility(np.array([_at(10.0, 10.0, z)]), K, 0.1, np.array([r]), 5, instance, depth)
        assert (flags[0], occ[0]) == (flag, None if flag == 2 else 5), gap


# --- people in ray-cast scenes ---------------------------------------------------------------------------


def _labels(s, t_frame: int = 0):
    cam = s.rig.cameras[0]
    result = PixelCastBackend().render(s, s.frame_time(t_frame), cam.name)
    return result, annotate(s, t_frame, cam, result.instance, result.amodal, result.depth)["objects"][cam.name]


def test_a_person_behind_a_low_wall_facing_the_camera():
    # the camera at 1.2 m looks along +x at a person 6 m away facing it (yaw pi), a box covering it below 0.7 m
    walker, wall = person(1, (6.0, 0.0), np.pi), box(2, (5.0, 0.0, 0.35), (0.2, 2.0, 0.7))
    s = scene([walker, wall])
    result, (rec, wall_rec) = _labels(s)
    assert KEYPOINT_FIELDS <= set(rec) and not KEYPOINT_FIELDS & set(wall_rec)
    flags = {name: kp[2] for name, kp in zip(COCO_KEYPOINTS, rec["keypoints"], strict=True)}
    occluders = dict(zip(COCO_KEYPOINTS, rec["keypoint_occluders"], strict=True))
    for name in ("nose", "left_eye", "right_eye", "left_shoulder", "right_shoulder"):
        assert flags[name] == 2 and occluders[name] is None, name
    for name in ("left_knee", "right_knee", "left_ankle", "right_ankle"):
        assert flags[name] == 1 and occluders[name] == 2, name  # the wall's id
    assert rec["num_keypoints"] == 17
    # geometry: the keypoints are the skeleton's at t, in the world and the camera frame, projected by K
    world = np.array(rec["keypoints_world"])
    np.testing.assert_allclose(world, keypoints_world(walker, 0.0), atol=1e-12)
    camera_from_world = invert_pose(s.rig.world_from_sensor(s.rig.cameras[0], 0.0))
    cam_points = np.array(rec["keypoints_camera"])
    np.testing.assert_allclose(cam_points, transform_points(camera_from_world, world), atol=1e-12)
    K = s.rig.cameras[0].K
    projected = cam_points @ K.T
    np.testing.assert_allclose(np.array(rec["keypoints"])[:, :2], projected[:, :2] / projected[:, 2:], atol=1e-9)
    # the nose is nearer the camera than the ears (the person faces it); heads up, feet down in the image
    assert cam_points[KP["nose"], 2] < cam_points[KP["left_ear"], 2]
    assert cam_points[KP["nose"], 1] < cam_points[KP["left_ankle"], 1]
    # every visible keypoint lies on the person's visible pixels
    for u, v, flag in rec["keypoints"]:
        if flag == 2:
            assert result.instance[int(np.floor(v + 0.5)), int(np.floor(u + 0.5))] == 1
    frames = joint_frames(walker.skeleton, walker.trajectory, 0.0)
    pose = walker.trajectory.pose_at(0.0)
    for name in EXTRA_JOINTS:
        expected = pose[:3, :3] @ frames[JOINT_INDEX[name], :3, 3] + pose[:3, 3]
        np.testing.assert_allclose(rec["joints_world"][name], expected, atol=1e-12)


def test_a_person_seen_from_its_side_hides_its_far_side_and_scenery_hides_its_head():
    # facing +y, the person shows its left side to a camera looking along +x: its right ear, eye and
    # shoulder are behind its own head and torso
    s = scene([person(3, (5.0, 0.0), np.pi / 2)])
    _, (rec,) = _labels(s)
    flags = dict(zip(COCO_KEYPOINTS, (kp[2] for kp in rec["keypoints"]), strict=True))
    occluders = dict(zip(COCO_KEYPOINTS, rec["keypoint_occluders"], strict=True))
    for name in ("right_ear", "right_eye", "right_shoulder", "right_hip"):
        assert (flags[name], occluders[name]) == (1, 3), name
    for name in ("left_ear", "left_shoulder", "left_hip"):
        assert (flags[name], occluders[name]) == (2, None), name
    # an unlabelled sign (id 0) in front of its head
    s = scene([person(3, (5.0, 0.0), np.pi / 2), box(0, (4.0, 0.0, 1.6), (0.05, 1.0, 0.4))])
    _, (rec,) = _labels(s)
    for name in ("nose", "left_eye", "left_ear"):
        assert (rec["keypoints"][KP[name]][2], rec["keypoint_occluders"][KP[name]]) == (1, 0), name


def test_a_person_partly_outside_the_image():
    # at 4 m and 2.25 m to the camera's left, the left image edge cuts the person: keypoints left of u = -0.5
    # are outside (flag 0), counted out of num_keypoints; its box truncation agrees that it is cut
    s = scene([person(4, (4.0, 2.25), np.pi)], cam=camera(160, 120))
    _, (rec,) = _labels(s)
    uv = np.array(rec["keypoints"])
    outside = uv[:, 0] < -0.5
    assert 0 < outside.sum() < 17 and rec["truncation"] > 0
    assert (uv[outside, 2] == 0).all() and (uv[~outside, 2] > 0).all()
    assert rec["num_keypoints"] == 17 - outside.sum()
    assert all(o is None for o, out in zip(rec["keypoint_occluders"], outside, strict=True) if out)


def test_keypoints_follow_a_walkers_pose_at_the_frame_time_and_a_rider_sits_on_its_bicycle():
    walker, rider = person(1, (8.0, -1.5), np.pi / 2, speed=1.4), cyclist(2, (10.0, 2.0), -np.pi / 2)
    s = scene([walker, rider], num_frames=10)
    first, last = _labels(s, 0)[1], _labels(s, 7)[1]
    for entity, a, b in zip((walker, rider), first, last, strict=True):
        np.testing.assert_allclose(b["keypoints_world"], keypoints_world(entity, s.frame_time(7)), atol=1e-12)
        moved = np.array(b["keypoints_world"]) - np.array(a["keypoints_world"])
        # the whole body moved along the trajectory; the limbs moved against the trunk (gait, pedalling)
        travelled = entity.trajectory.pose_at(0.7)[:3, 3] - entity.trajectory.pose_at(0.0)[:3, 3]
        assert np.linalg.norm(moved.mean(axis=0) - travelled) < 0.15
        assert np.ptp(np.linalg.norm(moved - travelled, axis=1)) > 0.05
    # the rider's hips are on its saddle and its wrists at its handlebar (within a limb's radius)
    contacts, pose = rider.skeleton.bicycle, rider.trajectory.pose_at(0.0)
    body_to_world = pose.copy()
    body_to_world[:3, 3] -= pose[:3, :3] @ np.asarray(rider.skeleton.origin_in_body)
    saddle = transform_points(body_to_world, np.array([contacts["saddle"]]))[0]
    hips = np.array(first[1]["keypoints_world"])[[KP["left_hip"], KP["right_hip"]]].mean(axis=0)
    assert np.linalg.norm(hips[:2] - saddle[:2]) < 0.15 and 0.0 < hips[2] - saddle[2] < 0.2


def test_rigid_records_do_not_change_and_no_depth_means_no_keypoint_fields():
    cam = camera(160, 120)
    crate = box(2, (6.0, 1.0, 0.5), (1.0, 1.0, 1.0))
    alone = scene([crate], cam=cam)
    result = PixelCastBackend().render(alone, 0.0)
    before = annotate(alone, 0, cam, result.instance, result.amodal, result.depth)["objects"]["cam"]
    with_person = scene([person(1, (6.0, -1.5), np.pi)] + [crate], cam=cam)
    result = PixelCastBackend().render(with_person, 0.0)
    full = annotate(with_person, 0, cam, result.instance, result.amodal, result.depth)["objects"]["cam"]
    assert full[1] == before[0]
    # without a depth pass (cheap judging of a target on instance and amodal) the person's record has no
    # keypoint field and its other fields are the full frame's
    no_depth = annotate(with_person, 0, cam, result.instance, result.amodal)["objects"]["cam"]
    assert no_depth[0] == {k: v for k, v in full[0].items() if k not in KEYPOINT_FIELDS}
    assert no_depth[1] == before[0]


@pytest.mark.parametrize("passes", [frozenset({Pass.INSTANCE, Pass.AMODAL}), frozenset()])
def test_full_frames_have_keypoints_and_judging_without_depth_has_none(passes):
    s = scene([person(1, (6.0, 0.0), np.pi), cyclist(2, (9.0, 1.0), np.pi)])
    full = compute_frame(s, 0, PixelCastBackend(), flow=False).labels["objects"]["cam"]
    assert all(KEYPOINT_FIELDS <= set(rec) for rec in full)
    judged = judge_frame(s, 0, PixelCastBackend(), JudgePlan(cameras={"cam": passes})).labels["objects"]["cam"]
    assert all(not KEYPOINT_FIELDS & set(rec) for rec in judged)

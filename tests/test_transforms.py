"""scenes.transforms: frames, projection, quaternions, box corners."""

from __future__ import annotations

import numpy as np
import pytest

from scenes.transforms import (
    OPENGL_FROM_OPENCV,
    box_corners,
    intrinsics_from_fov,
    invert_pose,
    look_at,
    make_pose,
    matrix_from_quaternion,
    opencv_from_opengl_pose,
    opengl_from_opencv_pose,
    project_points,
    quaternion_from_matrix,
    rotation_x,
    rotation_z,
    slerp,
)


def random_rotation(rng):
    q = rng.normal(size=4)
    return matrix_from_quaternion(q / np.linalg.norm(q))


def test_quaternion_round_trip_and_w_non_negative():
    rng = np.random.default_rng(0)
    for _ in range(200):
        rot = random_rotation(rng)
        q = quaternion_from_matrix(rot)
        assert q[0] >= 0 and np.isclose(np.linalg.norm(q), 1)
        np.testing.assert_allclose(matrix_from_quaternion(q), rot, atol=1e-12)
    # 180-degree turns exercise the non-trace branches
    for rot in (np.diag([1.0, -1, -1]), np.diag([-1.0, 1, -1]), np.diag([-1.0, -1, 1])):
        np.testing.assert_allclose(matrix_from_quaternion(quaternion_from_matrix(rot)), rot, atol=1e-12)


def test_yaw_quaternion_is_rotation_about_z():
    q = quaternion_from_matrix(rotation_z(np.pi / 3))
    np.testing.assert_allclose(q, [np.cos(np.pi / 6), 0, 0, np.sin(np.pi / 6)], atol=1e-12)


def test_invert_pose():
    rng = np.random.default_rng(1)
    pose = make_pose(random_rotation(rng), rng.normal(size=3))
    np.testing.assert_allclose(invert_pose(pose) @ pose, np.eye(4), atol=1e-12)


def test_look_at_points_optical_axis_at_target_with_image_down_along_minus_z():
    eye, target = np.array([1.0, 2.0, 3.0]), np.array([5.0, 2.0, 3.0])
    pose = look_at(eye, target)
    np.testing.assert_allclose(pose[:3, 2], [1, 0, 0], atol=1e-12)  # z forward
    np.testing.assert_allclose(pose[:3, 1], [0, 0, -1], atol=1e-12)  # y down
    np.testing.assert_allclose(pose[:3, 0], [0, -1, 0], atol=1e-12)  # x right (looking +x, right is -y)
    assert np.isclose(np.linalg.det(pose[:3, :3]), 1.0)


def test_opengl_conversion_flips_y_and_z_and_round_trips():
    pose = look_at([0, 0, 1], [3, 0, 1])
    gl = opengl_from_opencv_pose(pose)
    np.testing.assert_allclose(gl[:3, 2], -pose[:3, 2])  # GL looks down -z
    np.testing.assert_allclose(gl[:3, 1], -pose[:3, 1])  # GL y up
    np.testing.assert_allclose(opencv_from_opengl_pose(gl), pose)
    np.testing.assert_allclose(OPENGL_FROM_OPENCV @ OPENGL_FROM_OPENCV, np.eye(4))


def test_projection_of_principal_ray_and_fov_edge():
    K = intrinsics_from_fov(640, 480, 90.0)
    assert K[0, 0] == pytest.approx(320.0) and K[0, 2] == pytest.approx(319.5)
    pose = look_at([0, 0, 0], [0, 0, 5], up=[0, -1, 0])  # camera = world frame (OpenCV)
    np.testing.assert_allclose(pose, np.eye(4), atol=1e-12)
    uv, z = project_points(K, np.eye(4), np.array([[0, 0, 4.0], [4.0, 0, 4.0], [0, -2.0, 4.0]]))
    np.testing.assert_allclose(uv[0], [319.5, 239.5])
    np.testing.assert_allclose(uv[1], [319.5 + 320, 239.5])  # 45 degrees right: the image edge
    np.testing.assert_allclose(uv[2], [319.5, 239.5 - 160])
    np.testing.assert_allclose(z, 4.0)


def test_box_corners():
    corners = box_corners([4.0, 2.0, 1.0])
    assert corners.shape == (8, 3)
    np.testing.assert_allclose(corners.min(0), [-2, -1, -0.5])
    np.testing.assert_allclose(corners.max(0), [2, 1, 0.5])
    assert len({tuple(c) for c in corners}) == 8


def test_slerp_halfway_between_yaws():
    q0, q1 = quaternion_from_matrix(rotation_z(0.0)), quaternion_from_matrix(rotation_z(1.0))
    np.testing.assert_allclose(matrix_from_quaternion(slerp(q0, q1, 0.5)), rotation_z(0.5), atol=1e-12)
    np.testing.assert_allclose(matrix_from_quaternion(slerp(q0, q1, 0.0)), np.eye(3), atol=1e-12)
    assert rotation_x(0.3).shape == (3, 3)

"""Frames, poses and projections: the one place where conventions are converted.

Conventions (DESIGN.md):
- world frame: right-handed, z up, ground at z = 0; metres.
- poses are 4x4 float64 matrices named ``a_from_b`` (maps points in frame b to frame a).
- object frame: origin at the 3D box centre, x forward, y left, z up.
- camera frame for every output: OpenCV (x right, y down, z forward). OpenGL/Blender cameras
  (x right, y up, z backward) are converted only through :func:`opengl_from_opencv_pose`.
- intrinsics K in pixels, OpenCV convention: the centre of pixel (row i, column j) is (u, v) = (j, i).
"""

from __future__ import annotations

import numpy as np

# Maps points from an OpenCV camera frame to the OpenGL camera frame sharing its origin (flip y, z).
OPENGL_FROM_OPENCV = np.diag([1.0, -1.0, -1.0, 1.0])


def make_pose(rotation: np.ndarray, translation: np.ndarray) -> np.ndarray:
    """Build a 4x4 pose from a (3, 3) rotation and a (3,) translation in metres."""
    pose = np.eye(4)
    pose[:3, :3] = rotation
    pose[:3, 3] = translation
    return pose


def rotation_z(yaw: float) -> np.ndarray:
    """(3, 3) rotation by ``yaw`` radians about +z (counter-clockwise seen from above)."""
    c, s = np.cos(yaw), np.sin(yaw)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def rotation_x(angle: float) -> np.ndarray:
    """(3, 3) rotation by ``angle`` radians about +x."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def invert_pose(a_from_b: np.ndarray) -> np.ndarray:
    """Invert a rigid 4x4 pose: returns ``b_from_a``."""
    rot = a_from_b[:3, :3]
    inv = np.eye(4)
    inv[:3, :3] = rot.T
    inv[:3, 3] = -rot.T @ a_from_b[:3, 3]
    return inv


def transform_points(a_from_b: np.ndarray, points_b: np.ndarray) -> np.ndarray:
    """Apply a 4x4 pose to (n, 3) points given in frame b; returns (n, 3) points in frame a."""
    points_b = np.asarray(points_b, dtype=np.float64)
    return points_b @ a_from_b[:3, :3].T + a_from_b[:3, 3]


def opengl_from_opencv_pose(world_from_cv_camera: np.ndarray) -> np.ndarray:
    """Convert an OpenCV camera pose (x right, y down, z forward) to the OpenGL/Blender camera pose
    (x right, y up, z backward) at the same place: returns ``world_from_gl_camera``."""
    return world_from_cv_camera @ OPENGL_FROM_OPENCV


def opencv_from_opengl_pose(world_from_gl_camera: np.ndarray) -> np.ndarray:
    """Inverse of :func:`opengl_from_opencv_pose`: returns ``world_from_cv_camera``."""
    return world_from_gl_camera @ OPENGL_FROM_OPENCV


def look_at(eye: np.ndarray, target: np.ndarray, up: np.ndarray = (0.0, 0.0, 1.0)) -> np.ndarray:
    """OpenCV camera pose ``world_from_camera`` at ``eye`` with its optical axis (+z) through ``target``.

    Image "up" (-y) follows the world ``up`` vector as closely as possible. All inputs in world metres.
    """
    eye = np.asarray(eye, dtype=np.float64)
    forward = np.asarray(target, dtype=np.float64) - eye
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, np.asarray(up, dtype=np.float64))
    if np.linalg.norm(right) < 1e-9:  # looking straight along `up`: any right vector will do
        right = np.cross(forward, [1.0, 0.0, 0.0])
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    return make_pose(np.stack([right, down, forward], axis=1), eye)


def intrinsics_from_fov(width: int, height: int, fov_deg: float) -> np.ndarray:
    """K (3, 3) for square pixels and a horizontal field of view in degrees, principal point at
    the image centre in OpenCV pixel coordinates ((width - 1) / 2, (height - 1) / 2)."""
    fx = 0.5 * width / np.tan(0.5 * np.radians(fov_deg))
    return np.array([[fx, 0.0, (width - 1) / 2.0], [0.0, fx, (height - 1) / 2.0], [0.0, 0.0, 1.0]])


def project_points(K: np.ndarray, camera_from_world: np.ndarray, points_world: np.ndarray):
    """Project (n, 3) world points through an OpenCV camera.

    Returns ``(uv, z)``: uv (n, 2) pixel coordinates (u = column, v = row) and z (n,) planar depth in
    metres along the optical axis. Points with z <= 0 are behind the camera; their uv is meaningless.
    """
    pts = transform_points(camera_from_world, points_world)
    z = pts[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        uv = (pts[:, :2] / z[:, None]) * [K[0, 0], K[1, 1]] + [K[0, 2], K[1, 2]]
    return uv, z


def box_corners(size_m: np.ndarray) -> np.ndarray:
    """The 8 corners (8, 3) of a box of size [length, width, height] centred at the origin of its own
    frame (x forward, y left, z up). Order: bit 0 of the index selects +x, bit 1 +y, bit 2 +z."""
    half = 0.5 * np.asarray(size_m, dtype=np.float64)
    signs = np.array([[1 if i & 1 else -1, 1 if i & 2 else -1, 1 if i & 4 else -1] for i in range(8)])
    return signs * half


# Box edges as index pairs into box_corners(), used for clipping and drawing.
BOX_EDGES = [(a, b) for a in range(8) for b in range(a + 1, 8) if bin(a ^ b).count("1") == 1]


def quaternion_from_matrix(rotation: np.ndarray) -> np.ndarray:
    """Unit quaternion (w, x, y, z), w >= 0, from a (3, 3) rotation matrix."""
    m = np.asarray(rotation, dtype=np.float64)
    trace = np.trace(m)
    if trace > 0:
        s = 2.0 * np.sqrt(trace + 1.0)
        q = [0.25 * s, (m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s]
    elif m[0, 0] > m[1, 1] and m[0, 0] > m[2, 2]:
        s = 2.0 * np.sqrt(1.0 + m[0, 0] - m[1, 1] - m[2, 2])
        q = [(m[2, 1] - m[1, 2]) / s, 0.25 * s, (m[0, 1] + m[1, 0]) / s, (m[0, 2] + m[2, 0]) / s]
    elif m[1, 1] > m[2, 2]:
        s = 2.0 * np.sqrt(1.0 + m[1, 1] - m[0, 0] - m[2, 2])
        q = [(m[0, 2] - m[2, 0]) / s, (m[0, 1] + m[1, 0]) / s, 0.25 * s, (m[1, 2] + m[2, 1]) / s]
    else:
        s = 2.0 * np.sqrt(1.0 + m[2, 2] - m[0, 0] - m[1, 1])
        q = [(m[1, 0] - m[0, 1]) / s, (m[0, 2] + m[2, 0]) / s, (m[1, 2] + m[2, 1]) / s, 0.25 * s]
    q = np.array(q)
    q /= np.linalg.norm(q)
    return -q if q[0] < 0 else q


def matrix_from_quaternion(q: np.ndarray) -> np.ndarray:
    """(3, 3) rotation matrix from a quaternion (w, x, y, z); normalised first."""
    w, x, y, z = np.asarray(q, dtype=np.float64) / np.linalg.norm(q)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def slerp(q0: np.ndarray, q1: np.ndarray, alpha: float) -> np.ndarray:
    """Spherical linear interpolation between unit quaternions (w, x, y, z), alpha in [0, 1]."""
    q0, q1 = np.asarray(q0, dtype=np.float64), np.asarray(q1, dtype=np.float64)
    dot = float(np.dot(q0, q1))
    if dot < 0:  # take the short way round
        q1, dot = -q1, -dot
    if dot > 0.9995:
        q = q0 + alpha * (q1 - q0)
        return q / np.linalg.norm(q)
    theta = np.arccos(dot)
    return (np.sin((1 - alpha) * theta) * q0 + np.sin(alpha * theta) * q1) / np.sin(theta)


def yaw_from_matrix(rotation: np.ndarray) -> float:
    """Heading in radians of the frame's +x axis, measured about +z of the parent frame."""
    return float(np.arctan2(rotation[1, 0], rotation[0, 0]))


def light_pose(direction: tuple[float, float, float]) -> np.ndarray:
    """World pose (4x4) of a directional light whose -z axis points along ``direction`` (world frame,
    the way the light travels), as pyrender's DirectionalLight and Blender's sun and area lamps expect.
    Translation is zero."""
    z_axis = -np.asarray(direction, dtype=np.float64)
    norm = np.linalg.norm(z_axis)
    if norm < 1e-12:
        raise ValueError("directional light needs a non-zero direction")
    z_axis /= norm
    # Any x axis perpendicular to z will do; pick the world axis least aligned with z for stability.
    helper = np.eye(3)[int(np.argmin(np.abs(z_axis)))]
    x_axis = np.cross(helper, z_axis)
    x_axis /= np.linalg.norm(x_axis)
    y_axis = np.cross(z_axis, x_axis)
    return make_pose(np.stack([x_axis, y_axis, z_axis], axis=1), np.zeros(3))

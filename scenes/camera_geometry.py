"""Camera geometry shared by the backends and the labels: which 3D boxes a camera may see, and the part of
a box in front of its near plane. Frames: the OpenCV camera frame (x right, y down, z forward), poses
4x4 ``a_from_b``, K in pixels with pixel (row i, column j) centred at (u, v) = (j, i) (DESIGN.md).
"""

from __future__ import annotations

import numpy as np

from scenes.transforms import BOX_EDGES, box_corners, transform_points


def box_in_view(
    K: np.ndarray,
    width: int,
    height: int,
    znear: float,
    zfar: float,
    camera_from_object: np.ndarray,
    size_m: tuple[float, float, float],
) -> bool:
    """Whether a 3D box may cover a pixel of the image: False only when it lies entirely outside one
    plane of the view frustum (conservative, like GL frustum culling).

    Args:
        K: (3, 3) OpenCV intrinsics in pixels, zero skew.
        width, height: image size in pixels.
        znear, zfar: clipping distances in metres along the optical axis.
        camera_from_object: (4, 4) pose of the box's frame in the OpenCV camera frame.
        size_m: [length, width, height] of the box in metres, centred on its frame's origin.
    """
    x, y, z = transform_points(camera_from_object, box_corners(size_m)).T
    fx, fy, cx, cy = K[0, 0], K[1, 1], K[0, 2], K[1, 2]
    # Each row is one half-space the frustum lies in, as "value >= 0"; the image spans pixel edges
    # u in [-0.5, width - 0.5], v in [-0.5, height - 0.5]. Multiplying through by z keeps the planes
    # valid for corners behind the camera.
    inside = np.stack(
        [
            z - znear,
            zfar - z,
            fx * x + (cx + 0.5) * z,
            (width - 0.5 - cx) * z - fx * x,
            fy * y + (cy + 0.5) * z,
            (height - 0.5 - cy) * z - fy * y,
        ]
    )
    return not bool(np.any(np.all(inside < 0, axis=1)))


def near_clipped_box_points(camera_from_object: np.ndarray, size_m, znear: float) -> np.ndarray:
    """Points (n, 3) in the camera frame outlining the box's part in front of the near plane: the
    corners with z >= znear plus the crossings of the box edges with z = znear. Empty if none."""
    corners = transform_points(camera_from_object, box_corners(size_m))
    points = [c for c in corners if c[2] >= znear]
    for a, b in BOX_EDGES:
        za, zb = corners[a, 2], corners[b, 2]
        if (za - znear) * (zb - znear) < 0:
            s = (znear - za) / (zb - za)
            points.append(corners[a] + s * (corners[b] - corners[a]))
    return np.array(points).reshape(-1, 3)


def pixel_rays(K: np.ndarray, width: int, height: int) -> np.ndarray:
    """(H, W, 3) rays (x, y, 1) through each pixel centre in the OpenCV camera frame (pixel (i, j) at
    (u, v) = (j, i), DESIGN.md): a point at planar depth z on the ray is z times it."""
    v, u = np.mgrid[0:height, 0:width].astype(np.float64)
    return np.stack([(u - K[0, 2]) / K[0, 0], (v - K[1, 2]) / K[1, 1], np.ones_like(u)], axis=-1)


def ray_distance_m(depth_planar_m: np.ndarray, K: np.ndarray) -> np.ndarray:
    """(H, W) Euclidean distance (m) from the camera centre to each pixel's surface, from the planar depth
    (z along the optical axis, 0 = no surface, kept 0)."""
    depth = np.asarray(depth_planar_m, dtype=np.float64)
    rays = pixel_rays(K, depth.shape[1], depth.shape[0])
    return depth * np.linalg.norm(rays, axis=-1)

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


def ray_lengths(K: np.ndarray, width: int, height: int) -> np.ndarray:
    """(height, width) float64 length of each pixel centre's ray K^-1 [u, v, 1] (OpenCV camera frame, z = 1):
    the Euclidean distance (m) to a surface is its planar depth times this."""
    inv = np.linalg.inv(np.asarray(K, dtype=np.float64))
    u, v = np.meshgrid(np.arange(width, dtype=np.float64), np.arange(height, dtype=np.float64))
    rays = inv[:, 0, None, None] * u + inv[:, 1, None, None] * v + inv[:, 2, None, None]
    return np.sqrt((rays**2).sum(axis=0))

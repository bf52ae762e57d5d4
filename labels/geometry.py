"""Pure geometry for labels: 3D boxes in a frame, projected extents, polygon clipping, mask boxes."""

from __future__ import annotations

import numpy as np

from scenes.camera_geometry import near_clipped_box_points
from scenes.transforms import project_points, quaternion_from_matrix


def box3d_record(frame_from_object: np.ndarray, size_m: tuple[float, float, float]) -> dict:
    """A 3D box expressed in some frame: centre (m), size_m [l, w, h] and rotation quaternion (w, x, y, z)
    of the object frame in that frame."""
    return {
        "center": [float(v) for v in frame_from_object[:3, 3]],
        "size_m": [float(v) for v in size_m],
        "rotation_wxyz": [float(v) for v in quaternion_from_matrix(frame_from_object[:3, :3])],
    }


def rotation_y_kitti(camera_from_object: np.ndarray) -> float:
    """KITTI ``rotation_y``: rotation of the object's +x axis about the camera's +y axis (OpenCV frame),
    0 when the object points along the camera's +x, in [-pi, pi]."""
    forward = camera_from_object[:3, 0]
    return float(np.arctan2(-forward[2], forward[0]))


def convex_hull_2d(points: np.ndarray) -> np.ndarray:
    """Counter-clockwise convex hull (m, 2) of (n, 2) points (Andrew's monotone chain)."""
    pts = sorted(set(map(tuple, np.asarray(points, dtype=np.float64))))
    if len(pts) <= 2:
        return np.array(pts)

    def half(seq):
        out: list = []
        for p in seq:
            while len(out) >= 2 and _turn(out[-2], out[-1], p) <= 0:
                out.pop()
            out.append(p)
        return out

    lower, upper = half(pts), half(reversed(pts))
    return np.array(lower[:-1] + upper[:-1])


def _turn(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    """z of the cross product (a - o) x (b - o): > 0 for a counter-clockwise turn o -> a -> b. The same
    float64 operations as ``np.cross`` of the two differences, on scalars: np.cross's axis handling cost
    ~30 us a call, most of a frame's label time (a hull per object, for truncation)."""
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def polygon_area(poly: np.ndarray) -> float:
    """Area of a simple polygon (m, 2) (shoelace formula)."""
    if len(poly) < 3:
        return 0.0
    x, y = poly[:, 0], poly[:, 1]
    # the arrays np.roll(., -1) gives, without its per-call axis handling (a hull per object and frame)
    y_next, x_next = np.concatenate((y[1:], y[:1])), np.concatenate((x[1:], x[:1]))
    return 0.5 * abs(float(np.dot(x, y_next) - np.dot(y, x_next)))


def clip_polygon_to_rect(poly: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    """Sutherland-Hodgman clipping of a convex polygon (m, 2) to the rectangle [x0, x1] x [y0, y1]."""
    out = [tuple(p) for p in poly]
    for axis, bound, keep_below in ((0, x0, False), (0, x1, True), (1, y0, False), (1, y1, True)):

        def inside(p, a=axis, b=bound, k=keep_below):
            return p[a] <= b if k else p[a] >= b

        src, out = out, []
        for i, cur in enumerate(src):
            prev = src[i - 1]
            if inside(cur):
                if not inside(prev):
                    out.append(_crossing(prev, cur, axis, bound))
                out.append(cur)
            elif inside(prev):
                out.append(_crossing(prev, cur, axis, bound))
        if not out:
            break
    return np.array(out).reshape(-1, 2)


def _crossing(p, q, axis: int, bound: float) -> tuple[float, float]:
    s = (bound - p[axis]) / (q[axis] - p[axis])
    return (p[0] + s * (q[0] - p[0]), p[1] + s * (q[1] - p[1]))


def truncation(camera_from_object: np.ndarray, size_m, K: np.ndarray, width: int, height: int, znear: float) -> float:
    """Share in [0, 1] of the object's projected extent that falls outside the image.

    The extent is the convex hull of the projected 3D box (clipped at the near plane); the image is the
    rectangle of its pixels' areas, [-0.5, W - 0.5] x [-0.5, H - 0.5] in OpenCV pixel coordinates.
    An object wholly behind the camera has truncation 1.
    """
    pts = near_clipped_box_points(camera_from_object, size_m, znear)
    if len(pts) < 3:
        return 1.0
    uv, _ = project_points(K, np.eye(4), pts)
    hull = convex_hull_2d(uv)
    total = polygon_area(hull)
    if total <= 0.0:
        return 1.0
    inside = polygon_area(clip_polygon_to_rect(hull, -0.5, -0.5, width - 0.5, height - 0.5))
    return float(np.clip(1.0 - inside / total, 0.0, 1.0))


def mask_box(mask: np.ndarray) -> list[int] | None:
    """COCO box [x, y, w, h] of the pixels set in a bool (H, W) mask, None if empty."""
    cols = np.flatnonzero(mask.any(axis=0))
    if cols.size == 0:
        return None
    rows = np.flatnonzero(mask.any(axis=1))
    return [int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)]

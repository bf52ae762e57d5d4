"""What the KITTI exports (object, tracking) share: object types, the observation angle, the box fields
of a label line and the text of calibration rows.

Frames: our camera frame is OpenCV's, which is KITTI's camera frame (x right, y down, z forward), and
our images are undistorted, so KITTI's rectified camera 2 is our camera with R0_rect = I. A LiDAR frame
(x forward, y left, z up) is KITTI's velodyne frame.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scenes.transforms import matrix_from_quaternion

KITTI_TYPES: dict[str, str] = {"car": "Car", "truck": "Truck", "pedestrian": "Pedestrian", "cyclist": "Cyclist"}
# every other category is Misc: bus, traffic objects, street furniture, tabletop objects; KITTI has no
# motorcycle type (a ridden one is a Cyclist, Geiger et al. 2012's devkit readme): a parked, riderless one
# is Misc too
OTHER_TYPE = "Misc"


def kitti_type(category: str) -> str:
    """KITTI object type of one of our category names (Misc for those KITTI has no type for)."""
    return KITTI_TYPES.get(category, OTHER_TYPE)


def alpha(rotation_y: float, x: float, z: float) -> float:
    """KITTI observation angle (radians, in [-pi, pi)) of an object at camera-frame (x, z) in metres.

    The devkit's readme defines it in words: rotation_y is the heading in camera coordinates wherever the
    object is, while alpha also accounts for the ray from the camera to the object, so it equals
    rotation_y only for an object on the camera's z axis. That is alpha = rotation_y - arctan2(x, z):
    the ray's own angle about the y axis is removed. (Checked on KITTI's object training label 000000,
    a pedestrian at x 1.84, z 8.41 with rotation_y 0.01 and alpha -0.20.)
    """
    a = rotation_y - np.arctan2(x, z)
    return float((a + np.pi) % (2.0 * np.pi) - np.pi)


def bottom_center(box3d_camera: dict[str, Any]) -> np.ndarray:
    """(3,) bottom centre, metres, camera frame, of a box record (centre, size_m, rotation_wxyz): the centre
    moved by half the height along the object's down axis (object z is up)."""
    rotation = matrix_from_quaternion(box3d_camera["rotation_wxyz"])
    height = float(box3d_camera["size_m"][2])
    return np.asarray(box3d_camera["center"], dtype=np.float64) + rotation @ np.array([0.0, 0.0, -height / 2.0])


def box_fields(obj: dict[str, Any]) -> list[float]:
    """The 12 numeric fields both devkits share, in their order, of an object record whose
    ``bbox_amodal`` is not null: alpha, left, top, right, bottom, height, width, length, x, y, z, rotation_y.

    - left top right bottom: the amodal box's continuous pixel edges: left = x, top = y, right = x + w,
      bottom = y + h for our [x, y, w, h] (column j covers [j, j + 1)). The KITTI object devkit
      (``eval_object.cpp``: area (x2 - x1) * (y2 - y1), height bottom - top) and TrackEval's KITTI
      evaluators read boxes that way, so a one-pixel-wide object has width 1, not 0.
    - height width length: metres (our size_m is [length, width, height]).
    - x y z: bottom centre of the 3D box in the camera frame, metres.
    - rotation_y: radians about the camera's y axis, 0 when the object's forward axis is the camera's +x
      (our ``box3d_camera.rotation_y``).
    """
    box = obj["box3d_camera"]
    bx, by, bw, bh = (int(v) for v in obj["bbox_amodal"])
    length, width, height = (float(v) for v in box["size_m"])
    x, y, z = bottom_center(box)
    ry = float(box["rotation_y"])
    return [alpha(ry, x, z), bx, by, bx + bw, by + bh, height, width, length, x, y, z, ry]


def number(value: float) -> str:
    """A label field: KITTI's own files use fixed decimals; "+ 0.0" turns a rounded -0.0 into 0.0 so the
    text is stable."""
    return f"{round(float(value), 6) + 0.0:.6f}"


def calib_line(key: str, matrix: np.ndarray) -> str:
    """One calibration row: ``key`` (with its colon where the devkit has one) and the matrix row-major
    in the devkit's %e style, newline included."""
    return f"{key} " + " ".join(f"{v:.12e}" for v in np.asarray(matrix, dtype=np.float64).ravel()) + "\n"


def projection(K: Any) -> np.ndarray:
    """(3, 4) P = K [I | 0] of a (3, 3) K in pixels: the rectified camera's projection matrix."""
    return np.hstack([np.asarray(K, dtype=np.float64), np.zeros((3, 1))])


def rigid_3x4(a_from_b: np.ndarray) -> np.ndarray:
    """The top (3, 4) rows [R | t] of a 4x4 pose, as KITTI writes its Tr_* matrices."""
    return np.asarray(a_from_b, dtype=np.float64)[:3, :4]


def velodyne_bytes(points: np.ndarray) -> bytes:
    """velodyne/<index>.bin of (n,) POINT_DTYPE returns: n x 4 float32 little-endian x, y, z, reflectance."""
    scan = np.empty((len(points), 4), dtype="<f4")
    for k, name in enumerate(("x", "y", "z", "intensity")):
        scan[:, k] = points[name]
    return scan.tobytes()

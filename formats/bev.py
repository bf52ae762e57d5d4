"""Pictures of LiDAR sweeps for a person to check: a bird's-eye view with the 3D boxes, and the points
projected onto a camera image. Pure functions of arrays and label records; nothing here reads a dataset.

Colours: an instance's points (and its box) get :func:`instance_colour` of its id, the colour the preview
tints its mask with, so one object has one colour in every picture; points of the static world (id 0)
are grey, brighter for a higher intensity. Projected points are coloured by range instead.
"""

from __future__ import annotations

import colorsys
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from scenes.transforms import matrix_from_quaternion, project_points

BACKGROUND = (20, 20, 20)
RING_COLOUR = (48, 48, 48)  # range rings of the bird's-eye view
RING_STEP_M = 10.0
EGO_COLOUR = (255, 255, 255)


def instance_colour(instance_id: int) -> tuple[int, int, int]:
    """A stable, distinct colour per instance id (golden-ratio hue steps)."""
    r, g, b = colorsys.hsv_to_rgb((instance_id * 0.618034) % 1.0, 0.85, 1.0)
    return int(r * 255), int(g * 255), int(b * 255)


def point_colours(points: np.ndarray) -> np.ndarray:
    """(n, 3) uint8 RGB of (n,) points with ``instance_id`` and ``intensity`` fields (POINT_DTYPE): the
    instance colour, or for id 0 a grey from 64 (intensity 0) to 255 (intensity 1)."""
    ids = np.asarray(points["instance_id"])
    grey = np.rint(64.0 + 191.0 * np.clip(np.asarray(points["intensity"], dtype=np.float64), 0.0, 1.0))
    colours = np.repeat(grey.astype(np.uint8)[:, None], 3, axis=1)
    unique, inverse = np.unique(ids, return_inverse=True)
    palette = np.array([instance_colour(int(i)) for i in unique], dtype=np.uint8).reshape(-1, 3)
    labelled = ids != 0
    colours[labelled] = palette[inverse.reshape(-1)[labelled]]
    return colours


def range_colours(ranges: np.ndarray, max_range_m: float) -> np.ndarray:
    """(n, 3) uint8 RGB of (n,) ranges in metres: red near, through yellow and green, to blue at
    ``max_range_m`` and beyond."""
    hue = 0.66 * np.clip(np.asarray(ranges, dtype=np.float64) / max_range_m, 0.0, 1.0)
    return _hsv_to_rgb(hue, 1.0, 1.0)


def _hsv_to_rgb(hue: np.ndarray, saturation: float, value: float) -> np.ndarray:
    # colorsys.hsv_to_rgb, vectorised over hue in [0, 1]
    h6 = hue * 6.0
    sector = np.floor(h6).astype(int) % 6
    f = h6 - np.floor(h6)
    p = np.full_like(hue, value * (1.0 - saturation))
    q = value * (1.0 - saturation * f)
    t = value * (1.0 - saturation * (1.0 - f))
    v = np.full_like(hue, value)
    table = np.stack(
        [
            np.stack([v, t, p], axis=-1),
            np.stack([q, v, p], axis=-1),
            np.stack([p, v, t], axis=-1),
            np.stack([p, q, v], axis=-1),
            np.stack([t, p, v], axis=-1),
            np.stack([v, p, q], axis=-1),
        ]
    )
    rgb = table[sector, np.arange(len(hue))]
    return np.rint(255.0 * rgb).astype(np.uint8).reshape(-1, 3)


def bev_size(range_m: float, px_per_m: float) -> int:
    """Side in pixels of a bird's-eye view covering [-range_m, range_m] metres in x and y."""
    return max(1, int(round(2.0 * range_m * px_per_m)))


def bev_pixels(xy: np.ndarray, range_m: float, px_per_m: float) -> np.ndarray:
    """(n, 2) continuous pixel coordinates (u = column, v = row) of (n, 2) sensor-frame x, y in metres.

    The sensor is at the image centre, +x (forward) points up the image and +y (left) to the left; pixel
    (row i, column j) covers u in [j, j + 1), v in [i, i + 1), so a point lies in pixel (floor(v), floor(u)).
    """
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    half = bev_size(range_m, px_per_m) / 2.0
    return np.stack([half - xy[:, 1] * px_per_m, half - xy[:, 0] * px_per_m], axis=1)


def bev_image(
    points: np.ndarray, objects_lidar: list[dict[str, Any]], range_m: float = 60.0, px_per_m: float = 5.0
) -> Image.Image:
    """Bird's-eye view of a sweep: the points from above, the objects' 3D boxes as rotated rectangles
    with a heading tick and their instance id, range rings every 10 m and the sensor as a triangle.

    Args:
        points: (n,) POINT_DTYPE returns (x, y, z in the LiDAR frame, metres; invalid ones are skipped).
        objects_lidar: the LiDAR's object records (``box3d_sensor``: centre, size_m, rotation_wxyz in the
            LiDAR frame).
        range_m: metres shown ahead, behind and to each side of the sensor.
        px_per_m: pixels per metre; the image is ``bev_size(range_m, px_per_m)`` pixels square.
    Returns an RGB image (see :func:`bev_pixels` for where a point lands). Labelled points are drawn over
    the static world's; pixels outside the range are not drawn.
    """
    size = bev_size(range_m, px_per_m)
    image = Image.new("RGB", (size, size), BACKGROUND)
    draw = ImageDraw.Draw(image)
    centre = size / 2.0
    for k in range(1, int(range_m // RING_STEP_M) + 1):
        r = k * RING_STEP_M * px_per_m
        draw.ellipse([centre - r, centre - r, centre + r, centre + r], outline=RING_COLOUR)
    points = _valid(points)
    points = points[np.argsort(points["instance_id"] == 0, kind="stable")]  # labelled points win a pixel
    uv = bev_pixels(np.stack([points["x"], points["y"]], axis=1), range_m, px_per_m)
    canvas = np.array(image)
    _paint(canvas, np.floor(uv[:, 1]).astype(np.int64), np.floor(uv[:, 0]).astype(np.int64), point_colours(points))
    image = Image.fromarray(canvas)
    draw = ImageDraw.Draw(image)
    for obj in objects_lidar:
        _draw_box(draw, obj, range_m, px_per_m)
    s = max(3.0, 0.8 * px_per_m)  # sensor: a triangle pointing forward (+x, up the image)
    draw.polygon([(centre, centre - 1.5 * s), (centre - s, centre + s), (centre + s, centre + s)], outline=EGO_COLOUR)
    return image


def _draw_box(draw: ImageDraw.ImageDraw, obj: dict[str, Any], range_m: float, px_per_m: float) -> None:
    box = obj["box3d_sensor"]
    length, width, _ = (float(v) for v in box["size_m"])
    rotation = matrix_from_quaternion(box["rotation_wxyz"])
    centre = np.asarray(box["center"], dtype=np.float64)
    # footprint corners in the object frame, in drawing order, then the front edge's middle and the centre
    half = np.array([length / 2.0, width / 2.0, 0.0])
    local = np.array([[1, 1, 0], [1, -1, 0], [-1, -1, 0], [-1, 1, 0], [1, 0, 0], [0, 0, 0]]) * half
    xy = (local @ rotation.T + centre)[:, :2]
    uv = [tuple(p) for p in bev_pixels(xy, range_m, px_per_m)]
    colour = instance_colour(int(obj["instance_id"]))
    draw.polygon(uv[:4], outline=colour)
    draw.line([uv[5], uv[4]], fill=colour)  # heading: centre to the front
    left = min(u for u, _ in uv[:4])
    top = min(v for _, v in uv[:4])
    draw.text((left, top - 11), str(obj["instance_id"]), fill=colour)


def project_points_on_image(
    rgb: np.ndarray,
    points: np.ndarray,
    K: np.ndarray,
    camera_from_lidar: np.ndarray,
    max_range_m: float = 60.0,
    dot_px: int = 1,
) -> Image.Image:
    """The camera image with the LiDAR points that project into it drawn on top, coloured by range
    (:func:`range_colours`; near points drawn over far ones).

    Args:
        rgb: (H, W, 3) uint8 image of an OpenCV camera.
        points: (n,) POINT_DTYPE returns (x, y, z in the LiDAR frame, metres; invalid ones are skipped).
        K: (3, 3) intrinsics in pixels.
        camera_from_lidar: 4x4 pose mapping LiDAR-frame points into the camera frame (at the frame time:
            with motion skew, points of a moving sensor or object are off by their motion since the sweep
            started).
        max_range_m: range, metres from the LiDAR, that gets the far end of the colour scale.
        dot_px: side in pixels of the square drawn per point, centred on the pixel whose centre is nearest
            the projection (pixel (row i, column j) has its centre at (u, v) = (j, i)).
    """
    canvas = np.array(np.asarray(rgb)[..., :3], dtype=np.uint8)
    points = _valid(points)
    xyz = np.stack([points["x"], points["y"], points["z"]], axis=1).astype(np.float64)
    uv, depth = project_points(np.asarray(K, dtype=np.float64), camera_from_lidar, xyz)
    front = depth > 1e-6
    uv, depth, ranges = uv[front], depth[front], np.linalg.norm(xyz[front], axis=1)
    rows, cols = np.rint(uv[:, 1]).astype(np.int64), np.rint(uv[:, 0]).astype(np.int64)
    order = np.argsort(depth, kind="stable")  # nearest first: it wins the pixel
    rows, cols, colours = rows[order], cols[order], range_colours(ranges[order], max_range_m)
    offsets = np.arange(dot_px) - dot_px // 2
    dr, dc = (a.ravel() for a in np.meshgrid(offsets, offsets, indexing="ij"))
    rows, cols = (rows[:, None] + dr).ravel(), (cols[:, None] + dc).ravel()
    _paint(canvas, rows, cols, np.repeat(colours, dot_px * dot_px, axis=0))
    return Image.fromarray(canvas)


def _paint(canvas: np.ndarray, rows: np.ndarray, cols: np.ndarray, colours: np.ndarray) -> None:
    """Set canvas[rows, cols] = colours for the (n,) pixels inside the (H, W, 3) canvas; where several
    fall on one pixel, the first in order wins."""
    height, width = canvas.shape[:2]
    inside = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
    flat = rows[inside] * width + cols[inside]
    _, first = np.unique(flat, return_index=True)
    canvas.reshape(-1, canvas.shape[2])[flat[first]] = colours[inside][first]


def _valid(points: np.ndarray) -> np.ndarray:
    """The returns of a sweep (POINT_DTYPE without ``valid`` counts every row as a return)."""
    if points.dtype.names is not None and "valid" in points.dtype.names:
        return points[points["valid"]]
    return points

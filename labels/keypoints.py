"""Keypoint labels of articulated people (entities with a ``scenes.skeleton.Skeleton``), per camera.

Every articulated entity's record gains, at the frame's time t (``scenes.pose.world_keypoints``, the
pose every backend draws):

- ``keypoints_world``: (17, 3) COCO keypoints (``scenes.skeleton.COCO_KEYPOINTS`` order), world frame, m;
- ``keypoints_camera``: the same in the camera's OpenCV frame (x right, y down, z forward), m;
- ``joints_world``: {pelvis, spine, neck} (``EXTRA_JOINTS``) -> [x, y, z], world frame, m;
- ``keypoints``: 17 rows [u, v, flag]: (u, v) the keypoint's projection in pixels (OpenCV: the centre of
  pixel (row i, column j) is (u, v) = (j, i); COCO keypoint coordinates are these values unchanged),
  [0.0, 0.0, 0] for a keypoint behind the camera;
- ``num_keypoints``: how many flags are > 0 (COCO's ``num_keypoints``);
- ``keypoint_occluders``: per keypoint, for flag 1 the instance id at its pixel (the person's own id when
  its own body hides it, or a cyclist's own bicycle, which carries the rider's id; another object's id; 0
  for unlabelled scenery or no surface), else None.

The flag (COCO's v), exactly:

- 0: not in the image: behind the camera (camera z <= the camera's ``znear``) or projecting outside it,
  i.e. its pixel (i, j) = (floor(v + 1/2), floor(u + 1/2)) (the pixel whose area holds (u, v), half-open)
  is not in [0, H) x [0, W);
- 2: visible: ``instance[i, j]`` is the person's id and ``depth[i, j] >= z - r - tol``, z the keypoint's
  camera depth, r = ``scenes.skeleton.keypoint_radii(skeleton)`` for that keypoint (how far in front of the
  keypoint the surface of the body part enclosing it may lie) and tol = :func:`depth_tolerance_m` (z): the
  pixel shows the body part around the keypoint, not a nearer part of the same body;
- 1: hidden, otherwise: the pixel shows another object, scenery, nothing, or a nearer part of the person.

The tolerance, tol(z) = 1 cm + 1e-4 z, covers the depth pass's error (pyrender's 24-bit depth buffer is
within 1e-4 relative out to 80 m with the default clipping planes, tests/test_depth_range.py; Blender's,
the fake's and a ray caster's are float32, far finer) with a centimetre to spare for the depth being read
at the pixel's centre, up to half a pixel beside the keypoint's own ray, on a limb that may slope towards
the camera. It stays well under what a nearer part of the body puts in front: a limb lying on the part
around a keypoint is its own diameter nearer (at least 3.2 cm: a slim 1 m child's forearm), so it hides
the keypoint. Against a ray cast through the keypoint itself (``benchmarks/bench_keypoint_flags.py``, random
people, 640x480 at 60 degrees) the flag agrees for 98 % of the keypoints in the image at 3-6 m, 96 % at
12 m, 92 % at 25 m and 87 % at 40 m (a person 24 pixels tall); what differs is sub-pixel sampling at
silhouettes, which any per-pixel rule has: a tolerance wider by half a pixel's footprint agreed no better,
and dropping the id test (visible when nothing at the pixel is nearer) agreed between 0.3 points worse
(25 m) and 3.5 better (40 m, where a keypoint on a limb's edge samples the background about as often as
the limb).

Keypoints need the instance and depth passes of the same render: without a depth pass (or with an
instance map that is not the camera's size: cheap judging of a targeted attempt renders only what the
target reads) a record gets no keypoint field at all; full frames always render both
(``generator.run.resources.PASSES``), so written labels always carry them. Rigid entities' records never
change.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scenes import Camera, Entity
from scenes.pose import world_keypoints
from scenes.skeleton import keypoint_radii
from scenes.transforms import transform_points

DEPTH_TOLERANCE_M = 0.01  # the absolute part of tol (see the module docstring)
DEPTH_RELATIVE_ERROR = 1e-4  # the depth pass's relative error (tests/test_depth_range.py)


def depth_tolerance_m(z: np.ndarray) -> np.ndarray:
    """tol (metres) at camera depth ``z`` (metres): DEPTH_TOLERANCE_M + DEPTH_RELATIVE_ERROR * z."""
    return DEPTH_TOLERANCE_M + DEPTH_RELATIVE_ERROR * np.asarray(z, np.float64)


def keypoint_visibility(
    points_camera: np.ndarray,
    K: np.ndarray,
    znear: float,
    radii: np.ndarray,
    instance_id: int,
    instance: np.ndarray,
    depth: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, list[int | None]]:
    """Projections, flags and occluders of one person's keypoints (the module docstring's definition).

    Args:
        points_camera: (n, 3) keypoints in the OpenCV camera frame, metres.
        K: (3, 3) intrinsics, pixels.
        znear: the camera's near clipping distance, metres.
        radii: (n,) metres, ``keypoint_radii`` of the person.
        instance_id: the person's instance id.
        instance: uint16 (H, W) instance map of the render.
        depth: float32 (H, W) planar depth of the same render, metres, 0 where no surface.

    Returns:
        (uv (n, 2) float64 pixels, 0 for keypoints behind the camera; flags (n,) int 0/1/2; occluders: n
        ints or None, see the module docstring).
    """
    points = np.asarray(points_camera, np.float64)
    z = points[:, 2]
    in_front = z > znear
    uv = np.zeros((len(points), 2))
    uv[in_front] = points[in_front, :2] / z[in_front, None] * [K[0, 0], K[1, 1]] + [K[0, 2], K[1, 2]]
    height, width = instance.shape
    pixel = np.floor(uv[:, ::-1] + 0.5).astype(np.int64)  # (row i, column j)
    inside = in_front & (pixel[:, 0] >= 0) & (pixel[:, 0] < height) & (pixel[:, 1] >= 0) & (pixel[:, 1] < width)
    flags = np.zeros(len(points), np.int64)
    occluders: list[int | None] = [None] * len(points)
    rows, cols = pixel[inside, 0], pixel[inside, 1]
    seen_id = instance[rows, cols].astype(np.int64)
    seen_depth = depth[rows, cols].astype(np.float64)
    zi, ri = z[inside], np.asarray(radii, np.float64)[inside]
    visible = (seen_id == instance_id) & (seen_depth >= zi - ri - depth_tolerance_m(zi))
    flags[inside] = np.where(visible, 2, 1)
    for k, iid, shown in zip(np.flatnonzero(inside).tolist(), seen_id.tolist(), visible.tolist(), strict=True):
        if not shown:
            occluders[k] = iid
    return uv, flags, occluders


def has_pixels(camera: Camera, instance: np.ndarray | None, depth: np.ndarray | None) -> bool:
    """Whether keypoints can be flagged: an instance map and a depth pass, both the camera's size."""
    shape = (camera.height, camera.width)
    return instance is not None and depth is not None and instance.shape == shape and depth.shape == shape


def keypoint_fields(
    entity: Entity, camera: Camera, camera_from_world: np.ndarray, instance: np.ndarray, depth: np.ndarray, t: float
) -> dict[str, Any]:
    """The keypoint fields of an articulated entity's record (see the module docstring), JSON-ready.

    Args:
        entity: an entity with a skeleton.
        camera: the camera the buffers come from.
        camera_from_world: (4, 4) its pose at ``t`` (OpenCV camera frame).
        instance, depth: that camera's instance map and planar depth at ``t`` (``has_pixels``).
        t: the frame's time, seconds.
    """
    points_world, joints_world = world_keypoints(entity.skeleton, entity.trajectory, t)
    points_camera = transform_points(camera_from_world, points_world)
    radii = keypoint_radii(entity.skeleton)
    uv, flags, occluders = keypoint_visibility(
        points_camera, camera.K, camera.znear, radii, entity.instance_id, instance, depth
    )
    return {
        "keypoints_world": points_world.tolist(),
        "keypoints_camera": points_camera.tolist(),
        "joints_world": {name: [float(v) for v in p] for name, p in joints_world.items()},
        "keypoints": [[float(u), float(v), int(f)] for (u, v), f in zip(uv, flags, strict=True)],
        "num_keypoints": int(np.count_nonzero(flags)),
        "keypoint_occluders": occluders,
    }

"""Buffers + Scene -> the label record of one camera frame (labels.json).

Backend-independent: works on the instance map, the amodal masks, the depth pass and the Scene only, so
every renderer gets the same labels by construction. Articulated people's records add their keypoints
(``labels.keypoints``).

Occlusion levels (KITTI-style, from ``visibility`` = visible pixels / unoccluded pixels in the image):
    0 fully visible   visibility >= 0.9
    1 partly occluded 0.5 <= visibility < 0.9
    2 largely occluded 0 < visibility < 0.5
    3 not visible     no visible pixel (fully occluded or outside the image)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pycocotools import mask as mask_utils
from scipy import ndimage

from labels.geometry import box3d_record, mask_box, rotation_y_kitti, truncation
from labels.keypoints import has_pixels, keypoint_fields
from scenes import Camera, Conditions, Scene
from scenes.camera_geometry import ray_distance_m
from scenes.taxonomy import category_id
from scenes.transforms import invert_pose, yaw_from_matrix

OCCLUSION_THRESHOLDS = (0.9, 0.5)  # visibility at or above: level 0; at or above: level 1; above 0: 2


def occlusion_level(visibility: float, visible_pixels: int) -> int:
    """KITTI-style occlusion level from visibility (see module docstring)."""
    if visible_pixels == 0:
        return 3
    if visibility >= OCCLUSION_THRESHOLDS[0]:
        return 0
    if visibility >= OCCLUSION_THRESHOLDS[1]:
        return 1
    return 2


def encode_rle(mask: np.ndarray) -> dict[str, Any]:
    """COCO compressed RLE of a bool (H, W) mask, with ``counts`` as a str (JSON-ready)."""
    return _rle_record(mask_utils.encode(np.asfortranarray(mask, dtype=np.uint8)))


def _rle_record(rle: dict[str, Any]) -> dict[str, Any]:
    return {"size": [int(rle["size"][0]), int(rle["size"][1])], "counts": rle["counts"].decode("ascii")}


def crop_mask_rle(instance: np.ndarray, iid: int, rows: slice, cols: slice) -> dict[str, Any]:
    """``encode_rle(instance == iid)`` for an id whose pixels all lie in ``instance[rows, cols]`` (its
    ``ndimage.find_objects`` box): the comparison runs on the crop only, into a column-major uint8 image
    pycocotools reads without a copy; the same mask, so the same bytes."""
    mask = np.zeros(instance.shape, dtype=np.uint8, order="F")
    mask[rows, cols] = instance[rows, cols] == iid
    return _rle_record(mask_utils.encode(mask))


def crop_box(rows: slice, cols: slice) -> list[int]:
    """COCO box [x, y, w, h] of an ``ndimage.find_objects`` box: ``mask_box`` of the id's mask."""
    return [int(cols.start), int(rows.start), int(cols.stop - cols.start), int(rows.stop - rows.start)]


def sensor_record(scene: Scene, camera: Camera, t: float) -> dict[str, Any]:
    """Calibration of a camera at time t: K, image size, and its poses (OpenCV camera frame)."""
    return {
        "type": "camera",
        "width": camera.width,
        "height": camera.height,
        "K": camera.K.tolist(),
        "ego_from_sensor": camera.ego_from_sensor.tolist(),
        "world_from_sensor": scene.rig.world_from_sensor(camera, t).tolist(),
        "velocity_world": [float(v) for v in sensor_velocity(scene, camera, t)],
    }


def sensor_velocity(scene: Scene, camera: Camera, t: float, dt: float = 1e-4) -> np.ndarray:
    """Velocity (3,) of the sensor's origin in world metres per second at time t (forward difference
    over ``dt`` seconds: the right-hand derivative, like ``Trajectory.velocity_at``)."""
    p0 = scene.rig.world_from_sensor(camera, t)[:3, 3]
    p1 = scene.rig.world_from_sensor(camera, t + dt)[:3, 3]
    return (p1 - p0) / dt


def annotate(
    scene: Scene,
    frame: int,
    camera: Camera,
    instance: np.ndarray,
    amodal: dict[int, np.ndarray],
    depth: np.ndarray | None = None,
) -> dict[str, Any]:
    """The labels of one camera at frame ``frame``.

    Under conditions whose medium attenuates light (fog, rain, snow: ``Conditions.camera_extinction()``
    beta > 0) each record gains ``transmittance``: the mean over the object's visible pixels of
    exp(-beta * d), d the Euclidean distance (m) from the camera to the pixel's surface (from ``depth``), the
    share of the object's light that reaches the camera; None for an object with no visible pixel. Clear
    scenes' records have no such field (they read as before conditions existed).

    Args:
        scene: the scene rendered.
        frame: frame index (t = frame / fps).
        camera: the camera the buffers come from.
        instance: uint16 (H, W) instance map, 0 = no object.
        amodal: id -> bool (H, W) mask of the object's unoccluded silhouette inside the image; objects
            missing from it do not reach the image.
        depth: float32 (H, W) planar depth (m) of the same render; needed for ``transmittance`` and for the
            keypoints of articulated people (``labels.keypoints``; without it those fields are left out).
    """
    t = scene.frame_time(frame)
    world_from_camera = scene.rig.world_from_sensor(camera, t)
    camera_from_world = invert_pose(world_from_camera)
    # pixels per id by counting, not sorting (np.unique sorts the whole map: ~20 ms at 640x480, the
    # largest part of judging a targeted attempt); the same {id: count} of the ids present
    counts = np.bincount(instance.ravel(), minlength=1)
    ids = np.flatnonzero(counts)
    visible_counts = dict(zip(ids.tolist(), counts[ids].tolist(), strict=True))
    # each present id's bounding slices in one pass (slices[iid - 1]): masks and boxes work on crops
    boxes = ndimage.find_objects(instance) if ids.size else []
    camera_velocity = sensor_velocity(scene, camera, t)
    entities = scene.labelled_entities()
    objects = [
        _object_record(entity, camera, camera_from_world, camera_velocity, instance, amodal, visible_counts, boxes, t)
        for entity in entities
    ]
    if has_pixels(camera, instance, depth):  # people's keypoints (labels.keypoints); rigid records unchanged
        for entity, record in zip(entities, objects, strict=True):
            if entity.skeleton is not None:
                record.update(keypoint_fields(entity, camera, camera_from_world, instance, depth, t))
    beta = scene.conditions.camera_extinction()
    if beta > 0 and depth is not None and depth.size:
        _add_transmittance(objects, instance, depth, camera, beta)
    present = sorted({o["category_id"] for o in objects if o["visible"]})
    record = {
        "scene_id": scene.scene_id,
        "frame": frame,
        "t": t,
        "world_from_ego": scene.rig.trajectory.pose_at(t).tolist(),
        "sensors": {camera.name: sensor_record(scene, camera, t)},
        "objects": {camera.name: objects},
        "categories_present": {camera.name: present},
    }
    if scene.conditions != Conditions():  # clear_day scenes read as before conditions existed
        record["conditions"] = scene.conditions.record()
    return record


def _object_record(
    entity, camera, camera_from_world, camera_velocity, instance, amodal, visible_counts, boxes, t
) -> dict:
    iid = entity.instance_id
    world_from_object = entity.trajectory.pose_at(t)
    camera_from_object = camera_from_world @ world_from_object
    visible_pixels = int(visible_counts.get(iid, 0))
    velocity_world = entity.trajectory.velocity_at(t)
    record: dict[str, Any] = {
        "instance_id": iid,
        "track_id": iid,  # ids never change within a scene: the instance id is the track id
        "category": entity.category,
        "category_id": category_id(entity.category),
        "visible": visible_pixels > 0,
        "visible_pixels": visible_pixels,
        "bbox_visible": None,
        "bbox_amodal": None,
        "mask_rle": None,
        "unoccluded_pixels": 0,
        "visibility": 0.0,
        "truncation": truncation(
            camera_from_object, entity.size_m, camera.K, camera.width, camera.height, camera.znear
        ),
        # world box: yaw = heading of the object's +x about world +z; camera box: KITTI rotation_y
        "box3d_world": {
            **box3d_record(world_from_object, entity.size_m),
            "yaw": yaw_from_matrix(world_from_object[:3, :3]),
        },
        "box3d_camera": {
            **box3d_record(camera_from_object, entity.size_m),
            "rotation_y": rotation_y_kitti(camera_from_object),
        },
        "range_m": float(np.linalg.norm(camera_from_object[:3, 3])),
        "velocity_world": [float(v) for v in velocity_world],
        # the same velocity in the camera's axes, and relative to the moving camera (what radar sees)
        "velocity_camera": [float(v) for v in camera_from_world[:3, :3] @ velocity_world],
        "relative_velocity_camera": [float(v) for v in camera_from_world[:3, :3] @ (velocity_world - camera_velocity)],
    }
    silhouette = amodal.get(iid)
    if visible_pixels:
        rows, cols = boxes[iid - 1]
        record["bbox_visible"] = crop_box(rows, cols)
        record["mask_rle"] = crop_mask_rle(instance, iid, rows, cols)
    if silhouette is not None:
        unoccluded = int(np.count_nonzero(silhouette))
        record["bbox_amodal"] = mask_box(silhouette)
        record["unoccluded_pixels"] = unoccluded
        record["visibility"] = visible_pixels / unoccluded if unoccluded else 0.0
    record["occlusion"] = occlusion_level(record["visibility"], visible_pixels)
    if entity.attributes:  # only objects that have some (a scenario's child, a worker): others read as before
        record["attributes"] = dict(entity.attributes)
    return record


def _add_transmittance(
    objects: list[dict[str, Any]], instance: np.ndarray, depth: np.ndarray, camera: Camera, beta: float
) -> None:
    """Each record's ``transmittance`` (see :func:`annotate`): one pass over the visible pixels, summed per
    id with bincount."""
    distance = ray_distance_m(depth, camera.K)
    t = np.exp(-beta * distance).ravel()
    ids = instance.ravel()
    sums = np.bincount(ids, weights=t, minlength=1)
    counts = np.bincount(ids, minlength=1)
    for record in objects:
        iid = record["instance_id"]
        seen = iid < len(counts) and counts[iid] > 0
        record["transmittance"] = float(sums[iid] / counts[iid]) if seen else None

"""Labels of range sensors (LiDAR, radar): calibration, 3D boxes in the sensor frame, point counts.

Backend-independent: works on the per-point / per-detection instance ids and the Scene only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labels.geometry import box3d_record
from scenes import Lidar, Radar, Scene
from scenes.taxonomy import category_id
from scenes.transforms import invert_pose


def lidar_record(scene: Scene, lidar: Lidar, t: float, sweep_start: float) -> dict[str, Any]:
    """Calibration of a LiDAR at frame time t (its pose then: what boxes and Tr_velo_to_cam use) and the
    timing of the sweep (points carry their time from ``sweep_start``), beam layout."""
    return {
        "type": "lidar",
        "preset": lidar.preset,
        "ego_from_sensor": lidar.ego_from_sensor.tolist(),
        "world_from_sensor": scene.rig.world_from_sensor(lidar, t).tolist(),
        "channels": lidar.channels,
        "elevations": [float(e) for e in lidar.elevations],
        "azimuth_steps": lidar.azimuth_steps,
        "horizontal_fov": lidar.horizontal_fov,
        "rotation_hz": lidar.rotation_hz,
        "sweep_start": sweep_start,
        "sweep_duration": lidar.sweep_duration,
        "motion_skew": lidar.motion_skew,
        "deskew": lidar.deskew,
        "min_range": lidar.min_range,
        "max_range": lidar.max_range,
    }


def radar_record(scene: Scene, radar: Radar, t: float) -> dict[str, Any]:
    """Calibration of a radar at time t: mount, pose, field of view and resolutions."""
    return {
        "type": "radar",
        "preset": radar.preset,
        "ego_from_sensor": radar.ego_from_sensor.tolist(),
        "world_from_sensor": scene.rig.world_from_sensor(radar, t).tolist(),
        "horizontal_fov": radar.horizontal_fov,
        "vertical_fov": radar.vertical_fov,
        "max_range": radar.max_range,
        "range_resolution": radar.range_resolution,
        "azimuth_resolution": radar.azimuth_resolution,
        "velocity_resolution": radar.velocity_resolution,
    }


def range_sensor_objects(
    scene: Scene, sensor: Lidar | Radar, t: float, instance_ids: np.ndarray, count_key: str
) -> list[dict[str, Any]]:
    """One record per labelled object: its 3D box in the sensor frame at time t and how many of the
    sensor's points (or detections) carry its id (``count_key``: num_lidar_points | num_radar_points)."""
    sensor_from_world = invert_pose(scene.rig.world_from_sensor(sensor, t))
    ids, counts = np.unique(np.asarray(instance_ids, dtype=np.int64), return_counts=True)
    count_of = dict(zip(ids.tolist(), counts.tolist(), strict=True))
    return [
        {
            "instance_id": e.instance_id,
            "track_id": e.instance_id,
            "category": e.category,
            "category_id": category_id(e.category),
            "box3d_sensor": box3d_record(sensor_from_world @ e.trajectory.pose_at(t), e.size_m),
            count_key: int(count_of.get(e.instance_id, 0)),
            **({"attributes": dict(e.attributes)} if e.attributes else {}),
        }
        for e in scene.labelled_entities()
    ]


def annotate_lidar(
    scene: Scene, lidar: Lidar, t: float, sweep_start: float, points: np.ndarray
) -> tuple[dict, list[dict]]:
    """(calibration, objects) of the LiDAR sweep of frame time t (boxes in the sensor frame at t);
    only valid points are counted."""
    ids = points["instance_id"][points["valid"]]
    record = lidar_record(scene, lidar, t, sweep_start)
    return record, range_sensor_objects(scene, lidar, t, ids, "num_lidar_points")


def annotate_radar(scene: Scene, radar: Radar, t: float, detections: np.ndarray) -> tuple[dict, list[dict]]:
    """(calibration, objects) of a radar frame at t."""
    return radar_record(scene, radar, t), range_sensor_objects(
        scene, radar, t, detections["instance_id"], "num_radar_points"
    )

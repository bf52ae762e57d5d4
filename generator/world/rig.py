"""The sensor rig from the `sensors` config: cameras, LiDARs and radars mounted on the ego vehicle.

Mounts are given in the ego frame (x forward, y left, z up) with yaw / pitch / roll relative to looking
along ego +x. Cameras use the OpenCV frame (x right, y down, z forward); LiDARs and radars use x forward,
y left, z up (scenes/sensors.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from generator.world.pieces import make_camera
from scenes import Camera, Lidar, Radar
from scenes.sensor_presets import LIDAR_PRESETS, RADAR_PRESETS
from scenes.transforms import make_pose, rotation_x, rotation_z


def _rotation_y(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def body_mount(mount: Any) -> np.ndarray:
    """``ego_from_sensor`` (4x4) of a forward-looking x-forward, y-left, z-up sensor: yaw about z, then
    pitch (+ looks up, i.e. a rotation about -y), then roll about x."""
    rot = (
        rotation_z(np.radians(mount.yaw_deg))
        @ _rotation_y(-np.radians(mount.pitch_deg))
        @ rotation_x(np.radians(mount.roll_deg))
    )
    return make_pose(rot, [mount.x_m, mount.y_m, mount.z_m])


# Maps OpenCV camera axes (x right, y down, z forward) to the body axes (x forward, y left, z up).
BODY_FROM_OPENCV = np.array([[0.0, 0.0, 1.0], [-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]])


def camera_mount(mount: Any) -> np.ndarray:
    """``ego_from_sensor`` (4x4, OpenCV camera frame) of a camera at ``mount``."""
    body = body_mount(mount)
    return make_pose(body[:3, :3] @ BODY_FROM_OPENCV, body[:3, 3])


def rig_cameras(sensors_cfg: Any, camera_cfg: Any, default_mount: np.ndarray) -> list[Camera]:
    """The rig's cameras: unset intrinsics from the `camera` group, unset mounts at ``default_mount``
    (the scene kind's own camera pose, OpenCV frame)."""
    cameras = []
    for cam in sensors_cfg.cameras:
        intrinsics = {
            "name": cam.name,
            "width": cam.width if cam.width is not None else camera_cfg.width,
            "height": cam.height if cam.height is not None else camera_cfg.height,
            "fov_deg": cam.fov_deg if cam.fov_deg is not None else camera_cfg.fov_deg,
            # explicit intrinsics of the camera group fit only its own image size
            "intrinsics": camera_cfg.intrinsics if (cam.width, cam.height, cam.fov_deg) == (None, None, None) else None,
            "znear": camera_cfg.znear,
            "zfar": camera_cfg.zfar,
        }
        mount = default_mount if cam.mount is None else camera_mount(cam.mount)
        cameras.append(make_camera(_Namespace(intrinsics), mount))
    return cameras


def rig_lidars(sensors_cfg: Any) -> list[Lidar]:
    """LiDARs from their datasheet presets and the config's overrides."""
    lidars = []
    for cfg in sensors_cfg.lidars:
        preset = LIDAR_PRESETS[cfg.preset]
        # presets give firings per turn at 10 Hz; a slower head fires more often per turn
        steps = cfg.azimuth_steps or round(preset["azimuth_steps"] * 10.0 / cfg.rotation_hz)
        lidars.append(
            Lidar(
                name=cfg.name,
                elevations=np.asarray(preset["elevations"], dtype=np.float64),
                azimuth_steps=int(steps),
                ego_from_sensor=body_mount(cfg.mount),
                rotation_hz=float(cfg.rotation_hz),
                max_range=float(cfg.max_range_m if cfg.max_range_m is not None else preset["max_range"]),
                range_noise_std=float(preset["range_noise_std"]) if cfg.noise else 0.0,
                dropout=float(cfg.dropout),
                intensity_dropout=float(cfg.intensity_dropout),
                keep_misses=bool(cfg.keep_misses),
                motion_skew=bool(cfg.motion_skew),
                deskew=bool(cfg.deskew),
                preset=cfg.preset,
            )
        )
    return lidars


def rig_radars(sensors_cfg: Any) -> list[Radar]:
    """Radars from their presets; ``noise: false`` zeroes every noise term."""
    radars = []
    for cfg in sensors_cfg.radars:
        preset = dict(RADAR_PRESETS[cfg.preset])
        if not cfg.noise:
            preset.update(range_noise_std=0.0, azimuth_noise_std=0.0, velocity_noise_std=0.0)
        radars.append(Radar(name=cfg.name, ego_from_sensor=body_mount(cfg.mount), preset=cfg.preset, **preset))
    return radars


class _Namespace:
    """Attribute access to a dict (make_camera reads config-like objects)."""

    def __init__(self, values: dict[str, Any]):
        self.__dict__.update(values)

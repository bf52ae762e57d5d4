"""Datasheet presets of real sensors. Each preset cites the public document its numbers come from.

LiDAR azimuth steps are for 10 Hz rotation; ranges are the datasheet's nominal maximum; range noise is
the datasheet's accuracy figure taken as one standard deviation.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _hdl64e_elevations() -> np.ndarray:
    # Velodyne HDL-64E S2 datasheet / user manual (63-HDL64ES2, 2011): vertical FOV +2.0 to -24.9 deg in
    # two blocks of 32 lasers: upper block +2.0 to -8.33 deg (1/3 deg spacing), lower block -8.83 to
    # -24.33 deg (1/2 deg spacing).
    upper = 2.0 - np.arange(32) / 3.0
    lower = -8.83 - np.arange(32) * 0.5
    return np.radians(np.sort(np.concatenate([upper, lower])))


LIDAR_PRESETS: dict[str, dict[str, Any]] = {
    # Velodyne VLP-16 (Puck) datasheet 63-9229 Rev-C: 16 channels, +-15 deg vertical (2 deg spacing),
    # 0.1-0.4 deg horizontal resolution (0.2 deg at 10 Hz -> 1800 firings), 100 m range, +-3 cm accuracy.
    "vlp16": {
        "elevations": np.radians(np.linspace(-15.0, 15.0, 16)),
        "azimuth_steps": 1800,
        "max_range": 100.0,
        "range_noise_std": 0.03,
    },
    # Velodyne HDL-32E datasheet 97-0038 Rev-M: 32 channels, +10.67 to -30.67 deg vertical (1.33 deg
    # spacing), 0.08-0.33 deg horizontal (0.16 deg at 10 Hz -> 2250), 100 m range, +-2 cm accuracy.
    "hdl32e": {
        "elevations": np.radians(np.linspace(-30.67, 10.67, 32)),
        "azimuth_steps": 2250,
        "max_range": 100.0,
        "range_noise_std": 0.02,
    },
    # Velodyne HDL-64E S2 (see _hdl64e_elevations): 0.17 deg horizontal at 10 Hz (~2083 firings; the
    # KITTI recordings give ~2000 per ring), 120 m range, <2 cm accuracy.
    "hdl64e": {"elevations": _hdl64e_elevations(), "azimuth_steps": 2083, "max_range": 120.0, "range_noise_std": 0.02},
    # Ouster OS1 Mid-Range datasheet (Rev 7, 2022): 64 channels, 45 deg vertical (+-22.5, uniform),
    # horizontal resolution 512/1024/2048 (2048 at 10 Hz), 120 m range, +-3 cm precision (typ.).
    "os1_64": {
        "elevations": np.radians(np.linspace(-22.5, 22.5, 64)),
        "azimuth_steps": 2048,
        "max_range": 120.0,
        "range_noise_std": 0.03,
    },
    # Ouster OS1 Mid-Range datasheet (Rev 7, 2022): 128 channels, 45 deg vertical (+-22.5, uniform),
    # 2048 at 10 Hz, 120 m range, +-3 cm precision (typ.).
    "os1_128": {
        "elevations": np.radians(np.linspace(-22.5, 22.5, 128)),
        "azimuth_steps": 2048,
        "max_range": 120.0,
        "range_noise_std": 0.03,
    },
}

RADAR_PRESETS: dict[str, dict[str, Any]] = {
    # Continental ARS 408-21 technical data (2017), far-range scan: 0.20-250 m, azimuth +-9 deg (far) /
    # +-60 deg (near, 70 m): modelled as one +-45 deg field at 200 m; elevation 14 deg; range resolution
    # 1.79 m (far), accuracy +-0.4 m; azimuth accuracy +-0.1 deg (far); velocity resolution 0.37 km/h,
    # accuracy 0.1 km/h; up to 250 detections per cycle. The radar nuScenes used.
    "ars408": {
        "horizontal_fov": np.radians(90.0),
        "vertical_fov": np.radians(14.0),
        "max_range": 200.0,
        "range_resolution": 0.4,
        "azimuth_resolution": np.radians(1.0),
        "velocity_resolution": 0.1,
        "range_noise_std": 0.4,
        "azimuth_noise_std": np.radians(0.1),
        "velocity_noise_std": 0.03,
        "max_detections": 250,
        "max_per_object": 8,
    },
}

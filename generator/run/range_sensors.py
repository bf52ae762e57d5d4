"""One frame's range sensors: LiDAR sweeps and radar frames with their labels, each sensor's noise from
its own keyed stream (so casting some sensors and not others, as cheap judging does, changes nothing)."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

from generator.world.seeding import rng_for, stream_seed
from labels.ranges import annotate_lidar, annotate_radar
from scenes import Lidar, Radar, Scene


def sensor_key(name: str) -> int:
    """A stable integer key of a sensor name (CRC-32): noise streams follow the sensor, not its position
    in the rig's lists, so adding a sensor leaves the others' noise unchanged."""
    return zlib.crc32(name.encode("utf-8"))


def range_sensor_labels(
    scene: Scene,
    frame: int,
    t: float,
    labels: dict,
    arrays: dict[str, np.ndarray],
    lidars: Sequence[Lidar],
    radars: Sequence[Radar],
) -> None:
    """Sweeps of ``lidars`` around or from t and frames of ``radars`` at t, their labels merged into
    ``labels`` and their arrays into ``arrays``. Noise and dropout draw from a generator keyed by (scene,
    frame, sensor), so a sensor's output is the same in any run and whichever other sensors are cast
    (cheap judging casts only the sensors its target names)."""
    from renderers.raycast import cast_lidar, deskew_points, detect_radar  # Embree lives in renderers/raycast

    root_seed = stream_seed(scene.seeds)  # attempt k > 0 of a targeted scene: its own entropy
    for lidar in lidars:
        # a skewed sweep is centred on the frame time, so straight ahead fires at t, when the cameras
        # expose (KITTI triggers its cameras that way); an unskewed one sees the world frozen at t
        start = t - lidar.sweep_duration / 2 if lidar.motion_skew else t
        rng = rng_for(root_seed, scene.index, "sensor_noise", frame, sensor_key(lidar.name))
        points = cast_lidar(scene, lidar, start, rng=rng)
        if lidar.deskew:
            points = deskew_points(scene, lidar, start, t, points)
        labels["sensors"][lidar.name], labels["objects"][lidar.name] = annotate_lidar(scene, lidar, t, start, points)
        arrays[f"{lidar.name}.points.npy"] = points
    for radar in radars:
        rng = rng_for(root_seed, scene.index, "sensor_noise", frame, sensor_key(radar.name))
        detections = detect_radar(scene, radar, t, rng=rng)
        labels["sensors"][radar.name], labels["objects"][radar.name] = annotate_radar(scene, radar, t, detections)
        arrays[f"{radar.name}.detections.npy"] = detections

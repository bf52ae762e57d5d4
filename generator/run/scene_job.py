"""One scene's work: sample it, write scene.json, render, label and write its frames.

Shared by the in-process run and the worker processes, so a scene is produced by the same code
whichever executes it.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from omegaconf import DictConfig

from assets.catalog import UserAsset
from generator.world.sampling import sample_scene
from generator.world.seeding import rng_for
from labels import annotate
from labels.flow import geometric_flow
from labels.ranges import annotate_lidar, annotate_radar
from renderers.base import RendererBackend
from scenes import Scene

# Called after each written frame with (scene index, frame, manifest record).
FrameCallback = Callable[[int, int, dict[str, Any]], None]


@dataclass
class SceneContext:
    """What rendering a scene needs, opened once per process.

    Attributes:
        cfg: the validated run config.
        user_assets: the catalog's assets (``generator.run.resources.load_user_assets``).
        backend: an open renderer.
        writer: the dataset writer (``formats.native.NativeWriter``; opened by the run's main process).
        flow: whether frames get optical flow (``wants_flow``).
    """

    cfg: DictConfig
    user_assets: list[UserAsset]
    backend: RendererBackend
    writer: Any
    flow: bool


def render_scene(
    ctx: SceneContext, index: int, frames: list[int], on_frame: FrameCallback, scene: Scene | None = None
) -> None:
    """Sample scene ``index`` (or use ``scene``, already sampled), write its scene.json and the given
    ``frames``; ``on_frame`` is called after each frame's manifest line is written."""
    scene = scene if scene is not None else sample_scene(ctx.cfg, index, ctx.user_assets)
    ctx.writer.write_scene(scene)
    for frame in frames:
        on_frame(index, frame, render_frame(scene, frame, ctx.backend, ctx.writer, ctx.flow))


def wants_flow(cfg: DictConfig) -> bool:
    """Whether frames get an optical-flow file: ``output.flow``, or by default only sequences."""
    return cfg.output.flow if cfg.output.flow is not None else cfg.scene.sequence.num_frames > 1


def render_frame(scene: Scene, frame: int, backend: RendererBackend, writer: Any, flow: bool) -> dict[str, Any]:
    """Render, label and write one frame of every sensor; returns its manifest record."""
    t = scene.frame_time(frame)
    results = [backend.render(scene, t, camera.name) for camera in scene.rig.cameras]
    labels = None
    arrays: dict[str, np.ndarray] = {}
    for camera, result in zip(scene.rig.cameras, results, strict=True):
        one = annotate(scene, frame, camera, result.instance, result.amodal or {})
        if labels is None:
            labels = one
        else:
            for key in ("sensors", "objects", "categories_present"):
                labels[key].update(one[key])
        if flow:
            t_next = scene.frame_time(frame + 1)
            arrays[f"{camera.name}.flow.npy"] = geometric_flow(scene, camera, t, t_next, result.depth, result.instance)
    if scene.rig.lidars or scene.rig.radars:
        _range_sensors(scene, frame, t, labels, arrays)
    return writer.write_frame(scene, frame, results, labels, arrays)


def sensor_key(name: str) -> int:
    """A stable integer key of a sensor name (CRC-32): noise streams follow the sensor, not its position
    in the rig's lists, so adding a sensor leaves the others' noise unchanged."""
    return zlib.crc32(name.encode("utf-8"))


def _range_sensors(scene, frame: int, t: float, labels: dict, arrays: dict[str, np.ndarray]) -> None:
    """LiDAR sweeps starting at t and radar frames at t, their labels merged into ``labels``. Noise and
    dropout draw from a generator keyed by (scene, frame, sensor), so they are reproducible in any run."""
    from renderers.raycast import cast_lidar, deskew_points, detect_radar  # Embree lives in renderers/raycast

    root_seed = int(scene.seeds["root_seed"])
    for lidar in scene.rig.lidars:
        # a skewed sweep is centred on the frame time, so straight ahead fires at t, when the cameras
        # expose (KITTI triggers its cameras that way); an unskewed one sees the world frozen at t
        start = t - lidar.sweep_duration / 2 if lidar.motion_skew else t
        rng = rng_for(root_seed, scene.index, "sensor_noise", frame, sensor_key(lidar.name))
        points = cast_lidar(scene, lidar, start, rng=rng)
        if lidar.deskew:
            points = deskew_points(scene, lidar, start, t, points)
        labels["sensors"][lidar.name], labels["objects"][lidar.name] = annotate_lidar(scene, lidar, t, start, points)
        arrays[f"{lidar.name}.points.npy"] = points
    for radar in scene.rig.radars:
        rng = rng_for(root_seed, scene.index, "sensor_noise", frame, sensor_key(radar.name))
        detections = detect_radar(scene, radar, t, rng=rng)
        labels["sensors"][radar.name], labels["objects"][radar.name] = annotate_radar(scene, radar, t, detections)
        arrays[f"{radar.name}.detections.npy"] = detections

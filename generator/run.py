"""The run loop: validated config -> scenes -> renders -> labels -> native dataset (+ exports, preview).

Resumable: frames listed in the manifest are skipped, so rerunning the same command after an
interruption finishes the job; scene i is identical whatever the run it is generated in.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import platform
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf
from tqdm import tqdm

from assets.catalog import UserAsset, load_catalog
from generator.config import config_hash
from generator.errors import ConfigError
from generator.sampling import sample_scene, scene_id_for
from generator.seeding import rng_for
from labels import annotate
from labels.flow import geometric_flow
from labels.ranges import annotate_lidar, annotate_radar
from renderers.base import Pass, RendererBackend
from scenes import SensorRig
from scenes.taxonomy import category_table

# The passes every run requests, from any renderer.
PASSES = frozenset({Pass.RGB, Pass.DEPTH, Pass.INSTANCE, Pass.AMODAL})


def run_passes(renderer: str) -> frozenset[Pass]:
    """The passes a run requests from the renderer named ``renderer``: :data:`PASSES`, plus surface
    normals from blender (the one backend that declares ``Pass.NORMALS``)."""
    return PASSES | {Pass.NORMALS} if renderer == "blender" else PASSES


@dataclass
class RunSummary:
    """What a run did; printed at the end of ``synthsense generate``."""

    output_dir: Path
    scenes: int = 0
    frames_written: int = 0
    frames_skipped: int = 0
    objects: int = 0
    visible_objects: int = 0
    seconds: float = 0.0
    exports: dict[str, Path] = field(default_factory=dict)
    preview: Path | None = None

    @property
    def frames_per_second(self) -> float:
        return self.frames_written / self.seconds if self.seconds > 0 else 0.0

    def lines(self) -> list[str]:
        out = [
            f"scenes: {self.scenes}  frames written: {self.frames_written}"
            f"  skipped (already done): {self.frames_skipped}",
            f"objects labelled: {self.objects}  visible: {self.visible_objects}",
            f"time: {self.seconds:.1f} s  ({self.frames_per_second:.2f} frames/s)",
            f"dataset: {self.output_dir}",
        ]
        out += [f"export {name}: {path}" for name, path in self.exports.items()]
        if self.preview is not None:
            out.append(f"preview: {self.preview}")
        return out


def create_backend(name: str, passes: frozenset[Pass], renderer_cfg: Any = None) -> RendererBackend:
    """Instantiate a renderer by config name (explicit factory; never an import path from YAML);
    ``renderer_cfg`` (a RendererConfig) carries the blender settings."""
    if name == "blender":
        from renderers.blender import create_backend as create_blender

        fields = ("engine", "device", "samples", "adaptive_threshold", "denoise", "filter_width_px")
        fields += ("max_bounces", "seed", "threads", "motion_blur", "shutter")
        settings = {} if renderer_cfg is None else {f: renderer_cfg[f] for f in fields if f in renderer_cfg}
        recycle_after = 0 if renderer_cfg is None else int(renderer_cfg.get("recycle_after", 0))
        return create_blender(passes, recycle_after=recycle_after, **settings)
    if name == "pyrender":
        from renderers.pyrender import create_backend as create_pyrender

        return create_pyrender(passes)
    if name == "fake":
        from renderers.fake import FakeBackend

        return FakeBackend(passes)
    raise ConfigError(f"renderer.name: unknown renderer {name!r}")


def load_user_assets(cfg: DictConfig) -> list[UserAsset]:
    """Load the scene's user catalog; every mesh in it is read now, so a bad file fails before writing."""
    return load_catalog(cfg.scene.catalog) if cfg.scene.catalog else []


def catalog_record(user_assets: list[UserAsset]) -> list[dict[str, str]]:
    """Name, path and SHA-256 of every user mesh: part of the config hash, so an edited mesh file is a
    different config."""
    return [
        {"name": a.name, "path": a.path, "sha256": hashlib.sha256(Path(a.path).read_bytes()).hexdigest()}
        for a in user_assets
    ]


def rig_summary(rig: SensorRig) -> dict[str, dict[str, Any]]:
    """Every sensor of the rig with its type and layout (per-frame poses are in labels.json)."""
    sensors: dict[str, dict[str, Any]] = {}
    for cam in rig.cameras:
        sensors[cam.name] = {"type": "camera", "width": cam.width, "height": cam.height, "K": cam.K.tolist()}
    for lidar in rig.lidars:
        sensors[lidar.name] = {
            "type": "lidar",
            "preset": lidar.preset,
            "channels": lidar.channels,
            "azimuth_steps": lidar.azimuth_steps,
            "rotation_hz": lidar.rotation_hz,
        }
    for radar in rig.radars:
        sensors[radar.name] = {"type": "radar", "preset": radar.preset}
    return sensors


def dataset_meta(cfg: DictConfig, user_assets: list[UserAsset], rig: SensorRig) -> dict[str, Any]:
    """dataset.json content (besides the format header written by the writer); ``rig`` is the first
    scene's (the layout of every scene's rig is the same)."""
    versions = {"python": platform.python_version()}
    for pkg in ("synthsense", "numpy", "trimesh", "pyrender", "hydra-core", "pycocotools"):
        try:
            versions[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            versions[pkg] = None
    catalog = catalog_record(user_assets)
    return {
        "config_hash": config_hash(cfg, extra={"catalog": catalog}),
        "root_seed": int(cfg.seed),
        "categories": category_table(),
        "sensors": rig_summary(rig),
        "passes": sorted(p.value for p in run_passes(cfg.renderer.name)),
        "renderer": cfg.renderer.name,
        "config": OmegaConf.to_container(cfg, resolve=True),
        "catalog": catalog,
        "versions": versions,
    }


def shard_indices(cfg: DictConfig) -> list[int]:
    """The scene indices this run renders: of first_scene .. first_scene + num_scenes - 1, those with
    index % num_shards == shard_index. A scene's shard depends only on its index, so any split of a run
    into shards renders every scene exactly once."""
    scenes = range(cfg.first_scene, cfg.first_scene + cfg.num_scenes)
    return [i for i in scenes if i % cfg.num_shards == cfg.shard_index]


def run_generation(cfg: DictConfig, backend: RendererBackend | None = None) -> RunSummary:
    """Generate ``cfg.num_scenes`` scenes from ``cfg.first_scene`` into ``cfg.output_dir``.

    Everything that can fail on bad input (the user catalog, the first scene's sampling, the renderer)
    runs before the first file is written.

    Args:
        cfg: a config from ``generator.config.compose_config`` (already validated).
        backend: an open renderer to use (e.g. shared across runs in tests); by default one is created
            from ``cfg.renderer`` and closed at the end.
    """
    from formats.exporters import get_exporter
    from formats.native import NativeWriter
    from formats.preview import write_preview, write_sequence_previews

    user_assets = load_user_assets(cfg)
    indices = shard_indices(cfg)
    first_scene = sample_scene(cfg, indices[0] if indices else cfg.first_scene, user_assets)
    own_backend = backend is None
    backend = backend or create_backend(cfg.renderer.name, run_passes(cfg.renderer.name), cfg.renderer)
    summary = RunSummary(output_dir=Path(cfg.output_dir))
    rendered: list[str] = []
    try:
        writer = NativeWriter(cfg.output_dir)
        done = writer.open(
            dataset_meta(cfg, user_assets, first_scene.rig)
        )  # refuses, writing nothing, another config's folder
        frames = cfg.scene.sequence.num_frames
        flow = wants_flow(cfg)
        with tqdm(total=len(indices) * frames, desc="frames", unit="frame", disable=not cfg.output.progress) as bar:
            for index in indices:
                todo = [f for f in range(frames) if (scene_id_for(index), f) not in done]
                summary.scenes += 1
                summary.frames_skipped += frames - len(todo)
                bar.update(frames - len(todo))
                if not todo:
                    continue
                scene = first_scene if index == first_scene.index else sample_scene(cfg, index, user_assets)
                rendered.append(scene.scene_id)
                writer.write_scene(scene)
                for frame in todo:
                    _render_frame(scene, frame, backend, writer, summary, flow)
                    bar.update(1)
    finally:
        if own_backend:
            backend.close()
    if cfg.num_shards > 1:
        # other shards may still be writing: exports and previews are for `synthsense export` afterwards
        return summary
    for name in cfg.output.export:
        summary.exports[name] = get_exporter(name)(cfg.output_dir)
    if cfg.output.preview and cfg.output.preview_frames > 0:
        summary.preview = write_preview(cfg.output_dir, cfg.output.preview_frames)
    if cfg.output.preview and cfg.scene.sequence.num_frames > 1:
        write_sequence_previews(cfg.output_dir, rendered)  # sequences this run (re)wrote frames of
    return summary


def wants_flow(cfg: DictConfig) -> bool:
    """Whether frames get an optical-flow file: ``output.flow``, or by default only sequences."""
    return cfg.output.flow if cfg.output.flow is not None else cfg.scene.sequence.num_frames > 1


def _render_frame(scene, frame: int, backend: RendererBackend, writer, summary: RunSummary, flow: bool) -> None:
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
    record = writer.write_frame(scene, frame, results, labels, arrays)
    summary.frames_written += 1
    summary.objects += record["num_objects"]
    summary.visible_objects += record["num_visible"]


def sensor_key(name: str) -> int:
    """A stable integer key of a sensor name (CRC-32): noise streams follow the sensor, not its position
    in the rig's lists, so adding a sensor leaves the others' noise unchanged."""
    return zlib.crc32(name.encode("utf-8"))


def _range_sensors(scene, frame: int, t: float, labels: dict, arrays: dict[str, np.ndarray]) -> None:
    """LiDAR sweeps starting at t and radar frames at t, their labels merged into ``labels``. Noise and
    dropout draw from a generator keyed by (scene, frame, sensor), so they are reproducible in any run."""
    from renderers.raycast import cast_lidar, detect_radar  # Embree lives under renderers/raycast only

    root_seed = int(scene.seeds["root_seed"])
    for lidar in scene.rig.lidars:
        # a skewed sweep is centred on the frame time, so straight ahead fires at t, when the cameras
        # expose (KITTI triggers its cameras that way); an unskewed one sees the world frozen at t
        start = t - lidar.sweep_duration / 2 if lidar.motion_skew else t
        rng = rng_for(root_seed, scene.index, "sensor_noise", frame, sensor_key(lidar.name))
        points = cast_lidar(scene, lidar, start, rng=rng)
        labels["sensors"][lidar.name], labels["objects"][lidar.name] = annotate_lidar(scene, lidar, t, start, points)
        arrays[f"{lidar.name}.points.npy"] = points
    for radar in scene.rig.radars:
        rng = rng_for(root_seed, scene.index, "sensor_noise", frame, sensor_key(radar.name))
        detections = detect_radar(scene, radar, t, rng=rng)
        labels["sensors"][radar.name], labels["objects"][radar.name] = annotate_radar(scene, radar, t, detections)
        arrays[f"{radar.name}.detections.npy"] = detections

"""Compose the run config with Hydra and validate it before anything is written.

Every problem becomes a one-line ConfigError naming the key (or file) at fault.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

import numpy as np
from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from configs.schema import (
    SCENE_SCHEMAS,
    LightingConfig,
    MaterialConfig,
    RunConfig,
    StreetMotionConfig,
    register_configs,
)
from generator.distributions import Distribution, parse_distribution
from generator.errors import ConfigError
from generator.motion_models import (
    CAMERA_MOTIONS,
    MIN_REENTRY_FRAMES,
    MIN_REENTRY_S,
    PEDESTRIAN_MODELS,
    VEHICLE_MODELS,
)
from scenes.model import SKY_KINDS, TEXTURE_KINDS
from scenes.taxonomy import CATEGORIES

RENDERERS = ("pyrender", "blender", "fake")
# Keys that say how much or where to generate, not what: a dataset may be extended or resumed with
# other values of these, so they are left out of the config hash.
# How the scenes are executed (processes, retries): never part of the data, so left out of the config
# hash and of dataset.json, which are then the same whatever the worker or shard layout.
EXECUTION_KEYS = (
    "num_shards",
    "shard_index",
    "workers",
    "retries",
    "scene_timeout_s",
    "recycle_scenes",
    "preload_assets",
)
RUN_EXTENT_KEYS = ("num_scenes", "first_scene", "output_dir", "output", *EXECUTION_KEYS)


def _one_line(exc: BaseException) -> str:
    """Hydra and OmegaConf messages span lines; keep the informative ones on a single line."""
    parts = [str(exc)]
    if exc.__cause__ is not None:
        parts.append(str(exc.__cause__))
    lines = [ln.strip() for p in parts for ln in p.splitlines() if ln.strip()]
    keep = [ln for ln in lines if not ln.startswith(("Config search path", "provider=", "To append", "object_type"))]
    return "; ".join(dict.fromkeys(keep))


def compose_config(overrides: list[str]) -> DictConfig:
    """Compose ``configs/config.yaml`` with command-line ``overrides`` (Hydra syntax) and validate."""
    register_configs()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_module(config_module="configs", version_base="1.3"):
            cfg = compose("config", overrides=list(overrides))
        OmegaConf.resolve(cfg)
    except (HydraException, OmegaConfBaseException, ValueError, AttributeError, AssertionError, TypeError) as exc:
        # OmegaConf raises the last three when an override reaches into a None-valued node
        message = _one_line(exc)
        keys = [o.split("=", 1)[0].lstrip("+~") for o in overrides]
        if overrides and not any(k and k in message for k in keys):
            message += f" (in the overrides: {' '.join(overrides)})"  # name the culprit when OmegaConf doesn't
        raise ConfigError(f"config error: {message}") from None
    finally:
        GlobalHydra.instance().clear()
    validate_config(cfg)
    return cfg


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


def validate_config(cfg: DictConfig) -> None:
    """Check what Hydra's types cannot: unknown keys added with +, ranges, names, categories and
    distributions."""
    _check_known_keys(cfg)
    _require(cfg.seed >= 0, f"seed must be >= 0, got {cfg.seed}")
    _require(cfg.num_scenes >= 1, f"num_scenes must be >= 1, got {cfg.num_scenes}")
    _require(cfg.first_scene >= 0, f"first_scene must be >= 0, got {cfg.first_scene}")
    _require(cfg.num_shards >= 1, f"num_shards must be >= 1, got {cfg.num_shards}")
    _require(
        0 <= cfg.shard_index < cfg.num_shards,
        f"shard_index must be in [0, num_shards), got {cfg.shard_index} with num_shards={cfg.num_shards}",
    )
    _require(str(cfg.output_dir).strip() != "", "output_dir must not be empty")
    _require(cfg.workers >= 1, f"workers must be >= 1, got {cfg.workers}")
    _require(cfg.retries >= 0, f"retries must be >= 0, got {cfg.retries}")
    _require(cfg.scene_timeout_s >= 0, f"scene_timeout_s must be >= 0 (0 = no limit), got {cfg.scene_timeout_s}")
    _require(cfg.recycle_scenes >= 0, f"recycle_scenes must be >= 0 (0 = never), got {cfg.recycle_scenes}")
    _require(
        cfg.renderer.name in RENDERERS,
        f"renderer.name: unknown renderer {cfg.renderer.name!r} ({', '.join(RENDERERS)})",
    )
    from renderers.blender.backend import ENGINES  # no bpy: the worker alone imports it

    engine = cfg.renderer.engine
    _require(engine in ENGINES, f"renderer.engine: unknown engine {engine!r} ({', '.join(ENGINES)})")
    _require(0 < cfg.renderer.shutter <= 1, f"renderer.shutter must be in (0, 1] frames, got {cfg.renderer.shutter}")
    cam = cfg.camera
    _require(cam.width > 0 and cam.height > 0, f"camera.width/height must be > 0, got {cam.width}x{cam.height}")
    _require(0 < cam.fov_deg < 180, f"camera.fov_deg must be in (0, 180), got {cam.fov_deg}")
    if cam.intrinsics is not None:
        values = list(cam.intrinsics)
        _require(
            len(values) == 4 and values[0] > 0 and values[1] > 0,
            f"camera.intrinsics must be [fx, fy, cx, cy] with fx, fy > 0, got {values}",
        )
    _require(
        str(cam.name).replace("_", "").isalnum(),
        f"camera.name must be letters, digits and underscores (it names files), got {cam.name!r}",
    )
    _require(0 < cam.znear < cam.zfar, f"camera.znear/zfar must satisfy 0 < znear < zfar, got {cam.znear}, {cam.zfar}")
    _require(cfg.output.preview_frames >= 0, f"output.preview_frames must be >= 0, got {cfg.output.preview_frames}")
    from formats.exporters import EXPORTERS  # local: formats is only needed for this check

    for name in cfg.output.export:
        _require(name in EXPORTERS, f"output.export: unknown format {name!r} ({', '.join(sorted(EXPORTERS))})")
    _validate_scene(cfg.scene)
    _validate_sensors(cfg.sensors, cfg.scene.kind)


def _validate_sensors(sensors: DictConfig, kind: str) -> None:
    """Sensor names are unique file-name-safe words; presets exist; range sensors need a street."""
    from scenes.sensor_presets import LIDAR_PRESETS, RADAR_PRESETS

    names = [s.name for group in (sensors.cameras, sensors.lidars, sensors.radars) for s in group]
    _require(len(sensors.cameras) >= 1, "sensors.cameras: the rig needs at least one camera")
    for name in names:
        _require(str(name).replace("_", "").isalnum(), f"sensors: sensor name {name!r} must be letters, digits, _")
    _require(len(set(names)) == len(names), f"sensors: sensor names must be unique, got {names}")
    for lidar in sensors.lidars:
        _require(
            lidar.preset in LIDAR_PRESETS,
            f"sensors.lidars.{lidar.name}.preset: unknown {lidar.preset!r} ({', '.join(LIDAR_PRESETS)})",
        )
        _require(0 < lidar.rotation_hz <= 50, f"sensors.lidars.{lidar.name}.rotation_hz must be in (0, 50] Hz")
        _require(
            lidar.azimuth_steps is None or lidar.azimuth_steps >= 1,
            f"sensors.lidars.{lidar.name}.azimuth_steps must be >= 1 (or null for the preset's)",
        )
        _require(
            lidar.max_range_m is None or lidar.max_range_m > 0,
            f"sensors.lidars.{lidar.name}.max_range_m must be > 0 (or null for the preset's)",
        )
        _require(
            0 <= lidar.dropout <= 1 and 0 <= lidar.intensity_dropout <= 1,
            f"sensors.lidars.{lidar.name}: dropout values must lie in [0, 1]",
        )
    for radar in sensors.radars:
        _require(
            radar.preset in RADAR_PRESETS,
            f"sensors.radars.{radar.name}.preset: unknown {radar.preset!r} ({', '.join(RADAR_PRESETS)})",
        )
    for cam in sensors.cameras:
        _require(
            cam.width is None
            or (cam.width > 0 and cam.height is not None and cam.height > 0)
            or (cam.width is None and cam.height is None),
            f"sensors.cameras.{cam.name}: width and height must both be > 0 (or both null)",
        )
        _require(
            cam.fov_deg is None or 0 < cam.fov_deg < 180, f"sensors.cameras.{cam.name}.fov_deg must be in (0, 180)"
        )
    if kind != "street":
        _require(not sensors.lidars and not sensors.radars, f"sensors: LiDARs and radars need scene=street, not {kind}")
        _require(all(c.mount is None for c in sensors.cameras), f"sensors: camera mounts need scene=street, not {kind}")


def _validate_scene(scene: DictConfig) -> None:
    seq = scene.sequence
    _require(seq.fps > 0, f"scene.sequence.fps must be > 0, got {seq.fps}")
    _require(seq.num_frames >= 1, f"scene.sequence.num_frames must be >= 1, got {seq.num_frames}")
    if seq.reentry and scene.kind == "street":
        _require(
            seq.num_frames >= MIN_REENTRY_FRAMES,
            f"scene.sequence.reentry needs at least {MIN_REENTRY_FRAMES} frames, got {seq.num_frames}",
        )
        _require(
            seq.num_frames / seq.fps >= MIN_REENTRY_S,
            f"scene.sequence.reentry needs a sequence of at least {MIN_REENTRY_S} s (num_frames / fps), "
            f"got {seq.num_frames / seq.fps:g} s",
        )
    _require(scene.placement_attempts >= 1, f"scene.placement_attempts must be >= 1, got {scene.placement_attempts}")
    _check_weights("scene.categories", scene.categories, tuple(sorted(c.name for c in CATEGORIES)), "category")
    schema = SCENE_SCHEMAS[scene.kind]
    nodes = [("scene", scene, schema), ("scene.materials", scene.materials, MaterialConfig)]
    nodes.append(("scene.lighting", scene.lighting, LightingConfig))
    _check_weights("scene.materials.texture_kinds", scene.materials.texture_kinds, TEXTURE_KINDS, "texture kind")
    _check_weights("scene.lighting.sky", scene.lighting.sky, SKY_KINDS, "sky kind")
    if scene.kind == "street":
        nodes.append(("scene.motion", scene.motion, StreetMotionConfig))
        _check_weights("scene.motion.vehicle_models", scene.motion.vehicle_models, VEHICLE_MODELS)
        _check_weights("scene.motion.pedestrian_models", scene.motion.pedestrian_models, PEDESTRIAN_MODELS)
    else:
        _check_weights("scene.camera_motion", scene.camera_motion, CAMERA_MOTIONS)
    for prefix, node, cls in nodes:
        values = OmegaConf.to_container(node, resolve=True)
        for f in dataclasses.fields(cls):
            if f.type == "Any":
                _check_range(f"{prefix}.{f.name}", f.name, parse_distribution(f"{prefix}.{f.name}", values[f.name]))


# Where each distribution's draws must lie (inclusive); fields ending in _m must be > 0 metres.
FIELD_BOUNDS: dict[str, tuple[float, float]] = {
    "num_objects": (0, np.inf),
    "lanes_per_direction": (1, np.inf),
    "roughness": (0, 1),
    "metallic": (0, 1),
    "reflectivity": (0, 1),
    "value": (0, 1),
    "saturation": (0, 1),
    "texture_scale": (0, np.inf),
    "texture_contrast": (0, 1),
    "texture_roughness_variation": (0, 1),
    "area_lights": (0, 16),
    "area_light_intensity": (0, np.inf),
    "ambient": (0, np.inf),
    "sun_intensity": (0, np.inf),
    "sun_elevation_deg": (0, 90),
    "camera_elevation_deg": (0, 90),
    "ego_speed_mps": (0, 40),
    "vehicle_speed_mps": (0, 40),
    "pedestrian_speed_mps": (0, 4),
    "cyclist_speed_mps": (0, 15),
}
INTEGER_FIELDS = ("num_objects", "lanes_per_direction", "area_lights")


def _check_weights(key: str, weights: Any, known: tuple[str, ...], what: str = "model") -> None:
    """A {name: weight} table: known names, weights >= 0, not all 0."""
    _require(len(weights) > 0, f"{key} must name at least one {what}")
    for name, weight in weights.items():
        _require(name in known, f"{key}: unknown {what} {name!r}; known: {', '.join(known)}")
        _require(weight >= 0, f"{key}.{name}: weight must be >= 0, got {weight}")
    _require(sum(weights.values()) > 0, f"{key}: weights must not all be 0")


def _check_range(key: str, name: str, dist: Distribution) -> None:
    low, high = dist.support()
    if name in INTEGER_FIELDS:
        _require(dist.draws_integers(), f"{key}: must draw integers (an integer, randint or a choice of integers)")
    if name.endswith("_m"):
        _require(low > 0, f"{key}: must be > 0 metres, can draw {low}")
    if name in FIELD_BOUNDS:
        lo, hi = FIELD_BOUNDS[name]
        _require(lo <= low and high <= hi, f"{key}: must lie in [{lo}, {hi}], can draw [{low}, {high}]")


def _check_known_keys(cfg: DictConfig) -> None:
    """Reject keys added with Hydra's ``+`` that no schema declares (struct mode lets ``+`` through),
    and a ``scene.kind`` that does not match the scene group's keys."""
    kind = cfg.scene.kind
    _require(kind in SCENE_SCHEMAS, f"scene.kind: unknown scene kind {kind!r} ({', '.join(SCENE_SCHEMAS)})")
    declared = {f.name for f in dataclasses.fields(SCENE_SCHEMAS[kind])}
    extra = sorted(set(cfg.scene.keys()) - declared)
    if extra and all(k in {f.name for s in SCENE_SCHEMAS.values() for f in dataclasses.fields(s)} for k in extra):
        raise ConfigError(f"scene.kind: {kind!r} does not match the scene group's keys {extra}; use scene={kind}")
    try:
        schema = OmegaConf.structured(RunConfig)
        schema.scene = OmegaConf.structured(SCENE_SCHEMAS[kind])
        OmegaConf.merge(schema, OmegaConf.to_container(cfg, resolve=True))
    except OmegaConfBaseException as exc:
        raise ConfigError(f"config error: {_one_line(exc)}") from None


def config_hash(cfg: DictConfig, extra: dict[str, Any] | None = None) -> str:
    """SHA-256 (first 16 hex digits) of the resolved config without the run-extent keys, plus ``extra``
    (e.g. the user meshes' content hashes)."""
    data = OmegaConf.to_container(cfg, resolve=True)
    flow = data["output"]["flow"]  # what each frame holds: a resume must not change it
    for key in RUN_EXTENT_KEYS:
        data.pop(key, None)
    data["output_flow"] = flow
    data["extra"] = extra or {}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]

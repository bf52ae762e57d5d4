"""Compose the run config with Hydra and validate it before anything is written.

Every problem becomes a one-line ConfigError naming the key (or file) at fault.
"""

from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from configs.schema import (
    SCENE_SCHEMAS,
    FurnitureConfig,
    LightingConfig,
    MaterialConfig,
    PeopleConfig,
    RunConfig,
    StreetMotionConfig,
    register_configs,
)
from generator.errors import ConfigError
from generator.errors import require as _require
from generator.scenario_validation import validate_scenario
from generator.world.conditions import (
    may_attenuate,
    validate_conditions,
    validate_conditions_for_scene,
)
from generator.world.distributions import Distribution, parse_distribution
from generator.world.furniture import LABELLED_KINDS as FURNITURE_CATEGORIES
from generator.world.intersection import LAYOUTS
from generator.world.markings import STYLES
from generator.world.motion_models import (
    CAMERA_MOTIONS,
    MIN_REENTRY_FRAMES,
    MIN_REENTRY_S,
    PEDESTRIAN_MODELS,
    VEHICLE_MODELS,
)
from generator.world.paint import PAINT_MODES
from generator.world.street import NEAREST_VEHICLE_X_M
from scenes.model import HDRI_NAMES, SKY_KINDS, TEXTURE_KINDS
from scenes.plain_data import clip_text, short_repr
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
    # limits on user mesh files: raising one lets a big file through, it does not change the data
    "max_mesh_file_mb",
    "max_mesh_triangles",
    # how targeted attempts are judged (generator.run.judging): the labels written are a full frame's either way
    "target_judging",
)
RUN_EXTENT_KEYS = ("num_scenes", "first_scene", "output_dir", "output", *EXECUTION_KEYS)

# Documented limits (README, "Limits"): a config asking for more is refused with one line naming the key.
MAX_OBJECTS_PER_SCENE = 500  # placement is quadratic: 300 street objects take ~14 s to place, 1000 ~110 s
MAX_IMAGE_SIDE_PX = 16384  # GL_MAX_RENDERBUFFER_SIZE of Mesa llvmpipe and most GPUs; 16384^2 RGBA = 1 GiB
MAX_SEQUENCE_S = 600.0  # num_frames / fps; trajectories hold a keyframe every 0.05 s of it
MAX_FPS = 1000.0  # frames per second
MAX_WRITE_QUEUE = 16  # output.write_queue: frames held in memory while the background writer catches up
MAX_LENGTH_M = 10_000.0  # any length in metres (road, view range, widths, heights): buildings line the road
MIN_FURNITURE_SPACING_M = 2.0  # scene.furniture.*_spacing_m: closer would crowd every sidewalk
MAX_PLACEMENT_ATTEMPTS = 10_000  # tries per object; each try checks the footprints already placed
MAX_SCENES = 1_000_000  # scene folders are named with 6 digits (000000 .. 999999)
MAX_AZIMUTH_STEPS = 100_000  # LiDAR firings per turn (datasheets: a few thousand); rays = channels x steps
MAX_RETRIES = 100  # attempts per failing scene beyond the first
FOV_RANGE_DEG = (0.01, 179.0)  # a pinhole's field of view; at 180 degrees the projection degenerates


def _one_line(exc: BaseException) -> str:
    """Hydra and OmegaConf messages span lines; keep the informative ones on a single line."""
    parts = [str(exc)]
    if exc.__cause__ is not None:
        parts.append(str(exc.__cause__))
    lines = [ln.strip() for p in parts for ln in p.splitlines() if ln.strip()]
    keep = [ln for ln in lines if not ln.startswith(("Config search path", "provider=", "To append", "object_type"))]
    return clip_text("; ".join(dict.fromkeys(keep)))  # OmegaConf may quote a whole (huge) value


def compose_config(overrides: list[str]) -> DictConfig:
    """Compose ``configs/config.yaml`` with command-line ``overrides`` (Hydra syntax) and validate."""
    register_configs()
    check_search_path_yaml(overrides)
    GlobalHydra.instance().clear()
    try:
        with initialize_config_module(config_module="configs", version_base="1.3"):
            cfg = compose("config", overrides=list(overrides))
        OmegaConf.resolve(cfg)
    except RecursionError:
        # a config nested deeper than OmegaConf's recursive code goes (the bounded read above caps YAML
        # depth; this catches what still gets through, e.g. a file added to the folder meanwhile)
        raise ConfigError("config error: the config is nested too deeply for OmegaConf (a recursion limit)") from None
    except (HydraException, OmegaConfBaseException, ValueError, AttributeError, AssertionError, TypeError) as exc:
        # OmegaConf raises the last three when an override reaches into a None-valued node
        message = _one_line(exc)
        keys = [o.split("=", 1)[0].lstrip("+~") for o in overrides]
        if overrides and not any(k and k in message for k in keys):
            shown = clip_text(" ".join(overrides), 300)
            message += f" (in the overrides: {shown})"  # name the culprit when OmegaConf doesn't
        raise ConfigError(f"config error: {clip_text(message, 600)}{_quoting_hint(overrides, message)}") from None
    finally:
        GlobalHydra.instance().clear()
    validate_config(cfg)
    return cfg


def _quoting_hint(overrides: list[str], message: str) -> str:
    """How to quote a value Hydra's override lexer refuses: it reads unquoted values as ASCII words, so
    ``output_dir=/tmp/données`` fails with a LexerNoViableAltException; a quoted value is taken as is."""
    if "LexerNoViableAlt" not in message:
        return ""
    odd = [o for o in overrides if "=" in o and not o.split("=", 1)[1].isascii()]
    if not odd:
        return ""
    key, value = odd[0].split("=", 1)
    return f"; quote values with non-ASCII characters: {key}=\"'{clip_text(value, 200)}'\" in a shell"


def check_search_path_yaml(overrides: list[str]) -> None:
    """Read (bounded, ``scenes.plain_data.load_yaml``) every YAML file in the folders an override adds to
    Hydra's search path (``hydra.searchpath=[file:///dir]``), before Hydra composes them: OmegaConf
    would expand an alias bomb there until memory runs out; here it is refused with one line."""
    from scenes.plain_data import load_yaml

    for override in overrides:
        key, sep, value = override.partition("=")
        if not sep or key.lstrip("+~") != "hydra.searchpath":
            continue
        for item in value.strip().strip("[]").split(","):
            item = item.strip().strip("'\"")
            if not item or item.startswith("pkg://"):
                continue  # pkg:// paths are installed packages, not a user's folder
            folder = Path(item.removeprefix("file://"))
            for path in _search_path_files(folder):
                load_yaml(path, ConfigError)


def _search_path_files(folder: Path) -> list[Path]:
    """Every file Hydra may read under ``folder``: ``<dir>/<group>/.../<option>.yaml`` at any depth (config
    groups nest without limit, ``+a/b/c=d``), symlinked folders followed as Hydra follows them (each real
    folder once, so a link cycle ends). Only ``.yaml``: with ``version_base`` 1.2 and later Hydra appends
    ``.yaml`` to every name, so it never reads a ``.yml`` file."""
    if not folder.is_dir():
        return []
    found: list[Path] = []
    seen: set[str] = set()
    for top, dirs, files in os.walk(folder, followlinks=True):
        real = os.path.realpath(top)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs.sort()
        found.extend(Path(top, name) for name in sorted(files) if name.endswith(".yaml"))
    return found


def _between(key: str, value: float, low: float, high: float, unit: str = "") -> None:
    """``low <= value <= high``, else one line naming ``key``, the range and the value."""
    _require(low <= value <= high, f"{key} must be in [{low:g}, {high:g}]{unit}, got {short_repr(value)}")


def _check_finite(node: Any, key: str = "") -> None:
    """Every float anywhere in the composed config (recursively, lists included) must be finite: NaN
    compares false with every bound, so no range check would catch it, and inf overflows numpy's samplers
    or ends as a bare NaN in scene.json."""
    if isinstance(node, float) and not math.isfinite(node):
        raise ConfigError(f"{key}: must be a finite number, got {node}")
    if isinstance(node, dict):
        for name, value in node.items():
            _check_finite(value, f"{key}.{name}" if key else str(name))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _check_finite(value, f"{key}[{i}]")


def _check_missing(cfg: DictConfig) -> None:
    """A mandatory key without a value (``~scene`` deletes the scene group): one line, not OmegaConf's
    MissingMandatoryValue traceback."""
    missing = sorted(OmegaConf.missing_keys(cfg))
    if "scene" in missing:
        raise ConfigError(f"scene: no scene chosen; pick one with scene=NAME ({', '.join(SCENE_SCHEMAS)})")
    if missing:
        raise ConfigError(f"{missing[0]}: missing mandatory value")


def validate_config(cfg: DictConfig) -> None:
    """Check what Hydra's types cannot: unknown keys added with +, ranges, names, categories and
    distributions; every number finite and in its physical range."""
    _check_missing(cfg)
    _check_finite(OmegaConf.to_container(cfg, resolve=True))
    _check_known_keys(cfg)
    _require(cfg.seed >= 0, f"seed must be >= 0, got {cfg.seed}")
    _require(cfg.num_scenes >= 1, f"num_scenes must be >= 1, got {cfg.num_scenes}")
    _require(cfg.first_scene >= 0, f"first_scene must be >= 0, got {cfg.first_scene}")
    _require(
        cfg.first_scene + cfg.num_scenes <= MAX_SCENES,
        f"first_scene + num_scenes must be <= {MAX_SCENES} (scene folders have 6 digits), "
        f"got {cfg.first_scene} + {cfg.num_scenes}",
    )
    _require(cfg.num_shards >= 1, f"num_shards must be >= 1, got {cfg.num_shards}")
    _require(
        0 <= cfg.shard_index < cfg.num_shards,
        f"shard_index must be in [0, num_shards), got {cfg.shard_index} with num_shards={cfg.num_shards}",
    )
    _require(str(cfg.output_dir).strip() != "", "output_dir must not be empty")
    _require(cfg.workers >= 1, f"workers must be >= 1, got {cfg.workers}")
    _require(cfg.retries >= 0, f"retries must be >= 0, got {cfg.retries}")
    _between("retries", cfg.retries, 0, MAX_RETRIES)
    _require(cfg.scene_timeout_s >= 0, f"scene_timeout_s must be >= 0 (0 = no limit), got {cfg.scene_timeout_s}")
    _require(cfg.recycle_scenes >= 0, f"recycle_scenes must be >= 0 (0 = never), got {cfg.recycle_scenes}")
    _require(cfg.max_mesh_file_mb > 0, f"max_mesh_file_mb must be > 0 MB, got {cfg.max_mesh_file_mb}")
    _require(cfg.max_mesh_triangles >= 1, f"max_mesh_triangles must be >= 1, got {cfg.max_mesh_triangles}")
    from generator.run.judging import JUDGING_MODES

    _require(
        cfg.target_judging in JUDGING_MODES,
        f"target_judging must be one of {', '.join(JUDGING_MODES)}, got {short_repr(cfg.target_judging)}",
    )
    _require(
        cfg.renderer.name in RENDERERS,
        f"renderer.name: unknown renderer {short_repr(cfg.renderer.name)} ({', '.join(RENDERERS)})",
    )
    from renderers.blender.backend import ENGINES  # no bpy: the worker alone imports it

    engine = cfg.renderer.engine
    _require(engine in ENGINES, f"renderer.engine: unknown engine {short_repr(engine)} ({', '.join(ENGINES)})")
    _require(0 < cfg.renderer.shutter <= 1, f"renderer.shutter must be in (0, 1] frames, got {cfg.renderer.shutter}")
    _validate_renderer(cfg.renderer)
    _validate_camera(cfg.camera)
    _require(cfg.output.preview_frames >= 0, f"output.preview_frames must be >= 0, got {cfg.output.preview_frames}")
    level = cfg.output.png_compression
    _require(0 <= level <= 9, f"output.png_compression must be a zlib level 0-9, got {level}")
    queue = cfg.output.write_queue
    # each queued frame holds its buffers (~3 MB at 640x480, ~20 MB at 1080p): a few suffice to overlap writing
    _require(0 <= queue <= MAX_WRITE_QUEUE, f"output.write_queue must be in 0..{MAX_WRITE_QUEUE} frames, got {queue}")
    from formats.exporters import EXPORTERS  # local: formats is only needed for this check

    for name in cfg.output.export:
        known = ", ".join(sorted(EXPORTERS))
        _require(name in EXPORTERS, f"output.export: unknown format {short_repr(name)} ({known})")
    _validate_scene(cfg.scene)
    _validate_sensors(cfg.sensors, cfg.scene.kind)
    validate_scenario(
        OmegaConf.to_container(cfg.scenario, resolve=True), OmegaConf.to_container(cfg.scene, resolve=True)
    )
    conditions = OmegaConf.to_container(cfg.conditions, resolve=True)
    validate_conditions(conditions)
    validate_conditions_for_scene(conditions, cfg.scene.kind)
    from generator.run.targeting import target_of  # the predicate's own parser names the key at fault

    target = target_of(cfg)
    reads_transmittance = target is not None and any(
        name == "transmittance" for block in target.blocks for name, _, _ in block.intervals
    )
    _require(
        not reads_transmittance or may_attenuate(conditions),
        f"target: transmittance is recorded only under fog, rain or snow; conditions={conditions['name']} has none",
    )


def _validate_renderer(renderer: DictConfig) -> None:
    """Blender's numbers: a typo (samples=1e9) would render one frame for days."""
    _between("renderer.samples", renderer.samples, 1, 65536, " samples per pixel")
    _between("renderer.max_bounces", renderer.max_bounces, 0, 1024)
    _between("renderer.threads", renderer.threads, 0, 1024, " (0 = all cores)")
    _between("renderer.adaptive_threshold", renderer.adaptive_threshold, 0.0, 1.0, " (0 = off)")
    _between("renderer.filter_width_px", renderer.filter_width_px, 0.0, 100.0, " pixels")
    recycle = renderer.recycle_after
    _require(recycle >= 0, f"renderer.recycle_after must be >= 0 (0 = never), got {recycle}")


def _check_image_size(key: str, width: int, height: int) -> None:
    """Image sides in (0, MAX_IMAGE_SIDE_PX] pixels (the renderer checks its own GL limit when it starts)."""
    _require(width > 0 and height > 0, f"{key}: width/height must be > 0, got {width}x{height}")
    _require(
        width <= MAX_IMAGE_SIDE_PX and height <= MAX_IMAGE_SIDE_PX,
        f"{key}: width/height must be <= {MAX_IMAGE_SIDE_PX} pixels, got {width}x{height}",
    )


def _validate_camera(cam: DictConfig) -> None:
    """Image size, field of view or intrinsics, clipping range: an out-of-range value renders empty
    frames (fx = 1e-300, zfar = inf) that nothing downstream would flag."""
    _check_image_size("camera", cam.width, cam.height)
    _between("camera.fov_deg", cam.fov_deg, *FOV_RANGE_DEG, " degrees")
    if cam.intrinsics is not None:
        values = list(cam.intrinsics)
        _require(
            len(values) == 4 and values[0] > 0 and values[1] > 0,
            f"camera.intrinsics must be [fx, fy, cx, cy] with fx, fy > 0, got {short_repr(values)}",
        )
        fx, fy, cx, cy = values
        for name, focal, side in (("fx", fx, cam.width), ("fy", fy, cam.height)):
            fov = 2 * math.degrees(math.atan(side / (2 * focal)))
            _require(
                FOV_RANGE_DEG[0] <= fov <= FOV_RANGE_DEG[1],
                f"camera.intrinsics: {name}={focal:g} px gives a {fov:.4g} degree field of view over {side} px; "
                f"it must be in [{FOV_RANGE_DEG[0]:g}, {FOV_RANGE_DEG[1]:g}]",
            )
        for name, centre, side in (("cx", cx, cam.width), ("cy", cy, cam.height)):
            _require(
                -side <= centre <= 2 * side,
                f"camera.intrinsics: {name}={centre:g} px must lie within one image size of the image, "
                f"[{-side}, {2 * side}]",
            )
    _require(
        str(cam.name).replace("_", "").isalnum(),
        f"camera.name must be letters, digits and underscores (it names files), got {short_repr(cam.name)}",
    )
    _require(0 < cam.znear < cam.zfar, f"camera.znear/zfar must satisfy 0 < znear < zfar, got {cam.znear}, {cam.zfar}")
    _between("camera.znear", cam.znear, 1e-4, MAX_LENGTH_M, " metres")
    _between("camera.zfar", cam.zfar, 1e-4, 10 * MAX_LENGTH_M, " metres")


def _validate_sensors(sensors: DictConfig, kind: str) -> None:
    """Sensor names are unique file-name-safe words; presets exist; range sensors need a street."""
    from scenes.sensor_presets import LIDAR_PRESETS, RADAR_PRESETS

    names = [s.name for group in (sensors.cameras, sensors.lidars, sensors.radars) for s in group]
    _require(len(sensors.cameras) >= 1, "sensors.cameras: the rig needs at least one camera")
    for name in names:
        word = str(name).replace("_", "").isalnum()
        _require(word, f"sensors: sensor name {short_repr(name)} must be letters, digits, _")
    _require(len(set(names)) == len(names), f"sensors: sensor names must be unique, got {short_repr(names)}")
    for lidar in sensors.lidars:
        _require(
            lidar.preset in LIDAR_PRESETS,
            f"sensors.lidars.{lidar.name}.preset: unknown {short_repr(lidar.preset)} ({', '.join(LIDAR_PRESETS)})",
        )
        _require(0 < lidar.rotation_hz <= 50, f"sensors.lidars.{lidar.name}.rotation_hz must be in (0, 50] Hz")
        _require(
            lidar.azimuth_steps is None or lidar.azimuth_steps >= 1,
            f"sensors.lidars.{lidar.name}.azimuth_steps must be >= 1 (or null for the preset's)",
        )
        steps = lidar.azimuth_steps or round(LIDAR_PRESETS[lidar.preset]["azimuth_steps"] * 10.0 / lidar.rotation_hz)
        _require(
            steps <= MAX_AZIMUTH_STEPS,
            f"sensors.lidars.{lidar.name}: {steps} firings per turn (azimuth_steps, or the preset's at "
            f"rotation_hz={lidar.rotation_hz:g}) exceed the limit of {MAX_AZIMUTH_STEPS}",
        )
        _require(
            lidar.max_range_m is None or 0 < lidar.max_range_m <= MAX_LENGTH_M,
            f"sensors.lidars.{lidar.name}.max_range_m must be in (0, {MAX_LENGTH_M:g}] metres "
            "(or null for the preset's)",
        )
        _require(
            0 <= lidar.dropout <= 1 and 0 <= lidar.intensity_dropout <= 1,
            f"sensors.lidars.{lidar.name}: dropout values must lie in [0, 1]",
        )
    for radar in sensors.radars:
        _require(
            radar.preset in RADAR_PRESETS,
            f"sensors.radars.{radar.name}.preset: unknown {short_repr(radar.preset)} ({', '.join(RADAR_PRESETS)})",
        )
    for cam in sensors.cameras:
        _require(
            cam.width is None
            or (cam.width > 0 and cam.height is not None and cam.height > 0)
            or (cam.width is None and cam.height is None),
            f"sensors.cameras.{cam.name}: width and height must both be > 0 (or both null)",
        )
        if cam.width is not None:
            _check_image_size(f"sensors.cameras.{cam.name}", cam.width, cam.height)
        if cam.fov_deg is not None:
            _between(f"sensors.cameras.{cam.name}.fov_deg", cam.fov_deg, *FOV_RANGE_DEG, " degrees")
    for group in ("cameras", "lidars", "radars"):
        for sensor in sensors[group]:
            if sensor.get("mount") is not None:
                _check_mount(f"sensors.{group}.{sensor.name}.mount", sensor.mount)
    if kind != "street":
        _require(not sensors.lidars and not sensors.radars, f"sensors: LiDARs and radars need scene=street, not {kind}")
        _require(all(c.mount is None for c in sensors.cameras), f"sensors: camera mounts need scene=street, not {kind}")


def _check_mount(key: str, mount: DictConfig) -> None:
    """A sensor within 100 m of the ego origin, angles within one turn."""
    for name in ("x_m", "y_m", "z_m"):
        _between(f"{key}.{name}", mount[name], -100.0, 100.0, " metres")
    for name in ("yaw_deg", "pitch_deg", "roll_deg"):
        _between(f"{key}.{name}", mount[name], -360.0, 360.0, " degrees")


def _validate_scene(scene: DictConfig) -> None:
    seq = scene.sequence
    _require(seq.fps > 0, f"scene.sequence.fps must be > 0, got {seq.fps}")
    _require(seq.num_frames >= 1, f"scene.sequence.num_frames must be >= 1, got {seq.num_frames}")
    _require(seq.fps <= MAX_FPS, f"scene.sequence.fps must be <= {MAX_FPS:g} frames per second, got {seq.fps}")
    _require(
        seq.num_frames / seq.fps <= MAX_SEQUENCE_S,
        f"scene.sequence: num_frames / fps = {seq.num_frames / seq.fps:.4g} s exceeds the limit of "
        f"{MAX_SEQUENCE_S:g} s per sequence",
    )
    if "road_length_m" in scene:
        _between("scene.road_length_m", scene.road_length_m, 0.0, MAX_LENGTH_M, " metres")
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
    _between("scene.placement_attempts", scene.placement_attempts, 1, MAX_PLACEMENT_ATTEMPTS)
    _check_weights("scene.categories", scene.categories, tuple(sorted(c.name for c in CATEGORIES)), "category")
    for name in FURNITURE_CATEGORIES:  # placed along the sidewalks by scene.furniture, never as road users
        _require(
            not scene.categories.get(name, 0),
            f"scene.categories.{name}: street furniture is placed by scene.furniture, not drawn as a road user",
        )
    schema = SCENE_SCHEMAS[scene.kind]
    nodes = [("scene", scene, schema), ("scene.materials", scene.materials, MaterialConfig)]
    nodes.append(("scene.lighting", scene.lighting, LightingConfig))
    _check_weights("scene.materials.texture_kinds", scene.materials.texture_kinds, TEXTURE_KINDS, "texture kind")
    _check_weights("scene.lighting.sky", scene.lighting.sky, SKY_KINDS, "sky kind")
    _check_weights("scene.lighting.hdri", scene.lighting.hdri, ("none", *HDRI_NAMES), "HDRI")
    _require(
        scene.materials.vehicle_paint in PAINT_MODES,
        f"scene.materials.vehicle_paint must be one of {', '.join(PAINT_MODES)}, "
        f"got {short_repr(scene.materials.vehicle_paint)}",
    )
    if scene.kind == "street":
        known = ", ".join(LAYOUTS)
        _require(scene.layout in LAYOUTS, f"scene.layout: unknown layout {short_repr(scene.layout)} ({known})")
        nodes.append(("scene.motion", scene.motion, StreetMotionConfig))
        _check_weights("scene.motion.vehicle_models", scene.motion.vehicle_models, VEHICLE_MODELS)
        _check_weights("scene.motion.pedestrian_models", scene.motion.pedestrian_models, PEDESTRIAN_MODELS)
        nodes.append(("scene.people", scene.people, PeopleConfig))
        _require(
            isinstance(scene.people.articulated, bool),
            f"scene.people.articulated must be true or false, got {short_repr(scene.people.articulated)}",
        )
        _between("scene.people.child_share", scene.people.child_share, 0.0, 1.0)
        _validate_streetscape(scene)
    else:
        _check_weights("scene.camera_motion", scene.camera_motion, CAMERA_MOTIONS)
    for prefix, node, cls in nodes:
        values = OmegaConf.to_container(node, resolve=True)
        for f in dataclasses.fields(cls):
            if f.type == "Any":
                _check_range(f"{prefix}.{f.name}", f.name, parse_distribution(f"{prefix}.{f.name}", values[f.name]))


def _validate_streetscape(scene: DictConfig) -> None:
    """scene.markings, scene.furniture, scene.facades and scene.details: switches are booleans, the style
    is known, spacings are lengths of at least MIN_FURNITURE_SPACING_M (closer would crowd every sidewalk)."""
    for key, node in (("markings", scene.markings), ("furniture", scene.furniture), ("facades", scene.facades)):
        _require(
            isinstance(node.enabled, bool), f"scene.{key}.enabled must be true or false, got {short_repr(node.enabled)}"
        )
    _require(
        isinstance(scene.furniture.traffic_lights, bool),
        f"scene.furniture.traffic_lights must be true or false, got {short_repr(scene.furniture.traffic_lights)}",
    )
    _require(
        scene.markings.style in STYLES,
        f"scene.markings.style: unknown style {short_repr(scene.markings.style)} ({', '.join(STYLES)})",
    )
    for key in ("paving", "manholes"):
        value = scene.details[key]
        _require(isinstance(value, bool), f"scene.details.{key} must be true or false, got {short_repr(value)}")
    _between("scene.details.slab_size_m", scene.details.slab_size_m, 0.05, 10.0, " metres")
    _between(
        "scene.details.manhole_spacing_m",
        scene.details.manhole_spacing_m,
        MIN_FURNITURE_SPACING_M,
        MAX_LENGTH_M,
        " metres",
    )
    for f in dataclasses.fields(FurnitureConfig):
        if f.name.endswith("_spacing_m"):
            _between(
                f"scene.furniture.{f.name}",
                getattr(scene.furniture, f.name),
                MIN_FURNITURE_SPACING_M,
                MAX_LENGTH_M,
                " metres",
            )


# Where each distribution's draws must lie (inclusive). Fields not listed are bounded by their unit
# (UNIT_BOUNDS); every distribution field has a finite range (a test checks), so a typo such as 1e300
# cannot turn into a hang or an overflow.
FIELD_BOUNDS: dict[str, tuple[float, float]] = {
    "num_objects": (0, MAX_OBJECTS_PER_SCENE),
    "lanes_per_direction": (1, 8),
    "crossing_lanes_per_direction": (1, 8),
    # objects stand from NEAREST_VEHICLE_X_M ahead of the ego camera out to the view range: a shorter
    # range leaves no road to place them on ('high - low < 0' in the sampler)
    "view_range_m": (NEAREST_VEHICLE_X_M, MAX_LENGTH_M),
    "roughness": (0, 1),
    "metallic": (0, 1),
    "reflectivity": (0, 1),
    "value": (0, 1),
    "saturation": (0, 1),
    "texture_scale": (0, 1000),
    "texture_contrast": (0, 1),
    "texture_roughness_variation": (0, 1),
    "area_lights": (0, 16),
    "area_light_intensity": (0, 1e5),
    "ambient": (0, 10),
    "sun_intensity": (0, 1000),
    "sun_elevation_deg": (0, 90),
    "camera_elevation_deg": (0, 90),
    "camera_pitch_deg": (-90, 90),
    "camera_yaw_deg": (-180, 180),
    "dolly_speed_mps": (-10, 10),
    "ego_speed_mps": (0, 40),
    "vehicle_speed_mps": (0, 40),
    "pedestrian_speed_mps": (0, 4),
    "child_height_m": (0.9, 1.6),
    "cyclist_speed_mps": (0, 15),
}
# By unit suffix: lengths > 0 (checked apart, below) up to MAX_LENGTH_M, angles and turn rates within a turn.
UNIT_BOUNDS: dict[str, tuple[float, float]] = {
    "_m": (0, MAX_LENGTH_M),
    "_deg": (-360, 360),
    "_deg_s": (-360, 360),
}
INTEGER_FIELDS = ("num_objects", "lanes_per_direction", "crossing_lanes_per_direction", "area_lights")


def field_bounds(name: str) -> tuple[float, float] | None:
    """The inclusive range of distribution field ``name``: its own, else its unit's (None: unbounded)."""
    if name in FIELD_BOUNDS:
        return FIELD_BOUNDS[name]
    suffix = next((s for s in sorted(UNIT_BOUNDS, key=len, reverse=True) if name.endswith(s)), None)
    return UNIT_BOUNDS[suffix] if suffix else None


def _check_weights(key: str, weights: Any, known: tuple[str, ...], what: str = "model") -> None:
    """A {name: weight} table: known names, weights >= 0, not all 0."""
    _require(len(weights) > 0, f"{key} must name at least one {what}")
    for name, weight in weights.items():
        _require(name in known, f"{key}: unknown {what} {short_repr(name)}; known: {', '.join(known)}")
        _require(weight >= 0, f"{key}.{name}: weight must be >= 0, got {weight}")
        _require(weight <= 1e12, f"{key}.{name}: weight must be <= 1e12 (weights are relative), got {weight}")
    _require(sum(weights.values()) > 0, f"{key}: weights must not all be 0")


def _check_range(key: str, name: str, dist: Distribution) -> None:
    low, high = dist.support()
    if name in INTEGER_FIELDS:
        _require(dist.draws_integers(), f"{key}: must draw integers (an integer, randint or a choice of integers)")
    if name.endswith("_m"):
        _require(low > 0, f"{key}: must be > 0 metres, can draw {low}")
    bounds = field_bounds(name)
    if bounds is not None:
        lo, hi = bounds
        if name == "num_objects" and high > hi:
            raise ConfigError(
                f"{key}: at most {MAX_OBJECTS_PER_SCENE} objects per scene (MAX_OBJECTS_PER_SCENE), can draw {high:g}"
            )
        _require(lo <= low and high <= hi, f"{key}: must lie in [{lo:g}, {hi:g}], can draw [{low:g}, {high:g}]")


def _check_known_keys(cfg: DictConfig) -> None:
    """Reject keys added with Hydra's ``+`` that no schema declares (struct mode lets ``+`` through),
    and a ``scene.kind`` that does not match the scene group's keys."""
    kind = cfg.scene.kind
    _require(kind in SCENE_SCHEMAS, f"scene.kind: unknown scene kind {short_repr(kind)} ({', '.join(SCENE_SCHEMAS)})")
    declared = {f.name for f in dataclasses.fields(SCENE_SCHEMAS[kind])}
    extra = sorted(set(cfg.scene.keys()) - declared)
    if extra and all(k in {f.name for s in SCENE_SCHEMAS.values() for f in dataclasses.fields(s)} for k in extra):
        raise ConfigError(
            f"scene.kind: {short_repr(kind)} does not match the scene group's keys {extra}; use scene={kind}"
        )
    try:
        schema = OmegaConf.structured(RunConfig)
        schema.scene = OmegaConf.structured(SCENE_SCHEMAS[kind])
        OmegaConf.merge(schema, OmegaConf.to_container(cfg, resolve=True))
    except OmegaConfBaseException as exc:
        raise ConfigError(f"config error: {_one_line(exc)}") from None

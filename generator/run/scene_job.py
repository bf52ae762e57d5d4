"""One scene's work: sample it (with a target: the attempts until one is accepted), write scene.json,
render, label and write its frames.

Shared by the in-process run and the worker processes, so a scene is produced by the same code
whichever executes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig

from assets.catalog import UserAsset
from generator.errors import TargetNotMet
from generator.run.judging import JudgedFrame, judge_frame, judging_plan
from generator.run.range_sensors import range_sensor_labels
from generator.run.targeting import Target, sensor_types, target_record
from generator.run.writing import FrameCallback, FrameQueue, write_queue_depth
from generator.world.sampling import sample_scene, scene_id_for
from labels import annotate
from labels.flow import geometric_flow
from renderers.base import Pass, RendererBackend, RenderResult
from scenes import Lidar, Scene, plain_data


@dataclass
class SceneContext:
    """What rendering a scene needs, opened once per process.

    Attributes:
        cfg: the validated run config.
        user_assets: the catalog's assets (``generator.run.resources.load_user_assets``).
        backend: an open renderer.
        writer: the dataset writer (``formats.native.NativeWriter``; opened by the run's main process).
        flow: whether frames get optical flow (``wants_flow``).
        target: the run's target (``generator.run.targeting.target_of``); None: untargeted.
    """

    cfg: DictConfig
    user_assets: list[UserAsset]
    backend: RendererBackend
    writer: Any
    flow: bool
    target: Target | None = None


@dataclass
class FrameData:
    """One frame rendered and labelled, not yet written: the renderer's results (one per camera), the
    label record and the per-sensor arrays (``NativeWriter.write_frame``'s arguments)."""

    frame: int
    results: list[Any]
    labels: dict[str, Any]
    arrays: dict[str, np.ndarray]


def render_scene(
    ctx: SceneContext, index: int, frames: list[int], on_frame: FrameCallback, scene: Scene | None = None
) -> None:
    """Sample scene ``index`` (or use ``scene``, already sampled), write its scene.json and the given
    ``frames``; ``on_frame`` is called after each frame's manifest line is written. Frames are written
    behind the rendering of the next ones (``output.write_queue``, ``generator.run.writing``); every
    frame is written, or its error raised, before this returns.

    With a target, attempts are drawn until one is accepted (``find_attempt``; TargetNotMet when none
    is within ``max_attempts``); frames judged on full renders are written as they are, frames judged
    cheaply are completed (what judging rendered is reused), the others are rendered in full now."""
    done: dict[int, FrameData | JudgedFrame] = {}
    if ctx.target is not None:
        scene, done = find_attempt(ctx, index, scene)
    elif scene is None:
        scene = sample_scene(ctx.cfg, index, ctx.user_assets)
    ctx.writer.write_scene(scene)
    with FrameQueue(ctx.writer, on_frame, index, write_queue_depth(ctx.cfg)) as queue:
        for frame in frames:
            data = done.pop(frame, None)
            if not isinstance(data, FrameData):  # not judged, or judged cheaply: complete it to a full frame
                data = compute_frame(scene, frame, ctx.backend, ctx.flow, judged=data)
            if ctx.target is not None:
                data.labels["target"] = {
                    **scene.params["target"],
                    "frame_satisfies": ctx.target.frame_satisfies(data.labels),
                }
            queue.put(scene, data.frame, data.results, data.labels, data.arrays)


def find_attempt(
    ctx: SceneContext, index: int, scene: Scene | None = None
) -> tuple[Scene, dict[int, FrameData | JudgedFrame]]:
    """The kept attempt of scene ``index`` of a targeted run and the frames rendered to judge it.

    A scene whose scene.json is already written (a resumed or retried scene) keeps the attempt it
    records, so frames still missing come from the same attempt; otherwise attempts 0, 1, ... are drawn
    (``scene``, if given, is attempt 0) and judged on their labels until one is accepted. Judging
    computes only what the target reads (``judging.judging_plan``; ``target_judging=full``: full
    frames); the frames returned are what judging computed of the kept attempt: full frames (judged in
    full), to be written as they are, or JudgedFrames (judged cheaply), to be completed to full frames.

    Raises:
        TargetNotMet: no attempt within ``max_attempts`` is accepted.
    """
    target = ctx.target
    assert target is not None
    recorded = recorded_target(ctx.writer.root, index)
    if recorded is not None:
        attempt = int(recorded["attempt"])
        if scene is None or attempt != 0:
            scene = sample_scene(ctx.cfg, index, ctx.user_assets, attempt=attempt)
        scene.params["target"] = target_record(attempt)
        return scene, {}
    judged = target.judged_frames(int(ctx.cfg.scene.sequence.num_frames))
    plan = None if judging_mode(ctx.cfg) == "full" else judging_plan(target, sensor_types(ctx.cfg.sensors))
    for attempt in range(target.max_attempts):
        if attempt or scene is None:
            scene = sample_scene(ctx.cfg, index, ctx.user_assets, attempt=attempt)
        full = plan is None or plan.is_complete(scene, frame_passes(ctx.backend))
        done: dict[int, FrameData | JudgedFrame] = {}
        verdicts: dict[int, bool] = {}
        for frame in judged:
            done[frame] = (
                compute_frame(scene, frame, ctx.backend, ctx.flow)
                if full
                else judge_frame(scene, frame, ctx.backend, plan)
            )
            labels = done[frame].labels
            verdicts[frame] = target.frame_satisfies(labels)
            if target.decided(verdicts):
                break
        if target.accepts(verdicts):
            scene.params["target"] = target_record(attempt)
            return scene, done
    raise TargetNotMet(
        f"target not met by any of {target.max_attempts} attempts of scene {index} (target.max_attempts)",
        attempts=target.max_attempts,
    )


def recorded_target(root: str | Path, index: int) -> dict[str, Any] | None:
    """``params["target"]`` of scene ``index``'s scene.json in the dataset ``root``, if a run already
    wrote it (None: not written, unreadable, or without a target record)."""
    from formats.native import scene_file

    path = Path(root) / scene_file(scene_id_for(index))
    if not path.is_file():
        return None
    try:
        record = plain_data.load_json(path).get("params", {}).get("target")
    except (plain_data.PlainDataError, AttributeError):
        return None  # unreadable or damaged: search again (the scene is rewritten from its attempts)
    return record if isinstance(record, dict) and isinstance(record.get("attempt"), int) else None


def judging_mode(cfg: DictConfig) -> str:
    """How attempts are judged (``target_judging``, an execution key): cheap (default) or full."""
    return str(cfg.get("target_judging", "cheap"))


def frame_passes(backend: RendererBackend) -> frozenset[Pass]:
    """The passes a full frame asks ``backend`` for: those it was opened with (``resources.open_backend``)."""
    return frozenset(getattr(backend, "passes", backend.capabilities))


def wants_flow(cfg: DictConfig) -> bool:
    """Whether frames get an optical-flow file: ``output.flow``, or by default only sequences."""
    return cfg.output.flow if cfg.output.flow is not None else cfg.scene.sequence.num_frames > 1


def render_frame(scene: Scene, frame: int, backend: RendererBackend, writer: Any, flow: bool) -> dict[str, Any]:
    """Render, label and write one frame of every sensor; returns its manifest record."""
    return write_frame(scene, compute_frame(scene, frame, backend, flow), writer)


def write_frame(scene: Scene, data: FrameData, writer: Any) -> dict[str, Any]:
    """Write a computed frame (its files, then its manifest line); returns its manifest record."""
    return writer.write_frame(scene, data.frame, data.results, data.labels, data.arrays)


def compute_frame(
    scene: Scene, frame: int, backend: RendererBackend, flow: bool, judged: JudgedFrame | None = None
) -> FrameData:
    """Render and label one frame of every sensor, writing nothing. ``judged``: what cheap judging
    already rendered and cast of this frame, reused (only the other passes and sensors are computed)."""
    t = scene.frame_time(frame)
    results = [_camera_render(scene, t, camera.name, backend, judged) for camera in scene.rig.cameras]
    labels = None
    arrays: dict[str, np.ndarray] = {}
    for camera, result in zip(scene.rig.cameras, results, strict=True):
        one = annotate(scene, frame, camera, result.instance, result.amodal or {}, result.depth)
        if labels is None:
            labels = one
        else:
            for key in ("sensors", "objects", "categories_present"):
                labels[key].update(one[key])
        if flow:
            t_next = scene.frame_time(frame + 1)
            arrays[f"{camera.name}.flow.npy"] = geometric_flow(scene, camera, t, t_next, result.depth, result.instance)
    # sensor by sensor in rig order (LiDARs, then radars), so labels and arrays come in the same order
    # whichever sensors judging already cast
    for sensor in (*scene.rig.lidars, *scene.rig.radars):
        if judged is not None and sensor.name in judged.range_labels:
            labels["sensors"][sensor.name], labels["objects"][sensor.name] = judged.range_labels[sensor.name]
            suffix = "points" if isinstance(sensor, Lidar) else "detections"
            arrays[f"{sensor.name}.{suffix}.npy"] = judged.range_arrays[f"{sensor.name}.{suffix}.npy"]
        elif isinstance(sensor, Lidar):
            range_sensor_labels(scene, frame, t, labels, arrays, [sensor], [])
        else:
            range_sensor_labels(scene, frame, t, labels, arrays, [], [sensor])
    return FrameData(frame, results, labels, arrays)


def _camera_render(
    scene: Scene, t: float, camera: str, backend: RendererBackend, judged: JudgedFrame | None
) -> RenderResult:
    """A full render of ``camera`` at t: the passes judging rendered (if any) and the rest rendered now."""
    done = None if judged is None else judged.renders.get(camera)
    if done is None:
        return backend.render(scene, t, camera)
    have = frozenset(p for p in Pass if getattr(done, p.value) is not None)
    rest = frame_passes(backend) - have
    result = backend.render(scene, t, camera, passes=rest) if rest else RenderResult(camera=camera, t=t)
    for p in have:
        setattr(result, p.value, getattr(done, p.value))
    return result

"""The run loop: validated config -> scenes -> renders -> labels -> native dataset (+ exports, preview).

Resumable: frames listed in the manifest (with their files in place, at their written sizes and
checksums) are skipped, so rerunning the same command after an interruption, even a SIGKILL, finishes
the job; scene i is identical whatever the run, worker or shard it is generated in. Failing scenes are retried, then
recorded in failures.jsonl while the run goes on (``generator.run.execution``, ``generator.run.pool``).
"""

from __future__ import annotations

import importlib.metadata
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from tqdm import tqdm

from assets.catalog import UserAsset
from formats.failures import SceneFailure
from generator.config import EXECUTION_KEYS
from generator.config_hash import config_hash, drop_inactive_target
from generator.errors import ConfigError, RunAborted
from generator.run.coverage import coverage_axes
from generator.run.execution import SceneTask, Scheduler, WorkerStats
from generator.run.pool import WorkerPool, WorkerStartupError, capped_workers
from generator.run.resources import load_user_assets, open_backend, run_passes
from generator.run.scene_job import SceneContext, recorded_target, wants_flow
from generator.run.targeting import Target, target_of
from generator.world.sampling import sample_scene, scene_id_for
from renderers.base import RendererBackend
from scenes import SensorRig
from scenes.taxonomy import category_table


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
    coverage: Path | None = None  # coverage.json (``formats.coverage``)
    failures: list[SceneFailure] = field(default_factory=list)
    retried: int = 0  # attempts that failed and were tried again
    workers: list[WorkerStats] = field(default_factory=list)
    pooled: bool = False  # scenes ran in worker processes (else in this process)
    stats_file: Path | None = None
    target: dict[str, Any] | None = None  # targeted runs: ``target_stats``

    @property
    def frames_per_second(self) -> float:
        return self.frames_written / self.seconds if self.seconds > 0 else 0.0

    def lines(self) -> list[str]:
        out = [
            f"scenes: {self.scenes}  frames written: {self.frames_written}"
            f"  skipped (already done): {self.frames_skipped}",
            f"objects labelled: {self.objects}  visible: {self.visible_objects}",
            f"time: {self.seconds:.1f} s  ({self.frames_per_second:.2f} frames/s)"
            + (f"  worker processes started: {len(self.workers)}" if self.pooled else "")
            + (f"  retried attempts: {self.retried}" if self.retried else ""),
            f"dataset: {self.output_dir}",
        ]
        if self.target is not None:
            t = self.target
            rate = "n/a" if t["acceptance_rate"] is None else f"{t['acceptance_rate']:.3f}"
            out.append(
                f"target: {t['accepted_scenes']} scene(s) accepted in {t['attempts']} attempts"
                f" (acceptance rate {rate}), {t['exhausted_scenes']} exhausted max_attempts"
            )
        if self.failures:
            out.append(f"FAILED scenes: {len(self.failures)} (recorded in {self.output_dir / 'failures.jsonl'})")
            out += [f"  scene {f.scene_id} after {f.attempts} attempts: {f.error}" for f in self.failures]
        out += [f"export {name}: {path}" for name, path in self.exports.items()]
        if self.preview is not None:
            out.append(f"preview: {self.preview}")
        if self.coverage is not None:
            out.append(f"coverage: {self.coverage}")
        if self.stats_file is not None:
            out.append(f"stats: {self.stats_file}")
        return out


def catalog_record(user_assets: list[UserAsset]) -> list[dict[str, str]]:
    """Name, path and SHA-256 of every user mesh: part of the config hash, so an edited mesh file is a
    different config."""
    from formats.native import file_sums

    return [{"name": a.name, "path": a.path, "sha256": file_sums(a.path)[1]} for a in user_assets]


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


def dataset_meta(cfg: DictConfig, catalog: list[dict[str, str]], rig: SensorRig) -> dict[str, Any]:
    """dataset.json content (besides the format header written by the writer); ``catalog``: the user
    meshes' ``catalog_record``; ``rig`` is the first scene's (the layout of every scene's rig is the same).
    Runs with a scenario or a target also record how their coverage is binned (``coverage_axes``)."""
    versions = {"python": platform.python_version()}
    for pkg in ("synthsense", "numpy", "trimesh", "pyrender", "hydra-core", "pycocotools"):
        try:
            versions[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            versions[pkg] = None
    axes = coverage_axes(cfg)
    return {
        "config_hash": _config_hash(cfg, catalog),
        "root_seed": int(cfg.seed),
        "categories": category_table(),
        "sensors": rig_summary(rig),
        "passes": sorted(p.value for p in run_passes(cfg.renderer.name)),
        "renderer": cfg.renderer.name,
        "config": _data_config(cfg),
        "catalog": catalog,
        "versions": versions,
        **({"coverage_axes": axes} if axes is not None else {}),
    }


def _config_hash(cfg: DictConfig, catalog: list[dict[str, str]]) -> str:
    """The dataset's config_hash: the config and the user meshes' contents (``catalog_record``)."""
    return config_hash(cfg, extra={"catalog": catalog})


def _data_config(cfg: DictConfig) -> dict[str, Any]:
    """The resolved config without the execution keys (workers, shards, retries, ...): dataset.json is
    then the same file whatever processes made the dataset."""
    data = OmegaConf.to_container(cfg, resolve=True)
    for key in EXECUTION_KEYS:
        data.pop(key, None)
    drop_inactive_target(data)
    return data


def uses_worker_processes(cfg: DictConfig, workers: int | None = None) -> bool:
    """Scenes render in worker processes when there are several workers (``workers``, default
    ``cfg.workers``), or when a scene timeout or worker recycling asks for a process that can be killed
    or replaced."""
    return (cfg.workers if workers is None else workers) > 1 or cfg.scene_timeout_s > 0 or cfg.recycle_scenes > 0


def shard_indices(cfg: DictConfig) -> list[int]:
    """The scene indices this run renders: of first_scene .. first_scene + num_scenes - 1, those with
    index % num_shards == shard_index. A scene's shard depends only on its index, so any split of a run
    into shards renders every scene exactly once."""
    scenes = range(cfg.first_scene, cfg.first_scene + cfg.num_scenes)
    return [i for i in scenes if i % cfg.num_shards == cfg.shard_index]


def run_generation(cfg: DictConfig, backend: RendererBackend | None = None) -> RunSummary:
    """Generate ``cfg.num_scenes`` scenes from ``cfg.first_scene`` into ``cfg.output_dir``.

    The output folder is checked first (``NativeWriter.check``) and locked for this shard
    (``formats.locks``; a second run of the same shard stops at once), before any scene is sampled; then
    everything else that can fail on bad input (the user catalog, the first scene's sampling, the
    renderer, in every worker) runs before the first dataset file is written. After that, a scene that
    fails is retried and then recorded in failures.jsonl (``summary.failures``); the run goes on.

    Args:
        cfg: a config from ``generator.config.compose_config`` (already validated).
        backend: an open renderer to use in this process (e.g. shared across runs in tests); by default
            one is created from ``cfg.renderer`` (or one per worker process) and closed at the end.
    """
    from formats.locks import output_lock

    started = time.monotonic()  # the clock measures the run for its stats; it never reaches the data
    user_assets = load_user_assets(cfg)
    # the output folder is checked (a file, another config's dataset, foreign content) and locked for this
    # shard before any scene is sampled: a refusal must not come after minutes of sampling
    catalog = catalog_record(user_assets)  # hashes every user mesh: once per run
    _writer(cfg).check(_config_hash(cfg, catalog))
    with output_lock(cfg.output_dir, int(cfg.shard_index), int(cfg.num_shards)):
        return _generate(cfg, backend, user_assets, catalog, started)


def _generate(
    cfg: DictConfig,
    backend: RendererBackend | None,
    user_assets: list[UserAsset],
    catalog: list[dict[str, str]],
    started: float,
) -> RunSummary:
    """The body of :func:`run_generation`, once the output folder is checked and locked."""
    indices = shard_indices(cfg)
    workers, note = capped_workers(int(cfg.workers), len(indices))
    if note:
        print(f"synthsense: {note}", file=sys.stderr)
    first_scene = sample_scene(cfg, indices[0] if indices else cfg.first_scene, user_assets)
    pool = None
    own_backend = backend is None
    if backend is None and uses_worker_processes(cfg, workers):
        pool = WorkerPool(OmegaConf.to_container(cfg, resolve=True), workers, cfg.scene_timeout_s, cfg.recycle_scenes)
        try:
            pool.start()
        except WorkerStartupError as exc:
            raise ConfigError(f"worker start-up failed: {exc}") from None
    elif backend is None:
        backend = open_backend(cfg)
    summary = RunSummary(output_dir=Path(cfg.output_dir))
    target = target_of(cfg)
    aborted = ""
    try:
        scheduler = _open_dataset(cfg, catalog, first_scene.rig, indices, summary)
        with tqdm(
            total=summary.frames_skipped + sum(len(scheduler.remaining[i]) for i in scheduler.remaining),
            initial=summary.frames_skipped,
            desc="frames",
            unit="frame",
            disable=not cfg.output.progress,
        ) as bar:

            def on_frame(index: int, frame: int, record: dict[str, Any]) -> None:
                summary.frames_written += 1
                summary.objects += record["num_objects"]
                summary.visible_objects += record["num_visible"]
                bar.update(1)
                if scheduler.failures:
                    bar.set_postfix(failed=len(scheduler.failures))

            scheduler.on_frame = on_frame
            if pool is not None:
                summary.pooled = True
                try:
                    pool.run(scheduler)
                except WorkerStartupError as exc:
                    aborted = f"a replacement worker could not start ({exc})"
                summary.workers = pool.stats()
            else:
                from generator.run.execution import run_in_process

                ctx = SceneContext(cfg, user_assets, backend, _writer(cfg), wants_flow(cfg), target)
                summary.workers = run_in_process(scheduler, ctx, first_scene)
    finally:
        if pool is not None:
            pool.close()
            summary.workers = pool.stats()
        elif own_backend and backend is not None:
            backend.close()
    summary.failures, summary.retried = scheduler.failures, scheduler.retried
    if target is not None:
        summary.target = target_stats(cfg, indices, scheduler.failures, target)
    summary.seconds = time.monotonic() - started
    failed = {f.scene_index for f in scheduler.failures}
    rendered = [scene_id_for(i) for i, tries in scheduler.attempts.items() if tries and i not in failed]
    _finish(cfg, summary, rendered, outputs=not aborted)
    if aborted:
        left = sum(1 for frames in scheduler.remaining.values() if frames)
        raise RunAborted(f"{aborted}; {left} scene(s) not rendered, rerun the same command to resume")
    return summary


def target_stats(cfg: DictConfig, indices: list[int], failures: list[SceneFailure], target: Target) -> dict[str, Any]:
    """The acceptance figures of a targeted run's scenes (``indices``: this run's, or shard's):
    accepted scenes (a scene.json records the attempts each took, runs before a resume included),
    scenes that exhausted ``max_attempts`` in this run, and the acceptance rate = accepted scenes /
    attempts (every attempt judged, the exhausted scenes' included): the run's estimate of the share of
    sampled scenes that satisfy the target."""
    accepted = attempts = 0
    for index in indices:
        record = recorded_target(cfg.output_dir, index)
        if record is None or not isinstance(record.get("attempts"), int):
            continue  # not written (failed or not rendered)
        accepted += 1
        attempts += int(record["attempts"])
    exhausted = sum(1 for f in failures if f.kind == "target")
    attempts += exhausted * target.max_attempts
    return {
        "accepted_scenes": accepted,
        "exhausted_scenes": exhausted,
        "attempts": attempts,
        "acceptance_rate": round(accepted / attempts, 6) if attempts else None,
        "max_attempts": target.max_attempts,
    }


def _writer(cfg: DictConfig):
    from generator.run.writing import dataset_writer

    return dataset_writer(cfg)


def _open_dataset(
    cfg: DictConfig, catalog: list[dict[str, str]], rig: SensorRig, indices: list[int], summary: RunSummary
) -> Scheduler:
    """Create or reopen the dataset (refusing, writing nothing, another config's folder) and make the
    scheduler of what is left to render. Only this run's scenes are checked: the other shards' frames
    are not read."""
    done = _writer(cfg).open(dataset_meta(cfg, catalog, rig), scenes={scene_id_for(i) for i in indices})
    frames = cfg.scene.sequence.num_frames
    tasks = []
    for index in indices:
        todo = [f for f in range(frames) if (scene_id_for(index), f) not in done]
        summary.scenes += 1
        summary.frames_skipped += frames - len(todo)
        if todo:
            tasks.append(SceneTask(index, todo))
    return Scheduler(tasks, cfg.output_dir, int(cfg.seed), int(cfg.retries), on_frame=lambda *_: None)


def _finish(cfg: DictConfig, summary: RunSummary, rendered: list[str], outputs: bool = True) -> None:
    """Tidy the dataset's shared files when no other writer can be active, write the run's stats and,
    unless ``outputs`` is false (an aborted run), the coverage of every scene in the folder (a shard's
    too: the last shard to finish covers them all) and (unsharded runs) the exports and previews."""
    from formats.exporters import get_exporter
    from formats.failures import compact_failures
    from formats.native import compact_manifest, complete_frames
    from formats.preview import write_preview, write_sequence_previews

    root = Path(cfg.output_dir)
    # sizes only: the frames were checksummed when this run opened the dataset, or written by a run since
    complete = complete_frames(root, verify=False)
    frames = cfg.scene.sequence.num_frames
    extent = range(cfg.first_scene, cfg.first_scene + cfg.num_scenes)
    whole = all((scene_id_for(i), f) in complete for i in extent for f in range(frames))
    if cfg.num_shards == 1 or whole:  # alone in the dataset, or every shard is done with it
        compact_manifest(root)
        scenes = {s for s, _ in complete}
        compact_failures(root, {s for s in scenes if all((s, f) in complete for f in range(frames))})
    summary.stats_file = write_run_stats(cfg, summary)
    if outputs:
        summary.coverage = _write_coverage(cfg)
    if cfg.num_shards > 1 or not outputs:
        # other shards may still be writing: exports and previews are for `synthsense export` afterwards
        return
    for name in cfg.output.export:
        summary.exports[name] = get_exporter(name)(cfg.output_dir)
    if cfg.output.preview and cfg.output.preview_frames > 0:
        summary.preview = write_preview(cfg.output_dir, cfg.output.preview_frames)
    if cfg.output.preview and frames > 1:
        write_sequence_previews(cfg.output_dir, rendered)  # sequences this run (re)wrote frames of


def _write_coverage(cfg: DictConfig) -> Path:
    """coverage.json over every scene in the folder, and coverage.png with ``output.preview`` (a picture
    for a person, like the previews). A shard keeps a coverage.json another shard wrote over more frames
    (it finished later having seen more); ``synthsense validate`` or an export recomputes it over the
    complete dataset."""
    from formats.coverage import write_coverage

    return write_coverage(cfg.output_dir, png=bool(cfg.output.preview), keep_fuller=cfg.num_shards > 1).path


def write_run_stats(cfg: DictConfig, summary: RunSummary) -> Path:
    """run_stats.json (unsharded runs) or run_stats/shard-K-of-N.json: frames, seconds, frames per second,
    failures and per-worker figures (start-up, busy time, memory after each scene)."""
    from formats.atomic import write_json

    root = Path(cfg.output_dir)
    if cfg.num_shards == 1:
        path = root / "run_stats.json"
    else:
        path = root / "run_stats" / f"shard-{cfg.shard_index:04d}-of-{cfg.num_shards:04d}.json"
    write_json(
        path,
        {
            "scenes": summary.scenes,
            "frames_written": summary.frames_written,
            "frames_skipped": summary.frames_skipped,
            "seconds": round(summary.seconds, 3),
            "frames_per_second": round(summary.frames_per_second, 3),
            "failed_scenes": [f.scene_id for f in summary.failures],
            "retried_attempts": summary.retried,
            "workers": [w.as_json() for w in summary.workers],
            "execution": {k: cfg[k] for k in EXECUTION_KEYS},
            **({"target": summary.target} if summary.target is not None else {}),
        },
    )
    return path

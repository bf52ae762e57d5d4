"""``synthsense generate -m``: run a sweep of generate jobs through a Hydra launcher.

    synthsense generate -m hydra/launcher=joblib num_shards=4 'shard_index=range(0,4)' output_dir=/data/ds

The sweep is expanded and every job's config composed and validated *before* anything is launched, so a
bad value in job 37 of 64 is a one-line error with nothing written. Jobs then run through Hydra's own
multirun machinery (basic, joblib, submitit_local/slurm, ray launchers), each calling
``generator.run.loop.run_generation``. Jobs catch their own failures and hand back a small picklable dict, so
the parent can report every job in one place and print a single error line instead of a traceback.
"""

from __future__ import annotations

import logging
import socket
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from configs.schema import register_configs
from generator.errors import ConfigError, OutputError
from scenes.plain_data import clip_text

log = logging.getLogger(__name__)

CONFIG_MODULE = "configs"
CONFIG_NAME = "config"
VERSION_BASE = "1.3"  # job chdir stays off (the 1.2+ default): relative paths mean the launch directory
EXIT_JOB_FAILED = 1
EXIT_USAGE = 2
SINGLE_JOB = "(single job)"  # the label of a job no override tells apart from the others
_HYDRA_ERRORS = (HydraException, OmegaConfBaseException, ValueError, AttributeError, AssertionError, TypeError)


@dataclass(frozen=True)
class Job:
    """One job of the sweep: its overrides (as Hydra will pass them) and its composed, validated config."""

    num: int
    overrides: list[str]
    label: str  # the overrides that vary between jobs, to name the job in messages
    output_dir: Path  # absolute


# ---------------------------------------------------------------------------------------------- planning


def is_hydra_override(override: str) -> bool:
    """``hydra/launcher=ray``, ``hydra.launcher.n_jobs=4``, ``+hydra.x=1``: settings of Hydra, not of the run."""
    key = override.split("=", 1)[0].lstrip("+~")
    return key == "hydra" or key.startswith(("hydra/", "hydra."))


def _one_line(exc: BaseException) -> str:
    """Hydra's parse errors span lines; keep the informative ones."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.startswith(("Config search path", "provider="))]  # Hydra's internals
    return clip_text("; ".join(dict.fromkeys(lines)).replace(":;", ":")) or type(exc).__name__


@contextmanager
def _config_module() -> Iterator[None]:
    """Hydra initialised on the packaged configs (``pkg://configs``), cleared again on exit."""
    register_configs()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_module(config_module=CONFIG_MODULE, version_base=VERSION_BASE):
            yield
    finally:
        GlobalHydra.instance().clear()


def expand_sweep(task_overrides: list[str]) -> list[list[str]]:
    """The job list Hydra's basic sweeper will launch: the cartesian product of the swept values, in order."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    with _config_module():
        # the config loader lets the parser expand glob() sweeps over config groups (scene=glob(*))
        parser = OverridesParser.create(config_loader=GlobalHydra.instance().config_loader())
        try:
            parsed = parser.parse_overrides(task_overrides)
            batches = BasicSweeper.split_arguments(parsed, max_batch_size=None)
        except HydraException as exc:
            raise ConfigError(f"config error: sweep: {_one_line(exc)}") from None
    return [job for batch in batches for job in batch]


def hydra_settings(hydra_overrides: list[str], first_job: list[str]) -> DictConfig:
    """Compose the ``hydra`` node (launcher, sweep dir) so a misspelt launcher fails here, in one line."""
    from generator.config import check_search_path_yaml

    check_search_path_yaml(hydra_overrides)  # user folders on the search path: read bounded first
    with _config_module():
        try:
            cfg = compose(CONFIG_NAME, overrides=[*hydra_overrides, *first_job], return_hydra_config=True)
            return cfg.hydra
        except _HYDRA_ERRORS as exc:
            shown = clip_text(" ".join(hydra_overrides), 300)
            raise ConfigError(f"config error: {_one_line(exc)} (in: {shown})") from None


def _job_label(overrides: list[str], varying: set[str]) -> str:
    return " ".join(o for o in overrides if o.split("=", 1)[0] in varying) or SINGLE_JOB


def absolute(path: str, base: str | Path) -> Path:
    """``path`` as an absolute path, relative ones taken against ``base`` (the launch directory)."""
    p = Path(str(path)).expanduser()
    return p if p.is_absolute() else Path(base) / p


def plan_jobs(task_overrides: list[str], launch_dir: Path) -> list[Job]:
    """Expand the sweep and compose + validate every job; the first bad job is a one-line ConfigError."""
    from generator.config import compose_config
    from generator.config_hash import config_hash

    job_overrides = expand_sweep(task_overrides)
    varying = {
        key for key in {o.split("=", 1)[0] for job in job_overrides for o in job} if _values(job_overrides, key) > 1
    }
    jobs: list[Job] = []
    hashes: list[tuple[str, int, int]] = []
    for num, overrides in enumerate(job_overrides):
        label = _job_label(overrides, varying)
        try:
            cfg = compose_config(overrides)
        except ConfigError as exc:
            raise ConfigError(f"{exc} (sweep job #{num}: {label})" if len(job_overrides) > 1 else str(exc)) from None
        jobs.append(Job(num, overrides, label, absolute(cfg.output_dir, launch_dir).resolve()))
        hashes.append((config_hash(cfg), int(cfg.num_shards), int(cfg.shard_index)))
    _check_shared_outputs(jobs, hashes)
    return jobs


def _values(job_overrides: list[list[str]], key: str) -> int:
    return len({o for job in job_overrides for o in job if o.split("=", 1)[0] == key})


def _check_shared_outputs(jobs: list[Job], hashes: list[tuple[str, int, int]]) -> None:
    """Jobs may share an output_dir only as distinct shards of one run; anything else would clash on disk
    (the writer refuses a dataset of another config) after hours of rendering, so refuse it up front."""
    seen: dict[Path, tuple[Job, tuple[str, int, int]]] = {}
    shards: dict[Path, dict[int, Job]] = {}
    for job, key in zip(jobs, hashes, strict=True):
        first = seen.setdefault(job.output_dir, (job, key))
        other, other_key = first
        taken = shards.setdefault(job.output_dir, {})
        same_run = key[:2] == other_key[:2] and key[1] > 1
        clash = taken.get(key[2]) if same_run else (other if other is not job else None)
        if clash is not None:
            raise ConfigError(
                f"output_dir: sweep jobs {_job_name(clash)} and {_job_name(job)} both write "
                f"{job.output_dir}; jobs may share an output_dir only as distinct shard_index values of one "
                "sharded run (num_shards > 1) - give the others their own output_dir"
            )
        taken[key[2]] = job


def _job_name(job: Job) -> str:
    """``#3 (seed=7)``, or ``#3`` for a job with no varying override (no "((single job))")."""
    return f"#{job.num}" if job.label == SINGLE_JOB else f"#{job.num} ({job.label})"


def check_sweep_dir(sweep_dir: str, launch_dir: Path, jobs: list[Job]) -> None:
    """Hydra's job logs (``multirun/...`` by default) must not land inside a dataset, where `validate`
    would meet foreign files and a shard might count them as its own."""
    logs = absolute(sweep_dir, launch_dir).resolve()
    for job in jobs:
        if logs == job.output_dir or job.output_dir in logs.parents:
            raise ConfigError(
                f"hydra.sweep.dir: Hydra's job logs ({logs}) would land inside output_dir {job.output_dir}; "
                "set hydra.sweep.dir=<folder outside the dataset> or launch from another directory"
            )


# ---------------------------------------------------------------------------------------------- the job


def _user_error_types() -> tuple[type[BaseException], ...]:
    from assets.errors import AssetError
    from formats.native import DatasetError
    from renderers.base import BackendError

    return (ConfigError, OutputError, AssetError, DatasetError, BackendError, OSError)


def prepare_job_config(cfg: DictConfig, launch_dir: str | Path) -> DictConfig:
    """Resolve and validate a job's config; make its paths absolute against the launch directory, since
    submitit and Ray run jobs in other working directories (and possibly on other hosts)."""
    from generator.config import validate_config

    OmegaConf.resolve(cfg)
    validate_config(cfg)
    cfg.output_dir = str(absolute(cfg.output_dir, launch_dir))
    if cfg.scene.get("catalog"):
        cfg.scene.catalog = str(absolute(cfg.scene.catalog, launch_dir))
    return cfg


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def _log_failure(exc: Exception) -> None:
    """The traceback goes to a file in the job's log folder; the console (shared by all jobs) gets one line."""
    text = traceback.format_exc()
    try:
        path = Path(HydraConfig.get().runtime.output_dir) / "traceback.txt"
        path.write_text(text, encoding="utf-8")
        log.error("job failed: %s (traceback: %s)", _first_line(exc), path)
    except (OSError, ValueError):  # no job folder (run outside Hydra, or unwritable): the log gets it all
        log.error("job failed:\n%s", text)


def run_job(cfg: DictConfig) -> dict[str, Any]:
    """Hydra task function: one ``synthsense generate`` run. Never raises on a failed run: the error comes
    back as one line in the result (the traceback goes to the job's log) so the parent sees every job."""
    from generator.run.loop import run_generation

    try:
        cfg = prepare_job_config(cfg, HydraConfig.get().runtime.cwd)
        summary = run_generation(cfg)
    except Exception as exc:  # reported to the parent as data, see docstring
        _log_failure(exc)
        return {
            "error": _first_line(exc),
            "user_error": isinstance(exc, _user_error_types()),
            "output_dir": str(cfg.get("output_dir", "")),
        }
    print("\n".join(["synthsense generate: done", *(f"  {line}" for line in summary.lines())]), flush=True)
    return {
        "frames_written": int(summary.frames_written),
        "failures": len(summary.failures),
        "output_dir": str(summary.output_dir),
        "seconds": round(summary.seconds, 3),
    }


# ---------------------------------------------------------------------------------------------- launching


def launcher_fixes(settings: DictConfig) -> list[str]:
    """Hydra overrides that make the installed launcher plugins work as documented.

    hydra-ray-launcher 1.2 always passes ``object_store_memory`` to ``ray.init``, which Ray 2.x rejects
    when connecting to an existing cluster (``init.address`` set): pass it as null unless the user set it.
    """
    launcher = settings.launcher
    if not str(launcher.get("_target_", "")).endswith(".RayLauncher"):
        return []
    init = launcher.ray.init
    if init.get("address") is None or "object_store_memory" in init:
        return []
    return ["+hydra.launcher.ray.init.object_store_memory=null"]


def check_ray_address(settings: DictConfig) -> None:
    """A Ray address that nothing listens on makes ``ray.init`` retry for minutes; fail in one line instead."""
    launcher = settings.launcher
    if not str(launcher.get("_target_", "")).endswith(".RayLauncher"):
        return
    address = launcher.ray.init.get("address")
    if address is None or address == "auto" or "://" in str(address) or ":" not in str(address):
        return  # local Ray, a cluster Ray finds itself, or a client address: Ray reports those itself
    host, port = str(address).rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"hydra.launcher.ray.init.address: no Ray head reachable at {address} ({exc}); "
            "start one with `ray start --head` or use address=auto on a cluster node"
        ) from None


def _launch(overrides: list[str]) -> list[Any]:
    """Hydra's multirun, as ``@hydra.main`` runs it with ``-m``, but returning the JobReturns instead of
    printing tracebacks and exiting."""
    from hydra._internal.hydra import Hydra
    from hydra._internal.utils import create_config_search_path
    from hydra.version import VersionBase, _get_version

    register_configs()
    VersionBase.instance().setbase(_get_version(VERSION_BASE))
    GlobalHydra.instance().clear()
    try:
        hydra = Hydra.create_main_hydra2(
            task_name="synthsense_generate", config_search_path=create_config_search_path(f"pkg://{CONFIG_MODULE}")
        )
        batches = hydra.multirun(config_name=CONFIG_NAME, task_function=run_job, overrides=list(overrides))
    finally:
        GlobalHydra.instance().clear()
        _disconnect_ray()
    return [ret for batch in batches for ret in batch]


def _disconnect_ray() -> None:
    """The Ray launcher leaves its driver connected; detach so the CLI exits promptly."""
    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        ray.shutdown()


def _result(ret: Any) -> dict[str, Any]:
    """A JobReturn's dict; a job that raised past run_job (e.g. killed by its scheduler) becomes an error."""
    try:
        value = ret.return_value
    except BaseException as exc:  # Hydra re-raises the job's exception here
        return {"error": f"{type(exc).__name__}: {_one_line(exc)}", "user_error": False}
    return value if isinstance(value, dict) else {"error": f"unexpected job result {value!r}", "user_error": False}


def report(jobs: list[Job], results: list[dict[str, Any]], sweep_dir: Path, seconds: float) -> int:
    """Print one line per job and a total; on failures one error line on stderr. Returns the exit status."""
    lines = [f"synthsense generate -m: {len(jobs)} jobs in {seconds:.1f} s  (job logs: {sweep_dir})"]
    failed: list[tuple[Job, dict[str, Any]]] = []
    for job, res in zip(jobs, results, strict=True):
        if "error" in res:
            failed.append((job, res))
            lines.append(f"  #{job.num} {job.label}: FAILED {res['error']}")
        else:
            lines.append(
                f"  #{job.num} {job.label}: frames written: {res['frames_written']}  failures: {res['failures']}"
                f"  dataset: {res['output_dir']}"
            )
    frames = sum(r.get("frames_written", 0) for r in results)
    datasets = sorted({str(j.output_dir) for j in jobs})
    lines.append(f"  total frames written: {frames}  datasets: {' '.join(datasets)}")
    print("\n".join(lines), flush=True)
    scenes_failed = sum(r.get("failures", 0) for r in results)
    if not failed and scenes_failed:
        print(
            f"synthsense generate: error: {scenes_failed} scene(s) failed every attempt; see failures.jsonl in "
            f"{' '.join(datasets)}",
            file=sys.stderr,
        )
        return EXIT_JOB_FAILED
    if not failed:
        return 0
    job, res = failed[0]
    print(
        f"synthsense generate: error: {len(failed)} of {len(jobs)} sweep jobs failed; "
        f"first #{job.num} ({job.label}): {res['error']} (job logs under {sweep_dir})",
        file=sys.stderr,
    )
    return EXIT_USAGE if all(r.get("user_error") for _, r in failed) else EXIT_JOB_FAILED


def multirun(overrides: list[str]) -> int:
    """``synthsense generate -m OVERRIDES...``: validate every job of the sweep, then launch them all.

    Raises ConfigError (exit 2, nothing written) for a bad value in any job; returns 0 when every job
    succeeded, else 2 when all failures were user errors (as plain ``generate``) and 1 otherwise.
    """
    launch_dir = Path.cwd()
    hydra_overrides = [o for o in overrides if is_hydra_override(o)]
    task_overrides = [o for o in overrides if not is_hydra_override(o)]
    jobs = plan_jobs(task_overrides, launch_dir)
    settings = hydra_settings(hydra_overrides, jobs[0].overrides)
    sweep_dir = absolute(settings.sweep.dir, launch_dir)
    check_sweep_dir(str(sweep_dir), launch_dir, jobs)
    # pin the resolved sweep dir: ${now:...} must not tick over between this check and the launch
    quoted = str(sweep_dir).replace("\\", "\\\\").replace("'", "\\'")
    pinned = [o for o in hydra_overrides if not o.startswith("hydra.sweep.dir=")] + [f"hydra.sweep.dir='{quoted}'"]
    pinned += launcher_fixes(settings)
    check_ray_address(settings)
    start = time.perf_counter()
    try:
        returns = _launch([*pinned, *task_overrides])
    except Exception as exc:  # a launcher failure (Ray unreachable, no sbatch): one line
        log.debug("launcher failed", exc_info=True)
        print(f"synthsense generate: error: launcher: {type(exc).__name__}: {_one_line(exc)}", file=sys.stderr)
        return EXIT_JOB_FAILED
    results = [_result(r) for r in returns]
    if len(results) != len(jobs):  # a sweeper other than the basic one: no job-by-job pairing to report
        print(f"synthsense generate -m: {len(results)} jobs done (job logs: {sweep_dir})")
        return 0
    return report(jobs, results, sweep_dir, time.perf_counter() - start)

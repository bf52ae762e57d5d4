"""Worker processes for a run: ``workers=N``, scene timeouts and worker recycling.

Each worker is a fresh (spawned) process with its own renderer, taking one scene at a time from the
main process over a pipe and writing it straight into the dataset root; the main process only
schedules, counts and keeps the progress bar. A worker that dies (segfault, the out-of-memory killer)
or overruns ``scene_timeout_s`` is killed if need be and replaced, and the scene is retried. A worker
that hits an exception reports it and exits, so the next scene gets a clean renderer. With
``recycle_scenes`` a worker retires after that many scenes, which bounds the memory a leaking renderer
can accumulate.

Messages, worker -> main: ("ready", rss_mb) | ("startup_failed", error) | ("frame", index, frame,
record) | ("scene_done", index, rss_mb) | ("scene_failed", index, error, traceback, kind). A worker
whose scene missed its target (kind ``target``) keeps its renderer and takes the next scene. Main -> worker:
("scene", index, frames) | ("stop",).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from assets.errors import one_line
from generator.run.execution import SceneTask, Scheduler, WorkerStats, failure_kind, resident_mb

# How often the main process wakes to check timeouts when no message comes (seconds).
POLL_S = 0.2
# How long a starting worker may take to create its renderer before the run gives up (seconds).
STARTUP_TIMEOUT_S = 600.0


class WorkerStartupError(RuntimeError):
    """A worker could not start (bad catalog, renderer unavailable): the message is the worker's."""


def usable_cores() -> int:
    """The cores this process may run on: its CPU affinity (a SLURM task or cgroup gets a few cores of a
    big node), not the node's count."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def capped_workers(requested: int, scenes: int) -> tuple[int, str | None]:
    """The worker processes worth starting: ``min(requested, usable cores, scenes)`` (at least 1). More
    processes than cores only share the same cores (each starts a renderer, ~1 s and ~100 MB), and more
    than scenes sit idle; ``workers=1000000`` would fork until the machine stalls.

    Returns:
        The count, and a one-line note when it is below ``requested`` (None otherwise).
    """
    cores = usable_cores()
    count = max(1, min(requested, cores, scenes))
    if count >= requested:
        return requested, None
    return count, (f"workers={requested} capped to {count} ({cores} usable core(s), {scenes} scene(s) in this run)")


def worker_environment(workers: int) -> dict[str, str]:
    """Thread limits for worker processes, unless the user set them: Mesa llvmpipe's rasteriser threads
    are the cores shared out between the workers, and OpenBLAS/OpenMP get one thread each. Measured on 2
    cores: numpy's OpenBLAS threads spin a second core at 60% for no speed-up, which a second worker
    would rather use."""
    wanted = {
        "LP_NUM_THREADS": str(max(1, usable_cores() // workers)),
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    return {k: v for k, v in wanted.items() if k not in os.environ}


def _die_with_parent(parent_pid: int) -> None:
    """Linux: have the kernel SIGKILL this process when the main process dies (even by SIGKILL), so no
    orphaned worker keeps writing into a dataset that a rerun is already resuming."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        pass  # not Linux: a worker notices the closed pipe at its next message instead
    if os.getppid() != parent_pid:
        os._exit(1)  # the main process died before prctl took effect (we were re-parented)


def worker_main(conn: Connection, cfg_container: dict[str, Any], recycle: int, parent_pid: int) -> None:
    """A worker process: open the renderer, then render the scenes the main process sends."""
    _die_with_parent(parent_pid)
    # Ctrl-C reaches the whole process group; the main process alone reacts (it stops the workers), so
    # the terminal shows one line, not a traceback per worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        from omegaconf import OmegaConf

        from generator.run.resources import load_user_assets, open_backend
        from generator.run.scene_job import SceneContext, render_scene, wants_flow
        from generator.run.targeting import target_of
        from generator.run.writing import dataset_writer

        cfg = OmegaConf.create(cfg_container)
        user_assets = load_user_assets(cfg)
        backend = open_backend(cfg)
        ctx = SceneContext(cfg, user_assets, backend, dataset_writer(cfg), wants_flow(cfg), target_of(cfg))
    except Exception as exc:  # noqa: BLE001 - reported to the main process, which stops the run
        conn.send(("startup_failed", one_line(exc)))
        return
    conn.send(("ready", resident_mb()))
    done = 0
    try:
        while True:
            message = conn.recv()
            if message[0] == "stop":
                break
            _, index, frames = message
            try:
                render_scene(ctx, index, frames, lambda i, f, rec: conn.send(("frame", i, f, rec)))
            except Exception as exc:  # noqa: BLE001 - one scene's failure; a fresh worker takes over
                kind = failure_kind(exc)
                conn.send(("scene_failed", index, one_line(exc), traceback.format_exc(), kind))
                if kind == "target":
                    continue  # the renderer is fine: nothing went wrong but the target
                break
            conn.send(("scene_done", index, resident_mb()))
            done += 1
            if recycle and done >= recycle:
                break
    except (EOFError, BrokenPipeError):
        pass  # the main process went away: nothing left to report to
    finally:
        backend.close()


@dataclass
class _Worker:
    process: Any  # multiprocessing.Process (spawn context)
    conn: Connection
    stats: WorkerStats
    started: float
    ready: bool = False
    task: SceneTask | None = None
    task_started: float = 0.0
    retiring: bool = False


class WorkerPool:
    """N worker processes rendering a run's scenes.

    Args:
        cfg_container: the resolved run config as plain containers (it is sent to spawned processes).
        workers: how many processes to keep running.
        scene_timeout_s: kill and retry a scene's worker after this long (0: no limit).
        recycle_scenes: a worker retires after this many scenes (0: never).
    """

    def __init__(self, cfg_container: dict[str, Any], workers: int, scene_timeout_s: float, recycle_scenes: int):
        self.cfg_container = cfg_container
        self.size = workers
        self.timeout = scene_timeout_s
        self.recycle = recycle_scenes
        if multiprocessing.get_start_method(allow_none=True) not in (None, "fork", "spawn", "forkserver"):
            # Inside a joblib (loky) job the global start method is "loky", which a spawned child would
            # try to restore and fail on; the children of this process need only the standard spawn.
            multiprocessing.set_start_method("spawn", force=True)
        self.context = multiprocessing.get_context("spawn")  # no inherited GL/EGL state or threads
        self.workers: list[_Worker] = []
        self.finished: list[WorkerStats] = []
        self._next_id = 0

    # -- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the workers and wait until every one has its renderer open.

        Raises:
            WorkerStartupError: a worker could not start; every worker is stopped, nothing was rendered.
        """
        for _ in range(self.size):
            self._spawn()
        while not all(w.ready for w in self.workers):
            self._pump(on_scene_event=None)

    def close(self, grace_s: float = 10.0) -> None:
        """Stop every worker: idle ones at once; busy ones (a scene they would not leave before its end,
        or a full pipe nobody reads any more) are killed after ``grace_s`` seconds, shared by all."""
        for worker in self.workers:
            try:
                worker.conn.send(("stop",))
            except (BrokenPipeError, OSError):
                pass
        deadline = time.monotonic() + grace_s
        pending = [w.process for w in self.workers]
        while pending and time.monotonic() < deadline:
            wait([p.sentinel for p in pending], timeout=max(0.0, deadline - time.monotonic()))
            pending = [p for p in pending if p.is_alive()]
        for worker in self.workers:
            if worker.process.is_alive():
                worker.process.kill()
            worker.process.join()
            if worker.stats.ended == "running":
                worker.stats.ended = "finished"
            self.finished.append(worker.stats)
            worker.conn.close()
        self.workers = []

    def stats(self) -> list[WorkerStats]:
        """Every worker's stats, replaced ones included, in start order."""
        return sorted([*self.finished, *(w.stats for w in self.workers)], key=lambda s: s.worker)

    def _spawn(self) -> None:
        parent, child = self.context.Pipe()
        process = self.context.Process(
            target=worker_main,
            args=(child, self.cfg_container, self.recycle, os.getpid()),
            name=f"synthsense-worker-{self._next_id}",
            daemon=True,  # never outlive the main process
        )
        # A spawned child inherits the environment at start; the thread limits must be in place before
        # it imports numpy (while unpickling its target), so they are set around start(), not inside.
        limits = worker_environment(self.size)
        os.environ.update(limits)
        try:
            process.start()
        finally:
            for key in limits:
                del os.environ[key]
        child.close()  # the worker's end; kept open here it would hide the worker's exit (no EOF)
        stats = WorkerStats(worker=self._next_id, pid=process.pid or 0)
        self.workers.append(_Worker(process, parent, stats, started=time.monotonic()))
        self._next_id += 1

    # -- the run ---------------------------------------------------------------------------------------

    def run(self, scheduler: Scheduler) -> None:
        """Render every task of ``scheduler``, replacing workers that die, time out or retire."""
        while True:
            self._assign(scheduler)
            if not scheduler.queue and not any(w.task for w in self.workers):
                return
            self._pump(on_scene_event=scheduler)
            self._check_timeouts(scheduler)
            live = [w for w in self.workers if not w.retiring]
            missing = min(self.size, len(scheduler.queue) + sum(1 for w in live if w.task)) - len(live)
            for _ in range(max(0, missing)):
                self._spawn()  # replacements, only while there is work for them

    def _assign(self, scheduler: Scheduler) -> None:
        for worker in self.workers:
            if worker.ready and not worker.retiring and worker.task is None and scheduler.queue:
                task = scheduler.next_task()
                assert task is not None
                worker.task, worker.task_started = task, time.monotonic()
                worker.conn.send(("scene", task.index, task.frames))

    def _pump(self, on_scene_event: Scheduler | None) -> None:
        """Wait for messages or exits (at most POLL_S) and handle them."""
        by_conn = {w.conn: w for w in self.workers}
        by_sentinel = {w.process.sentinel: w for w in self.workers}
        for ready in wait([*by_conn, *by_sentinel], timeout=POLL_S):
            worker = by_conn.get(ready) or by_sentinel.get(ready)  # type: ignore[call-overload]
            if worker is None or worker not in self.workers:
                continue
            self._drain(worker, on_scene_event)
            if not worker.process.is_alive():
                self._reap(worker, on_scene_event)
        # a worker (first or replacement) that takes forever to open its renderer would stall the run
        for worker in self.workers:
            if not worker.ready and time.monotonic() - worker.started > STARTUP_TIMEOUT_S:
                self.close(grace_s=0)
                raise WorkerStartupError(f"a worker did not start within {STARTUP_TIMEOUT_S:.0f} s")

    def _drain(self, worker: _Worker, scheduler: Scheduler | None) -> None:
        while True:
            try:
                if not worker.conn.poll():
                    return
                message = worker.conn.recv()
            except (EOFError, OSError):
                return  # the worker exited; _reap handles it
            self._handle(worker, message, scheduler)

    def _handle(self, worker: _Worker, message: tuple, scheduler: Scheduler | None) -> None:
        kind = message[0]
        if kind == "ready":
            worker.ready = True
            worker.stats.startup_s = time.monotonic() - worker.started
            worker.stats.rss_mb.append(message[1])
        elif kind == "startup_failed":
            self.close()
            raise WorkerStartupError(message[1])
        elif kind == "frame" and scheduler is not None:
            _, index, frame, record = message
            worker.stats.frames += 1
            scheduler.frame_done(index, frame, record)
        elif kind == "scene_done" and scheduler is not None:
            self._task_over(worker)
            worker.stats.scenes += 1
            worker.stats.rss_mb.append(message[2])
            if self.recycle and worker.stats.scenes >= self.recycle:
                worker.retiring, worker.stats.ended = True, "recycled"
        elif kind == "scene_failed" and scheduler is not None:
            _, index, error, detail, failure = message
            self._task_over(worker)
            if failure != "target":  # the worker exits after any other failure
                worker.retiring, worker.stats.ended = True, "failed_scene"
            scheduler.attempt_failed(index, failure, error, detail)

    def _task_over(self, worker: _Worker) -> None:
        worker.stats.busy_s += time.monotonic() - worker.task_started
        worker.task = None

    def _reap(self, worker: _Worker, scheduler: Scheduler | None) -> None:
        """A worker process has ended: account for it and for the scene it was rendering."""
        worker.process.join()
        code = worker.process.exitcode
        if worker.task is not None and scheduler is not None:
            task = worker.task
            self._task_over(worker)
            status = _exit_status(code)
            worker.stats.ended = f"died: {status}"
            scheduler.attempt_failed(task.index, "worker_died", f"worker process died ({status})", f"exit code {code}")
        elif not worker.ready:
            self.close()
            raise WorkerStartupError(f"a worker process died while starting ({_exit_status(code)})")
        elif worker.stats.ended == "running":
            worker.stats.ended = "finished"
        worker.conn.close()
        self.workers.remove(worker)
        self.finished.append(worker.stats)

    def _check_timeouts(self, scheduler: Scheduler) -> None:
        if not self.timeout:
            return
        now = time.monotonic()
        for worker in list(self.workers):
            if worker.task is not None and now - worker.task_started > self.timeout:
                task = worker.task
                worker.process.kill()
                worker.process.join()
                self._drain(worker, scheduler)  # frames (or the whole scene) it finished before the kill count
                finished_in_time = worker.task is None
                if not finished_in_time:
                    self._task_over(worker)
                worker.stats.ended = "timeout"
                worker.conn.close()
                self.workers.remove(worker)  # dead either way: never assign it another scene
                self.finished.append(worker.stats)
                if not finished_in_time:
                    error = f"scene timed out after {self.timeout:g} s (scene_timeout_s); its worker was killed"
                    scheduler.attempt_failed(task.index, "timeout", error, "")


def _exit_status(code: int | None) -> str:
    """A process exit code in words: 'signal SIGSEGV' or 'exit code 3'."""
    if code is not None and code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"

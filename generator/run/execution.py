"""Executing a run's scenes with retries: the scheduler every executor shares, and the in-process
executor (``workers=1`` with no timeout or recycling). Worker processes are in ``generator.run.pool``.

A scene that fails is retried (its frames already written are kept) up to ``retries`` times, then
recorded in the dataset's failures.jsonl (a scene whose target is not met, kind ``target``, is recorded
at once: its attempts are fixed by the config, a retry would draw the same ones); the run goes on with
the other scenes either way. Which process renders a scene, and in what order, never changes it: scene i
is a pure function of the config and i.
"""

from __future__ import annotations

import os
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assets.errors import one_line
from formats.failures import SceneFailure, record_failure
from generator.errors import TargetNotMet
from generator.world.sampling import scene_id_for


@dataclass
class SceneTask:
    """A scene to render: its index and the frames not yet written."""

    index: int
    frames: list[int]


@dataclass
class WorkerStats:
    """What one worker (process, or the main process) did. Times in seconds, memory in MB (resident).

    ``startup_s`` is from the worker's start to its renderer being ready; ``rss_mb`` is the resident
    set size after each scene it finished, in order (a flat series means no leak).
    """

    worker: int
    pid: int
    scenes: int = 0
    frames: int = 0
    busy_s: float = 0.0
    startup_s: float = 0.0
    rss_mb: list[float] = field(default_factory=list)
    ended: str = "running"  # finished | recycled | failed_scene | died: <signal> | timeout

    def as_json(self) -> dict[str, Any]:
        rss = self.rss_mb
        return {
            "worker": self.worker,
            "pid": self.pid,
            "scenes": self.scenes,
            "frames": self.frames,
            "busy_s": round(self.busy_s, 3),
            "startup_s": round(self.startup_s, 3),
            "frames_per_second": round(self.frames / self.busy_s, 3) if self.busy_s > 0 else 0.0,
            "rss_mb_first": rss[0] if rss else None,
            "rss_mb_peak": max(rss) if rss else None,
            "rss_mb_last": rss[-1] if rss else None,
            "ended": self.ended,
        }


def resident_mb() -> float:
    """This process's resident set size in MB (Linux /proc; the peak from getrusage elsewhere)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            pages = int(fh.read().split()[1])
        return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)
    except (OSError, ValueError, IndexError):
        import resource

        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# Failure kinds a retry cannot change (the scene's attempts are a pure function of the config).
NOT_RETRIED = ("target",)


def failure_kind(exc: BaseException) -> str:
    """The failures.jsonl kind of an exception raised by a scene: ``target`` or ``error``."""
    return "target" if isinstance(exc, TargetNotMet) else "error"


class Scheduler:
    """The queue of scene tasks, their attempts and the frames already written.

    Args:
        tasks: the scenes to render, in order.
        root: the dataset folder (failures.jsonl is appended there).
        root_seed: the run's seed (recorded with each failure).
        retries: how many times a failed scene is tried again.
        on_frame: called with (scene index, frame, manifest record) after each written frame.
    """

    def __init__(
        self,
        tasks: list[SceneTask],
        root: str | os.PathLike[str],
        root_seed: int,
        retries: int,
        on_frame: Callable[[int, int, dict[str, Any]], None],
    ) -> None:
        self.queue: deque[int] = deque(t.index for t in tasks)
        self.remaining: dict[int, list[int]] = {t.index: list(t.frames) for t in tasks}
        self.attempts: dict[int, int] = {t.index: 0 for t in tasks}
        self.root = root
        self.root_seed = root_seed
        self.retries = retries
        self.on_frame = on_frame
        self.failures: list[SceneFailure] = []
        self.retried = 0

    def next_task(self) -> SceneTask | None:
        """The next scene to try, or None when the queue is empty (tasks may still be in flight)."""
        if not self.queue:
            return None
        index = self.queue.popleft()
        self.attempts[index] += 1
        return SceneTask(index, list(self.remaining[index]))

    def frame_done(self, index: int, frame: int, record: dict[str, Any]) -> None:
        if frame in self.remaining[index]:
            self.remaining[index].remove(frame)  # a retry renders only what is still missing
        self.on_frame(index, frame, record)

    def attempt_failed(self, index: int, kind: str, error: str, detail: str = "") -> None:
        """Requeue the scene, or record it in failures.jsonl once it has used all its attempts. A scene
        whose frames are all written (its worker died or timed out after the last one) is done."""
        if not self.remaining[index]:
            return
        if self.attempts[index] <= self.retries and kind not in NOT_RETRIED:
            self.retried += 1
            self.queue.append(index)
            return
        failure = SceneFailure(
            scene_id=scene_id_for(index),
            scene_index=index,
            root_seed=self.root_seed,
            attempts=self.attempts[index],
            kind=kind,
            error=error,
            detail=detail,
        )
        record_failure(self.root, failure)
        self.failures.append(failure)


def run_in_process(scheduler: Scheduler, ctx: Any, first_scene: Any) -> list[WorkerStats]:
    """Render every task in this process with the open renderer of ``ctx`` (a SceneContext).

    ``first_scene`` (already sampled by the run's dry run) is used instead of sampling it again. An
    exception fails the attempt; a crash of the process itself cannot be isolated here (use workers).
    """
    from generator.run.scene_job import render_scene

    stats = WorkerStats(worker=0, pid=os.getpid())
    while (task := scheduler.next_task()) is not None:
        started = time.monotonic()  # measurement only: never reaches the data
        before = len(task.frames)
        try:
            scene = first_scene if first_scene is not None and first_scene.index == task.index else None
            render_scene(ctx, task.index, task.frames, scheduler.frame_done, scene)
            stats.scenes += 1
        except Exception as exc:  # noqa: BLE001 - any failure of one scene must not end the run
            scheduler.attempt_failed(task.index, failure_kind(exc), one_line(exc), traceback.format_exc())
        stats.frames += before - len(scheduler.remaining[task.index])
        stats.busy_s += time.monotonic() - started
        stats.rss_mb.append(resident_mb())
    stats.ended = "finished"
    return [stats]

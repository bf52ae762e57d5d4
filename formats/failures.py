"""``failures.jsonl``: the scenes a run gave up on, at the dataset root.

One JSON line per scene that failed every attempt in some run::

    {"scene_id": "000003", "scene_index": 3, "root_seed": 7, "attempts": 3, "kind": "error",
     "error": "AssetError: cannot read mesh file ...", "detail": "<traceback or exit status>"}

``kind`` is ``error`` (an exception in sampling, rendering, labelling or writing), ``worker_died`` (the
worker process ended without reporting, e.g. a segfault or the out-of-memory killer), ``timeout``
(the scene ran past ``scene_timeout_s`` and its worker was killed) or ``target`` (no attempt within
``target.max_attempts`` satisfied the run's target; never retried). ``root_seed`` and ``scene_index``
are all it takes to re-render the scene alone (``first_scene=INDEX num_scenes=1``).

Lines are appended (one write each), so concurrent shards can record failures into one root. A line
stays until a run in which no other writer can be active (an unsharded run, or one that finds the
dataset complete) drops the lines of scenes that are now complete.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from formats import atomic
from scenes import plain_data

FAILURES_FILE = "failures.jsonl"
FAILURE_KINDS = ("error", "worker_died", "timeout", "target")


@dataclass(frozen=True)
class SceneFailure:
    """A scene that failed every attempt of a run.

    Attributes:
        scene_id: the scene's folder name.
        scene_index: its index (with ``root_seed``, all that determines the scene).
        root_seed: the run's seed.
        attempts: how many times it was tried.
        kind: one of FAILURE_KINDS (of the last attempt).
        error: one line: exception type and message, or what happened to the worker.
        detail: the traceback or exit status, for debugging.
    """

    scene_id: str
    scene_index: int
    root_seed: int
    attempts: int
    kind: str
    error: str
    detail: str = ""


def record_failure(root: str | Path, failure: SceneFailure) -> None:
    """Append ``failure`` to the dataset's failures.jsonl."""
    atomic.append_line(Path(root) / FAILURES_FILE, plain_data.dumps_json(asdict(failure)))


def read_failures(root: str | Path) -> list[dict[str, Any]]:
    """The recorded failures, last line per scene kept, in scene order; torn lines are skipped."""
    path = Path(root) / FAILURES_FILE
    if not path.exists():
        return []
    latest: dict[str, dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = plain_data.loads_json(line, str(path))
            latest[record["scene_id"]] = record
        except (plain_data.PlainDataError, TypeError, KeyError):
            continue  # a line cut short by a crash
    return [latest[k] for k in sorted(latest)]


def compact_failures(root: str | Path, complete_scenes: set[str]) -> list[dict[str, Any]]:
    """Keep only the failures of scenes not in ``complete_scenes`` (removing the file when none is
    left) and return them. Only safe when no other process appends to the file."""
    path = Path(root) / FAILURES_FILE
    if not path.exists():
        return []
    open_failures = [f for f in read_failures(root) if f["scene_id"] not in complete_scenes]
    if not open_failures:
        path.unlink()
        return []
    text = "".join(plain_data.dumps_json(f) + "\n" for f in open_failures)
    if text != path.read_text(encoding="utf-8"):
        atomic.write_text(path, text)
    return open_failures

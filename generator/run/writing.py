"""Writing a scene's frames behind its rendering: a bounded queue of frames that one background thread
writes (``NativeWriter.write_frame``: PNG encoding, zlib, sha256 and file writes release the GIL), so
frame N's files are encoded and written while frame N+1 renders.

What a crash may lose is unchanged: the thread writes a frame's files, then its manifest line (fsync'd),
exactly as the rendering thread did, one frame after the other in frame order; and a frame is reported
(``on_frame``: progress, counts, the main process of a worker) only after its manifest line is on disk,
from the thread that queued it. At most ``depth`` frames wait or are being written, so memory stays flat
however slow the disk; an exception of the writer thread is raised, as it was, in the rendering thread
(the same exception object, so its one-line message is the same).
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from omegaconf import DictConfig

# Called after each written frame with (scene index, frame, manifest record).
FrameCallback = Callable[[int, int, dict[str, Any]], None]
DEFAULT_DEPTH = 2  # output.write_queue: one frame being written, one waiting, the next one rendering


def dataset_writer(cfg: DictConfig) -> Any:
    """The run's ``formats.native.NativeWriter`` for ``cfg.output_dir`` with ``output.png_compression``
    (every process of a run writes with the same settings)."""
    from formats.atomic import PNG_COMPRESSION
    from formats.native import NativeWriter

    return NativeWriter(cfg.output_dir, png_compression=int(cfg.output.get("png_compression", PNG_COMPRESSION)))


def write_queue_depth(cfg: DictConfig) -> int:
    """How many frames may be written behind the rendering (``output.write_queue``; 0: none)."""
    return int(cfg.output.get("write_queue", DEFAULT_DEPTH))


class FrameQueue:
    """The frames of one scene on their way to disk. Use as a context manager around the scene's frames.

    Args:
        writer: the dataset writer (``write_frame(scene, frame, results, labels, arrays)``).
        on_frame: called in the queuing thread with (index, frame, manifest record) once a frame's
            manifest line is written, in frame order.
        index: the scene's index (passed to ``on_frame``).
        depth: frames that may be queued or being written at once; 0 writes each frame in :meth:`put`.
    """

    def __init__(self, writer: Any, on_frame: FrameCallback, index: int, depth: int = DEFAULT_DEPTH) -> None:
        self.writer = writer
        self.on_frame = on_frame
        self.index = index
        self.depth = depth
        self._pending: deque[tuple[int, Future]] = deque()
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="synthsense-writer") if depth > 0 else None

    def put(self, scene: Any, frame: int, results: list[Any], labels: dict[str, Any], arrays: dict[str, Any]) -> None:
        """Write a computed frame: queued behind the frames before it (waiting while ``depth`` are queued),
        or at once with depth 0. Raises the error of an earlier frame's write, if one failed."""
        if self._thread is None:
            self.on_frame(self.index, frame, self.writer.write_frame(scene, frame, results, labels, arrays))
            return
        while self._pending and (len(self._pending) >= self.depth or self._pending[0][1].done()):
            self._report_oldest()
        # the amodal masks (one full-image mask per object) are not written: not kept alive in the queue
        files = [dataclasses.replace(r, amodal=None) if dataclasses.is_dataclass(r) else r for r in results]
        future = self._thread.submit(self.writer.write_frame, scene, frame, files, labels, arrays)
        self._pending.append((frame, future))

    def flush(self) -> None:
        """Wait for every queued frame to be written and report it; raises the first write error."""
        while self._pending:
            self._report_oldest()

    def _report_oldest(self) -> None:
        frame, future = self._pending.popleft()
        record = future.result()  # the writer thread's exception, re-raised here
        self.on_frame(self.index, frame, record)

    def close(self) -> None:
        """After an error: wait for the frames still being written (no thread may write into the dataset
        once the scene is over: a retry rewrites its missing frames), reporting those written and
        swallowing their errors (the error being raised is the one that ended the scene)."""
        while self._pending:
            try:
                self._report_oldest()
            except Exception:  # noqa: BLE001, S112 - a later frame's write may still have succeeded
                continue
        if self._thread is not None:
            self._thread.shutdown(wait=True)

    def __enter__(self) -> FrameQueue:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if exc_type is None:
                self.flush()
        finally:
            self.close()

"""Registry of exporters: name -> function(dataset_root, skip=()) -> written path, and :func:`export`, which
checks the dataset's frames first.

Exporters read datasets that may come from elsewhere: a malformed record (a missing key, a wrong type,
invalid JSON) becomes a one-line DatasetError naming the exporter and the problem, not a traceback.
A damaged frame (a file missing, truncated or changed since the manifest recorded it) is refused by
:func:`export` before anything is written, unless the caller asks to skip damaged frames.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

from formats._sequences import sequence_mates
from formats.coco import export_coco
from formats.coverage import write_coverage
from formats.kitti_object import export_kitti
from formats.kitti_tracking import export_kitti_tracking
from formats.mot import export_mot
from formats.native import DatasetError, FrameKey, NativeDataset, damaged_frames, scan_manifest
from formats.ply import export_ply
from formats.yolo import export_yolo, export_yolo_pose, export_yolo_seg

Exporter = Callable[..., Path]  # (dataset_root, skip: Collection[FrameKey] = ()) -> Path


def _one_line_errors(name: str, export: Exporter) -> Exporter:
    @functools.wraps(export)
    def wrapped(dataset_root: str | Path, skip: Collection[FrameKey] = ()) -> Path:
        try:
            return export(dataset_root, skip)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            raise DatasetError(
                f"{name} export of {dataset_root}: malformed dataset ({type(exc).__name__}: {exc})"
            ) from None

    return wrapped


EXPORTERS: dict[str, Exporter] = {
    name: _one_line_errors(name, fn)
    for name, fn in (
        ("coco", export_coco),
        ("mot", export_mot),
        ("kitti_tracking", export_kitti_tracking),
        ("kitti", export_kitti),
        ("ply", export_ply),
        ("yolo", export_yolo),
        ("yolo_seg", export_yolo_seg),
        ("yolo_pose", export_yolo_pose),
    )
}


# exporters of whole sequences only (frames numbered 0..N-1, ``iter_sequences(contiguous=True)``): a damaged
# frame leaves its sequence's other frames out too
WHOLE_SEQUENCES = frozenset({"mot", "kitti_tracking"})


def get_exporter(name: str) -> Exporter:
    """The exporter called ``name``; KeyError names the unknown format."""
    try:
        return EXPORTERS[name]
    except KeyError:
        raise KeyError(f"unknown export format {name!r}; known: {', '.join(sorted(EXPORTERS))}") from None


@dataclass
class ExportResult:
    """What :func:`export` wrote, and what it left out with ``skip_damaged``: the damaged frames (with the
    first problem of each), the malformed manifest lines (a frame each, unknown which) and, for formats of
    whole sequences, the sound frames left out with a damaged frame's sequence (``with_sequence``)."""

    path: Path
    skipped: list[tuple[FrameKey, str]] = field(default_factory=list)
    malformed_lines: list[str] = field(default_factory=list)
    with_sequence: list[FrameKey] = field(default_factory=list)
    coverage: Path | None = None  # the dataset's coverage.json, recomputed after the export

    def left_out(self) -> list[str]:
        """One line per malformed manifest line, then per damaged frame, then per frame left out with it."""
        frames = [f"frame {scene_id}/{frame:06d} is damaged: {problem}" for (scene_id, frame), problem in self.skipped]
        mates = [f"frame {s}/{f:06d} left out with its damaged sequence" for s, f in self.with_sequence]
        return [*self.malformed_lines, *frames, *mates]

    def skipped_text(self) -> str:
        """How many frames were left out, e.g. "2 frame(s): 1 damaged, 1 more of the same sequence"."""
        damaged = len(self.skipped)
        text = f"{damaged} damaged frame(s)"
        if self.with_sequence:
            more = len(self.with_sequence)
            text = f"{damaged + more} frame(s): {damaged} damaged, {more} more of the same sequence"
        if self.malformed_lines:
            text += f" and {len(self.malformed_lines)} malformed manifest line(s)"
        return text


def export(name: str, dataset_root: str | Path, skip_damaged: bool = False) -> ExportResult:
    """Export the dataset to format ``name`` after checking the manifest (every line a frame record) and
    every frame's files against it (missing files, sizes, checksums).

    A malformed line or a damaged frame raises DatasetError naming the first, before anything is written,
    unless ``skip_damaged``: then the other frames are exported (tracking formats leave a sequence with a
    damaged frame out whole, as its frames must be numbered 0..N-1) and the result lists what was left out,
    those frames included. The dataset's coverage.json and coverage.png (``formats.coverage``) are then
    recomputed over every scene in it (after the last shard of a run: the whole set).
    """
    exporter = get_exporter(name)
    NativeDataset(dataset_root)  # not a dataset: that error, before the frames are read
    manifest = scan_manifest(dataset_root)
    checked = ExportResult(Path(dataset_root), damaged_frames(dataset_root), manifest.problems)
    problems = checked.left_out()
    if problems and not skip_damaged:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise DatasetError(
            f"{name} export of {dataset_root}: {problems[0]}{more}; `synthsense validate {dataset_root}` lists "
            "every problem, rerunning the generate command redoes damaged frames, --skip-damaged exports the rest"
        )
    skip = [key for key, _ in checked.skipped]
    if name in WHOLE_SEQUENCES:
        checked.with_sequence = sequence_mates(manifest.records, skip)
    checked.path = exporter(dataset_root, skip)
    try:
        checked.coverage = write_coverage(dataset_root).path
    except OSError:
        pass  # a root the export could not add a file to: the export itself is written, coverage stays None
    return checked

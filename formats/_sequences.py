"""Sequences of a native dataset, as the video exporters (COCO videos, MOT, KITTI tracking) see them.

A sequence is one camera of one scene: frames 0..N-1 at t = frame / fps (DESIGN.md). A scene with one
camera gives one sequence keyed by its scene id; a scene with several cameras gives one per camera,
keyed ``<scene_id>-<camera>``. Keys become folder and file names, so they are checked to be plain names.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from formats.native import DatasetError, FrameKey, NativeDataset

# Scene ids and camera names are our own (zero-padded indices, validated camera names); anything else
# in a dataset would be a corrupt or hostile file, and it must never become a path such as "../x".
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_]+")


@dataclass(frozen=True)
class Sequence:
    """One camera of one scene, frames in order.

    Attributes:
        scene_id: the scene's id (folder name under ``scenes/``).
        sensor: the camera's name.
        key: ``scene_id``, or ``scene_id-sensor`` when the scene has several cameras.
        fps: frames per second (frame k is at t = k / fps); None when the dataset does not say and a single
            frame cannot tell.
        width, height: image size in pixels.
        labels: the labels.json records of its frames, in frame order (shared with the scene's other cameras).
    """

    scene_id: str
    sensor: str
    key: str
    fps: float | None
    width: int
    height: int
    labels: tuple[dict[str, Any], ...]

    @property
    def num_frames(self) -> int:
        return len(self.labels)

    def objects(self, frame_labels: dict[str, Any]) -> list[dict[str, Any]]:
        """This camera's object records in one frame's labels."""
        return frame_labels["objects"][self.sensor]


def plain_name(name: str, what: str) -> str:
    """``name`` if it is safe as a file name (letters, digits, underscores), else DatasetError."""
    if not isinstance(name, str) or not _PLAIN_NAME.fullmatch(name):
        raise DatasetError(f"{what} {name!r} is not a plain name (letters, digits, underscores); refusing to export it")
    return name


def track_id(obj: dict[str, Any]) -> int:
    """Track id of an object record; datasets written before ``track_id`` existed use the instance id,
    which is the same value by definition (stable over the whole sequence)."""
    return int(obj.get("track_id", obj["instance_id"]))


def iter_sequences(dataset: NativeDataset, contiguous: bool = True) -> Iterator[Sequence]:
    """Every sequence of the dataset, scenes in id order, then cameras in the labels' order.

    Labels are read one scene at a time; frames in ``dataset.skip`` are left out. With ``contiguous``
    (MOT, KITTI: their frame numbers are file names and line keys), a scene whose completed frames are
    not exactly 0..N-1 raises DatasetError, and a scene with a skipped frame is left out whole; without
    it (COCO), the completed frames are taken as they are.
    """
    records = dataset.frames()  # sorted by (scene_id, frame)
    skipped_scenes = {scene_id for scene_id, _ in dataset.skip}
    for scene_id, group in itertools.groupby(records, key=lambda r: r["scene_id"]):
        plain_name(scene_id, "scene id")
        if contiguous and scene_id in skipped_scenes:
            continue  # a sequence with a frame left out (damaged) cannot be numbered 0..N-1: leave it out
        frames = [r["frame"] for r in group]
        if contiguous:
            expected = expected_frames(dataset, scene_id, frames)
            if frames != list(range(expected)):
                missing = sorted(set(range(expected)) - set(frames))
                raise DatasetError(
                    f"scene {scene_id} is incomplete: frames {missing} of {expected} are missing; "
                    "rerun generate to finish it"
                )
        labels = tuple(dataset.labels(scene_id, f) for f in frames)
        for frame, lab in zip(frames, labels, strict=True):
            if lab.get("frame") != frame or lab.get("scene_id") != scene_id:
                raise DatasetError(
                    f"scene {scene_id} frame {frame}: labels.json says scene "
                    f"{lab.get('scene_id')!r} frame {lab.get('frame')!r}"
                )
        fps = sequence_fps(dataset.meta, labels)
        cameras = [name for name, calib in labels[0]["sensors"].items() if calib["type"] == "camera"]
        for sensor in cameras:
            calib = labels[0]["sensors"][sensor]
            yield Sequence(
                scene_id=scene_id,
                sensor=plain_name(sensor, "camera name"),
                key=scene_id if len(cameras) == 1 else f"{scene_id}-{sensor}",
                fps=fps,
                width=int(calib["width"]),
                height=int(calib["height"]),
                labels=labels,
            )


def sequence_mates(records: list[dict[str, Any]], skip: Collection[FrameKey]) -> list[FrameKey]:
    """The frames of ``records`` not in ``skip`` whose scene has a frame in ``skip``: what
    ``iter_sequences(contiguous=True)`` leaves out besides the skipped frames themselves."""
    skipped = set(skip)
    scenes = {scene_id for scene_id, _ in skipped}
    keys = [(r["scene_id"], r["frame"]) for r in records]
    return [key for key in keys if key[0] in scenes and key not in skipped]


def expected_frames(dataset: NativeDataset, scene_id: str, present: list[int]) -> int:
    """How many frames scene ``scene_id`` has: from the resolved config in dataset.json
    (``scene.sequence.num_frames``), else from its scene.json, else the frames present (0..max)."""
    scene_cfg = (dataset.meta.get("config") or {}).get("scene") or {}
    count = (scene_cfg.get("sequence") or {}).get("num_frames")
    if isinstance(count, int) and count > 0:
        return count
    if (dataset.root / "scenes" / scene_id / "scene.json").is_file():
        return dataset.scene(scene_id).num_frames
    return max(present) + 1


def sequence_fps(meta: dict[str, Any], labels: tuple[dict[str, Any], ...]) -> float | None:
    """Frames per second of a scene, in Hz.

    From the resolved config in dataset.json (``scene.sequence.fps``, or the older ``scene.fps``): the
    value the frame times were made from. Failing that, from two frames' times, fps = (f1 - f0) / (t1 - t0),
    rounded to 6 decimals to drop the float noise of t = k / fps. None when neither exists.
    """
    scene_cfg = (meta.get("config") or {}).get("scene") or {}
    for fps in ((scene_cfg.get("sequence") or {}).get("fps"), scene_cfg.get("fps")):
        if isinstance(fps, int | float) and fps > 0:
            return float(fps)
    if len(labels) >= 2:
        (f0, t0), (f1, t1) = ((lab["frame"], lab["t"]) for lab in labels[:2])
        if t1 > t0:
            return round((f1 - f0) / (t1 - t0), 6)
    return None

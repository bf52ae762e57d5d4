"""The native dataset format (DESIGN.md): writer and reader.

    <dataset>/dataset.json                       format version, categories, sensors, config, seed, versions
    <dataset>/manifest.jsonl                     one line per completed frame, appended after its files
    <dataset>/scenes/<scene_id>/scene.json       the complete Scene
    <dataset>/scenes/<scene_id>/<frame:06d>/labels.json, <camera>.rgb.png, .depth.npy, .instance.png
                                                 (and .normals.npy when the renderer made normals)

Every file is written atomically; a frame counts as done only once its manifest line exists, so a rerun
of the same config skips finished frames and redoes the rest.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import imageio.v3 as iio
import numpy as np

from formats import atomic
from scenes import Scene, load_scene, plain_data, scene_to_json

FORMAT_NAME = "synthsense-native"
FORMAT_VERSION = 1
DATASET_FILE = "dataset.json"
MANIFEST_FILE = "manifest.jsonl"
ARRAY_KINDS = ("flow.npy", "points.npy", "detections.npy")


class DatasetError(RuntimeError):
    """A dataset folder is missing, unreadable or incompatible; the message names the file."""


def frame_dir(scene_id: str, frame: int) -> str:
    """Folder of a frame, relative to the dataset root."""
    return f"scenes/{scene_id}/{frame:06d}"


def sensor_file(scene_id: str, frame: int, sensor: str, kind: str) -> str:
    """Relative path of a sensor file; kind is rgb.png | depth.npy | instance.png | normals.npy | flow.npy |
    points.npy | detections.npy."""
    return f"{frame_dir(scene_id, frame)}/{sensor}.{kind}"


class NativeWriter:
    """Writes one dataset folder. Call :meth:`open` once, then :meth:`write_scene` / :meth:`write_frame`."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def open(self, meta: dict[str, Any]) -> set[tuple[str, int]]:
        """Create or reopen the dataset and return the (scene_id, frame) pairs already complete.

        ``meta`` must hold ``config_hash``; an existing dataset with another hash raises DatasetError and
        nothing is written.
        """
        if self.root.exists() and not self.root.is_dir():
            raise DatasetError(f"output_dir {self.root} exists and is not a folder")
        existing = self.root / DATASET_FILE
        content = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, **meta}
        if existing.exists():
            old = plain_data.load_json(existing, DatasetError)
            if not isinstance(old, dict):
                raise DatasetError(f"{existing}: not a dataset.json (expected a JSON object)")
            if old.get("config_hash") != meta["config_hash"]:
                raise DatasetError(
                    f"output_dir {self.root} holds a dataset made from a different config "
                    f"(config_hash {old.get('config_hash')} != {meta['config_hash']}); choose another output_dir"
                )
            atomic.remove_stray_temporaries(self.root)
        elif self.root.exists() and any(not _written_by_a_shard(p.name) for p in self.root.iterdir()):
            raise DatasetError(
                f"output_dir {self.root} is not empty and holds no {DATASET_FILE}; choose another output_dir"
            )
        content = json.loads(json.dumps(content))  # compare as JSON values (tuples become lists)
        if not existing.exists() or plain_data.load_json(existing, DatasetError) != content:
            atomic.write_json(existing, content)  # only when new or changed (e.g. num_scenes grew)
        return complete_frames(self.root)

    def write_scene(self, scene: Scene) -> None:
        atomic.write_text(self.root / "scenes" / scene.scene_id / "scene.json", scene_to_json(scene) + "\n")

    def write_frame(
        self,
        scene: Scene,
        frame: int,
        buffers: list[Any],
        labels: dict[str, Any],
        arrays: dict[str, np.ndarray] | None = None,
    ) -> dict[str, Any]:
        """Write a frame's sensor files and labels, then append its manifest line (last).

        Args:
            buffers: renderer results (``renderers.base.RenderResult``), one per camera.
            labels: the frame's label record (``labels.annotate``).
            arrays: more per-sensor arrays by file name "<sensor>.<kind>", kind one of ARRAY_KINDS:
                flow.npy (float32 (H, W, 2) pixels), points.npy (POINT_DTYPE), detections.npy
                (DETECTION_DTYPE).
        Returns the manifest record.
        """
        files: dict[str, str] = {}
        for name, array in (arrays or {}).items():
            sensor, _, kind = name.partition(".")
            if kind not in ARRAY_KINDS:
                raise ValueError(f"unknown per-sensor array kind {kind!r} in {name!r}")
            rel = sensor_file(scene.scene_id, frame, sensor, kind)
            atomic.write_npy(self.root / rel, array)
            files[name] = rel
        for result in buffers:
            for kind, array, write in (
                ("rgb.png", result.rgb, atomic.write_png),
                ("depth.npy", result.depth, atomic.write_npy),
                ("instance.png", result.instance, atomic.write_png),
                ("normals.npy", result.normals, atomic.write_npy),
            ):
                if array is not None:
                    rel = sensor_file(scene.scene_id, frame, result.camera, kind)
                    write(self.root / rel, array)
                    files[f"{result.camera}.{kind}"] = rel
        labels_rel = f"{frame_dir(scene.scene_id, frame)}/labels.json"
        atomic.write_json(self.root / labels_rel, labels)
        objects = [o for objs in labels["objects"].values() for o in objs]  # every sensor's records
        record = {
            "scene_id": scene.scene_id,
            "frame": frame,
            "t": labels["t"],
            "labels": labels_rel,
            "files": files,
            # sizes let a resume check, with one stat per file, that the frame's files are the ones written
            "bytes": {rel: (self.root / rel).stat().st_size for rel in [labels_rel, *files.values()]},
            "num_objects": len({o["instance_id"] for o in objects}),
            "num_visible": len({o["instance_id"] for o in objects if o.get("visible")}),  # in some camera
        }
        atomic.append_line(self.root / MANIFEST_FILE, plain_data.dumps_json(record, where=str(MANIFEST_FILE)))
        return record


def _written_by_a_shard(name: str) -> bool:
    """Names another shard of the same run may have created before its dataset.json is in place."""
    shared = ("scenes", MANIFEST_FILE, "failures.jsonl", "run_stats")
    return name in shared or name.startswith((f".{DATASET_FILE}.", f".{MANIFEST_FILE}.", ".failures.jsonl."))


def read_manifest(root: str | Path) -> list[dict[str, Any]]:
    """Manifest records in order, last record per (scene_id, frame) kept; a torn last line is skipped."""
    path = Path(root) / MANIFEST_FILE
    if not path.exists():
        return []
    records: dict[tuple[str, int], dict] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = plain_data.loads_json(line, str(path))
        except plain_data.PlainDataError:
            continue  # a line cut short by a crash: that frame is simply not complete
        records[(rec["scene_id"], rec["frame"])] = rec
    return sorted(records.values(), key=lambda r: (r["scene_id"], r["frame"]))


def frame_is_complete(root: str | Path, record: dict[str, Any]) -> bool:
    """Whether every file of a manifest record exists with the size it was written with (records
    written before sizes were recorded: exists)."""
    root = Path(root)
    sizes: dict[str, int] = dict(record.get("bytes", {}))
    for rel in [record.get("labels", f"{frame_dir(record['scene_id'], record['frame'])}/labels.json")]:
        sizes.setdefault(rel, -1)
    for rel in record["files"].values():
        sizes.setdefault(rel, -1)
    for rel, size in sizes.items():
        try:
            actual = (root / rel).stat().st_size
        except OSError:
            return False
        if size >= 0 and actual != size:
            return False
    return True


def complete_frames(root: str | Path) -> set[tuple[str, int]]:
    """(scene_id, frame) of the manifest's frames whose files are all in place with their written sizes:
    the frames a resumed run skips (a frame with a missing or truncated file is redone)."""
    return {(r["scene_id"], r["frame"]) for r in read_manifest(root) if frame_is_complete(root, r)}


def compact_manifest(root: str | Path) -> bool:
    """Rewrite manifest.jsonl sorted by (scene_id, frame), one line per frame, without torn lines, so it
    is the same file whatever order workers or shards finished frames in. Only safe when no other
    process appends to it (the caller's run is the only one, or the dataset is complete). Returns
    whether the file changed."""
    path = Path(root) / MANIFEST_FILE
    if not path.exists():
        return False
    text = "".join(plain_data.dumps_json(r) + "\n" for r in read_manifest(root))
    if text == path.read_text(encoding="utf-8"):
        return False
    atomic.write_text(path, text)
    return True


class NativeDataset:
    """Read access to a native dataset folder."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        path = self.root / DATASET_FILE
        if not path.is_file():
            raise DatasetError(f"{path}: not found; is {self.root} a synthsense dataset?")
        self.meta: dict[str, Any] = plain_data.load_json(path, DatasetError)
        if not isinstance(self.meta, dict) or self.meta.get("format") != FORMAT_NAME:
            raise DatasetError(f"{path}: not a {FORMAT_NAME} dataset")

    @property
    def categories(self) -> list[dict[str, Any]]:
        return self.meta["categories"]

    def frames(self) -> list[dict[str, Any]]:
        return read_manifest(self.root)

    def iter_labels(self) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        """(manifest record, labels) for every completed frame."""
        for rec in self.frames():
            yield rec, self.labels(rec["scene_id"], rec["frame"])

    def labels(self, scene_id: str, frame: int) -> dict[str, Any]:
        return plain_data.load_json(self.root / frame_dir(scene_id, frame) / "labels.json", DatasetError)

    def scene(self, scene_id: str) -> Scene:
        return load_scene(self.root / "scenes" / scene_id / "scene.json")

    def rgb(self, scene_id: str, frame: int, sensor: str) -> np.ndarray:
        return iio.imread(
            self.root / sensor_file(scene_id, frame, sensor, "rgb.png"), extension=".png", plugin="pillow"
        )

    def instance(self, scene_id: str, frame: int, sensor: str) -> np.ndarray:
        return iio.imread(
            self.root / sensor_file(scene_id, frame, sensor, "instance.png"), extension=".png", plugin="pillow"
        ).astype(np.uint16)

    def points(self, scene_id: str, frame: int, sensor: str) -> np.ndarray:
        """A LiDAR sweep: structured array ``scenes.POINT_DTYPE``."""
        return np.load(self.root / sensor_file(scene_id, frame, sensor, "points.npy"), allow_pickle=False)

    def detections(self, scene_id: str, frame: int, sensor: str) -> np.ndarray:
        """Radar detections: structured array ``scenes.DETECTION_DTYPE``."""
        return np.load(self.root / sensor_file(scene_id, frame, sensor, "detections.npy"), allow_pickle=False)

    def flow(self, scene_id: str, frame: int, sensor: str) -> np.ndarray:
        """Optical flow to the next frame, float32 (H, W, 2): (du, dv) in pixels."""
        return np.load(self.root / sensor_file(scene_id, frame, sensor, "flow.npy"), allow_pickle=False)

    def depth(self, scene_id: str, frame: int, sensor: str) -> np.ndarray:
        return np.load(self.root / sensor_file(scene_id, frame, sensor, "depth.npy"), allow_pickle=False)

    def normals(self, scene_id: str, frame: int, sensor: str) -> np.ndarray:
        """Surface normals, float32 (H, W, 3): unit vectors in the camera's OpenCV frame, (0, 0, 0) where no
        surface. Only datasets rendered by a backend with the normals pass (blender) have them."""
        return np.load(self.root / sensor_file(scene_id, frame, sensor, "normals.npy"), allow_pickle=False)

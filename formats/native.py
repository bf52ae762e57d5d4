"""The native dataset format (DESIGN.md): writer and reader.

    <dataset>/dataset.json                       format version, categories, sensors, config, seed, versions
    <dataset>/manifest.jsonl                     one line per completed frame, appended after its files
    <dataset>/scenes/<scene_id>/scene.json       the complete Scene
    <dataset>/scenes/<scene_id>/<frame:06d>/labels.json, <camera>.rgb.png, .depth.npy, .instance.png
                                                 (and .normals.npy when the renderer made normals)

Every file is written atomically; a frame counts as done only once its manifest line exists, so a rerun
of the same config skips finished frames and redoes the rest. A manifest line records the size and the
SHA-256 of each of the frame's files and of its scene's scene.json (``bytes``, ``sha256``, keyed by
path): a resume redoes a frame whose files are missing, truncated or changed at the same size, and
``synthsense validate`` names them. Lines written before checksums existed are checked by size (or
existence) only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import threading
from collections.abc import Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import imageio.v3 as iio
import numpy as np

from formats import atomic
from scenes import Scene, load_scene, plain_data, scene_to_json
from scenes.plain_data import short_repr

FORMAT_NAME = "synthsense-native"
FORMAT_VERSION = 1
DATASET_FILE = "dataset.json"
MANIFEST_FILE = "manifest.jsonl"
ARRAY_KINDS = ("flow.npy", "points.npy", "detections.npy")
# hashlib's sha256 runs at about 1.7 GB/s with the SHA extensions of current x86 and ARM CPUs (as fast as
# sha1, faster than md5 or blake2 there), i.e. about 17 ms for a 1080p frame's ~28 MB of files.
CHECKSUM = "sha256"
FrameKey = tuple[str, int]  # (scene_id, frame)
# a run's lock files at the dataset root (``formats.locks``): named here, where the writer must know them
LOCK_PREFIX = ".synthsense"
LOCK_SUFFIX = ".lock"
_CHECK_CHUNK = 1024  # manifest records handed to the checking threads at a time (bounded memory)
_SCENE_ID = re.compile(r"[A-Za-z0-9_-]+")


class DatasetError(RuntimeError):
    """A dataset folder is missing, unreadable or incompatible; the message names the file."""


def frame_dir(scene_id: str, frame: int) -> str:
    """Folder of a frame, relative to the dataset root."""
    return f"scenes/{scene_id}/{frame:06d}"


def scene_file(scene_id: str) -> str:
    """The scene.json of a scene, relative to the dataset root."""
    return f"scenes/{scene_id}/scene.json"


def digest(data: bytes) -> str:
    """The checksum the manifest records for a file's bytes (hex)."""
    return hashlib.new(CHECKSUM, data).hexdigest()


def file_sums(path: str | Path) -> tuple[int, str]:
    """(size, digest) of a file on disk, read in chunks (a file may be hundreds of MB)."""
    with open(path, "rb") as fh:
        return os.fstat(fh.fileno()).st_size, hashlib.file_digest(fh, CHECKSUM).hexdigest()


def sensor_file(scene_id: str, frame: int, sensor: str, kind: str) -> str:
    """Relative path of a sensor file; kind is rgb.png | depth.npy | instance.png | normals.npy | flow.npy |
    points.npy | detections.npy."""
    return f"{frame_dir(scene_id, frame)}/{sensor}.{kind}"


class NativeWriter:
    """Writes one dataset folder. Call :meth:`open` once, then :meth:`write_scene` / :meth:`write_frame`."""

    def __init__(self, root: str | Path, png_compression: int = atomic.PNG_COMPRESSION):
        """``png_compression``: zlib level 0-9 of the rgb and instance PNGs (``output.png_compression``)."""
        self.root = Path(root)
        self.png_compression = png_compression
        self._scene_sums: dict[str, tuple[int, str]] = {}  # scene_id -> (size, digest) of its scene.json

    def check(self, config_hash: str) -> None:
        """Refuse, only reading, an output_dir this run must not write into: a file, a dataset made from
        another config, or a folder without dataset.json holding anything but another shard's dataset in
        the making (``foreign_content``). The run calls this before sampling any scene."""
        if self.root.exists() and not self.root.is_dir():
            raise DatasetError(f"output_dir {self.root} exists and is not a folder")
        existing = self.root / DATASET_FILE
        if existing.exists():
            old = plain_data.load_json(existing, DatasetError)
            if not isinstance(old, dict):
                raise DatasetError(f"{existing}: not a dataset.json (expected a JSON object)")
            if (old_hash := old.get("config_hash")) != config_hash:
                old_hash = old_hash if isinstance(old_hash, str) else short_repr(old_hash, 40)
                raise DatasetError(
                    f"output_dir {self.root} holds a dataset made from a different config "
                    f"(config_hash {old_hash} != {config_hash}); choose another output_dir"
                )
        elif self.root.exists() and (why := foreign_content(self.root)) is not None:
            raise DatasetError(
                f"output_dir {self.root} is not empty and holds no {DATASET_FILE} ({why}); choose another output_dir"
            )

    def open(self, meta: dict[str, Any], scenes: Collection[str] | None = None) -> set[FrameKey]:
        """Create or reopen the dataset and return the (scene_id, frame) pairs already complete.

        ``meta`` must hold ``config_hash``; a folder :meth:`check` refuses raises DatasetError and nothing
        is written. ``scenes``: the scene ids this run renders; only their frames are checked (and
        returned), so a shard does not read the other shards' files; None: every frame.
        """
        self.check(meta["config_hash"])
        existing = self.root / DATASET_FILE
        if existing.exists():
            atomic.remove_stray_temporaries(self.root)
        content = json.loads(json.dumps({"format": FORMAT_NAME, "format_version": FORMAT_VERSION, **meta}))
        # compared as JSON values (tuples become lists); written only when new or changed (num_scenes grew)
        if not existing.exists() or plain_data.load_json(existing, DatasetError) != content:
            atomic.write_json(existing, content)
        return complete_frames(self.root, scenes=scenes)

    def write_scene(self, scene: Scene) -> None:
        data = (scene_to_json(scene) + "\n").encode("utf-8")
        atomic.write_bytes(self.root / scene_file(scene.scene_id), data)
        self._scene_sums[scene.scene_id] = (len(data), digest(data))

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
        sums: dict[str, tuple[int, str]] = {}  # rel path -> (size, digest) of the bytes written

        def put(rel: str, data: bytes) -> None:
            atomic.write_bytes(self.root / rel, data)
            sums[rel] = (len(data), digest(data))  # hashed in memory: no file is read back

        for name, array in (arrays or {}).items():
            sensor, _, kind = name.partition(".")
            if kind not in ARRAY_KINDS:
                raise ValueError(f"unknown per-sensor array kind {kind!r} in {name!r}")
            rel = sensor_file(scene.scene_id, frame, sensor, kind)
            put(rel, atomic.encode_npy(array))
            files[name] = rel

        def png(image: np.ndarray) -> bytes:
            return atomic.encode_png(image, self.png_compression)

        for result in buffers:
            for kind, array, encode in (
                ("rgb.png", result.rgb, png),
                ("depth.npy", result.depth, atomic.encode_npy),
                ("instance.png", result.instance, png),
                ("normals.npy", result.normals, atomic.encode_npy),
            ):
                if array is not None:
                    rel = sensor_file(scene.scene_id, frame, result.camera, kind)
                    put(rel, encode(array))
                    files[f"{result.camera}.{kind}"] = rel
        labels_rel = f"{frame_dir(scene.scene_id, frame)}/labels.json"
        put(labels_rel, atomic.encode_json(labels, where=str(self.root / labels_rel)))
        scene_rel = scene_file(scene.scene_id)
        sums[scene_rel] = self._scene_sums.get(scene.scene_id) or file_sums(self.root / scene_rel)
        order = [labels_rel, *files.values(), scene_rel]
        objects = [o for objs in labels["objects"].values() for o in objs]  # every sensor's records
        record = {
            "scene_id": scene.scene_id,
            "frame": frame,
            "t": labels["t"],
            "labels": labels_rel,
            "files": files,
            # sizes let a check with one stat per file find a missing or truncated file; the checksums
            # find a file changed at the same size (the scene's scene.json included)
            "bytes": {rel: sums[rel][0] for rel in order},
            CHECKSUM: {rel: sums[rel][1] for rel in order},
            "num_objects": len({o["instance_id"] for o in objects}),
            "num_visible": len({o["instance_id"] for o in objects if o.get("visible")}),  # in some camera
        }
        atomic.append_line(self.root / MANIFEST_FILE, plain_data.dumps_json(record, where=str(MANIFEST_FILE)))
        return record


def _written_by_a_shard(name: str) -> bool:
    """Names another shard of the same run may have created before its dataset.json is in place."""
    shared = ("scenes", MANIFEST_FILE, "failures.jsonl", "run_stats")
    temporaries = (f".{DATASET_FILE}.", f".{MANIFEST_FILE}.", ".failures.jsonl.")
    return name in shared or name.startswith(temporaries) or is_lock_file(name)


def lock_name(shard_index: int, num_shards: int) -> str:
    """The lock file's name of one shard of a run (``num_shards`` 1: the unsharded run), ``formats.locks``."""
    shard = "" if num_shards == 1 else f".shard-{shard_index:04d}-of-{num_shards:04d}"
    return f"{LOCK_PREFIX}{shard}{LOCK_SUFFIX}"


def is_lock_file(name: str) -> bool:
    """A run's lock file at the dataset root (:func:`lock_name`): a shard's, never foreign content."""
    return name.startswith(LOCK_PREFIX) and name.endswith(LOCK_SUFFIX)


def foreign_content(root: Path) -> str | None:
    """Why a folder without dataset.json cannot be another shard's dataset in the making, or None.

    A shard writes dataset.json before anything else, so a folder without one holds only what another
    shard of the same run writes between its check and its dataset.json landing: the names above,
    frame files under ``scenes/<id>/`` laid out as the native format lays them out, and manifest lines
    that are complete records (with sizes). Anything else (a user's notes, a hand-written manifest) is
    someone else's folder.
    """
    for path in root.iterdir():
        if not _written_by_a_shard(path.name):
            return f"{path.name} is not a file of a synthsense dataset"
    if (root / "scenes").exists():
        for path in sorted((root / "scenes").rglob("*")):
            rel = path.relative_to(root).as_posix()
            if not (path.is_dir() or _is_native_file(rel)):
                return f"{rel} is not a file of a synthsense dataset"
    manifest = scan_manifest(root)
    if manifest.problems:
        return manifest.problems[0]
    for rec in manifest.records:
        if "bytes" not in rec:
            return f"{MANIFEST_FILE}: the line of {rec['scene_id']}/{rec['frame']:06d} records no file sizes"
    return None


_NATIVE_FILE = re.compile(
    r"scenes/[A-Za-z0-9_-]+/(scene\.json|\d{6}/(labels\.json|[A-Za-z0-9_-]+\.("
    + "|".join(re.escape(k) for k in ("rgb.png", "depth.npy", "instance.png", "normals.npy", *ARRAY_KINDS))
    + r")))"
)


def _is_native_file(rel: str) -> bool:
    """Whether ``rel`` is a path the writer makes under scenes/ (or one of its temporaries)."""
    name = rel.rpartition("/")[2]
    return bool(_NATIVE_FILE.fullmatch(rel)) or (name.startswith(".") and name.endswith(".tmp"))


@dataclass
class Manifest:
    """The manifest as read: its valid records (the last per frame, sorted by (scene_id, frame)) and one
    line per malformed line, naming its line number."""

    records: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def scan_manifest(root: str | Path) -> Manifest:
    """Read manifest.jsonl, keeping valid records and naming the malformed lines (invalid JSON, or JSON
    that is not a frame record). A malformed line completes no frame, so a resume redoes that frame."""
    path = Path(root) / MANIFEST_FILE
    manifest = Manifest()
    if not path.exists():
        return manifest
    records: dict[FrameKey, dict] = {}
    data = path.read_bytes()
    lines = data.decode("utf-8", errors="replace").splitlines()
    for number, line in enumerate(lines, start=1):
        where = f"{MANIFEST_FILE} line {number}"
        try:
            rec = plain_data.loads_json(line, where)
            problem = record_problem(rec)
        except plain_data.PlainDataError as exc:
            detail = re.match(r":\d+:(\d+): (.*)", str(exc).removeprefix(where))  # the column, if any
            problem = f"column {detail[1]}: {detail[2]}" if detail else str(exc).removeprefix(f"{where}: ")
            if number == len(lines) and not data.endswith(b"\n"):
                problem += "; cut short: the run writing it was interrupted (rerun it to resume)"
        if problem is None:
            records[(rec["scene_id"], rec["frame"])] = rec
        else:
            manifest.problems.append(f"{where}: {problem}")
    manifest.records = sorted(records.values(), key=lambda r: (r["scene_id"], r["frame"]))
    return manifest


def read_manifest(root: str | Path) -> list[dict[str, Any]]:
    """Manifest records in order, last record per (scene_id, frame) kept; malformed lines (a line torn by
    a crash, a damaged line) are skipped: those frames are simply not complete."""
    return scan_manifest(root).records


def record_problem(rec: Any) -> str | None:
    """Why a parsed manifest line is not a frame record, or None. Checked before any value is used, so a
    hostile or damaged line cannot send a reader outside the dataset or into a traceback."""
    if not isinstance(rec, dict):
        return f"not a frame record (a JSON object): {short_repr(rec)}"
    scene_id, frame = rec.get("scene_id"), rec.get("frame")
    if not isinstance(scene_id, str) or not _SCENE_ID.fullmatch(scene_id):
        return f"scene_id {short_repr(scene_id)} is not a scene folder name"
    if isinstance(frame, bool) or not isinstance(frame, int) or frame < 0:
        return f"frame {short_repr(frame)} is not a frame number"
    files = rec.get("files")
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        return f"files {short_repr(files)} is not an object of file paths"
    for key, kind in (("bytes", int), (CHECKSUM, str)):
        value = rec.get(key, {})
        if not isinstance(value, dict) or not all(type(v) is kind for v in value.values()):
            return f"{key} {short_repr(value)} is not an object of {kind.__name__} values"
    if not isinstance(rec.get("labels", ""), str):  # informative: readers read the frame's labels.json
        return f"labels {short_repr(rec['labels'])} is not a file path"
    prefix = f"scenes/{scene_id}/"
    for rel in [*files.values(), *rec.get("bytes", {}), *rec.get(CHECKSUM, {})]:
        parts = rel.split("/")
        if not rel.startswith(prefix) or any(p in ("", ".", "..") for p in parts[2:]) or "\\" in rel:
            return f"path {short_repr(rel)} is not a file under {prefix}"
    return None


def frame_files(record: dict[str, Any]) -> dict[str, int]:
    """Every file of a (valid) manifest record, relative path -> size written (-1: not recorded): the
    frame's labels.json (where readers read it), its sensor files, and whatever else ``bytes`` lists (the
    scene's scene.json, in records written since it is recorded)."""
    sizes: dict[str, int] = dict(record.get("bytes", {}))
    for rel in [f"{frame_dir(record['scene_id'], record['frame'])}/labels.json", *record["files"].values()]:
        sizes.setdefault(rel, -1)
    return sizes


def file_problems(
    root: str | Path,
    record: dict[str, Any],
    first_only: bool = False,
    verify: bool = True,
    memo: DigestMemo | None = None,
) -> list[str]:
    """What is wrong with the files of a (valid) manifest record: missing, not the size written, or not
    the checksum written (a file changed at the same size). Records without checksums or sizes are
    checked as far as they go. ``first_only`` stops at the first problem (a resume needs no more);
    ``verify=False`` checks sizes only (one stat per file, no file read); ``memo``: digests of scene.json
    files shared by the records of one check, so each is read once per scene, not once per frame."""
    root = Path(root)
    sums: dict[str, str] = record.get(CHECKSUM, {}) if verify else {}
    problems = []
    for rel, size in frame_files(record).items():
        problem = _file_problem(root / rel, rel, size, sums.get(rel), memo)
        if problem is not None:
            problems.append(problem)
            if first_only:
                break
    return problems


class DigestMemo:
    """Digests of the scene.json files of one check (every frame record lists its scene's), each file read
    once however many frames and threads ask; other files belong to one frame and are not kept."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[Path, tuple[threading.Lock, list[str | OSError]]] = {}

    def digest(self, path: Path) -> str:
        if path.name != "scene.json":
            return file_sums(path)[1]
        with self._lock:
            entry = self._entries.setdefault(path, (threading.Lock(), []))
        with entry[0]:  # a second thread asking for the same file waits for the first one's digest
            if not entry[1]:
                try:
                    entry[1].append(file_sums(path)[1])
                except OSError as exc:
                    entry[1].append(exc)
        if isinstance(found := entry[1][0], OSError):
            raise found
        return found


def _file_problem(path: Path, rel: str, size: int, checksum: str | None, memo: DigestMemo | None) -> str | None:
    try:
        info = path.stat()
    except OSError:
        return f"missing file {rel}"
    if not stat.S_ISREG(info.st_mode):
        return f"{rel} is not a regular file"
    if size >= 0 and info.st_size != size:
        return f"{rel} is not the size it was written with (truncated or replaced)"
    if checksum is not None:
        try:
            if (memo.digest(path) if memo is not None else file_sums(path)[1]) != checksum:
                return f"{rel} does not match its {CHECKSUM} in the manifest (changed after it was written)"
        except OSError as exc:
            return f"{rel} is unreadable ({exc.strerror or exc})"
    return None


def frame_is_complete(root: str | Path, record: dict[str, Any], verify: bool = True) -> bool:
    """Whether every file of a manifest record (its scene.json included) is in place as it was written:
    same size and checksum (older records: size, or existence; ``verify=False``: sizes only)."""
    return not file_problems(root, record, first_only=True, verify=verify)


def complete_frames(root: str | Path, verify: bool = True, scenes: Collection[str] | None = None) -> set[FrameKey]:
    """(scene_id, frame) of the manifest's frames whose files all check (``frame_is_complete``): the
    frames a resumed run skips (a frame with a missing, truncated or changed file is redone). ``scenes``:
    check (and return) only the frames of these scene ids, leaving the other records unread; None: all."""
    records = _records_of(root, scenes)
    if not verify:
        return {(r["scene_id"], r["frame"]) for r in records if frame_is_complete(root, r, False)}
    damaged = {key for key, _ in _damaged(root, records)}
    return {(r["scene_id"], r["frame"]) for r in records} - damaged


def damaged_frames(root: str | Path, scenes: Collection[str] | None = None) -> list[tuple[FrameKey, str]]:
    """The manifest's frames (of ``scenes`` only, if given) whose files do not check (checksums
    included), with the first problem of each, in (scene_id, frame) order. Frames are checked on a few
    threads, in chunks of records (so the pending work stays small whatever the dataset's size): hashlib
    and file reads release the GIL, so checking scales with the cores until the disk is the limit. Each
    scene.json is read once per check (``DigestMemo``)."""
    return _damaged(root, _records_of(root, scenes))


def _records_of(root: str | Path, scenes: Collection[str] | None) -> list[dict[str, Any]]:
    records = read_manifest(root)
    if scenes is None:
        return records
    wanted = frozenset(scenes)
    return [r for r in records if r["scene_id"] in wanted]


def _damaged(root: str | Path, records: list[dict[str, Any]]) -> list[tuple[FrameKey, str]]:
    memo = DigestMemo()
    damaged = []
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        for start in range(0, len(records), _CHECK_CHUNK):
            chunk = records[start : start + _CHECK_CHUNK]
            found = pool.map(lambda rec: file_problems(root, rec, first_only=True, memo=memo), chunk)
            damaged += [((r["scene_id"], r["frame"]), p[0]) for r, p in zip(chunk, found, strict=True) if p]
    return damaged


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

    def __init__(self, root: str | Path, skip: Collection[FrameKey] = ()):
        """Open the dataset at ``root``; ``skip``: frames (scene_id, frame) its readers leave out (the
        damaged frames an export skips, ``formats.exporters``)."""
        self.root = Path(root)
        self.skip = frozenset(skip)
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
        """The manifest's records, sorted by (scene_id, frame), less those in ``skip``."""
        return [r for r in read_manifest(self.root) if (r["scene_id"], r["frame"]) not in self.skip]

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

"""``coverage.json`` and ``coverage.png``: what a dataset covers, computed from its files alone.

Histograms of every sampled scenario parameter (scene.json ``scenario.parameters``), per scenario name;
of the label fields a target bounds, over the objects each target block looks at (labels.json records
of the block's sensor with one of its categories), split into all of them and those satisfying the
whole block; the target's acceptance figures (scene.json ``params.target``, labels.json ``target``,
failures.jsonl); and, for every run, the first camera's objects per category with visibility and
range histograms. Objects are counted per label record: an object seen in 10 frames counts 10 times.

How each histogram is binned comes from dataset.json ``coverage_axes`` (written by the run,
``generator.run.coverage``: a scenario parameter's bins span the support of its configured
distribution, a named or listed choice is counted per value, the target's blocks as parsed), so this
module needs nothing of generator/ and any process (a shard, ``synthsense validate``, an export)
computes the same file from the same dataset. A dataset without axes (written before them) is binned
over the values observed. Only completed frames (manifest records) and their scenes' scene.json are
read; a file that cannot be read or has the wrong shape is skipped and counted, never fatal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formats import atomic
from formats.failures import read_failures
from formats.histograms import categorical_histogram, even_edges, nice_edges, number, numeric_histogram
from formats.native import NativeDataset, frame_dir, scan_manifest, scene_file
from scenes import plain_data

COVERAGE_FILE = "coverage.json"
COVERAGE_PNG = "coverage.png"
COVERAGE_FORMAT = "synthsense-coverage"
COVERAGE_VERSION = 1
AXES_KEY = "coverage_axes"  # dataset.json: how to bin (generator.run.coverage.coverage_axes)
FRACTION_FIELDS = ("visibility", "truncation")  # label fields in [0, 1] (labels/annotate.py)
MAX_LISTED = 20  # unreadable files named in coverage.json (the rest are counted)
NO_SCENARIO = "none"  # scenes without a scenario record (scenario=none), as the config names them


# --- reading the dataset ---------------------------------------------------------------------------
@dataclass
class _Unreadable:
    """Files skipped because they could not be read or had the wrong shape."""

    counts: Counter = field(default_factory=Counter)
    files: list[str] = field(default_factory=list)

    def add(self, kind: str, rel: str) -> None:
        self.counts[kind] += 1
        self.files.append(rel)

    def as_json(self, manifest_lines: int) -> dict[str, Any]:
        return {
            "scene_json": self.counts["scene.json"],
            "labels_json": self.counts["labels.json"],
            "manifest_lines": manifest_lines,
            "files": sorted(self.files)[:MAX_LISTED],
        }


def _load(root: Path, rel: str) -> Any:
    """The JSON value of a dataset file; PlainDataError when it cannot be read or parsed."""
    return plain_data.load_json(root / rel)


def _scene_facts(scene: Any) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
    """(scenario name, drawn parameters, params.target record or None) of a scene.json; ValueError when
    its shape is wrong."""
    if not isinstance(scene, dict) or not isinstance(scene.get("params", {}), dict):
        raise ValueError("not a scene record")
    record = scene.get("scenario")
    target = scene.get("params", {}).get("target")
    target = target if isinstance(target, dict) else None
    if record is None:
        return NO_SCENARIO, {}, target
    if not isinstance(record, dict) or not isinstance(record.get("name"), str):
        raise ValueError("scenario record without a name")
    parameters = record.get("parameters", {})
    if not isinstance(parameters, dict):
        raise ValueError("scenario parameters are not a mapping")
    return record["name"], parameters, target


def _frame_objects(labels: Any) -> dict[str, list[dict[str, Any]]]:
    """labels.json ``objects``: sensor -> records; ValueError when its shape is wrong."""
    objects = labels.get("objects") if isinstance(labels, dict) else None
    if not isinstance(objects, dict) or not all(
        isinstance(records, list) and all(isinstance(r, dict) for r in records) for records in objects.values()
    ):
        raise ValueError("labels without per-sensor object lists")
    return objects


# --- the target's blocks (dataset.json coverage_axes.target) -----------------------------------------
@dataclass
class BlockTally:
    """One target block as the run parsed it, with what is counted. It matches a record as
    ``generator.run.targeting.Block.matches`` does (formats/ cannot import it; a test checks they agree):
    a category among ``categories`` (None: any) and every field a number inside its closed interval."""

    sensor: str
    categories: tuple[str, ...] | None
    intervals: tuple[tuple[str, float, float], ...]
    min_count: int
    objects: int = 0
    satisfying: int = 0
    frames_met: int = 0
    all_values: dict[str, list[float]] = field(default_factory=dict)
    satisfying_values: dict[str, list[float]] = field(default_factory=dict)

    def add_frame(self, objects: Mapping[str, list[dict[str, Any]]]) -> None:
        """Count one frame: the records of the block's sensor with one of its categories, their bounded
        fields, and those inside every interval (a field that is missing or not a number is outside)."""
        met = 0
        for record in objects.get(self.sensor, ()):
            if self.categories is not None and record.get("category") not in self.categories:
                continue
            self.objects += 1
            values = {name: number(record.get(name)) for name, _, _ in self.intervals}
            for name, value in values.items():
                if value is not None:
                    self.all_values.setdefault(name, []).append(value)
            if all(values[n] is not None and lo <= values[n] <= hi for n, lo, hi in self.intervals):
                met += 1
                for name, value in values.items():
                    self.satisfying_values.setdefault(name, []).append(value)
        self.satisfying += met
        self.frames_met += met >= self.min_count

    def as_json(self) -> dict[str, Any]:
        fields = {}
        for name, low, high in self.intervals:
            seen = self.all_values.get(name, [])
            integer = all(v.is_integer() for v in seen) and name not in FRACTION_FIELDS
            edges = even_edges(0.0, 1.0) if name in FRACTION_FIELDS else nice_edges(seen, integer)
            fields[name] = {
                "interval": [low, high],
                "all": numeric_histogram(seen, edges),
                "satisfying": numeric_histogram(self.satisfying_values.get(name, []), edges),
            }
        return {
            "sensor": self.sensor,
            "categories": None if self.categories is None else list(self.categories),
            "min_count": self.min_count,
            "objects": self.objects,
            "satisfying": self.satisfying,
            "frames_met": self.frames_met,
            "fields": fields,
        }


def _blocks(axes: Any) -> list[BlockTally] | None:
    """The target's blocks from ``coverage_axes.target``; None when absent or malformed."""
    blocks = axes.get("blocks") if isinstance(axes, dict) else None
    if not isinstance(blocks, list):
        return None
    out = []
    try:
        for b in blocks:
            cats = b["categories"]
            intervals = tuple((str(n), float(lo), float(hi)) for n, lo, hi in b["intervals"])
            out.append(
                BlockTally(str(b["sensor"]), None if cats is None else tuple(cats), intervals, int(b["min_count"]))
            )
    except (KeyError, TypeError, ValueError):
        return None
    return out


# --- the coverage of a dataset ---------------------------------------------------------------------
@dataclass
class _Tally:
    """What the frames and scenes read add up to."""

    params: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # scenario -> drawn parameters
    targets: list[dict[str, Any]] = field(default_factory=list)  # scene.json params.target records
    objects: Counter = field(default_factory=Counter)  # category -> records of the first camera
    visible: Counter = field(default_factory=Counter)
    visibility: list[float] = field(default_factory=list)
    range_m: list[float] = field(default_factory=list)
    frame_verdicts: Counter = field(default_factory=Counter)  # labels.json target.frame_satisfies

    def add_objects(self, records: list[dict[str, Any]]) -> None:
        for record in records:
            category = record.get("category")
            category = category if isinstance(category, str) else "?"
            self.objects[category] += 1
            self.visible[category] += record.get("visible") is True
            for name, values in (("visibility", self.visibility), ("range_m", self.range_m)):
                if (value := number(record.get(name))) is not None:
                    values.append(value)


def compute_coverage(root: str | Path) -> dict[str, Any]:
    """The coverage of the dataset at ``root`` (see the module docstring) as plain data.

    Raises:
        DatasetError: ``root`` is not a native dataset (no readable dataset.json).
    """
    dataset = NativeDataset(root)
    meta = dataset.meta
    axes = meta.get(AXES_KEY) if isinstance(meta.get(AXES_KEY), dict) else {}
    manifest = scan_manifest(dataset.root)
    unreadable = _Unreadable()
    tally = _Tally()
    scene_ids = sorted({r["scene_id"] for r in manifest.records})
    for scene_id in scene_ids:
        try:
            name, params, target = _scene_facts(_load(dataset.root, scene_file(scene_id)))
        except ValueError:  # PlainDataError included: unreadable, invalid JSON
            unreadable.add("scene.json", scene_file(scene_id))
            continue
        tally.params.setdefault(name, []).append(params)
        if target is not None:
            tally.targets.append(target)
    camera = _first_camera(meta)
    blocks = _blocks(axes.get("target"))
    for rec in manifest.records:
        rel = f"{frame_dir(rec['scene_id'], rec['frame'])}/labels.json"
        try:
            labels = _load(dataset.root, rel)
            objects = _frame_objects(labels)
        except ValueError:
            unreadable.add("labels.json", rel)
            continue
        tally.add_objects(objects.get(camera, []) if camera else [])
        for block in blocks or ():
            block.add_frame(objects)
        record = labels.get("target")
        verdict = record.get("frame_satisfies") if isinstance(record, dict) else None
        if isinstance(verdict, bool):
            tally.frame_verdicts["satisfying" if verdict else "not_satisfying"] += 1
    out: dict[str, Any] = {
        "format": COVERAGE_FORMAT,
        "format_version": COVERAGE_VERSION,
        "scenes": len(scene_ids),
        "scenes_expected": _config_int(meta, "num_scenes"),
        "frames": len(manifest.records),
        "unreadable": unreadable.as_json(len(manifest.problems)),
        "failed_scenes": _failed(dataset.root, set(scene_ids)),
        "scenarios": _scenarios(tally.params, axes.get("scenario")),
        "objects": _objects(tally, camera),
    }
    if blocks is not None or tally.targets:
        out["target"] = _target(axes.get("target"), blocks or [], tally, out["failed_scenes"].get("target", 0))
    return out


def _first_camera(meta: dict[str, Any]) -> str | None:
    """The dataset's first camera (dataset.json ``sensors`` lists cameras first): a target block's default
    sensor, and the one whose objects are counted."""
    sensors = meta.get("sensors")
    if not isinstance(sensors, dict):
        return None
    return next((name for name, s in sensors.items() if isinstance(s, dict) and s.get("type") == "camera"), None)


def _config_int(meta: dict[str, Any], key: str) -> int | None:
    config = meta.get("config")
    value = config.get(key) if isinstance(config, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _failed(root: Path, present: set[str]) -> dict[str, int]:
    """failures.jsonl's scenes that have no frame, counted by kind (error, worker_died, timeout, target)."""
    try:
        failures = read_failures(root)
    except (OSError, ValueError):  # unreadable or not UTF-8: no failures can be counted
        return {}
    kinds = Counter(str(f.get("kind")) for f in failures if isinstance(f, dict) and f.get("scene_id") not in present)
    return dict(sorted(kinds.items()))


def _scenarios(params: dict[str, list[dict[str, Any]]], axes: Any) -> dict[str, Any]:
    """Per scenario name: its scene count and a histogram of each drawn parameter."""
    out = {}
    for name, drawn in sorted(params.items()):
        table = axes.get("parameters") if isinstance(axes, dict) and axes.get("name") == name else None
        table = table if isinstance(table, dict) else {}
        keys = list(dict.fromkeys([*table, *(k for d in drawn for k in d)]))
        histograms = {key: _parameter(key, [d[key] for d in drawn if key in d], table.get(key)) for key in keys}
        out[name] = {"scenes": len(drawn), "parameters": histograms}
    return out


def _parameter(key: str, values: list[Any], axis: Any) -> dict[str, Any]:
    """A parameter's histogram: per value for a choice (the configured values listed), bins over its
    configured support, or, without an axis, over the values drawn."""
    axis = axis if isinstance(axis, dict) else {}
    unit = str(axis.get("unit", ""))
    if isinstance(axis.get("values"), list):
        return categorical_histogram(values, axis["values"], unit)
    numbers = [x for x in map(number, values) if x is not None]
    span = axis.get("range")
    if isinstance(span, list) and len(span) == 2 and all(number(s) is not None for s in span):
        return numeric_histogram(numbers, even_edges(float(span[0]), float(span[1])), unit, "config")
    if values and len(numbers) == len(values):
        return numeric_histogram(numbers, even_edges(min(numbers), max(numbers)), unit, "observed")
    return categorical_histogram(values, (), unit)


def _objects(tally: _Tally, camera: str | None) -> dict[str, Any]:
    """The first camera's object records per category (all, visible), visibility and range histograms."""
    categories = {c: {"records": n, "visible": tally.visible[c]} for c, n in sorted(tally.objects.items())}
    return {
        "sensor": camera,
        "categories": categories,
        "visibility": numeric_histogram(tally.visibility, even_edges(0.0, 1.0)),
        "range_m": numeric_histogram(tally.range_m, nice_edges(tally.range_m), "m"),
    }


def _target(axes: Any, blocks: list[BlockTally], tally: _Tally, exhausted: int) -> dict[str, Any]:
    """The target's blocks with their fields' histograms, and its acceptance figures: accepted scenes
    and the attempts they took (scene.json), scenes that exhausted max_attempts (failures.jsonl), the
    acceptance rate accepted / attempts (as run_stats.json computes it) and the frames' verdicts."""
    attempts = [int(t["attempts"]) for t in tally.targets if number(t.get("attempts")) is not None]
    estimates = [x for x in (number(t.get("acceptance_estimate")) for t in tally.targets) if x is not None]
    max_attempts = axes.get("max_attempts") if isinstance(axes, dict) else None
    total = sum(attempts) + (exhausted * max_attempts if isinstance(max_attempts, int) else 0)
    acceptance = {
        "accepted_scenes": len(attempts),
        "exhausted_scenes": exhausted,
        "attempts": total,
        "acceptance_rate": round(len(attempts) / total, 6) if total else None,
        "mean_acceptance_estimate": round(sum(estimates) / len(estimates), 6) if estimates else None,
        "attempts_per_scene": numeric_histogram(attempts, nice_edges(attempts, integer=True, floor=1)),
    }
    return {
        "frames": axes.get("frames") if isinstance(axes, dict) else None,
        "max_attempts": max_attempts,
        "blocks": [b.as_json() for b in blocks],
        "acceptance": acceptance,
        "frame_verdicts": {k: tally.frame_verdicts[k] for k in ("satisfying", "not_satisfying")},
    }


# --- writing ---------------------------------------------------------------------------------------
def sorted_data(value: Any) -> Any:
    """``value`` with every mapping's keys sorted (coverage.json is the same file whatever the order in
    which anything was read)."""
    if isinstance(value, dict):
        return {k: sorted_data(value[k]) for k in sorted(value)}
    if isinstance(value, list | tuple):
        return [sorted_data(v) for v in value]
    return value


@dataclass
class CoverageResult:
    """What :func:`write_coverage` wrote (``png`` None: not asked for; ``written`` False: an existing
    coverage.json over more frames was kept) and the coverage itself."""

    path: Path
    png: Path | None
    coverage: dict[str, Any]
    written: bool = True

    def line(self) -> str:
        """One line: scenes per scenario, frames, unreadable files, where it is."""
        c = self.coverage
        scenarios = ", ".join(f"{n} {s['scenes']}" for n, s in c["scenarios"].items()) or "no scenes"
        bad = c["unreadable"]
        skipped = bad["scene_json"] + bad["labels_json"]
        where = str(self.path) + (f" and {self.png.name}" if self.png else "")
        return f"coverage: {c['frames']} frames, scenes by scenario: {scenarios}; {skipped} unreadable file(s); {where}"


def write_coverage(root: str | Path, png: bool = True, keep_fuller: bool = False) -> CoverageResult:
    """Compute the dataset's coverage and write coverage.json (and coverage.png) at its root, atomically.

    ``keep_fuller``: leave an existing coverage.json that counts more frames in place (a shard that
    finishes while another shard, having seen more of the dataset, already wrote one).

    Raises:
        DatasetError: ``root`` is not a native dataset.
        OSError: the files cannot be written (e.g. a read-only dataset).
    """
    root = Path(root)
    coverage = compute_coverage(root)
    path, png_path = root / COVERAGE_FILE, (root / COVERAGE_PNG if png else None)
    if keep_fuller and _frames_of(path) > coverage["frames"]:
        return CoverageResult(path, png_path, coverage, written=False)
    atomic.write_bytes(path, atomic.encode_json(sorted_data(coverage), where=str(path)))
    if png_path is not None:
        from formats.coverage_plot import coverage_png  # matplotlib: only when a picture is asked for

        atomic.write_bytes(png_path, coverage_png(coverage))
    return CoverageResult(path, png_path, coverage)


def _frames_of(path: Path) -> int:
    """``frames`` of an existing coverage.json (-1 when there is none or it cannot be read)."""
    try:
        frames = plain_data.load_json(path).get("frames") if path.is_file() else None
    except (ValueError, AttributeError):
        return -1
    return frames if isinstance(frames, int) else -1

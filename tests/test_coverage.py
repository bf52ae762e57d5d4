"""Coverage reports (issue 13, item 3): coverage.json and coverage.png of a dataset, checked against the
scene.json and labels.json files read here independently: scenario parameter histograms, the target's
bounded fields over the matching objects, acceptance figures, shards + validate equal to one run,
damaged files skipped and counted."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from formats.coverage import BlockTally, compute_coverage
from formats.histograms import numeric_histogram
from generator.config import compose_config
from generator.run.loop import run_generation
from generator.run.targeting import Block
from synthsense.cli import main

FAST = ["renderer=fake", "camera.width=160", "camera.height=120", "output.progress=false", "output.preview=false"]
SCENARIO = [*FAST, "scenario=pedestrian_crossing"]
PED = ["target.objects.category=[pedestrian]", "target.objects.visibility=[0.05,0.5]", "target.objects.range_m=[0,25]"]
BOUNDS = {"visibility": (0.05, 0.5), "range_m": (0.0, 25.0)}
# the configured supports of pedestrian_crossing.yaml's uniform parameters
SUPPORTS = {
    "critical_time_s": (1.0, 2.0),
    "ego_speed_kmh": (10.0, 60.0),
    "ttc_s": (1.5, 4.0),
    "ego_reaction_s": (0.2, 0.6),
    "ego_deceleration_mps2": (6.0, 9.0),
}


def _generate(root: Path, *overrides: str):
    return run_generation(compose_config([*overrides, f"output_dir={root}"]))


def _read(path: Path) -> dict:
    return json.loads(path.read_text())


def _frames(root: Path) -> list[tuple[str, int]]:
    """The completed frames, read from manifest.jsonl."""
    lines = (root / "manifest.jsonl").read_text().splitlines()
    return sorted({(r["scene_id"], r["frame"]) for r in map(json.loads, lines)})


def _parameters(root: Path) -> list[dict]:
    """The drawn parameters of every scene with a completed frame, from its scene.json."""
    scenes = sorted({s for s, _ in _frames(root)})
    return [_read(root / "scenes" / s / "scene.json")["scenario"]["parameters"] for s in scenes]


def _objects(root: Path, sensor: str = "front") -> list[dict]:
    return [
        o for s, f in _frames(root) for o in _read(root / "scenes" / s / f"{f:06d}" / "labels.json")["objects"][sensor]
    ]


def _bin(edges: list[float], value: float) -> int:
    """The bin of ``value``: the last k with edges[k] <= value, the top edge in the last bin."""
    assert edges[0] <= value <= edges[-1]
    return min(max(k for k, e in enumerate(edges) if e <= value), len(edges) - 2)


def _check_numeric(hist: dict, values: list[float]) -> None:
    """The histogram counts exactly ``values``, each in the bin computed here."""
    assert hist["kind"] == "numeric" and hist["total"] == len(values)
    assert sum(hist["counts"]) + hist["below"] + hist["above"] == len(values)
    expected = Counter(_bin(hist["edges"], v) for v in values)
    assert hist["counts"] == [expected[k] for k in range(len(hist["edges"]) - 1)]


@pytest.fixture(scope="module")
def stills(tmp_path_factory) -> Path:
    """8 pedestrian_crossing stills, with coverage.png (output.preview=true)."""
    root = tmp_path_factory.mktemp("stills") / "ds"
    summary = _generate(root, *SCENARIO, "num_scenes=8", "seed=21", "output.preview=true", "output.preview_frames=1")
    assert summary.coverage == root / "coverage.json"
    return root


@pytest.fixture(scope="module")
def targeted(tmp_path_factory) -> Path:
    """4 pedestrian_crossing stills with a target, in one run."""
    root = tmp_path_factory.mktemp("targeted") / "ds"
    _generate(root, *SCENARIO, *PED, "num_scenes=4", "seed=5")
    return root


def test_scenario_parameter_histograms_count_the_drawn_values(stills):
    coverage = _read(stills / "coverage.json")
    drawn = _parameters(stills)
    assert len(drawn) >= 6 and coverage["scenes"] == len(drawn) and coverage["frames"] == len(_frames(stills))
    scenario = coverage["scenarios"]["pedestrian_crossing"]
    assert scenario["scenes"] == len(drawn) and set(coverage["scenarios"]) == {"pedestrian_crossing"}
    params = scenario["parameters"]
    assert set(params) == set(drawn[0])  # every parameter of the table, critical_time_s included
    sides = Counter(d["side"] for d in drawn)
    assert params["side"]["counts"] == {"near": sides["near"], "far": sides["far"]}  # a value never drawn: 0
    overlaps = Counter(str(d["impact_overlap_pct"]) for d in drawn)
    assert params["impact_overlap_pct"]["counts"] == {k: overlaps[k] for k in ("25", "50", "75")}
    speeds = Counter(d["pedestrian_speed_kmh"] for d in drawn)
    assert params["pedestrian_speed_kmh"]["counts"] == {"5": speeds[5.0], "8": speeds[8.0]}
    for name, (low, high) in SUPPORTS.items():
        hist = params[name]
        assert hist["edges"][0] == low and hist["edges"][-1] == high and len(hist["counts"]) == 10, name
        assert hist["bins_from"] == "config" and hist["below"] == hist["above"] == 0
        _check_numeric(hist, [d[name] for d in drawn])
    assert params["ego_speed_kmh"]["unit"] == "km/h"


def test_untargeted_objects_are_counted_per_category_with_visibility_and_range(stills):
    coverage = _read(stills / "coverage.json")
    objects = _objects(stills)
    section = coverage["objects"]
    assert section["sensor"] == "front" and "target" not in coverage
    by_category = Counter(o["category"] for o in objects)
    visible = Counter(o["category"] for o in objects if o["visible"])
    assert section["categories"] == {c: {"records": n, "visible": visible[c]} for c, n in by_category.items()}
    _check_numeric(section["visibility"], [o["visibility"] for o in objects])
    _check_numeric(section["range_m"], [o["range_m"] for o in objects])
    assert section["visibility"]["edges"][0] == 0.0 and section["visibility"]["edges"][-1] == 1.0


def test_coverage_png_is_a_valid_png_of_sensible_size(stills):
    path = stills / "coverage.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        width, height = image.size
        # 8 parameters + 3 object charts in a grid of 4 columns: 3 rows of small charts
        assert 600 <= width <= 2000 and 300 <= height <= 1500
        assert len(np.unique(np.asarray(image.convert("RGB")).reshape(-1, 3), axis=0)) > 5  # not a blank canvas


def test_targeted_run_histograms_the_bounded_fields_over_matching_objects(targeted):
    coverage = _read(targeted / "coverage.json")
    target = coverage["target"]
    (block,) = target["blocks"]
    assert block["sensor"] == "front" and block["categories"] == ["pedestrian"] and block["min_count"] == 1
    pedestrians = [o for o in _objects(targeted) if o["category"] == "pedestrian"]
    inside = [o for o in pedestrians if all(lo <= o[k] <= hi for k, (lo, hi) in BOUNDS.items())]
    assert block["objects"] == len(pedestrians) and block["satisfying"] == len(inside) and inside
    assert set(block["fields"]) == set(BOUNDS)
    for name, (low, high) in BOUNDS.items():
        hist = block["fields"][name]
        assert hist["interval"] == [low, high]
        _check_numeric(hist["all"], [o[name] for o in pedestrians])
        _check_numeric(hist["satisfying"], [o[name] for o in inside])
        assert hist["all"]["edges"] == hist["satisfying"]["edges"]  # one set of bins: comparable bars


def test_targeted_run_reports_its_acceptance_figures(targeted):
    coverage = _read(targeted / "coverage.json")
    frames = _frames(targeted)
    scenes = sorted({s for s, _ in frames})
    records = [_read(targeted / "scenes" / s / "scene.json")["params"]["target"] for s in scenes]
    acceptance = coverage["target"]["acceptance"]
    attempts = [r["attempts"] for r in records]
    assert acceptance["accepted_scenes"] == len(records) and acceptance["attempts"] == sum(attempts)
    assert acceptance["acceptance_rate"] == pytest.approx(len(records) / sum(attempts), abs=1e-6)
    stats = _read(targeted / "run_stats.json")["target"]
    assert acceptance["acceptance_rate"] == stats["acceptance_rate"]  # the run's own figure
    _check_numeric(acceptance["attempts_per_scene"], attempts)
    satisfied = sum(
        _read(targeted / "scenes" / s / f"{f:06d}" / "labels.json")["target"]["frame_satisfies"] for s, f in frames
    )
    assert coverage["target"]["frame_verdicts"] == {"satisfying": satisfied, "not_satisfying": len(frames) - satisfied}
    assert coverage["target"]["max_attempts"] == 50 and coverage["target"]["frames"] == "any"


def test_two_shards_then_validate_equal_one_run(targeted, tmp_path, capsys):
    root = tmp_path / "sharded"
    for shard in range(2):
        _generate(root, *SCENARIO, *PED, "num_scenes=4", "seed=5", "num_shards=2", f"shard_index={shard}")
    # a scene the scenario could not place fails in both runs alike (failures.jsonl): validate says so
    failed = (root / "failures.jsonl").read_text().splitlines() if (root / "failures.jsonl").exists() else []
    assert main(["validate", str(root)]) == (1 if failed else 0)
    out = capsys.readouterr().out
    assert f"coverage: {len(_frames(root))} frames" in out and str(root / "coverage.json") in out
    assert (root / "coverage.json").read_bytes() == (targeted / "coverage.json").read_bytes()
    assert sum(_read(root / "coverage.json")["failed_scenes"].values()) == len(failed)
    assert (root / "coverage.png").is_file()  # validate draws it whatever output.preview said
    (root / "coverage.json").unlink()
    assert main(["export", "coco", str(root)]) == 0  # an export recomputes it too
    assert "coverage:" in capsys.readouterr().out
    assert (root / "coverage.json").read_bytes() == (targeted / "coverage.json").read_bytes()


def test_damaged_files_are_skipped_and_counted(stills, tmp_path, capsys):
    root = tmp_path / "ds"
    shutil.copytree(stills, root)
    (root / "coverage.json").unlink()
    frames = _frames(root)
    (s1, f1), (s2, _) = frames[0], frames[-1]
    lost = Counter(o["category"] for o in _read(root / "scenes" / s1 / f"{f1:06d}" / "labels.json")["objects"]["front"])
    (root / "scenes" / s1 / f"{f1:06d}" / "labels.json").write_text('{"objects": ')  # cut short
    (root / "scenes" / s2 / "scene.json").write_text("[1, 2]")  # JSON, but not a scene
    assert main(["validate", str(root)]) == 1  # the damage is a problem for validate, not for coverage
    assert "coverage:" in capsys.readouterr().out
    coverage, original = _read(root / "coverage.json"), _read(stills / "coverage.json")
    assert coverage["unreadable"] == {
        "scene_json": 1,
        "labels_json": 1,
        "manifest_lines": 0,
        "files": sorted([f"scenes/{s1}/{f1:06d}/labels.json", f"scenes/{s2}/scene.json"]),
    }
    scenes = len({s for s, _ in frames})
    assert coverage["frames"] == len(frames) and coverage["scenarios"]["pedestrian_crossing"]["scenes"] == scenes - 1
    for category, counts in original["objects"]["categories"].items():
        left = coverage["objects"]["categories"].get(category, {"records": 0})["records"]
        assert left == counts["records"] - lost[category], category


def test_a_dataset_without_coverage_axes_is_binned_over_the_values_drawn(stills, tmp_path):
    root = tmp_path / "ds"
    shutil.copytree(stills, root)
    meta = _read(root / "dataset.json")
    del meta["coverage_axes"]  # as written before coverage existed
    (root / "dataset.json").write_text(json.dumps(meta))
    params = compute_coverage(root)["scenarios"]["pedestrian_crossing"]["parameters"]
    drawn = _parameters(root)
    speeds = [d["ego_speed_kmh"] for d in drawn]
    hist = params["ego_speed_kmh"]
    assert hist["bins_from"] == "observed" and hist["edges"][0] == min(speeds) and hist["edges"][-1] == max(speeds)
    _check_numeric(hist, speeds)
    assert params["side"]["counts"] == dict(Counter(d["side"] for d in drawn))  # names: counted per value


def test_plain_run_has_small_coverage_and_unchanged_dataset_json(tmp_path):
    root = tmp_path / "plain"
    _generate(root, *FAST, "num_scenes=2", "seed=2")
    coverage = _read(root / "coverage.json")
    assert coverage["scenarios"] == {"none": {"scenes": 2, "parameters": {}}} and "target" not in coverage
    assert sum(c["records"] for c in coverage["objects"]["categories"].values()) == len(_objects(root))
    assert "coverage_axes" not in _read(root / "dataset.json")  # untargeted runs without a scenario: as before
    assert not (root / "coverage.png").exists()  # output.preview=false: no pictures


def test_histogram_bins_and_block_matching_agree_with_the_run():
    hist = numeric_histogram([0.0, 0.1, 0.95, 1.0, -1.0, 2.0], [0.0, 0.5, 1.0])
    assert hist["counts"] == [2, 2] and hist["below"] == 1 and hist["above"] == 1  # the top edge: last bin
    records = [
        {"category": "pedestrian", "visibility": v, "range_m": r}
        for v in (0.0, 0.05, 0.3, 0.5, 0.7, True, None)
        for r in (0, 10, 25, 26)
    ] + [{"category": "car", "visibility": 0.3, "range_m": 5}, {"category": "pedestrian"}]
    intervals = (("visibility", 0.05, 0.5), ("range_m", 0.0, 25.0))
    run = Block("front", ("pedestrian",), intervals)
    mine = BlockTally("front", ("pedestrian",), intervals, 1)
    mine.add_frame({"front": records})
    assert mine.satisfying == run.count(records) == 9 and mine.frames_met == 1

"""Worker processes (``workers=N``), retries, failures.jsonl, timeouts, recycling and run_stats.json.

Faults come from the fake backend's declared injection (``SYNTHSENSE_FAKE_FAULTS``): an exception, a
SIGSEGV of the worker process, or a hang. Datasets are compared file by file (SHA-256) with a clean
in-process run of the same config.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import generate

from formats.failures import read_failures
from formats.native import read_manifest

FAKE = ["renderer=fake", "num_scenes=6", "seed=21", "scene.sequence.num_frames=2", "output.preview=false"]
EXE = Path(sys.executable).with_name("synthsense")


def digests(root: Path) -> dict[str, str]:
    """SHA-256 of every data file (scenes/** and the manifest), plus dataset.json less its output_dir."""
    files = [*sorted(root.glob("scenes/**/*")), root / "manifest.jsonl"]
    out = {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files if p.is_file()}
    meta = json.loads((root / "dataset.json").read_text())
    assert meta["config"].pop("output_dir") == str(root)
    out["dataset.json"] = json.dumps(meta, sort_keys=True)
    return out


def cli(root: Path, *overrides: str, faults: str = "", fault_dir: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "SYNTHSENSE_FAKE_FAULTS": faults}
    if fault_dir is not None:
        env["SYNTHSENSE_FAKE_FAULT_DIR"] = str(fault_dir)
    args = [str(EXE), "generate", *overrides, f"output_dir={root}", "output.progress=false"]
    args += ["camera.width=96", "camera.height=72"]
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("clean") / "ds"
    result = cli(root, *FAKE)
    assert result.returncode == 0, result.stderr
    return root


def test_two_workers_equal_one_process(clean, tmp_path):
    root = tmp_path / "w2"
    result = cli(root, *FAKE, "workers=2")
    assert result.returncode == 0, result.stderr
    assert digests(root) == digests(clean)
    stats = json.loads((root / "run_stats.json").read_text())
    assert stats["frames_written"] == 12 and len(stats["workers"]) == 2
    assert sum(w["frames"] for w in stats["workers"]) == 12
    assert all(w["startup_s"] > 0 and w["rss_mb_peak"] > 0 for w in stats["workers"])


def test_crash_and_hang_are_retried_and_the_dataset_is_complete(clean, tmp_path):
    root = tmp_path / "faults"
    result = cli(
        root, *FAKE, "workers=2", "scene_timeout_s=3", faults="1:segfault_once,4:hang_once", fault_dir=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert digests(root) == digests(clean)
    assert not (root / "failures.jsonl").exists()
    ended = [w["ended"] for w in json.loads((root / "run_stats.json").read_text())["workers"]]
    assert "died: signal SIGSEGV" in ended and "timeout" in ended  # both workers were replaced
    assert "retried attempts: 2" in result.stdout


def test_scene_that_always_fails_is_recorded_and_the_rest_complete(clean, tmp_path):
    root = tmp_path / "failing"
    result = cli(root, *FAKE, "workers=2", "retries=1", faults="3:raise")
    assert result.returncode != 0
    assert "FAILED scenes: 1" in result.stdout and "000003" in result.stdout
    (failure,) = read_failures(root)
    assert failure["scene_index"] == 3 and failure["root_seed"] == 21 and failure["attempts"] == 2
    assert failure["kind"] == "error" and "InjectedFault" in failure["error"] and "Traceback" in failure["detail"]
    done = {(r["scene_id"], r["frame"]) for r in read_manifest(root)}
    assert done == {(f"{i:06d}", f) for i in (0, 1, 2, 4, 5) for f in (0, 1)}
    # the same command once the cause is gone renders only scene 3, and the failure is resolved
    rerun = cli(root, *FAKE, "workers=2", "retries=1")
    assert rerun.returncode == 0, rerun.stderr
    assert "frames written: 2  skipped (already done): 10" in rerun.stdout
    assert not (root / "failures.jsonl").exists()
    assert digests(root) == digests(clean)


def test_in_process_failure_is_isolated_too(clean, tmp_path):
    root = tmp_path / "inproc"
    result = cli(root, *FAKE, "retries=0", faults="0:raise")  # the first scene: dry run samples, does not render
    assert result.returncode != 0
    assert [f["scene_id"] for f in read_failures(root)] == ["000000"]
    assert len(read_manifest(root)) == 10


def test_recycled_workers_give_the_same_dataset(clean, tmp_path):
    root = tmp_path / "recycled"
    result = cli(root, *FAKE, "workers=1", "recycle_scenes=2")
    assert result.returncode == 0, result.stderr
    assert digests(root) == digests(clean)
    workers = json.loads((root / "run_stats.json").read_text())["workers"]
    assert len(workers) == 3 and [w["scenes"] for w in workers] == [2, 2, 2]
    assert [w["ended"] for w in workers] == ["recycled", "recycled", "recycled"]


def test_bad_catalog_with_workers_is_a_one_line_error_and_writes_nothing(tmp_path):
    catalog = tmp_path / "catalog.yaml"
    (tmp_path / "bad.obj").write_text("this is not a mesh\n")
    catalog.write_text("assets:\n  - {name: bad, file: bad.obj, category: box}\n")
    root = tmp_path / "ds"
    result = cli(root, "scene=tabletop", "renderer=fake", "workers=2", f"scene.catalog={catalog}")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "bad.obj" in result.stderr
    assert not root.exists()


@pytest.mark.parametrize("override", ["workers=0", "retries=-1", "scene_timeout_s=-2", "recycle_scenes=-1"])
def test_bad_execution_settings(override, capsys):
    from synthsense.cli import main

    assert main(["generate", "renderer=fake", override]) == 2
    assert override.split("=")[0] in capsys.readouterr().err


@pytest.mark.gl
def test_pyrender_two_workers_equal_one(tmp_path):
    run = ["num_scenes=4", "seed=3", "scene.sequence.num_frames=2", "output.preview=false", "camera.width=128"]
    run += ["camera.height=96"]
    one, two = tmp_path / "one", tmp_path / "two"
    generate(one, *run)
    generate(two, *run, "workers=2")
    assert digests(two) == digests(one)  # RGB PNGs included: pyrender on llvmpipe is deterministic


def _catalog(folder: Path, broken_bytes: bytes | None) -> Path:
    """A tabletop catalog adding two mugs; 'broken' gets ``broken_bytes`` (or a valid mesh)."""
    import trimesh

    good = trimesh.creation.box(extents=(0.08, 0.08, 0.1))
    good.export(folder / "good.obj")
    if broken_bytes is None:
        good.export(folder / "broken.obj")
    else:
        (folder / "broken.obj").write_bytes(broken_bytes)
    catalog = folder / "catalog.yaml"
    catalog.write_text(
        "assets:\n"
        "  - {name: good, file: good.obj, category: mug}\n"
        "  - {name: broken, file: broken.obj, category: mug}\n"
    )
    return catalog


def test_corrupt_asset_fails_only_the_scenes_that_draw_it(tmp_path):
    from generator.config import compose_config
    from generator.run.resources import load_user_assets
    from generator.world.sampling import sample_scene

    # which scenes draw 'broken' (sampling is pure: it decides before reading the mesh)
    valid = tmp_path / "valid"
    valid.mkdir()
    run = ["scene=tabletop", "renderer=fake", "num_scenes=6", "output.preview=false", "preload_assets=false"]
    for seed in range(30):
        cfg = compose_config([*run, f"seed={seed}", f"scene.catalog={_catalog(valid, None)}"])
        users = load_user_assets(cfg)
        draws = [any(e.asset.name == "broken" for e in sample_scene(cfg, i, users).entities) for i in range(6)]
        if not draws[0] and 0 < sum(draws) < 5:
            break
    else:
        pytest.fail("no seed in 0..29 draws the broken mug in some scenes but not in scene 0")
    broken = tmp_path / "corrupt"
    broken.mkdir()
    catalog = _catalog(broken, b"v 0 0 0\nf 1 2 9\n\x00\xff garbage")
    root = tmp_path / "ds"
    result = cli(root, *run, f"seed={seed}", f"scene.catalog={catalog}", "workers=2", "retries=1")
    assert result.returncode == 1, result.stderr
    failed = {f["scene_index"]: f for f in read_failures(root)}
    assert sorted(failed) == [i for i in range(6) if draws[i]]
    assert all("broken.obj" in f["error"] and f["attempts"] == 2 for f in failed.values())
    assert {r["scene_id"] for r in read_manifest(root)} == {f"{i:06d}" for i in range(6) if not draws[i]}
    assert f"FAILED scenes: {len(failed)}" in result.stdout


def test_validate_reports_open_failures(tmp_path, capsys):
    from formats.validate import validate_command

    root = tmp_path / "ds"
    assert cli(root, *FAKE, "retries=0", faults="2:raise").returncode == 1
    assert validate_command(str(root)) == 1
    out = capsys.readouterr().out
    assert "000002: failed in a run (failures.jsonl): InjectedFault" in out

"""Hardening of the dataset (issue 12): damage after the fact is found by checksums and sizes, named by
`validate`, redone by a resume and refused by exports; malformed manifest lines are named by line number
and redone; a foreign folder, another config's dataset or a run already holding the folder is refused
before any scene is sampled, writing nothing; smaller faults (ENOSPC names its path, errors on stderr,
no preview named when none was written, the duplicate-shard message).

One small fake-renderer dataset is generated per module; each test damages a copy of it.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
from pathlib import Path

import pytest
from conftest import generate
from test_workers import digests

from formats import atomic
from formats.locks import lock_name, output_lock
from formats.native import CHECKSUM, MANIFEST_FILE, read_manifest
from generator.errors import ConfigError
from synthsense.cli import main

RUN = [
    "renderer=fake",
    "num_scenes=3",
    "seed=3",
    "scene.sequence.num_frames=2",
    "camera.width=64",
    "camera.height=48",
    "output.preview=false",
]
FRAMES = 6
DAMAGED = "scenes/000001/000000/front.rgb.png"


@pytest.fixture(scope="module")
def original(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("original") / "ds"
    generate(root, *RUN)
    return root


@pytest.fixture
def copy(original, tmp_path) -> Path:
    """A copy of the dataset whose dataset.json names the copy's own output_dir (as a run there writes it)."""
    root = tmp_path / "ds"
    shutil.copytree(original, root)
    meta = root / "dataset.json"
    meta.write_text(meta.read_text().replace(str(original), str(root)))
    return root


def _resume(root: Path):
    """Rerun the same config into ``root``; returns the RunSummary."""
    return generate(root, *RUN)


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _garble(path: Path) -> None:
    """Change some bytes in the middle of a file, keeping its size."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 8] = bytes(255 - b for b in data[middle : middle + 8])
    path.write_bytes(bytes(data))


def _damage(root: Path, how: str) -> None:
    path = root / DAMAGED
    if how == "truncated":
        path.write_bytes(path.read_bytes()[:50])
    elif how == "garbled":
        _garble(path)
    else:
        path.unlink()


# ---------------------------------------------------------------------------------------------- manifest


def test_manifest_records_size_and_checksum_of_every_file_and_scene_json(original):
    for rec in read_manifest(original):
        scene_json = f"scenes/{rec['scene_id']}/scene.json"
        assert set(rec["bytes"]) == set(rec[CHECKSUM]) == {rec["labels"], *rec["files"].values(), scene_json}
        for rel, size in rec["bytes"].items():
            assert (original / rel).stat().st_size == size
    assert not list(original.glob(".synthsense*.lock"))  # the run removed its lock file


# ------------------------------------------------------------------------------------------- item 5: exports


@pytest.mark.parametrize("fmt", ["coco", "yolo"])
@pytest.mark.parametrize("how", ["truncated", "garbled", "deleted"])
def test_export_refuses_a_damaged_frame(copy, capsys, fmt, how):
    _damage(copy, how)
    code, out, err = _cli(capsys, "export", fmt, str(copy))
    assert code == 2 and not out
    assert len(err.strip().splitlines()) == 1
    assert "frame 000001/000000 is damaged" in err and DAMAGED in err
    assert "synthsense validate" in err and "--skip-damaged" in err
    assert not (copy / "exports").exists()  # refused before anything was written


def test_export_skip_damaged_exports_the_rest_and_says_how_many(copy, capsys):
    _damage(copy, "deleted")
    code, out, err = _cli(capsys, "export", "yolo", str(copy), "--skip-damaged")
    assert code == 0 and "wrote" in out
    assert "skipped 1 damaged frame(s)" in err and "000001/000000" in err
    assert len(list((copy / "exports/yolo/images").rglob("*.png"))) == FRAMES - 1
    # tracking formats number a sequence's frames 0..N-1: the damaged frame's sequence is left out whole
    # and the message counts the frames left out with it
    code, _, err = _cli(capsys, "export", "mot", str(copy), "--skip-damaged")
    assert code == 0 and "skipped 2 frame(s): 1 damaged, 1 more of the same sequence" in err
    assert sorted(p.name for p in (copy / "exports/mot").iterdir()) == ["synthsense-000000", "synthsense-000002"]
    code, _, err = _cli(capsys, "export", "kitti_tracking", str(copy), "--skip-damaged")
    assert code == 0 and "skipped 2 frame(s): 1 damaged, 1 more of the same sequence" in err


def test_export_result_lists_the_frames_left_out_with_a_damaged_sequence(copy):
    from formats.exporters import export

    _damage(copy, "deleted")
    result = export("mot", copy, skip_damaged=True)
    assert [key for key, _ in result.skipped] == [("000001", 0)] and result.with_sequence == [("000001", 1)]
    assert result.left_out()[-1] == "frame 000001/000001 left out with its damaged sequence"
    assert export("coco", copy, skip_damaged=True).with_sequence == []  # COCO keeps the sequence's other frames


def test_export_refuses_a_malformed_manifest_line_and_skip_damaged_counts_it(copy, capsys):
    manifest = copy / MANIFEST_FILE
    lines = manifest.read_text().splitlines(keepends=True)
    manifest.write_text("".join([*lines[:2], "{}\n", *lines[3:]]))  # frame 000001/000000's line replaced
    code, _, err = _cli(capsys, "export", "coco", str(copy))
    assert code == 2 and "manifest.jsonl line 3: " in err and not (copy / "exports").exists()
    code, _, err = _cli(capsys, "export", "coco", str(copy), "--skip-damaged")
    assert code == 0 and "skipped 0 damaged frame(s) and 1 malformed manifest line(s)" in err
    assert len(json.loads((copy / "exports/coco/annotations.json").read_text())["images"]) == FRAMES - 1


# ------------------------------------------------------------------------------------ item 6: validate, resume


def _record_hashing(monkeypatch) -> list[str]:
    """Paths (relative to the dataset root's parent) that ``formats.native`` hashes from now on."""
    import formats.native as native

    hashed: list[str] = []
    real = native.file_sums

    def recording(path):
        hashed.append("/".join(Path(path).parts[-4:]))
        return real(path)

    monkeypatch.setattr(native, "file_sums", recording)
    return hashed


def test_resume_of_a_shard_checks_only_its_scenes_and_each_scene_json_once(copy, monkeypatch):
    hashed = _record_hashing(monkeypatch)
    summary = generate(copy, *RUN, "num_shards=2", "shard_index=0")  # scenes 0 and 2; scene 1 is shard 1's
    assert (summary.frames_written, summary.frames_skipped) == (0, 4)
    assert hashed and not [p for p in hashed if "scenes/000001/" in p]  # no file of shard 1's scene read
    scene_files = [p for p in hashed if p.endswith("scene.json")]
    assert sorted(scene_files) == ["ds/scenes/000000/scene.json", "ds/scenes/000002/scene.json"]  # once each
    assert len(hashed) == len(set(hashed))  # and no other file twice


def test_full_checks_hash_each_scene_json_once_and_in_bounded_chunks(copy, monkeypatch):
    import formats.native as native
    from formats.native import damaged_frames

    batches: list[int] = []

    class Pool(native.ThreadPoolExecutor):
        def map(self, fn, *iterables, **kwargs):
            items = list(iterables[0])
            batches.append(len(items))
            return super().map(fn, items, **kwargs)

    monkeypatch.setattr(native, "ThreadPoolExecutor", Pool)
    monkeypatch.setattr(native, "_CHECK_CHUNK", 4)
    _garble(copy / "scenes/000002/000001/labels.json")  # in the last chunk
    hashed = _record_hashing(monkeypatch)
    assert [key for key, _ in damaged_frames(copy)] == [("000002", 1)]
    assert batches == [4, 2]  # FRAMES records, at most 4 at a time in the pool
    assert sorted(p for p in hashed if p.endswith("scene.json")) == [f"ds/scenes/00000{i}/scene.json" for i in range(3)]
    hashed.clear()
    assert _check(copy) and sorted(p for p in hashed if p.endswith("scene.json")) == [
        f"ds/scenes/00000{i}/scene.json" for i in range(3)
    ]  # validate: the same


def _check(root: Path) -> list[str]:
    from formats.validate import validate_dataset

    return validate_dataset(root)


def test_a_run_hashes_the_user_catalog_once(tmp_path, monkeypatch):
    import generator.run.loop as run

    calls = []
    real = run.catalog_record
    monkeypatch.setattr(run, "catalog_record", lambda assets: calls.append(assets) or real(assets))
    generate(tmp_path / "ds", *RUN[:2], "num_scenes=1")
    assert len(calls) == 1


def test_deleted_scene_json_is_named_and_restored(original, copy, capsys):
    (copy / "scenes/000001/scene.json").unlink()
    code, out, _ = _cli(capsys, "validate", str(copy))
    assert code == 1 and "000001/000000: missing file scenes/000001/scene.json" in out
    summary = _resume(copy)
    assert (summary.frames_written, summary.frames_skipped) == (2, 4)  # the scene's frames are redone
    assert digests(copy) == digests(original)


@pytest.mark.parametrize("line", ['{"scene_id": "0000', "{}", "[1, 2]", "null"])
def test_malformed_manifest_line_is_named_and_redone(original, copy, capsys, line):
    manifest = copy / MANIFEST_FILE
    lines = manifest.read_text().splitlines(keepends=True)
    lines[2] = line + "\n"  # in the middle
    manifest.write_text("".join(lines))
    code, out, _ = _cli(capsys, "validate", str(copy))
    assert code == 1 and f"{MANIFEST_FILE} line 3: " in out
    assert f"{FRAMES - 1} frames checked, 1 problem(s)" in out
    summary = _resume(copy)
    assert summary.frames_written == 1
    assert manifest.read_text() == (original / MANIFEST_FILE).read_text()  # the bad line gone, the frame back
    assert _cli(capsys, "validate", str(copy))[0] == 0


def test_dataset_json_not_an_object_is_one_line(copy, capsys):
    (copy / "dataset.json").write_text("[]")
    code, out, err = _cli(capsys, "validate", str(copy))
    assert code == 2 and not out and len(err.strip().splitlines()) == 1 and "dataset.json" in err
    code, _, err = _cli(capsys, "generate", *RUN, f"output_dir={copy}", "output.progress=false")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "dataset.json" in err


@pytest.mark.parametrize("rel", ["scenes/000001/000000/labels.json", DAMAGED, "scenes/000001/scene.json"])
def test_same_size_damage_is_found_by_checksum_and_redone(original, copy, capsys, rel):
    _garble(copy / rel)
    code, out, _ = _cli(capsys, "validate", str(copy))
    assert code == 1 and f"{rel} does not match its {CHECKSUM} in the manifest" in out
    summary = _resume(copy)
    assert summary.frames_written == (2 if rel.endswith("scene.json") else 1)
    assert digests(copy) == digests(original)


def test_deeply_nested_labels_is_one_problem_and_redone(original, copy, capsys):
    labels = copy / "scenes/000001/000000/labels.json"
    labels.write_text("[" * 100_000 + "]" * 100_000)
    code, out, err = _cli(capsys, "validate", str(copy))
    assert code == 1 and "unreadable labels.json" in out and "nested too deeply" in out and not err
    assert _resume(copy).frames_written == 1
    assert digests(copy) == digests(original)


def test_manifest_without_checksums_is_checked_by_size(copy, capsys):
    """An older manifest (sizes of the frame files, no checksums, no scene.json) still validates and resumes,
    checking what it records."""
    manifest = copy / MANIFEST_FILE
    old = []
    for rec in read_manifest(copy):
        del rec[CHECKSUM]
        rec["bytes"].pop(f"scenes/{rec['scene_id']}/scene.json")
        old.append(json.dumps(rec) + "\n")
    manifest.write_text("".join(old))
    assert _cli(capsys, "validate", str(copy))[0] == 0
    _garble(copy / "scenes/000001/000000/front.depth.npy")  # same size, still loads: an old manifest cannot tell
    assert _cli(capsys, "validate", str(copy))[0] == 0
    (copy / "scenes/000002/000001/labels.json").unlink()  # but a missing file it can
    code, out, _ = _cli(capsys, "validate", str(copy))
    assert code == 1 and "missing file scenes/000002/000001/labels.json" in out
    assert _resume(copy).frames_written == 1


# -------------------------------------------------------------------------- items 7, 8, 10: the output folder


@pytest.fixture
def no_sampling(monkeypatch):
    """Make sampling a scene fail the test: the output-folder checks must come first."""

    def sample_scene(*args, **kwargs):
        raise AssertionError("a scene was sampled before the output folder was checked")

    monkeypatch.setattr("generator.run.loop.sample_scene", sample_scene)


def _listing(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_size for p in root.rglob("*") if p.is_file()}


def _refused(root: Path, capsys, *extra: str) -> str:
    code, _, err = _cli(capsys, "generate", *RUN, *extra, f"output_dir={root}", "output.progress=false")
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    return err


def test_foreign_folder_is_refused_before_sampling_and_untouched(tmp_path, capsys, no_sampling):
    root = tmp_path / "foreign"
    (root / "scenes/000000").mkdir(parents=True)
    (root / "scenes/000000/notes.txt").write_text("my notes\n")
    (root / MANIFEST_FILE).write_text('{"scene_id": "000000", "frame": 0, "files": {}}\n')
    before = _listing(root)
    assert "scenes/000000/notes.txt is not a file of a synthsense dataset" in _refused(root, capsys)
    (root / "scenes/000000/notes.txt").unlink()
    before.pop("scenes/000000/notes.txt")
    assert "manifest.jsonl: the line of 000000/000000 records no file sizes" in _refused(root, capsys)
    assert _listing(root) == before and sorted(p.name for p in root.iterdir()) == [MANIFEST_FILE, "scenes"]


def test_another_shards_dataset_in_the_making_is_accepted(original, copy):
    """What a shard writes before its dataset.json lands (frames, manifest lines, its lock file) is no
    foreign content: a shard that finds it (no dataset.json yet) joins in."""
    (copy / "dataset.json").unlink()
    (copy / "run_stats.json").unlink()
    (copy / "coverage.json").unlink()  # like run_stats.json, written only after dataset.json
    (copy / lock_name(1, 2)).write_text("pid 1 on host elsewhere\n")  # another shard's, not held
    summary = generate(copy, *RUN, "num_shards=2", "shard_index=0")
    assert summary.frames_written == 0 and summary.frames_skipped == 4
    assert digests(copy) == digests(original)


def test_other_config_and_file_are_refused_before_sampling(copy, tmp_path, capsys, no_sampling):
    before = _listing(copy)
    assert "different config" in _refused(copy, capsys, "seed=4")
    assert _listing(copy) == before
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    assert "exists and is not a folder" in _refused(a_file, capsys)


def test_second_run_of_the_same_shard_stops_at_once_naming_the_holder(copy, capsys, no_sampling):
    before = _listing(copy)
    with output_lock(copy):  # a run of this folder is in progress (this process holds its lock)
        err = _refused(copy, capsys)
    assert f"pid {os.getpid()} on host {socket.gethostname()}" in err and "in use by another run" in err
    assert _listing(copy) == before  # the lock file went with its holder; nothing else was written
    with output_lock(copy, 1, 2):
        err = _refused(copy, capsys, "num_shards=2", "shard_index=1")
    assert "another run of shard 1 of 2" in err


def test_shards_lock_separately_and_a_dead_holders_file_is_harmless(tmp_path):
    root = tmp_path / "ds"
    with output_lock(root, 0, 2), output_lock(root, 1, 2):  # shards of one sweep run side by side
        assert sorted(p.name for p in root.iterdir()) == [lock_name(0, 2), lock_name(1, 2)]
    assert not root.exists()  # created for the locks, left empty: removed again
    root.mkdir()
    (root / lock_name(0, 1)).write_text("pid 999999 on host gone\n")  # a SIGKILLed run's file, unlocked
    with output_lock(root) as path:
        assert path.read_text() == f"pid {os.getpid()} on host {socket.gethostname()}\n"
    assert not path.exists()


def test_lock_names_are_the_writers(tmp_path):
    import formats.native as native

    assert lock_name is native.lock_name  # one naming rule, where the writer recognizes the files
    assert native.is_lock_file(lock_name(0, 1)) and native.is_lock_file(lock_name(3, 8))


def test_a_folder_removed_between_mkdir_and_lock_is_made_again(tmp_path, monkeypatch):
    import formats.locks as locks

    root = tmp_path / "ds"
    real_open, opened = locks.os.open, []

    def open_after_removal(path, *args):
        if not opened:  # another shard's run created the folder, failed and removed it just now
            opened.append(path)
            os.rmdir(root)
        return real_open(path, *args)

    monkeypatch.setattr(locks.os, "open", open_after_removal)
    with output_lock(root, 0, 2) as path:
        assert path.exists() and opened
    assert not root.exists()  # made (again) by this run and left empty: removed


@pytest.mark.parametrize("race", ["written into", "removed"])
def test_a_folder_changed_while_it_is_removed_is_no_error(tmp_path, monkeypatch, race):
    root = tmp_path / "ds"
    real_rmdir = Path.rmdir

    def rmdir(self):
        if self == root:  # another shard's run took the folder over just now (or removed it)
            (root / "scenes").mkdir() if race == "written into" else real_rmdir(self)
        return real_rmdir(self)

    monkeypatch.setattr(Path, "rmdir", rmdir)
    with output_lock(root):
        pass
    assert root.exists() == (race == "written into")


def test_a_failed_first_scene_leaves_no_folder(tmp_path, monkeypatch):
    def sample_scene(*args, **kwargs):
        raise ConfigError("scene: cannot place 1000 objects")

    monkeypatch.setattr("generator.run.loop.sample_scene", sample_scene)
    root = tmp_path / "new"
    with pytest.raises(ConfigError):
        generate(root, *RUN)
    assert not root.exists()


# ---------------------------------------------------------------------------------------------- item 11


def test_out_of_space_names_the_path_and_leaves_no_temporary(tmp_path, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full)
    target = tmp_path / "sub" / "file.bin"
    with pytest.raises(OSError) as info:
        atomic.write_bytes(target, b"data")
    assert info.value.errno == errno.ENOSPC and str(target) in str(info.value)
    assert list((tmp_path / "sub").iterdir()) == []


@pytest.mark.parametrize("call", ["write", "fsync"])
def test_out_of_space_appending_a_line_names_the_path(tmp_path, monkeypatch, call):
    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    target = tmp_path / MANIFEST_FILE
    target.write_text("{}\n")
    if call == "fsync":
        monkeypatch.setattr(atomic.os, "fsync", full)
    else:
        real_open = open

        def opening(path, mode="r", *args, **kwargs):
            fh = real_open(path, mode, *args, **kwargs)
            if "a" in mode:
                fh.write = full
            return fh

        monkeypatch.setattr("builtins.open", opening)
    with pytest.raises(OSError) as info:
        atomic.append_line(target, "{}")
    assert info.value.errno == errno.ENOSPC and str(target) in str(info.value)


def test_out_of_space_in_a_run_is_one_line_naming_the_file(tmp_path, capsys, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full)
    root = tmp_path / "ds"
    err = _refused(root, capsys)
    assert "No space left on device" in err and str(root / "dataset.json") in err


def test_no_preview_named_when_every_scene_failed(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTHSENSE_FAKE_FAULTS", "0:raise,1:raise,2:raise")
    root = tmp_path / "ds"
    summary = generate(root, *RUN[:-1], "retries=0", "output.preview=true")
    assert len(summary.failures) == 3 and summary.preview is None
    assert not any(line.startswith("preview") for line in summary.lines())
    assert not (root / "preview.png").exists()


def test_duplicate_sweep_jobs_message_reads_sensibly(tmp_path):
    from generator.run.launch import plan_jobs

    with pytest.raises(ConfigError) as info:
        plan_jobs(["renderer=fake", "seed=1,1", f"output_dir={tmp_path / 'ds'}"], tmp_path)
    message = str(info.value)
    assert "sweep jobs #0 and #1 both write" in message and "((" not in message

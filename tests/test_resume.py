"""Resume: a run killed with SIGKILL at arbitrary moments, then rerun, gives the dataset of an
uninterrupted run (no duplicate manifest line, no partial or temporary file); frames whose files were
damaged after the fact are redone."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from test_workers import EXE, digests

from formats.native import read_manifest

RUN = ["renderer=fake", "num_scenes=8", "seed=5", "scene.sequence.num_frames=3", "output.preview=false"]
RUN += ["camera.width=96", "camera.height=72", "output.progress=false"]
FRAMES = 24


def _command(root: Path, *extra: str) -> list[str]:
    return [str(EXE), "generate", *RUN, *extra, f"output_dir={root}"]


def _manifest_lines(root: Path) -> int:
    try:
        return (root / "manifest.jsonl").read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _kill_when(root: Path, lines: int, *extra: str) -> None:
    """Start the run and SIGKILL its main process once the manifest has ``lines`` lines (polled every
    millisecond, so the kill lands wherever the run happens to be: mid-file, mid-frame, between)."""
    proc = subprocess.Popen(_command(root, *extra), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while _manifest_lines(root) < lines and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("whole") / "ds"
    subprocess.run(_command(root), check=True, capture_output=True, timeout=300)
    return root


@pytest.mark.parametrize("workers", [1, 2])
def test_sigkill_then_rerun_equals_uninterrupted(uninterrupted, tmp_path, workers):
    root = tmp_path / "ds"
    extra = (f"workers={workers}",)
    for lines in (1, 7, 13, 20):
        _kill_when(root, lines, *extra)
    time.sleep(0.5)  # workers die with their main process (PR_SET_PDEATHSIG); let the kernel reap them
    assert len(read_manifest(root)) < FRAMES  # the kills did interrupt the run
    result = subprocess.run(_command(root, *extra), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert digests(root) == digests(uninterrupted)
    lines = (root / "manifest.jsonl").read_text().splitlines()
    assert len(lines) == FRAMES and len(read_manifest(root)) == FRAMES  # one line per frame, none torn
    assert not [p for p in root.rglob("*") if p.name.endswith(".tmp")]


def test_damaged_frames_are_redone(uninterrupted, tmp_path):
    import shutil

    root = tmp_path / "ds"
    shutil.copytree(uninterrupted, root)
    dataset = (root / "dataset.json").read_text().replace(str(uninterrupted), str(root))
    (root / "dataset.json").write_text(dataset)  # the copy's own output_dir, as a run there writes it
    rgb = root / "scenes/000002/000001/front.rgb.png"
    rgb.write_bytes(rgb.read_bytes()[:100])  # truncated after the frame was recorded
    (root / "scenes/000005/000000/labels.json").unlink()
    result = subprocess.run(_command(root), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "frames written: 2  skipped (already done): 22" in result.stdout
    assert digests(root) == digests(uninterrupted)
    assert len((root / "manifest.jsonl").read_text().splitlines()) == FRAMES  # the redone lines replaced


def test_torn_manifest_line_is_dropped_and_never_glues_to_the_next(uninterrupted, tmp_path):
    import shutil

    root = tmp_path / "ds"
    shutil.copytree(uninterrupted, root)
    (root / "dataset.json").write_text((root / "dataset.json").read_text().replace(str(uninterrupted), str(root)))
    manifest = root / "manifest.jsonl"
    lines = manifest.read_text().splitlines(keepends=True)
    manifest.write_text("".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])  # the last line torn mid-way
    result = subprocess.run(_command(root), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "frames written: 1" in result.stdout
    assert manifest.read_text() == (uninterrupted / "manifest.jsonl").read_text()
    assert os.path.getsize(manifest) == os.path.getsize(uninterrupted / "manifest.jsonl")


def test_validate_names_a_truncated_file(uninterrupted, tmp_path, capsys):
    import shutil

    from formats.validate import validate_command

    root = tmp_path / "ds"
    shutil.copytree(uninterrupted, root)
    depth = root / "scenes/000001/000002/front.depth.npy"
    depth.write_bytes(depth.read_bytes() + b"\0")  # still loads as an array: only the size tells
    assert validate_command(str(root)) == 1
    assert "front.depth.npy is not the size it was written with" in capsys.readouterr().out


def test_ctrl_c_is_one_line_and_the_rerun_completes(uninterrupted, tmp_path):
    root = tmp_path / "ds"
    # a terminal's Ctrl-C: SIGINT to the whole process group, workers included (default handler, even if
    # the shell running the tests ignores it)
    proc = subprocess.Popen(
        _command(root, "workers=2"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while _manifest_lines(root) < 5 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.strip().splitlines() == ["synthsense generate: interrupted; rerun the same command to resume"]
    result = subprocess.run(_command(root, "workers=2"), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert digests(root) == digests(uninterrupted)

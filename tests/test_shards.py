"""Sharded runs: scenes split over independent runs writing into one dataset root give the same
dataset as one run, also when the shards run at the same time in separate processes."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import generate

from formats.native import read_manifest

pytestmark = pytest.mark.gl
RUN = [
    "num_scenes=5",
    "seed=13",
    "scene.sequence.num_frames=2",
    "camera.width=96",
    "camera.height=72",
    "output.preview=false",
]


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.glob("scenes/**/*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def single(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("single") / "ds"
    generate(root, *RUN)
    return root


def test_shards_one_after_another_equal_one_run(single, tmp_path):
    root = tmp_path / "sharded"
    for shard in range(3):
        generate(root, *RUN, "num_shards=3", f"shard_index={shard}")
    assert _digests(root) == _digests(single)
    assert len(read_manifest(root)) == 10


def test_concurrent_shard_processes_equal_one_run(single, tmp_path):
    root = tmp_path / "parallel"
    exe = Path(sys.executable).with_name("synthsense")
    procs = [
        subprocess.Popen(
            [
                str(exe),
                "generate",
                *RUN,
                "num_shards=2",
                f"shard_index={k}",
                f"output_dir={root}",
                "output.progress=false",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(2)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    assert _digests(root) == _digests(single)
    manifest_lines = (root / "manifest.jsonl").read_text().splitlines()
    assert len(manifest_lines) == 10  # one line per frame, none torn or doubled


def test_bad_shard_settings_are_config_errors(capsys):
    from synthsense.cli import main

    assert main(["generate", "num_shards=2", "shard_index=2", "renderer=fake"]) != 0
    assert "shard_index" in capsys.readouterr().err

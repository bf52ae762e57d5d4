"""Sequence runs with the fake renderer: resuming an interrupted sequence, the flow switch."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess

import pytest

from synthsense.cli import main

FAST = ["renderer=fake", "camera.width=64", "camera.height=48", "output.progress=false", "seed=4"]


def _digests(root):
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.glob("scenes/**/*"))
        if p.is_file() and p.name != "preview.gif"
    }


def test_interrupted_sequence_resumes_to_the_same_bytes(tmp_path):
    full, cut = tmp_path / "full", tmp_path / "cut"
    args = [*FAST, "num_scenes=2", "scene.sequence.num_frames=12"]
    assert main(["generate", *args, f"output_dir={full}"]) == 0
    assert main(["generate", *args, f"output_dir={cut}"]) == 0
    # simulate a crash in scene 1 after frame 4: its later frames never made it to the manifest, one
    # frame's files are half there, and a temporary file is left behind
    manifest = cut / "manifest.jsonl"
    lines = manifest.read_text().splitlines()
    keep = [ln for ln in lines if not (json.loads(ln)["scene_id"] == "000001" and json.loads(ln)["frame"] > 4)]
    manifest.write_text("\n".join(keep) + "\n" + lines[-1][:20])  # plus a torn last line
    (cut / "scenes/000001/000007/labels.json").unlink()
    dead = subprocess.Popen(["true"])
    dead.wait()  # a writer process that has ended: its temporary file is stray
    host = socket.gethostname().replace(".", "_")
    (cut / f"scenes/000001/000007/.front.rgb.png.{host}-{dead.pid}.abc.tmp").write_bytes(b"partial")
    # a live writer's temporary (this process) must survive the cleanup
    live = cut / f"scenes/000001/000003/.front.rgb.png.{host}-{os.getpid()}.xyz.tmp"
    live.write_bytes(b"in flight")
    assert main(["generate", *args, f"output_dir={cut}"]) == 0
    assert live.exists()
    live.unlink()
    assert _digests(cut) == _digests(full)
    assert not list(cut.rglob("*.tmp"))


def test_flow_switch(tmp_path):
    seq = tmp_path / "seq"
    assert (
        main(
            ["generate", *FAST, "num_scenes=1", "scene.sequence.num_frames=3", "output.flow=false", f"output_dir={seq}"]
        )
        == 0
    )
    assert not list(seq.rglob("*.flow.npy"))
    still = tmp_path / "still"
    assert main(["generate", *FAST, "num_scenes=1", "output.flow=true", f"output_dir={still}"]) == 0
    assert len(list(still.rglob("*.flow.npy"))) == 1
    default = tmp_path / "default"
    assert main(["generate", *FAST, "num_scenes=1", f"output_dir={default}"]) == 0
    assert not list(default.rglob("*.flow.npy"))  # stills get no flow unless asked


def test_resume_with_another_flow_setting_is_refused(tmp_path, capsys):
    root = tmp_path / "ds"
    assert main(["generate", *FAST, "num_scenes=1", "scene.sequence.num_frames=3", f"output_dir={root}"]) == 0
    capsys.readouterr()
    code = main(
        ["generate", *FAST, "num_scenes=2", "scene.sequence.num_frames=3", "output.flow=false", f"output_dir={root}"]
    )
    assert code != 0 and "different config" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["mot", "kitti_tracking"])
def test_export_of_an_incomplete_sequence_is_refused(tmp_path, capsys, fmt):
    root = tmp_path / "ds"
    assert main(["generate", *FAST, "num_scenes=1", "scene.sequence.num_frames=6", f"output_dir={root}"]) == 0
    manifest = root / "manifest.jsonl"
    manifest.write_text("\n".join(manifest.read_text().splitlines()[:4]) + "\n")  # frames 4, 5 unfinished
    capsys.readouterr()
    assert main(["export", fmt, str(root)]) != 0
    assert "incomplete" in capsys.readouterr().err

"""``synthsense generate -m`` through real Hydra launchers: sharded sweeps over joblib, submitit_local and a
local Ray head give the same dataset as one plain run; a bad value in any job stops the sweep before launch.

Every run goes through the installed console script in a subprocess, as a user would run it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from formats.native import read_manifest

EXE = Path(sys.executable).with_name("synthsense")
SMALL = ["num_scenes=5", "seed=13", "camera.width=96", "camera.height=72", "output.progress=false"]
FAKE = [*SMALL, "renderer=fake", "output.preview=false"]
SHARDS = ["num_shards=4", "shard_index=range(0,4)"]


def synthsense(cwd: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the console script in ``cwd``; output captured as text."""
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    return subprocess.run(
        [str(EXE), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.glob("scenes/**/*"))
        if p.is_file()
    }


def plain_run(tmp_path_factory, run: list[str]) -> Path:
    """One ordinary ``synthsense generate`` of ``run``, the reference the sweeps must reproduce."""
    cwd = tmp_path_factory.mktemp("plain")
    proc = synthsense(cwd, "generate", *run, "output_dir=ds")
    assert proc.returncode == 0, proc.stderr
    return cwd / "ds"


def assert_same_dataset(root: Path, reference: Path) -> None:
    assert digests(root), f"no scene files under {root}"
    assert digests(root) == digests(reference)
    assert read_manifest(root) == read_manifest(reference)
    # the last shard to finish finds the dataset whole and compacts the manifest into the same file
    assert (root / "manifest.jsonl").read_bytes() == (reference / "manifest.jsonl").read_bytes()


def sharded_multirun(tmp_path: Path, run: list[str], *launcher: str) -> Path:
    """The sweep of four shards into ``tmp_path/ds``, logs in ``tmp_path/sweep``; returns the dataset."""
    proc = synthsense(tmp_path, "generate", "-m", *launcher, *run, *SHARDS, "output_dir=ds", "hydra.sweep.dir=sweep")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "total frames written: 5" in proc.stdout
    assert (tmp_path / "sweep" / "multirun.yaml").is_file()  # Hydra's logs, beside the dataset, not in it
    assert not (tmp_path / "ds" / "sweep").exists()
    return tmp_path / "ds"


@pytest.fixture(scope="module")
def fake_reference(tmp_path_factory) -> Path:
    return plain_run(tmp_path_factory, FAKE)


def test_joblib_shards_equal_one_run(fake_reference, tmp_path):
    root = sharded_multirun(tmp_path, FAKE, "hydra/launcher=joblib", "hydra.launcher.n_jobs=2")
    assert_same_dataset(root, fake_reference)


def test_local_preset_with_worker_processes_in_each_job(fake_reference, tmp_path):
    # our joblib preset, found in the configs package; each loky job runs its shard on 2 worker processes
    # (spawned from a process whose start method is loky's own)
    root = sharded_multirun(tmp_path, [*FAKE, "workers=2"], "hydra/launcher=local", "hydra.launcher.n_jobs=2")
    assert_same_dataset(root, fake_reference)


def test_submitit_local_shards_equal_one_run(fake_reference, tmp_path):
    # each job is a subprocess submitted through submitit's local executor
    root = sharded_multirun(tmp_path, FAKE, "hydra/launcher=submitit_local", "hydra.launcher.timeout_min=5")
    assert_same_dataset(root, fake_reference)
    assert list((tmp_path / "sweep" / ".submitit").glob("*/*_result.pkl"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "ray start --head exited early"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"no Ray head on port {port} after {timeout} s")


@pytest.fixture(scope="module")
def ray_head() -> Iterator[str]:
    """A local Ray head with two CPUs; yields its address. Started with --block in a session of its own, so
    teardown stops exactly this head (SIGTERM makes it stop the processes it started) and nothing else."""
    pytest.importorskip("ray", reason="ray is not installed")
    port = _free_port()
    temp_dir = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # short: Ray's unix socket paths are length-limited
    cmd = [str(Path(sys.executable).with_name("ray")), "start", "--head", f"--port={port}", "--num-cpus=2"]
    cmd += ["--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={temp_dir}", "--block"]
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_for_port(port, proc)
        yield f"127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the head's own process group: only what this fixture started
            proc.wait()
        shutil.rmtree(temp_dir, ignore_errors=True)


def test_ray_shards_equal_one_run(fake_reference, ray_head, tmp_path):
    root = sharded_multirun(tmp_path, FAKE, "hydra/launcher=ray", f"hydra.launcher.ray.init.address={ray_head}")
    assert_same_dataset(root, fake_reference)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["seed=1,-1"], "seed"),
        (["num_shards=2", "shard_index=range(0,3)"], "shard_index"),
        (["hydra/launcher=nosuch"], "hydra/launcher"),
        (["seed=1,2"], "output_dir"),  # two different runs into one dataset
        (["num_shards=2", "shard_index=0,1,1"], "shard_index=1"),  # one shard twice: both would write it
    ],
)
def test_a_bad_job_stops_the_sweep_before_launch(tmp_path, args, named):
    proc = synthsense(tmp_path, "generate", "-m", *FAKE, "output_dir=ds", *args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("synthsense generate: error: "), proc.stderr
    assert named in lines[0]
    assert not (tmp_path / "ds").exists()
    assert not (tmp_path / "multirun").exists()  # nothing launched


def test_job_logs_may_not_land_in_the_dataset(tmp_path):
    proc = synthsense(tmp_path, "generate", "-m", *FAKE, "output_dir=.")
    assert proc.returncode == 2
    assert "hydra.sweep.dir" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_unreachable_ray_head_is_one_line(tmp_path):
    pytest.importorskip("ray", reason="ray is not installed")
    address = f"127.0.0.1:{_free_port()}"
    proc = synthsense(
        tmp_path,
        "generate",
        "-m",
        *FAKE,
        "output_dir=ds",
        "hydra/launcher=ray",
        f"hydra.launcher.ray.init.address={address}",
    )
    assert proc.returncode == 2
    assert "hydra.launcher.ray.init.address" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_a_failing_job_is_one_line_and_non_zero(tmp_path):
    # a catalog that does not exist passes the config checks and fails in the job, when it is read
    proc = synthsense(
        tmp_path, "generate", "-m", *FAKE, "output_dir=ds_${seed}", "scene.catalog=missing.yaml", "seed=1,2"
    )
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "2 of 2 sweep jobs failed" in lines[0], proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr


@pytest.mark.gl
def test_joblib_pyrender_shards_equal_one_run(tmp_path_factory, tmp_path):
    run = [*SMALL, "num_scenes=4", "output.preview=false"]
    reference = plain_run(tmp_path_factory, run)
    root = tmp_path / "ds"
    proc = synthsense(
        tmp_path, "generate", "-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", *run, *SHARDS, "output_dir=ds"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert_same_dataset(root, reference)
    assert list((tmp_path / "multirun").glob("*/*/multirun.yaml"))  # the default log folder, outside output_dir

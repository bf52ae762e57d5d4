"""Conditions through whole runs: the same data whatever the workers, and weather on every sensor of a
rig (camera frames, LiDAR weather points, radar) written and read back."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from test_workers import EXE, digests

from scenes.taxonomy import semantic_id

RIG = [
    "renderer=fake",
    "sensors=kitti_like",
    "sensors.cameras.0.width=124",
    "sensors.cameras.0.height=38",
    "sensors.lidars.0.preset=vlp16",
    "num_scenes=4",
    "seed=5",
    "scene.sequence.num_frames=2",
    "output.preview=false",
    "output.progress=false",
]


def run(root, *overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(EXE), "generate", *RIG, *overrides, f"output_dir={root}"], capture_output=True, text=True, timeout=600
    )


@pytest.mark.parametrize(("conditions", "extra"), [("snow", []), ("fog", ["conditions.visibility_m=40"])])
def test_weather_runs_are_the_same_with_two_workers(tmp_path, conditions, extra):
    one, two = tmp_path / "one", tmp_path / "two"
    assert run(one, f"conditions={conditions}", *extra).returncode == 0
    result = run(two, f"conditions={conditions}", *extra, "workers=2")
    assert result.returncode == 0, result.stderr
    assert digests(one) == digests(two)
    points = np.load(one / "scenes" / "000000" / "000000" / "velodyne.points.npy")
    weather = points["semantic_id"] == semantic_id("weather")
    assert weather.any() and not points["instance_id"][weather].any()
    labels = json.loads((one / "scenes" / "000000" / "000001" / "labels.json").read_text())
    assert labels["conditions"]["name"] == conditions

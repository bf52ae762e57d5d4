"""Whole rig frames: cameras + LiDAR + radar, end to end (sampling, rendering, ray casting, labels,
writing), for the kitti_like and nuscenes_like rigs on street sequences.

Prints and writes benchmarks/results/rig.json: seconds per frame and frames per second per rig, with the
stage split of one frame (camera renders, LiDAR sweeps, radar frames).

Usage: .venv/bin/python benchmarks/bench_rig.py [--frames 10]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from generator.config import compose_config
from generator.run.loop import run_generation
from generator.run.resources import PASSES
from generator.world.sampling import sample_scene
from renderers.pyrender import create_backend
from renderers.raycast import cast_lidar, detect_radar

RESULTS = Path(__file__).resolve().parent / "results"


def stage_split(cfg) -> dict:
    """Mean ms per frame of each sensor kind over the frames of one sequence (after a warm-up frame)."""
    scene = sample_scene(cfg, 0)
    cams, lidars, radars = [], [], []
    with create_backend(PASSES) as backend:
        for frame in range(scene.num_frames):
            t = scene.frame_time(frame)
            t0 = time.perf_counter()
            for camera in scene.rig.cameras:
                backend.render(scene, t, camera.name)
            t1 = time.perf_counter()
            for lidar in scene.rig.lidars:
                cast_lidar(scene, lidar, t)
            t2 = time.perf_counter()
            for radar in scene.rig.radars:
                detect_radar(scene, radar, t)
            t3 = time.perf_counter()
            if frame:
                cams.append(t1 - t0), lidars.append(t2 - t1), radars.append(t3 - t2)
    mean = lambda xs: 1000 * sum(xs) / len(xs)  # noqa: E731
    return {"cameras_ms": mean(cams), "lidars_ms": mean(lidars), "radars_ms": mean(radars)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=10)
    args = parser.parse_args()
    results = {}
    for rig in ("kitti_like", "nuscenes_like"):
        overrides = [
            f"sensors={rig}",
            f"scene.sequence.num_frames={args.frames}",
            "num_scenes=1",
            "seed=1",
            "output.progress=false",
        ]
        with tempfile.TemporaryDirectory() as tmp:
            cfg = compose_config([*overrides, f"output_dir={tmp}/ds"])
            start = time.perf_counter()
            summary = run_generation(cfg)
            wall = time.perf_counter() - start
        scene = sample_scene(cfg, 0)
        results[rig] = {
            "cameras": [f"{c.name} {c.width}x{c.height}" for c in scene.rig.cameras],
            "lidars": [f"{x.name} {x.preset} {x.channels}x{x.azimuth_steps}" for x in scene.rig.lidars],
            "radars": [x.name for x in scene.rig.radars],
            "frames": summary.frames_written,
            "end_to_end_s_per_frame": wall / summary.frames_written,
            "end_to_end_frames_per_second": summary.frames_written / wall,
            "stage_split_per_frame": stage_split(cfg),
        }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "rig.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    print(f"written: {out}")


if __name__ == "__main__":
    main()

"""Benchmark of LiDAR sweeps and radar frames by ray casting (renderers/raycast) on a street sequence.

Prints and writes benchmarks/results/lidar.json:
- points per second of ``cast_lidar`` (labels and intensity included, motion skew on, noise off) for an
  HDL-64E-like and an OS1-128-like sweep, on one thread and on two;
- the same rays cast by bare embreex in the same run: every entity in one world-frame EmbreeScene at the
  sweep start, one ``run(output=True)`` call (ray generation not timed), as rays per second;
- ratio = our points/s on one thread / bare rays/s (target >= 0.7), and our two-thread points/s
  (target >= 1.3 M points/s, faster than a real HDL-64E spins);
- radar detections per second (the nuscenes_like rig's five ARS 408-like radars);
- every figure twice: with glibc's default allocator settings, and with ``M_TOP_PAD`` raised so that
  the heap keeps the pages numpy's large temporaries free and reuse (``mallopt``, this process only):
  per-sweep arrays otherwise cost page faults on every call.

Medians over interleaved repetitions (ours, ours on two threads, bare, one after the other), so that
machine noise hits all alike. OpenBLAS is held to one thread so "one thread" means one.

Usage: .venv/bin/python benchmarks/bench_lidar.py [--repeats 15]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy: small matrix products stay on this thread

import argparse  # noqa: E402
import ctypes  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from embreex import rtcore_scene  # noqa: E402
from embreex.mesh_construction import TriangleMesh  # noqa: E402

from assets.articulated import posed_mesh  # noqa: E402
from generator.config import compose_config  # noqa: E402
from generator.world.sampling import sample_scene  # noqa: E402
from renderers.raycast import cast_lidar, detect_radar, sweep_rays, world_for  # noqa: E402
from scenes import Lidar, Scene  # noqa: E402
from scenes.sensor_presets import LIDAR_PRESETS  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
SWEEP_START = 0.3  # seconds: the ego and the objects are moving
TARGET_RATIO, TARGET_TWO_THREADS = 0.7, 1.3e6
M_TOP_PAD = -2  # glibc mallopt parameter


def bare_world(scene: Scene, t: float) -> rtcore_scene.EmbreeScene:
    """Every entity of the scene at time t (people posed) in one world-frame EmbreeScene, committed."""
    vertices, faces, offset = [], [], 0
    for entity in scene.entities:
        mesh = posed_mesh(entity, t, "world")  # a rigid entity's mesh at its pose; a person's posed parts
        vertices.append(mesh.vertices)
        faces.append(mesh.faces + offset)
        offset += len(mesh.vertices)
    embree = rtcore_scene.EmbreeScene()
    TriangleMesh(embree, np.concatenate(vertices).astype(np.float32), np.concatenate(faces).astype(np.int32))
    embree.run(np.zeros((1, 3), np.float32), np.array([[0.0, 0.0, 1.0]], np.float32))
    return embree


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def lidar_figures(scene: Scene, lidar: Lidar, repeats: int) -> dict:
    """Points/s of our sweep (one and two threads) against bare embreex rays/s on the same rays."""
    sweep = sweep_rays(scene, lidar, SWEEP_START)
    channels = sweep.directions.shape[1]
    origins = np.ascontiguousarray(np.repeat(sweep.origins.astype(np.float32), channels, axis=0))
    directions = np.ascontiguousarray(sweep.directions.reshape(-1, 3))
    bare = bare_world(scene, SWEEP_START)
    points = len(cast_lidar(scene, lidar, SWEEP_START))  # also compiles and caches the scene's world
    ours, ours_two, bare_s = [], [], []
    for _ in range(repeats):
        ours.append(_timed(lambda: cast_lidar(scene, lidar, SWEEP_START)))
        ours_two.append(_timed(lambda: cast_lidar(scene, lidar, SWEEP_START, threads=2)))
        bare_s.append(_timed(lambda: bare.run(origins, directions, output=1)))
    one, two, base = statistics.median(ours), statistics.median(ours_two), statistics.median(bare_s)
    ratio = (points / one) / (len(directions) / base)
    return {
        "lidar": f"{lidar.preset} {lidar.channels}x{lidar.azimuth_steps}",
        "rays": len(directions),
        "points": points,
        "ours_1_thread_ms": 1000 * one,
        "ours_1_thread_points_per_s": points / one,
        "ours_2_threads_ms": 1000 * two,
        "ours_2_threads_points_per_s": points / two,
        "bare_embreex_ms": 1000 * base,
        "bare_embreex_rays_per_s": len(directions) / base,
        "ratio_ours_points_per_s_vs_bare_rays_per_s": ratio,
        "ratio_target_met": ratio >= TARGET_RATIO,
        "two_threads_target_met": points / two >= TARGET_TWO_THREADS,
    }


def radar_figures(repeats: int) -> dict:
    """Detections per second of one radar frame, over the nuscenes_like rig's radars."""
    scene = sample_scene(compose_config(["sensors=nuscenes_like", "scene.sequence.num_frames=10", "seed=3"]), 0)
    world_for(scene)
    counts, seconds = [], []
    for _ in range(repeats):
        for radar in scene.rig.radars:
            start = time.perf_counter()
            detections = detect_radar(scene, radar, SWEEP_START, rng=np.random.default_rng(0))
            seconds.append(time.perf_counter() - start)
            counts.append(len(detections))
    return {
        "radars": [f"{r.name} {r.preset}" for r in scene.rig.radars],
        "detections_per_frame_mean": float(np.mean(counts)),
        "frame_ms_median": 1000 * statistics.median(seconds),
        "detections_per_s": float(np.sum(counts) / np.sum(seconds)),
    }


def all_figures(scene: Scene, lidars: list[Lidar], repeats: int) -> dict:
    figures = {lidar.preset: lidar_figures(scene, lidar, repeats) for lidar in lidars}
    figures["radar"] = radar_figures(repeats)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    scene = sample_scene(compose_config(["sensors=kitti_like", "scene.sequence.num_frames=10", "seed=3"]), 0)
    hdl64e = scene.rig.lidars[0]
    os1_128 = Lidar(
        name="os1_128", ego_from_sensor=hdl64e.ego_from_sensor, preset="os1_128", **LIDAR_PRESETS["os1_128"]
    )
    moving = sum(len(e.trajectory.times) > 1 for e in scene.entities)
    results = {
        "scene": f"street kitti_like seed=3: {len(scene.entities)} entities, {moving} moving; ego moving",
        "sweep_start_s": SWEEP_START,
        "cpus": os.cpu_count(),
        "targets": {"ratio_1_thread": TARGET_RATIO, "points_per_s_2_threads": TARGET_TWO_THREADS},
        "default_allocator": all_figures(scene, [hdl64e, os1_128], args.repeats),
    }
    libc = ctypes.CDLL(None)
    if hasattr(libc, "mallopt") and libc.mallopt(M_TOP_PAD, 64 << 20):
        results["malloc_top_pad_64MiB"] = all_figures(scene, [hdl64e, os1_128], args.repeats)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "lidar.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    print(f"written: {out}")


if __name__ == "__main__":
    main()

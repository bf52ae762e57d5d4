"""Benchmark of video sequences (pyrender over EGL on the CPU), 640x480 street with re-entry.

Prints and writes benchmarks/results/sequence.json:
- per-frame render cost (medians, interleaved) of frames 2..N (poses change every frame) against the steady cost of
  re-rendering an unchanged frame: no per-frame rebuild means a ratio near 1 (target <= 1.1);
- our per-frame render step (rgb, depth, instance) against bare pyrender re-posing the same nodes and
  rendering rgb+depth and one SEG pass, in the same run;
- a 60-frame sequence end to end (sampling, rendering, labels, flow, writing): seconds and frames/s.

Usage: .venv/bin/python benchmarks/bench_sequence.py [--frames 60]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import psutil
from bench_pyrender_pipeline import RESULTS, bare_pyrender_world

from generator.config import compose_config
from generator.run.loop import run_generation
from generator.run.resources import PASSES
from generator.world.sampling import sample_scene
from renderers.base import Pass
from renderers.pyrender import create_backend
from renderers.pyrender._gl import pyrender
from scenes.transforms import opengl_from_opencv_pose


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved_costs(cfg) -> dict:
    """Per frame k = 1..N-1, one after the other so that machine noise hits all three alike:
    our render step at t_k (poses changed since the last frame), the same call again (nothing
    changed: the steady cost), and bare pyrender re-posing its nodes and rendering t_k. Medians in ms."""
    scene = sample_scene(cfg, 0)
    camera = scene.rig.cameras[0]
    world, seg_map, camera_node = bare_pyrender_world(scene)
    nodes = list(seg_map)  # entity nodes in scene.entities order
    bare_renderer = pyrender.OffscreenRenderer(camera.width, camera.height)

    def bare_frame(t: float) -> None:
        for entity, node in zip(scene.entities, nodes, strict=True):
            world.set_pose(node, entity.trajectory.pose_at(t))
        world.set_pose(camera_node, opengl_from_opencv_pose(scene.rig.world_from_sensor(camera, t)))
        bare_renderer.render(world)
        bare_renderer.render(world, flags=pyrender.RenderFlags.SEG, seg_node_map=seg_map)

    moving, steady, bare, full = [], [], [], []
    with create_backend(frozenset({Pass.RGB, Pass.DEPTH, Pass.INSTANCE})) as ours, create_backend(PASSES) as all_passes:
        first = _timed(lambda: ours.render(scene, 0.0))
        bare_frame(0.0)
        all_passes.render(scene, 0.0)
        for k in range(1, scene.num_frames):
            t = scene.frame_time(k)
            moving.append(_timed(lambda t=t: ours.render(scene, t)))
            steady.append(_timed(lambda t=t: ours.render(scene, t)))
            bare.append(_timed(lambda t=t: bare_frame(t)))
            full.append(_timed(lambda t=t: all_passes.render(scene, t)))
        compiles = (ours.compile_count, all_passes.compile_count)
    bare_renderer.delete()
    med = {
        name: 1000 * statistics.median(v)
        for name, v in (("moving", moving), ("steady", steady), ("bare", bare), ("full", full))
    }
    return {
        "first_frame_ms_including_compile": 1000 * first,
        "ours_frames_2_to_n_median_ms": med["moving"],
        "ours_unchanged_frame_median_ms": med["steady"],
        "ratio_moving_vs_steady": med["moving"] / med["steady"],
        "bare_pyrender_frames_2_to_n_median_ms": med["bare"],
        "ratio_render_step_vs_bare": med["moving"] / med["bare"],
        "ours_all_passes_with_amodal_median_ms": med["full"],
        "ratio_all_passes_vs_bare": med["full"] / med["bare"],
        "scene_compiles": compiles,
    }


def end_to_end(frames: int, out: Path) -> dict:
    cfg = compose_config(
        [
            f"scene.sequence.num_frames={frames}",
            "scene.sequence.reentry=true",
            "num_scenes=1",
            "seed=2",
            f"output_dir={out}",
            "output.progress=false",
        ]
    )
    start = time.perf_counter()
    summary = run_generation(cfg)
    wall = time.perf_counter() - start
    return {"frames": summary.frames_written, "seconds": wall, "frames_per_second": summary.frames_written / wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    args = parser.parse_args()
    overrides = [f"scene.sequence.num_frames={args.frames}", "scene.sequence.reentry=true", "seed=2"]
    cfg = compose_config(overrides)
    with tempfile.TemporaryDirectory() as tmp:
        results = {
            "resolution": [cfg.camera.width, cfg.camera.height],
            "frames": args.frames,
            "cpu_count": psutil.cpu_count(),
            "labelled_objects": len(sample_scene(cfg, 0).labelled_entities()),
            "render": interleaved_costs(cfg),
            "end_to_end": end_to_end(args.frames, Path(tmp) / "e2e"),
        }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "sequence.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    print(f"written: {out}")


if __name__ == "__main__":
    main()

"""Benchmark of video sequences (pyrender over EGL on the CPU), 640x480 street with re-entry.

Prints and writes benchmarks/results/sequence.json:
- per-frame render cost of frames 2..N (poses change every frame) against the steady cost of
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
from generator.run import PASSES, run_generation
from generator.sampling import sample_scene
from renderers.base import Pass
from renderers.pyrender import create_backend
from renderers.pyrender._gl import pyrender
from scenes.transforms import opengl_from_opencv_pose


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def per_frame_costs(cfg, passes) -> dict:
    """First frame (compiles the scene), frames 2..N, and the steady cost of an unchanged frame."""
    scene = sample_scene(cfg, 0)
    times = [scene.frame_time(k) for k in range(scene.num_frames)]
    with create_backend(passes) as backend:
        first = _timed(lambda: backend.render(scene, times[0]))
        later = [_timed(lambda t=t: backend.render(scene, t)) for t in times[1:]]
        last = times[-1]
        steady = [_timed(lambda: backend.render(scene, last)) for _ in range(len(times) - 1)]
        compiles = backend.compile_count
    return {
        "first_frame_ms": 1000 * first,
        "frames_2_to_n_mean_ms": 1000 * statistics.mean(later),
        "steady_unchanged_frame_mean_ms": 1000 * statistics.mean(steady),
        "ratio_moving_vs_steady": statistics.mean(later) / statistics.mean(steady),
        "scene_compiles": compiles,
    }


def bare_sequence_ms(cfg) -> float:
    """Bare pyrender: one world, every frame re-poses every entity node and the camera, then renders
    rgb+depth and one SEG pass. Mean ms per frame over frames 2..N."""
    scene = sample_scene(cfg, 0)
    world, seg_map, camera_node = bare_pyrender_world(scene)
    nodes = list(seg_map)  # entity nodes in scene.entities order
    camera = scene.rig.cameras[0]
    renderer = pyrender.OffscreenRenderer(camera.width, camera.height)

    def frame(t: float) -> None:
        for entity, node in zip(scene.entities, nodes, strict=True):
            world.set_pose(node, entity.trajectory.pose_at(t))
        world.set_pose(camera_node, opengl_from_opencv_pose(scene.rig.world_from_sensor(camera, t)))
        renderer.render(world)
        renderer.render(world, flags=pyrender.RenderFlags.SEG, seg_node_map=seg_map)

    frame(0.0)
    costs = [_timed(lambda k=k: frame(scene.frame_time(k))) for k in range(1, scene.num_frames)]
    renderer.delete()
    return 1000 * statistics.mean(costs)


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
    core = frozenset({Pass.RGB, Pass.DEPTH, Pass.INSTANCE})
    ours_core = per_frame_costs(cfg, core)
    bare = bare_sequence_ms(cfg)
    with tempfile.TemporaryDirectory() as tmp:
        results = {
            "resolution": [cfg.camera.width, cfg.camera.height],
            "frames": args.frames,
            "cpu_count": psutil.cpu_count(),
            "labelled_objects": len(sample_scene(cfg, 0).labelled_entities()),
            "ours_rgb_depth_instance": ours_core,
            "ours_all_passes_with_amodal": per_frame_costs(cfg, PASSES),
            "bare_pyrender_frames_2_to_n_mean_ms": bare,
            "ratio_render_step_vs_bare": ours_core["frames_2_to_n_mean_ms"] / bare,
            "end_to_end": end_to_end(args.frames, Path(tmp) / "e2e"),
        }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "sequence.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    print(f"written: {out}")


if __name__ == "__main__":
    main()

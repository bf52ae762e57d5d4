"""Blender backend per-frame cost at 640x480, Cycles on the CPU, against bare bpy in the same worker.

For 16 and 64 samples: the time of ``BlenderBackend.render`` (rgb + depth + instance, then also amodal)
per frame of a street scene sequence, the time of one plain ``bpy.ops.render.render()`` of the same
Blender scene in the same worker process, their ratio, and the share of our frame spent outside Cycles'
render call. Writes benchmarks/results/blender.json. Figures, not pass/fail.

    .venv/bin/python benchmarks/bench_blender.py [--frames 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from generator.config import compose_config
from generator.sampling import sample_scene
from renderers.base import Pass
from renderers.blender import create_backend

RESULTS = Path(__file__).parent / "results" / "blender.json"
LABEL_PASSES = frozenset({Pass.RGB, Pass.DEPTH, Pass.INSTANCE})


def _frame_stats(backend, scene, frames: int) -> dict[str, float]:
    ours, render_calls, bare = [], [], []
    backend.render(scene, 0.0)  # warm-up: builds the Blender scene, compiles Cycles' kernels and BVH
    backend.bare_render(scene, 0.0)
    for k in range(1, frames + 1):
        t = scene.frame_time(k % scene.num_frames)
        start = time.perf_counter()
        backend.render(scene, t)
        ours.append(time.perf_counter() - start)
        render_calls.append(backend.last_timings["render_s"])
        bare.append(backend.bare_render(scene, t)["render_s"])
    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    return {
        "ours_s": mean(ours),
        "bare_bpy_render_s": mean(bare),
        "ratio": mean(ours) / mean(bare),
        "share_outside_cycles_render": 1.0 - mean(render_calls) / mean(ours),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=3)
    args = parser.parse_args()
    cfg = compose_config(["camera.width=640", "camera.height=480", "scene.sequence.num_frames=8"])
    scene = sample_scene(cfg, 0, [])
    results = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "scene": {"kind": scene.kind, "entities": len(scene.entities), "size": [640, 480]},
        "frames": args.frames,
        "runs": {},
    }
    for samples in (16, 64):
        for name, passes in (("rgb_depth_instance", LABEL_PASSES), ("with_amodal", frozenset(Pass))):
            with create_backend(passes, samples=samples) as backend:
                stats = _frame_stats(backend, scene, args.frames)
            results["runs"][f"{samples}spp_{name}"] = stats
            print(f"{samples:3d} spp {name:20s}", {k: round(v, 3) for k, v in stats.items()}, flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""Blender backend benchmarks, Cycles on the CPU. Figures, not pass/fail; writes benchmarks/results/blender.json.

- steady: per-frame time at 640x480 (16 and 64 samples) of ``BlenderBackend.render`` (rgb + depth + instance,
  then also amodal) against one plain ``bpy.ops.render.render()`` of the same Blender scene in the same worker
  process, their ratio, and the share of our frame spent outside Cycles' render call.
- sequence: a 10-frame street sequence at 640x480, 16 samples: frames 2..N (poses change every frame) against
  re-rendering an unchanged frame (the steady cost), interleaved frame by frame; medians. No per-frame rebuild
  means a ratio near 1 (target <= 1.05).
- memory: resident memory (RSS) of the worker process over 200 frames (20 street scenes x 10 frames, every pass,
  160x120, 1 sample, one worker, no recycling): growth from after the first scene (warm-up) to the end
  (target < 10%).
- people: per-frame time at 640x480, 16 samples, of a street sequence whose pedestrians and cyclists are articulated
  people (each its posed parts: ``assets.articulated``; frames 1..N, poses changing) against the same scene with
  them as rigid figures (``scene.people.articulated=false``), both as ``BlenderBackend.render`` (rgb + depth +
  instance, then also amodal) and as one bare ``bpy.ops.render.render()``; the first frame (build) of each.
- end_to_end: ``generator.run.loop.run_generation`` with renderer=blender at 640x480, 16 and 64 samples (every pass,
  labels, flow and writing) against bare bpy rendering the same frames in the same worker (ratio; target <= 1.15).

    .venv/bin/python benchmarks/bench_blender.py [--frames 3] [--samples 16,64] [--only steady,sequence,...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import psutil

from assets.articulated import entity_parts
from generator.config import compose_config
from generator.run.loop import run_generation
from generator.world.sampling import sample_scene
from renderers.base import Pass
from renderers.blender import create_backend

RESULTS = Path(__file__).parent / "results" / "blender.json"
LABEL_PASSES = frozenset({Pass.RGB, Pass.DEPTH, Pass.INSTANCE})
SECTIONS = ("steady", "sequence", "memory", "people", "end_to_end")


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs)


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _frame_stats(backend, scene, frames: int) -> dict[str, float]:
    ours, render_calls, bare = [], [], []
    backend.render(scene, 0.0)  # warm-up: builds the Blender scene, compiles Cycles' kernels and BVH
    backend.bare_render(scene, 0.0)
    for k in range(1, frames + 1):
        t = scene.frame_time(k % scene.num_frames)
        ours.append(_timed(lambda t=t: backend.render(scene, t)))
        render_calls.append(backend.last_timings["render_s"])
        bare.append(backend.bare_render(scene, t)["render_s"])
    return {
        "ours_s": _mean(ours),
        "bare_bpy_render_s": _mean(bare),
        "ratio": _mean(ours) / _mean(bare),
        "share_outside_cycles_render": 1.0 - _mean(render_calls) / _mean(ours),
    }


def steady(frames: int, samples_list: list[int]) -> dict:
    cfg = compose_config(["camera.width=640", "camera.height=480", "scene.sequence.num_frames=8"])
    scene = sample_scene(cfg, 0, [])
    runs = {}
    for samples in samples_list:
        for name, passes in (("rgb_depth_instance", LABEL_PASSES), ("with_amodal", frozenset(Pass))):
            with create_backend(passes, samples=samples) as backend:
                stats = _frame_stats(backend, scene, frames)
            runs[f"{samples}spp_{name}"] = stats
            print(f"steady {samples:3d} spp {name:20s}", {k: round(v, 3) for k, v in stats.items()}, flush=True)
    return {"scene": {"kind": scene.kind, "entities": len(scene.entities), "size": [640, 480]}, "runs": runs}


def sequence(frames: int = 10, samples: int = 16) -> dict:
    """Per frame k = 1..N-1: our render at t_k (poses changed since the last call), then the same call again
    (nothing changed: the steady cost), one after the other so that machine noise hits both alike."""
    cfg = compose_config(["camera.width=640", "camera.height=480", f"scene.sequence.num_frames={frames}", "seed=2"])
    scene = sample_scene(cfg, 0)
    moving, unchanged, moving_render, unchanged_render = [], [], [], []
    with create_backend(LABEL_PASSES, samples=samples) as backend:
        first = _timed(lambda: backend.render(scene, 0.0))
        for k in range(1, scene.num_frames):
            t = scene.frame_time(k)
            moving.append(_timed(lambda t=t: backend.render(scene, t)))
            moving_render.append(backend.last_timings["render_s"])
            unchanged.append(_timed(lambda t=t: backend.render(scene, t)))
            unchanged_render.append(backend.last_timings["render_s"])
        compiles = backend.compile_count
    out = {
        "frames": frames,
        "samples": samples,
        "first_frame_s_including_worker_start_and_compile": first,
        "frames_2_to_n_median_s": statistics.median(moving),
        "unchanged_frame_median_s": statistics.median(unchanged),
        "ratio_moving_vs_unchanged": statistics.median(moving) / statistics.median(unchanged),
        "cycles_render_call_ratio_moving_vs_unchanged": statistics.median(moving_render)
        / statistics.median(unchanged_render),
        "scene_compiles": compiles,
    }
    print("sequence", {k: round(v, 3) if isinstance(v, float) else v for k, v in out.items()}, flush=True)
    return out


def memory(scenes: int = 20, frames_per_scene: int = 10) -> dict:
    """Worker RSS after every frame of ``scenes`` street scenes of ``frames_per_scene`` frames (every pass)."""
    cfg = compose_config(
        ["camera.width=160", "camera.height=120", f"scene.sequence.num_frames={frames_per_scene}", "seed=3"]
    )
    rss_mb: list[float] = []
    start = time.perf_counter()
    with create_backend(frozenset(Pass), samples=1) as backend:
        for index in range(scenes):
            scene = sample_scene(cfg, index)
            for frame in range(frames_per_scene):
                backend.render(scene, scene.frame_time(frame))
                rss_mb.append(psutil.Process(backend._process.pid).memory_info().rss / 2**20)
        starts = backend.worker_starts
    warm = rss_mb[frames_per_scene - 1]  # after the first scene: kernels loaded, first scene built
    out = {
        "scenes": scenes,
        "frames": len(rss_mb),
        "size": [160, 120],
        "samples": 1,
        "worker_starts": starts,
        "seconds": time.perf_counter() - start,
        "rss_mb_after_first_frame": rss_mb[0],
        "rss_mb_after_warm_up": warm,
        "rss_mb_end": rss_mb[-1],
        "rss_mb_max": max(rss_mb),
        "growth_after_warm_up": rss_mb[-1] / warm - 1.0,
        "max_growth_after_warm_up": max(rss_mb[frames_per_scene - 1 :]) / warm - 1.0,
        "rss_mb_per_scene_end": [
            round(rss_mb[i], 1) for i in range(frames_per_scene - 1, len(rss_mb), frames_per_scene)
        ],
    }
    print("memory", {k: round(v, 3) if isinstance(v, float) else v for k, v in out.items()}, flush=True)
    return out


def people(frames: int = 8, samples: int = 16, size: tuple[int, int] = (640, 480)) -> dict:
    """Frames 1..N of the seed-2 street sequence with articulated and with rigid people, the two interleaved
    frame by frame (machine noise hits both alike); means. ``outside_cycles``: our frame's time outside Cycles'
    render calls (posing every part, reading the passes back)."""
    width, height = size
    overrides = [f"camera.width={width}", f"camera.height={height}", f"scene.sequence.num_frames={frames}", "seed=2"]
    scenes = {
        "rigid": sample_scene(compose_config([*overrides, "scene.people.articulated=false"]), 0),
        "articulated": sample_scene(compose_config(overrides), 0),
    }
    posed = scenes["articulated"].entities
    out: dict = {
        "frames": frames,
        "samples": samples,
        "size": [width, height],
        "people": sum(e.skeleton is not None for e in posed),
        "objects": {"rigid": len(scenes["rigid"].entities), "articulated": sum(len(entity_parts(e)) for e in posed)},
    }
    for name, passes in (("rgb_depth_instance", LABEL_PASSES), ("with_amodal", frozenset(Pass))):
        backends = {kind: create_backend(passes, samples=samples) for kind in scenes}
        times: dict[str, dict[str, list[float]]] = {kind: {"ours": [], "outside": [], "bare": []} for kind in scenes}
        first = {}
        try:
            for kind, backend in backends.items():
                first[kind] = _timed(lambda b=backend, s=scenes[kind]: b.render(s, 0.0))
            for k in range(1, frames):
                for kind, backend in backends.items():
                    t = scenes[kind].frame_time(k)
                    times[kind]["ours"].append(_timed(lambda b=backend, s=scenes[kind], t=t: b.render(s, t)))
                    times[kind]["outside"].append(times[kind]["ours"][-1] - backend.last_timings["render_s"])
                    times[kind]["bare"].append(backend.bare_render(scenes[kind], t)["render_s"])
        finally:
            for backend in backends.values():
                backend.close()
        stats = {
            kind: {
                "first_frame_s_including_worker_start_and_build": first[kind],
                "ours_s_per_frame": _mean(times[kind]["ours"]),
                "outside_cycles_s_per_frame": _mean(times[kind]["outside"]),
                "bare_bpy_render_s_per_frame": _mean(times[kind]["bare"]),
            }
            for kind in scenes
        }
        for key in ("ours_s_per_frame", "outside_cycles_s_per_frame", "bare_bpy_render_s_per_frame"):
            stats[f"ratio_articulated_vs_rigid_{key}"] = stats["articulated"][key] / stats["rigid"][key]
        out[name] = stats
        print(f"people {name}", json.dumps(stats), flush=True)
    return out


class _TimedBackend:
    """Forwards ``render`` to a BlenderBackend, recording each call's wall time and Cycles' render time."""

    def __init__(self, backend) -> None:
        self.backend, self.name, self.capabilities = backend, backend.name, backend.capabilities
        self.calls: list[tuple[float, float]] = []

    def render(self, scene, t, camera=None, *, passes=None):
        start = time.perf_counter()
        result = self.backend.render(scene, t, camera, passes=passes)
        self.calls.append((time.perf_counter() - start, self.backend.last_timings["render_s"]))
        return result

    def close(self) -> None:
        pass


def end_to_end(frames: int, samples: int, out: Path) -> dict:
    """run_generation's per-frame wall time (sampling, every pass, labels, flow, writing) with a worker that has
    loaded Cycles' kernels already, against bare bpy renders of the same frames in the same worker."""
    cfg = compose_config(
        [
            "renderer=blender",
            f"renderer.samples={samples}",
            "camera.width=640",
            "camera.height=480",
            f"scene.sequence.num_frames={frames}",
            "num_scenes=1",
            "seed=2",
            f"output_dir={out}",
            "output.progress=false",
            "output.preview=false",
        ]
    )
    scene = sample_scene(cfg, 0)
    with create_backend(frozenset(Pass), samples=samples) as backend:
        backend.bare_render(scene, 0.0)  # worker start and kernel load: once per process, not per frame
        timed = _TimedBackend(backend)
        wall = _timed(lambda: run_generation(cfg, timed))
        backend.bare_render(scene, 0.0)  # the parent's scene object: built again, then warm
        bare = [backend.bare_render(scene, scene.frame_time(k))["render_s"] for k in range(frames)]
    per_frame = wall / frames
    render_calls = [c for c, _ in timed.calls]
    out_stats = {
        "frames": frames,
        "samples": samples,
        "size": [640, 480],
        "passes": sorted(p.value for p in Pass),
        "run_generation_s_per_frame": per_frame,
        "backend_render_call_s_per_frame": _mean(render_calls),
        "bare_bpy_render_s_per_frame": _mean(bare),
        "ratio_end_to_end_vs_bare": per_frame / _mean(bare),
        "share_outside_cycles_render": 1.0 - sum(r for _, r in timed.calls) / wall,
    }
    print("end_to_end", {k: round(v, 3) if isinstance(v, float) else v for k, v in out_stats.items()}, flush=True)
    return out_stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=3, help="frames of the steady and end-to-end measurements")
    parser.add_argument("--samples", default="16,64", help="sample counts of the steady and end-to-end runs")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections of {SECTIONS}")
    parser.add_argument("--memory-scenes", type=int, default=20, help="scenes of 10 frames in the memory run")
    args = parser.parse_args()
    only = args.only.split(",")
    samples_list = [int(s) for s in args.samples.split(",")]
    # sections not run keep their figures from the last run
    results: dict = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results = {key: results[key] for key in SECTIONS if key in results}
    results["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version()}
    if "steady" in only:
        results["steady"] = steady(args.frames, samples_list)
    if "sequence" in only:
        results["sequence"] = sequence()
    if "memory" in only:
        results["memory"] = memory(args.memory_scenes)
    if "people" in only:
        results["people"] = people()
    if "end_to_end" in only:
        results["end_to_end"] = {}
        for samples in samples_list:
            with tempfile.TemporaryDirectory() as tmp:
                results["end_to_end"][f"{samples}spp"] = end_to_end(args.frames, samples, Path(tmp) / "e2e")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    print(f"written: {RESULTS}")


if __name__ == "__main__":
    main()

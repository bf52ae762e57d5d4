"""Scale-out benchmark: worker processes on this machine (pyrender over EGL / llvmpipe, street scenes).

Prints and writes to benchmarks/results/workers.json:
- throughput of ``synthsense generate`` with 1 worker (in this process) and with 2 worker processes,
  same scenes, and the ratio;
- the raw engine's own scaling in the same run: bare pyrender rendering one fixed street scene in 1
  and then 2 concurrent processes (the ceiling the machine allows: llvmpipe is already multi-threaded,
  so a 2-core machine cannot double it);
- per-worker start-up cost (process start to renderer ready) and resident memory after each scene
  over a long run (default 500 frames), from the run's own run_stats.json.

Usage: .venv/bin/python benchmarks/bench_workers.py [--frames 200] [--memory-frames 500] [--size 640x480]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

from generator.config import compose_config
from generator.run.loop import run_generation

RESULTS = Path(__file__).resolve().parent / "results"
WARM_SCENES = 20  # memory growth is measured from this scene on (caches and GL pools fill first)


def _config(root: Path, frames: int, size: tuple[int, int], *extra: str):
    return compose_config(
        [
            f"output_dir={root}",
            f"num_scenes={frames}",
            "seed=2",
            f"camera.width={size[0]}",
            f"camera.height={size[1]}",
            "output.preview=false",
            "output.progress=false",
            *extra,
        ]
    )


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (worker processes), user + system."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def generate_fps(frames: int, size: tuple[int, int], *extra: str, env: dict[str, str] | None = None):
    """Frames per second of a whole run (start-up included), the cores it kept busy on average (CPU
    seconds / wall seconds), and its RunSummary. ``env`` is set for the run's duration."""
    saved = {k: os.environ.get(k) for k in env or {}}
    os.environ.update(env or {})
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cfg = _config(Path(tmp) / "ds", frames, size, *extra)
            cpu, start = _cpu_seconds(), time.perf_counter()
            summary = run_generation(cfg)
            seconds = time.perf_counter() - start
            cores = (_cpu_seconds() - cpu) / seconds
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    return summary.frames_written / seconds, cores, summary


def bare_worker(size: tuple[int, int], renders: int, threads: str, queue) -> None:
    """One process: build the first street scene as a plain pyrender scene and time ``renders`` renders
    (one lit rgb+depth pass and one SEG pass each, as bench_pyrender_pipeline's baseline)."""
    os.environ["LP_NUM_THREADS"] = threads
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_pyrender_pipeline import bare_pyrender_world

    from generator.world.sampling import sample_scene
    from renderers.pyrender._gl import pyrender

    cfg = _config(Path("/nonexistent"), 1, size)
    world, seg_map, _ = bare_pyrender_world(sample_scene(cfg, 0))
    renderer = pyrender.OffscreenRenderer(size[0], size[1])
    renderer.render(world)  # warm-up: shader compilation
    start = time.perf_counter()
    for _ in range(renders):
        renderer.render(world)
        renderer.render(world, flags=pyrender.RenderFlags.SEG, seg_node_map=seg_map)
    queue.put(renders / (time.perf_counter() - start))
    renderer.delete()


def bare_scaling(size: tuple[int, int], renders: int) -> dict[str, float]:
    """Renders per second of bare pyrender in 1 process, and summed over 2 concurrent processes (each
    with llvmpipe threads shared out like our workers)."""
    ctx = multiprocessing.get_context("spawn")
    cores = os.cpu_count() or 1
    out = {}
    for processes in (1, 2):
        queue = ctx.Queue()
        threads = str(max(1, cores // processes)) if processes > 1 else str(cores)
        procs = [ctx.Process(target=bare_worker, args=(size, renders, threads, queue)) for _ in range(processes)]
        for p in procs:
            p.start()
        rates = [queue.get(timeout=600) for _ in procs]
        for p in procs:
            p.join()
        out[f"{processes}_process"] = sum(rates)
    out["ratio"] = out["2_process"] / out["1_process"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200, help="frames (static scenes) per throughput run")
    parser.add_argument("--memory-frames", type=int, default=500, help="frames of the memory run (2 workers)")
    parser.add_argument("--size", default="640x480", help="image size WIDTHxHEIGHT")
    parser.add_argument("--bare-renders", type=int, default=60, help="renders per process of the bare baseline")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    print(f"machine: {os.cpu_count()} cores; {args.frames} frames at {size[0]}x{size[1]}")

    fps_1, cores_1, _ = generate_fps(args.frames, size)
    # one worker process whose llvmpipe renders on one thread: a worker that uses one core
    one_thread = {"LP_NUM_THREADS": "1"}
    fps_1t, cores_1t, _ = generate_fps(args.frames, size, "recycle_scenes=1000000", env=one_thread)
    fps_2, cores_2, run_2 = generate_fps(args.frames, size, "workers=2")
    bare = bare_scaling(size, args.bare_renders)
    print(f"workers=1 (in process, llvmpipe on every core): {fps_1:.2f} frames/s, {cores_1:.2f} cores busy")
    print(f"workers=1 (one process, llvmpipe on 1 thread):  {fps_1t:.2f} frames/s, {cores_1t:.2f} cores busy")
    print(f"workers=2 (processes, llvmpipe 1 thread each):  {fps_2:.2f} frames/s, {cores_2:.2f} cores busy")
    print(f"ratio 2 workers / 1 worker in process: {fps_2 / fps_1:.2f} (target >= 1.7)")
    print(f"ratio 2 workers / 1 single-thread worker: {fps_2 / fps_1t:.2f}")
    print(
        f"bare pyrender, same run:  1 process {bare['1_process']:.1f} renders/s, 2 processes "
        f"{bare['2_process']:.1f} renders/s, ratio {bare['ratio']:.2f} (what the machine allows)"
    )
    startups = [round(w.startup_s, 3) for w in run_2.workers]
    print(f"worker start-up (process start to renderer ready): {', '.join(f'{s:.2f}' for s in startups)} s")

    mem_fps, _, mem_run = generate_fps(args.memory_frames, size, "workers=2")
    memory = []
    for w in mem_run.workers:
        warm = w.rss_mb[min(WARM_SCENES, len(w.rss_mb) - 1)]
        half = w.rss_mb[len(w.rss_mb) // 2]
        growth, growth_half = w.rss_mb[-1] / warm - 1, w.rss_mb[-1] / half - 1
        print(
            f"memory, worker {w.worker} over {w.frames} frames: {warm} MB after {WARM_SCENES} scenes, "
            f"{half} MB half-way, last {w.rss_mb[-1]} MB, peak {max(w.rss_mb)} MB; growth from scene "
            f"{WARM_SCENES} {growth * 100:.1f}%, over the second half {growth_half * 100:.1f}%"
        )
        memory.append(
            {
                **w.as_json(),
                "rss_mb_warm": warm,
                "growth_from_warm": round(growth, 4),
                "growth_second_half": round(growth_half, 4),
                "rss_mb_series": w.rss_mb,
            }
        )
    result = {
        "cores": os.cpu_count(),
        "size": list(size),
        "frames": args.frames,
        "fps_workers1": round(fps_1, 3),
        "cores_busy_workers1": round(cores_1, 3),
        "fps_workers1_single_thread": round(fps_1t, 3),
        "cores_busy_workers1_single_thread": round(cores_1t, 3),
        "fps_workers2": round(fps_2, 3),
        "cores_busy_workers2": round(cores_2, 3),
        "ratio_2_to_1": round(fps_2 / fps_1, 3),
        "ratio_2_to_1_single_thread": round(fps_2 / fps_1t, 3),
        "bare_pyrender": {k: round(v, 3) for k, v in bare.items()},
        "startup_s": startups,
        "startup_s_median": statistics.median(startups),
        "memory_run": {"frames": args.memory_frames, "fps": round(mem_fps, 3), "workers": memory},
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "workers.json").write_text(json.dumps(result, indent=1))
    print(f"wrote {RESULTS / 'workers.json'}")


if __name__ == "__main__":
    main()

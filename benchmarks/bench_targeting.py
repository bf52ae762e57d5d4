"""Benchmark of targeted generation (pyrender over EGL on the CPU), 640x480 street stills.

Prints and writes benchmarks/results/targeting.json:

Every cost is measured in wall seconds and in this process's CPU seconds (all threads, llvmpipe's
included: the figure other processes on a shared machine disturb least).

(a) per attempt, over the same scenes: sampling (S), cheap judging (J: compile the scene, instance +
    amodal passes, camera labels), the old full-render judging (R: compile, rgb + depth + instance +
    amodal, labels), and the accepted attempt completed to its full frame once judged (F: rgb + depth
    of the compiled scene, judging's instance and amodal reused, labels and writing; W: the writing
    alone); attempts judged per second cheap, 1 / (S + J), and old, 1 / (S + R), against full frames
    per second of an untargeted run,
    1 / (S + R + W); the raw engine in the same run: bare pyrender on a prebuilt world, one SEG pass
    (the floor of any judging that reads the instance map) and a lit pass + SEG pass (a full frame's
    floor); and that the cheap verdicts and judged fields equal those of full renders.
(b) targeted batches (``run_generation``) of targets of decreasing acceptance (pedestrians within
    shrinking range and visibility intervals), with cheap and with full judging on the same seed:
    seconds per accepted scene and acceptance rate, against the cost models

        cheap:  C(p) = (S + J) / p + F        every attempt sampled and judged, the kept one completed
        full:   C(p) = (S + R) / p + W        every attempt rendered in full, the kept one written as judged

    with p the measured acceptance rate (accepted / attempts) and S, J, R, F, W from (a) (F includes
    the writing); cheap_speedup is full / cheap seconds per accepted scene; and that both batches wrote
    byte-identical labels.json files.

Usage: .venv/bin/python benchmarks/bench_targeting.py [--attempts 20] [--scenes 6]
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

from assets.loading import _load_cached
from formats.native import NativeWriter
from generator.config import compose_config
from generator.run.judging import judge_frame, judging_plan
from generator.run.loop import dataset_meta, run_generation
from generator.run.resources import open_backend
from generator.run.scene_job import compute_frame, write_frame
from generator.run.targeting import sensor_types, target_of
from generator.world.sampling import sample_scene
from renderers.pyrender._gl import pyrender

BASE = ["camera.width=640", "camera.height=480", "output.progress=false", "output.preview=false"]
# (range_m upper bound, visibility lower bound): shrinking intervals, decreasing acceptance
TARGETS = [(40.0, 0.0), (20.0, 0.5), (15.0, 0.8), (12.0, 0.9), (10.0, 0.9)]
JUDGED_FIELDS = ("category", "visibility", "range_m", "visible_pixels")


def target_overrides(max_range: float, min_visibility: float) -> list[str]:
    return [
        "target.objects.category=[pedestrian]",
        f"target.objects.visibility=[{min_visibility},1.0]",
        f"target.objects.range_m=[0,{max_range}]",
        "target.max_attempts=200",
    ]


def judged_fields(labels: dict) -> list[dict]:
    """The fields the benchmark's targets read, of every front-camera record."""
    return [{k: o[k] for k in JUDGED_FIELDS} for o in labels["objects"]["front"]]


def bare_passes_ms(scene, renderer, repeats: int = 5) -> tuple[float, float]:
    """Median ms of bare pyrender on a prebuilt world of ``scene``: one SEG pass; a lit pass + a SEG pass."""
    world, seg_map, _ = bare_pyrender_world(scene)
    seg, full = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        renderer.render(world, flags=pyrender.RenderFlags.SEG, seg_node_map=seg_map)
        t1 = time.perf_counter()
        renderer.render(world)
        renderer.render(world, flags=pyrender.RenderFlags.SEG, seg_node_map=seg_map)
        t2 = time.perf_counter()
        seg.append(t1 - t0)
        full.append(t2 - t1)
    return 1000 * statistics.median(seg), 1000 * statistics.median(full)


def clock() -> tuple[float, float]:
    """(wall, CPU) seconds: CPU time of this process (all its threads, llvmpipe's included) is the figure
    other processes on a shared machine disturb least; wall time is what a user waits."""
    return time.perf_counter(), time.process_time()


STAGES = ("S", "J", "R", "F", "W")


def per_attempt(attempts: int, out_dir: Path) -> dict:
    """Stage costs per attempt (wall and CPU seconds), measured interleaved on the same scenes (target: a
    pedestrian within 15 m at visibility >= 0.8)."""
    cfg = compose_config([*BASE, "seed=21", *target_overrides(15.0, 0.8), f"output_dir={out_dir}"])
    target = target_of(cfg)
    plan = judging_plan(target, sensor_types(cfg.sensors))
    cheap, old = open_backend(cfg), open_backend(cfg)  # each compiles every scene itself, as a run does
    writer = NativeWriter(out_dir)
    writer.open(dataset_meta(cfg, [], sample_scene(cfg, 0).rig))
    bare = pyrender.OffscreenRenderer(cfg.camera.width, cfg.camera.height)
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in STAGES}
    bare_ms: dict[str, list[float]] = {"seg": [], "lit_plus_seg": []}
    disagreements = field_mismatches = accepted = 0
    for index in range(attempts + 1):  # scene 0: warm-up (GL contexts, first compile), not counted
        c0 = clock()
        scene = sample_scene(cfg, index)  # an attempt costs what a new scene does: a new street
        c1 = clock()
        # sampling built the scene's meshes (their extents place them; assets.loading caches them), so J
        # and R compile from the same cache, as in a run
        judged_frame = judge_frame(scene, 0, cheap, plan)
        judged = judged_frame.labels
        c2 = clock()
        full = compute_frame(scene, 0, old, flow=False)
        c3 = clock()
        # the accepted path: the scene is compiled, judging's passes are reused, rgb and depth rendered
        kept = compute_frame(scene, 0, cheap, flow=False, judged=judged_frame)
        c4 = clock()
        writer.write_scene(scene)
        write_frame(scene, kept, writer)
        c5 = clock()
        if index == 0:
            continue
        for key, (a, b) in zip(STAGES, ((c0, c1), (c1, c2), (c2, c3), (c3, c5), (c4, c5)), strict=True):
            times[key].append((b[0] - a[0], b[1] - a[1]))
        seg_ms, full_ms = bare_passes_ms(scene, bare)
        bare_ms["seg"].append(seg_ms)
        bare_ms["lit_plus_seg"].append(full_ms)
        verdict = target.frame_satisfies(judged)
        accepted += verdict
        disagreements += verdict != target.frame_satisfies(full.labels)
        field_mismatches += judged_fields(judged) != judged_fields(full.labels)
    for backend in (cheap, old):
        backend.close()
    bare.delete()
    out: dict = {
        "attempts": attempts,
        "labelled_objects_last_scene": len(scene.labelled_entities()),
        "judged_passes": sorted(p.value for p in plan.passes()),
    }
    for n, kind in enumerate(("wall", "cpu")):
        mean = {k: statistics.mean(v[n] for v in times[k]) for k in STAGES}
        s, j, r, w = mean["S"], mean["J"], mean["R"], mean["W"]
        out[kind] = {
            "mean_s": mean,
            "attempts_judged_per_s_cheap": 1 / (s + j),
            "attempts_judged_per_s_old_full_render": 1 / (s + r),
            "full_frames_per_s_untargeted": 1 / (s + r + w),
            "judging_only_speedup_R_over_J": r / j,
            "attempt_speedup_with_sampling": (s + r) / (s + j),
        }
    out["raw_engine_wall_ms"] = {
        "bare_pyrender_seg_pass": statistics.mean(bare_ms["seg"]),
        "bare_pyrender_lit_plus_seg": statistics.mean(bare_ms["lit_plus_seg"]),
    }
    out["cheap_vs_full_verdict_disagreements"] = disagreements
    out["cheap_vs_full_judged_field_mismatches"] = field_mismatches
    out["accepted_attempts"] = accepted
    return out


def clear_mesh_cache() -> None:
    """Forget the meshes built so far (``assets.loading``'s cache): the batch of the second judging mode,
    on the same seed, would otherwise find every mesh of its scenes built by the first."""
    _load_cached.cache_clear()


def batch(overrides: list[str], out_dir: Path, backend) -> dict:
    cfg = compose_config([*BASE, *overrides, f"output_dir={out_dir}"])
    clear_mesh_cache()  # within the run the cache works as in any run; nothing carries over from the last
    start = clock()
    summary = run_generation(cfg, backend=backend)
    end = clock()
    stats = summary.target
    accepted = max(stats["accepted_scenes"], 1)
    return {
        "accepted": stats["accepted_scenes"],
        "attempts": stats["attempts"],
        "acceptance_rate": stats["accepted_scenes"] / stats["attempts"],
        "wall_s": end[0] - start[0],
        "cpu_s": end[1] - start[1],
        "wall_s_per_accepted_scene": (end[0] - start[0]) / accepted,
        "cpu_s_per_accepted_scene": (end[1] - start[1]) / accepted,
    }


def labels_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.glob("scenes/*/*/labels.json"))}


def batches(scenes: int, stages: dict, out_dir: Path) -> list[dict]:
    """Each target run with cheap and with full judging on the same seed, against the cost models."""
    backend = open_backend(compose_config(BASE))
    batch([*target_overrides(40.0, 0.0), "num_scenes=2", "seed=99"], out_dir / "warm-up", backend)  # not counted
    rows = []
    for k, (max_range, min_visibility) in enumerate(TARGETS):
        target = [*target_overrides(max_range, min_visibility), f"num_scenes={scenes}", "seed=5"]
        row: dict = {"range_m": [0.0, max_range], "visibility": [min_visibility, 1.0]}
        for mode in ("cheap", "full") if k % 2 == 0 else ("full", "cheap"):  # alternate: no order bias
            row[mode] = batch([*target, f"target_judging={mode}"], out_dir / f"t{k}-{mode}", backend)
            p = row[mode]["acceptance_rate"]
            for kind in ("wall", "cpu"):
                s, j, r, f, w = (stages[kind]["mean_s"][x] for x in STAGES)
                row[mode][f"model_{kind}_s_per_accepted"] = (s + j) / p + f if mode == "cheap" else (s + r) / p + w
        row["identical_labels"] = labels_bytes(out_dir / f"t{k}-cheap") == labels_bytes(out_dir / f"t{k}-full")
        for kind in ("wall", "cpu"):
            key = f"{kind}_s_per_accepted_scene"
            row[f"cheap_speedup_{kind}"] = row["full"][key] / row["cheap"][key]
        rows.append(row)
        c, f = row["cheap"], row["full"]
        print(
            f"range <= {max_range:4.0f} m, visibility >= {min_visibility:.1f}: p = {c['acceptance_rate']:.3f}; "
            f"CPU s/scene cheap {c['cpu_s_per_accepted_scene']:.2f} (model {c['model_cpu_s_per_accepted']:.2f}), "
            f"full {f['cpu_s_per_accepted_scene']:.2f} (model {f['model_cpu_s_per_accepted']:.2f}); "
            f"wall cheap {c['wall_s_per_accepted_scene']:.2f}, full {f['wall_s_per_accepted_scene']:.2f}; "
            f"identical labels: {row['identical_labels']}",
            flush=True,
        )
    backend.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=20, help="attempts timed stage by stage in (a)")
    parser.add_argument("--scenes", type=int, default=6, help="accepted scenes per target in (b)")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        stages = per_attempt(args.attempts, Path(tmp) / "stages")
        print(json.dumps(stages, indent=2), flush=True)
        results = {
            "resolution": [640, 480],
            "cpu_count": psutil.cpu_count(),
            "load_average_1min_at_start": psutil.getloadavg()[0],
            "per_attempt": stages,
            "models": {
                "cheap": "C(p) = (S + J) / p + F",
                "full": "C(p) = (S + R) / p + W",
            },
            "batches": batches(args.scenes, stages, Path(tmp) / "batches"),
        }
    results["benchmark_wall_s"] = time.perf_counter() - started
    results["load_average_1min_at_end"] = psutil.getloadavg()[0]
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "targeting.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results["batches"], indent=2))
    print(f"benchmark wall: {results['benchmark_wall_s']:.0f} s; written: {out}")


if __name__ == "__main__":
    main()

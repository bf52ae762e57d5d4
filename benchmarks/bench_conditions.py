"""Benchmark: the cost of each conditions preset against clear_day, camera and LiDAR, in one run.

The same street scenes (640x480, the nuscenes_like rig's LiDAR) are sampled under every preset (the
geometry is the clear_day scene's, so only the conditions differ), then timed interleaved, preset after
preset, so machine noise hits all alike:
- camera: our pyrender backend's full frame (rgb, depth, instance, amodal, with the preset's fog, particles,
  lamps and glare), and bare pyrender rendering the same clear scene's meshes (one lit rgb+depth pass and
  one SEG pass, as in bench_pyrender_pipeline);
- LiDAR: ``cast_lidar`` (one thread, labels and intensity, the preset's attenuation, backscatter and
  flakes), and bare embreex casting the same rays against the same clear world;
- Blender (``--blender``, slow): one frame of the Cycles backend at 160x120, 16 samples, per preset.

Prints a table of milliseconds and ratios (preset / clear_day, preset / bare engine) and writes
benchmarks/results/conditions.json.

Usage: .venv/bin/python benchmarks/bench_conditions.py [--repeats 5] [--scenes 2] [--blender]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy: "one thread" means one

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling benchmarks' bare-engine worlds

from bench_lidar import bare_world  # noqa: E402
from bench_pyrender_pipeline import bare_pyrender_world  # noqa: E402

from generator.config import compose_config  # noqa: E402
from generator.run.resources import PASSES  # noqa: E402
from generator.world.sampling import sample_scene  # noqa: E402
from renderers.pyrender import create_backend  # noqa: E402
from renderers.pyrender._gl import pyrender  # noqa: E402
from renderers.raycast import cast_lidar, sweep_rays  # noqa: E402
from scenes.conditions import PRESETS  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
SWEEP_START = 0.0


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def scenes_by_preset(count: int) -> dict[str, list]:
    """``count`` street scenes under every preset (same seed and indices: same geometry)."""
    out = {}
    for name in PRESETS:
        cfg = compose_config(["sensors=nuscenes_like", f"conditions={name}", "camera.width=640", "camera.height=480"])
        out[name] = [sample_scene(cfg, i) for i in range(count)]
    return out


def camera_figures(scenes: dict[str, list], repeats: int) -> dict:
    """Median ms per full pyrender frame per preset, and bare pyrender on the clear scenes."""
    backend = create_backend(PASSES)
    clear = scenes["clear_day"]
    camera = clear[0].rig.cameras[0]
    bare_renderer = pyrender.OffscreenRenderer(camera.width, camera.height)
    bare_worlds = [bare_pyrender_world(s) for s in clear]
    samples: dict[str, list[float]] = {name: [] for name in PRESETS}
    samples["bare_pyrender"] = []
    for k in range(len(clear)):
        for name in PRESETS:  # warm-up: compile each scene once
            backend.render(scenes[name][k], 0.0, camera.name)
    for _ in range(repeats):
        for k in range(len(clear)):
            for name in PRESETS:
                scene = scenes[name][k]
                samples[name].append(_timed(lambda scene=scene: backend.render(scene, 0.0, camera.name)))
            world, seg_map, _ = bare_worlds[k]

            def bare(world=world, seg_map=seg_map):
                bare_renderer.render(world)
                bare_renderer.render(world, flags=pyrender.RenderFlags.SEG, seg_node_map=seg_map)

            samples["bare_pyrender"].append(_timed(bare))
    backend.close()
    bare_renderer.delete()
    return _table(samples, "bare_pyrender")


def lidar_figures(scenes: dict[str, list], repeats: int) -> dict:
    """Median ms per LiDAR sweep per preset, and bare embreex on the same rays of the clear scenes."""
    clear = scenes["clear_day"]
    lidar = clear[0].rig.lidars[0]
    bare = []
    for scene in clear:
        sweep = sweep_rays(scene, lidar, SWEEP_START)
        channels = sweep.directions.shape[1]
        origins = np.ascontiguousarray(np.repeat(sweep.origins.astype(np.float32), channels, axis=0))
        directions = np.ascontiguousarray(sweep.directions.reshape(-1, 3))
        bare.append((bare_world(scene, SWEEP_START), origins, directions))
    samples: dict[str, list[float]] = {name: [] for name in PRESETS}
    samples["bare_embreex"] = []
    points: dict[str, list[int]] = {name: [] for name in PRESETS}
    for k in range(len(clear)):
        for name in PRESETS:
            points[name].append(len(cast_lidar(scenes[name][k], lidar, SWEEP_START)))  # compiles the world
    for _ in range(repeats):
        for k in range(len(clear)):
            for name in PRESETS:
                scene = scenes[name][k]
                samples[name].append(_timed(lambda scene=scene: cast_lidar(scene, lidar, SWEEP_START)))
            world, origins, directions = bare[k]
            samples["bare_embreex"].append(_timed(lambda w=world, o=origins, d=directions: w.run(o, d, output=1)))
    table = _table(samples, "bare_embreex")
    table["lidar"] = f"{lidar.preset} {lidar.channels}x{lidar.azimuth_steps}"
    for name in PRESETS:
        table["presets"][name]["points_per_sweep"] = statistics.mean(points[name])
    return table


def blender_figures(scenes: dict[str, list], repeats: int = 2) -> dict:
    """One 160x120, 16-sample Cycles frame per preset (first scene), seconds: the second render of each
    scene (the first starts the worker and builds the scene), median of ``repeats`` renders."""
    from dataclasses import replace

    from renderers.blender import create_backend as create_blender

    out: dict[str, float] = {}
    with create_blender(PASSES, samples=16) as backend:
        for name in PRESETS:
            scene = scenes[name][0]
            camera = scene.rig.cameras[0]
            small = replace(camera, width=160, height=120, K=camera.K * np.array([[0.25], [0.25], [1.0]]))
            scene = replace(scene, rig=replace(scene.rig, cameras=[small]))
            backend.render(scene, 0.0, small.name)  # builds the scene in the worker
            out[name] = statistics.median(
                _timed(lambda scene=scene, name=small.name: backend.render(scene, 0.0, name)) for _ in range(repeats)
            )
    clear = out["clear_day"]
    return {"seconds": out, "ratio_vs_clear_day": {name: out[name] / clear for name in PRESETS}}


def _table(samples: dict[str, list[float]], bare_key: str) -> dict:
    """Medians (ms) per preset with their ratios to clear_day and to the bare engine."""
    bare = statistics.median(samples[bare_key])
    clear = statistics.median(samples["clear_day"])
    presets = {}
    for name in PRESETS:
        ms = statistics.median(samples[name])
        presets[name] = {"ms": 1000 * ms, "ratio_vs_clear_day": ms / clear, "ratio_vs_bare": ms / bare}
    return {f"{bare_key}_ms": 1000 * bare, "presets": presets}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--scenes", type=int, default=2)
    parser.add_argument("--blender", action="store_true", help="also time one small Cycles frame per preset")
    args = parser.parse_args()
    scenes = scenes_by_preset(args.scenes)
    figures = {"camera_pyrender": camera_figures(scenes, args.repeats), "lidar": lidar_figures(scenes, args.repeats)}
    if args.blender:
        figures["blender"] = blender_figures(scenes)
    print(f"{'preset':<10} {'camera ms':>10} {'x clear':>8} {'x bare':>7} {'lidar ms':>9} {'x clear':>8} {'x bare':>7}")
    for name in PRESETS:
        cam, lid = figures["camera_pyrender"]["presets"][name], figures["lidar"]["presets"][name]
        print(
            f"{name:<10} {cam['ms']:>10.1f} {cam['ratio_vs_clear_day']:>8.2f} {cam['ratio_vs_bare']:>7.2f} "
            f"{lid['ms']:>9.1f} {lid['ratio_vs_clear_day']:>8.2f} {lid['ratio_vs_bare']:>7.2f}"
        )
    print(
        f"bare pyrender {figures['camera_pyrender']['bare_pyrender_ms']:.1f} ms, "
        f"bare embreex {figures['lidar']['bare_embreex_ms']:.1f} ms ({figures['lidar']['lidar']})"
    )
    if args.blender:
        for name, ratio in figures["blender"]["ratio_vs_clear_day"].items():
            print(f"blender {name:<10} {figures['blender']['seconds'][name]:.2f} s  x clear {ratio:.2f}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "conditions.json").write_text(json.dumps(figures, indent=1))
    print(f"wrote {RESULTS / 'conditions.json'}")


if __name__ == "__main__":
    main()

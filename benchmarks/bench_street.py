"""Benchmark: the default street of one checkout against another's (issue 16: the new world against the
old), in one run.

Each checkout (``--trees``, the first one the baseline) is timed in its own worker process, which imports
that tree's code: the default street config at 640x480 (stills), ``--scenes`` scenes per repeat:
- sampling: ``generator.world.sampling.sample_scene`` of each scene (meshes built as the renderers ask);
- pyrender: the run's backend (``open_backend``): its first render of each scene (compiling it) and a
  second render of the same frame (what a later frame of a sequence costs), with the run's passes;
- blender (``--blender``): the Blender backend's render of scene 0 at the renderer's default settings.
Workers of the trees alternate, repeat by repeat, so machine noise hits them alike; medians per tree and
their ratios to the baseline are printed and written to benchmarks/results/street.json, with each
scene's entity and triangle counts.

Usage: .venv/bin/python benchmarks/bench_street.py --trees /path/to/old/checkout . [--scenes 4]
       [--repeats 3] [--blender]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
OVERRIDES = ["camera.width=640", "camera.height=480", "output.progress=false"]


def _worker(scenes: int, blender: bool) -> dict:
    """Time this tree's code (imported from the working directory) and return the figures."""
    from assets.articulated import entity_parts
    from generator.config import compose_config
    from generator.run.resources import open_backend
    from generator.world.sampling import sample_scene

    cfg = compose_config(OVERRIDES)
    figures: dict = {"sample_ms": [], "compile_render_ms": [], "render_ms": [], "entities": [], "triangles": []}
    built = []
    for index in range(scenes):
        start = time.perf_counter()
        scene = sample_scene(cfg, index)
        figures["sample_ms"].append(1e3 * (time.perf_counter() - start))
        built.append(scene)
        figures["entities"].append(len(scene.entities))
        figures["triangles"].append(sum(len(p.mesh.faces) for e in scene.entities for p in entity_parts(e)))
    with open_backend(cfg) as backend:
        for scene in built:
            camera = scene.rig.cameras[0].name
            start = time.perf_counter()
            backend.render(scene, 0.0, camera)
            figures["compile_render_ms"].append(1e3 * (time.perf_counter() - start))
            start = time.perf_counter()
            backend.render(scene, 0.0, camera)
            figures["render_ms"].append(1e3 * (time.perf_counter() - start))
    if blender:
        with open_backend(compose_config([*OVERRIDES, "renderer=blender"])) as backend:
            start = time.perf_counter()
            backend.render(built[0], 0.0, built[0].rig.cameras[0].name)
            figures["blender_ms"] = [1e3 * (time.perf_counter() - start)]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trees", nargs="+", type=Path, default=[Path(".")], help="checkouts, baseline first")
    parser.add_argument("--scenes", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--blender", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_worker(args.scenes, args.blender)))
        return
    trees = [t.resolve() for t in args.trees]
    runs: dict[Path, list[dict]] = {t: [] for t in trees}
    for repeat in range(args.repeats):
        for tree in trees:
            env = dict(os.environ, PYTHONPATH=str(tree), OPENBLAS_NUM_THREADS="1")
            command = [sys.executable, str(Path(__file__).resolve()), "--worker", f"--scenes={args.scenes}"]
            command += ["--blender"] if args.blender and repeat == 0 else []
            out = subprocess.run(command, cwd=tree, env=env, check=True, capture_output=True, text=True).stdout
            runs[tree].append(json.loads(out.strip().splitlines()[-1]))
            print(f"repeat {repeat + 1}/{args.repeats}: {tree}", file=sys.stderr)
    keys = ["sample_ms", "compile_render_ms", "render_ms", "blender_ms", "entities", "triangles"]
    table = {}
    for tree in trees:
        table[str(tree)] = {
            key: statistics.median(v for run in runs[tree] for v in run.get(key, []))
            for key in keys
            if any(run.get(key) for run in runs[tree])
        }
    base = table[str(trees[0])]
    print(f"{'median':22}" + "".join(f"{Path(t).name[:18]:>20}" for t in table) + "   x baseline (last)")
    for key in keys:
        values = [table[t].get(key) for t in table]
        if values[0] is None:
            continue
        cells = "".join(f"{v:20.1f}" if v is not None else f"{'':20}" for v in values)
        ratio = values[-1] / values[0] if values[-1] is not None and values[0] else float("nan")
        print(f"{key:22}{cells}   {ratio:.2f}")
    RESULTS.mkdir(exist_ok=True)
    figures = {"scenes": args.scenes, "repeats": args.repeats, "medians": table, "baseline": str(trees[0])}
    figures["ratios"] = {k: table[str(trees[-1])][k] / base[k] for k in base if k in table[str(trees[-1])] and base[k]}
    (RESULTS / "street.json").write_text(json.dumps(figures, indent=1))
    print(f"wrote {RESULTS / 'street.json'}")


if __name__ == "__main__":
    main()

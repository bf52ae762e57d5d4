"""Benchmark: building procedural meshes, one checkout against another's (issue 17: the numpy builders
against the trimesh ones), in one run.

Each checkout (``--trees``, the first one the baseline) is timed in its own worker process importing that
tree's code:
- per asset of ``assets.procedural.PROCEDURAL_ASSETS``: ``--cases`` parameter sets from its sampler (a
  fixed seed), each built as a scene asks for it: its size (``generator.world.pieces.size_of``), then the
  mesh every backend and the ray caster load (``assets.loading.load_asset_mesh``) and its surface parts
  (``assets.articulated.entity_parts``), every cache cleared first; ms per build;
- ``generator.world.sampling.sample_scene`` on the default street at 640x480 (``seed=1``), ``--scenes``
  scenes, ms per scene.
Workers of the trees alternate, repeat by repeat, so machine noise hits them alike; medians and their
ratios to the baseline are printed and written to benchmarks/results/meshes.json.

Usage: .venv/bin/python benchmarks/bench_meshes.py --trees /path/to/old/checkout . [--scenes 5] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import zlib
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
OVERRIDES = ["camera.width=640", "camera.height=480", "seed=1", "output.progress=false"]


def _clear_caches() -> None:
    """Empty every lru cache of the asset modules, so each build is a first build."""
    import assets.articulated
    import assets.loading

    modules = [m for name, m in sys.modules.items() if name.startswith("assets")]
    for module in [*modules, assets.loading, assets.articulated]:
        for value in vars(module).values():
            if hasattr(value, "cache_clear") and getattr(value, "__module__", "") == module.__name__:
                value.cache_clear()


def _worker(cases: int, scenes: int) -> dict:
    """Time this tree's code (imported from the working directory) and return the figures."""
    import numpy as np

    from assets.articulated import entity_parts
    from assets.loading import load_asset_mesh
    from assets.procedural import PROCEDURAL_ASSETS
    from generator.config import compose_config
    from generator.world.pieces import size_of
    from generator.world.sampling import sample_scene
    from scenes import AssetRef, Entity, Trajectory

    figures: dict = {}
    for name, record in sorted(PROCEDURAL_ASSETS.items()):
        rng = np.random.default_rng(np.random.SeedSequence(17, spawn_key=(zlib.crc32(name.encode()),)))
        refs = [AssetRef("procedural", name, record.sample(rng)) for _ in range(cases)]
        _clear_caches()
        start = time.perf_counter()
        for ref in refs:
            size = size_of(ref, 1.0)
            load_asset_mesh(ref)
            entity_parts(Entity("e", 1, "x", ref, size, Trajectory.static(np.eye(4))))
        figures[f"asset_ms.{name}"] = [1e3 * (time.perf_counter() - start) / cases]
    cfg = compose_config(OVERRIDES)
    sample_scene(cfg, 10_000)  # imports and first-call costs out of the figures
    figures["sample_scene_ms"] = []
    for index in range(scenes):
        start = time.perf_counter()
        sample_scene(cfg, index)
        figures["sample_scene_ms"].append(1e3 * (time.perf_counter() - start))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trees", nargs="+", type=Path, default=[Path(".")], help="checkouts, baseline first")
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--scenes", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_worker(args.cases, args.scenes)))
        return
    trees = [t.resolve() for t in args.trees]
    runs: dict[Path, list[dict]] = {t: [] for t in trees}
    for repeat in range(args.repeats):
        for tree in trees:
            env = dict(os.environ, PYTHONPATH=str(tree), OPENBLAS_NUM_THREADS="1")
            command = [sys.executable, str(Path(__file__).resolve()), "--worker", f"--cases={args.cases}"]
            command += [f"--scenes={args.scenes}"]
            out = subprocess.run(command, cwd=tree, env=env, check=True, capture_output=True, text=True).stdout
            runs[tree].append(json.loads(out.strip().splitlines()[-1]))
            print(f"repeat {repeat + 1}/{args.repeats}: {tree}", file=sys.stderr)
    keys = sorted({k for tree in trees for run in runs[tree] for k in run})
    table = {str(t): {k: statistics.median(v for run in runs[t] for v in run.get(k, [])) for k in keys} for t in trees}
    print(f"{'median ms':34}" + "".join(f"{Path(t).name[:14]:>16}" for t in table) + "   x baseline (last)")
    for key in keys:
        values = [table[t][key] for t in table]
        ratio = values[-1] / values[0] if values[0] else float("nan")
        print(f"{key:34}" + "".join(f"{v:16.2f}" for v in values) + f"   {ratio:.3f}")
    RESULTS.mkdir(exist_ok=True)
    base, last = table[str(trees[0])], table[str(trees[-1])]
    figures = {"cases": args.cases, "scenes": args.scenes, "repeats": args.repeats, "medians": table}
    figures["baseline"] = str(trees[0])
    figures["ratios"] = {k: last[k] / base[k] for k in keys if base[k]}
    (RESULTS / "meshes.json").write_text(json.dumps(figures, indent=1))
    print(f"wrote {RESULTS / 'meshes.json'}")


if __name__ == "__main__":
    main()

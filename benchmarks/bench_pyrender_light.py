"""pyrender light costs: the sun's shadow map and the procedural sky. Figures, not pass/fail; writes
benchmarks/results/pyrender_light.json.

The default street's first frame (``compose_config([])``, scene 0, t = 0) at ``--size``:
- bare pyrender: ``OffscreenRenderer.render`` of the compiled world with ``RenderFlags.NONE`` against
  ``RenderFlags.SHADOWS_DIRECTIONAL`` (same world, same renderer, the sun's shadow map), as the ratio;
- our frame: ``PyrenderBackend.render`` of a run's passes (rgb, depth, instance, amodal) with ``shadows``
  off and on, and with the procedural sky (``environment.sky = "sky"``) against a plain colour background.
Interleaved call by call after a warm-up; medians.

    .venv/bin/python benchmarks/bench_pyrender_light.py [--size 640x480] [--repeats 10]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from dataclasses import replace
from pathlib import Path

from generator.config import compose_config
from generator.world.sampling import sample_scene
from renderers.base import Pass
from renderers.pyrender import create_backend
from renderers.pyrender._gl import pyrender

RESULTS = Path(__file__).parent / "results" / "pyrender_light.json"
PASSES = frozenset({Pass.RGB, Pass.DEPTH, Pass.INSTANCE, Pass.AMODAL})


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="640x480")
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    scene = sample_scene(compose_config([f"camera.width={width}", f"camera.height={height}"]), 0)
    sky_scene = replace(scene, environment=replace(scene.environment, sky="sky"))
    color_scene = replace(scene, environment=replace(scene.environment, sky="color"))
    backends = {name: create_backend(PASSES, shadows=on) for name, on in (("shadows_off", False), ("shadows_on", True))}
    calls = {
        "frame_shadows_off": lambda: backends["shadows_off"].render(color_scene, 0.0),
        "frame_shadows_on": lambda: backends["shadows_on"].render(color_scene, 0.0),
        "frame_shadows_on_sky": lambda: backends["shadows_on"].render(sky_scene, 0.0),
    }
    try:
        for call in calls.values():
            call()  # warm-up: compile, upload, shader programs
        bare_backend = backends["shadows_off"]
        bare_backend.render(color_scene, 0.0)
        world, renderer = bare_backend.pyrender_scene, bare_backend._renderer
        flags = {"bare_no_shadows": pyrender.RenderFlags.NONE, "bare_shadows": pyrender.RenderFlags.SHADOWS_DIRECTIONAL}
        for f in flags.values():
            renderer.render(world, f)
        times: dict[str, list[float]] = {name: [] for name in [*flags, *calls]}
        for _ in range(args.repeats):
            for name, f in flags.items():
                times[name].append(_timed(lambda f=f: renderer.render(world, f)))
            for name, call in calls.items():
                times[name].append(_timed(call))
    finally:
        for backend in backends.values():
            backend.close()
    median = {name: statistics.median(ts) for name, ts in times.items()}
    out = {
        "scene": {"config": "default street, scene 0, t = 0", "entities": len(scene.entities), "size": [width, height]},
        "repeats": args.repeats,
        "median_s": median,
        "bare_pyrender_shadow_ratio": median["bare_shadows"] / median["bare_no_shadows"],
        "frame_shadow_ratio": median["frame_shadows_on"] / median["frame_shadows_off"],
        "frame_sky_ratio": median["frame_shadows_on_sky"] / median["frame_shadows_on"],
        "frame_shadows_and_sky_ratio": median["frame_shadows_on_sky"] / median["frame_shadows_off"],
        "all_s": times,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
    }
    print(json.dumps({k: v for k, v in out.items() if k != "all_s"}, indent=2), flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""Blender rgb noise on a flat road patch: 16 samples without the denoiser (the old default), with it (the
default), against a 256-sample reference of the same frame. Figures, not pass/fail; writes
benchmarks/results/blender_noise.json.

The frame is the default street's first frame (``compose_config([])``, scene 0, t = 0) at ``--size``. The
patch is the road's top surface as the exact labels see it: pixels whose instance is 0 (no labelled
object) and whose depth back-projects (``scenes.camera_geometry.pixel_rays``, the rig's camera pose) onto
the top face of the scene's ``road`` entity, at least ``ROAD_MARGIN_M`` inside its kerbs, then eroded by
2 px so that no pixel's filter footprint reaches an object's edge.

Noise is the standard deviation over the patch of (frame - reference), display values (0..255, the
written PNG's). The reference's own Monte Carlo noise (1/16 of the 16-sample frame's variance) is in that
figure too, and it bounds the ratio a perfect denoiser could show near 4.1. So a second reference with
another Cycles seed is rendered: var(ref_a - ref_b) / 2 is the reference's own noise variance, and the
"corrected" figures subtract it (the frame's own error against the converged image). Both are reported.

Render time: ``BlenderBackend.render`` of the run's passes (rgb, depth, instance) at 16 samples with and
without the denoiser, interleaved frame by frame after a warm-up each; medians of the wall time and of the
worker process's CPU time (user + system). On a machine shared with other jobs the wall time swings by 2x
from one frame to the next; the CPU time is the steadier figure of the work each frame takes.

    .venv/bin/python benchmarks/bench_blender_noise.py [--size 640x480] [--repeats 3] [--reference 256]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import psutil
from scipy import ndimage

from assets import entity_mesh
from generator.config import compose_config
from generator.world.sampling import sample_scene
from renderers.base import Pass
from renderers.blender import create_backend
from scenes.camera_geometry import pixel_rays
from scenes.transforms import invert_pose

RESULTS = Path(__file__).parent / "results" / "blender_noise.json"
PASSES = frozenset({Pass.RGB, Pass.DEPTH, Pass.INSTANCE})
ROAD_MARGIN_M = 0.3  # keep off the kerbs: the patch is the flat asphalt
ROAD_TOP_TOLERANCE_M = 0.02  # a back-projected point this close to the road's top face lies on it


def road_patch(scene, depth: np.ndarray, instance: np.ndarray) -> np.ndarray:
    """(H, W) bool: the flat road pixels of the scene's first camera at t = 0 (see the module docstring)."""
    camera = scene.rig.cameras[0]
    world_from_camera = scene.rig.world_from_sensor(camera, 0.0)
    points_cam = pixel_rays(camera.K, camera.width, camera.height) * depth[..., None]
    road = next(e for e in scene.entities if e.category == "road")
    object_from_camera = invert_pose(road.trajectory.pose_at(0.0)) @ world_from_camera
    points = points_cam @ object_from_camera[:3, :3].T + object_from_camera[:3, 3]
    (x0, y0, _), (x1, y1, z_top) = entity_mesh(road).bounds
    on_top = np.abs(points[..., 2] - z_top) < ROAD_TOP_TOLERANCE_M
    inside = (
        (points[..., 0] > x0 + ROAD_MARGIN_M)
        & (points[..., 0] < x1 - ROAD_MARGIN_M)
        & (points[..., 1] > y0 + ROAD_MARGIN_M)
        & (points[..., 1] < y1 - ROAD_MARGIN_M)
    )
    patch = (depth > 0) & (instance == 0) & on_top & inside
    return ndimage.binary_erosion(patch, iterations=2)


def _noise(frame: np.ndarray, reference: np.ndarray, patch: np.ndarray) -> float:
    """Standard deviation (display levels) over ``patch`` of frame - reference, every channel."""
    return float((frame.astype(np.float64) - reference.astype(np.float64))[patch].std())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="640x480", help="WIDTHxHEIGHT in pixels")
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument("--reference", type=int, default=256, help="samples of the reference frames")
    parser.add_argument("--repeats", type=int, default=3, help="timed frames per setting")
    parser.add_argument("--save", type=Path, default=None, help="also write the frames and the patch as PNGs here")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    cfg = compose_config([f"camera.width={width}", f"camera.height={height}"])
    scene = sample_scene(cfg, 0)
    frames, times, cpu = {}, {"noisy": [], "denoised": []}, {"noisy": [], "denoised": []}
    backends = {
        "noisy": create_backend(PASSES, samples=args.samples, denoise=False),
        "denoised": create_backend(PASSES, samples=args.samples, denoise=True),
    }
    try:
        for name, backend in backends.items():
            frames[name] = backend.render(scene, 0.0)  # warm-up: worker start, build, kernels
        for _ in range(args.repeats):
            for name, backend in backends.items():
                worker = psutil.Process(backend._process.pid)
                cpu_start, start = sum(worker.cpu_times()[:2]), time.perf_counter()
                backend.render(scene, 0.0)
                times[name].append(time.perf_counter() - start)
                cpu[name].append(sum(worker.cpu_times()[:2]) - cpu_start)
    finally:
        for backend in backends.values():
            backend.close()
    references = []
    reference_s = []
    for seed in (1, 2):  # two seeds: their difference measures the reference's own noise
        with create_backend(frozenset({Pass.RGB}), samples=args.reference, denoise=False, seed=seed) as backend:
            start = time.perf_counter()
            references.append(backend.render(scene, 0.0).rgb)
            reference_s.append(time.perf_counter() - start)
    for name in frames:  # the same seed for both settings (the frame's own): the same samples, denoised or not
        assert np.array_equal(frames[name].instance, frames["noisy"].instance)
    patch = road_patch(scene, frames["noisy"].depth, frames["noisy"].instance)
    reference = references[0]
    reference_var = _noise(references[0], references[1], patch) ** 2 / 2.0
    raw = {name: _noise(frames[name].rgb, reference, patch) for name in frames}
    corrected = {name: float(np.sqrt(max(raw[name] ** 2 - reference_var, 0.0))) for name in frames}
    median = {name: statistics.median(ts) for name, ts in times.items()}
    cpu_median = {name: statistics.median(ts) for name, ts in cpu.items()}
    out = {
        "scene": {"config": "default street, scene 0, t = 0", "entities": len(scene.entities), "size": [width, height]},
        "samples": args.samples,
        "reference_samples": args.reference,
        "patch_pixels": int(patch.sum()),
        "noise_std_levels": raw,
        "noise_ratio": raw["noisy"] / raw["denoised"],
        "reference_own_noise_std_levels": float(np.sqrt(reference_var)),
        "noise_std_levels_reference_noise_removed": corrected,
        "noise_ratio_reference_noise_removed": corrected["noisy"] / max(corrected["denoised"], 1e-9),
        "frame_s_median": median,
        "frame_s_all": times,
        "time_ratio": median["denoised"] / median["noisy"],
        "worker_cpu_s_median": cpu_median,
        "worker_cpu_s_all": cpu,
        "cpu_time_ratio": cpu_median["denoised"] / cpu_median["noisy"],
        "reference_render_s": reference_s,
        "targets": {"noise_ratio": ">= 4", "time_ratio": "<= 1.3", "cpu_time_ratio": "<= 1.3"},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
    }
    print(json.dumps(out, indent=2), flush=True)
    if args.save is not None:
        from PIL import Image

        args.save.mkdir(parents=True, exist_ok=True)
        for name, image in (*((n, f.rgb) for n, f in frames.items()), ("reference", reference)):
            Image.fromarray(image).save(args.save / f"{name}.png")
        Image.fromarray((patch * 255).astype(np.uint8)).save(args.save / "patch.png")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()

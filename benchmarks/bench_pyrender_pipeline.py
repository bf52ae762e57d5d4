"""Benchmark of the spine on the CPU (pyrender over EGL / llvmpipe), 640x480 street scenes.

Prints and writes to benchmarks/results/pyrender_pipeline.json:
- end-to-end frames per second of ``run_generation`` (sampling, rendering, labels, PNG/NPY/JSON writing);
- our render step (rgb + depth + instance) against bare pyrender rendering the same meshes in the same
  process (one lit rgb+depth pass and one SEG pass), and the extra cost of the amodal pass;
- labels + writing as a share of a frame's time (instrumented copy of the run loop);
- resident memory over many frames: growth between the warmed-up and the last frame.

Usage: .venv/bin/python benchmarks/bench_pyrender_pipeline.py [--frames 200] [--repeats 40]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import psutil

from assets.loading import entity_mesh
from formats.native import NativeWriter
from generator.config import compose_config
from generator.run.loop import dataset_meta, run_generation
from generator.run.resources import PASSES
from generator.world.sampling import sample_scene
from labels import annotate
from renderers.base import Pass
from renderers.pyrender import create_backend
from renderers.pyrender._gl import pyrender
from renderers.pyrender.geometry import gl_intrinsics
from scenes.transforms import light_pose, opengl_from_opencv_pose

RESULTS = Path(__file__).resolve().parent / "results"


def bare_pyrender_world(scene):
    """The same meshes, materials, lights and camera as a plain pyrender scene, built by hand."""
    world = pyrender.Scene(bg_color=[*scene.environment.background, 1.0], ambient_light=scene.environment.ambient)
    seg_map = {}
    for entity in scene.entities:
        material = pyrender.MetallicRoughnessMaterial(
            baseColorFactor=[*entity.material.base_color, 1.0],
            roughnessFactor=entity.material.roughness,
            metallicFactor=entity.material.metallic,
        )
        mesh = pyrender.Mesh.from_trimesh(entity_mesh(entity), material=material, smooth=False)
        node = world.add(mesh, pose=entity.trajectory.pose_at(0.0))
        seg_map[node] = [entity.instance_id & 255, entity.instance_id >> 8, 0]
    cam = scene.rig.cameras[0]
    fx, fy, cx, cy = gl_intrinsics(cam.K)
    camera_node = world.add(
        pyrender.IntrinsicsCamera(fx, fy, cx, cy, znear=cam.znear, zfar=cam.zfar),
        pose=opengl_from_opencv_pose(scene.rig.world_from_sensor(cam, 0.0)),
    )
    for light in scene.lights:
        world.add(
            pyrender.DirectionalLight(color=light.color, intensity=light.intensity), pose=light_pose(light.direction)
        )
    return world, seg_map, camera_node


def time_calls(fn, repeats: int) -> float:
    """Median seconds of ``fn()`` over ``repeats`` calls after two warm-up calls."""
    fn()
    fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def render_ratio(cfg, repeats: int) -> dict:
    """Median per-frame render times, ours vs bare pyrender, interleaved over the same scenes."""
    scenes = [sample_scene(cfg, i) for i in range(3)]
    ours_core, ours_full, bare = [], [], []
    core_backend = create_backend(frozenset({Pass.RGB, Pass.DEPTH, Pass.INSTANCE}))
    full_backend = create_backend(PASSES)
    bare_renderer = pyrender.OffscreenRenderer(cfg.camera.width, cfg.camera.height)
    flags_seg = pyrender.RenderFlags.SEG
    for scene in scenes:
        world, seg_map, _ = bare_pyrender_world(scene)

        def bare_frame(world=world, seg_map=seg_map):
            bare_renderer.render(world)
            bare_renderer.render(world, flags=flags_seg, seg_node_map=seg_map)

        ours_core.append(time_calls(lambda scene=scene: core_backend.render(scene, 0.0), repeats))
        bare.append(time_calls(bare_frame, repeats))
        ours_full.append(time_calls(lambda scene=scene: full_backend.render(scene, 0.0), repeats))
    labelled = [len(s.labelled_entities()) for s in scenes]
    core_backend.close()
    full_backend.close()
    bare_renderer.delete()
    core, full, raw = statistics.mean(ours_core), statistics.mean(ours_full), statistics.mean(bare)
    return {
        "labelled_objects_per_scene": labelled,
        "bare_pyrender_rgbd_plus_seg_ms": 1000 * raw,
        "ours_rgb_depth_instance_ms": 1000 * core,
        "ours_with_amodal_ms": 1000 * full,
        "ratio_render_step_vs_bare": core / raw,
        "ratio_with_amodal_vs_bare": full / raw,
    }


def instrumented_loop(cfg, frames: int, out_dir: Path) -> dict:
    """The run loop of generator.run.loop, timed per stage, with resident memory sampled every frame."""
    writer = NativeWriter(out_dir)
    writer.open(dataset_meta(cfg, [], sample_scene(cfg, 0).rig))
    backend = create_backend(PASSES)
    process = psutil.Process()
    stages = {"sample": 0.0, "render": 0.0, "labels": 0.0, "write": 0.0}
    rss_mb = []
    for index in range(frames):
        t0 = time.perf_counter()
        scene = sample_scene(cfg, index)
        t1 = time.perf_counter()
        result = backend.render(scene, 0.0)
        t2 = time.perf_counter()
        labels = annotate(scene, 0, scene.rig.cameras[0], result.instance, result.amodal)
        t3 = time.perf_counter()
        writer.write_scene(scene)
        writer.write_frame(scene, 0, [result], labels)
        t4 = time.perf_counter()
        for key, dt in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            stages[key] += dt
        rss_mb.append(process.memory_info().rss / 2**20)
    backend.close()
    total = sum(stages.values())
    warm = min(20, frames - 1)
    return {
        "frames": frames,
        "stage_ms_per_frame": {k: 1000 * v / frames for k, v in stages.items()},
        "labels_plus_write_share": (stages["labels"] + stages["write"]) / total,
        "rss_mb_at_frame_20": rss_mb[warm],
        "rss_mb_peak": max(rss_mb),
        "rss_mb_last": rss_mb[-1],
        "rss_growth_after_warmup": (max(rss_mb[warm:]) - rss_mb[warm]) / rss_mb[warm],
    }


def end_to_end(frames: int, out_dir: Path) -> dict:
    cfg = compose_config([f"num_scenes={frames}", f"output_dir={out_dir}", "output.progress=false", "seed=1"])
    start = time.perf_counter()
    summary = run_generation(cfg)
    wall = time.perf_counter() - start
    return {
        "frames": summary.frames_written,
        "objects_labelled": summary.objects,
        "wall_s_including_preview": wall,
        "frames_per_second": summary.frames_written / wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200, help="frames for the memory/stage loop")
    parser.add_argument("--e2e-frames", type=int, default=40, help="frames for the end-to-end run")
    parser.add_argument("--repeats", type=int, default=40, help="timed renders per scene for the ratio")
    args = parser.parse_args()
    cfg = compose_config(["camera.width=640", "camera.height=480", "seed=1"])
    with tempfile.TemporaryDirectory() as tmp:
        results = {
            "resolution": [640, 480],
            "cpu_count": psutil.cpu_count(),
            "end_to_end": end_to_end(args.e2e_frames, Path(tmp) / "e2e"),
            "render_vs_bare_pyrender": render_ratio(cfg, args.repeats),
            "stages_and_memory": instrumented_loop(cfg, args.frames, Path(tmp) / "loop"),
        }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "pyrender_pipeline.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    print(f"written: {out}")


if __name__ == "__main__":
    main()

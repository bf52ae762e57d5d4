"""Throughput of the whole pipeline against bare pyrender on the same scenes (issue 17), on this machine.

Prints and writes benchmarks/results/throughput.json:
- stills: ``run_generation`` end to end (sampling, compile, rendering every pass, labels, writing; no
  preview) in frames/s, against bare pyrender rendering the same scenes' meshes (one lit rgb+depth pass and
  one SEG pass per frame, geometry already uploaded) in frames/s, and the ratio (target >= 0.6);
- sequences: the same for one street sequence (flow included), bare pyrender re-posing the moving nodes
  each frame (target >= 0.8);
- stages of a still (instrumented copy of the run loop): sampling, first render of a new scene (compile,
  upload and every pass), labels, writing, in ms;
- growth: the stages against object count (10, 30, 100, 300 asked; the street places what fits, the
  count placed is printed) and image size (640x480, 1280x720, 1920x1080), bare pyrender beside them, and
  each stage's cost per labelled object between the smallest and the largest count (linear growth: flat);
- memory: resident memory over ``--memory-frames`` stills in one process, growth after the first 20.

Bare pyrender here is the least a hand-written pyrender program needs for the same pictures: one node
per rigid entity (its whole mesh, one material), one node per body part of a person (parts move).

Usage: .venv/bin/python benchmarks/bench_throughput.py [--stills 20] [--sequence-frames 30]
       [--growth-scenes 2] [--memory-frames 1000] [--skip-ends] [--skip-growth] [--skip-memory]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import psutil

from assets.articulated import entity_parts, part_poses
from assets.loading import entity_mesh
from formats.native import NativeWriter
from generator.config import compose_config
from generator.run.loop import dataset_meta, run_generation
from generator.run.resources import PASSES
from generator.world.sampling import sample_scene
from labels import annotate
from renderers.pyrender import create_backend
from renderers.pyrender._gl import pyrender
from renderers.pyrender.geometry import gl_intrinsics
from scenes.transforms import light_pose, opengl_from_opencv_pose

RESULTS = Path(__file__).resolve().parent / "results"
STREET = ["seed=1", "output.progress=false", "output.preview=false"]
OBJECT_COUNTS = (10, 30, 100, 300)
SIZES = ((640, 480), (1280, 720), (1920, 1080))


class BareWorld:
    """A scene's meshes as a plain pyrender scene built by hand (see the module docstring)."""

    def __init__(self, scene) -> None:
        env = scene.environment
        self.world = pyrender.Scene(bg_color=[*env.background, 1.0], ambient_light=env.ambient)
        self.seg_map: dict = {}
        self.moving: list = []  # (entity, nodes) re-posed per frame
        for entity in scene.entities:
            colour = [*entity.material.base_color, 1.0]
            if entity.skeleton is None:
                material = pyrender.MetallicRoughnessMaterial(baseColorFactor=colour)
                meshes = [(pyrender.Mesh.from_trimesh(entity_mesh(entity), material=material, smooth=False), None)]
                poses = [entity.trajectory.pose_at(0.0)]
            else:
                parts = entity_parts(entity)
                meshes = [
                    (
                        pyrender.Mesh.from_trimesh(
                            p.mesh,
                            material=pyrender.MetallicRoughnessMaterial(
                                baseColorFactor=[*(p.color or entity.material.base_color), 1.0]
                            ),
                            smooth=False,
                        ),
                        p,
                    )
                    for p in parts
                ]
                poses = part_poses(entity, 0.0)
            nodes = [self.world.add(mesh, pose=pose) for (mesh, _), pose in zip(meshes, poses, strict=True)]
            for node in nodes:
                self.seg_map[node] = [entity.instance_id & 255, entity.instance_id >> 8, 0]
            if len(entity.trajectory.times) > 1:
                self.moving.append((entity, nodes))
        cam = scene.rig.cameras[0]
        fx, fy, cx, cy = gl_intrinsics(cam.K)
        self.camera = self.world.add(pyrender.IntrinsicsCamera(fx, fy, cx, cy, znear=cam.znear, zfar=cam.zfar))
        for light in scene.lights:
            if light.kind == "directional":
                self.world.add(
                    pyrender.DirectionalLight(color=light.color, intensity=light.intensity),
                    pose=light_pose(light.direction),
                )
        self.scene = scene

    def render(self, renderer, t: float) -> None:
        """Pose the moving nodes and the camera at ``t`` seconds; one rgb+depth pass and one SEG pass."""
        for entity, nodes in self.moving:
            poses = [entity.trajectory.pose_at(t)] if entity.skeleton is None else part_poses(entity, t)
            for node, pose in zip(nodes, poses, strict=True):
                self.world.set_pose(node, pose)
        cam = self.scene.rig.cameras[0]
        self.world.set_pose(self.camera, opengl_from_opencv_pose(self.scene.rig.world_from_sensor(cam, t)))
        renderer.render(self.world)
        renderer.render(self.world, flags=pyrender.RenderFlags.SEG, seg_node_map=self.seg_map)


def bare_fps(scenes, width: int, height: int, times_per_scene) -> float:
    """Frames/s of bare pyrender over ``scenes`` (each at its ``times``), geometry uploaded beforehand
    (one warm-up render per scene, not timed)."""
    renderer = pyrender.OffscreenRenderer(width, height)
    worlds = [BareWorld(s) for s in scenes]
    for world in worlds:
        world.render(renderer, 0.0)
    frames, start = 0, time.perf_counter()
    for world, times in zip(worlds, times_per_scene, strict=True):
        for t in times:
            world.render(renderer, t)
            frames += 1
    seconds = time.perf_counter() - start
    renderer.delete()
    return frames / seconds


def end_to_end_fps(overrides: list[str]) -> tuple[float, int]:
    """Frames/s of a whole ``run_generation`` (no preview, no exports) and the frames written."""
    with tempfile.TemporaryDirectory() as tmp:
        cfg = compose_config([*STREET, f"output_dir={Path(tmp) / 'ds'}", *overrides])
        start = time.perf_counter()
        summary = run_generation(cfg)
        return summary.frames_written / (time.perf_counter() - start), summary.frames_written


def stills(count: int) -> dict:
    overrides = [f"num_scenes={count}", "camera.width=640", "camera.height=480"]
    ours, frames = end_to_end_fps(overrides)
    cfg = compose_config([*STREET, *overrides])
    scenes = [sample_scene(cfg, i) for i in range(count)]
    bare = bare_fps(scenes, 640, 480, [[0.0]] * count)
    labelled = statistics.mean(len(s.labelled_entities()) for s in scenes)
    print(
        f"stills 640x480 ({labelled:.1f} labelled objects, {statistics.mean(len(s.entities) for s in scenes):.0f}"
        f" entities): ours {ours:.2f} frames/s end to end, bare pyrender {bare:.2f} frames/s,"
        f" ratio {ours / bare:.3f} (target >= 0.6)"
    )
    return {
        "frames": frames,
        "labelled_objects_mean": labelled,
        "ours_fps": ours,
        "bare_fps": bare,
        "ratio": ours / bare,
    }


def sequence(frames: int) -> dict:
    overrides = ["num_scenes=1", f"scene.sequence.num_frames={frames}", "camera.width=640", "camera.height=480"]
    ours, written = end_to_end_fps(overrides)
    cfg = compose_config([*STREET, *overrides])
    scene = sample_scene(cfg, 0)
    bare = bare_fps([scene], 640, 480, [[scene.frame_time(f) for f in range(frames)]])
    print(
        f"sequence of {frames} frames 640x480: ours {ours:.2f} frames/s end to end (flow included),"
        f" bare pyrender {bare:.2f} frames/s, ratio {ours / bare:.3f} (target >= 0.8)"
    )
    return {"frames": written, "ours_fps": ours, "bare_fps": bare, "ratio": ours / bare}


def _clear_asset_caches() -> None:
    """Forget every built mesh, so a stage is timed as a new scene's is (the stills above built these)."""
    import assets.articulated as articulated
    import assets.loading as loading

    for cached in (loading._load_cached, loading.procedural_parts, loading._extents_cached):
        cached.cache_clear()
    articulated._surface_parts.cache_clear()
    articulated._articulated_parts.cache_clear()


def stages(cfg, scenes: int, out_dir: Path, rss: list[float] | None = None) -> dict:
    """Median ms per still of each stage of the run loop (sampling, first render of the new scene with its
    compile, labels, writing), over ``scenes`` scenes, asset caches cleared first (the stills sampled the same
    scenes); appends resident MB after each frame to ``rss``."""
    writer = NativeWriter(out_dir)
    writer.open(dataset_meta(cfg, [], sample_scene(cfg, 0).rig))
    _clear_asset_caches()  # after the rig's scene above, which built scene 0's meshes
    backend = create_backend(PASSES)
    process = psutil.Process()
    times: dict[str, list[float]] = {"sample": [], "render": [], "labels": [], "write": []}
    labelled = []
    for index in range(scenes):
        t0 = time.perf_counter()
        scene = sample_scene(cfg, index)
        t1 = time.perf_counter()
        result = backend.render(scene, 0.0)
        t2 = time.perf_counter()
        labels = annotate(scene, 0, scene.rig.cameras[0], result.instance, result.amodal, result.depth)
        t3 = time.perf_counter()
        writer.write_scene(scene)
        writer.write_frame(scene, 0, [result], labels)
        t4 = time.perf_counter()
        for key, dt in zip(times, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            times[key].append(1000 * dt)
        labelled.append(len(scene.labelled_entities()))
        if rss is not None:
            rss.append(process.memory_info().rss / 2**20)
    backend.close()
    out = {key: statistics.median(v) for key, v in times.items()}
    out["labelled_objects"] = statistics.mean(labelled)
    return out


def growth(scenes: int) -> list[dict]:
    rows = []
    for width, height in SIZES:
        for count in OBJECT_COUNTS:
            cfg = compose_config(
                [*STREET, f"scene.num_objects={count}", f"camera.width={width}", f"camera.height={height}"]
            )
            with tempfile.TemporaryDirectory() as tmp:
                row = stages(cfg, scenes, Path(tmp))
            row["bare_ms"] = 1000 / bare_fps(
                [sample_scene(cfg, i) for i in range(scenes)], width, height, [[0.0]] * scenes
            )
            row.update({"width": width, "height": height, "objects_asked": count})
            rows.append(row)
            print(
                f"{width}x{height} {count:>3} asked ({row['labelled_objects']:.0f} labelled): sample"
                f" {row['sample']:.0f} ms, render {row['render']:.0f} ms, labels {row['labels']:.0f} ms, write"
                f" {row['write']:.0f} ms; bare pyrender {row['bare_ms']:.0f} ms",
                flush=True,
            )
    return rows


def per_object_slopes(rows: list[dict]) -> dict:
    """Each stage's ms per labelled object from the fewest to the most objects at 640x480, against its ms
    per object at the fewest: growth faster than linear shows as a marginal cost above the average one."""
    small = [r for r in rows if (r["width"], r["height"]) == SIZES[0]]
    lo, hi = small[0], small[-1]
    out = {}
    for stage in ("sample", "render", "labels", "write", "bare_ms"):
        marginal = (hi[stage] - lo[stage]) / max(hi["labelled_objects"] - lo["labelled_objects"], 1e-9)
        out[stage] = {
            "marginal_ms_per_object": marginal,
            "average_ms_per_object_at_most": hi[stage] / hi["labelled_objects"],
        }
    return out


def memory(frames: int) -> dict:
    cfg = compose_config([*STREET, "camera.width=640", "camera.height=480"])
    rss: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        stages(cfg, frames, Path(tmp), rss)
    warm = rss[min(20, len(rss) - 1)]
    growth_ = (max(rss[20:] or rss) - warm) / warm
    print(
        f"memory over {frames} stills: {warm:.0f} MB after 20, peak {max(rss):.0f} MB, last {rss[-1]:.0f} MB,"
        f" growth {100 * growth_:.1f} % (target < 5 %)"
    )
    return {
        "frames": frames,
        "rss_mb_warm": warm,
        "rss_mb_peak": max(rss),
        "rss_mb_last": rss[-1],
        "growth": growth_,
        "rss_mb_every_50": rss[::50],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stills", type=int, default=20)
    parser.add_argument("--sequence-frames", type=int, default=30)
    parser.add_argument("--growth-scenes", type=int, default=2)
    parser.add_argument("--memory-frames", type=int, default=1000)
    parser.add_argument("--skip-ends", action="store_true", help="skip the end-to-end stills and sequence runs")
    parser.add_argument("--skip-growth", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores")
    result: dict = {"cores": os.cpu_count()}
    if not args.skip_ends:
        result.update(stills=stills(args.stills), sequence=sequence(args.sequence_frames))
    cfg = compose_config([*STREET, "camera.width=640", "camera.height=480"])
    with tempfile.TemporaryDirectory() as tmp:
        result["stages_ms"] = stages(cfg, args.stills, Path(tmp))
    print("stages of a still (ms, medians): " + ", ".join(f"{k} {v:.1f}" for k, v in result["stages_ms"].items()))
    if not args.skip_growth:
        result["growth"] = growth(args.growth_scenes)
        result["growth_per_object"] = per_object_slopes(result["growth"])
        for stage, v in result["growth_per_object"].items():
            print(
                f"  {stage}: marginal {v['marginal_ms_per_object']:.2f} ms/object, average at the most"
                f" {v['average_ms_per_object_at_most']:.2f} ms/object"
            )
    if not args.skip_memory:
        result["memory"] = memory(args.memory_frames)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "throughput.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"written: {out}")


if __name__ == "__main__":
    main()

"""Benchmark: what articulated people cost, against the rigid figures of before, in one run.

A street with 30 people (pedestrians and cyclists only, 640x480, the nuscenes_like rig's LiDAR, a 10-frame
sequence so walkers re-pose every frame) is sampled twice from the same seed: with skeletons
(``scene.people.articulated=true``, the default) and with the rigid figures (``false``). Timed
interleaved, so machine noise hits both alike:
- sampling: ``sample_scene`` (the articulated one builds every body's parts and box);
- camera: our pyrender backend's full frame (rgb, depth, instance, amodal) at each of the 10 frame times,
  and bare pyrender drawing the same posed parts (one node per part, posed by hand; one lit pass and one
  SEG pass), the raw engine's cost of the same geometry;
- labels: ``labels.annotate`` of a frame (the articulated scene's records carry keypoints);
- LiDAR: ``cast_lidar`` (one thread) of a sweep, and bare embreex casting the same rays against the posed
  world.

Prints a table of milliseconds and ratios and writes benchmarks/results/people.json.

Usage: .venv/bin/python benchmarks/bench_people.py [--repeats 3] [--scenes 2]
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

from assets.articulated import entity_parts, part_poses  # noqa: E402
from generator.config import compose_config  # noqa: E402
from generator.run.resources import PASSES  # noqa: E402
from generator.world.sampling import sample_scene  # noqa: E402
from labels import annotate  # noqa: E402
from renderers.pyrender import create_backend  # noqa: E402
from renderers.pyrender._gl import pyrender  # noqa: E402
from renderers.pyrender.geometry import gl_intrinsics  # noqa: E402
from renderers.raycast import cast_lidar, sweep_rays  # noqa: E402
from scenes.transforms import light_pose, opengl_from_opencv_pose  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
FRAMES = 10
PEOPLE = [
    "sensors=nuscenes_like",
    "camera.width=640",
    "camera.height=480",
    "scene.num_objects=30",
    "scene.categories={car:0.0,truck:0.0,bus:0.0,pedestrian:4.0,cyclist:1.0,traffic_cone:0.0,barrier:0.0}",
    f"scene.sequence.num_frames={FRAMES}",
]


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def configs() -> dict:
    return {
        "articulated": compose_config([*PEOPLE, "scene.people.articulated=true"]),
        "rigid": compose_config([*PEOPLE, "scene.people.articulated=false"]),
    }


class BarePyrender:
    """The scene's posed parts as a plain pyrender scene built by hand; ``pose(t)`` moves the parts."""

    def __init__(self, scene) -> None:
        env = scene.environment
        self.world = pyrender.Scene(bg_color=[*env.background, 1.0], ambient_light=env.ambient)
        self.seg_map, self.nodes = {}, []
        for entity in scene.entities:
            colour = entity.material.base_color
            for part, pose in zip(entity_parts(entity), part_poses(entity, 0.0), strict=True):
                material = pyrender.MetallicRoughnessMaterial(baseColorFactor=[*(part.color or colour), 1.0])
                node = self.world.add(pyrender.Mesh.from_trimesh(part.mesh, material=material, smooth=False), pose=pose)
                self.seg_map[node] = [entity.instance_id & 255, entity.instance_id >> 8, 0]
                self.nodes.append((entity, node))
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
        by_entity: dict[int, list] = {}
        for entity, node in self.nodes:
            by_entity.setdefault(id(entity), []).append(node)
        for entity in self.scene.entities:
            if len(entity.trajectory.times) > 1:
                for node, pose in zip(by_entity[id(entity)], part_poses(entity, t), strict=True):
                    self.world.set_pose(node, pose)
        cam = self.scene.rig.cameras[0]
        self.world.set_pose(self.camera, opengl_from_opencv_pose(self.scene.rig.world_from_sensor(cam, t)))
        renderer.render(self.world)
        renderer.render(self.world, flags=pyrender.RenderFlags.SEG, seg_node_map=self.seg_map)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scenes", type=int, default=2)
    args = parser.parse_args()
    cfgs = configs()
    kinds = list(cfgs)
    samples: dict[str, dict[str, list[float]]] = {
        k: {"sample": [], "frame": [], "labels": [], "lidar": []} for k in kinds
    }
    bare: dict[str, list[float]] = {"pyrender_frame": [], "embreex_sweep": []}
    scenes = {k: [sample_scene(cfgs[k], i) for i in range(args.scenes)] for k in kinds}
    people = {k: sum(1 for e in scenes[k][0].entities if e.category in ("pedestrian", "cyclist")) for k in kinds}
    parts = sum(len(entity_parts(e)) for e in scenes["articulated"][0].entities if e.skeleton is not None)
    backend = create_backend(PASSES)
    camera = scenes["articulated"][0].rig.cameras[0]
    lidar = scenes["articulated"][0].rig.lidars[0]
    renderer = pyrender.OffscreenRenderer(camera.width, camera.height)
    bare_worlds = [BarePyrender(s) for s in scenes["articulated"]]
    for k in kinds:  # warm-up: compile every scene (GL uploads, Embree worlds)
        for s in scenes[k]:
            backend.render(s, 0.0, camera.name)
            cast_lidar(s, lidar, 0.0)
    rays = []
    for s in scenes["articulated"]:
        sweep = sweep_rays(s, lidar, 0.0)
        channels = sweep.directions.shape[1]
        origins = np.ascontiguousarray(np.repeat(sweep.origins.astype(np.float32), channels, axis=0))
        rays.append((bare_world(s, 0.0), origins, np.ascontiguousarray(sweep.directions.reshape(-1, 3))))
    for _ in range(args.repeats):
        for i in range(args.scenes):
            for k in kinds:
                samples[k]["sample"].append(_timed(lambda k=k, i=i: sample_scene(cfgs[k], i)))
                scene = scenes[k][i]
                for frame in range(FRAMES):
                    t = scene.frame_time(frame)
                    result = None

                    def render(scene=scene, t=t):
                        nonlocal result
                        result = backend.render(scene, t, camera.name)

                    samples[k]["frame"].append(_timed(render))
                samples[k]["labels"].append(
                    _timed(lambda s=scene, r=result: annotate(s, FRAMES - 1, camera, r.instance, r.amodal, r.depth))
                )
                samples[k]["lidar"].append(_timed(lambda s=scene: cast_lidar(s, lidar, 0.0)))
            for frame in range(FRAMES):
                bare["pyrender_frame"].append(
                    _timed(lambda b=bare_worlds[i], t=frame / scenes["articulated"][i].fps: b.render(renderer, t))
                )
            world, origins, directions = rays[i]
            bare["embreex_sweep"].append(_timed(lambda w=world, o=origins, d=directions: w.run(o, d, output=1)))
    backend.close()
    renderer.delete()
    figures: dict = {"people_per_scene": people, "articulated_parts_per_scene": parts, "frames": FRAMES}
    for name, values in bare.items():
        figures[f"bare_{name}_ms"] = 1000 * statistics.median(values)
    for k in kinds:
        figures[k] = {what: 1000 * statistics.median(v) for what, v in samples[k].items()}
    a, r = figures["articulated"], figures["rigid"]
    figures["ratio_articulated_vs_rigid"] = {what: a[what] / r[what] for what in a}
    figures["ratio_articulated_vs_bare"] = {
        "frame": a["frame"] / figures["bare_pyrender_frame_ms"],
        "lidar": a["lidar"] / figures["bare_embreex_sweep_ms"],
    }
    print(f"street with {people['articulated']} people ({parts} body parts), 640x480, {lidar.preset} LiDAR")
    print(f"{'ms (median)':<14} {'articulated':>12} {'rigid':>8} {'x rigid':>8} {'bare':>8} {'x bare':>7}")
    bare_of = {"frame": figures["bare_pyrender_frame_ms"], "lidar": figures["bare_embreex_sweep_ms"]}
    for what in ("sample", "frame", "labels", "lidar"):
        b = bare_of.get(what)
        tail = f"{b:>8.1f} {a[what] / b:>7.2f}" if b else f"{'':>8} {'':>7}"
        print(f"{what:<14} {a[what]:>12.1f} {r[what]:>8.1f} {a[what] / r[what]:>8.2f} {tail}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "people.json").write_text(json.dumps(figures, indent=1))
    print(f"wrote {RESULTS / 'people.json'}")


if __name__ == "__main__":
    main()

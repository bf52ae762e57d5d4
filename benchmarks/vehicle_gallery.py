"""The vehicle gallery of the README: every body type in palette paint, pyrender (top) and Blender (bottom).

Sedan, hatchback, SUV, van, pickup, truck, bus and motorcycle (``assets.procedural.vehicles``), each drawn by
its sampler from seed 0 (cars redrawn until the body type comes up), painted by ``generator.world.paint``
from its own seed, on a grey ground in a row, seen from the front-left. Writes docs/vehicles.jpg.

Usage: .venv/bin/python benchmarks/vehicle_gallery.py [--width 1280] [--height 360] [--samples 32]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assets.procedural import get_procedural  # noqa: E402
from assets.procedural.vehicles import BODY_TYPES  # noqa: E402
from generator.world.paint import paint_material  # noqa: E402
from generator.world.pieces import size_of  # noqa: E402
from renderers.base import Pass  # noqa: E402
from scenes import AssetRef, Camera, Entity, Environment, Light, Material, Scene, SensorRig, Trajectory  # noqa: E402
from scenes.transforms import look_at, make_pose, rotation_z  # noqa: E402

LINEUP = [("car", body) for body in BODY_TYPES] + [("truck", None), ("bus", None), ("motorcycle", None)]


def lineup_scene(width: int, height: int) -> Scene:
    """The vehicles in a row along y, facing the camera's side (+x towards the camera's left-front)."""
    entities, y = [], 0.0
    for k, (name, body) in enumerate(LINEUP):
        seed = 0
        while body is not None and get_procedural(name).sample(np.random.default_rng(seed))["body"] != body:
            seed += 1
        ref = AssetRef("procedural", name, get_procedural(name).sample(np.random.default_rng(seed)))
        size = size_of(ref, 1.0)
        y -= size[1] / 2 + 0.6
        paint = paint_material(np.random.default_rng(100 + k))
        pose = make_pose(rotation_z(np.radians(25.0)), (0.0, y, size[2] / 2))
        entities.append(Entity(f"{name}{k}", k + 1, name, ref, size, Trajectory.static(pose), paint))
        y -= size[1] / 2 + 0.6 + (1.5 if name in ("truck", "bus") else 0.4)
    slab = AssetRef("procedural", "box", {"length": 300.0, "width": 300.0, "height": 0.1})
    ground = Entity("ground", 0, "road", slab, (300.0, 300.0, 0.1),
                    Trajectory.static(make_pose(np.eye(3), (0.0, y / 2, -0.05))),
                    Material(base_color=(0.25, 0.25, 0.25), roughness=0.9))  # fmt: skip
    centre = np.array([0.0, y / 2 + 1.0, 1.2])
    eye = centre + np.array([31.0, 4.0, 5.0])
    focal = width / (2 * np.tan(np.radians(56.0) / 2))
    K = np.array([[focal, 0.0, (width - 1) / 2], [0.0, focal, (height - 1) / 2], [0.0, 0.0, 1.0]])
    camera = Camera("cam", width, height, K, look_at(eye, centre), zfar=200.0)
    lights = [Light("sun", "directional", intensity=3.0, direction=(-0.4, 0.3, -0.85))]
    env = Environment(ambient=(0.35, 0.35, 0.38), background=(0.55, 0.7, 0.9))
    return Scene("gallery", 0, {}, 10.0, 1, [ground, *entities], lights, env, SensorRig(Trajectory.static(np.eye(4)),
                 [camera]))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--samples", type=int, default=32)
    args = parser.parse_args()
    import imageio.v2 as imageio

    from renderers.blender import create_backend as blender
    from renderers.pyrender import create_backend as pyrender

    scene = lineup_scene(args.width, args.height)
    with pyrender(frozenset({Pass.RGB})) as backend:
        top = backend.render(scene, 0.0).rgb
    with blender(frozenset({Pass.RGB}), samples=args.samples) as backend:
        bottom = backend.render(scene, 0.0).rgb
    out = ROOT / "docs" / "vehicles.jpg"
    imageio.imwrite(out, np.concatenate([top, bottom]), quality=85)
    print(out)


if __name__ == "__main__":
    main()

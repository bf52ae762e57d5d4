"""How often the per-pixel keypoint flag (labels.keypoints) agrees with a ray cast through the keypoint itself.

The flag reads the instance and depth passes at the keypoint's pixel, i.e. along the ray through that
pixel's centre, up to half a pixel beside the keypoint. The reference here casts the ray through the
keypoint's exact projection (tests/_pixel_cast.py: Embree, every entity's posed mesh) and calls the keypoint
visible when nothing lies in front of it by more than r + tol (``keypoint_radii``, ``depth_tolerance_m``).
Disagreement is sub-pixel sampling at silhouettes (ears seen from the front, a hand's edge), so it grows
with distance. Also tried: a tolerance wider by half a pixel's footprint (0.5 z / fx), and the rule "visible
when nothing nearer" without the id test.

Random people (height 1.0-1.95 m, build, stance, walking or standing, heading), two per scene, at 3-40 m
from a 640x480 camera with a 60 degree horizontal field of view.

Prints and writes benchmarks/results/keypoint_flags.json.
Usage: .venv/bin/python benchmarks/bench_keypoint_flags.py [--scenes 150]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _people import camera, person, scene  # noqa: E402
from _pixel_cast import PixelCastBackend, _cast  # noqa: E402

from assets.articulated import posed_mesh  # noqa: E402
from labels.keypoints import depth_tolerance_m, keypoint_visibility  # noqa: E402
from scenes.pose import world_keypoints
from scenes.skeleton import STANCES, keypoint_radii  # noqa: E402
from scenes.transforms import invert_pose, transform_points  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
DISTANCES = (3.0, 6.0, 12.0, 25.0, 40.0)


def main(num_scenes: int) -> dict:
    rng = np.random.default_rng(0)
    cam = camera(640, 480, 60.0)
    backend = PixelCastBackend()
    table = {d: {"keypoints": 0, "flag": 0, "wider_tol": 0, "no_id_test": 0, "flags": [0, 0, 0]} for d in DISTANCES}
    for k in range(num_scenes):
        dist = DISTANCES[k % len(DISTANCES)]
        people = [
            person(
                i + 1,
                (dist + rng.uniform(-1, 1), rng.uniform(-0.3, 0.3) * dist),
                rng.uniform(-np.pi, np.pi),
                rng.uniform(1.0, 1.95),
                float(rng.choice([0.0, 1.3, 3.0])),
                str(rng.choice(STANCES)),
                rng.uniform(),
                rng.uniform(0.8, 1.3),
            )
            for i in range(2)
        ]
        s = scene(people, eye=(0.0, 0.0, rng.uniform(0.8, 3.0)), target=(dist, 0.0, 1.0), cam=cam)
        t = 0.5
        result = backend.render(s, t)
        world_from_camera = s.rig.world_from_sensor(cam, t)
        camera_from_world = invert_pose(world_from_camera)
        meshes = [posed_mesh(e, t, "world") for e in people]
        row = table[dist]
        for e in people:
            points = transform_points(camera_from_world, world_keypoints(e.skeleton, e.trajectory, t)[0])
            radii = keypoint_radii(e.skeleton)
            tol = depth_tolerance_m(points[:, 2])
            buffers = (result.instance, result.depth)
            uv, flags, _ = keypoint_visibility(points, cam.K, cam.znear, radii, e.instance_id, *buffers)
            inside = flags > 0
            directions = (points / points[:, 2:]) @ world_from_camera[:3, :3].T
            _, hit = _cast(meshes, np.broadcast_to(world_from_camera[:3, 3], directions.shape), directions)
            reference = ~(hit < points[:, 2] - radii - tol)
            pixel = np.floor(uv[:, ::-1] + 0.5).astype(int)
            i, j = pixel[inside, 0], pixel[inside, 1]
            seen, ids = result.depth[i, j].astype(np.float64), result.instance[i, j]
            z, r, tl = points[inside, 2], radii[inside], tol[inside]
            wider = (ids == e.instance_id) & (seen >= z - r - tl - 0.5 * z / cam.K[0, 0])
            no_id = (seen == 0) | (seen >= z - r - tl)
            row["keypoints"] += int(inside.sum())
            row["flag"] += int(((flags[inside] == 2) == reference[inside]).sum())
            row["wider_tol"] += int((wider == reference[inside]).sum())
            row["no_id_test"] += int((no_id == reference[inside]).sum())
            for f in range(3):
                row["flags"][f] += int((flags == f).sum())
    summary = {
        f"{d:g} m": {
            "keypoints_in_image": v["keypoints"],
            "agreement_flag": round(v["flag"] / v["keypoints"], 4),
            "agreement_wider_tolerance": round(v["wider_tol"] / v["keypoints"], 4),
            "agreement_without_id_test": round(v["no_id_test"] / v["keypoints"], 4),
            "flags_0_1_2": v["flags"],
        }
        for d, v in table.items()
    }
    return {"scenes": num_scenes, "camera": "640x480, 60 deg", "by_distance": summary}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=150)
    report = main(parser.parse_args().scenes)
    print(json.dumps(report, indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "keypoint_flags.json").write_text(json.dumps(report, indent=2) + "\n")

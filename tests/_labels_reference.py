"""Digests of every label a native dataset holds, to show that a change to the engine's speed left the
labels as they were (issue 17: "for the same seed, instance maps, masks, boxes and 3D boxes equal today's").

``tests/data/labels_reference.json`` was written by :func:`main` from the code before the throughput work
(commit 876fb66); ``test_labels_unchanged`` regenerates the same runs and compares. Run this module as a
script only to record a deliberate change of the labels (and say why in the commit).
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from generator.config import compose_config
from generator.run.loop import run_generation

REFERENCE = Path(__file__).resolve().parent / "data" / "labels_reference.json"
COMMON = ["output.progress=false", "output.preview=false"]

# name -> overrides: stills, a sequence with LiDAR and flow, an intersection scenario, people, a tabletop
RUNS: dict[str, list[str]] = {
    "street_stills": ["num_scenes=3", "seed=11", "camera.width=640", "camera.height=480"],
    "street_sequence_kitti": ["num_scenes=1", "seed=12", "scene.sequence.num_frames=3", "sensors=kitti_like"],
    "pedestrian_crossing": ["num_scenes=1", "seed=14", "scenario=pedestrian_crossing"],
    "tabletop": ["scene=tabletop", "num_scenes=2", "seed=13"],
}

# per-object fields recorded one by one, so a failure names the field that moved
OBJECT_FIELDS = (
    "bbox_visible",
    "bbox_amodal",
    "visible_pixels",
    "unoccluded_pixels",
    "visibility",
    "truncation",
    "occlusion",
    "box3d_world",
    "box3d_camera",
    "keypoints",
)


def sha(data: bytes) -> str:
    """The first 80 bits of SHA-256, hex (enough to tell any change; keeps the reference file small)."""
    return hashlib.sha256(data).hexdigest()[:20]


def json_digest(value: Any) -> str:
    return sha(json.dumps(value, sort_keys=True).encode())


def array_digest(array: np.ndarray) -> str:
    """Digest of an array's dtype, shape and bytes (a decoded PNG: its pixels, not the file's encoding)."""
    array = np.ascontiguousarray(array)
    return sha(f"{array.dtype.str}{array.shape}".encode() + array.tobytes())


def frame_digests(frame_dir: Path) -> dict[str, Any]:
    """Every label file of one frame folder: labels.json (whole and per object), instance maps (decoded
    pixels), flow and range-sensor point arrays."""
    labels = json.loads((frame_dir / "labels.json").read_text())
    out: dict[str, Any] = {"labels.json": json_digest(labels), "objects": {}}
    for camera, objects in labels["objects"].items():
        for record in objects:
            key = f"{camera}/{record['instance_id']}"
            out["objects"][key] = {name: json_digest(record.get(name)) for name in OBJECT_FIELDS}
            out["objects"][key]["mask_rle"] = json_digest(record.get("mask_rle"))
    for path in sorted(frame_dir.iterdir()):
        if path.name.endswith(".instance.png"):
            out[path.name] = array_digest(np.asarray(Image.open(path)))
        elif path.name.endswith((".flow.npy", ".points.npy")):
            out[path.name] = array_digest(np.load(path, allow_pickle=False))
    return out


def dataset_digests(root: Path) -> dict[str, Any]:
    """Digests of every scene.json and frame of a native dataset, keyed by relative path."""
    out: dict[str, Any] = {}
    for scene_dir in sorted((root / "scenes").iterdir()):
        out[f"{scene_dir.name}/scene.json"] = json_digest(json.loads((scene_dir / "scene.json").read_text()))
        for frame_dir in sorted(p for p in scene_dir.iterdir() if p.is_dir()):
            out[f"{scene_dir.name}/{frame_dir.name}"] = frame_digests(frame_dir)
    return out


def generate_digests(name: str, workdir: Path) -> dict[str, Any]:
    """Run ``RUNS[name]`` into ``workdir`` and digest the dataset."""
    root = workdir / name
    run_generation(compose_config([*COMMON, f"output_dir={root}", *RUNS[name]]))
    return dataset_digests(root)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        reference = {name: generate_digests(name, Path(tmp)) for name in RUNS}
    REFERENCE.parent.mkdir(exist_ok=True)
    REFERENCE.write_text(json.dumps(reference, sort_keys=True) + "\n")
    print(f"written: {REFERENCE}", file=sys.stderr)


if __name__ == "__main__":
    main()

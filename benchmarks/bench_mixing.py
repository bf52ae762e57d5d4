"""Benchmark ``mixing.mix`` on two COCO sources with 100k annotations in all (figures, not pass/fail).

    .venv/bin/python benchmarks/bench_mixing.py [--images 10000] [--boxes 10] [--work DIR]

The sources: a "real" set (70% of the images, grouped by video_id) and a "synthetic" one (30%, grouped by
scene_id), both COCO. The image files are copies of one blank 640x480 PNG (distinct files: a mix
refuses one file reached twice, by inode): the importer reads each file's header (its size must match
the JSON) and its end (a file cut short is refused), and the boxes are what the mixer works on. The mix
writes COCO and YOLO (hard links) with synthetic_share 0.3 and a class cap. Prints seconds per stage
and peak resident memory (``ru_maxrss``), and writes ``benchmarks/results/mixing.json``. Target: under 30 s for the mix.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from mixing import mix

CLASSES = ["car", "truck", "pedestrian", "cyclist", "bus"]
RESULTS = Path(__file__).parent / "results" / "mixing.json"


def write_source(root: Path, n_images: int, boxes: int, group_key: str, group_size: int, seed: int) -> None:
    """A COCO source of ``n_images`` 640x480 images with ``boxes`` random boxes each."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True)
    pixel = root / "pixel.png"
    Image.new("RGB", (640, 480)).save(pixel)  # the size the JSON claims (the importer checks the header)
    data = pixel.read_bytes()
    images, annotations = [], []
    xy = rng.uniform(0, 560, size=(n_images, boxes, 2))
    wh = rng.uniform(2, 80, size=(n_images, boxes, 2))
    cats = rng.integers(1, len(CLASSES) + 1, size=(n_images, boxes))
    for i in range(n_images):
        group = i // group_size
        file_name = f"images/{group:04d}/{i:06d}.png"
        (root / file_name).parent.mkdir(parents=True, exist_ok=True)
        (root / file_name).write_bytes(data)
        images.append({"id": i + 1, "file_name": file_name, "width": 640, "height": 480, group_key: group})
        for k in range(boxes):
            x, y = xy[i, k]
            w, h = wh[i, k]
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": i + 1,
                    "category_id": int(cats[i, k]),
                    "bbox": [round(float(x), 2), round(float(y) * 0.8, 2), round(float(w), 2), round(float(h), 2)],
                    "area": round(float(w * h), 2),
                    "iscrowd": 0,
                }
            )
    pixel.unlink()
    categories = [{"id": k + 1, "name": name} for k, name in enumerate(CLASSES)]
    (root / "annotations.json").write_text(
        json.dumps({"images": images, "annotations": annotations, "categories": categories})
    )


def bare_pycocotools_s(files: list[Path]) -> float:
    """Seconds for pycocotools.coco.COCO to load and index the annotation files (its prints silenced)."""
    import contextlib
    import io

    from pycocotools.coco import COCO

    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        for path in files:
            COCO(str(path))
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10_000, help="images over both sources")
    parser.add_argument("--boxes", type=int, default=10, help="boxes per image")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_mixing_", dir=args.work))
    try:
        n_real = int(args.images * 0.7)
        t0 = time.perf_counter()
        write_source(work / "real", n_real, args.boxes, "video_id", 100, seed=0)
        write_source(work / "synth", args.images - n_real, args.boxes, "scene_id", 20, seed=1)
        setup_s = time.perf_counter() - t0
        config = {
            "sources": [
                {"name": "real", "path": str(work / "real"), "format": "coco", "role": "real", "group_by": "video_id"},
                {"name": "synth", "path": str(work / "synth"), "format": "coco", "role": "synthetic",
                 "group_by": "scene_id"},
            ],
            "taxonomy": {"classes": CLASSES},
            "synthetic_share": 0.3,
            "class_caps": {"bus": 19_000},
            "filters": {"min_box_px": 4},
            "output": {"path": str(work / "mixed"), "formats": ["coco", "yolo"], "link": "hardlink"},
        }  # fmt: skip
        t0 = time.perf_counter()
        result = mix(config)
        total_s = time.perf_counter() - t0
        # the raw library on the same files, same run: pycocotools parsing and indexing both sources
        # (no path checks, no records): what our import stage costs on top of it
        bare_s = bare_pycocotools_s([work / "real" / "annotations.json", work / "synth" / "annotations.json"])
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes
        images = sum(sum(r.values()) for r in result.images.values())
        instances = sum(sum(c.values()) for s in result.instances.values() for c in s.values())
        figures = {
            "annotations_in": args.images * args.boxes,
            "images_in": args.images,
            "images_out": images,
            "instances_out": instances,
            "synthetic_share": result.synthetic_share,
            "setup_s": round(setup_s, 2),
            "mix_s": round(total_s, 2),
            "stage_s": {k: round(v, 3) for k, v in result.seconds.items()},
            "bare_pycocotools_load_s": round(bare_s, 3),
            "import_vs_pycocotools": round(result.seconds["import"] / bare_s, 2),
            "peak_rss_mb": round(peak_mb, 1),
            "cpu": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for key, value in figures.items():
        print(f"{key:>16}: {value}")
    print(f"target < 30 s for the mix: {'met' if figures['mix_s'] < 30 else 'MISSED'}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()

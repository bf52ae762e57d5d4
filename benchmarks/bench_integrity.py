"""Benchmark of the dataset integrity checks a resume, `validate` and `export` run (formats/native.py):
per frame of a 1920x1080 dataset (rgb, depth, instance, flow, labels, scene.json), in the same run:

- the size-only check (one stat per file) and the full check (sizes and SHA-256 of every file, on a few
  threads, as ``complete_frames`` runs it), against bare hashlib reading and hashing the same files on
  one thread and bare reading them without hashing;
- what the checksums cost when writing: hashing a frame's encoded bytes, against encoding them (PNG, npy).

Figures are medians of ``--repeats`` passes over the dataset, from the page cache (a cold disk is limited
by its read speed instead). Prints and writes benchmarks/results/integrity.json.

Usage: .venv/bin/python benchmarks/bench_integrity.py [--scenes 2] [--frames 4] [--repeats 5]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from formats import atomic
from formats.native import complete_frames, frame_files, read_manifest
from generator.config import compose_config
from generator.run.loop import run_generation

RESULTS = Path(__file__).resolve().parent / "results"


def _median_s(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=2)
    parser.add_argument("--frames", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ds"
        cfg = compose_config(
            [
                "renderer=fake",
                "camera.width=1920",
                "camera.height=1080",
                f"num_scenes={args.scenes}",
                f"scene.sequence.num_frames={args.frames}",
                "output.flow=true",
                "output.preview=false",
                "output.progress=false",
                f"output_dir={root}",
            ]
        )
        run_generation(cfg)
        records = read_manifest(root)
        paths = [root / rel for rec in records for rel in frame_files(rec)]
        frames = len(records)
        megabytes = sum(p.stat().st_size for p in paths) / frames / 1e6

        def bare_hash() -> None:
            for path in paths:
                with open(path, "rb") as fh:
                    hashlib.file_digest(fh, "sha256")

        def bare_read() -> None:
            for path in paths:
                path.read_bytes()

        bare_read()  # warm the page cache
        per_frame_ms = {
            "size_only_check": _median_s(lambda: complete_frames(root, verify=False), args.repeats),
            "full_check": _median_s(lambda: complete_frames(root), args.repeats),
            "bare_hashlib_one_thread": _median_s(bare_hash, args.repeats),
            "bare_read": _median_s(bare_read, args.repeats),
        }
        per_frame_ms = {k: 1000 * v / frames for k, v in per_frame_ms.items()}
        assert len(complete_frames(root)) == frames  # the checks passed every frame

        rgb = np.random.default_rng(0).integers(0, 256, (1080, 1920, 3), np.uint8)
        depth = np.random.default_rng(1).random((1080, 1920), np.float32)
        encoded = [atomic.encode_png(rgb), atomic.encode_npy(depth)]
        encode_ms = 1000 * _median_s(lambda: (atomic.encode_png(rgb), atomic.encode_npy(depth)), args.repeats)
        hash_ms = 1000 * _median_s(lambda: [hashlib.sha256(b).digest() for b in encoded], args.repeats)

    results = {
        "frames": frames,
        "megabytes_per_frame": round(megabytes, 1),
        "per_frame_ms": {k: round(v, 2) for k, v in per_frame_ms.items()},
        "full_check_over_bare_hashlib": round(per_frame_ms["full_check"] / per_frame_ms["bare_hashlib_one_thread"], 2),
        "full_check_over_bare_read": round(per_frame_ms["full_check"] / per_frame_ms["bare_read"], 2),
        "write_rgb_depth_ms": {"encode": round(encode_ms, 1), "sha256_of_encoded": round(hash_ms, 1)},
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "integrity.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

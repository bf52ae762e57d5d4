"""The training masks ultralytics makes of YOLO segmentation labels, with its own code.

    python ultralytics_masks.py LABELS_DIR WIDTH HEIGHT OUT.npz

ultralytics cannot be imported here (it needs torch), so its functions are taken from its installed
source as written: ``polygon2mask`` (ultralytics/data/utils.py) and ``resample_segments``
(ultralytics/utils/ops.py), run with numpy and cv2. Each label file is read as its ``verify_image_label``
reads it (rows split on spaces, the points after the class as float32 pairs), segments are resampled as
``YOLODataset.update_labels_info`` does (1000 points, more for longer ones) and denormalized by the image
size as ``Instances.denormalize`` does (float32 multiplication), then rasterized at ``downsample_ratio``
1. Writes OUT.npz with, per label file stem, "<stem>/direct" (the masks of the segments as written) and
"<stem>/resampled" (after resampling), each (n, HEIGHT, WIDTH) uint8, and prints {"files": count,
"ultralytics": version}.
"""

from __future__ import annotations

import ast
import json
import sys
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path

import cv2
import numpy as np


def ultralytics_function(module: str, name: str):
    """The function ``name`` of ultralytics' installed ``module`` (a dotted path), compiled from its source."""
    spec = find_spec("ultralytics")
    source_path = Path(spec.submodule_search_locations[0]).joinpath(*module.split(".")[1:]).with_suffix(".py")
    source = source_path.read_text()
    node = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == name)
    namespace = {"np": np, "cv2": cv2}
    text = "from __future__ import annotations\n" + ast.get_source_segment(source, node)
    exec(compile(text, str(source_path), "exec"), namespace)
    return namespace[name]


def main(labels: Path, width: int, height: int, out: Path) -> dict:
    polygon2mask = ultralytics_function("ultralytics.data.utils", "polygon2mask")
    resample_segments = ultralytics_function("ultralytics.utils.ops", "resample_segments")
    arrays = {}
    files = sorted(labels.glob("*.txt"))
    for path in files:
        rows = [x.split() for x in path.read_text().strip().splitlines() if len(x)]
        segments = [np.array(x[1:], dtype=np.float32).reshape(-1, 2) for x in rows]
        size = np.array([width, height], dtype=np.float32)
        direct = [polygon2mask((height, width), [(s * size).reshape(-1)]) for s in segments]
        resampled = []
        if segments:
            longest = max(len(s) for s in segments)
            n = (longest + 1) if 1000 < longest else 1000  # update_labels_info's segment_resamples
            for s in resample_segments([s.copy() for s in segments], n=n):
                resampled.append(polygon2mask((height, width), [(s * size).reshape(-1)]))
        empty = np.zeros((0, height, width), np.uint8)
        arrays[f"{path.stem}/direct"] = np.stack(direct) if direct else empty
        arrays[f"{path.stem}/resampled"] = np.stack(resampled) if resampled else empty
    np.savez_compressed(out, **arrays)
    return {"files": len(files), "ultralytics": metadata.version("ultralytics")}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]))))

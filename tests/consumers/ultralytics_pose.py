"""A YOLO pose export read by ultralytics' own label check, ``verify_image_label``.

    python ultralytics_pose.py EXPORT_DIR

ultralytics cannot be imported here (it needs torch), so its functions are taken from its installed
source as written: ``verify_image_label``, ``check_image`` and ``exif_size`` and the format constants
(ultralytics/data/utils.py), run with numpy, cv2 and PIL. Every image of EXPORT_DIR/images/<split>/ is
checked with its label file as a pose dataset's loader checks it (``keypoint=True``, the class count of
data.yaml's names, ``nkpt, ndim`` = data.yaml's ``kpt_shape``). Prints {"ultralytics": version, "yaml":
data.yaml as read, "labels": {stem: {"classes", "boxes" (n, 4) normalized xywh, "keypoints" (n, nkpt,
ndim), "counts" [missing, found, empty, corrupt], "message"}}}.
"""

from __future__ import annotations

import ast
import json
import os
import sys
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path

import cv2
import numpy as np
import yaml
from PIL import Image, ImageOps

FUNCTIONS = ("exif_size", "check_image", "verify_image_label")
CONSTANTS = ("HELP_URL", "IMG_FORMATS", "VID_FORMATS", "FORMATS_HELP_MSG")


def ultralytics_namespace(module: str) -> dict:
    """The FUNCTIONS and CONSTANTS of ultralytics' installed ``module`` (a dotted path), compiled from its
    source into one namespace (so they call each other as they do there)."""
    spec = find_spec("ultralytics")
    source_path = Path(spec.submodule_search_locations[0]).joinpath(*module.split(".")[1:]).with_suffix(".py")
    source = source_path.read_text()
    namespace = {"np": np, "cv2": cv2, "os": os, "Image": Image, "ImageOps": ImageOps}
    nodes = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name in FUNCTIONS:
            nodes.append(node)
        elif isinstance(node, ast.Assign) and any(getattr(t, "id", None) in CONSTANTS for t in node.targets):
            nodes.append(node)
    text = "from __future__ import annotations\n" + "\n".join(ast.get_source_segment(source, n) for n in nodes)
    exec(compile(text, str(source_path), "exec"), namespace)
    return namespace


def main(export: Path) -> dict:
    verify_image_label = ultralytics_namespace("ultralytics.data.utils")["verify_image_label"]
    data = yaml.safe_load((export / "data.yaml").read_text())
    nkpt, ndim = data["kpt_shape"]
    labels = {}
    for image in sorted(export.glob("images/*/*.png")):
        label = export / "labels" / image.parent.name / f"{image.stem}.txt"
        args = (str(image), str(label), "", True, len(data["names"]), nkpt, ndim, False)
        _, lb, _, _, keypoints, nm, nf, ne, nc, msg = verify_image_label(args)
        labels[image.stem] = {
            "classes": None if lb is None else lb[:, 0].astype(int).tolist(),
            "boxes": None if lb is None else lb[:, 1:].tolist(),
            "keypoints": None if keypoints is None else keypoints.tolist(),
            "counts": [nm, nf, ne, nc],
            "message": msg,
        }
    return {"ultralytics": metadata.version("ultralytics"), "yaml": data, "labels": labels}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))

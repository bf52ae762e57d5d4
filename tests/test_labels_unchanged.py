"""The labels of fixed-seed runs equal those the code produced before the throughput work (issue 17).

``tests/data/labels_reference.json`` holds digests of every label of four runs (street stills at 640x480,
a KITTI-rig sequence with LiDAR and optical flow, an intersection scenario with people, tabletop scenes),
written from commit 876fb66 by ``tests/_labels_reference.py``. Each run is regenerated here and every
scene.json, labels.json (whole, and per object field by field), instance map, flow field and point cloud
must digest the same. RGB is not compared: it is not a label.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from _labels_reference import REFERENCE, RUNS, generate_digests

pytestmark = pytest.mark.gl


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Paths (``scene/frame/file`` or ``.../objects/camera/id/field``) whose digests differ or are missing."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = []
        for key in sorted(set(expected) | set(actual)):
            sub = f"{path}/{key}" if path else key
            if key not in actual:
                out.append(f"{sub}: missing")
            elif key not in expected:
                out.append(f"{sub}: unexpected")
            else:
                out += differences(expected[key], actual[key], sub)
        return out
    return [] if expected == actual else [f"{path}: digest differs"]


@pytest.mark.parametrize("name", sorted(RUNS))
def test_labels_equal_pre_change_reference(name: str, tmp_path) -> None:
    reference = json.loads(REFERENCE.read_text())[name]
    actual = generate_digests(name, tmp_path)
    diff = differences(reference, actual)
    assert not diff, f"{len(diff)} label digests changed, e.g.:\n" + "\n".join(diff[:15])


def test_a_moved_label_is_detected() -> None:
    """The comparison itself: one object's box digest changed is reported by its path."""
    reference = json.loads(REFERENCE.read_text())["tabletop"]
    edited = json.loads(json.dumps(reference))
    frame = next(key for key in edited if not key.endswith("scene.json"))
    obj = next(iter(edited[frame]["objects"]))
    edited[frame]["objects"][obj]["bbox_visible"] = "0" * 20
    assert differences(reference, edited) == [f"{frame}/objects/{obj}/bbox_visible: digest differs"]

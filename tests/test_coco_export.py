"""COCO export from pyrender-rendered datasets: masks, boxes and areas are exact; pycocotools agrees."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from formats.native import NativeDataset

pytestmark = pytest.mark.gl


@pytest.fixture(params=["street_dataset", "tabletop_dataset"])
def dataset_root(request):
    return request.getfixturevalue(request.param)


def _load(root):
    return json.loads((root / "exports/coco/annotations.json").read_text())


def test_every_annotation_mask_equals_instance_pixels(dataset_root):
    coco = _load(dataset_root)
    ds = NativeDataset(dataset_root)
    images = {im["id"]: im for im in coco["images"]}
    assert coco["annotations"], "the dataset should have visible objects"
    for ann in coco["annotations"]:
        im = images[ann["image_id"]]
        instance = ds.instance(im["scene_id"], im["frame"], im["sensor"])
        rle = dict(ann["segmentation"], counts=ann["segmentation"]["counts"].encode())
        mask = mask_utils.decode(rle).astype(bool)
        np.testing.assert_array_equal(mask, instance == ann["track_id"])  # track_id is the instance id
        cols, rows = np.flatnonzero(mask.any(0)), np.flatnonzero(mask.any(1))
        assert ann["bbox"] == [cols[0], rows[0], cols[-1] - cols[0] + 1, rows[-1] - rows[0] + 1]
        assert ann["area"] == int(mask.sum()) == int(mask_utils.area(rle))
        assert ann["iscrowd"] == 0
        assert (dataset_root / im["file_name"]).is_file()


def test_every_visible_instance_is_annotated_once(dataset_root):
    coco = _load(dataset_root)
    ds = NativeDataset(dataset_root)
    for im in coco["images"]:
        ids = set(np.unique(ds.instance(im["scene_id"], im["frame"], im["sensor"])).tolist()) - {0}
        anns = [a["track_id"] for a in coco["annotations"] if a["image_id"] == im["id"]]
        assert sorted(anns) == sorted(ids)


def test_categories_come_from_dataset_json(dataset_root):
    coco = _load(dataset_root)
    # the categories of articulated people also get COCO's keypoint names and skeleton (test_keypoint_exports)
    with_keypoints = {a["category_id"] for a in coco["annotations"] if "keypoints" in a}
    plain = [{k: v for k, v in c.items() if k not in ("keypoints", "skeleton")} for c in coco["categories"]]
    assert plain == NativeDataset(dataset_root).categories
    assert {c["id"] for c in coco["categories"] if "keypoints" in c} == with_keypoints
    names = {c["id"]: c["name"] for c in coco["categories"]}
    for ann in coco["annotations"]:
        assert ann["category_id"] in names


def test_pycocotools_loads_and_self_evaluation_gives_ap_1(dataset_root, tmp_path):
    gt = COCO(str(dataset_root / "exports/coco/annotations.json"))
    detections = [
        {
            "image_id": a["image_id"],
            "category_id": a["category_id"],
            "segmentation": a["segmentation"],
            "bbox": a["bbox"],
            "score": 1.0,
        }
        for a in gt.dataset["annotations"]
    ]
    for iou_type in ("bbox", "segm"):
        dt = gt.loadRes(detections)
        ev = COCOeval(gt, dt, iou_type)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
        assert ev.stats[0] == pytest.approx(1.0)

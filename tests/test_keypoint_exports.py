"""People's keypoints in the COCO and YOLO pose exports: COCO's keypoints as labels.json has them, COCOeval's
keypoint evaluation of the ground truth against itself (AP 1), the YOLO pose rows as ultralytics' own COCO
converter makes them of our COCO file, and exports of datasets without people unchanged. The datasets are
hand-built scenes ray cast on the run's frame path (tests/_people.py); ultralytics' own label check of the
pose export is in test_consumers.py."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from _people import box, cyclist, generated_streets, person, scene, street_of_people, write_dataset
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from formats.coco import build_coco
from formats.exporters import get_exporter
from formats.native import DatasetError, NativeDataset
from scenes import AssetRef, Entity, Trajectory
from scenes.skeleton import COCO_FLIP_INDEX, COCO_KEYPOINTS, COCO_SKELETON
from scenes.transforms import make_pose

PEOPLE = ["pedestrian", "cyclist"]


def _rigid_pedestrian(iid: int) -> Entity:
    """A pedestrian of a scene made before people had skeletons: the rigid figure, no keypoints."""
    params = {"height": 1.7, "shoulder_width": 0.45, "torso_depth": 0.22}
    pose = make_pose(np.eye(3), (7.0, -2.0, 0.85))
    return Entity("rigid", iid, "pedestrian", AssetRef("procedural", "pedestrian", params), (0.3, 0.45, 1.7),
                  Trajectory.static(pose))  # fmt: skip


@pytest.fixture(scope="module")
def people_dataset(tmp_path_factory) -> Path:
    """Four street-like scenes of two frames with walkers, standers, a cyclist, a box and a wall, and a
    rigid pedestrian in the first, and two generated street scenes, exported to COCO and YOLO pose."""
    rng = np.random.default_rng(7)
    scenes = [street_of_people(rng, i) for i in range(4)]
    scenes[0].entities.append(_rigid_pedestrian(20))
    scenes += generated_streets(2, seed=5)
    root = write_dataset(tmp_path_factory.mktemp("people") / "ds", scenes)
    get_exporter("coco")(root)
    get_exporter("yolo_pose")(root)
    return root


def _coco(root: Path) -> dict:
    return json.loads((root / "exports/coco/annotations.json").read_text())


def test_coco_keypoints_are_the_labels_keypoints(people_dataset):
    coco = _coco(people_dataset)
    categories = {c["id"]: c for c in coco["categories"]}
    for c in categories.values():
        if c["name"] in PEOPLE:
            assert c["keypoints"] == list(COCO_KEYPOINTS) and c["skeleton"] == [list(p) for p in COCO_SKELETON]
        else:
            assert "keypoints" not in c and "skeleton" not in c
    images = {im["id"]: im for im in coco["images"]}
    dataset = NativeDataset(people_dataset)
    checked = set()
    for ann in coco["annotations"]:
        name = categories[ann["category_id"]]["name"]
        if name not in PEOPLE:
            assert "keypoints" not in ann and "num_keypoints" not in ann
            continue
        im = images[ann["image_id"]]
        labels = dataset.labels(im["scene_id"], im["frame"])
        (obj,) = [o for o in labels["objects"][im["sensor"]] if o["instance_id"] == ann["track_id"]]
        flat = np.array(ann["keypoints"], np.float64).reshape(17, 3)
        assert ann["num_keypoints"] == int((flat[:, 2] > 0).sum())
        if "keypoints" not in obj:  # the rigid pedestrian: zeros
            assert (im["scene_id"], ann["track_id"]) == ("people000", 20) and not flat.any()
            checked.add("rigid")
            continue
        assert ann["num_keypoints"] == obj["num_keypoints"]
        ours = np.array(obj["keypoints"], np.float64)
        labelled = ours[:, 2] > 0
        np.testing.assert_array_equal(flat[labelled], ours[labelled])  # (u, v) unchanged: pixel indices
        assert not flat[~labelled].any()  # COCO's unlabelled keypoint: 0, 0, 0
        checked |= {name, "hidden" if (ours[:, 2] == 1).any() else "all visible"}
        checked |= {"outside"} if (~labelled).any() else set()
    assert checked >= {"pedestrian", "cyclist", "rigid", "hidden", "outside"}


def test_cocoeval_keypoints_of_the_ground_truth_against_itself_is_ap_1(people_dataset):
    path = people_dataset / "exports/coco/annotations.json"
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(path))
        people = [a for a in gt.dataset["annotations"] if "keypoints" in a]
        detections = [
            {"image_id": a["image_id"], "category_id": a["category_id"], "keypoints": a["keypoints"], "score": 1.0}
            for a in people
            if a["num_keypoints"] > 0
        ]
        dt = gt.loadRes(detections)
        evaluation = COCOeval(gt, dt, iouType="keypoints")
        # the people's categories only, as COCO's own keypoint files hold only people (COCO's keypoint
        # demo sets catIds too); the others have no keypoints to compare
        evaluation.params.catIds = sorted({a["category_id"] for a in people})
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    assert len(detections) > 20
    ap, ap50, ap75 = evaluation.stats[:3]
    ar = evaluation.stats[5]
    assert (ap, ap50, ap75, ar) == (1.0, 1.0, 1.0, 1.0)


def _converted(coco: dict) -> dict[str, list[list[float]]]:
    """Our COCO file through the rule of ultralytics' ``convert_coco(use_keypoints=True)``
    (ultralytics/data/converter.py): per image, rows [cls, cx, cy, w, h, x1 / w, y1 / h, v1, ...] of the
    annotations with a labelled keypoint, the box's centre from the COCO box; cls = the annotation's
    category's index among the pose classes (our yolo_pose names)."""
    images = {im["id"]: im for im in coco["images"]}
    names = {c["id"]: c["name"] for c in coco["categories"]}
    rows: dict[str, list] = {}
    for ann in coco["annotations"]:
        if not any(ann.get("keypoints", [])[2::3]):
            continue
        im = images[ann["image_id"]]
        w, h = im["width"], im["height"]
        b = np.array(ann["bbox"], np.float64)
        b[:2] += b[2:] / 2
        b[[0, 2]] /= w
        b[[1, 3]] /= h
        kp = (np.array(ann["keypoints"]).reshape(-1, 3) / np.array([w, h, 1])).reshape(-1)
        stem = f"{im['scene_id']}_{im['frame']:06d}_{im['sensor']}"
        rows.setdefault(stem, []).append([names[ann["category_id"]], *b, *kp])
    return rows


def test_yolo_pose_rows_are_ultralytics_conversion_of_our_coco(people_dataset):
    out = people_dataset / "exports/yolo_pose"
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert data["kpt_shape"] == [17, 3] and data["flip_idx"] == list(COCO_FLIP_INDEX)
    assert data["names"] == {0: "pedestrian", 1: "cyclist"}  # the pose classes only: no box
    assert data["kpt_names"] == {0: list(COCO_KEYPOINTS), 1: list(COCO_KEYPOINTS)}
    expected = _converted(_coco(people_dataset))
    classes = ["pedestrian", "cyclist"]
    compared = 0
    for label in sorted(out.glob("labels/*/*.txt")):
        assert (out / "images" / label.parent.name / f"{label.stem}.png").is_file()
        rows = [line.split() for line in label.read_text().splitlines()]
        want = expected.get(label.stem, [])
        assert len(rows) == len(want), label.name
        for row, ref in zip(rows, want, strict=True):
            assert len(row) == 5 + 17 * 3 and classes[int(row[0])] == ref[0]
            values = np.array(row[1:], np.float64)
            ref_values = np.array(ref[1:], np.float64)
            # ultralytics' rule unclipped, ours clipped to [0, 1]: they differ only by a keypoint up to
            # half a pixel before the first column or row (none here is)
            np.testing.assert_allclose(values, np.clip(ref_values, 0.0, None), rtol=0, atol=5.0001e-7)  # 6 decimals
            compared += 1
    assert compared == sum(len(v) for v in expected.values()) > 20


def test_exports_of_a_dataset_without_people_have_no_keypoints(tmp_path):
    root = write_dataset(tmp_path / "ds", [scene([box(1, (6.0, 0.0, 0.5), (1.0, 1.0, 1.0))])])
    coco = build_coco(NativeDataset(root))
    assert coco["categories"] == NativeDataset(root).categories
    assert "keypoints" not in json.dumps(coco)
    # the pose export of a dataset without a person: no pose class, refused in one line
    with pytest.raises(DatasetError, match="no person with keypoints"):
        get_exporter("yolo_pose")(root)


def test_a_cyclist_entering_the_image_front_wheel_first_has_no_keypoint_to_train_on(tmp_path):
    # riding towards the image's right (world -y) from beyond its left edge: only the front wheel shows,
    # every keypoint of the rider is outside. COCO keeps the annotation with v = 0 throughout (COCOeval
    # ignores it: num_keypoints 0); the YOLO pose export has no row for it (ultralytics' converter skips it)
    root = write_dataset(tmp_path / "ds", [scene([cyclist(1, (6.0, 4.0), -np.pi / 2), person(2, (8.0, 0.0), np.pi)])])
    (obj, _) = NativeDataset(root).labels("people", 0)["objects"]["cam"]
    assert obj["visible_pixels"] > 50 and obj["num_keypoints"] == 0
    coco = build_coco(NativeDataset(root))
    (ann,) = [a for a in coco["annotations"] if a["track_id"] == 1]
    assert ann["num_keypoints"] == 0 and ann["keypoints"] == [0] * 51
    get_exporter("yolo_pose")(root)
    (label,) = (root / "exports/yolo_pose/labels").glob("*/*.txt")
    (row,) = label.read_text().splitlines()  # the pedestrian's only
    assert row.startswith("0 ") and yaml.safe_load((label.parents[2] / "data.yaml").read_text())["names"] == {
        0: "pedestrian"
    }


def test_preview_draws_the_skeleton_with_visible_dots_white_and_hidden_ones_dark():
    from formats.preview import draw_frame

    keypoints = [[0.0, 0.0, 0]] * 17
    keypoints[5] = [10.0, 10.0, 2]  # left shoulder, visible
    keypoints[7] = [40.0, 10.0, 1]  # left elbow, hidden: COCO's bone (6, 8) joins the two
    keypoints[9] = [40.0, 40.0, 0]  # left wrist outside: no bone to it
    obj = {"instance_id": 3, "category": "pedestrian", "visible": False, "bbox_amodal": None}
    image = np.asarray(draw_frame(np.zeros((60, 60, 3), np.uint8), [dict(obj, keypoints=keypoints, num_keypoints=2)]))
    lit = image.any(axis=2)
    assert lit[10, 20:30].all()  # the bone between shoulder and elbow
    assert (image[10, 10] == 255).all() and not lit[10, 40]  # a white dot, a dark one
    assert not lit[15:, 38:43].any()  # nothing toward the wrist
    bare = np.asarray(draw_frame(np.zeros((60, 60, 3), np.uint8), [dict(obj, keypoints=keypoints, num_keypoints=0)]))
    assert not bare.any()


def _real_people_coco(root: Path, images: int = 20) -> Path:
    """A small real COCO person-keypoints set: 64x48 PNGs with one labelled person each (COCO's keypoint
    names on the category, some keypoints not labelled)."""
    from PIL import Image

    root.mkdir(parents=True)
    rng = np.random.default_rng(0)
    records, annotations = [], []
    for i in range(images):
        Image.new("RGB", (64, 48), (i * 10 % 256, 40, 90)).save(root / f"im{i:02d}.png")
        records.append({"id": i + 1, "file_name": f"im{i:02d}.png", "width": 64, "height": 48})
        flat = []
        for k in range(17):
            v = int(rng.integers(0, 3)) if k else 2
            flat += [0, 0, 0] if v == 0 else [float(rng.uniform(10, 40)), float(rng.uniform(5, 40)), v]
        box = [8.0, 4.0, 40.0, 40.0]
        ann = {"id": i + 1, "image_id": i + 1, "category_id": 1, "bbox": box, "area": 1600.0, "iscrowd": 0}
        annotations.append({**ann, "keypoints": flat, "num_keypoints": sum(v > 0 for v in flat[2::3])})
    person = {
        "id": 1,
        "name": "person",
        "keypoints": list(COCO_KEYPOINTS),
        "skeleton": [list(p) for p in COCO_SKELETON],
    }
    (root / "annotations.json").write_text(
        json.dumps({"images": records, "annotations": annotations, "categories": [person]})
    )
    return root


def test_a_mix_keeps_every_persons_keypoints(people_dataset, tmp_path):
    """Mixing real COCO person keypoints with the synthetic people: every mixed person carries the
    keypoints of its source (the native COCO export's for synthetic ones), the categories COCO's names
    and skeleton, and COCOeval's keypoint evaluation of the mix against itself is AP 1."""
    from mixing import mix

    real = _real_people_coco(tmp_path / "real")
    out = tmp_path / "mixed"
    mix({
        "sources": [
            {"name": "real", "path": str(real), "format": "coco", "role": "real"},
            {"name": "synth", "path": str(people_dataset), "format": "native", "role": "synthetic"},
        ],
        "taxonomy": {"classes": PEOPLE, "map": {"real": {"person": "pedestrian"}}, "unmapped": "drop"},
        "synthetic_share": 0.3,
        "splits": {"train": 0.6, "val": 0.2, "test": 0.2},
        "output": {"path": str(out), "formats": ["coco"], "link": "copy"},
        "seed": 0,
    })  # fmt: skip
    source_coco = json.loads((real / "annotations.json").read_text())
    real_keypoints = {
        im["file_name"]: a["keypoints"] for im, a in zip(source_coco["images"], source_coco["annotations"], strict=True)
    }
    native = _coco(people_dataset)
    native_file = {im["id"]: im["file_name"] for im in native["images"]}
    native_keypoints = {
        (native_file[a["image_id"]], a["track_id"]): a["keypoints"] for a in native["annotations"] if "keypoints" in a
    }
    rows = {
        r["file_name"]: r for r in (json.loads(line) for line in (out / "provenance.jsonl").read_text().splitlines())
    }
    synthetic_checked = 0
    for split in ("train", "val", "test"):
        coco = json.loads((out / f"annotations/{split}.json").read_text())
        with_keypoints = {a["category_id"] for a in coco["annotations"]}  # every annotation is a person's
        assert {c["name"] for c in coco["categories"] if c["id"] in with_keypoints} >= {"pedestrian"}
        for c in coco["categories"]:
            names = c.get("keypoints") == list(COCO_KEYPOINTS) and c.get("skeleton") == [list(p) for p in COCO_SKELETON]
            assert names if c["id"] in with_keypoints else "keypoints" not in c
        images = {im["id"]: rows[im["file_name"]] for im in coco["images"]}
        for ann in coco["annotations"]:
            row = images[ann["image_id"]]
            if row["role"] == "real":
                assert ann["keypoints"] == real_keypoints[row["original_path"]]
            else:
                assert ann["keypoints"] == native_keypoints[(row["original_path"], ann["track_id"])]
                synthetic_checked += 1
            assert ann["num_keypoints"] == sum(v > 0 for v in ann["keypoints"][2::3])
    assert synthetic_checked > 0
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(out / "annotations/train.json"))
        people = [a for a in gt.dataset["annotations"] if a["num_keypoints"] > 0]
        dt = gt.loadRes([{"image_id": a["image_id"], "category_id": a["category_id"], "keypoints": a["keypoints"],
                          "score": 1.0} for a in people])  # fmt: skip
        evaluation = COCOeval(gt, dt, iouType="keypoints")
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    assert evaluation.stats[0] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("keypoints", "message"),
    [
        ([1.0, 2.0, 2] * 16, "expected 51 numbers"),
        ([1.0, 2.0, 3] * 17, "v must be 0, 1 or 2"),
        (["left", 1, 2] * 17, ""),
    ],
)
def test_bad_real_keypoints_are_a_one_line_error_naming_the_annotation(tmp_path, keypoints, message):
    from formats.import_coco import import_coco
    from formats.untrusted import AnnotationError

    root = _real_people_coco(tmp_path / "real", images=2)
    data = json.loads((root / "annotations.json").read_text())
    data["annotations"][1]["keypoints"] = keypoints
    (root / "annotations.json").write_text(json.dumps(data))
    with pytest.raises(AnnotationError, match=r"annotations\[1\] keypoints") as error:
        import_coco(root)
    assert message in str(error.value) and "\n" not in str(error.value)

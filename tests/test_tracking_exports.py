"""MOT, KITTI tracking and COCO-video exports, on a small native dataset written by hand.

Scene 000000: one 64x48 camera, 10 frames at 10 fps, four tracks:
    1 car         visible in every frame, moving right by 2 px a frame, facing the camera's +x
    2 pedestrian  out of the image in frames 4-6 (bbox_amodal null), back with the same id from frame 7
    3 cyclist     fully occluded in frame 5 (in the image, no visible pixel)
    4 bus         partly outside the image (truncation 0.3)
Scene 000001: 3 frames, one car.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import motmetrics as mm
import numpy as np
import pytest
from pycocotools.coco import COCO

from formats import atomic
from formats._sequences import sequence_fps, track_id
from formats.coco import export_coco
from formats.exporters import get_exporter
from formats.kitti_tracking import alpha, export_kitti_tracking, kitti_type, truncation_level
from formats.mot import export_mot, mot_class
from formats.native import DATASET_FILE, MANIFEST_FILE, DatasetError, frame_dir, sensor_file
from labels.annotate import encode_rle
from scenes.taxonomy import CATEGORIES, category_id, category_table

W, H, FPS = 64, 48, 10.0
K = [[50.0, 0.0, 31.5], [0.0, 50.0, 23.5], [0.0, 0.0, 1.0]]
# object x -> camera +x (facing right), object z (up) -> camera -y: a rotation of +90 deg about camera x
FACING_RIGHT_WXYZ = [math.sqrt(0.5), math.sqrt(0.5), 0.0, 0.0]
CAR_SIZE = [4.0, 1.8, 1.5]  # length, width, height (m)


def _object(iid, category, amodal, visible_box, visibility, truncation=0.0, center=(1.0, 1.2, 10.0), size=CAR_SIZE):
    """A labels.json object record; the visible mask is the rectangle ``visible_box`` (None: not visible)."""
    mask = np.zeros((H, W), dtype=bool)
    if visible_box is not None:
        x, y, w, h = visible_box
        mask[y : y + h, x : x + w] = True
    visible = visible_box is not None
    occlusion = 3 if not visible else 0 if visibility >= 0.9 else 1 if visibility >= 0.5 else 2
    return {
        "instance_id": iid,
        "track_id": iid,
        "category": category,
        "category_id": category_id(category),
        "visible": visible,
        "visible_pixels": int(mask.sum()),
        "bbox_visible": visible_box,
        "bbox_amodal": amodal,
        "mask_rle": encode_rle(mask) if visible else None,
        "unoccluded_pixels": amodal[2] * amodal[3] if amodal else 0,
        "visibility": visibility,
        "truncation": truncation,
        "occlusion": occlusion,
        "box3d_world": {"center": [0.0, 0.0, 0.0], "size_m": size, "rotation_wxyz": [1, 0, 0, 0], "yaw": 0.0},
        "box3d_camera": {"center": list(center), "size_m": size, "rotation_wxyz": FACING_RIGHT_WXYZ, "rotation_y": 0.0},
        "range_m": float(np.linalg.norm(center)),
        "velocity_world": [0.0, 0.0, 0.0],
    }


def _scene0_objects(frame: int) -> list[dict]:
    car_box = [5 + 2 * frame, 10, 12, 8]
    objects = [_object(1, "car", car_box, car_box, 1.0, center=(1.0 + 0.2 * frame, 1.2, 10.0))]
    if 4 <= frame <= 6:  # walked out of the image
        objects.append(_object(2, "pedestrian", None, None, 0.0, truncation=1.0))
    else:
        objects.append(_object(2, "pedestrian", [40, 20, 4, 12], [40, 20, 4, 9], 0.75, size=[0.5, 0.6, 1.7]))
    if frame == 5:  # behind something: in the image, nothing visible
        objects.append(_object(3, "cyclist", [20, 25, 6, 10], None, 0.0, size=[1.8, 0.6, 1.7]))
    else:
        objects.append(_object(3, "cyclist", [20, 25, 6, 10], [20, 25, 6, 10], 1.0, size=[1.8, 0.6, 1.7]))
    objects.append(_object(4, "bus", [50, 5, 14, 20], [50, 5, 14, 20], 1.0, truncation=0.3, size=[12.0, 2.5, 3.2]))
    return objects


def _rgb(scene_index: int, frame: int) -> np.ndarray:
    image = np.zeros((H, W, 3), dtype=np.uint8)
    image[..., 0] = 10 * frame
    image[..., 1] = 100 * scene_index
    image[frame, :, 2] = 255  # every frame's bytes differ
    return image


def write_dataset(root: Path, cameras=("cam",), scene_config=None, frames=(10, 3)) -> Path:
    """A native dataset: dataset.json, manifest.jsonl, labels.json and rgb PNGs (see the module docstring)."""
    meta = {
        "format": "synthsense-native",
        "format_version": 1,
        "config_hash": "test",
        "root_seed": 0,
        "categories": category_table(),
        "config": {"scene": scene_config if scene_config is not None else {"fps": FPS, "num_frames": frames[0]}},
    }
    atomic.write_json(root / DATASET_FILE, meta)
    for scene_index, num_frames in enumerate(frames):
        scene_id = f"{scene_index:06d}"
        for frame in range(num_frames):
            objects = (
                _scene0_objects(frame) if scene_index == 0 else [_object(1, "car", [1, 1, 8, 6], [1, 1, 8, 6], 1.0)]
            )
            labels = {
                "scene_id": scene_id,
                "frame": frame,
                "t": frame / FPS,
                "world_from_ego": np.eye(4).tolist(),
                "sensors": {
                    cam: {
                        "type": "camera",
                        "width": W,
                        "height": H,
                        "K": K,
                        "ego_from_sensor": np.eye(4).tolist(),
                        "world_from_sensor": np.eye(4).tolist(),
                    }
                    for cam in cameras
                },
                "objects": {cam: objects for cam in cameras},
                "categories_present": {
                    cam: sorted({o["category_id"] for o in objects if o["visible"]}) for cam in cameras
                },
            }
            for cam in cameras:
                atomic.write_png(root / sensor_file(scene_id, frame, cam, "rgb.png"), _rgb(scene_index, frame))
            atomic.write_json(root / frame_dir(scene_id, frame) / "labels.json", labels)
            record = {"scene_id": scene_id, "frame": frame, "t": frame / FPS, "labels": "", "files": {}}
            atomic.append_line(root / MANIFEST_FILE, json.dumps(record))
    return root


@pytest.fixture
def dataset(tmp_path) -> Path:
    return write_dataset(tmp_path / "ds")


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- MOT ---------------------------------------------------------------------------------------------


def test_mot_layout_and_seqinfo(dataset):
    out = export_mot(dataset)
    assert out == dataset / "exports/mot"
    assert sorted(p.name for p in out.iterdir()) == ["synthsense-000000", "synthsense-000001"]
    seq = out / "synthsense-000000"
    assert (seq / "seqinfo.ini").read_text() == (
        "[Sequence]\nname=synthsense-000000\nimDir=img1\nframeRate=10\nseqLength=10\n"
        "imWidth=64\nimHeight=48\nimExt=.png\n"
    )
    assert sorted(p.name for p in (seq / "img1").iterdir()) == [f"{i:06d}.png" for i in range(1, 11)]


def test_mot_gt_lines_field_order_and_frames(dataset):
    lines = (export_mot(dataset) / "synthsense-000000/gt/gt.txt").read_text().splitlines()
    rows = [line.split(",") for line in lines]
    assert all(len(r) == 9 for r in rows)
    # frame,id,bb_left,bb_top,bb_width,bb_height,conf,class,visibility: MOT frame 1 is our frame 0, and
    # boxes are 1-based (our car's amodal box [5, 10, 12, 8] in frame 0)
    assert lines[:4] == [
        "1,1,6,11,12,8,1,3,1",
        "1,2,41,21,4,12,1,1,0.75",
        "1,3,21,26,6,10,1,2,1",
        "1,4,51,6,14,20,1,3,1",
    ]
    keys = [(int(r[0]), int(r[1])) for r in rows]
    assert keys == sorted(keys)
    pedestrian_frames = [f for f, i in keys if i == 2]
    assert pedestrian_frames == [1, 2, 3, 4, 8, 9, 10]  # absent (out of the image) in our frames 4-6
    assert "6,3,21,26,6,10,0,2,0" in lines  # fully occluded cyclist: kept, conf 0 (not to consider)


def test_mot_class_table():
    assert [mot_class(c) for c in ("pedestrian", "cyclist", "car", "truck", "bus")] == [1, 2, 3, 3, 3]
    assert [mot_class(c) for c in ("traffic_cone", "barrier", "mug", "book")] == [10, 10, 9, 9]
    # every category of the taxonomy has a MOTChallenge class, and only 1..13 (TrackEval refuses others)
    assert {mot_class(c.name) for c in CATEGORIES} <= set(range(1, 14))
    assert mot_class("motorcycle") == 5  # motorbike
    with pytest.raises(DatasetError, match="'tram' has no MOTChallenge class"):
        mot_class("tram")


def test_motmetrics_loads_gt_and_self_score_is_perfect(dataset):
    gt_path = export_mot(dataset) / "synthsense-000000/gt/gt.txt"
    gt = mm.io.loadtxt(str(gt_path), fmt="mot15-2D", min_confidence=1)
    assert len(gt) == 10 + 7 + 9 + 10  # conf-1 rows: car, pedestrian, cyclist (not frame 5), bus
    assert gt.loc[(1, 1), ["X", "Y", "Width", "Height"]].tolist() == [5, 10, 12, 8]  # back to our 0-based box
    acc = mm.utils.compare_to_groundtruth(gt, gt, "iou", distth=0.5)
    summary = mm.metrics.create().compute(acc, metrics=["mota", "idf1", "num_switches"], name="self")
    assert summary["mota"].iloc[0] == 1.0
    assert summary["idf1"].iloc[0] == 1.0
    assert summary["num_switches"].iloc[0] == 0


def test_mot_one_sequence_per_camera_when_several(tmp_path):
    root = write_dataset(tmp_path / "ds", cameras=("front", "rear"), frames=(2,))
    out = export_mot(root)
    assert sorted(p.name for p in out.iterdir()) == ["synthsense-000000-front", "synthsense-000000-rear"]
    assert "name=synthsense-000000-rear\n" in (out / "synthsense-000000-rear/seqinfo.ini").read_text()


# --- KITTI tracking ----------------------------------------------------------------------------------


def test_kitti_label_lines(dataset):
    out = export_kitti_tracking(dataset)
    lines = (out / "label_02/0000.txt").read_text().splitlines()
    fields = [line.split(" ") for line in lines]
    assert all(len(f) == 17 for f in fields)
    # frame track type truncated occluded alpha left top right bottom h w l x y z ry: the car, frame 0
    # (amodal box [5, 10, 12, 8]: continuous edges, right = 5 + 12, bottom = 10 + 8).
    # Location = bottom centre = centre (1, 1.2, 10) + half its 1.5 m height down (camera +y).
    assert lines[0] == (
        "0 1 Car 0 0 -0.099669 5.000000 10.000000 17.000000 18.000000 "
        "1.500000 1.800000 4.000000 1.000000 1.950000 10.000000 0.000000"
    )
    parsed = [
        (int(f[0]), int(f[1]), f[2], int(f[3]), int(f[4]), *(float(v) for v in f[5:])) for f in fields
    ]  # every field parses back with the devkit's types
    keys = [(p[0], p[1]) for p in parsed]
    assert keys == sorted(keys)
    assert [p[0] for p in parsed if p[1] == 2] == [0, 1, 2, 3, 7, 8, 9]  # pedestrian: gone in 4-6, same id after
    cyclist_5 = next(p for p in parsed if p[:2] == (5, 3))
    assert cyclist_5[2:5] == ("Cyclist", 0, 3)  # fully occluded: occluded 3
    bus = next(p for p in parsed if p[:2] == (0, 4))
    assert bus[2:4] == ("Misc", 1)  # bus has no KITTI type; truncation 0.3 -> level 1
    assert (out / "sequences.txt").read_text() == "0000 000000 cam -\n0001 000001 cam -\n"
    assert len((out / "label_02/0001.txt").read_text().splitlines()) == 3


def test_kitti_calib(dataset):
    text = (export_kitti_tracking(dataset) / "calib/0000.txt").read_text()
    rows = [line.split(" ") for line in text.splitlines()]
    assert [r[0] for r in rows] == ["P0:", "P1:", "P2:", "P3:", "R_rect", "Tr_velo_cam", "Tr_imu_velo"]
    assert [len(r) - 1 for r in rows] == [12, 12, 12, 12, 9, 12, 12]
    values = {r[0]: np.array([float(v) for v in r[1:]]) for r in rows}
    np.testing.assert_array_equal(values["P2:"].reshape(3, 4), np.hstack([np.array(K), np.zeros((3, 1))]))
    np.testing.assert_array_equal(values["R_rect"].reshape(3, 3), np.eye(3))
    np.testing.assert_array_equal(values["Tr_velo_cam"].reshape(3, 4), np.hstack([np.eye(3), np.zeros((3, 1))]))


def test_alpha_equals_rotation_y_straight_ahead():
    # an object on the optical axis (x = 0) facing right: the ray adds nothing, alpha == rotation_y
    assert alpha(0.0, 0.0, 12.0) == 0.0
    for ry in (-2.5, -0.3, 0.7, 3.0):
        assert alpha(ry, 0.0, 5.0) == pytest.approx(ry)


def test_alpha_matches_kitti_and_wraps():
    # KITTI's own labels (values written with 2 decimals): object training 000000, a pedestrian at
    # x 1.84, z 8.41 with rotation_y 0.01 has alpha -0.20; 000001, a car at x -16.53, z 58.49 with
    # rotation_y 1.57 has alpha 1.85 (left of the axis: alpha > rotation_y)
    assert alpha(0.01, 1.84, 8.41) == pytest.approx(-0.20, abs=0.01)
    assert alpha(1.57, -16.53, 58.49) == pytest.approx(1.85, abs=0.01)
    assert alpha(0.0, 1.0, 0.0) == pytest.approx(-math.pi / 2)  # to the camera's right, facing right
    for ry, x, z in [(3.1, -5.0, 1.0), (-3.1, 5.0, 1.0), (math.pi, -1.0, -1.0)]:
        assert -math.pi <= alpha(ry, x, z) < math.pi


def test_kitti_type_and_truncation_levels():
    assert [kitti_type(c) for c in ("car", "truck", "pedestrian", "cyclist", "bus", "mug")] == [
        "Car",
        "Truck",
        "Pedestrian",
        "Cyclist",
        "Misc",
        "Misc",
    ]
    assert [truncation_level(t) for t in (0.0, 1e-9, 0.01, 0.99, 1.0)] == [0, 0, 1, 1, 2]


# --- COCO videos -------------------------------------------------------------------------------------


def test_coco_video_fields_and_pycocotools(dataset):
    path = export_coco(dataset)
    coco = COCO(str(path))
    videos = coco.dataset["videos"]
    assert videos == [
        {"id": 1, "name": "000000", "scene_id": "000000", "sensor": "cam", "width": W, "height": H, "fps": FPS,
         "num_frames": 10},
        {"id": 2, "name": "000001", "scene_id": "000001", "sensor": "cam", "width": W, "height": H, "fps": FPS,
         "num_frames": 3},
    ]  # fmt: skip
    images = coco.dataset["images"]
    assert [(im["video_id"], im["frame_index"]) for im in images] == [(1, f) for f in range(10)] + [
        (2, f) for f in range(3)
    ]
    assert all(im["frame_index"] == im["frame"] for im in images)
    by_image = {im["id"]: im for im in images}
    pedestrian = [
        by_image[a["image_id"]]["frame_index"]
        for a in coco.dataset["annotations"]
        if a["track_id"] == 2 and a["video_id"] == 1
    ]
    assert pedestrian == [0, 1, 2, 3, 7, 8, 9]
    # the instance id is written once, as track_id: "instance_id" is reserved on FiftyOne's Detection
    assert not any("instance_id" in a for a in coco.dataset["annotations"])
    frame5 = coco.loadAnns(coco.getAnnIds(imgIds=[6]))  # pedestrian out of the image, cyclist hidden
    assert sorted(a["track_id"] for a in frame5) == [1, 4]


# --- shared behaviour --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fmt, first_image", [("mot", "synthsense-000000/img1/000001.png"), ("kitti_tracking", "image_02/0000/000000.png")]
)
def test_images_are_the_datasets_bytes(dataset, fmt, first_image):
    out = get_exporter(fmt)(dataset)
    src = dataset / sensor_file("000000", 0, "cam", "rgb.png")
    assert (out / first_image).read_bytes() == src.read_bytes()
    assert os.path.samefile(out / first_image, src)  # a hard link on one file system: no bytes copied
    images = sorted(p for p in out.rglob("*.png"))
    assert len(images) == 13


@pytest.mark.parametrize(
    "fmt, stale_rel", [("mot", "synthsense-999999/gt/gt.txt"), ("kitti_tracking", "label_02/0099.txt")]
)
def test_reexport_is_byte_identical_and_drops_stale_files(dataset, fmt, stale_rel):
    out = get_exporter(fmt)(dataset)
    first = _tree(out)
    stale = out / stale_rel  # what an export of an earlier, larger dataset state left
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_text("old")
    mine = out / "trackers/my_tracker.txt"  # not the format's layout: a user's file, kept
    mine.parent.mkdir(parents=True)
    mine.write_text("results")
    assert get_exporter(fmt)(dataset) == out
    assert not stale.exists()
    assert mine.read_text() == "results"
    mine.unlink()
    mine.parent.rmdir()
    assert _tree(out) == first


@pytest.mark.parametrize("fmt", ["coco", "mot", "kitti_tracking"])
def test_symlinked_export_folder_is_refused(dataset, tmp_path, fmt):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("keep")
    (dataset / "exports").mkdir(exist_ok=True)
    link = dataset / "exports" / fmt
    if link.exists():
        shutil.rmtree(link)
    link.symlink_to(victim, target_is_directory=True)
    with pytest.raises(DatasetError, match="symlink"):
        get_exporter(fmt)(dataset)
    assert [p.name for p in victim.iterdir()] == ["keep.txt"]


@pytest.mark.parametrize("fmt", ["coco", "mot", "kitti_tracking"])
def test_malformed_labels_are_a_one_line_dataset_error(dataset, fmt):
    labels = dataset / "scenes/000000/000003/labels.json"
    data = json.loads(labels.read_text())
    data["objects"]["cam"][0]["bbox_amodal"] = "garbage"
    data["objects"]["cam"][0]["visible_pixels"] = "garbage"
    labels.write_text(json.dumps(data))
    with pytest.raises(DatasetError) as err:
        get_exporter(fmt)(dataset)
    assert len(str(err.value).splitlines()) == 1


@pytest.mark.parametrize("fmt", ["mot", "kitti_tracking"])
def test_symlink_out_of_the_dataset_is_refused(dataset, tmp_path, fmt):
    outside = tmp_path / "secret.png"
    outside.write_bytes(b"not the dataset's")
    rgb = dataset / sensor_file("000001", 1, "cam", "rgb.png")
    rgb.unlink()
    rgb.symlink_to(outside)
    with pytest.raises(DatasetError, match="outside the dataset"):
        get_exporter(fmt)(dataset)


def test_incomplete_sequence_is_refused_but_coco_exports_it(dataset):
    manifest = dataset / MANIFEST_FILE
    records = [json.loads(line) for line in manifest.read_text().splitlines()]
    kept = [r for r in records if (r["scene_id"], r["frame"]) != ("000000", 4)]
    manifest.write_text("".join(json.dumps(r) + "\n" for r in kept))
    with pytest.raises(DatasetError, match=r"scene 000000 is incomplete: frames \[4\]"):
        export_mot(dataset)
    coco = json.loads(export_coco(dataset).read_text())
    assert coco["videos"][0]["num_frames"] == 9


def test_unsafe_scene_id_is_refused(dataset):
    from formats.exporters import export

    manifest = dataset / MANIFEST_FILE
    manifest.write_text(manifest.read_text().replace('"000001"', '"../x"'))
    # the manifest reader takes such a line for a malformed one: no reader ever sees the scene id, and an
    # export refuses the dataset, naming the line
    with pytest.raises(DatasetError, match=r"manifest.jsonl line 11: scene_id '../x' is not a scene folder name"):
        export("kitti_tracking", dataset)
    assert not (dataset.parent / "x").exists()


def test_fps_from_config_or_frame_times():
    labels = ({"scene_id": "s", "frame": 0, "t": 0.0}, {"scene_id": "s", "frame": 1, "t": 1 / 30})
    assert sequence_fps({"config": {"scene": {"sequence": {"fps": 12.5}}}}, labels) == 12.5
    assert sequence_fps({"config": {"scene": {"fps": 10.0}}}, labels) == 10.0
    assert sequence_fps({}, labels) == 30.0
    assert sequence_fps({}, labels[:1]) is None


def test_track_id_falls_back_to_instance_id():
    assert track_id({"instance_id": 7}) == 7
    assert track_id({"instance_id": 7, "track_id": 7}) == 7


def test_exporters_registered_and_cli(dataset, capsys):
    from synthsense.cli import main

    assert main(["export", "kitti_tracking", str(dataset)]) == 0
    assert main(["export", "mot", str(dataset)]) == 0
    assert "exports/mot" in capsys.readouterr().out
    assert get_exporter("mot").__wrapped__ is export_mot


@pytest.mark.parametrize("fmt", ["yolo", "kitti_tracking"])
def test_symlinked_folder_inside_an_earlier_export_is_refused(dataset, tmp_path, fmt):
    # an untrusted dataset may carry a planted link deeper in its export folder (labels/train -> elsewhere)
    out = get_exporter(fmt)(dataset)
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("keep")
    inner = next(p for p in sorted(out.rglob("*")) if p.is_dir())
    shutil.rmtree(inner)
    inner.symlink_to(victim, target_is_directory=True)
    with pytest.raises(DatasetError, match="symlink"):
        get_exporter(fmt)(dataset)
    assert [p.name for p in victim.iterdir()] == ["keep.txt"]

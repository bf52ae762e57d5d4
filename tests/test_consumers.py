"""Our exports read by their consumers' own code: TrackEval (KITTI tracking and MOTChallenge evaluation),
FiftyOne's COCO importer, ultralytics' training-mask rasterization and pose label check. They need numpy 2,
so they run in ``.venv-consumers`` (scripts/install.sh) through the scripts in tests/consumers/; without that
venv these tests are skipped (the rules they check are also tested in our own venv: test_yolo,
test_kitti_object, test_tracking_exports, test_keypoint_exports).

The street sequence is small (160x120), so it holds many objects one pixel wide or high: the boxes and
masks where a convention off by one pixel shows.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import generate

from formats import _masks
from formats.import_native import import_native

ROOT = Path(__file__).resolve().parents[1]
CONSUMER_PYTHON = ROOT / ".venv-consumers" / "bin" / "python"
SCRIPTS = Path(__file__).parent / "consumers"
W, H = 160, 120


@pytest.fixture(scope="session")
def consumer():
    """run(script, *args) -> the JSON a tests/consumers script prints, run in .venv-consumers."""
    if not CONSUMER_PYTHON.is_file():
        pytest.skip(f"{CONSUMER_PYTHON} is missing (scripts/install.sh makes it)")

    def run(script: str, *args: object) -> dict:
        cmd = [str(CONSUMER_PYTHON), str(SCRIPTS / script), *map(str, args)]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    return run


def _generate(root: Path, *overrides: str) -> Path:
    assert not generate(root, "output.preview=false", *overrides).failures  # later overrides win
    return root


@pytest.fixture(scope="module")
def street_sequence(tmp_path_factory) -> Path:
    """Two 10-frame street sequences rendered with pyrender at 160x120, exported for every consumer here."""
    root = tmp_path_factory.mktemp("consumers") / "street"
    return _generate(
        root,
        "num_scenes=2",
        "seed=3",
        "scene.sequence.num_frames=10",
        f"camera.width={W}",
        f"camera.height={H}",
        "output.export=[kitti_tracking,mot,coco,yolo_seg]",
    )


@pytest.fixture(scope="module")
def tabletop_sequence(tmp_path_factory) -> Path:
    """A tabletop sequence (fake renderer: only its labels matter here), exported to MOT."""
    root = tmp_path_factory.mktemp("consumers") / "tabletop"
    overrides = ("scene=tabletop", "renderer=fake", "num_scenes=1", "scene.sequence.num_frames=5")
    return _generate(root, *overrides, "camera.width=96", "camera.height=72", "output.export=[mot]")


# --- TrackEval ---------------------------------------------------------------------------------------


@pytest.mark.gl
def test_trackeval_kitti_scores_our_ground_truth_against_itself_100(street_sequence, consumer, tmp_path):
    # one-pixel-wide objects that TrackEval evaluates (fully in the image, occluded <= 2): with the old
    # "right = x + w - 1" their boxes had zero area and matched nothing, not even themselves
    thin = 0
    for path in (street_sequence / "exports/kitti_tracking/label_02").glob("*.txt"):
        for f in (line.split(" ") for line in path.read_text().splitlines()):
            left, top, right, bottom = (float(v) for v in f[6:10])
            thin += (
                f[2] in ("Car", "Pedestrian")
                and f[3] == "0"
                and int(f[4]) <= 2
                and min(right - left, bottom - top) == 1
            )
    assert thin > 0
    result = consumer("trackeval_kitti.py", street_sequence / "exports/kitti_tracking", tmp_path)
    assert result["messages"] == "Success"
    for cls in ("car", "pedestrian"):
        assert result[cls]["gt_dets"] > 0
        assert (result[cls]["HOTA"], result[cls]["MOTA"], result[cls]["IDF1"]) == (1.0, 1.0, 1.0), cls


@pytest.mark.gl
def test_trackeval_mot_scores_pedestrians_and_drops_cyclists_as_distractors(street_sequence, consumer, tmp_path):
    result = consumer("trackeval_mot.py", street_sequence / "exports/mot", tmp_path, "people")
    assert "error" not in result, result
    assert result["gt_dets"] > 0
    assert (result["HOTA"], result["MOTA"], result["IDF1"]) == (1.0, 1.0, 1.0)


def test_trackeval_mot_accepts_a_tabletop_sequence(tabletop_sequence, consumer, tmp_path):
    # every class is checked once a tracker box is there to match; tabletop objects were class -1 before
    result = consumer("trackeval_mot.py", tabletop_sequence / "exports/mot", tmp_path, "all")
    assert "error" not in result, result
    assert result["tracker_rows"] > 0 and result["gt_dets"] == 0  # no pedestrian: nothing to score


# --- FiftyOne ----------------------------------------------------------------------------------------


def _check_fiftyone(result: dict, coco: dict) -> int:
    """FiftyOne's reading of a COCO file equals the file: labels, relative boxes, extra attributes, masks."""
    assert "error" not in result, result["error"]
    reserved = set(result["reserved"])
    assert "instance_id" in reserved  # FiftyOne's own list, as the test knows it
    names = {c["id"]: c["name"] for c in coco["categories"]}
    by_file = {im["file_name"]: im for im in result["images"]}
    annotations: dict[int, list[dict]] = {}
    for ann in coco["annotations"]:
        annotations.setdefault(ann["image_id"], []).append(ann)
    compared = 0
    for im in coco["images"]:
        got = by_file[im["file_name"]]
        assert (got["width"], got["height"]) == (im["width"], im["height"])
        anns = annotations.get(im["id"], [])
        assert len(got["detections"]) == len(anns)
        for det, ann in zip(got["detections"], anns, strict=True):
            assert det["label"] == names[ann["category_id"]]
            x, y, w, h = ann["bbox"]
            box = [x / im["width"], y / im["height"], w / im["width"], h / im["height"]]
            np.testing.assert_allclose(det["bounding_box"], box, rtol=1e-12)
            # keypoints: a COCO field, FiftyOne's Keypoints label (below), not a Detection attribute
            extra = set(ann) - {"id", "image_id", "category_id", "bbox", "segmentation", "area", "iscrowd", "score"}
            extra -= {"keypoints"}
            assert not extra & reserved
            for key in extra:
                assert det["attributes"][key] == ann[key], key
            # FiftyOne crops the instance mask to the box: the crop holds every pixel of the mask
            assert det["mask_shape"] == [round(h), round(w)] and det["mask_pixels"] == ann["area"]
            compared += 1
        # people's keypoints: FiftyOne's relative points are COCO's x / width, y / height, its visible COCO's v
        people = [a for a in anns if "keypoints" in a]
        assert len(got["keypoints"]) == len(people)
        for kp, ann in zip(got["keypoints"], people, strict=True):
            assert kp["label"] == names[ann["category_id"]]
            ours = np.array(ann["keypoints"], np.float64).reshape(-1, 3)
            assert kp["visible"] == ours[:, 2].astype(int).tolist()
            expected = np.where(ours[:, 2:] > 0, ours[:, :2] / [im["width"], im["height"]], np.nan)
            np.testing.assert_allclose(np.array(kp["points"], np.float64), expected, rtol=1e-12)
    return compared


@pytest.mark.gl
def test_fiftyone_imports_our_coco_with_every_attribute(street_sequence, consumer):
    path = street_sequence / "exports/coco/annotations.json"
    coco = json.loads(path.read_text())
    result = consumer("fiftyone_coco.py", path, street_sequence)
    assert _check_fiftyone(result, coco) > 100
    assert all("track_id" in a and "visibility" in a for a in coco["annotations"])
    assert sum(a.get("num_keypoints", 0) > 0 for a in coco["annotations"]) > 20  # the articulated people


@pytest.mark.gl
def test_fiftyone_imports_a_mix(street_sequence, consumer, tmp_path):
    from mixing import mix

    config = {
        "sources": [
            {"name": "kitti", "path": str(_kitti_copy(street_sequence, tmp_path)), "format": "kitti", "role": "real"},
            {"name": "synth", "path": str(street_sequence), "format": "native", "role": "synthetic"},
        ],
        "taxonomy": {"classes": ["car", "pedestrian"], "map": {"kitti": {"Car": "car", "Pedestrian": "pedestrian"}}},
        "synthetic_share": 0.5,
        "output": {"path": str(tmp_path / "mix"), "formats": ["coco"]},
    }
    mix(config)
    compared = 0
    for split in ("train", "val", "test"):
        path = tmp_path / "mix/annotations" / f"{split}.json"
        if path.is_file():
            result = consumer("fiftyone_coco.py", path, tmp_path / "mix")
            compared += _check_fiftyone(result, json.loads(path.read_text()))
    assert compared > 100


def _kitti_copy(dataset: Path, tmp_path: Path) -> Path:
    """A KITTI object set (image_2, label_2) of the dataset's frames, outside it, to mix as the real source."""
    from formats.kitti_object import export_kitti

    out = tmp_path / "kitti"
    export = export_kitti(dataset)
    for folder in ("image_2", "label_2"):
        shutil.copytree(export / folder, out / folder)
    return out


# --- ultralytics -------------------------------------------------------------------------------------


@pytest.mark.gl
def test_ultralytics_training_masks_are_our_masks(street_sequence, consumer, tmp_path):
    source = import_native(street_sequence)
    labels = street_sequence / "exports/yolo_seg/labels"
    masks: dict[str, np.ndarray] = {}
    for split in sorted(p.name for p in labels.iterdir()):
        out = tmp_path / f"{split}.npz"
        consumer("ultralytics_masks.py", labels / split, W, H, out)
        with np.load(out) as z:
            masks.update({key: z[key] for key in z.files})
    ious = {"direct": [], "resampled": []}
    exact = single = 0
    for im in source.images:
        stem = f"{im.meta['scene_id']}_{int(im.meta['frame']):06d}_{im.meta['sensor']}"
        for kind, found in ious.items():
            theirs = masks[f"{stem}/{kind}"]
            assert len(theirs) == len(im.objects)
            for mask, obj in zip(theirs, im.objects, strict=True):
                ours = _masks.decode(obj.mask)
                if ours.sum() >= 100:
                    found.append((ours & (mask > 0)).sum() / (ours | (mask > 0)).sum())
                if kind == "direct" and _one_part_without_holes(ours):
                    single += 1
                    exact += np.array_equal(mask > 0, ours)
    print({kind: (len(v), float(np.mean(v)), float(np.min(v))) for kind, v in ious.items()}, exact, single)
    assert len(ious["direct"]) > 20
    assert np.mean(ious["direct"]) >= 0.97 and np.mean(ious["resampled"]) >= 0.97
    assert exact == single > 100  # one part and no hole: ultralytics' mask is ours, pixel for pixel


def _one_part_without_holes(mask: np.ndarray) -> bool:
    count, _ = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    background, _ = cv2.connectedComponents(np.pad(~mask, 1).astype(np.uint8), connectivity=4)
    return count == 2 and background == 2


@pytest.fixture(scope="module")
def people_dataset(tmp_path_factory) -> Path:
    """Two generated street scenes (articulated pedestrians, children, cyclists) and two hand-built ones
    (people among a box and a wall), two frames each, ray cast on the run's frame path (tests/_people.py;
    no GL), exported to COCO and YOLO pose."""
    from _people import generated_streets, street_of_people, write_dataset

    from formats.exporters import get_exporter

    rng = np.random.default_rng(11)
    scenes = generated_streets(2, seed=3) + [street_of_people(rng, i) for i in range(2)]
    root = write_dataset(tmp_path_factory.mktemp("consumers") / "people", scenes)
    get_exporter("coco")(root)
    get_exporter("yolo_pose")(root)
    return root


def test_ultralytics_reads_our_pose_labels_as_the_coco_keypoints(people_dataset, consumer):
    result = consumer("ultralytics_pose.py", people_dataset / "exports/yolo_pose")
    assert result["yaml"]["kpt_shape"] == [17, 3] and len(result["yaml"]["flip_idx"]) == 17
    coco = json.loads((people_dataset / "exports/coco/annotations.json").read_text())
    by_stem = {f"{im['scene_id']}_{im['frame']:06d}_{im['sensor']}": im for im in coco["images"]}
    people = {c["id"] for c in coco["categories"] if "keypoints" in c}
    compared = 0
    for stem, got in result["labels"].items():
        # found, not empty or missing, nothing corrupt, no message (ultralytics warns of duplicates there)
        assert got["message"] == "" and got["counts"][3] == 0, (stem, got["message"])
        im = by_stem[stem]
        anns = [a for a in coco["annotations"] if a["image_id"] == im["id"] and a["category_id"] in people]
        anns = [a for a in anns if a["num_keypoints"] > 0]  # ultralytics' converter skips the others
        assert got["counts"][1:3] == ([1, 0] if anns else [1, 1])
        theirs = np.array(got["keypoints"]).reshape(-1, 17, 3) * [im["width"], im["height"], 1]
        assert len(theirs) == len(anns)
        for kp, ann in zip(theirs, anns, strict=True):
            ours = np.array(ann["keypoints"], np.float64).reshape(17, 3)
            np.testing.assert_array_equal(kp[:, 2], ours[:, 2])  # the flags, as COCO's v
            labelled = ours[:, 2] > 0
            # denormalized (float32 in ultralytics, 6 decimals in the file): within 1e-6 of the image size
            np.testing.assert_allclose(kp[labelled, :2], ours[labelled, :2], rtol=0, atol=1e-6 * im["width"])
            compared += 1
    assert compared > 20


def test_consumer_scripts_import_nothing_of_ours():
    # they run in another venv, where an import of ours would fail or, worse, read this checkout
    ours = {"scenes", "assets", "configs", "generator", "renderers", "labels", "formats", "mixing", "synthsense"}
    for script in SCRIPTS.glob("*.py"):
        tree = ast.parse(script.read_text())
        names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert names and not names & ours, script.name

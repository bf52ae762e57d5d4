"""`synthsense validate`: a generated dataset is valid; damage is found and named."""

from __future__ import annotations

import json
import shutil

import pytest

from synthsense.cli import main

FAST = [
    "renderer=fake",
    "camera.width=64",
    "camera.height=48",
    "output.progress=false",
    "num_scenes=2",
    "scene.sequence.num_frames=2",
]


@pytest.fixture
def dataset(tmp_path):
    root = tmp_path / "ds"
    assert main(["generate", *FAST, f"output_dir={root}"]) == 0
    return root


def test_generated_dataset_is_valid(dataset, capsys):
    assert main(["validate", str(dataset)]) == 0
    assert "4 frames checked, 0 problem(s)" in capsys.readouterr().out


def test_missing_file_is_named(dataset, capsys):
    (dataset / "scenes/000001/000001/front.depth.npy").unlink()
    assert main(["validate", str(dataset)]) == 1
    assert "missing file scenes/000001/000001/front.depth.npy" in capsys.readouterr().out


def test_corrupt_image_is_named(dataset, capsys):
    (dataset / "scenes/000000/000000/front.rgb.png").write_bytes(b"not a png")
    assert main(["validate", str(dataset)]) == 1
    assert "000000/000000/front: unreadable" in capsys.readouterr().out


def test_labels_that_disagree_with_the_instance_map(dataset, capsys):
    path = dataset / "scenes/000000/000001/labels.json"
    labels = json.loads(path.read_text())
    obj = next(o for o in labels["objects"]["front"] if o["visible"])
    obj["visible_pixels"] += 1
    obj["bbox_visible"] = [60, 40, 10, 10]
    path.write_text(json.dumps(labels))
    assert main(["validate", str(dataset)]) == 1
    out = capsys.readouterr().out
    assert "differ from the labels" in out and "not inside the image" in out


def test_not_a_dataset(tmp_path, capsys):
    shutil.rmtree(tmp_path, ignore_errors=True)
    assert main(["validate", str(tmp_path / "nothing")]) == 2
    out, err = capsys.readouterr()
    assert "dataset.json" in err and not out  # errors go to stderr

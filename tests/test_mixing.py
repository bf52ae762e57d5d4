"""Mixing synthetic and real datasets (mixing/, ``synthsense mix``): share, caps, splits by group,
determinism, provenance, taxonomy, output safety, CLI exit codes. Fast: fake renderer, tiny PNGs."""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml
from conftest import generate
from PIL import Image

from formats.native import DatasetError
from formats.records import ImageAnnotations, ObjectAnnotation
from mixing import MixError, mix
from mixing.items import Candidate, Placed
from mixing.output import output_names
from mixing.selection import target_units
from synthsense.cli import main

REAL_CATEGORIES = ["car", "person", "dog", "truck"]


def write_real_coco(root: Path, videos: int = 12, frames: int = 4) -> Path:
    """A small COCO-video set: ``videos`` x ``frames`` 32x24 PNGs, 3 boxes each (one 3 px wide)."""
    images, annotations = [], []
    for i in range(videos * frames):
        video = i // frames
        file_name = f"frames/v{video:02d}/f{i:03d}.png"
        (root / file_name).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (32, 24), (i % 256, 10, 20)).save(root / file_name)
        images.append({"id": i + 1, "file_name": file_name, "width": 32, "height": 24, "video_id": video})
        for k in range(3):
            cat = 1 + (i + k) % len(REAL_CATEGORIES)
            width = 3 if k == 2 else 6 + k
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": i + 1,
                    "category_id": cat,
                    "bbox": [k, k, width, 6],
                    "area": width * 6,
                    "iscrowd": 0,
                }
            )
    categories = [{"id": k + 1, "name": name} for k, name in enumerate(REAL_CATEGORIES)]
    data = {"images": images, "annotations": annotations, "categories": categories}
    (root / "annotations.json").write_text(json.dumps(data))
    return root


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> tuple[Path, Path]:
    """(real COCO root, synthetic native root), shared read-only by the tests of this module."""
    base = tmp_path_factory.mktemp("mix_sources")
    real = write_real_coco(base / "real")
    synth = base / "synth"
    generate(synth, "renderer=fake", "num_scenes=8", "seed=3", "scene.sequence.num_frames=3", "output.preview=false")
    return real, synth


def make_config(sources: tuple[Path, Path], out: Path, **changes) -> dict:
    real, synth = sources
    cfg = {
        "sources": [
            {"name": "city_real", "path": str(real), "format": "coco", "role": "real", "group_by": "video_id"},
            {"name": "synth", "path": str(synth), "format": "native", "role": "synthetic"},
        ],
        "taxonomy": {
            "classes": ["car", "truck", "pedestrian", "cyclist"],
            "map": {"city_real": {"person": "pedestrian"}},
            "unmapped": "drop",
        },
        "synthetic_share": 0.3,
        "splits": {"train": 0.6, "val": 0.2, "test": 0.2},
        "output": {"path": str(out), "formats": ["coco", "yolo"], "link": "hardlink"},
        "seed": 0,
    }
    cfg.update(copy.deepcopy(changes))
    return cfg


def provenance(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "provenance.jsonl").read_text().splitlines()]


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name))


def test_synthetic_share_is_exact_in_train_and_eval_is_real_only(sources, tmp_path):
    result = mix(make_config(sources, tmp_path / "mixed"))
    rows = provenance(tmp_path / "mixed")
    by_split = defaultdict(Counter)
    for r in rows:
        by_split[r["split"]][r["role"]] += 1
    n_real_train = by_split["train"]["real"]
    assert n_real_train > 0
    assert abs(by_split["train"]["synthetic"] - round(0.3 / 0.7 * n_real_train)) <= 1
    assert by_split["val"]["synthetic"] == by_split["test"]["synthetic"] == 0
    assert by_split["val"]["real"] > 0 and by_split["test"]["real"] > 0
    assert result.images["train"] == dict(by_split["train"])
    assert result.synthetic_share["train"] == pytest.approx(0.3, abs=1 / sum(by_split["train"].values()))


def test_share_by_instances_and_share_one(sources, tmp_path):
    result = mix(make_config(sources, tmp_path / "a", share_by="instances", synthetic_share=0.25))
    train = result.instances["train"]
    real, synth = sum(train["real"].values()), sum(train["synthetic"].values())
    target = round(0.25 / 0.75 * real)
    biggest = max(len(json.loads(p.read_text())["objects"]["front"]) for p in sources[1].rglob("labels.json"))
    assert target <= synth < target + biggest
    only = mix(make_config(sources, tmp_path / "b", synthetic_share=1.0))
    assert only.images["train"]["real"] == 0
    assert only.images["train"]["synthetic"] == 8 * 3  # every synthetic image
    assert only.images["val"]["real"] > 0 and only.images["val"]["synthetic"] == 0


def test_no_group_spans_two_splits(sources, tmp_path):
    for real_only_eval in (True, False):
        out = tmp_path / f"mixed_{real_only_eval}"
        mix(make_config(sources, out, real_only_eval=real_only_eval, synthetic_share=0.2))
        splits_of = defaultdict(set)
        for r in provenance(out):
            splits_of[r["group"]].add(r["split"])
        assert all(len(s) == 1 for s in splits_of.values()), splits_of
        assert {g.split("/")[0] for g in splits_of} == {"city_real", "synth"}
        if not real_only_eval:  # synthetic groups are split like the real ones
            assert {r["split"] for r in provenance(out) if r["role"] == "synthetic"} == {"train", "val", "test"}


def test_class_caps_hold_over_the_whole_output(sources, tmp_path):
    out = tmp_path / "mixed"
    # real has 36 trucks and no cyclist; synthetic scenes have both: both roles get capped
    result = mix(make_config(sources, out, class_caps={"truck": 20, "cyclist": 3}, synthetic_share=0.1))
    totals = Counter()
    for split in ("train", "val", "test"):
        coco = json.loads((out / f"annotations/{split}.json").read_text())
        names = {c["id"]: c["name"] for c in coco["categories"]}
        totals.update(names[a["category_id"]] for a in coco["annotations"])
    assert 0 < totals["truck"] <= 20 and 0 < totals["cyclist"] <= 3
    capped = {src: n["over a class cap"] for src, n in result.dropped["images"].items()}
    assert capped["city_real"] > 0 and capped["synth"] > 0


def test_same_seed_same_bytes_other_seed_other_assignment(sources, tmp_path):
    mix(make_config(sources, tmp_path / "a"))
    mix(make_config(sources, tmp_path / "b"))
    assert tree_hashes(tmp_path / "a") == tree_hashes(tmp_path / "b")
    mix(make_config(sources, tmp_path / "c", seed=1))

    def assignment(out):
        return {(r["source"], r["original_id"]): r["split"] for r in provenance(out)}

    assert assignment(tmp_path / "a") != assignment(tmp_path / "c")


def test_provenance_and_coco_image_fields(sources, tmp_path):
    out = tmp_path / "mixed"
    mix(make_config(sources, out))
    rows = provenance(out)
    roots = {"city_real": sources[0], "synth": sources[1]}
    roles = {"city_real": "real", "synth": "synthetic"}
    for r in rows:
        assert r["role"] == roles[r["source"]]
        assert (roots[r["source"]] / r["original_path"]).is_file()
        assert (out / r["file_name"]).is_file()
        assert r["file_name"].startswith(f"images/{r['split']}/{r['source']}__")
        if r["role"] == "synthetic":
            assert r["root_seed"] == 3 and isinstance(r["scene_index"], int)
    coco = json.loads((out / "annotations/train.json").read_text())
    train_rows = {r["file_name"]: r for r in rows if r["split"] == "train"}
    for im in coco["images"]:
        row = train_rows[im["file_name"]]
        assert {k: im[k] for k in row} == row


def test_taxonomy_drop_counts_and_error(sources, tmp_path):
    result = mix(make_config(sources, tmp_path / "drop"))
    assert result.dropped["unmapped"]["city_real"]["dog"] == 36  # 48 images x 3 boxes / 4 categories
    text = (tmp_path / "drop" / "report.md").read_text()
    assert "| city_real | dog | 36 |" in text
    taxonomy = {"classes": ["car", "truck", "pedestrian"], "map": {}, "unmapped": "error"}
    with pytest.raises(MixError, match=r"source 'city_real' category 'person'"):
        mix(make_config(sources, tmp_path / "err", taxonomy=taxonomy))
    assert not (tmp_path / "err").exists() and siblings(tmp_path / "err") == []
    taxonomy = {"classes": ["car"], "map": {"city_real": {"person": "human"}}}
    with pytest.raises(MixError, match=r"^taxonomy.map.city_real.person: 'human' is not in taxonomy.classes$"):
        mix(make_config(sources, tmp_path / "err", taxonomy=taxonomy))


def test_filters_and_report_files(sources, tmp_path):
    out = tmp_path / "mixed"
    result = mix(make_config(sources, out, filters={"min_box_px": 4, "min_visibility": 0.2, "drop_empty": True}))
    # the 3 px box of every image, less the dogs among them (dropped as unmapped first)
    assert result.dropped["objects"]["city_real"]["box below min_box_px"] == 36
    for split in ("train", "val", "test"):
        coco = json.loads((out / f"annotations/{split}.json").read_text())
        assert all(min(a["bbox"][2:]) >= 4 for a in coco["annotations"])
        assert all(a.get("visibility", 1.0) >= 0.2 for a in coco["annotations"])
        assert {a["image_id"] for a in coco["annotations"]} == {im["id"] for im in coco["images"]}
    for name in ("report.md", "report_counts.png", "mix.json", "data.yaml"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0
    assert (out / "report_counts.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    meta = json.loads((out / "mix.json").read_text())
    assert meta["config"]["synthetic_share"] == 0.3 and meta["images"] == result.images


def test_yolo_labels_match_coco_annotations(sources, tmp_path):
    out = tmp_path / "mixed"
    mix(make_config(sources, out))
    for split in ("train", "val", "test"):
        coco = json.loads((out / f"annotations/{split}.json").read_text())
        labels = list((out / "labels" / split).glob("*.txt"))
        assert len(labels) == len(coco["images"]) == len(list((out / "images" / split).iterdir()))
        rows = sum(len(p.read_text().splitlines()) for p in labels)
        assert rows == len(coco["annotations"]) > 0
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert data["names"] == {0: "car", 1: "truck", 2: "pedestrian", 3: "cyclist"}


def test_not_enough_synthetic_data_is_an_error(sources, tmp_path):
    with pytest.raises(MixError, match=r"needs \d+ synthetic images in split 'train', only 24 available"):
        mix(make_config(sources, tmp_path / "mixed", synthetic_share=0.9))
    assert siblings(tmp_path / "mixed") == []


def test_existing_output_needs_overwrite_and_must_be_a_mix(sources, tmp_path):
    out = tmp_path / "mixed"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(MixError, match="exists; use --overwrite"):
        mix(make_config(sources, out))
    # --overwrite deletes the old folder: only an earlier mix may be replaced, never any folder
    with pytest.raises(MixError, match="is not a mix"):
        mix(make_config(sources, out), overwrite=True)
    assert [p.name for p in out.iterdir()] == ["keep.txt"] and siblings(out) == ["mixed"]
    (out / "keep.txt").unlink()
    out.rmdir()
    first = mix(make_config(sources, out, seed=1))
    assert first.output == out and (out / "mix.json").is_file()
    mix(make_config(sources, out), overwrite=True)
    assert tree_hashes(out) != {} and siblings(out) == ["mixed"]
    assert json.loads((out / "mix.json").read_text())["config"]["seed"] == 0


@pytest.mark.parametrize("where", ["parent", "inside"])
def test_output_may_not_overlap_a_source(sources, tmp_path, where):
    real = sources[0]
    before = tree_hashes(real)
    out = real.parent if where == "parent" else real / "frames"  # holds a source / lies inside one
    with pytest.raises(MixError, match="overlaps source"):
        mix(make_config(sources, out), overwrite=True)
    assert tree_hashes(real) == before


@pytest.mark.parametrize("bad", ["escape", "malformed"])
def test_bad_source_leaves_nothing(sources, tmp_path, bad):
    real = write_real_coco(tmp_path / "bad_real", videos=2, frames=2)
    data = json.loads((real / "annotations.json").read_text())
    if bad == "escape":
        data["images"][1]["file_name"] = "../../etc/passwd"
        (real / "annotations.json").write_text(json.dumps(data))
    else:
        (real / "annotations.json").write_text(json.dumps(data)[:-20])
    out = tmp_path / "mixed"
    with pytest.raises(DatasetError) as info:
        mix(make_config((real, sources[1]), out))
    assert "\n" not in str(info.value) and "annotations.json" in str(info.value)
    assert siblings(out) == []


def test_cli_exit_codes_and_relative_paths(sources, tmp_path, capsys):
    cfg = make_config(sources, Path("out"))
    (tmp_path / "mix.yaml").write_text(yaml.safe_dump(cfg))
    assert main(["mix", str(tmp_path / "mix.yaml"), "synthetic_share=0.2"]) == 0
    assert (tmp_path / "out" / "provenance.jsonl").is_file()  # relative to the YAML's folder
    assert "synthsense mix: done" in capsys.readouterr().out
    assert main(["mix", str(tmp_path / "mix.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("synthsense mix: error: output.path:") and err.count("\n") == 1
    assert main(["mix", str(tmp_path / "mix.yaml"), "--overwrite", "synthetic_share=0.1"]) == 0
    assert main(["mix", str(tmp_path / "mix.yaml"), "no_such_key=1"]) == 2
    assert "no_such_key" in capsys.readouterr().err
    assert main(["mix", str(tmp_path / "missing.yaml")]) == 2


def test_a_mix_without_validation_images_says_so(sources, tmp_path, capsys):
    # two real videos are two groups: with real_only_eval, val and test cannot both get one
    real = write_real_coco(tmp_path / "two_videos", videos=2)
    cfg = make_config((real, sources[1]), tmp_path / "mixed")
    cfg["splits"] = {"train": 0.5, "val": 0.5, "test": 0.0}  # the real groups: one to train, one to val
    assert mix(cfg).warnings == []
    cfg["splits"] = {"train": 0.4, "val": 0.3, "test": 0.3}
    cfg["output"]["path"] = str(tmp_path / "mixed2")
    (tmp_path / "mix.yaml").write_text(yaml.safe_dump(cfg))
    assert main(["mix", str(tmp_path / "mix.yaml")]) == 0
    summary = capsys.readouterr().out
    meta = json.loads((tmp_path / "mixed2/mix.json").read_text())
    empty = [s for s, roles in meta["images"].items() if sum(roles.values()) == 0]
    assert empty and len(meta["warnings"]) == len(empty)
    for split, line in zip(empty, meta["warnings"], strict=True):
        assert line.startswith(f"WARNING: split {split} is empty (asked 0.3 of the images): 2 real group(s)")
        assert f"  {line}\n" in summary  # the CLI's summary
        assert f"- {line}\n" in (tmp_path / "mixed2/report.md").read_text()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"synthetic_share": 1.5}, "synthetic_share: 1.5 is not in"),
        ({"splits": {"train": 0.5, "val": 0.2}}, "splits: the ratios add up to 0.7"),
        ({"class_caps": {"bus": 3}}, "class_caps.bus: not a class"),
        ({"output": {"path": "x", "formats": ["voc"]}}, "output.formats: 'voc' is not one of"),
        ({"share_by": "boxes"}, "share_by: 'boxes' is not one of"),
        ({"splits": [0.5, 0.5]}, "splits must be a mapping, got list"),
        ({"splits": {"train": 0.5, "images": 0.5}}, "splits.images: reserved"),
        ({"filters": {"min_box_px": float("nan")}}, "filters.min_box_px: nan must be a finite number >= 0"),
        ({"splits": {"train": 0.0, "val": 0.5, "test": 0.5}}, "splits.train: 0 leaves synthetic_share 0.3"),
    ],
)
def test_config_errors_name_the_key(sources, tmp_path, change, message):
    with pytest.raises(MixError, match=message):
        mix(make_config(sources, tmp_path / "mixed", **change))


def test_config_of_the_wrong_shape_names_the_key():
    with pytest.raises(MixError, match="mix config: sources must be a list, got dict"):
        mix({"sources": {"a": 1}, "taxonomy": {"classes": ["car"]}})
    with pytest.raises(MixError, match="expected a mapping of mix settings, got list"):
        mix([1, 2])  # type: ignore[arg-type]


def test_group_by_key_missing_is_an_error(sources, tmp_path):
    cfg = make_config(sources, tmp_path / "mixed")
    cfg["sources"][0]["group_by"] = "sequence"
    with pytest.raises(MixError, match=r"sources.0.group_by: image .* has no 'sequence'"):
        mix(cfg)


def test_target_units_and_name_collisions():
    assert target_units(0.3, 70) == 30 and target_units(0.5, 3) == 3 and target_units(0.0, 10) == 0

    def placed(rel: str) -> Placed:
        image = ImageAnnotations(Path("/x") / rel, rel, 4, 4, [ObjectAnnotation("car", (0, 0, 1, 1))], rel, "g")
        return Placed(Candidate("s", "real", image, "s/g", 0), "train")

    names = output_names([placed("a/b.png"), placed("a__b.png"), placed("c d/é.png")])
    assert len(set(names)) == 3
    assert names[0] == "images/train/s__a__b.png" and names[2] == "images/train/s__c_d___.png"
    # the same stem with another extension would share a YOLO label file; the same file listed three
    # times needs three names
    names = output_names([placed("x/a.png"), placed("x/a.jpg"), placed("x/a.png"), placed("x/a.png")])
    stems = [os.path.splitext(n)[0].lower() for n in names]
    assert len(set(stems)) == 4 and names[0] == "images/train/s__x__a.png"


def test_same_stem_images_keep_their_own_yolo_labels(tmp_path):
    root = tmp_path / "real"
    (root / "img").mkdir(parents=True)
    for ext in ("png", "jpg"):
        Image.new("RGB", (32, 24)).save(root / f"img/a.{ext}")
    images = [
        {"id": 1, "file_name": "img/a.png", "width": 32, "height": 24},
        {"id": 2, "file_name": "img/a.jpg", "width": 32, "height": 24},
    ]
    boxes = {1: [2, 2, 10, 8], 2: [12, 4, 16, 16]}
    annotations = [
        {"id": k, "image_id": k, "category_id": 1, "bbox": b, "area": b[2] * b[3], "iscrowd": 0}
        for k, b in boxes.items()
    ]
    data = {"images": images, "annotations": annotations, "categories": [{"id": 1, "name": "car"}]}
    (root / "annotations.json").write_text(json.dumps(data))
    cfg = {
        "sources": [{"name": "r", "path": str(root), "format": "coco", "role": "real"}],
        "taxonomy": {"classes": ["car"]},
        "synthetic_share": 0.0,
        "splits": {"train": 1.0},
        "output": {"path": str(tmp_path / "out"), "formats": ["coco", "yolo"]},
    }
    mix(cfg)
    coco = json.loads((tmp_path / "out/annotations/train.json").read_text())
    for image in coco["images"]:
        (ann,) = [a for a in coco["annotations"] if a["image_id"] == image["id"]]
        label = tmp_path / "out" / os.path.splitext(image["file_name"].replace("images/", "labels/", 1))[0]
        _, cx, cy, w, h = (float(v) for v in label.with_suffix(".txt").read_text().split())
        x, y, bw, bh = ann["bbox"]
        assert (cx * 32, cy * 24, w * 32, h * 24) == pytest.approx((x + bw / 2, y + bh / 2, bw, bh), abs=1e-3)


def test_missing_images_error_or_skip(sources, tmp_path):
    real = write_real_coco(tmp_path / "real", videos=4, frames=3)
    (real / "frames/v01/f004.png").unlink()
    cfg = make_config((real, sources[1]), tmp_path / "mixed", synthetic_share=0.2)
    with pytest.raises(MixError, match=r"sources.0 \(city_real\): 1 image file\(s\) missing .*'frames/v01/f004.png'"):
        mix(cfg)
    assert siblings(tmp_path / "mixed") == []
    result = mix(cfg, overrides=["missing_images=skip"])
    assert result.missing_images == ["city_real: frames/v01/f004.png"]
    assert "- city_real: frames/v01/f004.png" in (tmp_path / "mixed" / "report.md").read_text()
    real_images = sum(r["real"] for r in result.images.values())
    assert real_images == 11


@pytest.mark.parametrize("link", ["hardlink", "symlink", "copy"])
def test_link_modes(sources, tmp_path, link):
    out = tmp_path / "mixed"
    mix(make_config(sources, out), overrides=[f"output.link={link}"])
    roots = {"city_real": sources[0], "synth": sources[1]}
    for r in provenance(out)[:5]:
        dst, src = out / r["file_name"], roots[r["source"]] / r["original_path"]
        assert dst.is_symlink() == (link == "symlink")
        assert os.path.samefile(dst, src) == (link != "copy") and dst.read_bytes() == src.read_bytes()

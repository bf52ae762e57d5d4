"""Importers (coco, yolo, kitti, native) on our own exports and on small hand-made sources: round trips
agree with the native records, COCO segmentations of every kind decode to the right masks, unsafe paths
and malformed files give one-line errors naming the file and line/record, importers never write, and
assign_splits keeps groups whole and meets its ratios."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from conftest import generate
from PIL import Image

from formats import _masks
from formats._kitti import kitti_type
from formats.exporters import get_exporter
from formats.importers import IMPORTERS, import_dataset
from formats.native import NativeDataset
from formats.splits import assign_splits
from formats.untrusted import AnnotationError, PathResolver, resolve_inside


@pytest.fixture(scope="module")
def fake_dataset(tmp_path_factory) -> Path:
    """Four fake-rendered scenes of three frames each, exported to COCO and KITTI."""
    root = tmp_path_factory.mktemp("fake") / "ds"
    generate(
        root, "renderer=fake", "num_scenes=4", "seed=7", "scene.sequence.num_frames=3", "output.export=[coco,kitti]"
    )
    return root


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(root.rglob("*"))}


def _one_line(exc: pytest.ExceptionInfo) -> str:
    message = str(exc.value)
    assert "\n" not in message
    return message


# ---------------------------------------------------------------------------------------------- round trips


def test_coco_export_imports_as_the_native_records(fake_dataset):
    before = _tree(fake_dataset)
    native = import_dataset("native", fake_dataset)
    coco = import_dataset("coco", fake_dataset, annotations="exports/coco/annotations.json")
    assert _tree(fake_dataset) == before  # importers never write
    assert coco.categories == native.categories == [c["name"] for c in NativeDataset(fake_dataset).categories]
    assert [im.rel_path for im in coco.images] == [im.rel_path for im in native.images]
    assert len(native.images) == 12 and not coco.missing_images
    assert sum(len(im.objects) for im in native.images) > 0
    for a, b in zip(native.images, coco.images, strict=True):
        assert (a.path, a.width, a.height) == (b.path, b.width, b.height)
        assert b.meta["scene_id"] == a.meta["scene_id"] == a.group
        assert len(a.objects) == len(b.objects)
        for oa, ob in zip(a.objects, b.objects, strict=True):
            assert (oa.category, oa.bbox, oa.track_id, oa.occlusion) == (
                ob.category,
                ob.bbox,
                ob.track_id,
                ob.occlusion,
            )
            assert oa.visibility == pytest.approx(ob.visibility) and oa.truncation == pytest.approx(ob.truncation)
            np.testing.assert_array_equal(_masks.decode(oa.mask), _masks.decode(ob.mask))


def test_native_import_meta_and_visible_objects_only(fake_dataset):
    ds = NativeDataset(fake_dataset)
    native = import_dataset("native", fake_dataset)
    im = native.images[4]  # scene 000001, frame 1
    assert im.original_id == "000001/1/front" and im.group == "000001"
    assert im.meta == {"scene_id": "000001", "frame": 1, "sensor": "front", "root_seed": 7, "scene_index": 1, "t": 0.1}
    labels = ds.labels("000001", 1)["objects"]["front"]
    assert [o.track_id for o in im.objects] == [o["track_id"] for o in labels if o["visible"]]
    assert import_dataset("native", fake_dataset, sensors=["front"]).images == native.images
    with pytest.raises(AnnotationError, match="no camera 'back'"):
        import_dataset("native", fake_dataset, sensors=["back"])


def test_kitti_export_imports_as_the_native_amodal_boxes(fake_dataset):
    ds = NativeDataset(fake_dataset)
    kitti = import_dataset("kitti", fake_dataset / "exports/kitti")
    samples = (fake_dataset / "exports/kitti/samples.txt").read_text().split("\n")[:-1]
    assert [im.original_id for im in kitti.images] == [line.split()[0] for line in samples]
    compared = 0
    for im, line in zip(kitti.images, samples, strict=True):
        _, scene_id, frame, camera, _ = line.split()
        expected = [o for o in ds.labels(scene_id, int(frame))["objects"][camera] if o["bbox_amodal"] is not None]
        assert len(im.objects) == len(expected)
        for obj, ref in zip(im.objects, expected, strict=True):
            assert obj.category == kitti_type(ref["category"])  # as written: Car, Pedestrian, Misc, ...
            assert obj.bbox == tuple(float(v) for v in ref["bbox_amodal"])  # integers: exact despite rounding
            assert obj.truncation == pytest.approx(ref["truncation"], abs=1e-6)
            assert obj.occlusion == ref["occlusion"]
            assert obj.extra["rotation_y"] == pytest.approx(ref["box3d_camera"]["rotation_y"], abs=1e-6)
            compared += 1
    assert compared > 0
    assert set(kitti.categories) <= {"Car", "Truck", "Pedestrian", "Cyclist", "Misc"}


# -------------------------------------------------------------------------------------------- hand-made COCO


def _image(path: Path, width: int = 40, height: int = 30) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.zeros((height, width, 3), np.uint8)).save(path)


def _coco(root: Path, images: list[dict], annotations: list[dict], name: str = "annotations.json") -> Path:
    data = {"images": images, "annotations": annotations, "categories": [{"id": 3, "name": "thing"}]}
    (root / name).write_text(json.dumps(data, indent=1))
    return root / name


def test_coco_polygons_and_rle_decode_to_their_masks(tmp_path):
    _image(tmp_path / "img/a.png")
    square = np.zeros((30, 40), bool)
    square[5:15, 10:20] = True  # polygon with corners (10, 5) and (20, 15): pixel edges
    blob = np.zeros((30, 40), bool)
    blob[20:28, 2:9] = True
    blob[22:25, 9:30] = True
    flat = blob.T.ravel()  # uncompressed RLE: column-major run lengths starting with background
    changes = np.flatnonzero(np.diff(flat.astype(int))) + 1
    counts = np.diff(np.concatenate([[0], changes, [flat.size]])).tolist()
    ann = {"image_id": 1, "category_id": 3, "iscrowd": 0}
    _coco(
        tmp_path,
        [{"id": 1, "file_name": "a.png", "width": 40, "height": 30, "video_id": 4, "source": "x"}],
        [
            {**ann, "id": 1, "bbox": [10, 5, 10, 10], "segmentation": [[10, 5, 20, 5, 20, 15, 10, 15]]},
            {**ann, "id": 2, "bbox": [2, 20, 28, 8], "segmentation": {"size": [30, 40], "counts": counts}},
            {**ann, "id": 3, "bbox": [2, 20, 28, 8], "segmentation": _masks.encode(blob), "track_id": 9},
            {**ann, "id": 4, "bbox": [0, 0, 5, 5], "iscrowd": 1},
        ],
    )
    ds = import_dataset("coco", tmp_path, images="img")
    (im,) = ds.images
    assert im.rel_path == "img/a.png" and im.group == "video:4" and im.meta == {"video_id": 4, "source": "x"}
    poly, uncompressed, compressed, crowd = im.objects
    np.testing.assert_array_equal(_masks.decode(poly.mask), square)
    np.testing.assert_array_equal(_masks.decode(uncompressed.mask), blob)
    np.testing.assert_array_equal(_masks.decode(compressed.mask), blob)
    assert isinstance(compressed.mask["counts"], str) and compressed.track_id == 9
    assert crowd.iscrowd and crowd.mask is None and ds.categories == ["thing"]


def test_missing_images_are_listed_not_errors(tmp_path):
    _image(tmp_path / "a.png")
    images = [{"id": k, "file_name": f"{n}.png", "width": 40, "height": 30} for k, n in ((1, "a"), (2, "zz"), (3, "b"))]
    _coco(tmp_path, images, [{"id": 1, "image_id": 2, "category_id": 3, "bbox": [0, 0, 1, 1]}])
    ds = import_dataset("coco", tmp_path)
    assert [im.rel_path for im in ds.images] == ["a.png"] and ds.missing_images == ["b.png", "zz.png"]


# ------------------------------------------------------------------------------------------------ safety


@pytest.mark.parametrize("file_name", ["../x.png", "/etc/passwd", "img/..\\..\\x.png", "C:x.png", "a/../../x.png"])
def test_coco_file_name_leaving_the_root_is_refused(tmp_path, file_name):
    _coco(tmp_path, [{"id": 1, "file_name": file_name, "width": 4, "height": 4}], [])
    with pytest.raises(AnnotationError) as exc:
        import_dataset("coco", tmp_path)
    assert "annotations.json: images[0] file_name" in _one_line(exc) and repr(file_name) in str(exc.value)


def test_symlink_out_of_the_root_is_refused(tmp_path):
    outside = tmp_path / "outside.png"
    _image(outside)
    root = tmp_path / "root"
    (root / "images").mkdir(parents=True)
    os.symlink(outside, root / "images/a.png")
    _coco(root, [{"id": 7, "file_name": "images/a.png", "width": 40, "height": 30}], [])
    with pytest.raises(AnnotationError) as exc:
        import_dataset("coco", root)
    assert "images[0] file_name 'images/a.png': resolves outside" in _one_line(exc)
    # a folder symlink in a YOLO split is not walked; a linked file is refused
    (root / "data.yaml").write_text("names: [thing]\ntrain: images\n")
    with pytest.raises(AnnotationError, match="'images/a.png': resolves outside"):
        import_dataset("yolo", root)


def test_folder_symlink_out_of_the_root_is_refused_for_every_image(tmp_path):
    # the COCO importer resolves each folder once (PathResolver): a linked folder must still be caught,
    # for the second image in it as for the first
    outside = tmp_path / "outside"
    _image(outside / "a.png")
    _image(outside / "b.png")
    root = tmp_path / "root"
    (root / "images").mkdir(parents=True)
    _image(root / "images/ok.png")
    os.symlink(outside, root / "images/linked")
    images = [{"id": 1, "file_name": "images/ok.png", "width": 40, "height": 30}]
    images += [
        {"id": k, "file_name": f"images/linked/{n}.png", "width": 40, "height": 30} for k, n in ((2, "a"), (3, "b"))
    ]
    _coco(root, images, [])
    with pytest.raises(AnnotationError, match=r"images\[1\] file_name 'images/linked/a.png': resolves outside"):
        import_dataset("coco", root)
    resolver = PathResolver(root)
    assert resolver.resolve("images/ok.png", "here") == root.resolve() / "images/ok.png"
    for name in ("a", "b"):
        with pytest.raises(AnnotationError, match="resolves outside"):
            resolver.resolve(f"images/linked/{name}.png", "here")


def test_yaml_split_folder_outside_the_root_is_refused(tmp_path):
    (tmp_path / "data.yaml").write_text("names: {0: thing}\ntrain: ../x\n")
    with pytest.raises(AnnotationError) as exc:
        import_dataset("yolo", tmp_path)
    assert f"{tmp_path / 'data.yaml'}: train '../x': '..' in a path" in _one_line(exc)


def test_resolve_inside_returns_the_absolute_target(tmp_path):
    assert resolve_inside(tmp_path, "a/b.png", "here") == tmp_path.resolve() / "a/b.png"
    with pytest.raises(AnnotationError, match="^here: expected a relative path"):
        resolve_inside(tmp_path, 5, "here")  # type: ignore[arg-type]


def test_malformed_json_names_file_line_and_column(tmp_path):
    (tmp_path / "annotations.json").write_text('{\n  "images": [\n    {"id": 1,,}\n  ]\n}\n')
    with pytest.raises(AnnotationError) as exc:
        import_dataset("coco", tmp_path)
    assert _one_line(exc).startswith(f"{tmp_path / 'annotations.json'}:3:14: invalid JSON")


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"bbox": [0, 0, 1]}, "annotations[0] bbox: expected [x, y, w, h]"),
        ({"bbox": [0, 0, -1, 2]}, "annotations[0] bbox: negative width"),
        ({"bbox": [0, "a", 1, 2]}, "annotations[0] bbox: expected a finite number"),
        ({"category_id": 5}, "annotations[0]: category_id 5 is not in categories"),
        ({"image_id": 99}, "annotations[0]: image_id 99 names no image"),
        ({"segmentation": {"size": [3, 3], "counts": "x"}}, "annotations[0] segmentation: RLE size"),
    ],
)
def test_malformed_coco_records_name_the_record(tmp_path, record, message):
    _image(tmp_path / "a.png")
    ann = {"id": 1, "image_id": 1, "category_id": 3, "bbox": [0, 0, 2, 2], **record}
    _coco(tmp_path, [{"id": 1, "file_name": "a.png", "width": 40, "height": 30}], [ann])
    with pytest.raises(AnnotationError) as exc:
        import_dataset("coco", tmp_path)
    assert _one_line(exc).startswith(f"{tmp_path / 'annotations.json'}: {message}")


def test_bad_image_size_names_the_image(tmp_path):
    _coco(tmp_path, [{"id": 1, "file_name": "a.png", "width": 0, "height": 30}], [])
    with pytest.raises(AnnotationError, match=r"annotations.json: images\[0\] width: expected a positive integer"):
        import_dataset("coco", tmp_path)


@pytest.mark.parametrize(
    ("segmentation", "message"),
    [
        ([[0, 0, 1e9, 0, 1e9, 1e9]], r"segmentation\[0\]\[2\]: x 1e\+09 is far outside the 40x30 image"),
        ([[0, 0, 10, 0, 10, -31]], r"segmentation\[0\]\[5\]: y -31 is far outside"),
        ([[1, 2, 3, 4]], r"segmentation\[0\]: a polygon is a flat list of >= 3 x, y pairs"),
        ({"size": [30, 40], "counts": "nnnnnnn"}, "segmentation: compressed RLE counts: the last run is cut off"),
        ({"size": [30, 40], "counts": "zzzzzzzz"}, "segmentation: compressed RLE counts: character 'z'"),
        ({"size": [30, 40], "counts": "0"}, r"segmentation: RLE counts sum to 0, not 30 \* 40 = 1200"),
        ({"size": [30, 40], "counts": "0" + "n" * 5 + "0"}, "segmentation: RLE counts sum to"),
        ({"size": [30, 40], "counts": "1O"}, "segmentation: compressed RLE counts: run 1 is negative \\(-1\\)"),
        ({"size": [30, 40], "counts": [1000, 300]}, "segmentation: RLE counts sum to 1300"),
        ({"size": [30, 40], "counts": [1300, -100]}, "segmentation: uncompressed RLE counts must be integers >= 0"),
        ({"size": [40, 30], "counts": [1200]}, r"segmentation: RLE size \[40, 30\] is not the image's \[30, 40\]"),
        ({"size": [30, 40], "counts": 5}, "segmentation: RLE counts must be a string"),
    ],
)
def test_coco_segmentations_pycocotools_would_misread_are_refused(tmp_path, segmentation, message):
    # pycocotools trusts its input: these crashed it (huge polygon) or read past the RLE (garbage counts)
    _image(tmp_path / "a.png")
    ann = {"id": 1, "image_id": 1, "category_id": 3, "bbox": [0, 0, 2, 2], "segmentation": segmentation}
    _coco(tmp_path, [{"id": 1, "file_name": "a.png", "width": 40, "height": 30}], [ann])
    with pytest.raises(AnnotationError, match=f"annotations.json: annotations\\[0\\] {message}") as exc:
        import_dataset("coco", tmp_path)
    _one_line(exc)


def test_compressed_rle_counts_decode_as_pycocotools_does():
    rng = np.random.default_rng(3)
    for k in range(50):
        height, width = (int(v) for v in rng.integers(1, 40, 2))
        mask = rng.random((height, width)) < rng.uniform(0.05, 0.95)
        if k % 2:
            mask = np.zeros((height, width), bool)
            mask[rng.integers(0, height) :, rng.integers(0, width) :] = True
        flat = mask.T.ravel()
        changes = np.flatnonzero(np.diff(flat.astype(int))) + 1
        runs = ([0] if flat[0] else []) + np.diff(np.concatenate([[0], changes, [flat.size]])).tolist()
        counts = _masks.encode(mask)["counts"]
        assert _masks.counts_from_string(counts).tolist() == runs
        assert _masks.check_rle(counts, [height, width]) is None
        assert _masks.check_rle(runs, [height, width]) is None


def test_coco_image_size_must_be_the_files(tmp_path):
    _image(tmp_path / "a.png")  # 40 x 30
    _coco(tmp_path, [{"id": 1, "file_name": "a.png", "width": 200000, "height": 200000}], [])
    with pytest.raises(AnnotationError) as exc:
        import_dataset("coco", tmp_path)
    assert _one_line(exc).startswith(
        f"{tmp_path / 'annotations.json'}: images[0]: width x height 200000x200000 is not the image file's 40x30"
    )
    # a JPEG turned by its EXIF orientation matches as displayed (30 x 40) or as stored (40 x 30)
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("RGB", (40, 30)).save(tmp_path / "b.jpg", exif=exif)
    for width, height in ((30, 40), (40, 30)):
        _coco(tmp_path, [{"id": 1, "file_name": "b.jpg", "width": width, "height": height}], [])
        assert import_dataset("coco", tmp_path).images[0].width == width


@pytest.mark.parametrize("limit", [1000, 2000])  # 40 x 30 = 1200 pixels: over 2x the limit (error), over it (warning)
def test_decompression_bomb_images_are_refused(tmp_path, monkeypatch, limit):
    _image(tmp_path / "a.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", limit // 2)
    from formats.untrusted import image_size

    with pytest.raises(AnnotationError) as exc:
        image_size(tmp_path / "a.png")
    assert _one_line(exc).startswith(f"{tmp_path / 'a.png'}: image too large, refusing it (Image size (1200 pixels)")
    _coco(tmp_path, [{"id": 1, "file_name": "a.png", "width": 40, "height": 30}], [])
    with pytest.raises(AnnotationError, match="a.png: image too large"):
        import_dataset("coco", tmp_path)


@pytest.mark.parametrize("second", ["a.png", "./a.png", "link/a.png"])
def test_coco_image_listed_twice_is_refused(tmp_path, second):
    _image(tmp_path / "a.png")
    os.symlink(".", tmp_path / "link")  # link/a.png is a.png
    images = [{"id": k, "file_name": name, "width": 40, "height": 30} for k, name in ((1, "a.png"), (2, second))]
    _coco(tmp_path, images, [])
    with pytest.raises(AnnotationError) as exc:
        import_dataset("coco", tmp_path)
    assert _one_line(exc).startswith(
        f"{tmp_path / 'annotations.json'}: images[1]: file_name {second!r} names the same file as images[0] ('a.png')"
    )


@pytest.mark.parametrize("category_id", [[3], {"a": 3}, "3", 3.0])
def test_coco_category_id_of_the_wrong_type_names_the_record(tmp_path, category_id):
    _image(tmp_path / "a.png")
    ann = {"id": 1, "image_id": 1, "category_id": category_id, "bbox": [0, 0, 2, 2]}
    _coco(tmp_path, [{"id": 1, "file_name": "a.png", "width": 40, "height": 30}], [ann])
    with pytest.raises(AnnotationError) as exc:
        import_dataset("coco", tmp_path)
    assert _one_line(exc).startswith(f"{tmp_path / 'annotations.json'}: annotations[0]: category_id")


def _yolo(root: Path, rows: str) -> Path:
    _image(root / "images/train/a.png")
    (root / "labels/train").mkdir(parents=True)
    (root / "labels/train/a.txt").write_text(rows)
    (root / "data.yaml").write_text("names: [a, b]\ntrain: images/train\n")
    return root / "labels/train/a.txt"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("0 0.5 0.5 0.1", "4 fields"),
        ("99 0.5 0.5 0.1 0.1", "class 99 is not in names"),
        ("1 0.5 1.7 0.1 0.1", "coordinate 1.7 is outside [0, 1]"),
        ("1 0.5 x 0.1 0.1", "coordinate 'x' is not a number"),
        ("0 0.1 0.1 0.2 0.1 0.2", "6 fields"),
    ],
)
def test_bad_yolo_rows_name_file_and_line(tmp_path, row, message):
    label = _yolo(tmp_path, f"0 0.5 0.5 0.2 0.2\n\n{row}\n")
    with pytest.raises(AnnotationError) as exc:
        import_dataset("yolo", tmp_path)
    assert _one_line(exc).startswith(f"{label}:3: {message}")


def test_yolo_rows_in_pixels(tmp_path):
    _yolo(tmp_path, "1 0.5 0.5 0.5 0.2\n0 0.25 0.2 0.5 0.2 0.5 0.6000004 0.25 0.6\n")
    (im,) = import_dataset("yolo", tmp_path).images
    box, poly = im.objects
    assert (im.width, im.height, im.meta, im.group) == (40, 30, {"split": "train"}, "images/train/a.png")
    assert box.category == "b" and box.bbox == pytest.approx((10, 12, 20, 6)) and box.mask is None
    assert poly.category == "a" and poly.bbox == pytest.approx((10, 6, 10, 12), abs=1e-4)
    expected = np.zeros((30, 40), bool)
    expected[6:18, 10:20] = True
    np.testing.assert_array_equal(_masks.decode(poly.mask), expected)


def test_kitti_rows_and_missing_images(tmp_path):
    _image(tmp_path / "image_2/000001.png")
    (tmp_path / "label_2").mkdir()
    row = "Car 0.25 1 -1.5 10.00 5.00 19.00 14.00 1.5 1.6 3.9 1.0 1.5 20.0 -1.4 0.9\n"
    (tmp_path / "label_2/000001.txt").write_text(row + "DontCare -1 -1 -10 0 0 5 5 -1 -1 -1 -1000 -1000 -1000 -10\n")
    (tmp_path / "label_2/000002.txt").write_text("Pedestrian 0 0 0 1 2 3\n")
    ds = import_dataset("kitti", tmp_path)
    assert ds.missing_images == ["image_2/000002.png"] and ds.categories == ["Car"]
    (obj,) = ds.images[0].objects
    assert obj.bbox == (10.0, 5.0, 9.0, 9.0)  # continuous edges: w = right - left
    assert (obj.truncation, obj.occlusion) == (0.25, 1)
    assert obj.extra == {
        "alpha": -1.5,
        "dimensions": [1.5, 1.6, 3.9],
        "location": [1.0, 1.5, 20.0],
        "rotation_y": -1.4,
        "score": 0.9,
    }
    _image(tmp_path / "image_2/000002.png")
    with pytest.raises(AnnotationError) as exc:
        import_dataset("kitti", tmp_path)
    assert _one_line(exc).startswith(f"{tmp_path / 'label_2/000002.txt'}:1: 7 fields")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ("0.00 9", "occluded 9 is not an integer 0..3"),
        ("0.00 -1", "occluded -1 is not an integer 0..3"),
        ("0.00 1.5", "occluded 1.5 is not an integer 0..3"),
        ("5.00 0", "truncated 5.00 is outside [0, 1]"),
        ("-0.5 0", "truncated -0.5 is outside [0, 1]"),
    ],
)
def test_kitti_truncated_and_occluded_are_range_checked(tmp_path, fields, message):
    _image(tmp_path / "image_2/000001.png")
    (tmp_path / "label_2").mkdir()
    ok = "Car 1.0000001 3 -1.5 1 2 3 4 1.5 1.6 3.9 1.0 1.5 20.0 -1.4\n"  # 1e-6 over 1 is rounding
    (tmp_path / "label_2/000001.txt").write_text(ok + f"Car {fields} -1.5 1 2 3 4 1.5 1.6 3.9 1.0 1.5 20.0 -1.4\n")
    with pytest.raises(AnnotationError) as exc:
        import_dataset("kitti", tmp_path)
    assert _one_line(exc) == f"{tmp_path / 'label_2/000001.txt'}:2: {message}"
    (tmp_path / "label_2/000001.txt").write_text(ok)
    (obj,) = import_dataset("kitti", tmp_path).images[0].objects
    assert (obj.truncation, obj.occlusion) == (1.0, 3)


def test_kitti_images_that_are_not_png_are_named(tmp_path):
    _image(tmp_path / "image_2/000001.jpg")
    (tmp_path / "label_2").mkdir()
    (tmp_path / "label_2/000001.txt").write_text("")
    with pytest.raises(AnnotationError) as exc:
        import_dataset("kitti", tmp_path)
    assert _one_line(exc).startswith(f"{tmp_path / 'image_2/000001.jpg'}: KITTI images are read as image_2/<stem>.png")


def test_yolo_yaml_without_splits_is_refused(tmp_path):
    (tmp_path / "data.yaml").write_text("names: [a]\nnc: 1\n")
    with pytest.raises(AnnotationError) as exc:
        import_dataset("yolo", tmp_path)
    assert (
        _one_line(exc) == f"{tmp_path / 'data.yaml'}: names no split folder; expected at least one of train, val, test"
    )


def test_unknown_format_option_and_root(tmp_path):
    with pytest.raises(AnnotationError, match="unknown import format 'voc'"):
        import_dataset("voc", tmp_path)
    with pytest.raises(AnnotationError, match="import coco: unknown option 'image'; known: annotations, images"):
        import_dataset("coco", tmp_path, image="x")
    with pytest.raises(AnnotationError, match="is not a folder"):
        import_dataset("kitti", tmp_path / "nope")
    with pytest.raises(AnnotationError, match="dataset.json: not found"):
        import_dataset("native", tmp_path)
    assert set(IMPORTERS) == {"coco", "yolo", "kitti", "native"}


def test_importers_never_write(tmp_path, fake_dataset):
    _yolo(tmp_path, "0 0.5 0.5 0.2 0.2\n")
    before = _tree(tmp_path)
    import_dataset("yolo", tmp_path)
    assert _tree(tmp_path) == before
    kitti = fake_dataset / "exports/kitti"
    before = _tree(kitti)
    import_dataset("kitti", kitti)
    assert _tree(kitti) == before


# ------------------------------------------------------------------------------------------------- splits


def test_assign_splits_meets_ratios_keeps_groups_whole_and_is_deterministic():
    rng = np.random.default_rng(3)
    ratios = {"train": 0.7, "val": 0.2, "test": 0.1}
    for trial in range(50):
        sizes = {f"g{k}": int(rng.integers(1, 30)) for k in range(int(rng.integers(5, 60)))}
        splits = assign_splits(sizes, ratios, seed=trial)
        assert splits == assign_splits(dict(reversed(sizes.items())), ratios, seed=trial)  # order-free
        assert set(splits) == set(sizes) and set(splits.values()) <= set(ratios)  # one split per group
        total = sum(sizes.values())
        for name, ratio in ratios.items():
            got = sum(size for group, size in sizes.items() if splits[group] == name)
            assert abs(got - ratio * total) <= max(sizes.values())
    sizes = {f"g{k}": 1 for k in range(100)}
    assert assign_splits(sizes, ratios, 0) != assign_splits(sizes, ratios, 1)
    assert set(assign_splits(sizes, {"train": 1, "val": 0}, 0).values()) == {"train"}


@pytest.mark.parametrize(
    "ratios", [{"train": -0.1, "val": 1.0}, {"a": 0, "b": 0.0}, {"a": "x"}, {"a": float("nan")}, {}]
)
def test_assign_splits_rejects_bad_ratios(ratios):
    with pytest.raises(ValueError) as exc:
        assign_splits({"g": 1}, ratios, 0)
    assert "\n" not in str(exc.value)


def test_exporter_registry_has_yolo():
    assert get_exporter("yolo").__name__ == "export_yolo" and get_exporter("yolo_seg").__name__ == "export_yolo_seg"

"""YOLO exports (yolo, yolo_seg) of native datasets and the record writers: boxes agree with the COCO
export, polygons follow pixel edges and rasterize back to the masks, splits are per scene, reruns give the
same bytes and remove stale files, and the COCO writer keeps provenance."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import generate

from formats import _masks
from formats.exporters import get_exporter
from formats.importers import import_dataset
from formats.record_writers import OutputImage, write_coco, write_yolo
from formats.splits import assign_splits
from formats.yolo import SPLIT_RATIOS, SPLIT_SEED


@pytest.fixture(scope="module")
def fake_dataset(tmp_path_factory) -> Path:
    """Ten fake-rendered scenes of two frames, exported to COCO, YOLO and YOLO-seg."""
    root = tmp_path_factory.mktemp("fake") / "ds"
    overrides = ("num_scenes=10", "seed=4", "scene.sequence.num_frames=2", "output.export=[coco,yolo,yolo_seg]")
    generate(root, "renderer=fake", *overrides)
    return root


def _native_key(name: str) -> tuple[str, int, str]:
    """(scene_id, frame, camera) of an exported image name <scene>_<frame:06d>_<camera>.png."""
    scene_id, frame, camera = Path(name).stem.split("_", 2)
    return scene_id, int(frame), camera


def _coco_objects(root: Path) -> dict[tuple[str, int, str], list[dict]]:
    coco = json.loads((root / "exports/coco/annotations.json").read_text())
    names = {c["id"]: c["name"] for c in coco["categories"]}
    images = {im["id"]: (im["scene_id"], im["frame"], im["sensor"]) for im in coco["images"]}
    objects: dict[tuple[str, int, str], list[dict]] = defaultdict(list)
    for ann in coco["annotations"]:
        objects[images[ann["image_id"]]].append({**ann, "name": names[ann["category_id"]]})
    return objects


def _check_against_coco(root: Path, subdir: str, min_pixels_for_iou: int) -> int:
    """Compare a YOLO export's import with the COCO export; returns the number of masks compared."""
    yolo = import_dataset("yolo", root / subdir)
    coco = _coco_objects(root)
    scenes = sorted({_native_key(im.rel_path)[0] for im in yolo.images})
    sizes = {s: sum(1 for im in yolo.images if _native_key(im.rel_path)[0] == s) for s in scenes}
    splits = assign_splits(sizes, SPLIT_RATIOS, SPLIT_SEED)
    compared = 0
    for im in yolo.images:
        key = _native_key(im.rel_path)
        assert im.meta["split"] == splits[key[0]] and im.rel_path.startswith(f"images/{splits[key[0]]}/")
        expected = coco.get(key, [])
        assert [o.category for o in im.objects] == [a["name"] for a in expected]
        for obj, ann in zip(im.objects, expected, strict=True):
            np.testing.assert_allclose(obj.bbox, ann["bbox"], atol=0.5)
            if obj.mask is not None and ann["area"] >= min_pixels_for_iou:
                seg = ann["segmentation"]
                got, want = _masks.decode(obj.mask), _masks.decode(seg)
                assert (got & want).sum() / (got | want).sum() >= 0.9
                compared += 1
    return compared


def test_yolo_boxes_and_classes_equal_the_coco_export(fake_dataset):
    yolo = import_dataset("yolo", fake_dataset / "exports/yolo")
    assert len(yolo.images) == 20 and all(o.mask is None for im in yolo.images for o in im.objects)
    _check_against_coco(fake_dataset, "exports/yolo", min_pixels_for_iou=400)
    used = {o.category for im in yolo.images for o in im.objects}
    native = [c["name"] for c in json.loads((fake_dataset / "dataset.json").read_text())["categories"]]
    assert yolo.categories == [name for name in native if name in used]  # dataset.json order, labelled only
    assert {im.meta["split"] for im in yolo.images} == {"train", "val", "test"}


def test_yolo_seg_polygons_rasterize_back_to_the_masks(fake_dataset):
    assert _check_against_coco(fake_dataset, "exports/yolo_seg", min_pixels_for_iou=400) > 0


def test_exports_are_byte_identical_and_remove_stale_files(fake_dataset):
    out = fake_dataset / "exports/yolo_seg"
    before = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    (out / "images/train/zzz_000000_front.png").write_bytes(b"old")
    (out / "labels/old").mkdir()
    (out / "labels/old/x.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    (out / "notes.md").write_text("mine")
    assert get_exporter("yolo_seg")(fake_dataset) == out
    (out / "notes.md").unlink()  # a file outside the layout is kept
    after = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert after == before
    image = out / "images/val" / next(p.name for p in (out / "images/val").iterdir())
    assert image.stat().st_nlink >= 2  # a hard link to the native rgb PNG, no copy


@pytest.mark.gl
def test_yolo_seg_on_rendered_masks(street_dataset):
    get_exporter("yolo_seg")(street_dataset)
    get_exporter("yolo")(street_dataset)
    assert _check_against_coco(street_dataset, "exports/yolo_seg", min_pixels_for_iou=400) > 5
    _check_against_coco(street_dataset, "exports/yolo", min_pixels_for_iou=400)


def _blob(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    mask = np.zeros((height, width), np.uint8)
    for _ in range(int(rng.integers(1, 4))):
        centre = (int(rng.integers(10, width - 10)), int(rng.integers(10, height - 10)))
        axes = (int(rng.integers(10, 30)), int(rng.integers(10, 30)))
        cv2.ellipse(mask, centre, axes, float(rng.uniform(0, 180)), 0, 360, 1, -1)
    return mask.astype(bool)


def test_polygon_follows_pixel_edges_of_random_blobs():
    rng = np.random.default_rng(0)
    for _ in range(100):
        mask = _blob(rng, 80, 100)
        cols, rows = np.flatnonzero(mask.any(0)), np.flatnonzero(mask.any(1))
        polygon = _masks.polygon_from_mask(mask)
        bounds = [*polygon.min(0), *polygon.max(0)]
        np.testing.assert_allclose(bounds, [cols[0], rows[0], cols[-1] + 1, rows[-1] + 1], atol=0.5)
        back = _masks.decode(_masks.rle_from_polygons([polygon.ravel().tolist()], 80, 100))
        assert (back & mask).sum() / (back | mask).sum() >= 0.9


def test_polygon_of_parts_and_corner_touching_pixels():
    mask = np.zeros((6, 8), bool)
    mask[1, 1] = mask[2, 2] = True  # touching at a corner: one part
    mask[4:6, 5:8] = True
    polygon = _masks.polygon_from_mask(mask)
    back = _masks.decode(_masks.rle_from_polygons([polygon.ravel().tolist()], 6, 8))
    np.testing.assert_array_equal(back, mask)  # zero-width bridges add no pixel
    assert _masks.polygon_from_mask(np.zeros((3, 3), bool)).shape == (0, 2)


def _ultralytics_polygon2mask(text_row: str, width: int, height: int) -> np.ndarray:
    """The mask ultralytics trains on for one YOLO segment row, by its documented rule
    (ultralytics/data/utils.py ``verify_image_label`` and ``polygon2mask``; tests/test_consumers.py runs
    its own code): the points after the class parsed as float32 pairs, denormalized by the image size in
    float32, cast to int32 (truncation), filled with ``cv2.fillPoly`` (boundary included)."""
    points = np.array(text_row.split()[1:], dtype=np.float32).reshape(-1, 2) * np.array([width, height], np.float32)
    mask = np.zeros((height, width), np.uint8)
    cv2.fillPoly(mask, np.asarray([points.reshape(-1)], dtype=np.int32).reshape(1, -1, 2), color=1)
    return mask.astype(bool)


def _ultralytics_resampled(text_row: str, width: int, height: int) -> np.ndarray:
    """The same row as ultralytics trains on it after resampling its segment, by its documented rule
    (``YOLODataset.update_labels_info``: 1000 points, or one more than the longest segment's;
    ``resample_segments``: the closed polygon interpolated at evenly spaced vertex-index positions, its
    own vertices kept, in float32), then rasterized as :func:`_ultralytics_polygon2mask`."""
    cls, *values = text_row.split()
    s = np.array(values, dtype=np.float32).reshape(-1, 2)
    n = len(s) + 1 if 1000 < len(s) else 1000
    s = np.concatenate((s, s[0:1, :]), axis=0)
    x = np.linspace(0, len(s) - 1, n - len(s) if len(s) < n else n)
    xp = np.arange(len(s))
    x = np.insert(x, np.searchsorted(x, xp), xp) if len(s) < n else x
    resampled = np.stack([np.interp(x, xp, s[:, i]) for i in range(2)], axis=1).astype(np.float32)
    return _ultralytics_polygon2mask(" ".join([cls, *map(repr, resampled.ravel().tolist())]), width, height)


def _has_pinch(mask: np.ndarray) -> bool:
    """Two pixels of the mask touch only at a corner (a 2x2 window holds one diagonal pair alone)."""
    a, b, c, d = mask[:-1, :-1], mask[:-1, 1:], mask[1:, :-1], mask[1:, 1:]
    return bool(np.any((a & d & ~b & ~c) | (b & c & ~a & ~d)))


def _row_of(polygon: np.ndarray, width: int, height: int, decimals: int | None = None) -> str:
    """A segment row of a polygon in pixels, written as the YOLO writer writes it (``decimals`` None: with
    ``_masks.yolo_decimals``)."""
    decimals = _masks.yolo_decimals(width, height) if decimals is None else decimals
    return "0 " + " ".join(f"{v:.{decimals}f}" for v in (polygon / (width, height)).ravel())


def _noise_parts(rng: np.random.Generator, count: int) -> list[np.ndarray]:
    """Single 8-connected parts of random noise and blurred noise: staircases, one-pixel spurs, pixels
    touching at a corner, concave corners everywhere."""
    parts = []
    while len(parts) < count:
        field = rng.random((24, 32))
        noise = field < 0.5 if len(parts) % 2 else cv2.GaussianBlur(field, (0, 0), 2) > 0.5
        n, labels = cv2.connectedComponents(noise.astype(np.uint8), connectivity=8)
        if n > 1:
            parts.append(labels == 1 + rng.integers(n - 1))
    return parts


def _filled(mask: np.ndarray) -> np.ndarray:
    """The mask with its holes filled (a YOLO polygon has none)."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    out = np.zeros(mask.shape, np.uint8)
    cv2.drawContours(out, contours, -1, 1, -1)
    return out.astype(bool)


def test_ultralytics_rasterizes_our_segment_polygon_back_to_the_mask():
    rng = np.random.default_rng(0)
    grown = off_at_pinches = 0
    for mask in _noise_parts(rng, 600) + [_blob(rng, 80, 100) for _ in range(50)]:
        height, width = mask.shape
        if len(cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)[0]) > 1:
            continue  # blobs of several parts: bridged, tested below
        polygon = _masks.polygon_from_mask(mask, inset_px=_masks.INSET_PX)
        row, filled = _row_of(polygon, width, height), _filled(mask)
        np.testing.assert_array_equal(_ultralytics_polygon2mask(row, width, height), filled)
        # after ultralytics' resampling too, but for float32 rounding at a pinch (one pixel, rarely)
        wrong = int((_ultralytics_resampled(row, width, height) ^ filled).sum())
        assert wrong == 0 or (wrong == 1 and _has_pinch(mask))
        off_at_pinches += wrong
        # pycocotools, which samples pixel centres, reads the same mask
        back = _masks.decode(_masks.rle_from_polygons([polygon.ravel().tolist()], height, width))
        np.testing.assert_array_equal(back, filled)
        # the extremes, from which ultralytics takes the segment's box, are the mask's box
        cols, rows = np.flatnonzero(mask.any(0)), np.flatnonzero(mask.any(1))
        box = [cols[0], rows[0], cols[-1] + 1, rows[-1] + 1]
        np.testing.assert_allclose([*polygon.min(0), *polygon.max(0)], box, atol=_masks.INSET_PX + 1e-9)
        # the pixel-edge polygon (pycocotools' convention) grows under ultralytics' truncation
        edges = _masks.polygon_from_mask(mask)
        grown += _ultralytics_polygon2mask(_row_of(edges, width, height), width, height).sum() > filled.sum()
    assert grown > 600 and off_at_pinches <= 6  # of 600 noise masks, most with pinches


def test_ultralytics_masks_of_the_yolo_seg_export(fake_dataset):
    ious = []
    for im in import_dataset("native", fake_dataset).images:
        name = f"{im.meta['scene_id']}_{int(im.meta['frame']):06d}_{im.meta['sensor']}.txt"
        (label,) = (fake_dataset / "exports/yolo_seg/labels").glob(f"*/{name}")
        rows = label.read_text().splitlines()
        assert len(rows) == len(im.objects)
        for row, obj in zip(rows, im.objects, strict=True):
            ours, theirs = _masks.decode(obj.mask), _ultralytics_polygon2mask(row, im.width, im.height)
            if ours.sum() >= 100:
                ious.append((ours & theirs).sum() / (ours | theirs).sum())
    assert len(ious) > 20 and np.mean(ious) >= 0.97


def test_yolo_decimals_keep_the_truncation_exact_on_large_images():
    width, height = 100_000, 2
    assert _masks.yolo_decimals(width, height) == 8 and _masks.yolo_decimals(640, 480) == 6
    # the columns where 6 decimals would round a vertex INSET_PX inside the pixel edge past it
    e, scale = _masks.INSET_PX, np.float32(width)
    j = np.arange(width - 1)
    left = (np.round((j + e) / width, 6).astype(np.float32) * scale).astype(np.int32) != j
    right = (np.round((j + 1 - e) / width, 6).astype(np.float32) * scale).astype(np.int32) != j
    column = int(np.flatnonzero(left | right)[0])
    mask = np.zeros((height, width), bool)
    mask[:, column] = True
    polygon = _masks.polygon_from_mask(mask, inset_px=e)
    six = _row_of(polygon, width, height, decimals=6)
    assert not np.array_equal(_ultralytics_polygon2mask(six, width, height), mask)  # 6 decimals: off by one
    np.testing.assert_array_equal(_ultralytics_polygon2mask(_row_of(polygon, width, height), width, height), mask)


def _entry(file_name: str, split: str, tmp_path: Path, objects: list) -> OutputImage:
    from formats.records import ImageAnnotations

    image = ImageAnnotations(tmp_path / "x.png", "x.png", 40, 20, objects, original_id="x", group="x")
    return OutputImage(file_name=file_name, split=split, image=image, fields={"source": "s", "id": 99})


def test_record_writers(tmp_path):
    from formats.records import ObjectAnnotation

    mask = np.zeros((20, 40), bool)
    mask[2:6, 4:12] = True
    objects = [
        ObjectAnnotation("b", (4.0, 2.0, 8.0, 4.0), mask=_masks.encode(mask), track_id=3, visibility=0.5),
        ObjectAnnotation("a", (0.0, 10.0, 20.0, 10.0)),
        ObjectAnnotation("a", (0.0, 0.0, 5.0, 5.0), iscrowd=True),
    ]
    entries = [
        _entry("images/val/x.png", "val", tmp_path, objects),
        _entry("images/train/y.png", "train", tmp_path, []),
    ]
    written = write_yolo(tmp_path / "seg", entries, ["a", "b"], task="segment")
    assert [p.relative_to(tmp_path / "seg").as_posix() for p in written] == [
        "labels/val/x.txt",
        "labels/train/y.txt",
        "data.yaml",
    ]
    rows = (tmp_path / "seg/labels/val/x.txt").read_text().splitlines()
    # the mask's outline x 4..12, y 2..6 and the box's x 0..20, y 10..20, each 1/32 px inside
    e = _masks.INSET_PX
    _check_rows(
        rows,
        40,
        20,
        [
            (1, [[4 + e, 2 + e], [4 + e, 6 - e], [12 - e, 6 - e], [12 - e, 2 + e]]),
            (0, [[0 + e, 10 + e], [20 - e, 10 + e], [20 - e, 20 - e], [0 + e, 20 - e]]),
        ],
    )
    assert (tmp_path / "seg/labels/train/y.txt").read_text() == ""
    yaml_text = (tmp_path / "seg/data.yaml").read_text()
    assert "train: images/train\nval: images/val\n" in yaml_text and "path" not in yaml_text
    write_yolo(tmp_path / "det", entries, ["a", "b"])
    assert (tmp_path / "det/labels/val/x.txt").read_text().splitlines()[1] == "0 0.250000 0.750000 0.500000 0.500000"
    coco = json.loads(write_coco(tmp_path / "c.json", entries, ["a", "b"]).read_text())
    assert coco["categories"] == [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]
    assert coco["images"][0] == {
        "id": 1,
        "file_name": "images/val/x.png",
        "width": 40,
        "height": 20,
        "split": "val",
        "source": "s",
    }
    first, second, crowd = coco["annotations"]
    assert first["category_id"] == 2 and first["area"] == 32 and first["track_id"] == 3 and first["visibility"] == 0.5
    assert second["segmentation"] == [[0.0, 10.0, 20.0, 10.0, 20.0, 20.0, 0.0, 20.0]]  # no mask: the box
    assert second["area"] == 200.0 and "track_id" not in second
    assert crowd["iscrowd"] == 1
    with pytest.raises(ValueError, match="category 'c' is not one of the classes"):
        write_coco(
            tmp_path / "d.json",
            [_entry("images/val/x.png", "val", tmp_path, [ObjectAnnotation("c", (0, 0, 1, 1))])],
            ["a"],
        )
    with pytest.raises(ValueError, match="must start with 'images/train/'"):
        write_yolo(tmp_path / "e", [_entry("images/val/x.png", "train", tmp_path, [])], ["a"])


def test_yolo_detect_rows_clip_the_box_corners(tmp_path):
    from formats.records import ObjectAnnotation

    objects = [
        ObjectAnnotation("a", (-10.0, 2.0, 20.0, 4.0)),  # half outside on the left: x 0..10
        ObjectAnnotation("a", (30.0, 15.0, 20.0, 10.0)),  # past the bottom right corner: x 30..40, y 15..20
        ObjectAnnotation("b", (50.0, 5.0, 10.0, 5.0)),  # wholly outside: no row
        ObjectAnnotation("b", (-30.0, -30.0, 10.0, 10.0)),
    ]
    entries = [_entry("images/train/x.png", "train", tmp_path, objects)]
    write_yolo(tmp_path / "det", entries, ["a", "b"])
    assert (tmp_path / "det/labels/train/x.txt").read_text().splitlines() == [
        "0 0.125000 0.200000 0.250000 0.200000",
        "0 0.875000 0.875000 0.250000 0.250000",
    ]
    write_yolo(tmp_path / "seg", entries, ["a", "b"], task="segment")  # no mask: the clipped box's corners
    e = _masks.INSET_PX
    _check_rows(
        (tmp_path / "seg/labels/train/x.txt").read_text().splitlines(),
        40,
        20,
        [
            (0, [[0 + e, 2 + e], [10 - e, 2 + e], [10 - e, 6 - e], [0 + e, 6 - e]]),
            (0, [[30 + e, 15 + e], [40 - e, 15 + e], [40 - e, 20 - e], [30 + e, 20 - e]]),
        ],
    )


def _check_rows(rows: list[str], width: int, height: int, expected: list[tuple[int, list]]) -> None:
    """YOLO segment rows of a width x height image are the expected (class, polygon in pixels)."""
    assert len(rows) == len(expected)
    for row, (cls, polygon) in zip(rows, expected, strict=True):
        head, *values = row.split(" ")
        assert int(head) == cls
        assert all(len(v.split(".")[1]) == 6 for v in values)  # ultralytics' own precision at this size
        got = np.array(values, dtype=np.float64).reshape(-1, 2) * (width, height)
        np.testing.assert_allclose(got, polygon, atol=2e-5)


def test_coco_of_objects_without_masks_evaluates_segm(tmp_path):
    import contextlib
    import io

    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    from formats.records import ObjectAnnotation

    mask = np.zeros((20, 40), bool)
    mask[2:6, 4:12] = True
    objects = [
        ObjectAnnotation("a", (4.0, 2.0, 8.0, 4.0), mask=_masks.encode(mask)),
        ObjectAnnotation("a", (20.0, 10.0, 10.0, 5.0)),
        ObjectAnnotation("b", (30.0, -5.0, 20.0, 10.0)),  # partly outside: the polygon is clipped
    ]
    path = write_coco(tmp_path / "c.json", [_entry("images/val/x.png", "val", tmp_path, objects)], ["a", "b"])
    anns = json.loads(path.read_text())["annotations"]
    assert anns[1]["segmentation"] == [[20.0, 10.0, 30.0, 10.0, 30.0, 15.0, 20.0, 15.0]]
    assert anns[2]["segmentation"] == [[30.0, 0.0, 40.0, 0.0, 40.0, 5.0, 30.0, 5.0]]
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(path))
        dt = gt.loadRes([dict(a, score=1.0) for a in anns])
        evaluation = COCOeval(gt, dt, "segm")  # an IndexError on "segmentation": []
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    assert evaluation.stats[0] == pytest.approx(1.0)


def test_data_yaml_always_names_train_and_val(tmp_path):
    import yaml

    entries = [_entry("images/train/x.png", "train", tmp_path, []), _entry("images/test/y.png", "test", tmp_path, [])]
    write_yolo(tmp_path / "y", entries, ["a"])
    text = (tmp_path / "y/data.yaml").read_text()
    assert "val: images/train  # no val images in this dataset: validating on train\n" in text
    config = yaml.safe_load(text)
    assert (config["train"], config["val"], config["test"]) == ("images/train", "images/train", "images/test")
    _image_file(tmp_path / "y/images/train/x.png")
    _image_file(tmp_path / "y/images/test/y.png")
    back = import_dataset("yolo", tmp_path / "y")  # the train folder named again for val is read once
    assert [(im.rel_path, im.meta["split"]) for im in back.images] == [
        ("images/train/x.png", "train"),
        ("images/test/y.png", "test"),
    ]
    with pytest.raises(ValueError, match="needs train images"):
        write_yolo(tmp_path / "z", [_entry("images/val/x.png", "val", tmp_path, [])], ["a"])
    assert not (tmp_path / "z").exists()  # refused before any label was written


def _image_file(path: Path, width: int = 40, height: int = 20) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (width, height)).save(path)

"""Hardening of ``synthsense mix`` and the importers it reads sources with (issue 12): overlapping sources
and images reached twice, the placed-once invariant, boxes outside the image or overflowing, native and
truncated image files, non-file label paths, a killed mix's leftovers, a negative seed. Each test
reproduces one case of the issue. Fast: tiny PNGs, one fake-rendered native set shared by the module."""

from __future__ import annotations

import errno
import io
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import zlib
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import generate
from PIL import Image
from test_mixing import siblings, tree_hashes, write_real_coco

from formats.importers import import_dataset
from formats.native import DatasetError
from formats.records import OUTSIDE_IMAGE, ImageAnnotations
from formats.untrusted import AnnotationError, image_size
from mixing import MixError, mix, output
from mixing.integrity import check_placed_once
from mixing.items import Candidate, Placed
from mixing.output import remove_stale
from synthsense.cli import main

REPO = Path(__file__).resolve().parents[1]
CLASSES = ["car", "truck", "pedestrian", "cyclist"]
KITTI_TAIL = "1.5 1.6 3.9 1.0 1.5 20.0 -1.4"  # height width length x y z rotation_y of a KITTI row


@pytest.fixture(scope="module")
def native(tmp_path_factory) -> Path:
    """A native set of two fake-rendered 320x240 scenes, one frame each (copy it before changing it)."""
    root = tmp_path_factory.mktemp("hardening") / "synth"
    generate(root, "renderer=fake", "num_scenes=2", "seed=3", "scene.sequence.num_frames=1", "output.preview=false")
    return root


def source(name: str, path: Path, fmt: str = "coco", role: str = "real", **extra) -> dict:
    return {"name": name, "path": str(path), "format": fmt, "role": role, **extra}


def config(out: Path, *sources: dict, **changes) -> dict:
    """A mix of ``sources`` into ``out`` (COCO and YOLO), every image to train unless changed."""
    cfg = {
        "sources": list(sources),
        "taxonomy": {"classes": CLASSES},
        "synthetic_share": 0.0,
        "splits": {"train": 1.0},
        "output": {"path": str(out), "formats": ["coco", "yolo"]},
        "seed": 0,
    }
    cfg.update(changes)
    return cfg


def png(path: Path, width: int = 64, height: int = 48) -> Path:
    """A noisy RGB PNG (noise: a few kB of image data, so a cut lands inside it, after the header)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(len(str(path))).integers(0, 255, (height, width, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def cut(path: Path) -> Path:
    """Truncate an image file to half its size: its header stays valid, its end is gone."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def bomb_png(path: Path, width: int = 20000, height: int = 20000) -> Path:
    """A small PNG whose header claims ``width`` x ``height`` (a decompression bomb's header)."""
    data = bytearray(png(path, 8, 8).read_bytes())
    data[16:24] = struct.pack(">II", width, height)  # IHDR data starts after signature (8), length, type
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))  # the chunk's CRC over type + data
    path.write_bytes(bytes(data))
    return path


def coco_source(root: Path, boxes: list[list[float]], width: int = 64, height: int = 48) -> Path:
    """One ``width`` x ``height`` image "a.png" with a car per box."""
    png(root / "a.png", width, height)
    annotations = [
        {"id": k + 1, "image_id": 1, "category_id": 1, "bbox": b, "area": 1.0, "iscrowd": 0}
        for k, b in enumerate(boxes)
    ]
    data = {
        "images": [{"id": 1, "file_name": "a.png", "width": width, "height": height}],
        "annotations": annotations,
        "categories": [{"id": 1, "name": "car"}],
    }
    (root / "annotations.json").write_text(json.dumps(data))
    return root


def kitti_source(root: Path, rows: list[str]) -> Path:
    png(root / "image_2/000001.png")
    (root / "label_2").mkdir()
    (root / "label_2/000001.txt").write_text("".join(f"{row}\n" for row in rows))
    return root


def yolo_source(root: Path, rows: list[str]) -> Path:
    png(root / "images/train/a.png")
    (root / "labels/train").mkdir(parents=True)
    (root / "labels/train/a.txt").write_text("".join(f"{row}\n" for row in rows))
    (root / "data.yaml").write_text("names: [car]\ntrain: images/train\n")
    return root


def strict_json(path: Path) -> object:
    """A JSON file parsed the way strict readers do: NaN and Infinity are errors."""

    def refuse(name: str) -> None:
        raise AssertionError(f"{path}: {name} in JSON output")

    return json.loads(path.read_text(), parse_constant=refuse)


# ------------------------------------------------------------------------- item 1: one image, one place


@pytest.mark.parametrize("how", ["same", "symlink", "nested"])
def test_a_folder_given_as_two_sources_is_refused(tmp_path, how):
    # the issue: one COCO folder as a real and as a synthetic source put every image in twice, and
    # val/test images in train too (the synthetic copies all go to train)
    real = write_real_coco(tmp_path / "real", videos=6, frames=2)
    other = {"same": real, "symlink": tmp_path / "link", "nested": real / "frames"}[how]
    if how == "symlink":
        os.symlink(real, other)
    out = tmp_path / "mixed"
    cfg = config(
        out,
        source("cam", real, group_by="video_id"),
        source("again", other, role="synthetic"),
        synthetic_share=0.3,
        splits={"train": 0.6, "val": 0.2, "test": 0.2},
    )
    relation = {"same": "is the same folder as", "symlink": "is the same folder as", "nested": "lies inside"}[how]
    message = f"sources.1 (again): path {other.resolve()} {relation} sources.0 (cam)'s path {real.resolve()}; "
    with pytest.raises(MixError) as exc:
        mix(cfg)
    assert str(exc.value).startswith(message) and "\n" not in str(exc.value)
    assert siblings(out) == []


@pytest.mark.parametrize("where", ["other source", "same source"])
def test_an_image_file_reached_twice_by_inode_is_refused(tmp_path, where):
    a = write_real_coco(tmp_path / "a", videos=2, frames=2)
    b = write_real_coco(tmp_path / "b", videos=2, frames=2)
    if where == "other source":  # a hard link: another path, another root, the same file
        os.unlink(b / "frames/v01/f002.png")
        os.link(a / "frames/v00/f000.png", b / "frames/v01/f002.png")
        message = (
            "sources.1 (b) image 'frames/v01/f002.png' is the same file as sources.0 (a) image 'frames/v00/f000.png'"
        )
    else:
        os.unlink(a / "frames/v01/f003.png")
        os.link(a / "frames/v00/f000.png", a / "frames/v01/f003.png")
        message = (
            "sources.0 (a) image 'frames/v01/f003.png' is the same file as sources.0 (a) image 'frames/v00/f000.png'"
        )
    out = tmp_path / "mixed"
    with pytest.raises(MixError) as exc:
        mix(config(out, source("a", a), source("b", b)))
    assert str(exc.value).startswith(f"{message} (one inode") and "\n" not in str(exc.value)
    assert siblings(out) == []


def _placed(path: Path, split: str) -> Placed:
    image = ImageAnnotations(path, path.name, 64, 48, [], path.name, path.name)
    return Placed(Candidate("s", "real", image, f"s/{path.name}", 0), split)


def test_the_placed_once_invariant_is_checked_before_anything_is_written(tmp_path, monkeypatch):
    # whatever the selection does, an image in two splits is an error and nothing is written
    real = write_real_coco(tmp_path / "real", videos=2, frames=2)
    import mixing.api

    select = mixing.api.select

    def leaky_select(*args, **kwargs):
        placed = select(*args, **kwargs)
        return [*placed, Placed(placed[0].candidate, "val")]

    monkeypatch.setattr(mixing.api, "select", leaky_select)
    out = tmp_path / "mixed"
    with pytest.raises(MixError) as exc:
        mix(config(out, source("r", real), splits={"train": 0.5, "val": 0.5}))
    shown = r"'(frames/v0\d/f00\d.png)'"
    pattern = rf"^mix invariant broken: image file \S+ is placed twice, as r {shown} in train and as r {shown} in val; "
    assert re.match(pattern, str(exc.value)) and siblings(out) == []
    # by inode: two paths of one file (a hard link made after the import, say) in train and in test
    png(tmp_path / "x.png")
    os.link(tmp_path / "x.png", tmp_path / "y.png")
    with pytest.raises(MixError, match=r"placed twice, as s 'x.png' in train and as s 'y.png' in test"):
        check_placed_once([_placed(tmp_path / "x.png", "train"), _placed(tmp_path / "y.png", "test")])
    check_placed_once([_placed(tmp_path / "x.png", "train"), _placed(png(tmp_path / "z.png"), "test")])


# ----------------------------------------------------------------- item 2: boxes outside, non-finite values


def test_boxes_outside_the_image_are_dropped_counted_and_clipped(tmp_path, capsys):
    # the issue: [1000, 1000, 5, 5] on a 64x48 image was kept with area 25; now it is left out and
    # counted, an empty box too, and one partly outside is clipped (its polygon with it)
    real = coco_source(tmp_path / "real", [[5, 5, 10, 10], [1000, 1000, 5, 5], [60, 40, 10, 10], [20, 20, 0, 8]])
    (tmp_path / "mix.yaml").write_text(yaml.safe_dump(config(tmp_path / "mixed", source("r", real))))
    assert main(["mix", str(tmp_path / "mix.yaml")]) == 0
    out = tmp_path / "mixed"
    assert "  boxes empty or outside their image, left out on import: 2\n" in capsys.readouterr().out
    coco = strict_json(out / "annotations/train.json")
    assert [a["bbox"] for a in coco["annotations"]] == [[5.0, 5.0, 10.0, 10.0], [60.0, 40.0, 4.0, 8.0]]
    clipped = coco["annotations"][1]
    assert clipped["area"] == 32.0 and clipped["segmentation"] == [[60.0, 40.0, 64.0, 40.0, 64.0, 48.0, 60.0, 48.0]]
    meta = strict_json(out / "mix.json")
    assert meta["dropped"]["objects"] == {"r": {OUTSIDE_IMAGE: 2}}
    assert f"| r | object | {OUTSIDE_IMAGE} | 2 |" in (out / "report.md").read_text()
    rows = [[float(v) for v in line.split()] for line in (out / "labels/train/r__a.txt").read_text().splitlines()]
    assert len(rows) == 2 and all(0.0 <= v <= 1.0 for row in rows for v in row[1:])


@pytest.mark.parametrize("fmt", ["coco", "kitti", "yolo"])
def test_each_importer_leaves_out_boxes_outside_or_empty(tmp_path, fmt):
    # COCO [1000, 1000, 5, 5], a KITTI row at 1e300 (the issue), a YOLO row "0 .5 .5 0 0" (zero size:
    # ultralytics drops such a box when it trains rather than refusing the dataset, so it is dropped too)
    root = tmp_path / fmt
    if fmt == "coco":
        coco_source(root, [[5, 5, 10, 10], [1000, 1000, 5, 5]])
    elif fmt == "kitti":
        kitti_source(root, [f"Car 0 0 0 5 5 15 15 {KITTI_TAIL}", f"Car 0 0 0 1e300 1e300 1e300 1e300 {KITTI_TAIL}"])
    else:
        yolo_source(root, ["0 0.5 0.5 0.25 0.25", "0 .5 .5 0 0"])
    dataset = import_dataset(fmt, root)
    assert [len(im.objects) for im in dataset.images] == [1] and dataset.dropped_objects == {OUTSIDE_IMAGE: 1}
    result = mix(
        config(tmp_path / "mixed", source("s", root, fmt), taxonomy={"classes": ["car"], "map": {"s": {"Car": "car"}}})
    )
    assert result.dropped["objects"]["s"] == {OUTSIDE_IMAGE: 1} and result.instances["train"]["real"] == {"car": 1}
    strict_json(tmp_path / "mixed/annotations/train.json")


@pytest.mark.parametrize("fmt", ["coco", "kitti"])
def test_a_box_that_overflows_is_refused_naming_file_and_record(tmp_path, fmt, capsys):
    # the issue: COCO [1e300, 1e300, 1e300, 1e300] reached the mix's COCO file as "area": Infinity
    root = tmp_path / fmt
    if fmt == "coco":
        coco_source(root, [[1, 1, 2, 2], [1e300, 1e300, 1e300, 1e300]])
        message = f"{root / 'annotations.json'}: annotations[1] bbox: [1e+300, 1e+300, 1e+300, 1e+300] overflows"
    else:  # right - left = inf
        kitti_source(root, [f"Car 0 0 0 -1e308 0 1e308 10 {KITTI_TAIL}"])
        message = f"{root / 'label_2/000001.txt'}:1: box [left, top, w, h]: expected a finite number, got inf"
    (tmp_path / "mix.yaml").write_text(yaml.safe_dump(config(tmp_path / "mixed", source("s", root, fmt))))
    assert main(["mix", str(tmp_path / "mix.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"synthsense mix: error: {message}") and err.count("\n") == 1
    assert siblings(tmp_path / "mixed") == []


@pytest.mark.parametrize("field", ["visibility", "root_seed"])
def test_native_values_that_would_not_be_json_are_refused(native, tmp_path, field):
    # JSON's 1e400 reads as infinity; a mix would copy it into its COCO file or provenance.jsonl
    synth = shutil.copytree(native, tmp_path / "synth")
    if field == "visibility":
        path = synth / "scenes/000001/000000/labels.json"
        text = path.read_text()
        k = next(k for k, o in enumerate(json.loads(text)["objects"]["front"]) if o["visible"])
        data = json.loads(text)
        data["objects"]["front"][k]["visibility"] = "INF"
        path.write_text(json.dumps(data).replace('"INF"', "1e400"))
        message = f"{path}: objects['front'][{k}] visibility: expected a finite number, got inf"
    else:
        path = synth / "scenes/000001/scene.json"
        data = json.loads(path.read_text())
        data["seeds"]["root_seed"] = "INF"
        path.write_text(json.dumps(data).replace('"INF"', "1e400"))
        message = f"{path}: root_seed must be an integer, got inf"
    with pytest.raises(AnnotationError) as exc:
        import_dataset("native", synth)
    assert str(exc.value) == message


# --------------------------------------------------------------------- item 3: image files that lie


@pytest.mark.parametrize("fault", ["bomb", "truncated", "other size"])
def test_native_source_images_are_checked_like_coco_ones(native, tmp_path, fault):
    # the issue: a 20000x20000 bomb or a truncated PNG as a native front.rgb.png was hard-linked into the
    # mix, and its COCO file called it 320x240 (the size labels.json records)
    synth = shutil.copytree(native, tmp_path / "synth")
    image = synth / "scenes/000001/000000/front.rgb.png"
    image.unlink()  # a hard link or copy of the module's file: replace, never change it in place
    if fault == "bomb":
        bomb_png(image)
        message = f"{image}: image too large, refusing it"
    elif fault == "truncated":
        shutil.copyfile(native / "scenes/000001/000000/front.rgb.png", image)
        cut(image)
        message = f"{image}: truncated image file (a PNG ends with its IEND chunk"
    else:
        png(image, 64, 48)
        labels = synth / "scenes/000001/000000/labels.json"
        message = f"{labels}: sensors['front']: width x height 320x240 is not the image file's 64x48 ({image})"
    real = write_real_coco(tmp_path / "real", videos=2, frames=2)
    out = tmp_path / "mixed"
    with pytest.raises(DatasetError) as exc:
        mix(config(out, source("r", real), source("synth", synth, "native", "synthetic"), synthetic_share=0.3))
    assert str(exc.value).startswith(message) and "\n" not in str(exc.value)
    assert siblings(out) == []
    assert len(import_dataset("native", native).images) == 2  # the untouched set imports


@pytest.mark.parametrize("fmt", ["coco", "yolo", "kitti"])
def test_a_truncated_image_is_refused_for_every_source_type(tmp_path, fmt):
    root = tmp_path / fmt
    if fmt == "coco":
        coco_source(root, [[1, 1, 5, 5]])
        image = root / "a.png"
    elif fmt == "yolo":
        yolo_source(root, ["0 0.5 0.5 0.25 0.25"])
        image = root / "images/train/a.png"
    else:
        kitti_source(root, [f"Car 0 0 0 5 5 15 15 {KITTI_TAIL}"])
        image = root / "image_2/000001.png"
    assert len(import_dataset(fmt, root).images) == 1
    cut(image)
    assert Image.open(image).size == (64, 48)  # the header alone still looks fine
    with pytest.raises(AnnotationError) as exc:
        import_dataset(fmt, root)
    size = image.stat().st_size
    assert re.fullmatch(
        re.escape(f"{image.resolve()}: truncated image file (a PNG ends with its IEND chunk; the file ends inside ")
        + rf"its IDAT chunk \(byte {size} of \d+\)\); refusing it",
        str(exc.value),
    )


def test_truncation_check_reads_the_end_as_decoders_do(tmp_path):
    # what follows IEND / EOI is ignored by libpng, libjpeg and PIL, so a short trailer is allowed
    image = png(tmp_path / "a.png")
    image.write_bytes(image.read_bytes() + b"trailer" * 10)
    assert image_size(image) == (64, 48)
    jpeg = tmp_path / "b.jpg"
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (48, 64, 3), dtype=np.uint8)).save(jpeg, quality=95)
    assert image_size(jpeg) == (64, 48)
    jpeg.write_bytes(jpeg.read_bytes() + b"\x00" * 100)
    assert image_size(jpeg) == (64, 48)
    cut(jpeg)
    with pytest.raises(AnnotationError, match=r"truncated image file \(a JPEG ends with an end-of-image marker"):
        image_size(jpeg)
    bmp = png(tmp_path / "c.png").with_suffix(".bmp")
    Image.open(tmp_path / "c.png").save(bmp)
    assert image_size(bmp) == (64, 48)
    size = bmp.stat().st_size
    cut(bmp)
    with pytest.raises(AnnotationError, match=f"truncated image file \\(its header states {size} bytes, the file has"):
        image_size(bmp)
    webp = tmp_path / "d.webp"  # PIL's WebP opener reads the whole file: a cut one is unreadable already
    Image.new("RGB", (64, 48)).save(webp, lossless=True)
    webp.write_bytes(webp.read_bytes()[:-4])
    with pytest.raises(AnnotationError, match="d.webp: unreadable image"):
        image_size(webp)


def jpeg_bytes(width: int = 64, height: int = 48, seed: int = 1) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 255, (height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def test_a_long_trailer_after_the_end_is_accepted_by_the_exact_check(tmp_path):
    # the review: the end was looked for in the last 4 KiB only, so a complete image with a longer trailer
    # (a phone's motion photo: a JPEG with an MP4 after its EOI) was refused as truncated
    image = png(tmp_path / "a.png")
    image.write_bytes(image.read_bytes() + b"\x89PNG" * 1250)  # 5 kB after IEND
    assert Image.open(image).size == (64, 48)
    assert image_size(image) == (64, 48)
    # an MP4 after EOI, in whose last 4 KiB a scan marker (FFDA) follows the last FFD9
    trailer = b"\x00\x00\x00\x18ftypmp42" + (b"\xff\xd9" + bytes(998) + b"\xff\xda" + bytes(998)) * 50
    jpeg = tmp_path / "motion.jpg"
    jpeg.write_bytes(jpeg_bytes() + trailer)
    assert len(trailer) >= 100_000 and Image.open(jpeg).size == (64, 48)
    assert image_size(jpeg) == (64, 48)


def test_the_exact_check_refuses_a_png_cut_inside_a_chunk_and_skips_jpeg_thumbnails(tmp_path):
    image = png(tmp_path / "a.png", 256, 256)  # 192 kB of noise: PIL writes several IDAT chunks
    data = image.read_bytes()
    image.write_bytes(data[: len(data) - 70_000])  # inside an IDAT chunk, far from the end
    with pytest.raises(AnnotationError) as exc:
        image_size(image)
    assert re.search(r"the file ends inside its IDAT chunk \(byte \d+ of \d+\)\); refusing it$", str(exc.value))
    image.write_bytes(data[: data.rindex(b"IEND") - 4])  # every chunk whole, IEND missing
    with pytest.raises(AnnotationError, match=r"the file ends at byte \d+, after its last whole chunk"):
        image_size(image)
    # a JPEG whose EXIF block holds a thumbnail (a whole JPEG: scan and EOI), cut short: the segment walk
    # skips the thumbnail, so its EOI is not taken for the image's
    thumbnail = jpeg_bytes(16, 12, seed=2)
    app1 = b"\xff\xe1" + struct.pack(">H", len(thumbnail) + 8) + b"Exif\x00\x00" + thumbnail
    full = jpeg_bytes()
    jpeg = tmp_path / "thumb.jpg"
    jpeg.write_bytes(full[:2] + app1 + full[2:])
    assert image_size(jpeg) == (64, 48)
    cut(jpeg)
    with pytest.raises(AnnotationError, match=r"after its first scan \(FFDA\); the file ends at byte \d+ without one"):
        image_size(jpeg)


# --------------------------------------------------------------------- item 4: smaller mix/YOLO faults


@pytest.mark.parametrize(
    ("fmt", "what", "kind"),
    [("yolo", "label", "fifo"), ("yolo", "label", "folder"), ("yolo", "image", "fifo"), ("kitti", "label", "fifo")],
)
def test_a_path_that_is_no_file_is_refused_never_opened(tmp_path, fmt, what, kind):
    # the issue: a YOLO label path that was a folder or a FIFO was read as "no labels"; opening a FIFO
    # would block until something writes to it
    root = yolo_source(tmp_path, []) if fmt == "yolo" else kitti_source(tmp_path, [])
    paths = {
        ("yolo", "label"): root / "labels/train/a.txt",
        ("yolo", "image"): root / "images/train/b.png",
        ("kitti", "label"): root / "label_2/000001.txt",
    }
    path = paths[(fmt, what)]
    path.unlink(missing_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()
    errors: list[Exception] = []

    def read() -> None:
        try:
            import_dataset(fmt, root)
        except Exception as exc:  # noqa: BLE001 - checked below, in the test's own thread
            errors.append(exc)

    worker = threading.Thread(target=read)
    worker.start()
    worker.join(timeout=20)
    if worker.is_alive():  # blocked opening the FIFO: release it, then fail
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        worker.join()
        pytest.fail(f"the import opened the FIFO {path}")
    (error,) = errors
    named = {"label": f"label of {'images/train/a.png' if fmt == 'yolo' else 'image_2/000001.png'!r}", "image": "image"}
    shown = {"fifo": "a FIFO", "folder": "a folder"}[kind]
    assert isinstance(error, AnnotationError)
    assert str(error) == f"{path.resolve()}: {named[what]} is {shown}, not a regular file; refusing it"


def test_a_killed_mix_leaves_a_staging_folder_that_the_next_mix_removes(tmp_path):
    # the issue: a SIGKILLed mix left <path>.tmp-<hex> behind for good; now its name carries host and pid,
    # and a later mix to the same path removes it once that process is gone (never a live run's)
    real = write_real_coco(tmp_path / "real", videos=2, frames=2)
    out = tmp_path / "mixed"
    cfg = config(out, source("r", real))
    script = (
        "import json, os, signal, sys\n"
        "from mixing import mix, output\n"
        "place = output.place_images\n"
        "def place_then_die(*args):\n"
        "    place(*args)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "output.place_images = place_then_die\n"
        "mix(json.loads(sys.argv[1]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    killed = subprocess.Popen([sys.executable, "-c", script, json.dumps(cfg)], env=env, cwd=REPO)
    assert killed.wait(timeout=120) == -signal.SIGKILL
    host = socket.gethostname().replace(".", "_")
    (stale,) = siblings(out)  # no output, one staging folder
    assert stale.startswith("mixed.tmp-") and stale.endswith(f".{host}-{killed.pid}")
    assert (tmp_path / stale / "images/train").is_dir()
    live = tmp_path / f"mixed.tmp-{'a' * 12}.{host}-{os.getpid()}"  # this process: alive
    remote = tmp_path / f"mixed.tmp-{'b' * 12}.otherhost-{killed.pid}"  # its processes cannot be seen
    for keep in (live, remote):
        keep.mkdir()
    mix(cfg)
    assert siblings(out) == sorted(["mixed", live.name, remote.name])
    # killed between moving the previous mix aside and the new one in: the previous one is put back
    before = tree_hashes(out)
    out.rename(tmp_path / f"mixed.old-{'c' * 12}.{host}-{killed.pid}")
    with pytest.raises(MixError, match="exists; use --overwrite"):
        mix(cfg)
    assert tree_hashes(out) == before and siblings(out) == sorted(["mixed", live.name, remote.name])
    assert remove_stale(out) == []


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("seed=-1", "seed: -1 must be an integer >= 0"),
        ("filters.min_box_px=inf", "filters.min_box_px: inf must be a finite number >= 0"),
    ],
)
def test_bad_numbers_on_the_command_line_are_one_line(tmp_path, capsys, override, message):
    # the issue: seed=-1 gave a traceback (numpy refuses a negative seed deep in the selection)
    real = write_real_coco(tmp_path / "real", videos=2, frames=2)
    (tmp_path / "mix.yaml").write_text(yaml.safe_dump(config(tmp_path / "mixed", source("r", real))))
    assert main(["mix", str(tmp_path / "mix.yaml"), override]) == 2
    assert capsys.readouterr().err == f"synthsense mix: error: {message}\n"
    assert siblings(tmp_path / "mixed") == []


# ----------------------------------------------------------------- review: full disk, concurrent cleanup


def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as a failing write raises it: no file name


@pytest.mark.parametrize(
    ("what", "rel"),
    [
        ("image copy", r"images/train/r__[^/']+\.png"),
        ("mix.json", "mix.json"),
        ("provenance.jsonl", "provenance.jsonl"),
        ("report.md", "report.md"),
        ("yolo label", r"labels/train/r__[^/']+\.txt"),
        ("report png", "report_counts.png"),
    ],
)
def test_a_full_disk_is_one_line_naming_the_file_and_leaves_nothing(tmp_path, capsys, monkeypatch, what, rel):
    # the review: a write failing with ENOSPC raises an OSError without a file name, so the one-line error
    # said "No space left on device" without saying where
    real = write_real_coco(tmp_path / "real", videos=2, frames=2)
    out = tmp_path / "mixed"
    (tmp_path / "mix.yaml").write_text(
        yaml.safe_dump(
            config(out, source("r", real), output={"path": str(out), "formats": ["coco", "yolo"], "link": "copy"})
        )
    )
    if what == "image copy":
        monkeypatch.setattr(shutil, "copyfile", _no_space)
    elif what == "report png":
        monkeypatch.setattr("mixing.report.plot_counts", _no_space)
    else:
        write_text = Path.write_text

        def failing(self, *args, **kwargs):
            if self.name == what or (what == "yolo label" and self.parent.parent.name == "labels"):
                _no_space()
            return write_text(self, *args, **kwargs)

        monkeypatch.setattr(Path, "write_text", failing)
    assert main(["mix", str(tmp_path / "mix.yaml")]) == 2
    staging = re.escape(str(tmp_path / "mixed.tmp-")) + r"[0-9a-f]{12}\.[^/']+"
    assert re.fullmatch(
        rf"synthsense mix: error: \[Errno 28\] No space left on device: '{staging}/{rel}'\n", capsys.readouterr().err
    )
    assert siblings(out) == []  # no output, no staging folder


@pytest.mark.parametrize("race", ["tmp removed", "old put back", "old put back meanwhile", "file removed"])
def test_a_stale_folder_another_mix_cleans_up_first_is_no_error(tmp_path, monkeypatch, race):
    # the review: two mixes to one path could both find a dead run's folder; the second to remove (or put
    # back) it failed with FileNotFoundError
    out = tmp_path / "mixed"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    host = socket.gethostname().replace(".", "_")
    kind = "old" if race.startswith("old") else "tmp"
    stale = tmp_path / f"mixed.{kind}-{'d' * 12}.{host}-{int(dead.stdout)}"
    (stale / "images/train").mkdir(parents=True)
    (stale / "mix.json").write_text("{}")
    owner_alive, replace, unlink = output.atomic.owner_alive, os.replace, os.unlink

    def other_mix_first(owner: str) -> bool | None:  # between our listing and our removal
        if race == "tmp removed":
            shutil.rmtree(stale)
        else:
            os.replace(stale, out)
        return owner_alive(owner)

    def both_put_back(src, dst, **kwargs):  # both found mixed missing; the other mix renamed first
        replace(src, dst, **kwargs)
        replace(src, dst, **kwargs)

    def both_unlink(path, *args, **kwargs):  # both walk the folder; the other mix unlinked first
        unlink(path, *args, **kwargs)
        unlink(path, *args, **kwargs)

    if race == "old put back meanwhile":
        monkeypatch.setattr(os, "replace", both_put_back)
    elif race == "file removed":
        monkeypatch.setattr(os, "unlink", both_unlink)
    else:
        monkeypatch.setattr(output.atomic, "owner_alive", other_mix_first)
    remove_stale(out)
    monkeypatch.undo()
    if kind == "old":  # the previous mix, put back by the other mix, is kept
        assert siblings(out) == ["mixed"] and (out / "mix.json").read_text() == "{}"
    else:
        assert siblings(out) == []

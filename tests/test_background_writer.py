"""The background frame writer (generator.run.writing) and output.png_compression: the same bytes as
writing in the rendering thread, errors raised in the rendering thread, the manifest line after the files,
frames reported only once their manifest line is on disk."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from formats import atomic
from formats.native import MANIFEST_FILE, NativeWriter, read_manifest
from generator.config import compose_config
from generator.errors import ConfigError
from generator.run.scene_job import SceneContext, render_scene
from generator.run.writing import FrameQueue
from generator.world.sampling import sample_scene
from renderers.base import Pass
from renderers.fake import FakeBackend

PASSES = frozenset({Pass.RGB, Pass.DEPTH, Pass.INSTANCE, Pass.AMODAL})


def _run(root: Path, depth: int, frames: int = 4) -> list[tuple[int, int]]:
    cfg = compose_config(
        ["scene=tabletop", "renderer=fake", f"scene.sequence.num_frames={frames}", f"output.write_queue={depth}"]
    )
    writer = NativeWriter(root)
    writer.open({"config_hash": "x"})
    reported: list[tuple[int, int]] = []
    ctx = SceneContext(cfg, [], FakeBackend(PASSES), writer, flow=True)
    for index in (0, 1):
        render_scene(ctx, index, list(range(frames)), lambda i, f, rec: reported.append((i, f)))
    return reported


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_background_writing_gives_the_bytes_of_synchronous_writing(tmp_path):
    sync = _run(tmp_path / "sync", depth=0)
    background = _run(tmp_path / "bg", depth=2)
    assert sync == background == [(i, f) for i in (0, 1) for f in range(4)]  # every frame, in order
    a, b = _files(tmp_path / "sync"), _files(tmp_path / "bg")
    assert sorted(a) == sorted(b) and len(a) > 10
    assert a == b  # manifest.jsonl included: the same lines in the same order


class _Spy(NativeWriter):
    """Checks, at each manifest append, that the frame's files are all on disk at their final size, and
    that no frame is reported before its line is."""

    def __init__(self, root, fail_at: int | None = None):
        super().__init__(root)
        self.fail_at = fail_at
        self.calls = 0

    def write_frame(self, scene, frame, buffers, labels, arrays=None):
        self.calls += 1
        if self.fail_at is not None and frame == self.fail_at:
            raise OSError(28, "No space left on device", str(self.root / "x.png"))
        return super().write_frame(scene, frame, buffers, labels, arrays)


def test_manifest_line_comes_after_the_files_and_the_report_after_the_line(tmp_path, monkeypatch):
    root = tmp_path / "d"
    append = atomic.append_line
    checked = []

    def checking_append(path, line):
        import json

        rec = json.loads(line)
        for rel, size in rec["bytes"].items():
            assert (root / rel).stat().st_size == size, rel  # every file in place before its line
        checked.append((rec["scene_id"], rec["frame"]))
        append(path, line)

    monkeypatch.setattr(atomic, "append_line", checking_append)
    cfg = compose_config(["scene=tabletop", "renderer=fake", "scene.sequence.num_frames=3"])
    writer = NativeWriter(root)
    writer.open({"config_hash": "x"})
    reported = []

    def on_frame(index, frame, record):
        lines = [(r["scene_id"], r["frame"]) for r in read_manifest(root)]
        assert (record["scene_id"], frame) in lines  # durable before it counts as written
        reported.append(frame)

    ctx = SceneContext(cfg, [], FakeBackend(PASSES), writer, flow=False)
    render_scene(ctx, 0, [0, 1, 2], on_frame)
    assert reported == [0, 1, 2] and len(checked) == 3


def test_an_error_in_the_writer_thread_is_raised_in_the_rendering_thread(tmp_path):
    cfg = compose_config(["scene=tabletop", "renderer=fake", "scene.sequence.num_frames=4"])
    writer = _Spy(tmp_path / "d", fail_at=1)
    writer.open({"config_hash": "x"})
    reported = []
    ctx = SceneContext(cfg, [], FakeBackend(PASSES), writer, flow=False)
    with pytest.raises(OSError, match="No space left on device") as err:
        render_scene(ctx, 0, [0, 1, 2, 3], lambda i, f, rec: reported.append(f))
    assert err.value.filename == str(tmp_path / "d" / "x.png")  # the same exception, its file named
    written = [r["frame"] for r in read_manifest(tmp_path / "d")]
    assert 0 in reported and 1 not in written and 1 not in reported
    assert set(reported) == set(written)  # what was reported is exactly what is durable


def test_queue_is_bounded(tmp_path):
    import threading

    gate = threading.Event()
    submitted = []

    class Slow:
        def write_frame(self, scene, frame, results, labels, arrays):
            gate.wait(5)
            return {"frame": frame}

    queue = FrameQueue(Slow(), lambda i, f, rec: submitted.append(f), 0, depth=2)
    queue.put(None, 0, [], {}, {})
    queue.put(None, 1, [], {}, {})
    assert len(queue._pending) == 2 and submitted == []
    gate.set()
    queue.put(None, 2, [], {}, {})  # waits for frame 0 before queuing frame 2
    assert len(queue._pending) <= 2 and submitted[0] == 0
    queue.flush()
    queue.close()
    assert submitted == [0, 1, 2]


def test_png_compression_default_keeps_the_bytes_and_every_level_is_lossless():
    rng = np.random.default_rng(0)
    rgb = (rng.random((48, 64, 3)) * 40).astype(np.uint8)
    instance = rng.integers(0, 5, (48, 64)).astype(np.uint16) * 1000
    for image in (rgb, instance):
        buf = io.BytesIO()
        Image.fromarray(image).save(buf, format="PNG")  # Pillow's default: the bytes before the setting
        assert atomic.encode_png(image) == buf.getvalue()
        sizes = []
        for level in range(10):
            data = atomic.encode_png(image, level)
            back = np.asarray(Image.open(io.BytesIO(data)))
            assert np.array_equal(back.astype(image.dtype), image)
            sizes.append(len(data))
        assert sizes[0] > sizes[9]  # the level is applied


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("output.png_compression=10", "output.png_compression must be a zlib level 0-9, got 10"),
        ("output.png_compression=-1", "output.png_compression must be a zlib level 0-9, got -1"),
        ("output.write_queue=-1", "output.write_queue must be in 0..16 frames, got -1"),
    ],
)
def test_bad_output_settings_are_one_line(override, message):
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        compose_config([override])


def test_png_compression_reaches_the_files(tmp_path):
    cfg = compose_config(["scene=tabletop", "renderer=fake", "output.png_compression=0"])
    from generator.run.writing import dataset_writer

    cfg.output_dir = str(tmp_path / "d")
    writer = dataset_writer(cfg)
    writer.open({"config_hash": "x"})
    scene = sample_scene(cfg, 0, [])
    ctx = SceneContext(cfg, [], FakeBackend(PASSES), writer, flow=False)
    render_scene(ctx, 0, [0], lambda *_: None, scene)
    rec = read_manifest(tmp_path / "d")[0]
    rgb = np.asarray(Image.open(tmp_path / "d" / rec["files"][f"{scene.rig.cameras[0].name}.rgb.png"]))
    assert (tmp_path / "d" / MANIFEST_FILE).exists()
    assert (
        atomic.encode_png(rgb, 0)
        == (tmp_path / "d" / rec["files"][f"{scene.rig.cameras[0].name}.rgb.png"]).read_bytes()
    )

"""preview.png: a contact sheet of a dataset's first frames with masks, boxes and ids drawn, for a
person to check a run at a glance. Solid box = visible box, thin box = amodal box."""

from __future__ import annotations

import io
from pathlib import Path

import imageio.v3 as iio
import numpy as np
from PIL import Image, ImageDraw
from pycocotools import mask as mask_utils

from formats import atomic
from formats.native import NativeDataset

THUMB_WIDTH = 400  # pixels per tile
COLUMNS = 4


def _colour(instance_id: int) -> tuple[int, int, int]:
    """A stable, distinct colour per instance id (golden-ratio hue steps)."""
    import colorsys

    r, g, b = colorsys.hsv_to_rgb((instance_id * 0.618034) % 1.0, 0.85, 1.0)
    return int(r * 255), int(g * 255), int(b * 255)


def draw_frame(rgb: np.ndarray, objects: list[dict]) -> Image.Image:
    """The RGB image with each visible object's mask tinted and its boxes and id drawn."""
    canvas = rgb.astype(np.float32)
    for obj in objects:
        if obj["visible"]:
            rle = dict(obj["mask_rle"], counts=obj["mask_rle"]["counts"].encode("ascii"))
            mask = mask_utils.decode(rle).astype(bool)
            canvas[mask] = 0.55 * canvas[mask] + 0.45 * np.array(_colour(obj["instance_id"]))
    image = Image.fromarray(canvas.astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for obj in objects:
        colour = _colour(obj["instance_id"])
        if obj["bbox_amodal"]:
            x, y, w, h = obj["bbox_amodal"]
            draw.rectangle([x, y, x + w - 1, y + h - 1], outline=colour, width=1)
        if obj["visible"]:
            x, y, w, h = obj["bbox_visible"]
            draw.rectangle([x, y, x + w - 1, y + h - 1], outline=colour, width=2)
            draw.text((x + 2, y + 1), f"{obj['instance_id']} {obj['category']}", fill=(255, 255, 255))
    return image


def write_preview(dataset_root: str | Path, max_frames: int = 8) -> Path:
    """Write ``<dataset>/preview.png`` from the first ``max_frames`` camera images; returns its path."""
    dataset = NativeDataset(dataset_root)
    tiles: list[Image.Image] = []
    for rec in dataset.frames():
        labels = dataset.labels(rec["scene_id"], rec["frame"])
        for sensor in labels["sensors"]:
            if len(tiles) < max_frames:
                image = draw_frame(dataset.rgb(rec["scene_id"], rec["frame"], sensor), labels["objects"][sensor])
                height = round(image.height * THUMB_WIDTH / image.width)
                tiles.append(image.resize((THUMB_WIDTH, height), Image.BILINEAR))
        if len(tiles) >= max_frames:
            break
    out = dataset.root / "preview.png"
    if not tiles:
        return out
    cols = min(COLUMNS, len(tiles))
    rows = -(-len(tiles) // cols)
    tile_h = max(t.height for t in tiles)
    sheet = Image.new("RGB", (cols * THUMB_WIDTH, rows * tile_h), (20, 20, 20))
    for k, tile in enumerate(tiles):
        sheet.paste(tile, ((k % cols) * THUMB_WIDTH, (k // cols) * tile_h))
    buf = io.BytesIO()
    sheet.save(buf, format="PNG")
    atomic.write_bytes(out, buf.getvalue())
    return out


SEQUENCE_PREVIEW_WIDTH = 480  # pixels of the animated preview


def write_sequence_previews(dataset_root: str | Path, scene_ids: list[str], sensor: str | None = None) -> list[Path]:
    """Write ``scenes/<scene_id>/preview.gif`` for each listed sequence: every frame with masks, boxes
    and ids (track ids are instance ids) drawn, played at the sequence's frame rate. The manifest is
    read once; returns the paths written (sequences of one frame get none)."""
    dataset = NativeDataset(dataset_root)
    wanted = set(scene_ids)
    by_scene: dict[str, list[int]] = {}
    for rec in dataset.frames():
        if rec["scene_id"] in wanted:
            by_scene.setdefault(rec["scene_id"], []).append(rec["frame"])
    return [
        _write_gif(dataset, scene_id, frames, sensor)
        for scene_id, frames in sorted(by_scene.items())
        if len(frames) > 1
    ]


def _write_gif(dataset: NativeDataset, scene_id: str, frames: list[int], sensor: str | None) -> Path:
    images, times = [], []
    for frame in frames:
        labels = dataset.labels(scene_id, frame)
        name = sensor or next(iter(labels["sensors"]))
        image = draw_frame(dataset.rgb(scene_id, frame, name), labels["objects"][name])
        height = round(image.height * SEQUENCE_PREVIEW_WIDTH / image.width)
        images.append(np.asarray(image.resize((SEQUENCE_PREVIEW_WIDTH, height), Image.BILINEAR)))
        times.append(labels["t"])
    out = dataset.root / "scenes" / scene_id / "preview.gif"
    frame_ms = 1000.0 * (times[1] - times[0])
    atomic.write_bytes(out, iio.imwrite("<bytes>", np.stack(images), extension=".gif", duration=frame_ms, loop=0))
    return out

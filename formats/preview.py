"""preview.png: a contact sheet of a dataset's first frames with masks, boxes and ids drawn, for a
person to check a run at a glance. Solid box = visible box, thin box = amodal box. People's keypoints:
COCO's skeleton between keypoints in the image, a filled dot where a keypoint is visible (flag 2), a
dark one where it is hidden (flag 1); bones to a hidden keypoint are thin.

When the frames have a LiDAR, each camera tile also shows the first LiDAR's points projected onto the
image (coloured by range) and has the sweep's bird's-eye view (points by instance, 3D boxes) beside it.
"""

from __future__ import annotations

import io
from pathlib import Path

import imageio.v3 as iio
import numpy as np
from PIL import Image, ImageDraw
from pycocotools import mask as mask_utils

from formats import atomic
from formats.bev import bev_image, instance_colour, project_points_on_image
from formats.native import NativeDataset
from formats.ply import pose_between, read_points, sensor_names
from scenes.skeleton import COCO_SKELETON

THUMB_WIDTH = 400  # pixels per tile
COLUMNS = 4


def draw_frame(rgb: np.ndarray, objects: list[dict]) -> Image.Image:
    """The RGB image with each visible object's mask tinted and its boxes and id drawn."""
    canvas = rgb.astype(np.float32)
    for obj in objects:
        if obj["visible"]:
            rle = dict(obj["mask_rle"], counts=obj["mask_rle"]["counts"].encode("ascii"))
            mask = mask_utils.decode(rle).astype(bool)
            canvas[mask] = 0.55 * canvas[mask] + 0.45 * np.array(instance_colour(obj["instance_id"]))
    image = Image.fromarray(canvas.astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for obj in objects:
        colour = instance_colour(obj["instance_id"])
        if obj["bbox_amodal"]:
            x, y, w, h = obj["bbox_amodal"]
            draw.rectangle([x, y, x + w - 1, y + h - 1], outline=colour, width=1)
        if obj["visible"]:
            x, y, w, h = obj["bbox_visible"]
            draw.rectangle([x, y, x + w - 1, y + h - 1], outline=colour, width=2)
            draw.text((x + 2, y + 1), f"{obj['instance_id']} {obj['category']}", fill=(255, 255, 255))
        if obj.get("keypoints") and obj.get("num_keypoints"):
            _draw_keypoints(draw, obj["keypoints"], colour)
    return image


def _draw_keypoints(draw: ImageDraw.ImageDraw, keypoints: list[list[float]], colour: tuple[int, int, int]) -> None:
    """COCO's skeleton and dots for the 17 ``[u, v, flag]`` rows (pixel centres at integer u, v)."""
    for a, b in COCO_SKELETON:  # 1-based
        (ua, va, fa), (ub, vb, fb) = keypoints[a - 1], keypoints[b - 1]
        if fa and fb:
            width = 2 if fa == 2 and fb == 2 else 1
            draw.line([(ua + 0.5, va + 0.5), (ub + 0.5, vb + 0.5)], fill=colour, width=width)
    rows = [v for _, v, flag in keypoints if flag]
    radius = float(np.clip((max(rows) - min(rows)) / 40.0, 1.0, 2.5))  # small people get small dots
    for u, v, flag in keypoints:
        if flag:
            box = [u + 0.5 - radius, v + 0.5 - radius, u + 0.5 + radius, v + 0.5 + radius]
            draw.ellipse(box, fill=(255, 255, 255) if flag == 2 else (0, 0, 0), outline=colour)


def write_preview(dataset_root: str | Path, max_frames: int = 8) -> Path | None:
    """Write ``<dataset>/preview.png`` from the first ``max_frames`` camera images; returns its path, or
    None when the dataset has no camera image (every scene failed): nothing is written then."""
    dataset = NativeDataset(dataset_root)
    tiles: list[Image.Image] = []
    for rec in dataset.frames():
        labels = dataset.labels(rec["scene_id"], rec["frame"])
        lidars = sensor_names(labels, "lidar")
        points = read_points(dataset, rec["scene_id"], rec["frame"], lidars[0]) if lidars else None
        for camera in sensor_names(labels, "camera"):
            if len(tiles) < max_frames:
                tiles.append(_tile(dataset, rec, labels, camera, lidars[0] if lidars else None, points))
        if len(tiles) >= max_frames:
            break
    if not tiles:
        return None
    out = dataset.root / "preview.png"
    cols = min(COLUMNS, len(tiles))
    rows = -(-len(tiles) // cols)
    tile_w, tile_h = max(t.width for t in tiles), max(t.height for t in tiles)
    sheet = Image.new("RGB", (cols * tile_w, rows * tile_h), (20, 20, 20))
    for k, tile in enumerate(tiles):
        sheet.paste(tile, ((k % cols) * tile_w, (k // cols) * tile_h))
    buf = io.BytesIO()
    sheet.save(buf, format="PNG")
    atomic.write_bytes(out, buf.getvalue())
    return out


def _tile(
    dataset: NativeDataset, rec: dict, labels: dict, camera: str, lidar: str | None, points: np.ndarray | None
) -> Image.Image:
    """One camera's tile, THUMB_WIDTH wide; with a LiDAR, its points on the image and a square
    bird's-eye view as tall as the image beside it."""
    image = draw_frame(dataset.rgb(rec["scene_id"], rec["frame"], camera), labels["objects"][camera])
    if lidar is not None:
        # drawn at full size, with dots big enough to stay visible once the image is scaled to the tile
        dot_px = max(1, -(-image.width // THUMB_WIDTH))
        K = np.asarray(labels["sensors"][camera]["K"], dtype=np.float64)
        camera_from_lidar = pose_between(labels, camera, lidar)
        image = project_points_on_image(np.asarray(image), points, K, camera_from_lidar, dot_px=dot_px)
    height = round(image.height * THUMB_WIDTH / image.width)
    thumb = image.resize((THUMB_WIDTH, height), Image.BILINEAR)
    if labels.get("conditions"):
        _caption(thumb, conditions_caption(labels["conditions"]))
    if lidar is None:
        return thumb
    range_m = _bev_range(points)
    bev = bev_image(points, labels["objects"].get(lidar, []), range_m=range_m, px_per_m=height / (2.0 * range_m))
    tile = Image.new("RGB", (THUMB_WIDTH + bev.width, max(height, bev.height)), (20, 20, 20))
    tile.paste(thumb, (0, 0))
    tile.paste(bev, (THUMB_WIDTH, 0))
    return tile


def conditions_caption(conditions: dict) -> str:
    """A short line naming a frame's conditions: the preset and the values that set it apart."""
    parts = [str(conditions.get("name", ""))]
    if conditions.get("visibility_m") is not None:
        parts.append(f"MOR {conditions['visibility_m']:.0f} m")
    if conditions.get("rain_rate_mm_h"):
        parts.append(f"rain {conditions['rain_rate_mm_h']:.1f} mm/h")
    if conditions.get("snow_rate_mm_h"):
        parts.append(f"snow {conditions['snow_rate_mm_h']:.1f} mm/h")
    if conditions.get("sun_elevation_deg") is not None:
        parts.append(f"sun {conditions['sun_elevation_deg']:.0f} deg")
    return ", ".join(parts)


def _caption(image: Image.Image, text: str) -> None:
    """Write ``text`` in the top-left corner of ``image`` on a dark band (in place)."""
    draw = ImageDraw.Draw(image)
    left, top, right, bottom = draw.textbbox((4, 3), text)
    draw.rectangle((0, 0, right + 4, bottom + 3), fill=(0, 0, 0))
    draw.text((4, 3), text, fill=(255, 255, 160))


def _bev_range(points: np.ndarray) -> float:
    """Metres the bird's-eye view shows around the sensor: the 98th percentile of the points' horizontal
    distance rounded up to 10 m (at least 10 m), so a few far returns do not shrink everything else."""
    if len(points) == 0:
        return 10.0
    distance = np.hypot(points["x"].astype(np.float64), points["y"].astype(np.float64))
    return float(max(10.0, 10.0 * np.ceil(np.percentile(distance, 98) / 10.0)))


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
        name = sensor or sensor_names(labels, "camera")[0]
        image = draw_frame(dataset.rgb(scene_id, frame, name), labels["objects"][name])
        height = round(image.height * SEQUENCE_PREVIEW_WIDTH / image.width)
        images.append(np.asarray(image.resize((SEQUENCE_PREVIEW_WIDTH, height), Image.BILINEAR)))
        times.append(labels["t"])
    out = dataset.root / "scenes" / scene_id / "preview.gif"
    frame_ms = 1000.0 * (times[1] - times[0])
    atomic.write_bytes(out, iio.imwrite("<bytes>", np.stack(images), extension=".gif", duration=frame_ms, loop=0))
    return out

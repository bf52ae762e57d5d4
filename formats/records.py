"""Format-neutral image annotations: what every importer produces (``formats.importers``) and what the
mixer and the record writers (COCO, YOLO) consume.

Conventions (the same as the native format and COCO):
- pixel coordinates are continuous: pixel column i covers [i, i + 1), so a box ``(x, y, w, h)`` whose
  object covers columns 10..19 is ``x = 10, w = 10``; boxes are in pixels of the image as stored;
- masks are COCO compressed RLE dicts (``{"size": [h, w], "counts": str}``), column-major as in
  pycocotools; polygons are converted to RLE on import;
- category names are the source's own; mapping them to a mix's classes is ``mixing``'s job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROLES = ("real", "synthetic")
# Why an importer left an object out (``SourceDataset.dropped_objects``; the mix report shows it).
OUTSIDE_IMAGE = "box empty or outside the image"


def clip_box(
    bbox: tuple[float, float, float, float], width: int, height: int
) -> tuple[float, float, float, float] | None:
    """[x, y, w, h] of the box's corners clipped to the image [0, width] x [0, height]; None when nothing
    is left (a box wholly outside the image, or of zero width or height)."""
    x, y, w, h = bbox
    x0, y0 = min(max(x, 0.0), width), min(max(y, 0.0), height)
    x1, y1 = min(max(x + w, 0.0), width), min(max(y + h, 0.0), height)
    if x1 <= x0 or y1 <= y0:
        return None
    return (float(x0), float(y0), float(x1 - x0), float(y1 - y0))


@dataclass
class ObjectAnnotation:
    """One labelled object in one image.

    Attributes:
        category: the source's category name (e.g. "person" in COCO, "Car" in KITTI, "car" native).
        bbox: (x, y, w, h) in pixels, continuous coordinates (see module docstring); the visible box
            where the source knows one (native, COCO), else the source's box.
        mask: COCO compressed RLE of the visible mask, or None when the source has no mask.
        visibility: visible / unoccluded pixels in [0, 1] (native only), None when unknown.
        truncation: share outside the image in [0, 1] (native, KITTI), None when unknown.
        occlusion: KITTI-style level 0..3, None when unknown.
        track_id: the object's id over a video (native, COCO-video), None when unknown.
        iscrowd: a COCO crowd region (not a single object).
        extra: anything else the source says about the object (e.g. KITTI's 3D box fields).
        keypoints: COCO's flat person keypoints [x1, y1, v1, ...] (``scenes.skeleton.COCO_KEYPOINTS`` order,
            pixel indices: the centre of pixel column j is x = j; v 0 not in the image (then x = y = 0),
            1 hidden, 2 visible), None when the source has none (native people with a skeleton have
            them; the YOLO pose writer reads them, the other writers do not yet).
    """

    category: str
    bbox: tuple[float, float, float, float]
    mask: dict[str, Any] | None = None
    visibility: float | None = None
    truncation: float | None = None
    occlusion: int | None = None
    track_id: int | None = None
    iscrowd: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    keypoints: list[float] | None = None


@dataclass
class ImageAnnotations:
    """One image of a source and its objects.

    Attributes:
        path: the image file, absolute, checked to lie inside the source root (symlinks resolved).
        rel_path: the image's path relative to the source root, POSIX separators.
        width, height: image size in pixels.
        objects: the labelled objects.
        original_id: the source's id of the image (COCO image id, file stem, "scene/frame/sensor").
        group: the default split group: images of one group (a video, a synthetic scene) must stay in
            one split. Importers set a sensible default; ``mixing`` may regroup by a key of ``meta``.
        meta: the source's other image fields (COCO image keys such as video_id; native scene_id,
            frame, sensor, scene_seed), kept for provenance and grouping.
    """

    path: Path
    rel_path: str
    width: int
    height: int
    objects: list[ObjectAnnotation]
    original_id: str
    group: str
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class SourceDataset:
    """A whole imported dataset.

    Attributes:
        format: the importer's name (coco, yolo, kitti, native).
        root: the source root folder, absolute.
        categories: the source's category names, in its own order (ids are its business).
        images: every image whose file exists, in a deterministic order (sorted by rel_path unless the
            format has its own order, e.g. COCO's image list).
        missing_images: rel paths of images the annotations name but which do not exist.
        dropped_objects: reason -> objects the importer left out, e.g. ``OUTSIDE_IMAGE``: boxes wholly
            outside their image or empty once clipped to it (boxes partly outside are clipped and kept).
    """

    format: str
    root: Path
    categories: list[str]
    images: list[ImageAnnotations]
    missing_images: list[str] = field(default_factory=list)
    dropped_objects: dict[str, int] = field(default_factory=dict)

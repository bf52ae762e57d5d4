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
    """

    format: str
    root: Path
    categories: list[str]
    images: list[ImageAnnotations]
    missing_images: list[str] = field(default_factory=list)

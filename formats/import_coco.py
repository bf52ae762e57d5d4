"""COCO importer: one annotations JSON (COCO detection / COCO-video style) and its image folder.

Boxes are COCO's [x, y, w, h] in pixels (continuous coordinates, as ours). Segmentations may be polygons
(a list of flat [x1, y1, ...] lists), uncompressed RLE (counts a list) or compressed RLE (counts a str);
all become compressed RLE. Kept per annotation: iscrowd, track_id (else instance_id), visibility,
truncation, occlusion; a person's ``keypoints`` (COCO's flat [x1, y1, v1, ...]) when its category names
COCO's 17 person keypoints in COCO's order (other keypoint sets stay in ``extra``, as every other
non-standard key). Per image: group ``video:<video_id>``
when the image has a video_id, else ``image:<id>``; meta = the image dict minus id/file_name/width/height.

Boxes are clipped to their image; a box wholly outside it, or empty once clipped, is left out and
counted (``SourceDataset.dropped_objects``). Refused with a one-line error naming the record: an image
whose width/height are not its file's (masks are decoded at that size), an image file cut short
(``untrusted.check_complete``), a file listed by two image records, a box whose corner or area
overflows, and segmentations pycocotools would misread or crash on (see :func:`segmentation`).
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

from formats import _masks
from formats.records import OUTSIDE_IMAGE, ImageAnnotations, ObjectAnnotation, SourceDataset
from formats.untrusted import (
    AnnotationError,
    PathResolver,
    check_relative,
    check_size,
    finite,
    image_box,
    load_json,
    positive_int,
    regular_file,
    resolve_inside,
)
from scenes.plain_data import short_repr
from scenes.skeleton import COCO_KEYPOINTS

_STANDARD_ANN_KEYS = {"id", "image_id", "category_id", "bbox", "segmentation", "area", "iscrowd"}
_OPTIONAL = ("track_id", "instance_id", "visibility", "truncation", "occlusion")
_KEYPOINT_KEYS = ("keypoints", "num_keypoints")


def import_coco(root: Path, *, annotations: str = "annotations.json", images: str = ".") -> SourceDataset:
    """Read a COCO dataset under ``root``.

    Args:
        annotations: the JSON file, relative to ``root``.
        images: the folder ``file_name`` is relative to, relative to ``root``.
    """
    ann_path = resolve_inside(root, annotations, f"import coco of {root}: option annotations")
    data = load_json(ann_path)
    name = str(ann_path)
    if not isinstance(data, dict):
        raise AnnotationError(f"{name}: expected a JSON object with images, annotations, categories")
    image_dir = "." if images in (".", "") else images
    resolve_inside(root, image_dir, f"import coco of {root}: option images")  # checks the folder itself
    categories = _categories(data.get("categories"), name)
    coco_people = _coco_keypoint_categories(data.get("categories"))
    records, missing = _images(root, data.get("images"), image_dir, name)
    outside = 0
    for i, ann in enumerate(_list(data.get("annotations", []), f"{name}: annotations")):
        where = f"{name}: annotations[{i}]"
        if not isinstance(ann, dict):
            raise AnnotationError(f"{where}: expected an object")
        image_id = ann.get("image_id")
        if not isinstance(image_id, (int, str)) or isinstance(image_id, bool) or image_id not in records:
            raise AnnotationError(f"{where}: image_id {short_repr(image_id, 40)} names no image")
        record = records[image_id]
        if record is None:
            continue  # its image file is missing: listed in missing_images
        cat = ann.get("category_id")
        if isinstance(cat, bool) or not isinstance(cat, int) or cat not in categories:
            raise AnnotationError(f"{where}: category_id {short_repr(cat, 40)} is not in categories")
        obj = _object(ann, categories[cat], record.height, record.width, where, cat in coco_people)
        if obj is None:
            outside += 1
        else:
            record.objects.append(obj)
    return SourceDataset(
        format="coco",
        root=root,
        categories=list(categories.values()),
        images=[r for r in records.values() if r is not None],
        missing_images=sorted(missing),
        dropped_objects={OUTSIDE_IMAGE: outside} if outside else {},
    )


def _list(value: Any, where: str) -> list:
    if not isinstance(value, list):
        raise AnnotationError(f"{where}: expected a list, got {type(value).__name__}")
    return value


def _categories(value: Any, name: str) -> dict[Any, str]:
    categories: dict[Any, str] = {}
    for i, cat in enumerate(_list(value, f"{name}: categories")):
        where = f"{name}: categories[{i}]"
        if not isinstance(cat, dict) or not isinstance(cat.get("name"), str):
            raise AnnotationError(f"{where}: expected an object with an id and a name")
        cid = cat.get("id")
        if isinstance(cid, bool) or not isinstance(cid, int):
            raise AnnotationError(f"{where}: id must be an integer, got {short_repr(cid, 40)}")
        if cid in categories:
            raise AnnotationError(f"{where}: duplicate category id {cid}")
        categories[cid] = cat["name"]
    return categories


def _images(root: Path, value: Any, image_dir: str, name: str) -> tuple[dict[Any, ImageAnnotations | None], list[str]]:
    """image id -> record (None when the file is missing), in the file's order; and the missing rel paths."""
    records: dict[Any, ImageAnnotations | None] = {}
    missing: list[str] = []
    resolver = PathResolver(root)
    files: dict[Path, tuple[int, str]] = {}  # resolved path -> (index, file_name) of its image record
    for i, im in enumerate(_list(value, f"{name}: images")):
        where = f"{name}: images[{i}]"
        if not isinstance(im, dict):
            raise AnnotationError(f"{where}: expected an object")
        image_id = im.get("id")
        if isinstance(image_id, bool) or not isinstance(image_id, (int, str)):
            raise AnnotationError(f"{where}: id must be an integer or a string, got {short_repr(image_id, 40)}")
        if image_id in records:
            raise AnnotationError(f"{where}: duplicate image id {short_repr(image_id)}")
        width = positive_int(im.get("width"), f"{where} width")
        height = positive_int(im.get("height"), f"{where} height")
        file_name = im.get("file_name")
        check_relative(root, file_name, f"{where} file_name")  # the name's own checks, quoted as written
        rel = posixpath.normpath(posixpath.join(image_dir, file_name))
        path = resolver.resolve(rel, f"{where} file_name")
        if path in files:  # one file twice would become two images, possibly in different splits
            j, first = files[path]
            raise AnnotationError(
                f"{where}: file_name {short_repr(file_name)} names the same file as images[{j}] "
                f"({short_repr(first)}); list each image once"
            )
        files[path] = (i, file_name)
        if not regular_file(path, f"{where} file_name"):
            records[image_id] = None
            missing.append(rel)
            continue
        check_size(path, width, height, where)
        video = im.get("video_id")
        records[image_id] = ImageAnnotations(
            path=path,
            rel_path=rel,
            width=width,
            height=height,
            objects=[],
            original_id=str(image_id),
            group=f"video:{video}" if video is not None else f"image:{image_id}",
            meta={k: v for k, v in im.items() if k not in ("id", "file_name", "width", "height")},
        )
    return records, missing


def _coco_keypoint_categories(value: list) -> set[int]:
    """Ids of the categories (already checked by :func:`_categories`) whose ``keypoints`` names are COCO's
    17 person keypoints in COCO's order."""
    return {cat["id"] for cat in value if cat.get("keypoints") == list(COCO_KEYPOINTS)}


def _keypoints(value: Any, where: str) -> list[float]:
    """COCO's flat person keypoints: 17 (x, y, v) triples of finite numbers, v 0 (not labelled), 1
    (labelled, hidden) or 2 (visible)."""
    if not isinstance(value, list) or len(value) != 3 * len(COCO_KEYPOINTS):
        raise AnnotationError(f"{where}: expected {3 * len(COCO_KEYPOINTS)} numbers, got {short_repr(value, 80)}")
    flat = [finite(v, where) for v in value]
    if any(v not in (0, 1, 2) for v in flat[2::3]) or any(isinstance(v, bool) for v in value):
        raise AnnotationError(f"{where}: each keypoint's v must be 0, 1 or 2, got {short_repr(value[2::3], 80)}")
    return [int(v) if k % 3 == 2 else v for k, v in enumerate(flat)]


def _object(
    ann: dict[str, Any], category: str, height: int, width: int, where: str, coco_person: bool = False
) -> ObjectAnnotation | None:
    """The annotation as an object, its box clipped to the image; None when the box is wholly outside the
    image or empty (the caller counts it). ``coco_person``: its category names COCO's person keypoints,
    so its ``keypoints`` are read as such."""
    bbox = image_box(ann.get("bbox"), width, height, f"{where} bbox")
    iscrowd = ann.get("iscrowd", 0)
    if iscrowd not in (0, 1) or (not isinstance(iscrowd, (int, bool))):
        raise AnnotationError(f"{where}: iscrowd must be 0 or 1, got {short_repr(iscrowd, 40)}")
    track = ann.get("track_id", ann.get("instance_id"))
    if track is not None and (isinstance(track, bool) or not isinstance(track, int)):
        raise AnnotationError(f"{where}: track_id must be an integer, got {short_repr(track, 40)}")
    occlusion = ann.get("occlusion")
    if occlusion is not None and (isinstance(occlusion, bool) or not isinstance(occlusion, int)):
        raise AnnotationError(f"{where}: occlusion must be an integer, got {short_repr(occlusion, 40)}")
    optional = {k: finite(ann[k], f"{where} {k}") for k in ("visibility", "truncation") if ann.get(k) is not None}
    mask = segmentation(ann.get("segmentation"), height, width, f"{where} segmentation")  # checked even if dropped
    read_keypoints = coco_person and ann.get("keypoints") is not None
    keypoints = _keypoints(ann["keypoints"], f"{where} keypoints") if read_keypoints else None
    if bbox is None:
        return None
    return ObjectAnnotation(
        category=category,
        bbox=bbox,
        mask=mask,
        visibility=optional.get("visibility"),
        truncation=optional.get("truncation"),
        occlusion=occlusion,
        track_id=track,
        iscrowd=bool(iscrowd),
        keypoints=keypoints,
        extra={
            k: v
            for k, v in ann.items()
            if k not in _STANDARD_ANN_KEYS and k not in _OPTIONAL and not (read_keypoints and k in _KEYPOINT_KEYS)
        },
    )


def segmentation(seg: Any, height: int, width: int, where: str) -> dict[str, Any] | None:
    """Compressed RLE of a COCO segmentation (None or [] -> None); the image is ``height`` x ``width``.

    Checked before pycocotools sees them (it trusts its input, and crashes or reads past its buffers):
    polygons have >= 3 points, all within [-width, 2 * width] x [-height, 2 * height]; an RLE's size is
    the image's and its runs are >= 0 and sum to height * width (a compressed string is decoded here).
    """
    if seg is None or seg == []:
        return None
    if isinstance(seg, list):
        polygons = []
        for k, poly in enumerate(seg):
            if not isinstance(poly, list) or len(poly) < 6 or len(poly) % 2:
                raise AnnotationError(f"{where}[{k}]: a polygon is a flat list of >= 3 x, y pairs")
            values = [finite(v, f"{where}[{k}]") for v in poly]
            for j, v in enumerate(values):
                limit = width if j % 2 == 0 else height
                if not -limit <= v <= 2 * limit:
                    axis = "x" if j % 2 == 0 else "y"
                    raise AnnotationError(
                        f"{where}[{k}][{j}]: {axis} {v:g} is far outside the {width}x{height} image "
                        f"(allowed: {-limit} .. {2 * limit})"
                    )
            polygons.append(values)
        return _masks.rle_from_polygons(polygons, height, width)
    if not isinstance(seg, dict) or "counts" not in seg or "size" not in seg:
        raise AnnotationError(f"{where}: expected polygons or an RLE {{size, counts}}")
    size = seg["size"]
    if not isinstance(size, list) or any(isinstance(v, bool) for v in size) or size != [height, width]:
        raise AnnotationError(f"{where}: RLE size {short_repr(size, 40)} is not the image's [{height}, {width}]")
    counts = seg["counts"]
    if not isinstance(counts, (list, str)):
        raise AnnotationError(f"{where}: RLE counts must be a string (compressed) or a list of integers")
    problem = _masks.check_rle(counts, [height, width])
    if problem is not None:
        raise AnnotationError(f"{where}: {problem}")
    if isinstance(counts, list):
        return _masks.rle_from_counts(counts, height, width)
    return {"size": [height, width], "counts": counts}

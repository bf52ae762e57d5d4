"""Native importer: a synthsense dataset as format-neutral records, one image per (frame, camera).

Objects: the visible ones only (a YOLO/COCO consumer has nothing to learn from an object it cannot see),
with bbox = bbox_visible, mask = mask_rle, and visibility, truncation, occlusion, track_id from the labels;
``extra`` keeps instance_id and bbox_amodal; people with a skeleton get ``keypoints`` (COCO's flat list,
``untrusted.coco_keypoints``). Images are grouped by scene (a sequence never crosses splits);
meta holds scene_id, frame, sensor, root_seed, scene_index and t (seconds).

A native set from elsewhere is checked like a COCO one: each camera image's header must give the size
its labels.json records for the sensor (``untrusted.check_size``: also the pixel limit and a file cut
short), boxes are clipped to the image (one wholly outside or empty is left out and counted), masks are
checked before pycocotools reads them, and visibility and truncation must be finite numbers.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from formats.import_coco import segmentation
from formats.native import DatasetError, FrameKey, NativeDataset, frame_dir, sensor_file
from formats.records import OUTSIDE_IMAGE, ImageAnnotations, ObjectAnnotation, SourceDataset
from formats.untrusted import (
    AnnotationError,
    check_size,
    coco_keypoints,
    finite,
    image_box,
    load_json,
    positive_int,
    regular_file,
    resolve_inside,
)
from scenes.plain_data import short_repr


def import_native(root: Path, *, sensors: list[str] | None = None, skip: Collection[FrameKey] = ()) -> SourceDataset:
    """Read a native dataset under ``root``; ``sensors``: the cameras to take (None: every camera);
    ``skip``: frames (scene_id, frame) to leave out."""
    if sensors is not None and (not isinstance(sensors, (list, tuple)) or not all(isinstance(s, str) for s in sensors)):
        raise AnnotationError(f"import native of {root}: option sensors must be a list of camera names")
    try:
        dataset = NativeDataset(root, skip)
    except AnnotationError:
        raise
    except DatasetError as exc:
        raise AnnotationError(str(exc)) from None
    categories = [c["name"] for c in dataset.categories]
    images: list[ImageAnnotations] = []
    missing: list[str] = []
    seen_cameras: set[str] = set()
    scene_meta: dict[str, dict[str, Any]] = {}
    outside = 0
    for rec in dataset.frames():
        scene_id, frame = str(rec["scene_id"]), rec["frame"]
        if isinstance(frame, bool) or not isinstance(frame, int) or frame < 0:
            raise AnnotationError(
                f"{dataset.root / 'manifest.jsonl'}: scene {short_repr(scene_id)} has frame {short_repr(frame)}"
            )
        labels_path = resolve_inside(root, f"{frame_dir(scene_id, frame)}/labels.json", "manifest.jsonl: labels")
        if not regular_file(labels_path, "labels"):
            missing.append(f"{frame_dir(scene_id, frame)}/labels.json")
            continue
        labels = load_json(labels_path)
        if scene_id not in scene_meta:
            scene_meta[scene_id] = _scene_meta(root, scene_id, dataset.meta.get("root_seed"))
        try:
            for camera, calib in labels["sensors"].items():
                if calib.get("type") != "camera":
                    continue
                seen_cameras.add(camera)
                if sensors is not None and camera not in sensors:
                    continue
                rel = sensor_file(scene_id, frame, camera, "rgb.png")
                path = resolve_inside(root, rel, f"{labels_path}: sensor {camera}")
                if not regular_file(path, f"image of sensor {short_repr(camera)}"):
                    missing.append(rel)
                    continue
                sensor = f"{labels_path}: sensors[{short_repr(camera)}]"
                width = positive_int(calib["width"], f"{sensor} width")
                height = positive_int(calib["height"], f"{sensor} height")
                check_size(path, width, height, sensor)
                where = f"{labels_path}: objects[{short_repr(camera)}]"
                found = [
                    _object(o, width, height, f"{where}[{k}]")
                    for k, o in enumerate(labels["objects"].get(camera, []))
                    if o["visible"]
                ]
                objects = [o for o in found if o is not None]
                outside += len(found) - len(objects)
                images.append(
                    ImageAnnotations(
                        path=path,
                        rel_path=rel,
                        width=width,
                        height=height,
                        objects=objects,
                        original_id=f"{scene_id}/{frame}/{camera}",
                        group=scene_id,
                        meta={
                            "scene_id": scene_id,
                            "frame": frame,
                            "sensor": camera,
                            **scene_meta[scene_id],
                            "t": labels["t"],
                        },
                    )
                )
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:  # int(inf): Overflow
            # a labels.json from elsewhere: name the file rather than show a traceback
            raise AnnotationError(f"{labels_path}: malformed labels ({type(exc).__name__}: {exc})") from None
    unknown = sorted(set(sensors or ()) - seen_cameras)
    if unknown and seen_cameras:
        raise AnnotationError(
            f"import native of {root}: no camera {short_repr(unknown[0])}; cameras: {sorted(seen_cameras)}"
        )
    return SourceDataset(
        format="native",
        root=root,
        categories=categories,
        images=images,
        missing_images=sorted(missing),
        dropped_objects={OUTSIDE_IMAGE: outside} if outside else {},
    )


def _scene_meta(root: Path, scene_id: str, root_seed: Any) -> dict[str, Any]:
    """root_seed and scene_index of a scene, from its scene.json (dataset.json's seed if it has none);
    each an integer or None: they are copied into the mix's provenance, where a float (an overflowing
    1e400 reads as infinity) would not be JSON."""
    path = resolve_inside(root, f"scenes/{scene_id}/scene.json", "manifest.jsonl: scene_id")
    meta, where = {"root_seed": root_seed, "scene_index": None}, root / "dataset.json"
    if regular_file(path, "scene"):
        scene, where = load_json(path), path
        seeds = scene.get("seeds") or {}
        meta = {
            "root_seed": seeds.get("root_seed", root_seed),
            "scene_index": scene.get("index", seeds.get("scene_index")),
        }
    for key, value in meta.items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise AnnotationError(f"{where}: {key} must be an integer, got {short_repr(value)}")
    return meta


def _object(obj: dict[str, Any], width: int, height: int, where: str) -> ObjectAnnotation | None:
    """A visible object of the ``width`` x ``height`` image; None when its box is wholly outside the image
    or empty (the caller counts it)."""
    bbox = image_box(obj["bbox_visible"], width, height, f"{where} bbox_visible")
    mask = segmentation(obj["mask_rle"], height, width, f"{where} mask_rle")  # None stays None
    if bbox is None:
        return None
    return ObjectAnnotation(
        category=str(obj["category"]),
        bbox=bbox,
        mask=mask,
        visibility=finite(obj["visibility"], f"{where} visibility"),
        truncation=finite(obj["truncation"], f"{where} truncation"),
        occlusion=int(obj["occlusion"]),
        track_id=int(obj.get("track_id", obj["instance_id"])),
        extra={"instance_id": int(obj["instance_id"]), "bbox_amodal": obj.get("bbox_amodal")},
        keypoints=coco_keypoints(obj["keypoints"], f"{where} keypoints") if "keypoints" in obj else None,
    )

"""Native importer: a synthsense dataset as format-neutral records, one image per (frame, camera).

Objects: the visible ones only (a YOLO/COCO consumer has nothing to learn from an object it cannot see),
with bbox = bbox_visible, mask = mask_rle, and visibility, truncation, occlusion, track_id from the labels;
``extra`` keeps instance_id and bbox_amodal. Images are grouped by scene (a sequence never crosses splits);
meta holds scene_id, frame, sensor, root_seed, scene_index and t (seconds).
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from formats.native import DatasetError, FrameKey, NativeDataset, frame_dir, sensor_file
from formats.records import ImageAnnotations, ObjectAnnotation, SourceDataset
from formats.untrusted import AnnotationError, box, load_json, positive_int, resolve_inside
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
    for rec in dataset.frames():
        scene_id, frame = str(rec["scene_id"]), rec["frame"]
        if isinstance(frame, bool) or not isinstance(frame, int) or frame < 0:
            raise AnnotationError(
                f"{dataset.root / 'manifest.jsonl'}: scene {short_repr(scene_id)} has frame {short_repr(frame)}"
            )
        labels_path = resolve_inside(root, f"{frame_dir(scene_id, frame)}/labels.json", "manifest.jsonl: labels")
        if not labels_path.is_file():
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
                if not path.is_file():
                    missing.append(rel)
                    continue
                where = f"{labels_path}: objects[{short_repr(camera)}]"
                objects = [
                    _object(o, f"{where}[{k}]") for k, o in enumerate(labels["objects"].get(camera, [])) if o["visible"]
                ]
                images.append(
                    ImageAnnotations(
                        path=path,
                        rel_path=rel,
                        width=positive_int(calib["width"], f"{labels_path}: sensors[{short_repr(camera)}] width"),
                        height=positive_int(calib["height"], f"{labels_path}: sensors[{short_repr(camera)}] height"),
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
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            # a labels.json from elsewhere: name the file rather than show a traceback
            raise AnnotationError(f"{labels_path}: malformed labels ({type(exc).__name__}: {exc})") from None
    unknown = sorted(set(sensors or ()) - seen_cameras)
    if unknown and seen_cameras:
        raise AnnotationError(
            f"import native of {root}: no camera {short_repr(unknown[0])}; cameras: {sorted(seen_cameras)}"
        )
    return SourceDataset(
        format="native", root=root, categories=categories, images=images, missing_images=sorted(missing)
    )


def _scene_meta(root: Path, scene_id: str, root_seed: Any) -> dict[str, Any]:
    """root_seed and scene_index of a scene, from its scene.json (dataset.json's seed if it has none)."""
    path = resolve_inside(root, f"scenes/{scene_id}/scene.json", "manifest.jsonl: scene_id")
    if not path.is_file():
        return {"root_seed": root_seed, "scene_index": None}
    scene = load_json(path)
    seeds = scene.get("seeds") or {}
    return {"root_seed": seeds.get("root_seed", root_seed), "scene_index": scene.get("index", seeds.get("scene_index"))}


def _object(obj: dict[str, Any], where: str) -> ObjectAnnotation:
    rle = obj["mask_rle"]
    return ObjectAnnotation(
        category=str(obj["category"]),
        bbox=box(obj["bbox_visible"], f"{where} bbox_visible"),
        mask={"size": [int(v) for v in rle["size"]], "counts": str(rle["counts"])} if rle is not None else None,
        visibility=float(obj["visibility"]),
        truncation=float(obj["truncation"]),
        occlusion=int(obj["occlusion"]),
        track_id=int(obj.get("track_id", obj["instance_id"])),
        extra={"instance_id": int(obj["instance_id"]), "bbox_amodal": obj.get("bbox_amodal")},
    )

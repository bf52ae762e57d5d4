"""FiftyOne's COCO detection importer on a COCO file, as ``fo.Dataset.from_dir(dataset_type=COCODetectionDataset)``
reads it (``extra_attrs=True``, the default: every extra annotation key becomes a Detection attribute),
without a database: the importer's own iteration, which builds each image's Detection labels.

    python fiftyone_coco.py ANNOTATIONS IMAGES

Prints {"images": [{"file_name", "width", "height", "detections": [{"label", "bounding_box" (relative
x, y, w, h), "attributes" (the extra keys, as FiftyOne stores them), "mask_shape", "mask_pixels"}],
"keypoints": [{"label", "points" (relative x, y; NaN where not labelled), "visible"}] (the annotations
with COCO keypoints, as its Keypoints label holds them)}], "reserved": names on
fiftyone.core.labels.Detection} or {"error": message}.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import fiftyone.core.labels as fol
import fiftyone.utils.coco as fouc

# fields of every Detection, never extra attributes
_OWN = {"id", "tags", "label", "bounding_box", "mask", "mask_path", "confidence", "index", "attributes"}


def main(annotations: Path, images: Path) -> dict:
    importer = fouc.COCODetectionDatasetImporter(
        data_path=str(images),
        labels_path=str(annotations),
        label_types=["detections", "segmentations", "keypoints"],
        extra_attrs=True,
    )
    out = []
    try:
        with importer:
            for image_path, metadata, labels in importer:
                detections = []
                labels = labels or {}
                # "detections" and "segmentations" hold the same objects; the latter with instance masks
                for det in labels["segmentations"].detections if labels.get("segmentations") else []:
                    attributes = {k: v for k, v in det.iter_fields() if k not in _OWN and v is not None}
                    detections.append(
                        {
                            "label": det.label,
                            "bounding_box": list(det.bounding_box),
                            "attributes": attributes,
                            "mask_shape": list(det.mask.shape) if det.mask is not None else None,
                            "mask_pixels": int(det.mask.sum()) if det.mask is not None else None,
                        }
                    )
                keypoints = labels["keypoints"].keypoints if labels.get("keypoints") else []
                out.append(
                    {
                        "file_name": str(Path(image_path).relative_to(images)),
                        "width": metadata.width,
                        "height": metadata.height,
                        "detections": detections,
                        "keypoints": [
                            {"label": k.label, "points": [list(p) for p in k.points], "visible": list(k.visible)}
                            for k in keypoints
                        ],
                    }
                )
    except Exception as exc:  # noqa: BLE001 - the test wants FiftyOne's own message
        return {"error": f"{type(exc).__name__}: {exc}"}
    reserved = sorted(name for name in dir(fol.Detection) if not name.startswith("_"))
    return {"images": out, "reserved": reserved}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]))))

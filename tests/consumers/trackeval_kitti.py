"""TrackEval's KITTI 2D box evaluation of a KITTI tracking export's ground truth against itself.

    python trackeval_kitti.py EXPORT WORK

EXPORT is ``<dataset>/exports/kitti_tracking``; WORK an empty folder for the seqmap, the tracker files
(the ground truth's own rows, confidence 1) and TrackEval's output. Prints, per class TrackEval scores
(car, pedestrian): HOTA, MOTA, IDF1 (0..1) and the ground-truth detections it evaluated.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import trackeval
from _trackeval import evaluate, scores


def main(export: Path, work: Path) -> dict:
    gt = work / "gt"
    (gt / "label_02").mkdir(parents=True)
    tracker = work / "trackers" / "self" / "data"
    tracker.mkdir(parents=True)
    seqmap = []
    for label_file in sorted((export / "label_02").glob("*.txt")):
        seq = label_file.stem
        frames = len(list((export / "image_02" / seq).glob("*.png")))
        seqmap.append(f"{seq} empty 000000 {frames:06d}\n")
        shutil.copy(label_file, gt / "label_02" / label_file.name)
        shutil.copy(label_file, tracker / label_file.name)  # 17 fields: TrackEval gives confidence 1
    (gt / "evaluate_tracking.seqmap.training").write_text("".join(seqmap))
    config = {
        "GT_FOLDER": str(gt),
        "TRACKERS_FOLDER": str(work / "trackers"),
        "OUTPUT_FOLDER": str(work / "output"),
        "CLASSES_TO_EVAL": ["car", "pedestrian"],
        "SPLIT_TO_EVAL": "training",
        "PRINT_CONFIG": False,
    }
    combined, message = evaluate(trackeval.datasets.Kitti2DBox, config)
    out: dict = {cls: scores(combined[cls]) for cls in combined if cls in ("car", "pedestrian")}
    out["messages"] = message
    return out


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]))))

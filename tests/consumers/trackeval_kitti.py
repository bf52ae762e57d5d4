"""TrackEval's KITTI 2D box evaluation of a KITTI tracking export's ground truth against itself.

    python trackeval_kitti.py EXPORT WORK

EXPORT is ``<dataset>/exports/kitti_tracking``; WORK an empty folder for the seqmap, the tracker files
(the ground truth's own rows, confidence 1) and TrackEval's output. Prints, per class TrackEval scores
(car, pedestrian): HOTA, MOTA, IDF1 (0..1) and the ground-truth detections it evaluated.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import sys
from pathlib import Path

import trackeval


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
    eval_config = {"USE_PARALLEL": False, "PRINT_RESULTS": False, "PRINT_CONFIG": False, "OUTPUT_SUMMARY": False}
    eval_config.update({"OUTPUT_DETAILED": False, "PLOT_CURVES": False, "TIME_PROGRESS": False})
    evaluator = trackeval.Evaluator(eval_config)
    with contextlib.redirect_stdout(io.StringIO()):  # TrackEval prints its configs and progress
        metrics = [trackeval.metrics.HOTA(), trackeval.metrics.CLEAR(), trackeval.metrics.Identity()]
        results, messages = evaluator.evaluate([trackeval.datasets.Kitti2DBox(config)], metrics)
    combined = results["Kitti2DBox"]["self"]["COMBINED_SEQ"]
    out = {}
    for cls in ("car", "pedestrian"):
        r = combined[cls]
        out[cls] = {
            "HOTA": float(r["HOTA"]["HOTA"].mean()),
            "MOTA": float(r["CLEAR"]["MOTA"]),
            "IDF1": float(r["Identity"]["IDF1"]),
            "gt_dets": int(r["CLEAR"]["CLR_TP"] + r["CLEAR"]["CLR_FN"]),
        }
    out["messages"] = messages["Kitti2DBox"]["self"]
    return out


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]))))

"""TrackEval's MOTChallenge 2D box evaluation (MOT17 rules) of a MOT export's ground truth.

    python trackeval_mot.py EXPORT WORK TRACKER

EXPORT is ``<dataset>/exports/mot`` (one folder per sequence with seqinfo.ini and gt/gt.txt); WORK an
empty folder. The tracker copies the ground truth's rows with conf 1: TRACKER ``people`` takes those of
classes 1 (pedestrian) and 2 (person_on_vehicle), a perfect pedestrian tracker that also reports
cyclists, which TrackEval must remove as matches of a distractor class; ``all`` takes every class, so
TrackEval checks every ground-truth class (it does so only where a tracker box is there to match).
Prints HOTA, MOTA, IDF1 (0..1), the pedestrian ground truth it evaluated and the tracker rows it was given,
or {"error": message} when TrackEval refuses the data.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import trackeval
from _trackeval import evaluate, scores


def main(export: Path, work: Path, kind: str) -> dict:
    tracker = work / "trackers" / "self" / "data"
    tracker.mkdir(parents=True)
    sequences = sorted(p.name for p in export.iterdir() if (p / "gt" / "gt.txt").is_file())
    given = 0
    for seq in sequences:
        rows = []
        for line in (export / seq / "gt" / "gt.txt").read_text().splitlines():
            frame, tid, x, y, w, h, conf, cls, _ = line.split(",")
            if conf == "1" and (kind == "all" or cls in ("1", "2")):
                rows.append(f"{frame},{tid},{x},{y},{w},{h},1,-1,-1,-1\n")
        (tracker / f"{seq}.txt").write_text("".join(rows))
        given += len(rows)
    config = {
        "GT_FOLDER": str(export),
        "TRACKERS_FOLDER": str(work / "trackers"),
        "OUTPUT_FOLDER": str(work / "output"),
        "BENCHMARK": "MOT17",
        "SKIP_SPLIT_FOL": True,
        "SEQ_INFO": {seq: None for seq in sequences},  # lengths from seqinfo.ini
        "PRINT_CONFIG": False,
    }
    combined, message = evaluate(trackeval.datasets.MotChallenge2DBox, config)
    if message != "Success":
        return {"error": message}
    return {
        **scores(combined["pedestrian"]),
        "tracker_rows": given,
        "sequences": len(sequences),
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])))

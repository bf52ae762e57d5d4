"""What the TrackEval scripts share: one quiet evaluation of a tracker called "self", and its scores."""

from __future__ import annotations

import contextlib
import io
from typing import Any

import trackeval


def evaluate(dataset: type, config: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """(COMBINED_SEQ results per class, TrackEval's message: "Success" or why it refused) of the tracker
    "self" on ``dataset`` (a trackeval.datasets class) built from ``config``, with HOTA, CLEAR, Identity."""
    eval_config = {"USE_PARALLEL": False, "PRINT_RESULTS": False, "PRINT_CONFIG": False, "OUTPUT_SUMMARY": False}
    eval_config.update({"OUTPUT_DETAILED": False, "PLOT_CURVES": False, "TIME_PROGRESS": False})
    eval_config["BREAK_ON_ERROR"] = False  # a refusal comes back as the message, not a traceback
    evaluator = trackeval.Evaluator(eval_config)
    with contextlib.redirect_stdout(io.StringIO()):  # TrackEval prints its configs and progress
        metrics = [trackeval.metrics.HOTA(), trackeval.metrics.CLEAR(), trackeval.metrics.Identity()]
        results, messages = evaluator.evaluate([dataset(config)], metrics)
    name = dataset.get_class_name()
    message = messages[name]["self"]
    return (results[name]["self"]["COMBINED_SEQ"] if message == "Success" else {}), message


def scores(result: dict[str, Any]) -> dict[str, float | int]:
    """HOTA, MOTA, IDF1 (0..1) and the ground-truth detections evaluated, of one class's results."""
    return {
        "HOTA": float(result["HOTA"]["HOTA"].mean()),
        "MOTA": float(result["CLEAR"]["MOTA"]),
        "IDF1": float(result["Identity"]["IDF1"]),
        "gt_dets": int(result["CLEAR"]["CLR_TP"] + result["CLEAR"]["CLR_FN"]),
    }

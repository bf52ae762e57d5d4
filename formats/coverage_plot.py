"""coverage.png: a grid of small bar charts, one per histogram of a coverage (``formats.coverage``).

Drawn with matplotlib's Agg canvas on a Figure of its own (no pyplot, so no global backend or figure
state is touched), and saved without the Software tag, so the same coverage gives the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

COLUMNS = 4
PANEL_IN = (3.6, 2.5)  # inches per chart
DPI = 72  # 4 columns: 1037 pixels wide
MAX_PANELS = 48  # more histograms are in coverage.json only (a picture stays openable)
ALL_COLOUR, PART_COLOUR, SPAN_COLOUR = "#9aa7b8", "#d9822b", "#2b7bd9"
EDGE = {"edgecolor": "white", "linewidth": 0.5}  # adjacent bins stay apart


@dataclass
class Panel:
    """One chart: a histogram (``series``: (legend, histogram) pairs sharing bins) with its labels;
    ``interval``: a target's bounds, shaded."""

    title: str
    ylabel: str
    series: list[tuple[str, dict[str, Any]]]
    xlabel: str = ""
    interval: tuple[float, float] | None = None


def panels(coverage: dict[str, Any]) -> Iterator[Panel]:
    """The charts of a coverage, in reading order: scenario parameters, objects, target."""
    for name, scenario in coverage["scenarios"].items():
        for key, hist in scenario["parameters"].items():
            yield Panel(f"{name}: {key}", "scenes", [("", hist)], hist.get("unit", ""))
    objects = coverage["objects"]
    if objects["categories"]:
        camera = objects["sensor"]
        records = {c: n["records"] for c, n in objects["categories"].items()}
        visible = {c: n["visible"] for c, n in objects["categories"].items()}
        yield Panel(
            f"{camera}: objects by category",
            "object records",
            [("all", _counts(records)), ("visible", _counts(visible))],
        )
        yield Panel(f"{camera}: visibility", "object records", [("", objects["visibility"])], "visible fraction")
        yield Panel(f"{camera}: range", "object records", [("", objects["range_m"])], "m")
    target = coverage.get("target")
    if target is None:
        return
    for i, block in enumerate(target["blocks"]):
        what = ", ".join(block["categories"]) if block["categories"] else "any category"
        for name, hist in block["fields"].items():
            yield Panel(
                f"target {i} ({block['sensor']}, {what}): {name}",
                "object records",
                [("all", hist["all"]), ("in the block", hist["satisfying"])],
                name,
                tuple(hist["interval"]),
            )
    yield Panel("target: attempts per accepted scene", "scenes", [("", target["acceptance"]["attempts_per_scene"])])


def _counts(table: dict[str, int]) -> dict[str, Any]:
    return {"kind": "categorical", "counts": table}


def coverage_png(coverage: dict[str, Any]) -> bytes:
    """The PNG bytes of the coverage's charts (a note instead when it has none)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    charts = list(panels(coverage))
    shown = charts[:MAX_PANELS]
    rows = max(1, -(-len(shown) // COLUMNS))
    columns = min(COLUMNS, max(1, len(shown)))
    fig = Figure(figsize=(PANEL_IN[0] * columns, PANEL_IN[1] * rows), dpi=DPI)
    FigureCanvasAgg(fig)
    if not shown:
        fig.text(0.5, 0.5, "no scenes in the dataset", ha="center", va="center")
    for k, panel in enumerate(shown):
        _draw(fig.add_subplot(rows, columns, k + 1), panel)
    if len(charts) > len(shown):
        fig.suptitle(f"{len(charts) - len(shown)} more histograms in coverage.json", fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def _draw(ax, panel: Panel) -> None:
    from matplotlib.ticker import MaxNLocator

    colours = [ALL_COLOUR, PART_COLOUR] if len(panel.series) > 1 else [SPAN_COLOUR]
    for (label, hist), colour in zip(panel.series, colours, strict=False):
        if hist["kind"] == "numeric":
            edges = hist["edges"]
            widths = [b - a for a, b in zip(edges, edges[1:], strict=False)]
            ax.bar(edges[:-1], hist["counts"], widths, align="edge", color=colour, label=label or None, **EDGE)
        else:
            names = list(hist["counts"])
            ax.bar(range(len(names)), list(hist["counts"].values()), 0.8, color=colour, label=label or None, **EDGE)
            ax.set_xticks(range(len(names)), names, rotation=30 if len(names) > 3 else 0, fontsize=7)
    if panel.interval is not None:
        low, high = panel.interval
        ax.axvspan(max(low, ax.get_xlim()[0]), min(high, ax.get_xlim()[1]), color=SPAN_COLOUR, alpha=0.12)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts
    ax.set_title(panel.title, fontsize=8)
    ax.set_xlabel(panel.xlabel, fontsize=7)
    ax.set_ylabel(panel.ylabel, fontsize=7)
    ax.tick_params(labelsize=7)
    if any(label for label, _ in panel.series):
        ax.legend(fontsize=6)

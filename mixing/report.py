"""The mix report: ``report.md`` (tables) and ``report_counts.png`` (bar charts, matplotlib Agg).

Both are deterministic: sorted tables, no time stamps, and the PNG written without matplotlib's
"Software" metadata, so the same mix gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

REPORT_MD = "report.md"
REPORT_PNG = "report_counts.png"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    return lines


def render_markdown(
    classes: list[str],
    before: dict[str, dict[str, int]],
    summary: dict[str, Any],
    drops: dict[str, Any],
    missing: list[str],
    share_by: str,
    target_share: float,
    warnings: list[str],
) -> str:
    """The report's text.

    Args:
        classes: the mix's classes, in order.
        before: source -> class -> instances among the source's candidates (after taxonomy and filters,
            before selection).
        summary: ``selection.summarize`` of the mix.
        drops: ``Drops.as_dict()``.
        missing: "<source>: <rel path>" of image files that were not found.
        warnings: lines shown first (``selection.empty_split_warnings``).
    """
    out = ["# Mix report", ""]
    if warnings:
        out += ["## Warnings", "", *(f"- {w}" for w in warnings), ""]
    out += ["## Instances per class and source, before mixing (after taxonomy and filters)", ""]
    out += _table(["source", *classes], [[src, *(counts.get(c, 0) for c in classes)] for src, counts in before.items()])
    out += ["", "## Instances per class and split, after mixing", ""]
    rows = []
    for split, by_role in summary["instances"].items():
        for role, counts in by_role.items():
            rows.append([split, role, summary["images"][split][role], *(counts[c] for c in classes)])
    out += _table(["split", "role", "images", *classes], rows)
    out += ["", f"## Synthetic share by {share_by} (asked: {target_share:g})", ""]
    out += _table(["split", "achieved"], [[s, f"{v:.4f}"] for s, v in summary["synthetic_share"].items()])
    out += ["", "## Left out", ""]
    rows = [[src, "object", why, n] for src, reasons in drops["objects"].items() for why, n in reasons.items()]
    rows += [[src, "image", why, n] for src, reasons in drops["images"].items() for why, n in reasons.items()]
    out += _table(["source", "what", "reason", "count"], rows) if rows else ["Nothing."]
    if drops["unmapped"]:
        out += ["", "### Unmapped categories (objects dropped)", ""]
        rows = [[src, cat, n] for src, cats in drops["unmapped"].items() for cat, n in cats.items()]
        out += _table(["source", "category", "objects"], rows)
    out += ["", f"## Missing image files ({len(missing)})", ""]
    out += [f"- {m}" for m in missing] if missing else ["None."]
    return "\n".join(out) + "\n"


def plot_counts(path: Path, classes: list[str], before: dict[str, dict[str, int]], summary: dict[str, Any]) -> None:
    """Two grouped bar charts: instances per class per source before mixing, per split after mixing."""
    import matplotlib

    matplotlib.use("Agg")  # no display; also the only backend whose output we need to be byte-stable
    import matplotlib.pyplot as plt
    import numpy as np

    after = {
        s: {c: sum(summary["instances"][s][r][c] for r in summary["instances"][s]) for c in classes}
        for s in summary["instances"]
    }
    # wider with more classes, but bounded (hundreds of classes would make a picture nobody can open)
    fig, axes = plt.subplots(1, 2, figsize=(min(max(8.0, 1.2 * len(classes) * 2), 40.0), 4.5))
    for ax, (title, table) in zip(
        axes, [("before mixing, per source", before), ("after mixing, per split", after)], strict=True
    ):
        x = np.arange(len(classes))
        width = 0.8 / max(1, len(table))
        for i, (name, counts) in enumerate(table.items()):
            ax.bar(x + i * width - 0.4 + width / 2, [counts.get(c, 0) for c in classes], width, label=name)
        ax.set_xticks(x, classes, rotation=30, ha="right")
        ax.set_ylabel("instances")
        ax.set_title(title)
        if table:
            ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)

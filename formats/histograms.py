"""Histograms as plain data (coverage.json, ``formats.coverage``): counts over fixed bins of numbers or
per value of names, each a JSON-ready dict with its ``kind``.

Bin k of ``edges`` holds edges[k] <= v < edges[k + 1], the last bin closed on the right, so a value at the
top of a parameter's range is counted; values outside are counted as ``below`` / ``above``.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from scenes import plain_data

NUMERIC_BINS = 10  # equal bins over a parameter's configured support
MAX_INTEGER_VALUES = 20  # integer values spanning at most this many get a bin each


def number(value: Any) -> float | None:
    """``value`` as a finite float, or None when it is not a number (bools are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def value_key(value: Any) -> str:
    """The key of a categorical value in coverage.json: a name as it is, a number in its shortest form
    with integral numbers written as integers (5 and 5.0 are one value)."""
    if isinstance(value, str):
        return value
    x = number(value)
    if x is None:
        return plain_data.short_repr(value, 40)
    return str(int(x)) if x.is_integer() else repr(x)


def even_edges(low: float, high: float, bins: int = NUMERIC_BINS) -> list[float]:
    """``bins`` equal bins over [low, high] (one bin of width 1 around ``low`` when they coincide)."""
    if not high > low:
        return [low - 0.5, low + 0.5]
    return [low + (high - low) * k / bins for k in range(bins)] + [high]


def nice_edges(values: Sequence[float], integer: bool = False, floor: float = 0.0) -> list[float]:
    """Bins for observed values of a non-negative label field (range, pixel or point counts): from
    ``floor`` (or the least value, if lower) to the largest, about ten bins of a 1-2-5 step; integers
    spanning at most MAX_INTEGER_VALUES get a bin each, centred on the integer."""
    low = min(floor, min(values, default=floor))
    high = max(values, default=low + 1.0)
    if integer and high - low < MAX_INTEGER_VALUES:
        return [low - 0.5 + k for k in range(int(high - low) + 2)]
    step = _nice_step((high - low) / NUMERIC_BINS if high > low else 1.0)
    if integer:
        step = max(step, 1.0)
    first, last = math.floor(low / step), max(math.ceil(high / step), math.floor(low / step) + 1)
    return [k * step for k in range(first, last + 1)]


def _nice_step(raw: float) -> float:
    """The least of 1, 2, 5 times a power of ten that is >= ``raw``."""
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1.0, 2.0, 5.0, 10.0) if m * power >= raw * (1 - 1e-12))


def numeric_histogram(values: Iterable[float], edges: Sequence[float], unit: str = "", source: str = "") -> dict:
    """Counts of ``values`` in the bins ``edges`` (bin k: edges[k] <= v < edges[k + 1], the last bin closed
    on the right); values outside are counted as ``below`` / ``above``."""
    edges = [float(e) for e in edges]
    counts = [0] * (len(edges) - 1)
    below = above = 0
    values = list(values)
    for v in values:
        if v < edges[0]:
            below += 1
        elif v > edges[-1]:
            above += 1
        else:
            counts[min(bisect.bisect_right(edges, v) - 1, len(counts) - 1)] += 1
    out: dict[str, Any] = {"kind": "numeric", "edges": edges, "counts": counts, "below": below, "above": above}
    out.update(total=len(values), min=min(values, default=None), max=max(values, default=None), unit=unit)
    if source:
        out["bins_from"] = source
    return out


def categorical_histogram(values: Iterable[Any], known: Iterable[Any] = (), unit: str = "") -> dict:
    """Counts per value (``value_key``), the ``known`` values listed with 0 when never drawn."""
    counts = Counter(value_key(v) for v in values)
    table = {value_key(k): 0 for k in known}
    table.update(counts)
    return {"kind": "categorical", "counts": table, "total": sum(counts.values()), "unit": unit}

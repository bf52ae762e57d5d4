"""Train/val/test splits by group: every image of a group (a video, a synthetic scene) lands in the same
split, so no sequence leaks from training into evaluation."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np


def _check_ratios(ratios: Mapping[str, float]) -> dict[str, float]:
    if not isinstance(ratios, Mapping) or not ratios:
        raise ValueError(f"split ratios must be a non-empty mapping of split name to ratio, got {ratios!r}")
    checked: dict[str, float] = {}
    for name, ratio in ratios.items():
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not math.isfinite(ratio):
            raise ValueError(f"split ratio of {name!r} must be a finite number, got {ratio!r}")
        if ratio < 0:
            raise ValueError(f"split ratio of {name!r} is negative ({ratio})")
        checked[str(name)] = float(ratio)
    if sum(checked.values()) <= 0:
        raise ValueError(f"split ratios are all zero ({checked}); at least one must be positive")
    return checked


def assign_splits(group_sizes: dict[str, int], ratios: dict[str, float], seed: int) -> dict[str, str]:
    """Split name of every group.

    Args:
        group_sizes: group -> number of images in it (>= 0).
        ratios: split name -> share of the images (normalized to sum 1; 0 = the split gets nothing),
            e.g. {"train": 0.8, "val": 0.1, "test": 0.1}.
        seed: the permutation's seed; the same inputs give the same answer.

    Groups are sorted, permuted by ``np.random.default_rng(seed)``, then each goes whole to the split
    furthest below its target image count (ratio * total images; ties: the first split in ``ratios``).
    So a split ends at most one group's size above its target, and small splits still get groups in
    proportion when groups are small.

    Raises ValueError (one line) for ratios that are not finite numbers, negative, or all zero, and for
    negative or non-integer group sizes.
    """
    targets = _check_ratios(ratios)
    for group, size in group_sizes.items():
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0:
            raise ValueError(f"group {group!r} has size {size!r}; expected an integer >= 0")
    total = sum(int(s) for s in group_sizes.values())
    norm = sum(targets.values())
    names = [name for name, ratio in targets.items() if ratio > 0]
    target = np.array([targets[n] / norm * total for n in names])
    assigned = np.zeros(len(names))
    groups = sorted(group_sizes)
    order = np.random.default_rng(seed).permutation(len(groups))
    result: dict[str, str] = {}
    for k in order:
        group = groups[int(k)]
        best = int(np.argmax(target - assigned))  # argmax takes the first of equal deficits
        assigned[best] += int(group_sizes[group])
        result[group] = names[best]
    return {group: result[group] for group in groups}

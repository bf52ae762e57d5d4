"""Choose which candidate images enter the mix and in which split: pure, no I/O.

Order of operations (each step deterministic given the seed):

1. Real images are visited in a seeded order (groups shuffled, images of a group in source order) and an
   image is skipped if it would push a class over its ``class_caps`` entry (counted in the report).
2. The kept real images' groups are split with ``formats.splits.assign_splits`` (ratios ``splits``,
   ``seed``): a group (a video, a folder) never spans two splits.
3. With ``synthetic_share: 1`` the real images of train (every real image without ``real_only_eval``)
   are set aside; their class counts no longer count against the caps.
4. Synthetic images: with ``real_only_eval`` they all go to train; without it their groups are split like
   the real ones. Per split the target is ``round(share / (1 - share) * real units of the split)`` units
   (images, or instances with ``share_by: instances``), every synthetic image of the split when share is
   1, none when it is 0. Synthetic groups are visited in a seeded order and taken image by image (the last
   group may be partial; it still lies in one split), skipping an image that would exceed a class cap,
   until the target is reached. Images give exactly the target; instances stop at the first image that
   reaches it (overshoot below one image's instances).
5. Not enough synthetic data for a target is a ``MixError`` stating needed vs available: a mix that
   silently holds less synthetic data than asked would make a training comparison lie.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable

import numpy as np

from mixing.config import MixConfig
from mixing.errors import MixError
from mixing.items import CAPPED, REAL_UNUSED, Candidate, Drops, Placed
from scenes.plain_data import short_repr

AssignSplits = Callable[[dict[str, int], dict[str, float], int], dict[str, str]]
REAL_STREAM, SYNTHETIC_STREAM = 0, 1  # spawn keys of the seeded orders: one stream per purpose


def seeded_order(cands: list[Candidate], seed: int, stream: int) -> list[Candidate]:
    """Candidates group by group, the groups in a seeded random order, each group in source order."""
    groups: dict[str, list[Candidate]] = {}
    for c in cands:
        groups.setdefault(c.group, []).append(c)
    names = sorted(groups)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream,)))
    return [c for i in rng.permutation(len(names)) for c in sorted(groups[names[i]], key=lambda c: c.order)]


def target_units(share: float, real_units: int) -> int:
    """Synthetic units that make ``share`` of a split holding ``real_units`` real ones (share < 1)."""
    return math.floor(share / (1.0 - share) * real_units + 0.5)  # half up, not Python's half-to-even


class Caps:
    """Running instance counts against ``class_caps``."""

    def __init__(self, caps: dict[str, int]):
        self.caps = dict(caps)
        self.used: Counter[str] = Counter()

    def fits(self, c: Candidate) -> bool:
        return all(self.used[k] + n <= self.caps[k] for k, n in c.class_counts().items() if k in self.caps)

    def take(self, c: Candidate) -> None:
        self.used.update(c.class_counts())

    def release(self, c: Candidate) -> None:
        self.used.subtract(c.class_counts())


def split_groups(cands: list[Candidate], ratios: dict[str, float], seed: int, assign: AssignSplits) -> dict[str, str]:
    """group -> split for the candidates' groups (sizes in images)."""
    sizes = Counter(c.group for c in cands)
    if not sizes:
        return {}
    split_of = assign(dict(sorted(sizes.items())), dict(ratios), seed)
    missing = sorted(set(sizes) - set(split_of))
    if missing:
        raise MixError(f"splits: assign_splits left group {short_repr(missing[0])} without a split")
    return split_of


def select(
    real: list[Candidate],
    synthetic: list[Candidate],
    cfg: MixConfig,
    drops: Drops,
    assign: AssignSplits | None = None,
) -> list[Placed]:
    """The mix: every chosen image with its split, sorted by split (config order), source, source order.

    Args:
        real, synthetic: the candidates of every source of that role.
        cfg: the validated mix config (synthetic_share, share_by, class_caps, splits, real_only_eval, seed).
        drops: tally to add capped and unused images to.
        assign: the split assignment (default ``formats.splits.assign_splits``).
    """
    if assign is None:
        from formats.splits import assign_splits as assign
    caps = Caps(cfg.class_caps)
    kept_real = []
    for c in seeded_order(real, cfg.seed, REAL_STREAM):
        if caps.fits(c):
            caps.take(c)
            kept_real.append(c)
        else:
            drops.image(c.source, CAPPED)
    real_split = split_groups(kept_real, cfg.splits, cfg.seed, assign)
    placed = [Placed(c, real_split[c.group]) for c in kept_real]
    if cfg.synthetic_share == 1.0:
        kept = []
        for p in placed:
            if cfg.real_only_eval and p.split != "train":
                kept.append(p)
            else:
                caps.release(p.candidate)
                drops.image(p.candidate.source, REAL_UNUSED)
        placed = kept
    if cfg.synthetic_share > 0.0:
        placed += _take_synthetic(synthetic, placed, caps, cfg, drops, assign)
    split_rank = {name: i for i, name in enumerate(cfg.splits)}
    source_rank = {s.name: i for i, s in enumerate(cfg.sources)}
    return sorted(placed, key=lambda p: (split_rank[p.split], source_rank[p.candidate.source], p.candidate.order))


def _take_synthetic(
    synthetic: list[Candidate],
    real_placed: list[Placed],
    caps: Caps,
    cfg: MixConfig,
    drops: Drops,
    assign: AssignSplits,
) -> list[Placed]:
    if cfg.real_only_eval:
        split_of = {c.group: "train" for c in synthetic}
    else:
        split_of = split_groups(synthetic, cfg.splits, cfg.seed, assign)
    # target units per split; None: every synthetic image of the split (synthetic_share 1)
    targets: dict[str, int | None] = {}
    for split in cfg.splits:
        if cfg.real_only_eval and split != "train":
            continue
        real_units = sum(p.candidate.units(cfg.share_by) for p in real_placed if p.split == split)
        if cfg.synthetic_share < 1.0 and real_units == 0 and cfg.splits[split] > 0:
            # a share of nothing is nothing: rather than silently mix no synthetic data, say why
            raise MixError(
                f"synthetic_share: split {split!r} holds no real {cfg.share_by} after filters and class caps, "
                f"so a share of {cfg.synthetic_share} of it is 0 synthetic {cfg.share_by}"
            )
        targets[split] = None if cfg.synthetic_share == 1.0 else target_units(cfg.synthetic_share, real_units)
    taken: Counter[str] = Counter()
    out = []
    for c in seeded_order(synthetic, cfg.seed, SYNTHETIC_STREAM):
        split = split_of[c.group]
        target = targets.get(split, 0)
        if target is not None and taken[split] >= target:
            continue
        if not caps.fits(c):
            drops.image(c.source, CAPPED)
            continue
        caps.take(c)
        taken[split] += c.units(cfg.share_by)
        out.append(Placed(c, split))
    for split, target in targets.items():
        if target is not None and taken[split] < target:
            raise MixError(
                f"synthetic_share: {cfg.synthetic_share} needs {target} synthetic {cfg.share_by} in split "
                f"{short_repr(split)}, only {taken[split]} available after filters and class caps "
                "(lower synthetic_share or add synthetic data)"
            )
    return out


def summarize(placed: list[Placed], cfg: MixConfig) -> dict[str, dict]:
    """Counts of the mix, sorted plain data:

    ``instances[split][role][class]``, ``images[split][role]`` and ``synthetic_share[split]`` (synthetic
    units / all units of the split, by ``share_by``; 0.0 for an empty split)."""
    roles = ("real", "synthetic")
    instances = {s: {r: dict.fromkeys(cfg.taxonomy.classes, 0) for r in roles} for s in cfg.splits}
    images = {s: dict.fromkeys(roles, 0) for s in cfg.splits}
    units = {s: dict.fromkeys(roles, 0) for s in cfg.splits}
    for p in placed:
        c = p.candidate
        images[p.split][c.role] += 1
        units[p.split][c.role] += c.units(cfg.share_by)
        for cls, n in c.class_counts().items():
            instances[p.split][c.role][cls] += n
    share = {
        s: (u["synthetic"] / (u["real"] + u["synthetic"]) if u["real"] + u["synthetic"] else 0.0)
        for s, u in units.items()
    }
    return {"instances": instances, "images": images, "synthetic_share": share}


def empty_split_warnings(placed: list[Placed], cfg: MixConfig) -> list[str]:
    """One warning line per split the config gives a share (ratio > 0) that holds no image: groups go
    whole into one split, so a mix with fewer groups than splits leaves some empty, and a model would
    then be validated (YOLO: on train) or tested on nothing it had not seen."""
    groups = {role: {p.candidate.group for p in placed if p.candidate.role == role} for role in ("real", "synthetic")}
    counts = Counter(p.split for p in placed)
    warnings = []
    for split, ratio in cfg.splits.items():
        if ratio > 0 and counts[split] == 0:
            eligible = "real " if cfg.real_only_eval and split != "train" else ""
            n = len(groups["real"]) if eligible else len(groups["real"] | groups["synthetic"])
            warnings.append(
                f"WARNING: split {split} is empty (asked {ratio:g} of the images): {n} {eligible}group(s) to "
                f"share out and a group never spans two splits; give more groups (group_by) or other splits"
            )
    return warnings

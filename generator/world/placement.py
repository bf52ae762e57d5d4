"""Placement on a ground plane without interpenetration, at every time of a sequence.

Objects stand on a horizontal support (the ground, a sidewalk, a table top), so two objects intersect
only if their footprints do: footprints are oriented rectangles in the world xy plane, tested with the
separating-axis theorem. Moving objects are tested at every keyframe time of the shared time grid
(``generator.world.motion.KEYFRAME_DT_S`` apart), vectorised over time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

STREET_MARGIN_M = 0.2  # the free gap street scenes keep between any two footprints, the ego's included


@dataclass(frozen=True)
class Footprint:
    """An oriented rectangle on the ground: centre (x, y) in world metres, size (length along the
    object's x, width along its y) in metres, yaw in radians about +z."""

    x: float
    y: float
    length: float
    width: float
    yaw: float


@dataclass(frozen=True)
class SweptFootprint:
    """A footprint over time: centres (T, 2) world metres and yaws (T,) radians on the placer's time
    grid, size (length, width) metres."""

    centres: np.ndarray
    yaws: np.ndarray
    length: float
    width: float

    @classmethod
    def still(cls, footprint: Footprint, steps: int) -> SweptFootprint:
        return cls(
            np.tile([footprint.x, footprint.y], (steps, 1)),
            np.full(steps, footprint.yaw),
            footprint.length,
            footprint.width,
        )


def rectangle_corners(centres: np.ndarray, yaws: np.ndarray, length: Any, width: Any) -> np.ndarray:
    """Corners (n, 4, 2), counter-clockwise, of n rectangles with centres (n, 2) and yaws (n,); ``length``
    and ``width`` (m) are one number for all or (n,) arrays, one per rectangle."""
    return _corners(centres, np.cos(yaws), np.sin(yaws), length, width)


def _corners(centres: np.ndarray, c: np.ndarray, s: np.ndarray, length: Any, width: Any) -> np.ndarray:
    """:func:`rectangle_corners` from the yaws' cosines and sines (n,)."""
    signs = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]])
    if np.ndim(length) == 0:
        half = (signs * [length / 2, width / 2])[None]  # (1, 4, 2) local
    else:  # (n, 4, 2): the same products, one size per rectangle
        half = signs[None] * np.stack([np.asarray(length) / 2, np.asarray(width) / 2], axis=-1)[:, None, :]
    x = half[:, :, 0] * c[:, None] - half[:, :, 1] * s[:, None]
    y = half[:, :, 0] * s[:, None] + half[:, :, 1] * c[:, None]
    return np.stack([x, y], axis=-1) + centres[:, None, :]


def swept_overlap(a: SweptFootprint, b: SweptFootprint, margin: float = 0.0) -> bool:
    """True when the two footprints overlap, or come closer than ``margin`` metres along a separating
    axis, at any time of the grid."""
    return overlaps_any(a, [b], margin)


def overlaps_any(a: SweptFootprint, others: list[SweptFootprint], margin: float = 0.0) -> bool:
    """True when ``a`` overlaps any of ``others`` (see :func:`swept_overlap`), all tested at once: the
    (footprint, time) pairs whose bounding circles meet are gathered into one batch of separating-axis
    tests, each computed with exactly the operations of a pairwise test."""
    if not others:
        return False
    centres = np.stack([b.centres for b in others])  # (n, T, 2)
    yaws = np.stack([b.yaws for b in others])  # (n, T)
    lengths = np.array([b.length for b in others], dtype=float)
    widths = np.array([b.width for b in others], dtype=float)
    return _batch_overlap(a, centres, yaws, lengths, widths, margin)


def _batch_overlap(
    a: SweptFootprint, centres: np.ndarray, yaws: np.ndarray, lengths: np.ndarray, widths: np.ndarray, margin: float
) -> bool:
    """:func:`overlaps_any` on stacked footprints: centres (n, T, 2), yaws (n, T), lengths, widths (n,)."""
    radius = 0.5 * (np.hypot(a.length, a.width) + np.hypot(lengths, widths)) + margin  # (n,)
    offset = a.centres[None] - centres
    near = np.hypot(offset[..., 0], offset[..., 1]) <= radius[:, None]  # bounding circles: the cheap common case
    which, when = np.nonzero(near)
    if len(which) == 0:
        return False
    a_yaws, b_yaws = a.yaws[when], yaws[which, when]
    ca, sa, cb, sb = np.cos(a_yaws), np.sin(a_yaws), np.cos(b_yaws), np.sin(b_yaws)
    corners_a = _corners(a.centres[when], ca, sa, a.length, a.width)
    corners_b = _corners(centres[which, when], cb, sb, lengths[which], widths[which])
    # the separating-axis candidates, both rectangles' x and y axes: (m, 4 axes, 2)
    axes = np.stack([np.stack([ca, sa], 1), np.stack([-sa, ca], 1), np.stack([cb, sb], 1), np.stack([-sb, cb], 1)], 1)
    pa = np.einsum("nkd,nad->nak", corners_a, axes)  # (m, 4 axes, 4 corners): one product sum per entry
    pb = np.einsum("nkd,nad->nak", corners_b, axes)
    separated = ((pa.max(2) + margin <= pb.min(2)) | (pb.max(2) + margin <= pa.min(2))).any(axis=1)
    return bool((~separated).any())


def footprints_overlap(a: Footprint, b: Footprint, margin: float = 0.0) -> bool:
    """True when two still footprints overlap (see :func:`swept_overlap`)."""
    return swept_overlap(SweptFootprint.still(a, 1), SweptFootprint.still(b, 1), margin)


@dataclass
class Placer:
    """Keeps the footprints placed so far (over ``steps`` grid times) and accepts a new one only if it
    overlaps none of them at any time."""

    margin: float = 0.1  # minimum free gap between objects, metres
    steps: int = 1  # length of the time grid every swept footprint is sampled on
    placed: list[SweptFootprint] = field(default_factory=list)
    # the placed footprints stacked, grown as they come (rows past len(placed) unused): centres (cap, T, 2),
    # yaws (cap, T), lengths, widths, bounding radii (cap,)
    _stacked: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = field(
        default=None, repr=False, compare=False
    )

    def try_place(self, footprint: SweptFootprint | Footprint) -> bool:
        swept = self._swept(footprint)
        near = self._near(swept)
        if len(near):
            centres, yaws, lengths, widths, _ = self._stacked
            if _batch_overlap(swept, centres[near], yaws[near], lengths[near], widths[near], self.margin):
                return False
        self._add(swept)
        return True

    def reserve(self, footprint: SweptFootprint | Footprint) -> None:
        """Block an area over time (e.g. the ego vehicle's path) without checking it."""
        self._add(self._swept(footprint))

    def _add(self, swept: SweptFootprint) -> None:
        n = len(self.placed)
        if self._stacked is None or len(self._stacked[2]) == n:  # (re)allocate twice the room
            cap, steps = max(16, 2 * n), len(swept.yaws)
            grown = (np.empty((cap, steps, 2)), np.empty((cap, steps)), np.empty(cap), np.empty(cap), np.empty(cap))
            if self._stacked is not None:
                for new, old in zip(grown, self._stacked, strict=True):
                    new[:n] = old[:n]
            self._stacked = grown
        centres, yaws, lengths, widths, radii = self._stacked
        centres[n], yaws[n], lengths[n], widths[n] = swept.centres, swept.yaws, swept.length, swept.width
        radii[n] = 0.5 * np.hypot(swept.length, swept.width)
        self.placed.append(swept)

    def _near(self, swept: SweptFootprint) -> np.ndarray:
        """Indices of the placed footprints whose bounding circles come within reach of ``swept``'s at
        some time: the only ones :func:`swept_overlap` can find overlapping (the same test, vectorised
        over everything placed, so a street with its furniture stays fast)."""
        n = len(self.placed)
        if not n:
            return np.zeros(0, dtype=int)
        centres, radii = self._stacked[0][:n], self._stacked[4][:n]
        reach = radii + 0.5 * np.hypot(swept.length, swept.width) + self.margin
        offset = centres - swept.centres[None]
        distance = np.hypot(offset[..., 0], offset[..., 1])  # (n, T)
        return np.flatnonzero((distance <= reach[:, None]).any(axis=1))

    def _swept(self, footprint: SweptFootprint | Footprint) -> SweptFootprint:
        if isinstance(footprint, Footprint):
            return SweptFootprint.still(footprint, self.steps)
        if len(footprint.yaws) != self.steps:
            raise ValueError(f"swept footprint has {len(footprint.yaws)} steps, the placer's grid {self.steps}")
        return footprint

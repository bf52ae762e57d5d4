"""Placement on a ground plane without interpenetration, at every time of a sequence.

Objects stand on a horizontal support (the ground, a sidewalk, a table top), so two objects intersect
only if their footprints do: footprints are oriented rectangles in the world xy plane, tested with the
separating-axis theorem. Moving objects are tested at every keyframe time of the shared time grid
(``generator.world.motion.KEYFRAME_DT_S`` apart), vectorised over time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


def rectangle_corners(centres: np.ndarray, yaws: np.ndarray, length: float, width: float) -> np.ndarray:
    """Corners (n, 4, 2), counter-clockwise, of n rectangles with centres (n, 2) and yaws (n,)."""
    c, s = np.cos(yaws), np.sin(yaws)
    half = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]]) * [length / 2, width / 2]  # (4, 2) local
    x = half[None, :, 0] * c[:, None] - half[None, :, 1] * s[:, None]
    y = half[None, :, 0] * s[:, None] + half[None, :, 1] * c[:, None]
    return np.stack([x, y], axis=-1) + centres[:, None, :]


def swept_overlap(a: SweptFootprint, b: SweptFootprint, margin: float = 0.0) -> bool:
    """True when the two footprints overlap, or come closer than ``margin`` metres along a separating
    axis, at any time of the grid."""
    radius = 0.5 * (np.hypot(a.length, a.width) + np.hypot(b.length, b.width)) + margin
    near = np.hypot(*(a.centres - b.centres).T) <= radius  # bounding circles: the cheap common case
    if not near.any():
        return False
    corners_a = rectangle_corners(a.centres[near], a.yaws[near], a.length, a.width)
    corners_b = rectangle_corners(b.centres[near], b.yaws[near], b.length, b.width)
    separated = np.zeros(int(near.sum()), dtype=bool)
    for yaw in (a.yaws[near], b.yaws[near]):
        for axis in (np.stack([np.cos(yaw), np.sin(yaw)], 1), np.stack([-np.sin(yaw), np.cos(yaw)], 1)):
            pa = np.einsum("nkd,nd->nk", corners_a, axis)
            pb = np.einsum("nkd,nd->nk", corners_b, axis)
            separated |= (pa.max(1) + margin <= pb.min(1)) | (pb.max(1) + margin <= pa.min(1))
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
    _stacked: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False, compare=False)

    def try_place(self, footprint: SweptFootprint | Footprint) -> bool:
        swept = self._swept(footprint)
        if any(swept_overlap(swept, self.placed[k], self.margin) for k in self._near(swept)):
            return False
        self._add(swept)
        return True

    def reserve(self, footprint: SweptFootprint | Footprint) -> None:
        """Block an area over time (e.g. the ego vehicle's path) without checking it."""
        self._add(self._swept(footprint))

    def _add(self, swept: SweptFootprint) -> None:
        self.placed.append(swept)
        self._stacked = None

    def _near(self, swept: SweptFootprint) -> np.ndarray:
        """Indices of the placed footprints whose bounding circles come within reach of ``swept``'s at
        some time: the only ones :func:`swept_overlap` can find overlapping (the same test, vectorised
        over everything placed, so a street with its furniture stays fast)."""
        if not self.placed:
            return np.zeros(0, dtype=int)
        if self._stacked is None or len(self._stacked[1]) != len(self.placed):
            centres = np.stack([p.centres for p in self.placed])  # (n, T, 2)
            radii = np.array([0.5 * np.hypot(p.length, p.width) for p in self.placed])
            self._stacked = (centres, radii)
        centres, radii = self._stacked
        reach = radii + 0.5 * np.hypot(swept.length, swept.width) + self.margin
        distance = np.hypot(*(centres - swept.centres[None]).transpose(2, 0, 1))  # (n, T)
        return np.flatnonzero((distance <= reach[:, None]).any(axis=1))

    def _swept(self, footprint: SweptFootprint | Footprint) -> SweptFootprint:
        if isinstance(footprint, Footprint):
            return SweptFootprint.still(footprint, self.steps)
        if len(footprint.yaws) != self.steps:
            raise ValueError(f"swept footprint has {len(footprint.yaws)} steps, the placer's grid {self.steps}")
        return footprint

"""Placement on a ground plane without interpenetration.

Objects stand on a horizontal support (the ground, a sidewalk, a table top), so two objects intersect
only if their footprints do: footprints are oriented rectangles in the world xy plane and are tested
with the separating-axis theorem.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Footprint:
    """An oriented rectangle on the ground: centre (x, y) in world metres, size (length along the
    object's x, width along its y) in metres, yaw in radians about +z."""

    x: float
    y: float
    length: float
    width: float
    yaw: float

    def corners(self) -> np.ndarray:
        """(4, 2) corners in world xy, counter-clockwise."""
        c, s = np.cos(self.yaw), np.sin(self.yaw)
        half = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]]) * [self.length / 2, self.width / 2]
        return half @ np.array([[c, s], [-s, c]]) + [self.x, self.y]


def footprints_overlap(a: Footprint, b: Footprint, margin: float = 0.0) -> bool:
    """True when two oriented rectangles overlap or come closer than ``margin`` metres along some
    separating axis (separating-axis theorem on both rectangles' edge normals)."""
    if np.hypot(a.x - b.x, a.y - b.y) > 0.5 * (np.hypot(a.length, a.width) + np.hypot(b.length, b.width)) + margin:
        return False  # bounding circles apart: the cheap common case
    ca, cb = a.corners(), b.corners()
    for yaw in (a.yaw, b.yaw):
        for axis in (np.array([np.cos(yaw), np.sin(yaw)]), np.array([-np.sin(yaw), np.cos(yaw)])):
            pa, pb = ca @ axis, cb @ axis
            if pa.max() + margin <= pb.min() or pb.max() + margin <= pa.min():
                return False
    return True


@dataclass
class Placer:
    """Keeps the footprints placed so far and accepts a new one only if it overlaps none of them."""

    margin: float = 0.1  # minimum free gap between objects, metres
    placed: list[Footprint] = field(default_factory=list)

    def try_place(self, footprint: Footprint) -> bool:
        if any(footprints_overlap(footprint, other, self.margin) for other in self.placed):
            return False
        self.placed.append(footprint)
        return True

    def reserve(self, footprint: Footprint) -> None:
        """Block an area (e.g. around the ego vehicle) without checking it."""
        self.placed.append(footprint)

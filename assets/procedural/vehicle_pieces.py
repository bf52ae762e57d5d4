"""Mesh pieces of the parametric vehicles (``assets.procedural.vehicles``): hexahedra and blocks, revolved
wheel profiles and discs, a lofted body with rounded cross-sections, and the merge of a vehicle's pieces
into one mesh per surface. Metres, the vehicle's ground frame (x forward, y left, z up, z = 0 under the
tyres) until :func:`by_surface` centres the whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from assets.procedural import arrays

Parts = list[tuple[str, arrays.Mesh]]  # bare arrays (trimesh's arithmetic, no Trimesh per piece)


@lru_cache(maxsize=1)
def _hexa_faces() -> np.ndarray:
    """Outward triangles of a hexahedron whose corner ``4 ix + 2 iy + iz`` is its (x, y, z) low/high one."""
    faces = []
    unit = np.array([[ix, iy, iz] for ix in (0, 1) for iy in (0, 1) for iz in (0, 1)], np.float64)
    for axis in range(3):
        for side in (0, 1):
            quad = [i for i in range(8) if unit[i, axis] == side]  # 4 corners, in binary order
            a, b, c, d = quad[0], quad[1], quad[3], quad[2]  # around the face
            outward = np.zeros(3)
            outward[axis] = 1.0 if side else -1.0
            if np.dot(np.cross(unit[b] - unit[a], unit[c] - unit[a]), outward) < 0:
                a, b, c, d = a, d, c, b
            faces += [(a, b, c), (a, c, d)]
    out = np.array(faces, np.int64)
    out.flags.writeable = False
    return out


def hexa(corners: np.ndarray) -> arrays.Mesh:
    """A convex hexahedron from its 8 corners (8, 3), metres, corner ``4 ix + 2 iy + iz`` being its
    rear/front (ix), right/left (iy), bottom/top (iz) one: a box whose faces may lean (a windscreen)."""
    return arrays.Mesh(np.asarray(corners, np.float64), _hexa_faces().copy())


def block(lo: Sequence[float], hi: Sequence[float]) -> arrays.Mesh:
    """An axis-aligned box from corner ``lo`` to ``hi`` (3,), metres."""
    (x0, y0, z0), (x1, y1, z1) = lo, hi
    return hexa(np.array([[x, y, z] for x in (x0, x1) for y in (y0, y1) for z in (z0, z1)]))


def by_surface(parts: Parts) -> Parts:
    """One mesh per surface (the meshes of each concatenated in order), surfaces in order of first appearance,
    laid out on the ground and centred as ``base.centre_parts`` centres parts: each part is a draw call and a
    node in every renderer, and a car has ~35 pieces of 8 surfaces. Concatenated as plain arrays, once per
    surface (``trimesh.util.concatenate`` and copies cost more than building the pieces)."""
    grouped: dict[str, list[arrays.Mesh]] = {}
    for surface, mesh in parts:
        grouped.setdefault(surface, []).append(mesh)
    vertices = {k: np.concatenate([np.asarray(m.vertices) for m in ms]) for k, ms in grouped.items()}
    lo = np.min([v.min(axis=0) for v in vertices.values()], axis=0)
    hi = np.max([v.max(axis=0) for v in vertices.values()], axis=0)
    shift = -(lo + hi) / 2.0
    merged: Parts = []
    for surface, meshes in grouped.items():
        offsets = np.cumsum([0] + [len(m.vertices) for m in meshes[:-1]])
        faces = np.concatenate([np.asarray(m.faces) + o for m, o in zip(meshes, offsets, strict=True)])
        merged.append((surface, arrays.Mesh(vertices[surface] + shift, faces)))
    return merged


def revolve_y(profile: Sequence[Sequence[float]], centre: Sequence[float], sections: int) -> arrays.Mesh:
    """The surface swept by an open (radius, y) ``profile`` (n, 2), metres, about an axis along y through
    ``centre`` (3,): ring k at angle -90 deg + 360 deg k / sections in the x-z plane, so a vertex lies at
    the very bottom (a wheel's contact point, z = centre z - radius exactly). Normals face away from the axis
    for a profile running from -y to +y along the outside."""
    profile = np.asarray(profile, np.float64)
    angles = -np.pi / 2 + 2 * np.pi * np.arange(sections) / sections
    cos, sin = np.cos(angles), np.sin(angles)
    cos[np.abs(cos) < 1e-15] = 0.0  # exact at the bottom and top: -90 deg and 90 deg
    cx, cy, cz = centre
    r, y = profile[:, 0][:, None], profile[:, 1][:, None]
    vertices = np.stack([cx + r * cos, np.broadcast_to(cy + y, r.shape * np.array([1, sections])), cz + r * sin], -1)
    vertices = vertices.reshape(-1, 3)
    n = len(profile)
    j, k = np.meshgrid(np.arange(n - 1), np.arange(sections), indexing="ij")
    a, b = j * sections + k, j * sections + (k + 1) % sections
    c, d = a + sections, b + sections
    faces = np.concatenate([np.stack([a, c, b], -1).reshape(-1, 3), np.stack([b, c, d], -1).reshape(-1, 3)])
    return arrays.Mesh(vertices, faces)


def disc_y(radius: float, centre: Sequence[float], sections: int, facing: float) -> arrays.Mesh:
    """A flat disc of ``radius`` (m) in the x-z plane at ``centre`` (3,), facing +y (``facing`` 1) or -y (-1)."""
    angles = -np.pi / 2 + 2 * np.pi * np.arange(sections) / sections
    cx, cy, cz = centre
    ring = np.stack([cx + radius * np.cos(angles), np.full(sections, cy), cz + radius * np.sin(angles)], -1)
    vertices = np.vstack([[cx, cy, cz], ring])
    k = np.arange(sections)
    faces = np.stack([np.zeros(sections, np.int64), 1 + k, 1 + (k + 1) % sections], -1)
    if facing > 0:
        faces = faces[:, ::-1]
    return arrays.Mesh(vertices, np.ascontiguousarray(faces))


def wheel_parts(x: float, side: float, y_outer: float, radius: float, width: float, sections: int) -> Parts:
    """A tyre on its rim, the axle along y at (x, z = radius), its outer sidewall at ``side * y_outer`` (m):
    the tyre a revolved profile with rounded shoulders (its inside open, closed by the rim), the rim a
    cylinder recessed 15 mm into the tyre with flat faces."""
    shoulder = min(0.035, 0.2 * width)
    rim_r = 0.62 * radius  # a 17 inch rim in a 670 mm tyre: 216 / 334 mm
    y0, y1 = side * y_outer - side * width, side * y_outer  # inner and outer sidewall
    lo, hi = min(y0, y1), max(y0, y1)
    profile = [(rim_r, lo), (radius - shoulder, lo), (radius, lo + shoulder), (radius, hi - shoulder),
               (radius - shoulder, hi), (rim_r, hi)]  # fmt: skip
    centre = (x, 0.0, radius)
    tyre = revolve_y(profile, centre, sections)
    recess = 0.015
    rim = arrays.concatenate(
        [
            revolve_y([(rim_r, lo + recess), (rim_r, hi - recess)], centre, sections),
            disc_y(rim_r, (x, hi - recess, radius), sections, 1.0),
            disc_y(rim_r, (x, lo + recess, radius), sections, -1.0),
        ]
    )
    return [("tyre", tyre), ("rim", rim)]


def _corner_angles() -> tuple[np.ndarray, np.ndarray]:
    """Cosines and sines (4 corners, 3 points) of the loft's rounded corners, each from its own scalar
    ``np.cos`` / ``np.sin`` call (the values the builders have always used, whatever numpy's array loops give)."""
    quarter = np.linspace(0.0, np.pi / 2, 3)
    arcs = (-np.pi / 2 - quarter, np.pi - quarter, np.pi / 2 - quarter, -quarter)
    return (np.array([[np.cos(a) for a in arc] for arc in arcs]), np.array([[np.sin(a) for a in arc] for arc in arcs]))


_CORNER_COS, _CORNER_SIN = _corner_angles()


def loft(xs: np.ndarray, bottoms: np.ndarray, tops: np.ndarray, half_widths: np.ndarray, round_top: float,
         round_bottom: float) -> arrays.Mesh:  # fmt: skip
    """A closed body lofted along x through stations ``xs`` (n,), each a cross-section in the y-z plane from
    z = ``bottoms`` to ``tops`` and y = -``half_widths`` to +``half_widths`` (metres), its upper corners
    rounded with radius ``round_top`` and lower ones with ``round_bottom`` (each at most 45 % of the
    section's height and width), three points per corner; the end sections capped flat."""
    xs, bottoms, tops, w = (np.asarray(v, dtype=np.float64) for v in (xs, bottoms, tops, half_widths))
    if not len(xs) == len(bottoms) == len(tops) == len(w):
        raise ValueError("loft: xs, bottoms, tops and half_widths differ in length")
    h = tops - bottoms
    rt = np.minimum(np.minimum(round_top, 0.45 * h), 0.45 * w)  # min(round_top, 0.45 h, 0.45 w) per station
    rb = np.minimum(np.minimum(round_bottom, 0.45 * h), 0.45 * w)
    # corners clockwise seen from +x (y right, z up): bottom right (-y), top right, top left, bottom left:
    # centres (stations, 4) and radii, each corner's three points at the angles of _CORNER_COS / _CORNER_SIN
    centre_y = np.stack([-w + rb, -w + rt, w - rt, w - rb], axis=1)
    centre_z = np.stack([bottoms + rb, tops - rt, tops - rt, bottoms + rb], axis=1)
    radius = np.stack([rb, rt, rt, rb], axis=1)[:, :, None]
    ring_y = (centre_y[:, :, None] + radius * _CORNER_COS).reshape(len(xs), -1)
    ring_z = (centre_z[:, :, None] + radius * _CORNER_SIN).reshape(len(xs), -1)
    rings = np.stack([np.repeat(xs[:, None], ring_y.shape[1], axis=1), ring_y, ring_z], axis=-1)  # (n, m, 3)
    n, m = rings.shape[:2]
    j, k = np.meshgrid(np.arange(n - 1), np.arange(m), indexing="ij")
    a, b = j * m + k, j * m + (k + 1) % m
    c, d = a + m, b + m
    faces = [np.stack([a, d, b], -1).reshape(-1, 3), np.stack([a, c, d], -1).reshape(-1, 3)]
    vertices = [rings.reshape(-1, 3)]
    for end, first in ((0, True), (n - 1, False)):  # flat caps: a fan from the section's centre
        centre = len(rings) * m + (0 if first else 1)
        ring = end * m + np.arange(m)
        fan = np.stack([np.full(m, centre), ring, np.roll(ring, -1)], -1)
        faces.append(fan if first else fan[:, ::-1])
    vertices.append(np.array([rings[0].mean(axis=0), rings[-1].mean(axis=0)]))
    return arrays.Mesh(np.concatenate(vertices), np.concatenate(faces))

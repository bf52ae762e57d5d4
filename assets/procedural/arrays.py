"""A bare triangle mesh of numpy arrays for the procedural builders (issue 17): vertices (n, 3) float64,
metres, and faces (m, 3) int64, with the few operations the builders use.

The builders used to make a ``trimesh.Trimesh`` per part (~2,000 per street scene), and the Trimesh
constructor, its tracked arrays, copies and cache bookkeeping cost more than the geometry. ``Mesh`` keeps
trimesh's method names (``apply_translation``, ``apply_transform``, ``apply_scale``, ``copy``, ``bounds``,
``extents``) and reproduces its arithmetic operation for operation (homogeneous ``np.dot`` through
``trimesh.transformations.transform_points``, the identity short cuts, winding flips on a negative
determinant), so every mesh is bit for bit the one trimesh built; a Trimesh is made once per finished mesh
(:func:`to_trimesh`) where callers need one.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from assets._trimesh import trimesh

_IDENTITY4 = np.eye(4)
_IDENTITY3 = np.eye(3)


def _near_identity(matrix: np.ndarray, identity: np.ndarray, atol: float) -> bool:
    # trimesh.util.allclose: the spread (not the magnitude) of the difference, exactly as trimesh tests it
    return bool(float(np.ptp(matrix - identity)) < atol)


def transform_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """``trimesh.transformations.transform_points(points, matrix)`` for (n, 3) points, same arithmetic."""
    if len(points) == 0:
        return points.copy()
    if np.abs(matrix - _IDENTITY4).max() < 1e-8:
        return np.ascontiguousarray(points.copy())
    stack = np.column_stack((points, np.ones(len(points))))
    return np.dot(matrix, stack.T).T[:, :3]


class Mesh:
    """Vertices (n, 3) float64 (metres) and faces (m, 3) int64 of a triangle mesh, no cache, no processing.

    The ``apply_*`` methods modify the mesh in place and return it, as trimesh's do."""

    __slots__ = ("faces", "vertices")

    def __init__(self, vertices: Any, faces: Any) -> None:
        self.vertices = np.asarray(vertices, dtype=np.float64)
        self.faces = np.asarray(faces, dtype=np.int64)

    @property
    def bounds(self) -> np.ndarray:
        """(2, 3) lowest and highest corner of the axis-aligned bounding box of the vertices the faces use
        (as trimesh's: a vertex no face references does not count), metres."""
        vertices = self.vertices
        used = np.zeros(len(vertices), dtype=bool)
        used[self.faces.ravel()] = True
        if not used.all():
            vertices = vertices[used]
        return np.array([vertices.min(axis=0), vertices.max(axis=0)])

    @property
    def face_normals(self) -> np.ndarray:
        """(faces, 3) unit outward normals (``Trimesh.face_normals``' arithmetic: :func:`triangle_normals`)."""
        return triangle_normals(self.vertices[self.faces])

    @property
    def extents(self) -> np.ndarray:
        """(3,) edge lengths of the axis-aligned bounding box, metres."""
        return np.ptp(self.bounds, axis=0)

    def copy(self) -> Mesh:
        return Mesh(self.vertices.copy(), self.faces.copy())

    def apply_transform(self, matrix: Any) -> Mesh:
        """``Trimesh.apply_transform``: a homogeneous (4, 4) transform of the vertices, faces reversed when it
        mirrors (negative determinant of a matrix with rotation)."""
        matrix = np.asarray(matrix, order="C", dtype=np.float64)
        if _near_identity(matrix, _IDENTITY4, 1e-8):
            return self
        new_vertices = transform_points(self.vertices, matrix)
        has_rotation = not _near_identity(matrix[:3, :3], _IDENTITY3, 1e-6)
        if has_rotation and bool(np.linalg.det(matrix[:3, :3]) < 0.0):
            self.faces = np.ascontiguousarray(np.fliplr(self.faces))
        self.vertices = new_vertices
        return self

    def apply_translation(self, translation: Any) -> Mesh:
        """``Trimesh.apply_translation`` (through the same 4x4 transform, so the same rounding)."""
        matrix = np.eye(4)
        matrix[:3, 3] = np.asarray(translation, dtype=np.float64)
        return self.apply_transform(matrix)

    def apply_scale(self, scaling: Any) -> Mesh:
        """``Trimesh.apply_scale``."""
        return self.apply_transform(trimesh.transformations.scale_and_translate(scale=scaling))


def triangle_normals(triangles: np.ndarray) -> np.ndarray:
    """Unit normals (faces, 3) of ``triangles`` (faces, 3, 3) as ``Trimesh.face_normals`` computes them when
    nothing set them: the cross product of two edges, unitized, zero for a degenerate face."""
    if len(triangles) == 0:
        return np.zeros((0, 3), dtype=np.float64)
    unit, valid = trimesh.triangles.normals(crosses=trimesh.triangles.cross(triangles))
    if valid.all():
        return unit
    padded = np.zeros((len(triangles), 3), dtype=np.float64)
    padded[valid] = unit
    return padded


def concatenate(meshes: Sequence[Mesh]) -> Mesh:
    """``trimesh.util.concatenate``: vertices stacked in order, each mesh's faces offset by the vertices before
    it; nothing merged."""
    meshes = list(meshes)
    if len(meshes) == 1:
        return meshes[0].copy()
    offsets = np.cumsum([0] + [len(m.vertices) for m in meshes[:-1]])
    return Mesh(
        np.concatenate([m.vertices for m in meshes]),
        np.concatenate([m.faces + o for m, o in zip(meshes, offsets, strict=True)]),
    )


def from_trimesh(mesh: trimesh.Trimesh) -> Mesh:
    """The arrays of a trimesh (copied) as a :class:`Mesh`."""
    return Mesh(np.array(mesh.vertices, dtype=np.float64), np.array(mesh.faces, dtype=np.int64))


def to_trimesh(mesh: Mesh | trimesh.Trimesh) -> trimesh.Trimesh:
    """A ``trimesh.Trimesh`` of the arrays, unprocessed (a trimesh is returned as it is)."""
    if isinstance(mesh, trimesh.Trimesh):
        return mesh
    return trimesh.Trimesh(vertices=mesh.vertices, faces=mesh.faces, process=False)


def moved_part(mesh: trimesh.Trimesh | Mesh, translation: Any, scale: float = 1.0) -> trimesh.Trimesh | Mesh:
    """``mesh.copy()`` then ``apply_translation(translation)`` (metres) and, unless ``scale`` is 1,
    ``apply_scale(scale)``: the same vertices, bit for bit, as bare arrays, since a Trimesh copy (visual, cache
    and hash bookkeeping) costs more than the move. A trimesh with colours is copied and moved by trimesh, to
    carry them along. A copy's cache starts empty, so normals come from the moved vertices either way."""
    if isinstance(mesh, trimesh.Trimesh):
        if mesh.visual.defined:
            copied = mesh.copy()
            copied.apply_translation(translation)
            if scale != 1.0:
                copied.apply_scale(scale)
            return copied
        moved = from_trimesh(mesh)  # copies the arrays
    else:
        moved = mesh.copy()
    moved.apply_translation(translation)
    return moved.apply_scale(scale) if scale != 1.0 else moved


def moved_copy(mesh: trimesh.Trimesh | Mesh, translation: Any, scale: float = 1.0) -> trimesh.Trimesh:
    """:func:`moved_part` as a trimesh (one unprocessed Trimesh made from the moved arrays)."""
    return to_trimesh(moved_part(mesh, translation, scale))


# --- primitives: trimesh.creation's, on arrays ----------------------------------------------------------------
# Each returns the vertices and faces trimesh.creation's function of the same name gives, bit for bit, without
# the Trimesh (its constructor, merge and cache bookkeeping cost ~10x the geometry of a small primitive).
# tests/test_mesh_arrays.py compares them against trimesh.creation over random parameters.


@lru_cache(maxsize=1)
def _unit_box() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """trimesh's reference box: vertices in [0, 1]^3, faces, face normals (read-only)."""
    reference = trimesh.creation.box(bounds=np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]))
    arrays = (np.array(reference.vertices), np.array(reference.faces), np.array(reference.face_normals))
    for array in arrays:
        array.flags.writeable = False
    return arrays


def box(bounds: Any) -> Mesh:
    """``trimesh.creation.box(bounds=bounds)``: the box spanning corners ``bounds`` (2, 3), metres."""
    bounds = np.array(bounds, dtype=np.float64)
    unit_vertices, unit_faces, _ = _unit_box()
    vertices = unit_vertices.copy()
    vertices *= np.ptp(bounds, axis=0)
    vertices += bounds[0]
    return Mesh(vertices, unit_faces.copy())


def box_normals() -> np.ndarray:
    """The face normals (12, 3) ``trimesh.creation.box`` gives its box (any bounds: faces stay axis-aligned)."""
    return _unit_box()[2]


def merge_vertices(vertices: np.ndarray, faces: np.ndarray) -> Mesh:
    """What ``trimesh.Trimesh(vertices, faces)`` (``process=True``) keeps: vertices equal to ``tol.merge``
    digits merged into their first occurrence, in order, unreferenced ones dropped, faces re-indexed. Through
    trimesh's own ``grouping.unique_rows``, so the same groups."""
    if not np.isfinite(vertices).all():
        raise ValueError("merge_vertices: vertices must be finite")  # trimesh would drop them; ours never have any
    digits = trimesh.util.decimal_to_digits(trimesh.tol.merge)
    referenced = np.zeros(len(vertices), dtype=bool)
    referenced[faces] = True
    stacked = (vertices * (10**digits)).round().astype(np.int64)
    unique, inverse_referenced = trimesh.grouping.unique_rows(stacked[referenced], keep_order=True)
    inverse = np.zeros(len(vertices), dtype=np.int64)
    inverse[referenced] = inverse_referenced
    mask = np.nonzero(referenced)[0][unique]
    return Mesh(vertices[mask], inverse[faces.reshape(-1)].reshape((-1, 3)))


def revolve(linestring: Any, sections: int, transform: Any | None = None) -> Mesh:
    """``trimesh.creation.revolve(linestring, sections=sections, transform=transform)``: a closed surface of
    revolution about +z of the (radius, z) ``linestring`` (n, 2), metres, then ``transform`` (4, 4) applied as
    trimesh applies it (before merging; winding kept outward on a mirror)."""
    linestring = np.asanyarray(linestring, dtype=np.float64)
    theta = np.linspace(0, np.pi * 2.0, sections + 1)
    points = np.column_stack((np.cos(theta), np.sin(theta)))
    per = len(linestring)
    radius, height = linestring[:, 0], linestring[:, 1]
    vertices = np.column_stack(
        (
            np.tile(points, (1, per)).reshape((-1, 2)) * np.tile(radius, len(points)).reshape((-1, 1)),
            np.tile(height, len(points)),
        )
    )[:-per]  # the last slice repeats the first
    slices = len(theta) - 1
    single = np.tile(np.array([0, per, 1, 1, per, per + 1]), per - 1).reshape((-1, 3))
    single += np.tile(np.arange(per - 1), (2, 1)).T.reshape((-1, 1))
    single = single[trimesh.triangles.area(vertices[single]) > trimesh.tol.merge]  # no zero-area triangle
    offset = np.tile(np.arange(slices) * per, (len(single), 1)).T.reshape((-1, 1))
    faces = (np.tile(single.ravel(), slices).reshape((-1, 3)) + offset) % len(vertices)
    if transform is not None:
        transform = np.asarray(transform, dtype=np.float64)
        vertices = trimesh.transformations.transform_points(vertices, transform)
        if trimesh.transformations.flips_winding(transform):
            faces = np.ascontiguousarray(np.fliplr(faces))
    return merge_vertices(vertices, faces)


def capsule(height: float, radius: float, count: Sequence[int]) -> Mesh:
    """``trimesh.creation.capsule(height, radius, count)``: hemispheres of ``radius`` (m) centred at z = -height/2
    and +height/2, ``count`` = (latitude, longitude) sections (rounded up to even)."""
    count = np.array(count, dtype=np.int64)
    count += np.mod(count, 2)
    height, radius = abs(float(height)), abs(float(radius))
    theta = np.concatenate(
        (np.linspace(-np.pi / 2.0, 0.0, count[0] // 2 + 1), np.linspace(0.0, np.pi / 2.0, count[0] // 2 + 1))
    )
    linestring = np.column_stack((np.cos(theta), np.sin(theta))) * radius
    half = len(linestring) // 2
    linestring[:half][:, 1] -= height / 2.0
    linestring[half:][:, 1] += height / 2.0
    return revolve(linestring, int(count[1]))


def annulus(r_min: float, r_max: float, height: float, sections: int, transform: Any | None = None) -> Mesh:
    """``trimesh.creation.annulus(r_min, r_max, height, sections, transform)`` for ``r_min`` above
    ``tol.merge``: a tube about z from radius ``r_min`` to ``r_max`` (m), ``height`` (m) long, centred, then
    ``transform`` (4, 4) applied (:func:`revolve`)."""
    r_min, r_max = abs(float(r_min)), abs(float(r_max))
    if r_min < trimesh.tol.merge:
        raise ValueError(f"annulus: r_min {r_min} is a cylinder")
    half = abs(float(height)) / 2.0
    return revolve([[r_min, -half], [r_max, -half], [r_max, half], [r_min, half], [r_min, -half]], sections, transform)

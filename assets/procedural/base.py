"""Shared pieces of the procedural builders: the registry record, centring, and placed primitives.

Every part helper returns a mesh already placed in the object frame of DESIGN.md (metres, x forward,
y left, z up): bare arrays (``arrays.Mesh``, trimesh's arithmetic without a Trimesh per part), made into one
trimesh per finished mesh by :func:`assemble` and :func:`centre_parts`. Builders place parts relative to
the ground (z = 0 at the object's bottom), which is the natural way to reason about wheels and legs, then
call :func:`assemble` to concatenate and centre them.
Tessellation is kept low (16-24 sections) because a frame holds ~30 objects on a CPU rasterizer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from assets._trimesh import trimesh
from assets.procedural import arrays
from assets.procedural.arrays import from_trimesh, moved_copy, to_trimesh

Part = trimesh.Trimesh | arrays.Mesh  # a part's mesh: builders make bare arrays, callers get trimeshes

# Circle tessellation for the primitives: enough to read as round at typical camera distances.
SECTIONS = 16


@dataclass(frozen=True)
class ProceduralAsset:
    """A named asset: ``build(**params)`` makes the mesh, ``sample(rng)`` draws its parameters.

    ``build_parts(**params)``, where an asset is made of several surfaces (a car's paint, glass, tyres),
    gives its parts as ``[(surface, mesh), ...]``: each mesh (a :data:`Part`: bare arrays, or a trimesh where
    it has colours) in the same object frame as ``build``'s
    (already centred the same way), ``surface`` a name of ``assets.surfaces.SURFACES`` (``"body"``: the
    entity's own material). ``build`` is then the parts' concatenation in that order
    (:func:`assemble_parts`), so the whole mesh, its box and every label stay those of the parts."""

    name: str
    category: str
    build: Callable[..., trimesh.Trimesh]
    sample: Callable[[np.random.Generator], dict[str, Any]]
    build_parts: Callable[..., list[tuple[str, Part]]] | None = None


def centred(mesh: Part) -> trimesh.Trimesh:
    """Translate a mesh so its axis-aligned bounding box is centred on the origin (a new trimesh)."""
    return moved_copy(mesh, -mesh.bounds.mean(axis=0))


def _coloured(mesh: Part) -> bool:
    return isinstance(mesh, trimesh.Trimesh) and mesh.visual.defined


def concatenated(parts: Sequence[Part]) -> Part:
    """``trimesh.util.concatenate(parts)`` (the same vertices and faces): as bare arrays unless a part has
    colours to carry along, then trimesh's."""
    parts = list(parts)
    if any(_coloured(mesh) for mesh in parts):
        return trimesh.util.concatenate([to_trimesh(mesh) for mesh in parts])
    return arrays.concatenate([_arrays(mesh) for mesh in parts])


def _arrays(mesh: Part) -> arrays.Mesh:
    return mesh if isinstance(mesh, arrays.Mesh) else from_trimesh(mesh)


def assemble(parts: Sequence[Part]) -> trimesh.Trimesh:
    """Concatenate parts into one mesh and centre it on its bounding-box centre (object frame)."""
    return centred(concatenated(parts))


def centre_parts(parts: Sequence[tuple[str, Part]]) -> list[tuple[str, Part]]:
    """Surface parts laid out on the ground (z = 0 at the bottom), moved together so the whole is centred
    on its bounding-box centre (object frame), as :func:`assemble` centres one mesh. The moved parts are bare
    arrays (a part with colours stays a trimesh): their users make one trimesh each at the end
    (``assets.articulated``) or concatenate them (:func:`assemble_parts`)."""
    lo = np.min([mesh.bounds[0] for _, mesh in parts], axis=0)
    hi = np.max([mesh.bounds[1] for _, mesh in parts], axis=0)
    shift = -(lo + hi) / 2.0
    return [
        (surface, moved_copy(mesh, shift) if _coloured(mesh) else _arrays(mesh).copy().apply_translation(shift))
        for surface, mesh in parts
    ]


def assemble_parts(parts: Sequence[tuple[str, Part]]) -> trimesh.Trimesh:
    """The whole mesh of centred surface parts (:func:`centre_parts`): their concatenation, in order."""
    return to_trimesh(concatenated([mesh for _, mesh in parts]))


def uniform(rng: np.random.Generator, low: float, high: float) -> float:
    """One draw from U(low, high) as a plain Python float (samplers must return JSON-able values)."""
    return float(rng.uniform(low, high))


def box_between(lo: Sequence[float], hi: Sequence[float]) -> arrays.Mesh:
    """An axis-aligned box spanning corners ``lo`` and ``hi`` (3,), metres, object frame
    (``trimesh.creation.box``'s)."""
    return arrays.box(np.array([lo, hi], dtype=np.float64))


@lru_cache(maxsize=16)
def _unit_cylinder(sections: int) -> tuple[np.ndarray, np.ndarray]:
    """Vertices and faces of a capped cylinder of radius 1 along z from -0.5 to 0.5 (read-only)."""
    mesh = trimesh.creation.cylinder(radius=1.0, height=1.0, sections=sections)
    vertices, faces = mesh.vertices.copy(), mesh.faces.copy()
    vertices.flags.writeable = faces.flags.writeable = False
    return vertices, faces


def _placed(vertices: np.ndarray, faces: np.ndarray, scale: np.ndarray, transform: np.ndarray) -> arrays.Mesh:
    # Scaling and placing a cached unit primitive is ~10x faster than tessellating anew, and scenes
    # build dozens of wheels and limbs each.
    placed = (vertices * scale) @ transform[:3, :3].T + transform[:3, 3]
    return arrays.Mesh(placed, faces.copy())


def rod(p0: Sequence[float], p1: Sequence[float], radius: float, sections: int = SECTIONS) -> arrays.Mesh:
    """A capped cylinder of ``radius`` (m) whose axis runs from point ``p0`` to ``p1`` (3,), metres."""
    p0, p1 = np.asarray(p0, dtype=np.float64), np.asarray(p1, dtype=np.float64)
    length = float(np.linalg.norm(p1 - p0))
    transform = trimesh.geometry.align_vectors([0.0, 0.0, 1.0], (p1 - p0) / length)
    transform[:3, 3] = (p0 + p1) / 2
    vertices, faces = _unit_cylinder(sections)
    return _placed(vertices, faces, np.array([radius, radius, length]), transform)


def limb(p0: Sequence[float], p1: Sequence[float], radius: float) -> arrays.Mesh:
    """A capsule (rounded rod) of ``radius`` (m) between joint centres ``p0`` and ``p1`` (3,), metres.

    Rounded ends let limbs meet at joints without visible gaps whatever their angle.
    """
    p0, p1 = np.asarray(p0, dtype=np.float64), np.asarray(p1, dtype=np.float64)
    length = float(np.linalg.norm(p1 - p0))
    mesh = arrays.capsule(length, radius, [8, 8])
    # trimesh versions disagree on where the capsule starts (origin vs centred), so centre it ourselves,
    # then rotate its +z axis onto the limb and move it to the limb's midpoint.
    mesh.apply_translation(-mesh.bounds.mean(axis=0))
    transform = np.eye(4)
    if length > 0:
        transform = trimesh.geometry.align_vectors([0.0, 0.0, 1.0], (p1 - p0) / length)
    transform[:3, 3] = (p0 + p1) / 2
    mesh.apply_transform(transform)
    return mesh


@lru_cache(maxsize=1)
def _unit_capsule() -> tuple[np.ndarray, np.ndarray]:
    """A capsule of radius 1 whose hemispheres' centres are at z = -1 and z = +1 (read-only arrays)."""
    mesh = trimesh.creation.capsule(height=2.0, radius=1.0, count=[8, 8])
    mesh.apply_translation(-mesh.bounds.mean(axis=0))
    vertices, faces = mesh.vertices.copy(), mesh.faces.copy()
    vertices.flags.writeable = faces.flags.writeable = False
    return vertices, faces


def capsule_down(length: float, radius: float) -> arrays.Mesh:
    """A capsule of ``radius`` (m) from the origin down to (0, 0, -``length``): a body segment in its
    joint's frame. The cached unit capsule's hemispheres are scaled by the radius and moved to the two
    ends (~20x faster than tessellating a new one; a body has 14 of them)."""
    vertices, faces = _unit_capsule()
    placed = vertices * radius
    # every vertex belongs to one hemisphere (z > 0: the top one, centred at z = +1 before scaling)
    placed[:, 2] = np.where(
        vertices[:, 2] > 0, radius * (vertices[:, 2] - 1.0), radius * (vertices[:, 2] + 1.0) - length
    )
    return arrays.Mesh(placed, faces.copy())


def sphere(centre: Sequence[float], radius: float) -> arrays.Mesh:
    """A low-poly sphere (320 triangles) of ``radius`` (m) at ``centre`` (3,), metres."""
    vertices, faces = _unit_sphere()
    transform = np.eye(4)
    transform[:3, 3] = centre
    return _placed(vertices, faces, np.full(3, radius), transform)


@lru_cache(maxsize=1)
def _unit_sphere() -> tuple[np.ndarray, np.ndarray]:
    mesh = trimesh.creation.icosphere(subdivisions=2, radius=1.0)
    vertices, faces = mesh.vertices.copy(), mesh.faces.copy()
    vertices.flags.writeable = faces.flags.writeable = False
    return vertices, faces


def wheel(centre: Sequence[float], radius: float, thickness: float, sections: int = 20) -> arrays.Mesh:
    """A solid wheel: cylinder of ``radius`` (m) with its axle along y, ``thickness`` (m) wide, at ``centre``."""
    c = np.asarray(centre, dtype=np.float64)
    half = np.array([0.0, thickness / 2.0, 0.0])
    return rod(c - half, c + half, radius, sections)


def revolved(profile: Sequence[Sequence[float]], sections: int = 24) -> arrays.Mesh:
    """A surface of revolution about +z from a (radius, z) profile (n, 2), metres
    (``trimesh.creation.revolve``'s).

    The profile is traversed counter-clockwise in the (radius, z) plane so normals face outwards;
    start and end it on the axis (radius 0) to close the surface.
    """
    return arrays.revolve(np.asarray(profile, dtype=np.float64), sections)


def prism_x(profile_yz: Sequence[Sequence[float]], length: float) -> trimesh.Trimesh:
    """A convex prism: the convex (y, z) cross-section ``profile_yz`` (n, 2), metres, extruded along x
    over ``length`` (m), centred on x = 0."""
    yz = np.asarray(profile_yz, dtype=np.float64)
    half = length / 2.0
    points = np.vstack(
        [
            np.column_stack([np.full(len(yz), -half), yz]),
            np.column_stack([np.full(len(yz), half), yz]),
        ]
    )
    # The hull of the two end caps is the prism itself, with consistent outward winding for free.
    return trimesh.convex.convex_hull(points)

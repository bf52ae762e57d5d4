"""User mesh files (OBJ, GLB/GLTF, PLY, STL) read into a trimesh in the object frame.

Files are bounded: one larger than :func:`mesh_limits` ``max_file_mb`` is refused by its size on disk
before a byte is read (trimesh reads a file whole: a 3 GB sparse OBJ ran out of memory), and a mesh with
more than ``max_triangles`` triangles is refused after reading (2M triangles took 3.3 GB and 26 s for 2
frames). The run sets both from its config keys ``max_mesh_file_mb`` and ``max_mesh_triangles``
(:func:`set_mesh_limits`, in every process that reads meshes).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from assets._trimesh import trimesh
from assets.errors import AssetError, one_line
from assets.procedural import centred

SUPPORTED_SUFFIXES: tuple[str, ...] = (".obj", ".glb", ".gltf", ".ply", ".stl")
UP_AXES: tuple[str, ...] = ("z", "y")


@dataclass(frozen=True)
class MeshLimits:
    """Bounds on a user mesh file: its size on disk in MB (2**20 bytes) and its triangle count."""

    max_file_mb: float = 256.0  # a 1M-triangle mesh is ~20 MB as binary PLY, ~60 MB as OBJ text
    max_triangles: int = 1_000_000  # renders at a few frames per second on llvmpipe


_limits = MeshLimits()


def mesh_limits() -> MeshLimits:
    """The limits :func:`load_mesh_file` applies in this process."""
    return _limits


def set_mesh_limits(limits: MeshLimits) -> None:
    """Set the limits of this process (a run's config; worker processes set their own). A mesh already
    read and cached stays available whatever the new limits."""
    global _limits
    _limits = limits


def check_file_size(path: str) -> None:
    """Refuse (AssetError), by ``stat`` and before reading, a file over the size limit (sparse files
    included: their size is what a reader would have to hold)."""
    limit = _limits.max_file_mb
    size = os.stat(path).st_size
    if size > limit * 2**20:
        raise AssetError(
            f"mesh file {path} is {size / 2**20:.1f} MB, over the limit of {limit:g} MB "
            "(raise it with max_mesh_file_mb=...)"
        )


def _no_triangles_reason(path: str) -> str:
    """Why a file loaded as an empty mesh: trimesh drops every face touching a NaN or infinite vertex
    while processing, so a file of such vertices reads as empty; the raw data names the real fault."""
    try:
        raw = trimesh.load(path, force="mesh", process=False)
        vertices = np.asarray(raw.vertices, dtype=np.float64)
    except Exception:  # noqa: BLE001 - only a diagnosis: the empty mesh is the error either way
        return "contains no triangles"
    bad = np.flatnonzero(~np.isfinite(vertices).all(axis=1)) if vertices.ndim == 2 else np.array([])
    if len(bad):
        count = f"{len(bad)} of {len(vertices)} vertices, the first #{bad[0]}"
        return f"has non-finite vertex coordinates (NaN or infinite) in {count}"
    return "contains no triangles"


def load_mesh_file(path: str | None, up_axis: str = "z") -> trimesh.Trimesh:
    """Read a user mesh file into the object frame: z up, centred on its bounding-box centre.

    The file's units are taken as metres and its x axis is kept as the forward axis. A y-up file
    (glTF's convention, and most DCC exports) is turned z-up by +90 degrees about x, which maps
    +y to +z and +z to -y.

    Args:
        path: an OBJ, GLB/GLTF, PLY or STL file; multi-part files are merged into one mesh.
        up_axis: "z" or "y", the file's up axis.

    Returns:
        A new trimesh the caller owns.

    Raises:
        AssetError: the file is missing, of an unsupported type, over the size or triangle limit
            (:func:`mesh_limits`), unreadable, holds no triangles or non-finite vertices; the message
            names the file.
    """
    if not path or not os.path.isfile(path):
        raise AssetError(f"asset file not found: {path}")
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise AssetError(f"unsupported mesh format {suffix!r} for {path}; supported: {', '.join(SUPPORTED_SUFFIXES)}")
    if up_axis not in UP_AXES:
        raise AssetError(f"bad up_axis {up_axis!r} for {path}; expected one of: {', '.join(UP_AXES)}")
    check_file_size(path)
    try:
        mesh = trimesh.load(path, force="mesh")
    except Exception as exc:  # trimesh's loaders raise anything from ValueError to struct.error on bad bytes
        raise AssetError(f"cannot read mesh file {path}: {one_line(exc)}") from exc
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.vertices) == 0 or len(mesh.faces) == 0:
        raise AssetError(f"mesh file {path} {_no_triangles_reason(path)}")
    if len(mesh.faces) > _limits.max_triangles:
        raise AssetError(
            f"mesh file {path} has {len(mesh.faces)} triangles, over the limit of {_limits.max_triangles} "
            "(raise it with max_mesh_triangles=...)"
        )
    if not np.isfinite(mesh.vertices).all():
        raise AssetError(f"mesh file {path} has non-finite vertex coordinates")
    if up_axis == "y":
        mesh.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [1.0, 0.0, 0.0]))
    return centred(mesh)

"""User mesh files (OBJ, GLB/GLTF, PLY, STL) read into a trimesh in the object frame."""

from __future__ import annotations

import os

import numpy as np

from assets._trimesh import trimesh
from assets.errors import AssetError, one_line
from assets.procedural import centred

SUPPORTED_SUFFIXES: tuple[str, ...] = (".obj", ".glb", ".gltf", ".ply", ".stl")
UP_AXES: tuple[str, ...] = ("z", "y")


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
        AssetError: the file is missing, of an unsupported type, unreadable, or holds no triangles;
            the message names the file.
    """
    if not path or not os.path.isfile(path):
        raise AssetError(f"asset file not found: {path}")
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise AssetError(f"unsupported mesh format {suffix!r} for {path}; supported: {', '.join(SUPPORTED_SUFFIXES)}")
    if up_axis not in UP_AXES:
        raise AssetError(f"bad up_axis {up_axis!r} for {path}; expected one of: {', '.join(UP_AXES)}")
    try:
        mesh = trimesh.load(path, force="mesh")
    except Exception as exc:  # trimesh's loaders raise anything from ValueError to struct.error on bad bytes
        raise AssetError(f"cannot read mesh file {path}: {one_line(exc)}") from exc
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.vertices) == 0 or len(mesh.faces) == 0:
        raise AssetError(f"mesh file {path} contains no triangles")
    if not np.isfinite(mesh.vertices).all():
        raise AssetError(f"mesh file {path} has non-finite vertex coordinates")
    if up_axis == "y":
        mesh.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [1.0, 0.0, 0.0]))
    return centred(mesh)

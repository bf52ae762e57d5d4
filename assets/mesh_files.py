"""User mesh files (OBJ, GLB/GLTF, PLY, STL) read into a trimesh in the object frame.

Files are bounded: one larger than :func:`mesh_limits` ``max_file_mb`` is refused by its size on disk
before a byte is read (trimesh reads a file whole: a 3 GB sparse OBJ ran out of memory), and a mesh with
more than ``max_triangles`` triangles is refused after reading (2M triangles took 3.3 GB and 26 s for 2
frames). The run sets both from its config keys ``max_mesh_file_mb`` and ``max_mesh_triangles``
(:func:`set_mesh_limits`, in every process that reads meshes).
"""

from __future__ import annotations

import os
import re
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assets._trimesh import trimesh
from assets.errors import AssetError, one_line
from assets.procedural import centred
from scenes.plain_data import load_json, loads_json, short_repr

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
    included: their size is what a reader would have to hold). A glTF file counts with the buffer and
    image files it references (:func:`referenced_files`), which trimesh reads too."""
    limit = _limits.max_file_mb
    size = os.stat(path).st_size
    if size > limit * 2**20:
        raise AssetError(
            f"mesh file {path} is {size / 2**20:.1f} MB, over the limit of {limit:g} MB "
            "(raise it with max_mesh_file_mb=...)"
        )
    extra = sum(os.stat(f).st_size for f in referenced_files(path))
    if size + extra > limit * 2**20:
        raise AssetError(
            f"mesh file {path} is {(size + extra) / 2**20:.1f} MB with the files it references, over the limit "
            f"of {limit:g} MB (raise it with max_mesh_file_mb=...)"
        )


_GLB_HEADER = struct.Struct("<4sIII4s")  # magic, version, length; first chunk's length and type


def referenced_files(path: str) -> list[str]:
    """The files besides ``path`` that trimesh reads for it: a glTF's (or GLB's) ``buffers[].uri`` and
    ``images[].uri`` (``data:`` URIs are inline). Each must be a relative path that stays inside the mesh
    file's folder after resolving symlinks: an asset file must never make the program read elsewhere
    (``../../etc/passwd``, ``/dev/zero``); AssetError otherwise. Files that do not exist are left to
    trimesh's own error. OBJ files are read without their materials (``skip_materials``), so their
    ``mtllib`` and texture paths are never followed."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".gltf":
        tree = load_json(Path(path), AssetError)
    elif suffix == ".glb":
        tree = _glb_json(path)
    else:
        return []
    if not isinstance(tree, dict):
        raise AssetError(f"mesh file {path}: a glTF file holds a JSON object, got {type(tree).__name__}")
    folder = os.path.dirname(os.path.abspath(path))
    real_folder = os.path.realpath(folder)
    found: list[str] = []
    for group in ("buffers", "images"):
        items = tree.get(group, [])
        for i, item in enumerate(items if isinstance(items, list) else []):
            uri = item.get("uri") if isinstance(item, dict) else None
            if not isinstance(uri, str) or uri.startswith("data:") or "base64," in uri:
                continue  # inline data (trimesh decodes anything holding "base64,"), or no file at all
            where = f"mesh file {path}: {group}[{i}].uri {short_repr(uri)}"
            name = uri.strip()
            if not name or os.path.isabs(name) or name.startswith("\\") or re.match(r"^[A-Za-z][\w+.-]*:", name):
                raise AssetError(f"{where}: not a relative path; referenced files must lie beside the mesh file")
            # trimesh tries the name, then its last part, in the mesh file's folder
            candidates = (os.path.join(folder, name), os.path.join(folder, os.path.basename(name)))
            for candidate in candidates:
                if not os.path.realpath(candidate).startswith(real_folder + os.sep):
                    raise AssetError(f"{where}: resolves outside the mesh file's folder {folder}; refusing it")
            first = next((c for c in candidates if os.path.isfile(c)), None)
            if first is not None:
                found.append(first)
    return found


def _glb_json(path: str) -> object:
    """The JSON chunk of a GLB file (binary glTF), read bounded (the file passed the size check)."""
    with open(path, "rb") as fh:
        head = fh.read(_GLB_HEADER.size)
        if len(head) < _GLB_HEADER.size:
            return {}  # not a GLB: trimesh names the fault
        magic, _, _, length, kind = _GLB_HEADER.unpack(head)
        if magic != b"glTF" or kind != b"JSON" or length > os.fstat(fh.fileno()).st_size:
            return {}
        data = fh.read(length)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return {}
    return loads_json(text, f"mesh file {path}", AssetError)


def _load_options(path: str) -> dict[str, bool]:
    """OBJ: no materials (the renderers never use a file's own; its ``mtllib`` and texture paths would
    make trimesh read other files, unbounded and, before trimesh 5, anywhere)."""
    return {"skip_materials": True} if path.lower().endswith(".obj") else {}


def _no_triangles_reason(path: str) -> str:
    """Why a file loaded as an empty mesh: trimesh drops every face touching a NaN or infinite vertex
    while processing, so a file of such vertices reads as empty; the raw data names the real fault."""
    try:
        raw = trimesh.load(path, force="mesh", process=False, **_load_options(path))
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
        mesh = trimesh.load(path, force="mesh", **_load_options(path))
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

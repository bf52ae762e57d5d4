"""Turn an AssetRef into a trimesh in the object frame, with caching."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from assets._trimesh import trimesh
from assets.errors import AssetError
from assets.mesh_files import load_mesh_file
from assets.procedural import arrays, centred, get_procedural
from assets.procedural.base import assemble_parts
from scenes import AssetRef, Entity

MeshLike = Any  # a trimesh.Trimesh or an assets.procedural.arrays.Mesh: anything with vertices, faces, bounds

__all__ = ["AssetError", "asset_extents", "entity_mesh", "load_asset_mesh"]  # AssetError re-exported from assets.errors


def _key(ref: AssetRef) -> str:
    return json.dumps([ref.source, ref.name, ref.params, ref.path, ref.up_axis], sort_keys=True)


@lru_cache(maxsize=256)
def _load_cached(key: str) -> trimesh.Trimesh:
    source, name, params, path, up_axis = json.loads(key)
    if source == "procedural":
        if get_procedural(name).build_parts is not None:  # build is the parts' concatenation: build them once
            return centred(assemble_parts(procedural_parts(name, json.dumps(params, sort_keys=True))))
        return centred(get_procedural(name).build(**params))
    if source == "file":
        return load_mesh_file(path, up_axis)  # user meshes: read, fix the up axis, centre
    raise AssetError(f"unknown asset source {source!r} for asset {name!r}")


@lru_cache(maxsize=256)
def procedural_parts(name: str, params_json: str) -> tuple[tuple[str, trimesh.Trimesh], ...]:
    """``build_parts(**params)`` of the procedural asset ``name`` (``params_json``: its parameters as sorted
    JSON), cached: what the whole mesh (``load_asset_mesh``) and the surface parts
    (``assets.articulated.entity_parts``) are both made of. Shared: do not modify the meshes."""
    return tuple(get_procedural(name).build_parts(**json.loads(params_json)))


def load_asset_mesh(ref: AssetRef) -> trimesh.Trimesh:
    """The asset's mesh (unscaled), centred on its bounding-box centre, z up, x forward. The returned
    mesh is a copy the caller may modify."""
    return _load_cached(_key(ref)).copy()


def parts_bounds(parts: Sequence[tuple[str, MeshLike]]) -> np.ndarray:
    """(2, 3) bounds of the concatenation of ``parts`` (metres) from the parts' own bounds: min and max are
    exact, so they combine to the concatenation's bounds without concatenating. Parts without faces have no
    bounds and add nothing, as in a concatenation."""
    bounds = np.array([mesh.bounds for _, mesh in parts if len(mesh.faces)])
    return np.array([bounds[:, 0].min(axis=0), bounds[:, 1].max(axis=0)])


@lru_cache(maxsize=1024)
def _extents_cached(key: str) -> tuple[float, float, float]:
    source, name, params, _, _ = json.loads(key)
    if source == "procedural" and get_procedural(name).build_parts is not None:
        # Without building the whole: ``centred`` moves every vertex by the same translation, and adding a
        # constant is monotonic in floating point, so the whole's centred bounds are its bounds moved by the
        # same arithmetic (``arrays.Mesh.apply_translation``); a concatenation and a copy cost more than the
        # asset's parts (issue 17).
        bounds = parts_bounds(procedural_parts(name, json.dumps(params, sort_keys=True)))
        corners = arrays.Mesh(bounds, [[0, 1, 0]]).apply_translation(-bounds.mean(axis=0))
        extents = corners.extents
    else:  # bounds read off the shared cached mesh (no copy); the mesh itself is left untouched
        extents = _load_cached(key).extents
    return (float(extents[0]), float(extents[1]), float(extents[2]))


def asset_extents(ref: AssetRef) -> tuple[float, float, float]:
    """[length, width, height] in metres of the asset's (unscaled) bounding box: ``load_asset_mesh(ref).extents``
    without copying the mesh, cached."""
    return _extents_cached(_key(ref))


def entity_mesh(entity: Entity) -> trimesh.Trimesh:
    """The entity's mesh in its object frame (scaled by ``entity.scale``), metres."""
    mesh = load_asset_mesh(entity.asset)
    if entity.scale != 1.0:
        mesh.apply_scale(entity.scale)
    return mesh

"""Turn an AssetRef into a trimesh in the object frame, with caching."""

from __future__ import annotations

import json
from functools import lru_cache

from assets._trimesh import trimesh
from assets.errors import AssetError
from assets.mesh_files import load_mesh_file
from assets.procedural import centred, get_procedural
from assets.procedural.base import assemble_parts
from scenes import AssetRef, Entity

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


@lru_cache(maxsize=1024)
def _extents_cached(key: str) -> tuple[float, float, float]:
    # bounds read off the shared cached mesh (no copy); the mesh itself is left untouched
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

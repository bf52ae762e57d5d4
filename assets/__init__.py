"""Asset catalog: bundled procedural assets and user mesh files, loaded to trimesh in the object frame."""

from assets.catalog import UserAsset, load_catalog
from assets.errors import AssetError
from assets.loading import entity_mesh, load_asset_mesh
from assets.mesh_files import load_mesh_file

__all__ = [
    "AssetError",
    "UserAsset",
    "entity_mesh",
    "load_asset_mesh",
    "load_catalog",
    "load_mesh_file",
]

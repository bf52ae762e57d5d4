"""Asset catalog: bundled procedural assets and user mesh files, loaded to trimesh in the object frame."""

from assets.catalog import UserAsset, load_catalog, load_mesh_file
from assets.errors import AssetError
from assets.loading import entity_mesh, load_asset_mesh
from assets.taxonomy import CATEGORIES, CONTEXT_CATEGORIES, category_id, category_table

__all__ = [
    "CATEGORIES",
    "CONTEXT_CATEGORIES",
    "AssetError",
    "UserAsset",
    "category_id",
    "category_table",
    "entity_mesh",
    "load_asset_mesh",
    "load_catalog",
    "load_mesh_file",
]

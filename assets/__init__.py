"""Asset catalog: bundled procedural assets and user mesh files, loaded to trimesh in the object frame."""

from assets.loading import AssetError, entity_mesh, load_asset_mesh
from assets.taxonomy import CATEGORIES, CONTEXT_CATEGORIES, category_id, category_table

__all__ = ["CATEGORIES", "CONTEXT_CATEGORIES", "AssetError", "category_id", "category_table", "entity_mesh", "load_asset_mesh"]

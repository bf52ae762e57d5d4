"""User assets: a YAML catalog of mesh files with their category, scale range and up axis (the files
themselves are read by ``assets.mesh_files``).

A catalog file looks like::

    assets:
      - name: my_chair
        file: meshes/chair.glb        # relative to the catalog file's folder, or absolute
        category: box                 # a labelled category of scenes.taxonomy
        scale_range: [0.9, 1.1]       # uniform scale factor range, optional (default [1, 1])
        up_axis: y                    # "z" (default) or "y"; y-up meshes are rotated to z-up

Everything is validated when the catalog is loaded, so a bad entry stops a run before its first scene;
every error is one line naming the catalog file, the entry and the offending key or value. Nothing here
writes a file.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assets.errors import AssetError
from assets.loading import load_asset_mesh
from assets.mesh_files import SUPPORTED_SUFFIXES, UP_AXES, check_file_size
from scenes import AssetRef, plain_data
from scenes.plain_data import short_repr
from scenes.taxonomy import CATEGORIES

_ENTRY_KEYS: tuple[str, ...] = ("name", "file", "category", "scale_range", "up_axis")
_REQUIRED_KEYS: tuple[str, ...] = ("name", "file", "category")
_LABELLED = tuple(c.name for c in CATEGORIES)


@dataclass(frozen=True)
class UserAsset:
    """One validated catalog entry.

    Attributes:
        name: unique name within the catalog.
        path: absolute path of the mesh file.
        category: labelled category name (scenes.taxonomy).
        scale_range: (min, max) uniform scale factor, 0 < min <= max.
        up_axis: "z" or "y": the mesh file's up axis (y-up files are rotated to z-up on load).
    """

    name: str
    path: str
    category: str
    scale_range: tuple[float, float] = (1.0, 1.0)
    up_axis: str = "z"

    def asset_ref(self) -> AssetRef:
        """The scene's reference to this asset (``source="file"``), as ``assets.load_asset_mesh`` takes it."""
        return AssetRef(source="file", name=self.name, path=self.path, up_axis=self.up_axis)

    def sample_scale(self, rng: np.random.Generator) -> float:
        """A uniform scale factor drawn from ``scale_range`` with the caller's ``rng``."""
        low, high = self.scale_range
        return float(rng.uniform(low, high)) if high > low else float(low)


def _read_yaml(path: str) -> Any:
    if not Path(path).is_file():
        raise AssetError(f"asset catalog not found: {path}")
    return plain_data.load_yaml(Path(path), AssetError)


def _scale_range(value: Any, where: str) -> tuple[float, float]:
    def number(v: Any) -> bool:
        return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)

    if not (isinstance(value, list | tuple) and len(value) == 2 and all(number(v) for v in value)):
        raise AssetError(f"bad scale_range {short_repr(value)}: expected [min, max] numbers {where}")
    low, high = float(value[0]), float(value[1])
    if not 0 < low <= high:
        raise AssetError(f"bad scale_range {short_repr(value)}: expected 0 < min <= max {where}")
    return low, high


def _parse_entry(entry: Any, index: int, catalog: str) -> UserAsset:
    """Validate one catalog entry; every error names the catalog and the entry."""
    label = repr(entry.get("name")) if isinstance(entry, Mapping) and "name" in entry else f"#{index}"
    where = f"(catalog {catalog}, entry {label})"
    if not isinstance(entry, Mapping):
        raise AssetError(f"expected a mapping with keys {', '.join(_ENTRY_KEYS)}, got {short_repr(entry)} {where}")
    for key in entry:
        if key not in _ENTRY_KEYS:
            raise AssetError(f"unknown key {short_repr(key)}; allowed: {', '.join(_ENTRY_KEYS)} {where}")
    for key in _REQUIRED_KEYS:
        if key not in entry:
            raise AssetError(f"missing key {short_repr(key)} {where}")
        if not isinstance(entry[key], str) or not entry[key].strip():
            raise AssetError(f"bad {key} {short_repr(entry[key])}: expected a non-empty string {where}")
    category = entry["category"]
    if category not in _LABELLED:
        raise AssetError(f"unknown category {short_repr(category)}; known: {', '.join(_LABELLED)} {where}")
    up_axis = entry.get("up_axis", "z")
    if up_axis not in UP_AXES:
        raise AssetError(f"bad up_axis {short_repr(up_axis)}: expected one of {', '.join(UP_AXES)} {where}")
    scale_range = _scale_range(entry.get("scale_range", [1.0, 1.0]), where)
    # Relative paths are relative to the catalog, so a catalog folder can be moved or shared as a whole.
    path = os.path.expanduser(entry["file"])
    path = os.path.normpath(path if os.path.isabs(path) else os.path.join(os.path.dirname(catalog), path))
    if not os.path.isfile(path):
        raise AssetError(f"asset file not found: {path} {where}")
    if os.path.splitext(path)[1].lower() not in SUPPORTED_SUFFIXES:
        raise AssetError(f"unsupported mesh format for {path}; supported: {', '.join(SUPPORTED_SUFFIXES)} {where}")
    try:
        check_file_size(path)  # by stat, also without check_meshes: the run hashes every file it lists
    except AssetError as exc:
        raise AssetError(f"{exc} {where}") from None
    return UserAsset(entry["name"], path, category, scale_range, up_axis)


def load_catalog(path: str | os.PathLike[str], *, check_meshes: bool = True) -> list[UserAsset]:
    """Read and validate a user asset catalog (YAML).

    Args:
        path: the catalog file; entries' relative ``file`` paths are relative to its folder.
        check_meshes: also read every mesh (through ``assets.load_asset_mesh``, so it is cached for the
            run), so that a corrupt or empty file fails here rather than mid-run.

    Returns:
        The entries in file order.

    Raises:
        AssetError: one line naming the catalog, the entry and the bad key or value (unknown key or
            category, bad scale_range or up_axis, duplicate name, missing or unreadable mesh file).
    """
    catalog = os.path.abspath(os.fspath(path))
    data = _read_yaml(catalog)
    if not isinstance(data, Mapping) or not isinstance(data.get("assets"), list):
        raise AssetError(f"asset catalog {catalog}: expected a mapping with an 'assets' list")
    for key in data:
        if key != "assets":
            raise AssetError(f"asset catalog {catalog}: unknown top-level key {short_repr(key)}; allowed: assets")
    assets = [_parse_entry(entry, i, catalog) for i, entry in enumerate(data["assets"])]
    seen: set[str] = set()
    for asset in assets:
        if asset.name in seen:
            raise AssetError(f"duplicate asset name {short_repr(asset.name)} (catalog {catalog})")
        seen.add(asset.name)
    if check_meshes:
        for asset in assets:
            try:
                load_asset_mesh(asset.asset_ref())
            except AssetError as exc:
                raise AssetError(f"{exc} (catalog {catalog}, entry {short_repr(asset.name)})") from exc
    return assets

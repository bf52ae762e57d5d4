"""The assets package's one error type, in its own module so catalog and loading can both raise it
without importing each other."""

from __future__ import annotations


class AssetError(ValueError):
    """An asset cannot be found or loaded; the message names the file or asset."""

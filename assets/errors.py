"""The assets package's error type and the one-line text of an error it wraps, in their own module so every
assets module can raise them without importing another."""

from __future__ import annotations


class AssetError(ValueError):
    """An asset cannot be found or loaded; the message names the file or asset."""


def one_line(exc: BaseException) -> str:
    """An exception as ``Type: message`` on one line (YAML and trimesh errors span several)."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

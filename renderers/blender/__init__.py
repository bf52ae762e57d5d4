"""The Blender (bpy, Cycles) camera backend.

Importing this package never imports ``bpy``: Blender runs only in the backend's worker process
(``renderers.blender.worker``), started on the first render.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from renderers.base import Pass
    from renderers.blender.backend import BlenderBackend

__all__ = ["BlenderBackend", "create_backend"]


def create_backend(passes: frozenset[Pass], *, recycle_after: int = 0, **settings: Any) -> BlenderBackend:
    """A :class:`~renderers.blender.backend.BlenderBackend` producing ``passes``; ``settings`` are
    fields of :class:`~renderers.blender.backend.BlenderSettings` (samples, engine, device, ...)."""
    from renderers.blender.backend import BlenderBackend

    return BlenderBackend(passes, recycle_after=recycle_after, **settings)


def __getattr__(name: str) -> Any:
    # PEP 562 lazy attribute, like renderers.pyrender
    if name == "BlenderBackend":
        from renderers.blender.backend import BlenderBackend

        return BlenderBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

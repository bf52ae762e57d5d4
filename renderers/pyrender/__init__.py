"""The pyrender (OpenGL, headless EGL) camera backend.

Importing this package does not import pyrender or OpenGL (``import generator`` must stay GL-free):
:func:`create_backend` and the ``PyrenderBackend`` attribute import them on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

    from renderers.base import Pass
    from renderers.pyrender.backend import PyrenderBackend

__all__ = ["PyrenderBackend", "create_backend"]


def create_backend(
    passes: frozenset[Pass],
    *,
    amodal_method: str = "union",
    image_sizes: Iterable[tuple[int, int]] = (),
    shadows: bool = False,
) -> PyrenderBackend:
    """A :class:`~renderers.pyrender.backend.PyrenderBackend` producing ``passes``; imports pyrender
    (and selects the EGL platform unless ``PYOPENGL_PLATFORM`` is set) on first call. ``image_sizes``
    ((width, height) pixels) are checked against the GL context's limits now (BackendError). ``shadows``:
    the sun's shadow map in the rgb pass (off by default: its cost, ``PyrenderBackend``)."""
    from renderers.pyrender.backend import PyrenderBackend

    return PyrenderBackend(passes, amodal_method=amodal_method, image_sizes=image_sizes, shadows=shadows)


def __getattr__(name: str) -> Any:
    # PEP 562 lazy attribute: `from renderers.pyrender import PyrenderBackend` imports pyrender then.
    if name == "PyrenderBackend":
        from renderers.pyrender.backend import PyrenderBackend

        return PyrenderBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

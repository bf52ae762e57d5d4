"""The one place that imports pyrender and OpenGL, after choosing the headless EGL platform.

PyOpenGL reads ``PYOPENGL_PLATFORM`` once, when it is first imported, so it must be set before the
import; ``setdefault`` lets a user still pick another platform from the environment.
"""

from __future__ import annotations

import os

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")

import pyrender  # noqa: E402
from OpenGL import EGL, GL  # noqa: E402
from pyrender.platforms import egl  # noqa: E402

__all__ = ["EGL", "GL", "egl", "pyrender"]

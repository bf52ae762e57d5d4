"""synthsense: the public face of the project (DESIGN.md): the command line (``synthsense.cli``, the
``synthsense`` command) over the generator, the exporters and mixing.

Importing this package loads no rendering engine (no bpy, pyrender, OpenGL or Embree) and nothing of the
packages below it: each command imports what it needs when it runs.
"""

from __future__ import annotations

__all__: list[str] = []

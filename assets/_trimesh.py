"""trimesh, imported without its Embree binding: ``from assets._trimesh import trimesh``.

``import trimesh`` imports ``trimesh.ray.ray_pyembree``, which loads embreex (Embree) whenever it is
installed. DESIGN.md keeps Embree under ``renderers/raycast/`` (which calls embreex directly and never
uses trimesh's ray queries), and importing ``generator`` or ``synthsense`` loads no engine. So the first
import of trimesh here sees embreex as missing, the way trimesh itself copes with a machine without it
(``trimesh.ray.has_embree`` is False), and embreex stays importable for the ray caster afterwards. If
embreex is already loaded (a ray-casting process that imported it first), trimesh is imported as usual.
"""

from __future__ import annotations

import sys

if "trimesh" not in sys.modules and "embreex" not in sys.modules:
    sys.modules["embreex"] = None  # type: ignore[assignment]  # "import embreex" raises ImportError
    try:
        import trimesh
    finally:
        del sys.modules["embreex"]
else:
    import trimesh

__all__ = ["trimesh"]

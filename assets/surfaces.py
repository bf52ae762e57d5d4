"""Named surfaces of procedural assets made of several materials: what each part of a car, a facade or
a traffic light is made of.

A part's surface is one of SURFACES: ``"body"`` is the entity's own sampled material (a car's paint, a
building's wall); every other name is a fixed material here, the same in every scene (so scene.json
needs to record nothing more than the asset's parameters). Colours are linear RGB; ``reflectivity`` is
the diffuse reflectance at a LiDAR's 905 nm wavelength (``scenes.Material``).
"""

from __future__ import annotations

from scenes import Material

BODY = "body"  # the entity's own material

SURFACES: dict[str, Material | None] = {
    BODY: None,
}


def surface_material(surface: str, body: Material) -> Material:
    """The material of a part made of ``surface``: ``body`` for ``"body"``; KeyError names an unknown one."""
    try:
        fixed = SURFACES[surface]
    except KeyError:
        raise KeyError(f"unknown surface {surface!r}; known: {', '.join(SURFACES)}") from None
    return body if fixed is None else fixed

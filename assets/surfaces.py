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

# --- the street world's surfaces (issue 16, road and surroundings): furniture, vegetation, facades ---
# Reflectivities at 905 nm: galvanised / painted steel ~0.3-0.5, dark plastic housings ~0.05-0.1, white
# sign sheeting is retroreflective (ASTM D4956 Type I and up: much brighter than paint at the LiDAR's
# own angle; 0.9 stands in for it), leaves ~0.45-0.5 in the near infrared (the red edge: vegetation
# reflects far more at 905 nm than in the visible; Jacquemoud & Baret, PROSPECT, 1990), bark ~0.3, glass
# mostly specular so little diffuse return (~0.05).
_STREET_SURFACES: dict[str, Material] = {
    "pole_metal": Material(base_color=(0.32, 0.33, 0.34), roughness=0.45, metallic=0.8, reflectivity=0.4),
    "signal_housing": Material(base_color=(0.02, 0.02, 0.02), roughness=0.6, metallic=0.0, reflectivity=0.08),
    "signal_red": Material(base_color=(0.6, 0.02, 0.01), roughness=0.2, metallic=0.0, reflectivity=0.3),
    "signal_amber": Material(base_color=(0.6, 0.3, 0.01), roughness=0.2, metallic=0.0, reflectivity=0.3),
    "signal_green": Material(base_color=(0.02, 0.5, 0.2), roughness=0.2, metallic=0.0, reflectivity=0.3),
    "sign_white": Material(base_color=(0.85, 0.85, 0.85), roughness=0.4, metallic=0.0, reflectivity=0.9),
    "sign_red": Material(base_color=(0.55, 0.02, 0.02), roughness=0.4, metallic=0.0, reflectivity=0.7),
    "bark": Material(base_color=(0.09, 0.06, 0.04), roughness=0.95, metallic=0.0, reflectivity=0.3),
    "foliage": Material(base_color=(0.05, 0.16, 0.04), roughness=0.9, metallic=0.0, reflectivity=0.45),
    "wood": Material(base_color=(0.3, 0.17, 0.08), roughness=0.8, metallic=0.0, reflectivity=0.4),
    "window_glass": Material(base_color=(0.05, 0.07, 0.09), roughness=0.05, metallic=0.6, reflectivity=0.05),
    "door": Material(base_color=(0.12, 0.08, 0.05), roughness=0.6, metallic=0.0, reflectivity=0.3),
    "cast_iron": Material(base_color=(0.05, 0.05, 0.05), roughness=0.7, metallic=0.6, reflectivity=0.15),
    "storefront_frame": Material(base_color=(0.08, 0.08, 0.09), roughness=0.4, metallic=0.7, reflectivity=0.3),
}
SURFACES.update(_STREET_SURFACES)


def surface_material(surface: str, body: Material) -> Material:
    """The material of a part made of ``surface``: ``body`` for ``"body"``; KeyError names an unknown one."""
    try:
        fixed = SURFACES[surface]
    except KeyError:
        raise KeyError(f"unknown surface {surface!r}; known: {', '.join(SURFACES)}") from None
    return body if fixed is None else fixed

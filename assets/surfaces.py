"""Named surfaces of procedural assets made of several materials: what each part of a car, a facade or
a traffic light is made of.

A part's surface is one of SURFACES: ``"body"`` is the entity's own sampled material (a car's paint, a
building's wall); every other name is a fixed material here, the same in every scene (so scene.json
needs to record nothing more than the asset's parameters). Colours are linear RGB; ``reflectivity`` is
the diffuse reflectance at a LiDAR's 905 nm wavelength (``scenes.Material``).

A few surfaces have optical properties beyond ``scenes.Material`` that the renderers able to show them
use (``FINISHES``): glass transmits (Blender's Principled BSDF transmission; pyrender draws it opaque in
its dark tint, which is how tinted glass with a dark cabin behind it looks from outside), and lamps
with daytime running lights glow (emission, in pyrender and Blender alike).
"""

from __future__ import annotations

from dataclasses import dataclass

from scenes import Material

BODY = "body"  # the entity's own material

# Fresnel reflectance of glass at normal incidence, ((n - 1) / (n + 1))^2 with n = 1.52 (soda-lime float
# glass at 905 nm, Rubin 1985, Solar Energy Materials 12, via refractiveindex.info): 0.043. A LiDAR sees
# only this specular share (at near-normal incidence) plus the cabin behind; 0.05 stands for both.
_GLASS_REFLECTIVITY = 0.05

SURFACES: dict[str, Material | None] = {
    BODY: None,
    # --- vehicles ----------------------------------------------------------------------------------------
    # Tinted automotive glass seen from outside: a dark cabin behind 70-80 % (windscreen, UN ECE R43
    # minimum 70 %) to 20-30 % (privacy rear glass) transmittance reads as near black with sharp sky
    # reflections, hence a very dark base colour and low roughness.
    "car_glass": Material(
        base_color=(0.02, 0.025, 0.03), roughness=0.05, metallic=0.0, reflectivity=_GLASS_REFLECTIVITY
    ),
    # Tyre rubber: carbon-black-filled, diffuse reflectance ~0.05 in the visible and near infrared (black
    # rubber spectra of the JPL ECOSTRESS spectral library, Meerdink et al. 2019, Remote Sens. Environ.
    # 230: 4-7 % at 0.9 um); rough (matte sidewalls).
    "tyre": Material(base_color=(0.025, 0.025, 0.025), roughness=0.9, metallic=0.0, reflectivity=0.06),
    # Alloy rim, silver paint or machined aluminium: metallic, aluminium's normal reflectance ~0.9 in the
    # visible (Rakic 1995, Appl. Opt. 34) dulled by the clear lacquer and grime to ~0.6 base colour. At
    # 905 nm a painted silver rim scatters about like light grey paint (~0.5).
    "rim": Material(base_color=(0.6, 0.6, 0.62), roughness=0.3, metallic=1.0, reflectivity=0.5),
    # Chrome trim (grille surrounds, bumper strips): chromium's normal reflectance ~0.55-0.65 from the
    # visible to 905 nm (Rakic et al. 1998, Appl. Opt. 37, via refractiveindex.info), polished. Mirror-like
    # surfaces return a LiDAR pulse only near normal incidence: 0.3 as a diffuse stand-in.
    "chrome": Material(base_color=(0.6, 0.6, 0.6), roughness=0.08, metallic=1.0, reflectivity=0.3),
    # Black trim plastic (grilles, bumpers' lower parts, mirror bases, window frames): carbon-black
    # polypropylene, ~4-6 % reflectance across the visible and near infrared (carbon black absorbs both).
    "black_trim": Material(base_color=(0.03, 0.03, 0.03), roughness=0.6, metallic=0.0, reflectivity=0.05),
    # Head lamp: clear polycarbonate lens over an aluminised reflector, bright and glossy; the reflector
    # behind sends much of a pulse back (~0.4).
    "head_lamp": Material(base_color=(0.8, 0.8, 0.78), roughness=0.1, metallic=0.3, reflectivity=0.4),
    # Tail lamp: red PMMA lens (ECE R7 red: transmits wavelengths over ~600 nm, so it is bright red and
    # fairly transparent at 905 nm onto the reflector behind: ~0.3).
    "tail_lamp": Material(base_color=(0.45, 0.01, 0.01), roughness=0.15, metallic=0.0, reflectivity=0.3),
    # Licence plate: white retroreflective sheeting (EN 12899-1 / DIN 74069 class RA1 plates, ISO 7591):
    # very bright to a co-located emitter, which is why plates saturate LiDAR intensity; 0.9 as the
    # diffuse equivalent at the model's clamp.
    "plate": Material(base_color=(0.8, 0.8, 0.78), roughness=0.4, metallic=0.0, reflectivity=0.9),
    # Yellow rear plates (UK, NL): the same sheeting, yellow.
    "plate_yellow": Material(base_color=(0.85, 0.6, 0.02), roughness=0.4, metallic=0.0, reflectivity=0.9),
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


@dataclass(frozen=True)
class Finish:
    """What a surface shows beyond ``scenes.Material``: ``transmission`` in [0, 1] (Blender's Principled
    BSDF Transmission Weight; ``ior`` its index of refraction) and ``emission``, linear RGB radiance
    added to the surface (Blender's Emission Color at strength 1; pyrender's emissive factor)."""

    transmission: float = 0.0
    ior: float = 1.5
    emission: tuple[float, float, float] = (0.0, 0.0, 0.0)


# Daytime running lamps are mandatory on new cars in the EU since 2011 (Commission Directive 2008/89/EC):
# head lamps glow faintly by day. 0.6 of white keeps them below the sky's brightness in the display range.
FINISHES: dict[str, Finish] = {
    "car_glass": Finish(transmission=0.85, ior=1.52),  # n = 1.52: soda-lime glass (above)
    "head_lamp": Finish(emission=(0.6, 0.6, 0.58)),
}
NO_FINISH = Finish()


def surface_material(surface: str, body: Material) -> Material:
    """The material of a part made of ``surface``: ``body`` for ``"body"``; KeyError names an unknown one."""
    try:
        fixed = SURFACES[surface]
    except KeyError:
        raise KeyError(f"unknown surface {surface!r}; known: {', '.join(SURFACES)}") from None
    return body if fixed is None else fixed


def surface_finish(surface: str) -> Finish:
    """The surface's transmission and emission (``FINISHES``; none for most surfaces)."""
    return FINISHES.get(surface, NO_FINISH)

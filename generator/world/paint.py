"""Vehicle paint: a clear-coated car paint drawn from the colours cars are actually sold in, or (with
``scene.materials.vehicle_paint: random``) the random colours and textures every other object gets.

Draws come from the ``paint`` seeding stream, keyed ``(0, slot[, retry])`` for the random street's slots,
``(1, actor)`` for a scenario's critical actors and ``(2,)`` for the re-entry car, so a palette change
moves nothing else in the scene. The drawn material (colour, roughness, metallic, LiDAR reflectivity,
clearcoat) is the entity's ``material`` in scene.json.
"""

from __future__ import annotations

import numpy as np

from scenes import Material

VEHICLE_CATEGORIES = frozenset({"car", "truck", "bus", "motorcycle"})
PAINT_MODES = ("palette", "random")

# name: (share, linear RGB, chance of a metallic finish, LiDAR reflectivity range at 905 nm).
# Shares: Axalta's Global Automotive Color Popularity Report 2022 (world production: white 35 %, black
# 19 %, grey 18 %, silver 8 %, blue 7 %, red 6 %, brown/beige 3 %, green 2 %, yellow/gold and others 2 %).
# Colours: typical linear reflectances of each family's paints. Metallic chances: silver is metallic by
# definition, greys and blues mostly are, whites are mostly solid or pearl.
# Reflectivity at 905 nm follows the pigments: titanium-dioxide whites reflect ~0.8 in the near infrared,
# carbon-black blacks ~0.05 (NIR-reflective blacks, PPG's LiDAR-detectable coatings of 2019, reach ~0.3),
# iron-oxide reds and browns and most metallics reflect strongly in the near infrared (0.4-0.6), and
# phthalocyanine blues and greens little more than their primer (~0.2-0.4) (Levinson et al. 2005, "Solar
# spectral optical properties of pigments", Sol. Energy Mater. Sol. Cells 89: NIR reflectance by pigment).
PALETTE: dict[str, tuple[float, tuple[float, float, float], float, tuple[float, float]]] = {
    "white": (0.35, (0.8, 0.8, 0.78), 0.3, (0.7, 0.85)),
    "black": (0.19, (0.012, 0.012, 0.014), 0.5, (0.04, 0.3)),
    "grey": (0.18, (0.16, 0.165, 0.175), 0.7, (0.3, 0.45)),
    "silver": (0.08, (0.5, 0.51, 0.53), 1.0, (0.5, 0.65)),
    "blue": (0.07, (0.02, 0.05, 0.25), 0.6, (0.2, 0.4)),
    "red": (0.06, (0.45, 0.02, 0.02), 0.4, (0.4, 0.6)),
    "brown": (0.03, (0.22, 0.13, 0.07), 0.5, (0.4, 0.55)),
    "green": (0.02, (0.03, 0.14, 0.05), 0.5, (0.2, 0.4)),
    "yellow": (0.02, (0.7, 0.45, 0.04), 0.3, (0.5, 0.7)),
}


def paint_material(rng: np.random.Generator) -> Material:
    """A car paint: a colour family by its share, its colour a little lighter or darker (x0.85-1.15), a
    solid (metallic 0) or metallic (0.5-0.8 flakes) basecoat, roughness 0.25-0.45 under a full clear coat
    (clearcoat 1), and a LiDAR reflectivity from the family's range."""
    names = list(PALETTE)
    shares = np.array([PALETTE[n][0] for n in names])
    share, rgb, metallic_chance, (r0, r1) = PALETTE[names[int(rng.choice(len(names), p=shares / shares.sum()))]]
    shade = float(rng.uniform(0.85, 1.15))
    metallic = float(rng.uniform(0.5, 0.8)) if rng.uniform() < metallic_chance else 0.0
    return Material(
        base_color=tuple(float(min(1.0, c * shade)) for c in rgb),
        roughness=float(rng.uniform(0.25, 0.45)),
        metallic=metallic,
        reflectivity=float(rng.uniform(r0, r1)),
        clearcoat=1.0,
    )

"""Surface details of the street layouts: paving slabs on the sidewalks and manhole covers in the road.

Paving: each sidewalk's material gets a checker texture of ``slab_size_m`` squares whose second colour
is 15 % darker, so alternate concrete flags differ in tone (EN 1339 paving flags are 300-600 mm; 500 x
500 mm is common on city sidewalks). It is a texture, not geometry: no triangles, no change to the walking
surface or its LiDAR points (renderers without textures, pyrender today, show the plain sidewalk).

Manholes: context ``manhole`` discs 2 mm above the road (flush in reality; see
``assets.procedural.streetscape.build_manhole``) near lane centres, about every ``manhole_spacing_m``
along the ego road, drawn from the ``furniture`` stream under MANHOLE_SUBKEY; none in the junction box,
on a crosswalk or a stop line. They are flat, so road users drive and stand over them (not placed).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from assets.procedural import PROCEDURAL_ASSETS
from assets.surfaces import SURFACES
from generator.world.intersection import is_intersection
from generator.world.markings import STYLE_DIMENSIONS, stop_lines
from generator.world.pieces import procedural_choice, standing_entity
from generator.world.road import ROAD_START_X_M
from generator.world.seeding import rng_for
from scenes import Entity, Texture

MANHOLE_SUBKEY = 1000  # the furniture stream's items use subkeys (strip + 1, kind): far below this
PAVING_CONTRAST = 0.15
MANHOLE_CLEAR_M = 1.0  # from a stop line


def paved(entities: list[Entity], slab_size_m: float) -> list[Entity]:
    """The entities with every sidewalk's material given the paving pattern."""
    out = []
    for e in entities:
        if e.category == "sidewalk":
            colour = tuple(float((1.0 - PAVING_CONTRAST) * c) for c in e.material.base_color)
            texture = Texture(kind="checker", scale=1.0 / slab_size_m, color2=colour, roughness_variation=0.1)
            e = replace(e, material=replace(e.material, texture=texture))
        out.append(e)
    return out


def manholes(layout: dict[str, Any], spacing_m: float, root_seed: int, index: int) -> list[Entity]:
    """Manhole covers along the ego road (world frame of ``generator.world.street``)."""
    rng = rng_for(root_seed, index, "furniture", MANHOLE_SUBKEY)
    lanes, w = int(layout["lanes_per_direction"]), float(layout["lane_width_m"])
    x_start, x_end = -ROAD_START_X_M + 1.0, float(layout["road_length_m"]) - ROAD_START_X_M - 1.0
    stretches = [(x_start, x_end)]
    if is_intersection(layout):  # only the ego road's arms, short of their stop lines
        stops = stop_lines(layout, STYLE_DIMENSIONS["us"])
        stretches = [(x_start, stops["west"][0] - MANHOLE_CLEAR_M), (stops["east"][0] + MANHOLE_CLEAR_M, x_end)]
    out = []
    material = SURFACES["cast_iron"]
    for a, b in stretches:
        for x in np.arange(a + float(rng.uniform(0.0, spacing_m)), b, spacing_m):
            params = PROCEDURAL_ASSETS["manhole"].sample(rng)
            lane = int(rng.integers(2 * lanes)) - lanes  # -lanes .. lanes - 1
            y = (lane + 0.5) * w + float(rng.uniform(-0.5, 0.5))
            r = params["diameter"] / 2
            if not a + r <= x <= b - r:
                continue
            choice = procedural_choice("manhole", params)
            out.append(
                standing_entity(f"manhole_{len(out):02d}", 0, "manhole", choice, float(x), y, 0.0, 0.0, material)
            )
    return out

"""Buildings with facades: a block whose street side (the object's +y face) has a grid of windows per
floor, a door, and optionally a ground-floor storefront.

``build_building_parts`` gives the wall (surface ``body``: the entity's sampled material), the window
glass (``window_glass``, 3 cm proud of the wall so it never z-fights with it), doors (``door``) and
storefront frames (``storefront_frame``). With ``floor_height`` = 0 (the default) the building is the
plain block of earlier versions, so a scene.json written before facades existed rebuilds unchanged.
Dimensions follow common European and US practice: storeys 3.0-3.6 m floor to floor (residential
~3 m, offices ~3.5 m), sills ~0.9 m, doors 1.0 m x 2.2 m.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from assets._trimesh import trimesh
from assets.procedural.base import assemble_parts, box_between, centre_parts, uniform
from assets.procedural.streetscape import Parts, boxes

PROUD_M = 0.03  # glass and doors stand this far out of the wall
SILL_M = 0.9  # window sill above each floor
DOOR_W_M, DOOR_H_M = 1.0, 2.2
EDGE_M = 0.5  # no window closer than this to a building's corner


def build_building_parts(
    length: float,
    width: float,
    height: float,
    floor_height: float = 0.0,
    window_width: float = 1.2,
    window_height: float = 1.4,
    bay_width: float = 3.0,
    storefront: int = 0,
    door_at: float = 0.5,
) -> Parts:
    """The block ``length`` (x) x ``width`` (y) x ``height`` (m) and its street facade on +y.

    Args:
        floor_height: floor-to-floor height (m); 0: no facade (a plain block).
        window_width, window_height: each window's size (m).
        bay_width: window spacing along x (m), one window centred in each bay.
        storefront: 1: the ground floor is a shop window band with frames between the bays.
        door_at: where the door is along the facade, a share of the length in [0, 1].
    """
    y0 = width / 2
    parts: Parts = [("body", box_between((-length / 2, -y0, 0.0), (length / 2, y0, height)))]
    if floor_height <= 0:
        return centre_parts(parts)
    floors = int(height // floor_height)
    bays = max(1, int((length - 2 * EDGE_M) // bay_width))
    centres = (np.arange(bays) - (bays - 1) / 2) * bay_width
    door_x = float(np.clip((door_at - 0.5) * length, -length / 2 + EDGE_M + DOOR_W_M, length / 2 - EDGE_M - DOOR_W_M))

    panes: dict[str, list[tuple[float, ...]]] = {"window_glass": [], "door": [], "storefront_frame": []}

    def pane(x0: float, x1: float, z0: float, z1: float, surface: str = "window_glass", proud: float = PROUD_M) -> None:
        panes[surface].append((x0, y0, z0, x1, y0 + proud, z1))

    pane(door_x - DOOR_W_M / 2, door_x + DOOR_W_M / 2, 0.0, min(DOOR_H_M, 0.9 * floor_height), "door")
    if int(storefront):  # a glass band 0.4 m above the sidewalk to 0.8 of the floor, cut by the door
        top = 0.85 * floor_height
        for a, b in (
            (-length / 2 + EDGE_M, door_x - DOOR_W_M / 2 - 0.2),
            (door_x + DOOR_W_M / 2 + 0.2, length / 2 - EDGE_M),
        ):
            if b - a > 0.5:
                pane(a, b, 0.4, top)
                mullions = np.arange(a + bay_width, b - 0.3, bay_width)
                for x in mullions:  # frames in front of the glass, every bay
                    pane(x - 0.05, x + 0.05, 0.4, top, "storefront_frame", 2 * PROUD_M)
    first = 1 if int(storefront) else 0
    for floor in range(first, floors):
        z = floor * floor_height + min(SILL_M, 0.3 * floor_height)
        z_top = min(z + window_height, (floor + 1) * floor_height - 0.3)
        for x in centres:
            if floor == 0 and abs(x - door_x) < (window_width + DOOR_W_M) / 2 + 0.2:
                continue  # the door's bay
            pane(x - window_width / 2, x + window_width / 2, z, z_top)
    for surface, spans in panes.items():
        if spans:
            corners = np.asarray(spans)
            parts.append((surface, boxes(corners[:, :3], corners[:, 3:])))
    return centre_parts(parts)


def build_building(**params: Any) -> trimesh.Trimesh:
    return assemble_parts(build_building_parts(**params))


def sample_facade(rng: np.random.Generator, bay_max: float = 4.0) -> dict[str, Any]:
    """Facade parameters of one building (see :func:`build_building_parts`): storeys 3.0-3.6 m, windows
    0.9-1.6 m wide and 1.2-1.8 m tall in bays 2.4-``bay_max`` m, a storefront on about half of them."""
    window_width = uniform(rng, 0.9, 1.6)
    return {
        "floor_height": uniform(rng, 3.0, 3.6),
        "window_width": window_width,
        "window_height": uniform(rng, 1.2, 1.8),
        "bay_width": max(window_width + 0.6, uniform(rng, 2.4, bay_max)),
        "storefront": int(rng.uniform() < 0.5),
        "door_at": uniform(rng, 0.1, 0.9),
    }


def sample_building(rng: np.random.Generator) -> dict[str, Any]:
    """A two- to twelve-storey block with an 8-30 m by 8-20 m footprint and a facade."""
    block = {"length": uniform(rng, 8.0, 30.0), "width": uniform(rng, 8.0, 20.0), "height": uniform(rng, 6.0, 40.0)}
    return {**block, **sample_facade(rng)}

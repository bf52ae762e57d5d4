"""Lane markings of the street layouts: context ``road_marking`` entities (instance id 0, semantic id 105)
laid on the road surface.

Straight street: a double (US) or single (EU) solid centre line between the two directions, broken lines
between lanes of one direction, solid edge lines near both curbs. Intersection: the same on every arm,
ending before its crosswalk, and a stop line across each arm's approach lanes; nothing inside the
junction box or on a crosswalk.

Dimensions by style (``scene.markings.style``):
- ``us``: MUTCD (2009) Part 3: normal lines 4-6 in wide (0.15 m here), broken lines 10 ft (3.05 m)
  segments with 30 ft (9.14 m) gaps (3A.06), a yellow double centre line two normal lines a 4 in
  space apart (3B.01), white edge lines (3B.06), stop lines 12-24 in wide (0.45 m here), at least 4 ft
  (1.2 m) before the crosswalk (3B.16).
- ``eu``: German RMS (Richtlinien fuer die Markierung von Strassen, 1993), inside built-up areas:
  0.12 m lines, broken lines 3 m with 6 m gaps, a white solid centre line, 0.5 m stop lines (Zeichen 294)
  1 m before the crosswalk.

Paint is 4 mm thick (thermoplastic markings are laid 3-5 mm thick): the top face is 4 mm above the
road, enough for a 24-bit depth buffer not to mix it with the road at street ranges (the rays are nearly
grazing, so the two surfaces are centimetres apart along the ray), and a LiDAR ray hits the paint only
where the paint is. Road paint is retroreflective (glass beads, AASHTO M 247): LiDAR returns from
markings are much stronger than from asphalt, which is how mobile-mapping systems extract them (Guan et
al., ISPRS J. Photogramm. 87, 2014, 93-107); reflectivity 0.6 (white) and 0.5 (yellow) against the road's
0.1 (``pieces.PAINT_WHITE``, ``PAINT_YELLOW``; the crosswalks share the white).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from generator.world.intersection import crosswalks, half_roads, is_intersection
from generator.world.pieces import PAINT_WHITE, PAINT_YELLOW, procedural_choice, standing_entity
from generator.world.road import ROAD_START_X_M
from scenes import Entity, Material

STYLES = ("us", "eu")  # scene.markings.style
MARKING_THICKNESS_M = 0.004
EDGE_OFFSET_M = 0.3  # an edge line's centre this far from the curb
WHITE, YELLOW = PAINT_WHITE, PAINT_YELLOW


@dataclass(frozen=True)
class Style:
    line_width_m: float
    dash_m: float
    gap_m: float
    centre_lines: int  # 2: a double centre line
    centre_gap_m: float
    centre_material: Material
    stop_width_m: float
    stop_setback_m: float  # from the crosswalk's outer edge to the stop line's near edge


STYLE_DIMENSIONS = {
    "us": Style(0.15, 3.05, 9.14, 2, 0.10, YELLOW, 0.45, 1.2),
    "eu": Style(0.12, 3.0, 6.0, 1, 0.0, WHITE, 0.5, 1.0),
}


def _line(
    name: str, style: Style, x0: float, x1: float, y: float, kind: str, yaw: float = 0.0, shift_x: float = 0.0
) -> list[Entity]:
    """A line along the local x from ``x0`` to ``x1`` (m) at offset ``y`` (m) across, in the frame
    turned by ``yaw`` (rad) about the origin and moved ``shift_x`` (m) along world x: ``kind`` solid,
    dashed or centre. Empty if too short to hold one dash."""
    length = x1 - x0
    lines, gap_y, material = 1, 0.0, WHITE
    if kind == "centre":
        lines, gap_y, material = style.centre_lines, style.centre_gap_m, style.centre_material
    if kind == "dashed":
        count = int((length + style.gap_m) // (style.dash_m + style.gap_m))
        if count < 1:
            return []
        dash, gap = style.dash_m, style.gap_m
        length = count * dash + (count - 1) * gap
    else:
        if length <= 0.5:
            return []
        count, dash, gap = 1, length, 0.0
    params = {
        "dash_length": dash,
        "gap_length": gap,
        "count": count,
        "line_width": style.line_width_m,
        "lines": lines,
        "line_gap": gap_y,
        "thickness": MARKING_THICKNESS_M,
    }
    choice = procedural_choice("lane_line", params)
    cx, cy = x0 + length / 2.0, y
    c, s = np.cos(yaw), np.sin(yaw)
    wx, wy = c * cx - s * cy + shift_x, s * cx + c * cy
    return [standing_entity(name, 0, "road_marking", choice, float(wx), float(wy), 0.0, yaw, material)]


def _road_lines(
    prefix: str, style: Style, x0: float, x1: float, lanes: int, lane_w: float, yaw: float = 0.0, shift_x: float = 0.0
) -> list[Entity]:
    """Every longitudinal line of a two-way road along the local x from ``x0`` to ``x1`` (m): centre,
    lane lines of both directions, edge lines; the road centred on local y = 0 (frame: see :func:`_line`)."""
    half = lanes * lane_w
    out = _line(f"{prefix}_centre", style, x0, x1, 0.0, "centre", yaw, shift_x)
    for side, sign in (("right", -1.0), ("left", 1.0)):
        for k in range(1, lanes):
            out += _line(f"{prefix}_lane_{side}_{k}", style, x0, x1, sign * k * lane_w, "dashed", yaw, shift_x)
        out += _line(f"{prefix}_edge_{side}", style, x0, x1, sign * (half - EDGE_OFFSET_M), "solid", yaw, shift_x)
    return out


def marking_entities(layout: dict[str, Any], style_name: str) -> list[Entity]:
    """The road_marking entities of the layout (world frame: see ``generator.world.street``)."""
    style = STYLE_DIMENSIONS[style_name]
    lanes, w = int(layout["lanes_per_direction"]), float(layout["lane_width_m"])
    x_start, x_end = -ROAD_START_X_M, float(layout["road_length_m"]) - ROAD_START_X_M
    if not is_intersection(layout):
        return _road_lines("marking", style, x_start, x_end, lanes, w)
    return _intersection_lines(layout, style, lanes, w, x_start, x_end)


def stop_lines(layout: dict[str, Any], style: Style) -> dict[str, tuple[float, float, float, float]]:
    """Each arm's stop line: (centre x, centre y, yaw, span across its approach lanes), world m / rad.
    Its yaw is the line's own direction (across the traffic it stops)."""
    h1, h2 = half_roads(layout)
    cw = crosswalks(layout)
    back = style.stop_setback_m + style.stop_width_m / 2.0
    span1, span2 = h1 - EDGE_OFFSET_M, h2 - EDGE_OFFSET_M  # from the centre line to near the curb
    xj = layout["junction_x_m"]
    # right-hand traffic: the ego road's approach from the west drives on y < 0, from the east on y > 0;
    # the crossing road's approach from the south drives on x > xj, from the north on x < xj
    west_x = cw["west"][0] - cw["west"][3] / 2 - back
    east_x = cw["east"][0] + cw["east"][3] / 2 + back
    south_y = cw["south"][1] - cw["south"][3] / 2 - back
    north_y = cw["north"][1] + cw["north"][3] / 2 + back
    return {
        "west": (west_x, -span1 / 2.0, np.pi / 2, span1),
        "east": (east_x, span1 / 2.0, np.pi / 2, span1),
        "south": (xj + span2 / 2.0, south_y, 0.0, span2),
        "north": (xj - span2 / 2.0, north_y, 0.0, span2),
    }


def _intersection_lines(layout, style: Style, lanes: int, w: float, x_start: float, x_end: float) -> list[Entity]:
    """Lines along each arm up to its stop line's outer edge, and the four stop lines."""
    xj = float(layout["junction_x_m"])
    arm = float(layout["crossing_arm_length_m"])
    h1 = half_roads(layout)[0]
    crossing_lanes = int(layout["crossing_lanes_per_direction"])
    stops = stop_lines(layout, style)
    half_stop = style.stop_width_m / 2.0
    out = []
    out += _road_lines("marking_west", style, x_start, stops["west"][0] - half_stop, lanes, w)
    out += _road_lines("marking_east", style, stops["east"][0] + half_stop, x_end, lanes, w)
    # the crossing road runs along y: yaw pi/2 maps its local (x, y) to world (-y, x), then x moves by xj
    quarter = np.pi / 2
    out += _road_lines(
        "marking_south", style, -(h1 + arm), stops["south"][1] - half_stop, crossing_lanes, w, quarter, xj
    )
    out += _road_lines("marking_north", style, stops["north"][1] + half_stop, h1 + arm, crossing_lanes, w, quarter, xj)
    for name, (x, y, yaw, span) in stops.items():
        params = {
            "dash_length": span,
            "gap_length": 0.0,
            "count": 1,
            "line_width": style.stop_width_m,
            "lines": 1,
            "line_gap": 0.0,
            "thickness": MARKING_THICKNESS_M,
        }
        choice = procedural_choice("lane_line", params)
        out.append(standing_entity(f"stop_line_{name}", 0, "road_marking", choice, x, y, 0.0, yaw, WHITE))
    return out

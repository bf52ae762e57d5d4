"""Random road users at the intersection layout (``generator.world.intersection``): on both roads.

Those on the crossing road are drawn by the straight road's own rules and motion models
(``generator.world.street``) in the crossing road's frame (x along world +y, y along world -x, origin
at the junction's centre) and turned into the world frame, so both roads share one set of rules. An
attempt whose object would leave its surface (a pedestrian stepping off a sidewalk where a road
crosses, a parked car in the junction) is drawn again.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from generator.world.intersection import CROSSING_REACH_M, half_roads, junction_box, sidewalks
from generator.world.motion import Motion
from generator.world.pieces import ProposeMotion
from generator.world.street import PLACEMENT_RULES, road_proposer, road_user_motion, slot_across

CROSSING_ROAD_SHARE = 0.3  # share of placement attempts on the crossing road
SURFACE_TRIES = 8  # draws of an attempt until its object stays on its own surface, else the slot redraws
SURFACE_MARGIN_M = 0.2  # a sidewalk user's centre stays this far inside a sidewalk


def crossing_road(layout: dict[str, Any]) -> dict[str, Any]:
    """The crossing road as a straight road of its own (in its frame): its lanes, the same widths."""
    return {**layout, "lanes_per_direction": layout["crossing_lanes_per_direction"]}


def to_world(motion: Motion, layout: dict[str, Any]) -> Motion:
    """A motion in the crossing road's frame (x along world +y, y along world -x, origin at the
    junction's centre) in the world frame; its parameters say which road it is on."""
    along, across = motion.positions.T
    positions = np.column_stack([layout["junction_x_m"] - across, along])
    headings = np.angle(np.exp(1j * (motion.headings + np.pi / 2.0)))  # wrapped to (-pi, pi]
    return Motion(motion.model, {**motion.params, "road": "crossing"}, motion.times, positions, headings)


def proposer(cfg: Any, layout: dict[str, Any], times: np.ndarray) -> ProposeMotion:
    """The proposal function of ``pieces.place_slots`` at an intersection: an attempt lands on the
    crossing road with probability CROSSING_ROAD_SHARE, else on the ego's road by its rules; it is
    redrawn until its object stays on its own surface (see :func:`on_its_surface`)."""
    ego_road = road_proposer(cfg, layout, times)
    crossing = crossing_road(layout)
    h1 = half_roads(layout)[0]

    def on_crossing(category: str, choice, rng: np.random.Generator) -> tuple[Motion, float]:
        rule = PLACEMENT_RULES.get(category, "sidewalk")
        along = float(rng.uniform(h1 + 1.0, CROSSING_REACH_M)) * (1.0 if rng.uniform() < 0.5 else -1.0)
        start = (along, *slot_across(rule, crossing, rng))
        motion, z = road_user_motion(cfg, crossing, times, category, choice, rng, start)
        return to_world(motion, layout), z

    def propose(category: str, choice, rng: np.random.Generator) -> tuple[Motion, float] | None:
        for _ in range(SURFACE_TRIES):
            draw = on_crossing if rng.uniform() < CROSSING_ROAD_SHARE else ego_road
            motion, z = draw(category, choice, rng)
            if on_its_surface(motion, z, layout, choice.size_m[:2]):
                return motion, z
        return None

    return propose


def on_its_surface(
    motion: Motion, support_z: float, layout: dict[str, Any], size_m: tuple[float, float] = (0.0, 0.0)
) -> bool:
    """Whether an object stays where it stands: one on a sidewalk (``support_z`` > 0) inside the
    sidewalks at every keyframe (not stepping off where a road crosses), one standing still on the road
    with its whole footprint (``size_m``: length, width in metres, turned by its heading) outside the
    junction box and its crosswalks (no parked car or cone blocks the junction)."""
    points = motion.positions
    if support_z > 0.0:
        inside = np.zeros(len(points), dtype=bool)
        m = SURFACE_MARGIN_M
        for x0, x1, y0, y1 in sidewalks(layout).values():
            inside |= (
                (points[:, 0] >= x0 + m)
                & (points[:, 0] <= x1 - m)
                & (points[:, 1] >= y0 + m)
                & (points[:, 1] <= y1 - m)
            )
        return bool(inside.all())
    if np.ptp(points, axis=0).max() > 0.0:
        return True
    x0, x1, y0, y1 = junction_box(layout)
    reach = layout["crosswalk_setback_m"] + layout["crosswalk_width_m"]
    x, y = points[0]
    c, s = abs(np.cos(motion.headings[0])), abs(np.sin(motion.headings[0]))
    hx = 0.5 * (size_m[0] * c + size_m[1] * s)  # half extents of the turned footprint along x and y
    hy = 0.5 * (size_m[0] * s + size_m[1] * c)

    def overlaps(lo_x: float, hi_x: float, lo_y: float, hi_y: float) -> bool:
        return x + hx >= lo_x and x - hx <= hi_x and y + hy >= lo_y and y - hy <= hi_y

    # the box with the ego road's crosswalks, and with the crossing road's
    return not (overlaps(x0 - reach, x1 + reach, y0, y1) or overlaps(x0, x1, y0 - reach, y1 + reach))

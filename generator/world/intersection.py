"""The four-way intersection layout (``scene.layout=intersection``): the ego's road along x crossed by
a road along y at ``junction_x_m`` ahead, zebra crossings across each of the four arms, sidewalks along
every arm (open where the other road crosses), a building on each corner and rows of buildings along
every arm; random road users on both roads.

World frame as in ``generator.world.street``: z up, the ego's road along x (its lanes with y < 0 drive
towards +x), the ego starting at (0, -lane_width / 2). The crossing road's centre line is x =
``junction_x_m``; right-hand traffic drives towards +y at x > junction_x_m and towards -y at x <
junction_x_m. Both roads have the layout's lane width; the crossing road has
``crossing_lanes_per_direction`` lanes each way. The junction box is |x - junction_x_m| <=
``crossing_half_width_m``, |y| <= the ego road's half width; each crosswalk lies
``crosswalk_setback_m`` outside it.

This module holds the geometry and the scenery (scenarios read it); ``intersection_traffic`` places
the random road users on both roads.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from generator.world.distributions import sample
from generator.world.facades import Facade, no_facade
from generator.world.pieces import PAINT_WHITE, grey_material, procedural_choice, standing_entity
from generator.world.road import CURB_HEIGHT_M, ROAD_START_X_M
from scenes import Entity

LAYOUTS = ("straight", "intersection")  # scene.layout
STRAIGHT, INTERSECTION = LAYOUTS
CROSSWALK_WIDTH_M = 3.0  # a zebra crossing's bars, along the traffic they cross (2.5-4 m is common)
CROSSWALK_SETBACK_M = 1.0  # between the junction box and the crosswalk
CROSSWALK_CURB_GAP_M = 0.3  # the bars stop this far short of each curb
BUILDING_DEPTH_M = 10.0  # every building's extent away from its road, as on the straight street
CROSSING_REACH_M = 40.0  # crossing-road users start up to this far from the ego road's centre line
MIN_BUILDING_M = 4.0  # a row's last building is cut to fit; shorter than this, it is left out

# the junction's draws come from the "context" stream under this subkey (the scenery itself draws from
# the stream's root): a new stream would change every scene's recorded seeds
JUNCTION_SUBKEY = 1

Rect = tuple[float, float, float, float]  # x0, x1, y0, y1 (world m), axis-aligned


def is_intersection(layout: dict[str, Any]) -> bool:
    return layout.get("layout") == INTERSECTION


def sample_junction(cfg: Any, rng: np.random.Generator, layout: dict[str, Any]) -> dict[str, Any]:
    """The layout's intersection entries, drawn from ``cfg`` (scene config) with their own generator
    (the straight layout's draws do not move): where the crossing road is and its lanes."""
    lanes = int(sample("scene.crossing_lanes_per_direction", cfg.crossing_lanes_per_direction, rng))
    distance = float(sample("scene.junction_distance_m", cfg.junction_distance_m, rng))
    arm = max(float(layout["view_range_m"]), CROSSING_REACH_M) + 15.0 * float(layout["duration_s"]) + 20.0
    entries = {
        "layout": INTERSECTION,
        "crossing_lanes_per_direction": lanes,
        "crossing_half_width_m": lanes * float(layout["lane_width_m"]),
        "crossing_arm_length_m": arm,  # each arm from the ego road's curb outwards
        "crosswalk_width_m": CROSSWALK_WIDTH_M,
        "crosswalk_setback_m": CROSSWALK_SETBACK_M,
    }
    return {**entries, **junction_at({**layout, **entries}, distance)}


def junction_at(layout: dict[str, Any], junction_x: float) -> dict[str, Any]:
    """Entries that put the crossing road's centre line at ``junction_x`` (world m): the ego road runs
    on past it at least its view range (a scenario may move the junction: ``ScenarioPlan.junction_x_m``)."""
    past = float(layout.get("crossing_half_width_m", 0.0)) + float(layout["view_range_m"])
    road_length = max(float(layout["road_length_m"]), ROAD_START_X_M + junction_x + past)
    return {"junction_x_m": float(junction_x), "road_length_m": road_length}


def half_roads(layout: dict[str, Any]) -> tuple[float, float]:
    """Half widths (m) of the ego road (along x) and of the crossing road (along y)."""
    return layout["lanes_per_direction"] * layout["lane_width_m"], layout["crossing_half_width_m"]


def junction_box(layout: dict[str, Any]) -> Rect:
    """Where the two roads overlap."""
    h1, h2 = half_roads(layout)
    xj = layout["junction_x_m"]
    return (xj - h2, xj + h2, -h1, h1)


def crosswalks(layout: dict[str, Any]) -> dict[str, tuple[float, float, float, float, float]]:
    """Each arm's crosswalk by arm name (west: the ego's arm, before the junction; east; south: y < 0;
    north): (centre x, centre y, yaw, length along the traffic, span across the road), world m / rad.
    A crosswalk's bars lie along its yaw (the traffic's direction)."""
    h1, h2 = half_roads(layout)
    xj, width = layout["junction_x_m"], layout["crosswalk_width_m"]
    off = layout["crosswalk_setback_m"] + width / 2.0
    span1, span2 = 2 * (h1 - CROSSWALK_CURB_GAP_M), 2 * (h2 - CROSSWALK_CURB_GAP_M)
    return {
        "west": (xj - h2 - off, 0.0, 0.0, width, span1),
        "east": (xj + h2 + off, 0.0, 0.0, width, span1),
        "south": (xj, -(h1 + off), np.pi / 2, width, span2),
        "north": (xj, h1 + off, np.pi / 2, width, span2),
    }


def ego_crosswalk_x(layout: dict[str, Any]) -> tuple[float, float]:
    """x span (world m) of the crosswalk across the ego's road before the junction."""
    x, _, _, width, _ = crosswalks(layout)["west"]
    return x - width / 2.0, x + width / 2.0


def junction_for_crosswalk(layout: dict[str, Any], crossing_x: float) -> float:
    """The junction x (world m) that centres the ego arm's crosswalk on ``crossing_x``."""
    return crossing_x + layout["crosswalk_setback_m"] + layout["crosswalk_width_m"] / 2.0 + half_roads(layout)[1]


def sidewalks(layout: dict[str, Any]) -> dict[str, Rect]:
    """The sidewalks by name: along the ego road (right: y < 0, left), each cut open where the crossing
    road passes (the corner squares belong to them), and along the crossing road's four half-arms."""
    h1, h2 = half_roads(layout)
    xj, sw, arm = layout["junction_x_m"], layout["sidewalk_width_m"], layout["crossing_arm_length_m"]
    x_start, x_end = -ROAD_START_X_M, layout["road_length_m"] - ROAD_START_X_M
    rects: dict[str, Rect] = {}
    for side, sy in (("right", -1.0), ("left", 1.0)):
        y0, y1 = sorted((sy * h1, sy * (h1 + sw)))
        rects[f"sidewalk_{side}_near"] = (x_start, xj - h2, y0, y1)
        rects[f"sidewalk_{side}_far"] = (xj + h2, x_end, y0, y1)
    for arm_name, sy in (("south", -1.0), ("north", 1.0)):
        y0, y1 = sorted((sy * (h1 + sw), sy * (h1 + arm)))
        for side, sx in (("west", -1.0), ("east", 1.0)):
            x0, x1 = sorted((xj + sx * h2, xj + sx * (h2 + sw)))
            rects[f"sidewalk_{arm_name}_{side}"] = (x0, x1, y0, y1)
    return rects


def context_entities(
    cfg: Any, layout: dict[str, Any], rng: np.random.Generator, facade: Facade = no_facade
) -> list[Entity]:
    """Scenery (instance id 0): both roads, the sidewalks, the four crosswalks, the corner buildings and
    the building rows along every arm; building k gets ``facade(k)``'s parameters, its street side (the
    asset's +y) turned to its road (corner buildings: to the ego's road)."""
    h1, h2 = half_roads(layout)
    xj, arm = layout["junction_x_m"], layout["crossing_arm_length_m"]
    length = layout["road_length_m"]
    asphalt = grey_material(0.18, 0.95, 0.1)
    road = procedural_choice("road", {"length": length, "width": 2 * h1, "thickness": 0.1})
    entities = [standing_entity("road", 0, "road", road, length / 2.0 - ROAD_START_X_M, 0.0, -0.1, 0.0, asphalt)]
    crossing = procedural_choice("road", {"length": arm, "width": 2 * h2, "thickness": 0.1})
    for name, sy in (("south", -1.0), ("north", 1.0)):
        y = sy * (h1 + arm / 2.0)
        entities.append(standing_entity(f"road_{name}", 0, "road", crossing, xj, y, -0.1, np.pi / 2, asphalt))
    for name, (x0, x1, y0, y1) in sidewalks(layout).items():
        walk = procedural_choice("sidewalk", {"length": x1 - x0, "width": y1 - y0, "curb_height": CURB_HEIGHT_M})
        entities.append(
            standing_entity(name, 0, "sidewalk", walk, (x0 + x1) / 2, (y0 + y1) / 2, 0.0, 0.0, grey_material(0.55))
        )
    paint = PAINT_WHITE  # the lane lines' paint (generator.world.markings)
    for name, (x, y, yaw, width, span) in crosswalks(layout).items():
        params = {"length": width, "width": span, "stripe_width": 0.5, "gap": 0.5, "thickness": 0.01}
        marking = procedural_choice("crosswalk", params)
        entities.append(standing_entity(f"crosswalk_{name}", 0, "road_marking", marking, x, y, 0.0, yaw, paint))
    return entities + _buildings(cfg, layout, rng, facade)


def _buildings(cfg: Any, layout: dict[str, Any], rng: np.random.Generator, facade: Facade) -> list[Entity]:
    """A building on each corner, rows along the ego road up to the corners, rows along the crossing
    road's arms beyond them. Rows stand just behind their sidewalk, as on the straight street."""
    h1, h2 = half_roads(layout)
    xj, sw, arm = layout["junction_x_m"], layout["sidewalk_width_m"], layout["crossing_arm_length_m"]
    x_start, x_end = -ROAD_START_X_M, layout["road_length_m"] - ROAD_START_X_M
    depth = BUILDING_DEPTH_M
    near_x, far_x = xj - h2 - sw - depth - 1.0, xj + h2 + sw + depth + 1.0  # past the corner buildings
    out: list[tuple[str, float, float, float, float, float]] = []  # name, centre x, y, length x, width y, yaw
    for side, sy in (("right", -1.0), ("left", 1.0)):
        y = sy * (h1 + sw + depth / 2.0 + float(rng.uniform(0.0, 1.5)))
        for part, (a, b) in (("near", (x_start, near_x)), ("far", (far_x, x_end))):
            yaw = 0.0 if sy < 0 else np.pi  # the facade (+y) towards the road
            out += [
                (f"building_{side}_{part}_{k:02d}", c, y, n, depth, yaw) for k, (c, n) in enumerate(_row(rng, a, b))
            ]
    for arm_name, sy in (("south", -1.0), ("north", 1.0)):
        for side, sx in (("west", -1.0), ("east", 1.0)):
            x_corner = xj + sx * (h2 + sw + depth / 2.0 + float(rng.uniform(0.0, 1.0)))
            y_corner = sy * (h1 + sw + depth / 2.0 + float(rng.uniform(0.0, 1.0)))
            out.append(
                (f"building_corner_{arm_name}_{side}", x_corner, y_corner, depth, depth, 0.0 if sy < 0 else np.pi)
            )
            x = xj + sx * (h2 + sw + depth / 2.0 + float(rng.uniform(0.0, 1.5)))
            row = _row(rng, h1 + sw + depth + 1.0, h1 + arm)
            yaw = sx * np.pi / 2  # the facade (+y, turned to (-sin yaw, cos yaw)) towards the crossing road
            out += [(f"building_{arm_name}_{side}_{k:02d}", x, sy * c, depth, n, yaw) for k, (c, n) in enumerate(row)]
    entities = []
    for k, (name, x, y, size_x, size_y, yaw) in enumerate(out):
        height = float(sample("scene.building_height_m", cfg.building_height_m, rng))
        # the asset's length runs along its facade: along world y for a building turned a quarter
        length, width = (size_y, size_x) if abs(np.sin(yaw)) > 0.5 else (size_x, size_y)
        block = procedural_choice("building", {"length": length, "width": width, "height": height, **facade(k)})
        level = float(rng.uniform(0.35, 0.8))
        entities.append(standing_entity(name, 0, "building", block, x, y, 0.0, yaw, grey_material(level, 0.8, 0.4)))
    return entities


def _row(rng: np.random.Generator, start: float, stop: float) -> list[tuple[float, float]]:
    """Buildings (centre, length) m along a row from ``start`` to ``stop``: 8-20 m long, 0.5-4 m apart,
    the last one cut to end at ``stop``."""
    row = []
    at = start
    while stop - at >= MIN_BUILDING_M:
        length = min(float(rng.uniform(8.0, 20.0)), stop - at)
        row.append((at + length / 2.0, length))
        at += length + float(rng.uniform(0.5, 4.0))
    return row

"""Street furniture along the sidewalks: traffic lights at the intersection's approaches, traffic signs,
poles and bollards, trees near the curb; benches, litter bins and bushes against the building side.

Labelled categories (``traffic_light``, ``traffic_sign``, ``pole``) get instance ids after the road
users; trees and bushes (``vegetation``) and benches and bins (``street_furniture``) are context
(instance id 0). Every draw comes from the ``furniture`` stream, keyed by (sidewalk strip, kind), so the
road users' draws do not move; the items' footprints are registered with the street's placer after the
ego and the scenario's critical actors and before the random road users, so nothing is placed into a
pole (a road user whose attempt would overlap one draws its next attempt) and no furniture stands in a
critical actor's path or line of sight (such an item is left out).

World frame as in ``generator.world.street``; a strip's ``inward`` points from its curb into the
sidewalk. With right-hand traffic the lane next to a curb drives along ``(-inward_y, inward_x)``, so
signs and signals on that curb face ``(inward_y, -inward_x)``: towards the traffic coming at them.
Placement follows common practice: signs 0.6 m from the curb face (MUTCD (2009) 2A.19: at least 2 ft),
trees in a 1 m tree pit 1.1 m from the curb with their crowns kept over the sidewalk, benches and bins
against the building side facing the road.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from assets.procedural import PROCEDURAL_ASSETS
from assets.surfaces import SURFACES
from generator.world.intersection import half_roads, is_intersection, sidewalks
from generator.world.markings import STYLE_DIMENSIONS, stop_lines
from generator.world.pieces import AssetChoice, procedural_choice, standing_entity
from generator.world.placement import Footprint, Placer
from generator.world.road import CURB_HEIGHT_M, ROAD_START_X_M
from generator.world.seeding import rng_for
from scenes import Entity

LABELLED_KINDS = ("traffic_light", "traffic_sign", "pole")
FURNITURE_ASSETS = (*LABELLED_KINDS, "tree", "bush", "bench", "litter_bin")
SIGN_CURB_M = 0.6
POLE_CURB_M = 0.4
TREE_CURB_M = 1.1
TREE_PIT_M = 1.0  # the tree grate / pit the trunk stands in: what pedestrians walk around
CROWN_OVERHANG_M = 0.3  # a crown (at least 2.5 m up) may reach this far over the road's edge
STRIP_END_M = 1.0  # nothing closer than this to a strip's ends (corners, crosswalk landings)
FURNITURE_GAP_M = 0.3  # between two items of furniture
# the entity's own material (what the whole mesh shows until a renderer draws parts by surface)
MAIN_SURFACE = {
    "traffic_light": "signal_housing",
    "traffic_sign": "pole_metal",
    "pole": "pole_metal",
    "tree": "foliage",
    "bush": "foliage",
    "bench": "wood",
    "litter_bin": "pole_metal",
}
# kind -> (config key of its spacing, distance from the curb; None: against the building side)
SPACED = {
    "tree": ("tree_spacing_m", TREE_CURB_M),
    "traffic_sign": ("sign_spacing_m", SIGN_CURB_M),
    "pole": ("pole_spacing_m", POLE_CURB_M),
    "bench": ("bench_spacing_m", None),
    "litter_bin": ("bin_spacing_m", None),
    "bush": ("bush_spacing_m", None),
}


@dataclass(frozen=True)
class Strip:
    """A sidewalk along its curb: the curb's start (x, y), unit vectors ``along`` the curb and
    ``inward`` (from the road into the sidewalk), length and width (m)."""

    name: str
    x: float
    y: float
    along: tuple[float, float]
    inward: tuple[float, float]
    length: float
    width: float

    def point(self, s: float, d: float) -> tuple[float, float]:
        """World (x, y) at ``s`` m along the curb and ``d`` m into the sidewalk."""
        return (self.x + s * self.along[0] + d * self.inward[0], self.y + s * self.along[1] + d * self.inward[1])

    def facing_traffic(self) -> float:
        """Yaw (rad) of something on this curb facing the traffic in the lane next to it."""
        return float(np.arctan2(-self.inward[0], self.inward[1]))

    def facing_road(self) -> float:
        return float(np.arctan2(-self.inward[1], -self.inward[0]))


@dataclass(frozen=True)
class Item:
    """One item of furniture: asset choice, name, world (x, y), yaw (rad); ``ground``: its footprint
    for the street's placer (a tree's pit; other items their box's), ``reach``: the footprint of its
    whole box (furniture keeps its boxes apart)."""

    kind: str
    name: str
    choice: AssetChoice
    x: float
    y: float
    yaw: float
    ground: Footprint
    reach: Footprint


def strips(layout: dict[str, Any]) -> list[Strip]:
    """The layout's sidewalks as strips along their curbs."""
    sw = float(layout["sidewalk_width_m"])
    if not is_intersection(layout):
        half = layout["lanes_per_direction"] * layout["lane_width_m"]
        length = float(layout["road_length_m"])
        return [
            Strip("right", -ROAD_START_X_M, -half, (1.0, 0.0), (0.0, -1.0), length, sw),
            Strip("left", -ROAD_START_X_M, half, (1.0, 0.0), (0.0, 1.0), length, sw),
        ]
    h1, h2 = half_roads(layout)
    xj = float(layout["junction_x_m"])
    out = []
    for name, (x0, x1, y0, y1) in sidewalks(layout).items():
        parts = name.split("_")  # sidewalk_<side>_<near|far> or sidewalk_<arm>_<west|east>
        if parts[1] in ("right", "left"):
            sy = -1.0 if parts[1] == "right" else 1.0
            out.append(Strip(name, x0, sy * h1, (1.0, 0.0), (0.0, sy), x1 - x0, sw))
        else:
            sx = -1.0 if parts[2] == "west" else 1.0
            out.append(Strip(name, xj + sx * h2, y0, (0.0, 1.0), (sx, 0.0), y1 - y0, sw))
    return out


def plan_furniture(cfg: Any, layout: dict[str, Any], root_seed: int, index: int) -> list[Item]:
    """Every item the layout's sidewalks get under ``cfg`` (scene.furniture), their boxes apart from
    each other; empty when furniture is disabled."""
    if not cfg.enabled:
        return []
    local = Placer(margin=FURNITURE_GAP_M)
    items: list[Item] = []
    all_strips = strips(layout)
    if is_intersection(layout) and cfg.traffic_lights:
        items += _traffic_lights(layout, {s.name: s for s in all_strips}, rng_for(root_seed, index, "furniture"))
    for item in items:
        local.try_place(item.reach)
    for k, strip in enumerate(all_strips):
        for j, (kind, (key, curb_d)) in enumerate(SPACED.items()):
            rng = rng_for(root_seed, index, "furniture", k + 1, j)
            for item in _spaced(strip, kind, float(getattr(cfg, key)), curb_d, rng):
                if local.try_place(item.reach):
                    items.append(item)
    return items


def _item(kind: str, name: str, choice: AssetChoice, x: float, y: float, yaw: float) -> Item:
    length, width = choice.size_m[:2]
    reach = Footprint(x, y, length, width, yaw)
    ground = Footprint(x, y, TREE_PIT_M, TREE_PIT_M, yaw) if kind == "tree" else reach
    return Item(kind, name, choice, x, y, yaw, ground, reach)


def _spaced(strip: Strip, kind: str, spacing: float, curb_d: float | None, rng: np.random.Generator) -> list[Item]:
    """Items of ``kind`` every ``spacing`` m (jittered by up to a fifth of it) along the strip."""
    out = []
    usable = strip.length - 2 * STRIP_END_M
    offset = float(rng.uniform(0.0, spacing))
    for k, s in enumerate(np.arange(offset, usable, spacing)):
        s = float(np.clip(s + rng.uniform(-0.2, 0.2) * spacing, 0.0, usable)) + STRIP_END_M
        params = PROCEDURAL_ASSETS[kind].sample(rng)
        d = curb_d
        if kind == "tree":  # the crown stays over the sidewalk (and at most CROWN_OVERHANG_M over the road)
            limit = 2 * min(TREE_CURB_M + CROWN_OVERHANG_M, strip.width - TREE_CURB_M)
            params["crown_diameter"] = min(params["crown_diameter"], limit)
        yaw = strip.facing_traffic() if kind in ("traffic_sign",) else strip.facing_road()
        choice = procedural_choice(kind, params)
        if d is None:  # against the building side: its depth (along its x once turned to face the road)
            d = strip.width - choice.size_m[0] / 2.0 - 0.05
        if d <= 0 or (kind == "tree" and strip.width < TREE_CURB_M + TREE_PIT_M / 2):
            continue
        x, y = strip.point(s, d)
        out.append(_item(kind, f"{kind}_{strip.name}_{k:02d}", choice, x, y, yaw))
    return out


def _traffic_lights(layout: dict[str, Any], by_name: dict[str, Strip], rng: np.random.Generator) -> list[Item]:
    """One pole-mounted signal per approach, on the approach's right-hand corner at its stop line."""
    style = STYLE_DIMENSIONS["us"]  # the stop line's place only: both styles put it within 0.2 m
    stops = stop_lines(layout, style)
    where = {  # approach -> (strip, the stop line's coordinate along that strip's curb)
        "west": ("sidewalk_right_near", stops["west"][0]),
        "east": ("sidewalk_left_far", stops["east"][0]),
        "south": ("sidewalk_south_east", stops["south"][1]),
        "north": ("sidewalk_north_west", stops["north"][1]),
    }
    out = []
    for approach, (strip_name, at) in where.items():
        strip = by_name[strip_name]
        s = (at - strip.x) if strip.along[0] else (at - strip.y)
        x, y = strip.point(s, SIGN_CURB_M)
        params = PROCEDURAL_ASSETS["traffic_light"].sample(rng)
        choice = procedural_choice("traffic_light", params)
        out.append(_item("traffic_light", f"traffic_light_{approach}", choice, x, y, strip.facing_traffic()))
    return out


def register(items: list[Item], placer: Placer) -> list[Item]:
    """The items whose ground footprints ``placer`` accepts (registered there), in order."""
    return [item for item in items if placer.try_place(item.ground)]


def furniture_entities(items: list[Item], first_id: int) -> list[Entity]:
    """Entities of the placed items, standing on the sidewalk (curb height): labelled kinds with
    instance ids ``first_id``, ``first_id + 1``, ... in order, the others context (id 0)."""
    entities = []
    for item in items:
        labelled = item.kind in LABELLED_KINDS
        iid = first_id + sum(e.is_labelled for e in entities) if labelled else 0
        category = PROCEDURAL_ASSETS[item.kind].category
        material = SURFACES[MAIN_SURFACE[item.kind]]
        name = item.name if not labelled else f"{item.name}_{iid:03d}"
        entities.append(
            standing_entity(name, iid, category, item.choice, item.x, item.y, CURB_HEIGHT_M, item.yaw, material)
        )
    return entities


def is_furniture(entity: Entity) -> bool:
    return entity.asset.source == "procedural" and entity.asset.name in FURNITURE_ASSETS

"""The category taxonomy: the one place category names and ids are defined.

Labelled categories get ids 1..N in this order (0 = background). Context categories (road, sidewalk,
building, table) are scenery: they are rendered and occlude, but carry instance id 0 and no labels.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    id: int
    name: str
    supercategory: str


# Order is the id order: append new categories at the end so existing ids never change.
_LABELLED = [
    ("car", "vehicle"),
    ("truck", "vehicle"),
    ("bus", "vehicle"),
    ("pedestrian", "person"),
    ("cyclist", "person"),
    ("traffic_cone", "traffic_object"),
    ("barrier", "traffic_object"),
    ("box", "household_object"),
    ("can", "household_object"),
    ("bottle", "household_object"),
    ("mug", "household_object"),
    ("bowl", "household_object"),
    ("book", "household_object"),
    ("tire", "road_hazard"),  # a lost tyre lying on the road (scenario road_debris)
    ("debris", "road_hazard"),  # lost cargo: boxes, a pallet
    ("animal", "animal"),  # a quadruped, dog to deer size
    ("motorcycle", "vehicle"),  # a motorcycle without its rider (parked)
    ("traffic_light", "street_furniture"),  # a signal head on its pole
    ("traffic_sign", "street_furniture"),  # a sign plate on its post
    ("pole", "street_furniture"),  # a sign-less post or a bollard
]

CATEGORIES: tuple[Category, ...] = tuple(Category(i + 1, n, s) for i, (n, s) in enumerate(_LABELLED))
# Append only: a context category's semantic id is its index here (road_marking: crosswalk stripes).
# weather: LiDAR and radar returns from fog, rain and snow (instance id 0); street_light: lamp posts;
# road_marking also holds lane lines and stop lines.
CONTEXT_CATEGORIES: tuple[str, ...] = (
    "road",
    "sidewalk",
    "building",
    "table",
    "ground",
    "road_marking",
    "weather",
    "street_light",
    "vegetation",  # trees and bushes
    "street_furniture",  # benches and litter bins
    "manhole",  # manhole covers in the road
)

_BY_NAME = {c.name: c for c in CATEGORIES}


def category_id(name: str) -> int:
    """Id of a labelled category; raises KeyError naming the unknown category."""
    try:
        return _BY_NAME[name].id
    except KeyError:
        raise KeyError(f"unknown category {name!r}; known: {', '.join(_BY_NAME)}") from None


def category_table(names: list[str] | None = None) -> list[dict]:
    """The dataset's category table as JSON-ready dicts (all labelled categories when names is None)."""
    chosen = CATEGORIES if names is None else [_BY_NAME[n] for n in names]
    return [{"id": c.id, "name": c.name, "supercategory": c.supercategory} for c in chosen]


# Semantic ids of context (unlabelled) surfaces in LiDAR points and radar detections: after a gap, so
# labelled category ids can grow without renumbering them.
CONTEXT_SEMANTIC_BASE = 100


def semantic_id(name: str) -> int:
    """Semantic class id of any category name: the labelled category id (1..N), or
    CONTEXT_SEMANTIC_BASE + index for context categories (road 100, sidewalk 101, building 102, table 103,
    ground 104, road_marking 105, weather 106, street_light 107, vegetation 108,
    street_furniture 109, manhole 110); 0 for unknown names (nothing)."""
    if name in _BY_NAME:
        return _BY_NAME[name].id
    if name in CONTEXT_CATEGORIES:
        return CONTEXT_SEMANTIC_BASE + CONTEXT_CATEGORIES.index(name)
    return 0

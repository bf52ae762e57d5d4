"""Bundled procedural assets: deterministic builders from named parameters, plus samplers that draw
those parameters from an explicit ``numpy.random.Generator``.

Every builder returns a trimesh in the object frame of DESIGN.md: metres, x forward (length), y left
(width), z up (height), origin at the centre of the mesh's axis-aligned bounding box. The builders live
in ``vehicles`` (cars of five body types, trucks, buses: made of surface parts, ``build_parts``), ``street``
(people, traffic objects, road/sidewalk/building, and the box-and-wheels vehicles of before), ``hazards`` (a lost tyre,
lost cargo, an animal) and ``tabletop`` (table and household objects); this module is the registry
mapping asset names to them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from assets._trimesh import trimesh
from assets.procedural import facades, hazards, street, streetscape, tabletop, vehicles
from assets.procedural.base import ProceduralAsset, centred


def build_box(length: float, width: float, height: float) -> trimesh.Trimesh:
    """A closed box of the given size in metres."""
    return trimesh.creation.box(extents=(length, width, height))


def sample_box(rng: np.random.Generator) -> dict[str, Any]:
    """A small household carton, 8-30 cm per side."""
    return {k: float(rng.uniform(0.08, 0.30)) for k in ("length", "width", "height")}


def _entry(name: str, category: str, module: Any) -> ProceduralAsset:
    """The registry record for ``build_<name>`` / ``sample_<name>`` (and ``build_<name>_parts`` where the
    module has one) in ``module``."""
    parts = getattr(module, f"build_{name}_parts", None)
    return ProceduralAsset(
        name, category, getattr(module, f"build_{name}"), getattr(module, f"sample_{name}"), build_parts=parts
    )


# Asset name -> record. Each asset is named after the category it depicts (context assets after their
# context category); variants get their own names in the same category (debris: cargo_box, pallet).
_VEHICLES = ("car", "truck", "bus", "motorcycle")  # vehicles.build_<name>_parts: surface parts
_STREET = ("pedestrian", "cyclist", "traffic_cone", "barrier", "road", "sidewalk")
_TABLETOP = ("table", "can", "bottle", "mug", "bowl", "book")
# road hazards: asset name -> category (lost cargo comes in two shapes, both labelled `debris`)
_HAZARDS = {"tire": "tire", "cargo_box": "debris", "pallet": "debris", "animal": "animal"}
# street furniture and markings (issue 16): asset name -> category (labelled or context)
_STREETSCAPE = {
    "lane_line": "road_marking",
    "traffic_light": "traffic_light",
    "traffic_sign": "traffic_sign",
    "pole": "pole",
    "tree": "vegetation",
    "bush": "vegetation",
    "bench": "street_furniture",
    "litter_bin": "street_furniture",
    "manhole": "manhole",
}

PROCEDURAL_ASSETS: dict[str, ProceduralAsset] = {
    "box": ProceduralAsset("box", "box", build_box, sample_box),
    **{name: _entry(name, name, vehicles) for name in _VEHICLES},
    **{name: _entry(name, name, street) for name in _STREET},
    **{name: _entry(name, name, tabletop) for name in _TABLETOP},
    **{name: _entry(name, category, hazards) for name, category in _HAZARDS.items()},
    **{name: _entry(name, category, streetscape) for name, category in _STREETSCAPE.items()},
    "building": _entry("building", "building", facades),  # a block with its street facade
    # named after what it is, labelled by the context category it belongs to
    "crosswalk": ProceduralAsset("crosswalk", "road_marking", street.build_crosswalk, street.sample_crosswalk),
    # a cyclist's bicycle without its rider (the rider is an articulated person): never drawn for a
    # category of its own, so its category is no category's name
    "bicycle": ProceduralAsset("bicycle", "bicycle", street.build_bicycle, street.sample_cyclist),
}


def get_procedural(name: str) -> ProceduralAsset:
    """The registered builder ``name``; KeyError names the unknown asset."""
    try:
        return PROCEDURAL_ASSETS[name]
    except KeyError:
        raise KeyError(f"unknown procedural asset {name!r}; known: {', '.join(sorted(PROCEDURAL_ASSETS))}") from None


__all__ = ["PROCEDURAL_ASSETS", "ProceduralAsset", "build_box", "centred", "get_procedural", "sample_box"]

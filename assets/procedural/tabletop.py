"""Tabletop assets: the table (context) and household objects that stand on it.

Each ``build_<name>`` is deterministic in its named parameters (metres) and returns one trimesh in the
object frame: x forward (length), y left (width), z up, origin at the centre of the axis-aligned
bounds. Round objects are surfaces of revolution about z; each ``sample_<name>(rng)`` draws realistic
sizes as plain Python floats. The ``box`` carton lives in the registry module.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from assets._trimesh import trimesh
from assets.procedural.base import assemble, box_between, revolved, uniform


def build_table(length: float, width: float, height: float, top_thickness: float, leg_width: float) -> trimesh.Trimesh:
    """A four-legged table: a top slab and square legs inset from its corners.

    Args:
        length, width: top size along x and y, metres.
        height: floor to top surface, metres.
        top_thickness: thickness of the top slab, metres.
        leg_width: side of the square legs, metres.
    """
    under = height - top_thickness
    parts = [box_between((-length / 2, -width / 2, under), (length / 2, width / 2, height))]
    inset = 0.04 + leg_width / 2  # legs stand a few centimetres in from the edge, like real tables
    for sx in (-1, 1):
        for sy in (-1, 1):
            cx, cy = sx * (length / 2 - inset), sy * (width / 2 - inset)
            lo = (cx - leg_width / 2, cy - leg_width / 2, 0.0)
            parts.append(box_between(lo, (cx + leg_width / 2, cy + leg_width / 2, under)))
    return assemble(parts)


def sample_table(rng: np.random.Generator) -> dict[str, Any]:
    """A dining or desk table: 0.8-1.8 m by 0.6-1.0 m, 0.7-0.78 m high."""
    return {
        "length": uniform(rng, 0.8, 1.8),
        "width": uniform(rng, 0.6, 1.0),
        "height": uniform(rng, 0.7, 0.78),
        "top_thickness": uniform(rng, 0.02, 0.05),
        "leg_width": uniform(rng, 0.04, 0.08),
    }


def build_can(radius: float, height: float) -> trimesh.Trimesh:
    """A closed beverage or food can: a cylinder with slightly necked-in top and bottom rims.

    Args:
        radius: body radius in metres. height: metres.
    """
    profile = [(0.0, 0.0), (0.9 * radius, 0.0), (radius, 0.05 * height), (radius, 0.93 * height),
               (0.88 * radius, height), (0.0, height)]  # fmt: skip
    return assemble([revolved(profile, sections=20)])


def sample_can(rng: np.random.Generator) -> dict[str, Any]:
    """A drinks or food can: 52-84 mm diameter, 9-17 cm tall."""
    return {"radius": uniform(rng, 0.026, 0.042), "height": uniform(rng, 0.09, 0.17)}


def build_bottle(
    radius: float, height: float, neck_radius: float, neck_length: float, shoulder_length: float
) -> trimesh.Trimesh:
    """A closed bottle: cylindrical body, conical shoulder, cylindrical neck (one revolved profile).

    Args:
        radius: body radius in metres. height: base to mouth, metres.
        neck_radius, neck_length: the neck's radius and length, metres.
        shoulder_length: height of the cone joining body and neck, metres.
    """
    body_top = height - neck_length - shoulder_length
    profile = [(0.0, 0.0), (radius, 0.0), (radius, body_top), (neck_radius, body_top + shoulder_length),
               (neck_radius, height), (0.0, height)]  # fmt: skip
    return assemble([revolved(profile, sections=20)])


def sample_bottle(rng: np.random.Generator) -> dict[str, Any]:
    """A water, soda or wine bottle: 18-33 cm tall, 56-90 mm diameter."""
    return {
        "radius": uniform(rng, 0.028, 0.045),
        "height": uniform(rng, 0.18, 0.33),
        "neck_radius": uniform(rng, 0.011, 0.016),
        "neck_length": uniform(rng, 0.03, 0.07),
        "shoulder_length": uniform(rng, 0.03, 0.07),
    }


def _mug_handle(radius: float, height: float, wall_thickness: float, handle_radius: float) -> trimesh.Trimesh:
    """A half-ring handle in the x-z plane on the mug's +x side, its ends buried in the wall."""
    tilt = trimesh.transformations.rotation_matrix(np.pi / 2, [1, 0, 0])  # torus axis z -> y
    tilt[:3, 3] = (radius, 0.0, height / 2)
    ring = trimesh.creation.torus(handle_radius, 0.2 * handle_radius, major_sections=16, minor_sections=8,
                                  transform=tilt)  # fmt: skip
    # Keep only the half outside the wall: the inner half would otherwise poke into the cavity.
    keep = (ring.vertices[ring.faces][:, :, 0] >= radius - wall_thickness / 2).all(axis=1)
    ring.update_faces(keep)
    ring.remove_unreferenced_vertices()
    return ring


def build_mug(radius: float, height: float, wall_thickness: float, handle_radius: float) -> trimesh.Trimesh:
    """An open mug: a hollow cylinder with a floor, and a ring handle sticking out along +x.

    Because the handle is part of the bounds, the cup's axis lies behind the origin (at negative x).

    Args:
        radius: outer radius of the cup, metres. height: metres.
        wall_thickness: wall and floor thickness, metres.
        handle_radius: radius of the handle's loop (centre line), metres; its bar is 0.2x that thick.
    """
    inner = radius - wall_thickness
    profile = [(0.0, 0.0), (radius, 0.0), (radius, height), (inner, height), (inner, wall_thickness),
               (0.0, wall_thickness)]  # fmt: skip
    body = revolved(profile, sections=24)
    return assemble([body, _mug_handle(radius, height, wall_thickness, handle_radius)])


def sample_mug(rng: np.random.Generator) -> dict[str, Any]:
    """A coffee mug: 74-100 mm diameter, 8-11.5 cm tall."""
    height = uniform(rng, 0.08, 0.115)
    return {
        "radius": uniform(rng, 0.037, 0.05),
        "height": height,
        "wall_thickness": uniform(rng, 0.003, 0.006),
        "handle_radius": height * uniform(rng, 0.22, 0.3),
    }


def build_bowl(radius: float, height: float, wall_thickness: float, foot_radius: float) -> trimesh.Trimesh:
    """An open bowl: a flat foot curving up to the rim, with a wall of roughly constant thickness.

    Args:
        radius: rim (outer) radius, metres. height: metres.
        wall_thickness: metres. foot_radius: radius of the flat base, metres (less than ``radius``).
    """
    theta = np.linspace(0.0, np.pi / 2, 8)
    outer = np.column_stack([foot_radius + (radius - foot_radius) * np.sin(theta), height * (1 - np.cos(theta))])
    inner_foot = 0.9 * foot_radius
    inner = np.column_stack(
        [
            inner_foot + (radius - wall_thickness - inner_foot) * np.sin(theta),
            wall_thickness + (height - wall_thickness) * (1 - np.cos(theta)),
        ]
    )[::-1]
    # Counter-clockwise in (r, z): out along the base, up the outside, down the inside, back to the axis.
    profile = np.vstack([[[0.0, 0.0]], outer, inner, [[0.0, wall_thickness]]])
    return assemble([revolved(profile, sections=24)])


def sample_bowl(rng: np.random.Generator) -> dict[str, Any]:
    """A cereal or serving bowl: 12-22 cm across, as high as 40-60 % of its rim radius."""
    radius = uniform(rng, 0.06, 0.11)
    return {
        "radius": radius,
        "height": radius * uniform(rng, 0.4, 0.6),
        "wall_thickness": uniform(rng, 0.003, 0.006),
        "foot_radius": radius * uniform(rng, 0.35, 0.5),
    }


def build_book(length: float, width: float, thickness: float, cover_thickness: float) -> trimesh.Trimesh:
    """A closed hardback lying flat: two covers, a spine on the -y side, and the page block inset from
    the other three edges.

    Args:
        length: along x (the book's page height), metres. width: along y (spine to fore-edge), metres.
        thickness: overall, along z, metres. cover_thickness: board thickness, metres.
    """
    c, inset = cover_thickness, 0.003  # boards overhang the pages by a few millimetres
    x, y = length / 2, width / 2
    return assemble(
        [
            box_between((-x, -y, 0.0), (x, y, c)),
            box_between((-x, -y, thickness - c), (x, y, thickness)),
            box_between((-x, -y, c), (x, -y + c, thickness - c)),
            box_between((-x + inset, -y + c, c), (x - inset, y - inset, thickness - c)),
        ]
    )


def sample_book(rng: np.random.Generator) -> dict[str, Any]:
    """A paperback-to-coffee-table book: 18-30 cm tall, 1-6 cm thick."""
    length = uniform(rng, 0.18, 0.3)
    return {
        "length": length,
        "width": length * uniform(rng, 0.62, 0.78),
        "thickness": uniform(rng, 0.01, 0.06),
        "cover_thickness": uniform(rng, 0.0015, 0.003),
    }

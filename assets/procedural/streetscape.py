"""Street furniture and road markings: lane lines, traffic lights, traffic signs, poles and bollards,
trees, bushes, benches and bins.

Each asset is a ``build_<name>_parts`` giving ``[(surface, mesh), ...]`` (surfaces of
``assets.surfaces``), a ``build_<name>`` that is their concatenation (so the box, the labels and every
renderer see the same mesh) and a ``sample_<name>(rng)`` of real dimensions, each cited where it comes
from a standard. Object frame of DESIGN.md: x forward (the side a sign or signal faces), y left, z up,
origin at the centre of the mesh's bounds; parts are laid out with z = 0 on the ground, then centred.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from assets._trimesh import trimesh
from assets.procedural import arrays
from assets.procedural.base import Part, assemble_parts, box_between, centre_parts, rod, sphere, uniform

Parts = list[tuple[str, Part]]


@lru_cache(maxsize=1)
def _unit_box() -> tuple[np.ndarray, np.ndarray]:
    """The vertices (8, 3) in [0, 1]^3 and faces (12, 3) of trimesh's box, as ``box_between`` makes it."""
    mesh = box_between((0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
    return np.asarray(mesh.vertices), np.asarray(mesh.faces)


def boxes(lo: np.ndarray, hi: np.ndarray) -> arrays.Mesh:
    """Axis-aligned boxes spanning corners ``lo`` and ``hi`` (n, 3), metres, as one mesh of bare arrays: the
    same vertices and faces as concatenating ``box_between`` boxes, built without a mesh per box (a facade
    has dozens of windows)."""
    unit_v, unit_f = _unit_box()
    lo, hi = np.asarray(lo, np.float64).reshape(-1, 3), np.asarray(hi, np.float64).reshape(-1, 3)
    vertices = lo[:, None, :] + unit_v[None, :, :] * (hi - lo)[:, None, :]
    faces = unit_f[None, :, :] + 8 * np.arange(len(lo))[:, None, None]
    return arrays.Mesh(vertices.reshape(-1, 3), faces.reshape(-1, 3))


PAINT = "body"  # markings are one material: the entity's (white or yellow paint, chosen by the layout)


# --- road markings ---------------------------------------------------------------------------------------
def build_lane_line_parts(
    dash_length: float, gap_length: float, count: int, line_width: float, lines: int, line_gap: float, thickness: float
) -> Parts:
    """``count`` dashes ``dash_length`` (m) long along x, ``gap_length`` (m) apart (one dash: a solid
    line), ``line_width`` (m) wide; ``lines`` = 2 doubles them ``line_gap`` (m) apart across y. Paint
    ``thickness`` (m) high: lay it on the road surface. Length along x is exactly
    ``count * dash_length + (count - 1) * gap_length``."""
    count, lines = max(1, int(count)), max(1, int(lines))
    span_y = lines * line_width + (lines - 1) * line_gap
    x0 = np.tile(np.arange(count) * (dash_length + gap_length), lines)
    y0 = np.repeat(-span_y / 2.0 + np.arange(lines) * (line_width + line_gap), count)
    lo = np.column_stack([x0, y0, np.zeros_like(x0)])
    hi = np.column_stack([x0 + dash_length, y0 + line_width, np.full_like(x0, thickness)])
    return centre_parts([(PAINT, boxes(lo, hi))])


def build_lane_line(**params: Any) -> trimesh.Trimesh:
    return assemble_parts(build_lane_line_parts(**params))


def sample_lane_line(rng: np.random.Generator) -> dict[str, Any]:
    """A broken lane line of MUTCD (2009) 3A.06: 10 ft (3.05 m) dashes, 30 ft (9.14 m) gaps, 4-6 in
    (0.10-0.15 m) wide; sometimes a double line (two lines a discernible 4 in apart)."""
    return {
        "dash_length": 3.05,
        "gap_length": 9.14,
        "count": int(rng.integers(2, 8)),
        "line_width": uniform(rng, 0.10, 0.15),
        "lines": int(rng.integers(1, 3)),
        "line_gap": 0.10,
        "thickness": 0.004,
    }


# --- traffic lights --------------------------------------------------------------------------------------
LAMP_SURFACES = ("signal_red", "signal_amber", "signal_green")


def build_traffic_light_parts(
    pole_height: float, pole_radius: float, head_width: float, head_height: float, head_depth: float, lens_radius: float
) -> Parts:
    """A pole-mounted signal: a round pole ``pole_height`` (m) tall, its head (housing ``head_width`` x
    ``head_height`` x ``head_depth`` m, its bottom at the pole's top less the head height) in front of the
    pole along +x, three lenses (red over amber over green, ``lens_radius`` m) on the head's +x face."""
    head_bottom = pole_height - head_height
    x0 = pole_radius  # the housing's back touches the pole
    parts = [
        ("pole_metal", rod((0.0, 0.0, 0.0), (0.0, 0.0, pole_height), pole_radius)),
        (
            "signal_housing",
            box_between((x0, -head_width / 2, head_bottom), (x0 + head_depth, head_width / 2, pole_height)),
        ),
    ]
    pitch = head_height / 3.0
    for k, surface in enumerate(LAMP_SURFACES):  # red at the top (MUTCD 4D.10)
        z = pole_height - (k + 0.5) * pitch
        front = x0 + head_depth
        parts.append((surface, rod((front, 0.0, z), (front + 0.02, 0.0, z), lens_radius)))
    return centre_parts(parts)


def build_traffic_light(**params: Any) -> trimesh.Trimesh:
    return assemble_parts(build_traffic_light_parts(**params))


def sample_traffic_light(rng: np.random.Generator) -> dict[str, Any]:
    """A near-side pole-mounted vehicle signal: 12 in (300 mm) lenses (MUTCD 4D.07), its housing's bottom
    2.5-3.5 m above the sidewalk (MUTCD 4D.15: at least 8 ft, 2.4 m), a 0.1-0.15 m radius pole."""
    lens = 0.15
    head_height = uniform(rng, 1.0, 1.1)
    return {
        "pole_height": head_height + uniform(rng, 2.5, 3.5),
        "pole_radius": uniform(rng, 0.08, 0.12),
        "head_width": 2 * lens + uniform(rng, 0.05, 0.1),
        "head_height": head_height,
        "head_depth": uniform(rng, 0.22, 0.3),
        "lens_radius": lens,
    }


# --- traffic signs ---------------------------------------------------------------------------------------
SIGN_SHAPES = ("circle", "octagon", "triangle", "rectangle")  # shape: index into this tuple
# face colour and border colour per shape: a red octagon (stop), a white triangle with a red border
# (yield), a white circle with a red ring (speed limit, Vienna Convention), a white rectangle with a
# black border (US speed limit, MUTCD R2-1)
SIGN_FACES = {
    "circle": ("sign_white", "sign_red"),
    "octagon": ("sign_red", "sign_white"),
    "triangle": ("sign_white", "sign_red"),
    "rectangle": ("sign_white", "signal_housing"),
}


def _polygon_plate(vertices_yz: np.ndarray, x0: float, x1: float) -> trimesh.Trimesh:
    """A convex plate: the (y, z) polygon ``vertices_yz`` (n, 2) extruded from x0 to x1 (m)."""
    points = np.vstack([np.column_stack([np.full(len(vertices_yz), x), vertices_yz]) for x in (x0, x1)])
    return trimesh.convex.convex_hull(points)


def _shape_outline(shape: str, size: float, centre_z: float) -> np.ndarray:
    """(n, 2) (y, z) vertices of a sign plate of ``shape`` whose width is ``size`` (m)."""
    if shape == "rectangle":  # 24 x 30 in (MUTCD R2-1): height 1.25 x width
        h, w = 1.25 * size / 2, size / 2
        return np.array([[-w, centre_z - h], [w, centre_z - h], [w, centre_z + h], [-w, centre_z + h]])
    # the triangle points down (the yield sign)
    n, phase = {"circle": (24, 0.0), "octagon": (8, np.pi / 8), "triangle": (3, -np.pi / 2)}[shape]
    # a circle's diameter, an octagon's width across flats, a triangle's side is ``size``
    r = {"circle": size / 2, "octagon": size / 2 / np.cos(np.pi / 8), "triangle": size / np.sqrt(3)}[shape]
    angles = phase + np.arange(n) * 2 * np.pi / n
    return np.column_stack([r * np.cos(angles), centre_z + r * np.sin(angles)])


def build_traffic_sign_parts(post_height: float, post_radius: float, plate_size: float, shape: int) -> Parts:
    """A sign on a post: the post ``post_height`` (m) tall to the plate's centre, a plate of
    ``SIGN_SHAPES[shape]`` ``plate_size`` (m) wide facing +x: a border plate and its face 1 cm proud."""
    name = SIGN_SHAPES[int(shape)]
    face, border = SIGN_FACES[name]
    outline = _shape_outline(name, plate_size, post_height)
    top = outline[:, 1].max()
    x0 = post_radius
    inner = outline.copy()
    inner[:, 1] = post_height + 0.85 * (outline[:, 1] - post_height)
    inner[:, 0] *= 0.85
    parts = [
        ("pole_metal", rod((0.0, 0.0, 0.0), (0.0, 0.0, max(top - 0.05, post_height)), post_radius)),
        (border, _polygon_plate(outline, x0, x0 + 0.01)),
        (face, _polygon_plate(inner, x0 + 0.01, x0 + 0.02)),
    ]
    return centre_parts(parts)


def build_traffic_sign(**params: Any) -> trimesh.Trimesh:
    return assemble_parts(build_traffic_sign_parts(**params))


def sample_traffic_sign(rng: np.random.Generator) -> dict[str, Any]:
    """A stop (30 in, 0.75 m octagon, MUTCD R1-1), yield (36 in, 0.9 m triangle, R1-2), speed limit
    (0.6 m circle, the Vienna Convention's normal size; 24 x 30 in rectangle, R2-1) sign, its plate's
    bottom at least 7 ft (2.1 m) above the sidewalk (MUTCD 2A.18, business districts)."""
    shape = int(rng.integers(len(SIGN_SHAPES)))
    size = {"circle": 0.6, "octagon": 0.75, "triangle": 0.9, "rectangle": 0.6}[SIGN_SHAPES[shape]]
    return {
        "post_height": 2.1 + size / 2 + uniform(rng, 0.0, 0.4),
        "post_radius": uniform(rng, 0.03, 0.045),
        "plate_size": size,
        "shape": shape,
    }


# --- poles and bollards ----------------------------------------------------------------------------------
def build_pole_parts(height: float, radius: float, cap: int) -> Parts:
    """A plain round pole or bollard ``height`` (m) tall, ``radius`` (m); ``cap`` = 1 adds a
    reflective band near the top (bollards)."""
    parts = [("pole_metal", rod((0.0, 0.0, 0.0), (0.0, 0.0, height), radius))]
    if int(cap):
        z = height - 0.12
        parts.append(("sign_white", rod((0.0, 0.0, z - 0.04), (0.0, 0.0, z + 0.04), radius * 1.04)))
    return centre_parts(parts)


def build_pole(**params: Any) -> trimesh.Trimesh:
    return assemble_parts(build_pole_parts(**params))


def sample_pole(rng: np.random.Generator) -> dict[str, Any]:
    """A bollard (0.9-1.1 m tall, 0.1-0.15 m radius, with a reflective band) or a sign-less post
    (2.5-4 m, 0.04-0.06 m radius), half and half."""
    if rng.uniform() < 0.5:
        return {"height": uniform(rng, 0.9, 1.1), "radius": uniform(rng, 0.1, 0.15), "cap": 1}
    return {"height": uniform(rng, 2.5, 4.0), "radius": uniform(rng, 0.04, 0.06), "cap": 0}


# --- vegetation ------------------------------------------------------------------------------------------
def _ellipsoid(centre: tuple[float, float, float], radii: tuple[float, float, float]) -> trimesh.Trimesh:
    mesh = sphere((0.0, 0.0, 0.0), 1.0)
    mesh.vertices = mesh.vertices * np.asarray(radii) + np.asarray(centre)
    return mesh


def build_tree_parts(trunk_height: float, trunk_radius: float, crown_diameter: float, crown_height: float) -> Parts:
    """A street tree: a trunk ``trunk_height`` (m) to the crown's base, ``trunk_radius`` (m), and an
    ellipsoid crown ``crown_diameter`` (m) across and ``crown_height`` (m) tall on top of it."""
    top = trunk_height + 0.3 * crown_height  # the trunk runs on into the crown
    parts = [
        ("bark", rod((0.0, 0.0, 0.0), (0.0, 0.0, top), trunk_radius, sections=10)),
        (
            "foliage",
            _ellipsoid((0.0, 0.0, trunk_height + crown_height / 2), (crown_diameter / 2,) * 2 + (crown_height / 2,)),
        ),
    ]
    return centre_parts(parts)


def build_tree(**params: Any) -> trimesh.Trimesh:
    return assemble_parts(build_tree_parts(**params))


def sample_tree(rng: np.random.Generator) -> dict[str, Any]:
    """A young-to-mature street tree: crown base 2.5-3.5 m up (the clearance cities prune to over
    sidewalks, e.g. 8 ft / 2.4 m), 2-4 m crown, 0.1-0.2 m trunk radius."""
    return {
        "trunk_height": uniform(rng, 2.5, 3.5),
        "trunk_radius": uniform(rng, 0.1, 0.2),
        "crown_diameter": uniform(rng, 2.0, 4.0),
        "crown_height": uniform(rng, 2.5, 5.0),
    }


def build_bush_parts(length: float, width: float, height: float) -> Parts:
    """A bush: an ellipsoid of foliage ``length`` x ``width`` x ``height`` (m) resting on the ground."""
    return centre_parts([("foliage", _ellipsoid((0.0, 0.0, height / 2), (length / 2, width / 2, height / 2)))])


def build_bush(**params: Any) -> trimesh.Trimesh:
    return assemble_parts(build_bush_parts(**params))


def sample_bush(rng: np.random.Generator) -> dict[str, Any]:
    """A shrub 0.6-1.2 m tall, 0.8-1.6 m across."""
    return {"length": uniform(rng, 0.8, 1.6), "width": uniform(rng, 0.6, 1.0), "height": uniform(rng, 0.6, 1.2)}


# --- benches and bins ------------------------------------------------------------------------------------
def build_bench_parts(length: float, depth: float, seat_height: float, back_height: float) -> Parts:
    """A bench facing +x: a wooden seat ``length`` (m, along y) x ``depth`` (m) at ``seat_height`` (m),
    a backrest up to ``back_height`` (m) at its back, two metal leg frames."""
    t = 0.05
    d2 = depth / 2
    parts = [
        ("wood", box_between((-d2, -length / 2, seat_height - t), (d2, length / 2, seat_height))),
        ("wood", box_between((-d2, -length / 2, seat_height + 0.1), (-d2 + t, length / 2, back_height))),
    ]
    for y in (-0.4 * length, 0.4 * length):
        parts.append(("pole_metal", box_between((-d2, y - 0.03, 0.0), (d2, y + 0.03, seat_height - t))))
        parts.append(("pole_metal", box_between((-d2, y - 0.03, seat_height - t), (-d2 + t, y + 0.03, back_height))))
    return centre_parts(parts)


def build_bench(**params: Any) -> trimesh.Trimesh:
    return assemble_parts(build_bench_parts(**params))


def sample_bench(rng: np.random.Generator) -> dict[str, Any]:
    """A park bench: 1.5-2 m long, seat 0.42-0.48 m high and 0.4-0.5 m deep, back 0.8-0.9 m (the usual
    seating dimensions of street-furniture catalogues and ADA 2010 903.5: seat 17-19 in)."""
    return {
        "length": uniform(rng, 1.5, 2.0),
        "depth": uniform(rng, 0.4, 0.5),
        "seat_height": uniform(rng, 0.42, 0.48),
        "back_height": uniform(rng, 0.8, 0.9),
    }


def build_litter_bin_parts(radius: float, height: float) -> Parts:
    """A round litter bin ``radius`` (m), ``height`` (m), with a darker lid rim."""
    parts = [
        ("pole_metal", rod((0.0, 0.0, 0.0), (0.0, 0.0, height - 0.05), radius)),
        ("signal_housing", rod((0.0, 0.0, height - 0.05), (0.0, 0.0, height), radius * 1.05)),
    ]
    return centre_parts(parts)


def build_litter_bin(**params: Any) -> trimesh.Trimesh:
    return assemble_parts(build_litter_bin_parts(**params))


def sample_litter_bin(rng: np.random.Generator) -> dict[str, Any]:
    """A street litter bin of 50-120 l: 0.2-0.3 m radius, 0.8-1.0 m tall."""
    return {"radius": uniform(rng, 0.2, 0.3), "height": uniform(rng, 0.8, 1.0)}


# --- road surface details ----------------------------------------------------------------------------------
def build_manhole_parts(diameter: float, thickness: float) -> Parts:
    """A round manhole cover ``diameter`` (m) across, its top ``thickness`` (m) above the road (a cover
    sits flush; the few millimetres keep it from z-fighting with the road)."""
    return centre_parts([("cast_iron", rod((0.0, 0.0, 0.0), (0.0, 0.0, thickness), diameter / 2, sections=24))])


def build_manhole(**params: Any) -> trimesh.Trimesh:
    return assemble_parts(build_manhole_parts(**params))


def sample_manhole(rng: np.random.Generator) -> dict[str, Any]:
    """A cover over a 600 mm clear opening (EN 124's minimum for man entry): 0.65-0.8 m across."""
    return {"diameter": uniform(rng, 0.65, 0.8), "thickness": 0.002}

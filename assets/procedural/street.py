"""Street assets: people, traffic objects, and the road, sidewalk and crosswalk context (vehicles:
``vehicles``; buildings: ``facades``; street furniture: ``streetscape``).

Each ``build_<name>`` is deterministic in its named parameters (metres) and returns one trimesh in the
object frame: x forward (length), y left (width), z up, origin at the centre of the axis-aligned
bounds. Each ``sample_<name>(rng)`` draws realistic parameters as plain Python floats. Builders lay
parts out with z = 0 on the ground, then :func:`assemble` centres the result.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from assets._trimesh import trimesh
from assets.procedural import arrays
from assets.procedural.base import (
    Part,
    assemble,
    box_between,
    centred,
    concatenated,
    limb,
    prism_x,
    rod,
    sphere,
    uniform,
)


# --- people --------------------------------------------------------------------------------------------
def build_pedestrian(height: float, shoulder_width: float, torso_depth: float) -> trimesh.Trimesh:
    """A standing person facing +x, arms hanging: legs, feet, torso, arms, neck and head.

    Args:
        height: standing height in metres (ground to top of head).
        shoulder_width: full width across the shoulders including the arms, metres (y extent).
        torso_depth: front-to-back thickness of the torso, metres.
    """
    k = height / 1.75  # body proportions are those of a 1.75 m adult, scaled
    head_r, arm_r, leg_r = 0.105 * k, 0.04 * k, 0.06 * k
    hip_z, shoulder_z = 0.52 * height, 0.82 * height
    hip_y = min(0.095 * k, shoulder_width / 2 - 2 * arm_r - leg_r / 2)
    arm_y = shoulder_width / 2 - arm_r
    torso_half_width = shoulder_width / 2 - 2 * arm_r
    parts = [
        box_between(
            (-torso_depth / 2, -torso_half_width, hip_z - 0.04 * k), (torso_depth / 2, torso_half_width, shoulder_z)
        ),
        limb((0.0, 0.0, shoulder_z), (0.0, 0.0, height - head_r), 0.045 * k),  # neck
        sphere((0.0, 0.0, height - head_r), head_r),
    ]
    for sy in (-1, 1):
        parts.append(limb((0.0, sy * hip_y, leg_r), (0.0, sy * hip_y, hip_z), leg_r))
        # feet point forward so the facing direction is visible in renders and point clouds
        parts.append(box_between((-0.06 * k, sy * hip_y - 0.05 * k, 0.0), (0.2 * k, sy * hip_y + 0.05 * k, 0.07 * k)))
        parts.append(limb((0.0, sy * arm_y, shoulder_z - arm_r), (0.03 * k, sy * arm_y, hip_z - 0.02 * k), arm_r))
    return assemble(parts)


def sample_pedestrian(rng: np.random.Generator) -> dict[str, Any]:
    """An adult pedestrian 1.5-1.95 m tall, with build varying independently of height."""
    height = uniform(rng, 1.5, 1.95)
    return {
        "height": height,
        "shoulder_width": height * uniform(rng, 0.24, 0.30),
        "torso_depth": uniform(rng, 0.18, 0.28),
    }


def _knee(hip: np.ndarray, foot: np.ndarray, segment: float) -> np.ndarray:
    """Knee position for a two-segment leg of equal thigh/shin ``segment`` (m), bending forward (+x)."""
    mid = (hip + foot) / 2
    d = float(np.linalg.norm(foot - hip))
    if d >= 2 * segment:
        return mid
    along = (foot - hip) / d
    forward = np.array([along[2], 0.0, -along[0]])  # along rotated 90 deg in the x-z plane
    if forward[0] < 0:
        forward = -forward
    return mid + forward * np.sqrt(segment**2 - (d / 2) ** 2)


def _bicycle(wheel_radius: float, wheelbase: float, saddle_above_bb: float) -> tuple[list[Part], dict[str, np.ndarray]]:
    """Bicycle parts (ground at z = 0, centred on x between the hubs) and the rider's contact points."""
    r, half = wheel_radius, wheelbase / 2
    tube = 0.018
    rear, front = np.array([-half, 0.0, r]), np.array([half, 0.0, r])
    bb = np.array([-half + 0.42 * wheelbase, 0.0, r - 0.06])  # bottom bracket: chainstay ~0.42 wheelbase
    saddle = bb + np.array([-0.3 * saddle_above_bb, 0.0, saddle_above_bb])  # ~73 deg seat tube
    seat_top = bb + 0.75 * (saddle - bb)
    head_top = np.array([0.0, 0.0, saddle[2] - 0.1])
    head_top[0] = half - 0.325 * (head_top[2] - r)  # ~72 deg head angle: the fork rakes back to the head
    head_low = head_top + 0.18 * (front - head_top) / np.linalg.norm(front - head_top)
    bar = head_top + np.array([-0.05, 0.0, 0.08])
    tilt = np.eye(4)
    tilt[:3, :3] = trimesh.transformations.rotation_matrix(np.pi / 2, [1, 0, 0])[:3, :3]  # annulus axis z -> y
    parts = []
    for hub in (rear, front):
        tyre = arrays.annulus(r - 0.035, r, 0.04, 24, tilt)
        tyre.apply_translation(hub)
        parts += [tyre, rod(hub - [0, 0.05, 0], hub + [0, 0.05, 0], 0.02, 8)]
    tubes = [(rear, bb), (rear, seat_top), (bb, saddle), (seat_top, head_top), (bb, head_low), (front, head_top)]
    tubes += [(head_top, bar), (bar - [0, 0.28, 0], bar + [0, 0.28, 0])]
    parts += [rod(a, b, tube, 8) for a, b in tubes]
    parts.append(box_between(saddle + [-0.12, -0.07, 0.0], saddle + [0.12, 0.07, 0.04]))
    return parts, {"saddle": saddle + [0, 0, 0.04], "bb": bb, "bar": bar}


def build_cyclist(wheel_radius: float, wheelbase: float, rider_height: float) -> trimesh.Trimesh:
    """A rigid person riding a bicycle (:func:`build_cyclist_uncentred`), centred: the mesh of scenes made
    before people were articulated, and the box a cyclist is labelled with."""
    return centred(build_cyclist_uncentred(wheel_radius, wheelbase, rider_height))


def build_cyclist_uncentred(wheel_radius: float, wheelbase: float, rider_height: float) -> Part:
    """A person riding a bicycle towards +x: two thin tyres (annuli with axles along y), a diamond
    frame with handlebar and saddle, and a seated rider leaning onto the bars, one pedal forward.

    Args:
        wheel_radius: tyre outer radius in metres.
        wheelbase: distance between the wheel hubs along x, metres.
        rider_height: the rider's standing height in metres (sets saddle height and limb lengths).
    """
    k = rider_height / 1.75
    saddle_above_bb = 0.415 * rider_height  # ~0.88 x inseam, the usual fitting rule
    parts, at = _bicycle(wheel_radius, wheelbase, saddle_above_bb)
    hip = at["saddle"] + np.array([0.0, 0.0, 0.05 * k])
    lean = np.radians(50.0)  # torso angle above horizontal for an upright-ish city rider
    shoulder = hip + 0.3 * rider_height * np.array([np.cos(lean), 0.0, np.sin(lean)])
    parts += [
        limb(hip, shoulder, 0.1 * k),
        sphere(shoulder + k * np.array([0.08, 0.0, 0.17]), 0.105 * k),
    ]
    crank = 0.17
    for sy, phase in ((1, 0.0), (-1, np.pi)):  # left pedal forward, right pedal back
        y = np.array([0.0, sy * 0.1 * k, 0.0])
        pedal = at["bb"] + np.array([crank * np.cos(phase), sy * 0.1 * k, 0.0])
        knee = _knee(hip + y, pedal, 0.245 * rider_height)
        parts += [limb(hip + y, knee, 0.06 * k), limb(knee, pedal, 0.05 * k)]
        parts.append(limb(shoulder + np.array([0.0, sy * 0.17 * k, 0.0]), at["bar"] + [0, sy * 0.22, 0], 0.04 * k))
    return concatenated(parts)


def build_bicycle(wheel_radius: float, wheelbase: float, rider_height: float) -> trimesh.Trimesh:
    """The bicycle of :func:`build_cyclist` alone (its rider is an articulated person, ``assets.procedural.people``)."""
    parts, _ = _bicycle(wheel_radius, wheelbase, 0.415 * rider_height)
    return assemble(parts)


CRANK_M = 0.17  # crank length (m)
GEAR = 2.4  # rear-wheel turns per crank turn: a city bike's middle gear (42/17 teeth)


def bicycle_contacts(wheel_radius: float, wheelbase: float, rider_height: float) -> dict[str, Any]:
    """Where the rider of :func:`build_bicycle` touches it, in the bicycle's ground frame (x between the
    hubs, z = 0 on the ground, metres): ``saddle`` (its top), ``bottom_bracket``, ``bar`` (the grips'
    centre), ``crank_m``, ``wheel_radius_m``, ``gear``; ``centre``: the centre of the bicycle's bounds
    (where :func:`build_bicycle` puts its origin)."""
    return {k: list(v) if isinstance(v, list) else v for k, v in _contacts(wheel_radius, wheelbase, rider_height)}


@lru_cache(maxsize=1024)
def _contacts(wheel_radius: float, wheelbase: float, rider_height: float) -> tuple:
    """:func:`bicycle_contacts` as a tuple of pairs (cached: the envelope and the parts both ask)."""
    parts, at = _bicycle(wheel_radius, wheelbase, 0.415 * rider_height)
    bounds = concatenated(parts).bounds
    return (
        ("saddle", [float(v) for v in at["saddle"]]),
        ("bottom_bracket", [float(v) for v in at["bb"]]),
        ("bar", [float(v) for v in at["bar"]]),
        ("crank_m", CRANK_M),
        ("wheel_radius_m", wheel_radius),
        ("gear", GEAR),
        ("centre", [float(v) for v in bounds.mean(axis=0)]),
    )


def sample_cyclist(rng: np.random.Generator) -> dict[str, Any]:
    """An adult on a city or road bike: 26-29 inch wheels, 0.98-1.1 m wheelbase, rider 1.55-1.95 m."""
    return {
        "wheel_radius": uniform(rng, 0.33, 0.37),
        "wheelbase": uniform(rng, 0.98, 1.1),
        "rider_height": uniform(rng, 1.55, 1.95),
    }


# --- traffic objects -------------------------------------------------------------------------------------
def build_traffic_cone(height: float, base_width: float, base_thickness: float) -> trimesh.Trimesh:
    """A traffic cone: a square base plate and a cone on it.

    Args:
        height: overall height in metres (ground to tip).
        base_width: side of the square base in metres.
        base_thickness: thickness of the base plate in metres.
    """
    cone_height = height - base_thickness
    # trimesh.creation.cone's outline, revolved on arrays
    cone = arrays.revolve([[0, 0], [0.38 * base_width, 0], [0, cone_height]], sections=16)
    cone.apply_translation((0.0, 0.0, base_thickness))
    base = box_between((-base_width / 2, -base_width / 2, 0.0), (base_width / 2, base_width / 2, base_thickness))
    return assemble([base, cone])


def sample_traffic_cone(rng: np.random.Generator) -> dict[str, Any]:
    """A road cone 0.45-0.9 m tall with a base about half its height wide."""
    height = uniform(rng, 0.45, 0.9)
    return {
        "height": height,
        "base_width": height * uniform(rng, 0.5, 0.6),
        "base_thickness": uniform(rng, 0.025, 0.045),
    }


def build_barrier(length: float, height: float, base_width: float, top_width: float) -> trimesh.Trimesh:
    """A jersey (New Jersey) barrier running along x: a steep lower flank then a near-vertical upper one.

    Args:
        length: along x, metres.
        height: metres.
        base_width, top_width: width of the foot and of the top, metres (y).
    """
    # The profile is not convex at the slope break, so it is built as two convex prisms sharing it.
    break_z = 0.41 * height
    break_half = top_width / 2 + 0.25 * (base_width - top_width) / 2
    foot_z = 0.09 * height
    lower = [(-base_width / 2, 0.0), (base_width / 2, 0.0), (base_width / 2, foot_z), (break_half, break_z),
             (-break_half, break_z), (-base_width / 2, foot_z)]  # fmt: skip
    upper = [(-break_half, break_z), (break_half, break_z), (top_width / 2, height), (-top_width / 2, height)]
    return assemble([prism_x(lower, length), prism_x(upper, length)])


def sample_barrier(rng: np.random.Generator) -> dict[str, Any]:
    """A concrete or plastic jersey barrier segment, 1.5-4 m long, 0.8-1.07 m tall."""
    return {
        "length": uniform(rng, 1.5, 4.0),
        "height": uniform(rng, 0.8, 1.07),
        "base_width": uniform(rng, 0.55, 0.65),
        "top_width": uniform(rng, 0.15, 0.25),
    }


# --- context ---------------------------------------------------------------------------------------------
def build_road(length: float, width: float, thickness: float) -> trimesh.Trimesh:
    """A flat road slab; its top face is the driving surface (the object's top, z = thickness / 2).

    Args:
        length: along x, metres. width: along y, metres. thickness: slab depth, metres.
    """
    return arrays.to_trimesh(
        box_between((-length / 2, -width / 2, -thickness / 2), (length / 2, width / 2, thickness / 2))
    )


def sample_road(rng: np.random.Generator) -> dict[str, Any]:
    """A straight road piece 30-80 m long, two to four lanes wide."""
    return {"length": uniform(rng, 30.0, 80.0), "width": uniform(rng, 6.0, 14.0), "thickness": uniform(rng, 0.1, 0.3)}


def build_sidewalk(length: float, width: float, curb_height: float) -> trimesh.Trimesh:
    """A sidewalk slab ``curb_height`` (m) thick: set its bottom on the road surface and its top is the
    walking surface at curb height.

    Args:
        length: along x, metres. width: along y, metres. curb_height: step up from the road, metres.
    """
    return arrays.to_trimesh(
        box_between((-length / 2, -width / 2, -curb_height / 2), (length / 2, width / 2, curb_height / 2))
    )


def sample_sidewalk(rng: np.random.Generator) -> dict[str, Any]:
    """A sidewalk 20-60 m long, 1.5-4 m wide, 10-20 cm curb."""
    return {"length": uniform(rng, 20.0, 60.0), "width": uniform(rng, 1.5, 4.0), "curb_height": uniform(rng, 0.1, 0.2)}


def build_crosswalk(length: float, width: float, stripe_width: float, gap: float, thickness: float) -> trimesh.Trimesh:
    """A zebra crossing: white bars ``length`` (m) long along x (the traffic's direction), repeated across
    the road along y over at most ``width`` (m), ``stripe_width`` wide with ``gap`` between them, and
    ``thickness`` (m) of paint: lay it on the road surface. The bars are centred, so the mesh's bounds
    (its size) may be a little narrower than ``width``.

    Args:
        length: bar length along x, metres (the crosswalk's width for a pedestrian, 2.5-4 m).
        width: the span across the road along y, metres (the walking direction).
        stripe_width, gap: bar width and the gap between bars along y, metres (0.5 m each is common).
        thickness: paint height, metres (a few millimetres lift it off the road surface).
    """
    count = max(1, int((width + gap) // (stripe_width + gap)))
    span = count * stripe_width + (count - 1) * gap
    starts = -span / 2.0 + np.arange(count) * (stripe_width + gap)
    bars = [box_between((-length / 2, y0, 0.0), (length / 2, y0 + stripe_width, thickness)) for y0 in starts]
    return assemble(bars)


def sample_crosswalk(rng: np.random.Generator) -> dict[str, Any]:
    """A zebra crossing 2.5-4 m wide across a two- to four-lane road, 0.5 m bars and gaps."""
    return {
        "length": uniform(rng, 2.5, 4.0),
        "width": uniform(rng, 6.0, 14.0),
        "stripe_width": 0.5,
        "gap": 0.5,
        "thickness": 0.01,
    }

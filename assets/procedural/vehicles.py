"""Parametric road vehicles made of surface parts: cars of five body types, box trucks and city buses.

A vehicle is built on the ground (z = 0 under the tyres) facing +x, then centred on its bounds
(``centre_parts``). Its parts (``build_<name>_parts``, ``assets.surfaces``):

- the painted lower body (``body``), lofted along x from a side profile: at every station x a rounded
  cross-section spans the sill (or, over an axle, the wheel arch: a circle about the axle, so the wheels
  sit in arches) to the profile's top (nose, hood, belt line, boot), with the plan view tapered at the ends;
- the greenhouse: window glass (``car_glass``) between the belt line and the roof, narrower at the top
  (tumblehome), under a painted roof panel with A, B and C pillars over the glass's edges;
- wheels: tyres (``tyre``, a revolved profile with rounded shoulders) on rims (``rim``);
- head and tail lamps (``head_lamp``, ``tail_lamp``), a grille (``black_trim``, with a ``chrome`` bar on
  cars), side mirrors (painted shells on black bases), front and rear licence plates (``plate``; EU
  size, 520 x 110 mm, ISO 7591 / DIN 74069).

The mesh's bounds, hence the entity's 3D box, follow from the parameters alone (:func:`vehicle_size`):
length from plate to plate, width over the mirrors, height from the ground to the roof.

Proportions per body type are those of common models of each class (manufacturers' data): a D-segment
sedan (Toyota Camry XV70: 4885 x 1840 x 1445 mm, wheelbase 2825 mm; VW Passat B8: 4775 x 1832 x 1456,
2791), a C/B hatchback (VW Golf 8: 4284 x 1789 x 1456, 2636; VW Polo VI: 4074 x 1751 x 1451, 2564), a
compact SUV (Toyota RAV4 XA50: 4600 x 1855 x 1685, 2690; VW Tiguan II: 4509 x 1839 x 1673, 2681), a van
(VW Transporter T6: 4904 x 1904 x 1990, 3000; Ford Transit Custom: 4973 x 1986 x 1986, 2933), a pickup
(Toyota Hilux double cab: 5325 x 1855 x 1815, 3085; Ford F-150 SuperCrew: 5885 x 2029 x 1960, 3683);
tyre radii from their standard sizes (e.g. 215/55 R17: 334 mm, 225/65 R17: 362 mm, 265/70 R17: 402 mm).
Trucks and buses: EU limits of 2.55 m width and 4 m height (Directive 96/53/EC), a 12 m city bus
(Mercedes-Benz Citaro: 12135 x 2550 x 3120 mm, wheelbase 5845 mm, 275/70 R22.5 tyres: 478 mm).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from assets._trimesh import trimesh
from assets.procedural import arrays
from assets.procedural.base import assemble_parts, uniform
from assets.procedural.vehicle_pieces import Parts, block, by_surface, hexa, loft, wheel_parts

# --- cars ------------------------------------------------------------------------------------------------

# Side profiles by body type. ``top``: the painted body's top line as (x, z) with x the fraction of the
# length from the rear bumper (0) to the front (1) and z the fraction of the overall height; ``glass``: the
# greenhouse's rear base, roof rear, roof front and windscreen base as fractions of the length, on the belt
# line ``belt`` (fraction of height); ``tumble``: how much narrower the roof is than the belt, each side (m);
# ``cargo``: vans have a painted cargo box from the rear to the glass's rear base; ``bed``: a pickup's
# covered load bed from the rear to the cab. ``clearance``: sill height (m). Proportions read off
# side views of the models named in the module docstring.
PROFILES: dict[str, dict[str, Any]] = {
    "sedan": {
        "top": [(0.0, 0.46), (0.03, 0.56), (0.1, 0.62), (0.2, 0.64), (0.76, 0.64), (0.96, 0.56), (1.0, 0.46)],
        "glass": (0.19, 0.38, 0.6, 0.76), "belt": 0.64, "tumble": 0.13, "clearance": 0.15,
    },
    "hatchback": {
        "top": [(0.0, 0.5), (0.03, 0.6), (0.06, 0.65), (0.7, 0.65), (0.95, 0.58), (1.0, 0.48)],
        "glass": (0.05, 0.13, 0.56, 0.7), "belt": 0.65, "tumble": 0.12, "clearance": 0.14,
    },
    "suv": {
        "top": [(0.0, 0.5), (0.03, 0.59), (0.06, 0.62), (0.74, 0.62), (0.96, 0.57), (1.0, 0.5)],
        "glass": (0.05, 0.1, 0.62, 0.74), "belt": 0.62, "tumble": 0.11, "clearance": 0.2,
    },
    "van": {
        "top": [(0.0, 0.44), (0.02, 0.5), (0.84, 0.5), (0.97, 0.46), (1.0, 0.4)],
        "glass": (0.63, 0.63, 0.84, 0.9), "belt": 0.5, "tumble": 0.05, "clearance": 0.17, "cargo": True,
    },
    "pickup": {
        "top": [(0.0, 0.5), (0.02, 0.58), (0.44, 0.58), (0.74, 0.58), (0.96, 0.55), (1.0, 0.48)],
        "glass": (0.44, 0.47, 0.64, 0.74), "belt": 0.58, "tumble": 0.1, "clearance": 0.23, "bed": True,
    },
}  # fmt: skip
BODY_TYPES = tuple(PROFILES)
# Body type shares of the car category: SUVs are about half of new-car sales in Europe (JATO Dynamics,
# 2023: 48 %) and the US; hatchbacks and sedans most of the rest; pickups ~15 % of US and ~1 % of EU
# sales; vans (category car: MPVs and passenger vans) a few percent.
BODY_WEIGHTS = {"sedan": 0.22, "hatchback": 0.26, "suv": 0.36, "van": 0.07, "pickup": 0.09}
# (length, width without mirrors, height, wheelbase / length, front overhang / length, tyre radius) ranges per
# body type (metres), spanning the models named in the module docstring.
CAR_RANGES: dict[str, tuple[tuple[float, float], ...]] = {
    "sedan": ((4.55, 4.95), (1.78, 1.86), (1.4, 1.5), (0.57, 0.6), (0.19, 0.22), (0.32, 0.34)),
    "hatchback": ((3.95, 4.35), (1.7, 1.8), (1.42, 1.52), (0.61, 0.64), (0.19, 0.21), (0.3, 0.32)),
    "suv": ((4.4, 4.9), (1.82, 1.93), (1.62, 1.78), (0.58, 0.61), (0.19, 0.21), (0.35, 0.38)),
    "van": ((4.9, 5.4), (1.9, 2.0), (1.9, 2.0), (0.6, 0.64), (0.18, 0.2), (0.33, 0.35)),
    "pickup": ((5.3, 5.9), (1.85, 2.03), (1.78, 1.97), (0.58, 0.63), (0.16, 0.18), (0.38, 0.41)),
}
CAR_MIRROR_M = 0.11  # mirror reach beyond the body's side, each side (Golf 8: 2073 mm over mirrors, 1789 without)
TRUCK_MIRROR_M = BUS_MIRROR_M = 0.2  # wide-angle mirrors on arms
ROOF_M = 0.04  # roof panel thickness over the glass
PLATE = (0.52, 0.11)  # EU plate width, height (m)
_END_GAP = 0.012  # the body stops this short of the plates' faces (m): plates and lamps stand proud of it
_PILLAR = 0.012  # pillars and frames stand this far out of the glass (m)


def vehicle_size(name: str, params: dict[str, Any]) -> tuple[float, float, float]:
    """[length, width, height] (m) of the vehicle ``name`` built from ``params``: for a car, truck or bus plate
    to plate, over the mirrors, ground to roof (a motorcycle: :func:`motorcycle_size`). Exactly the bounds of
    the built mesh."""
    if name == "motorcycle":
        return motorcycle_size(params)
    mirror = {"car": CAR_MIRROR_M, "truck": TRUCK_MIRROR_M, "bus": BUS_MIRROR_M}[name]
    return (params["length"], params["width"] + 2.0 * mirror, params["height"])


def _arch_bottoms(xs: np.ndarray, sill: float, axles: Sequence[float], radius: float) -> np.ndarray:
    """The body's underside at stations ``xs``: the sill, raised over each axle (wheel centre at z =
    ``radius``) to a wheel arch, a circle 1.1 tyre radii about the axle."""
    arch = 1.1 * radius
    bottoms = np.full(len(xs), sill)
    for ax in axles:
        inside = np.abs(xs - ax) < arch
        bottoms[inside] = np.maximum(bottoms[inside], radius + np.sqrt(arch**2 - (xs[inside] - ax) ** 2))
    return bottoms


def _stations(
    length: float, axles: Sequence[float], radius: float, extra: Sequence[float], spacing: float = 0.25
) -> np.ndarray:
    """Loft stations along x: every ~``spacing`` m, denser at the tapered ends, nine across each wheel arch,
    and at every profile break ``extra``."""
    half = length / 2.0 - _END_GAP
    xs = [np.linspace(-half, half, max(8, int(length / spacing))), half - np.array([0.04, 0.12, 0.25])]
    xs.append(-half + np.array([0.04, 0.12, 0.25]))
    arch = 1.1 * radius
    xs += [ax + arch * np.cos(np.linspace(0.0, np.pi, 9)) for ax in axles]
    xs.append(np.clip(np.asarray(extra, np.float64), -half, half))
    return np.unique(np.round(np.concatenate(xs), 9))


def _plan_taper(xs: np.ndarray, length: float, half_width: float, taper: float) -> np.ndarray:
    """Half widths at stations ``xs``: the body's, narrowing by ``taper`` (fraction) over the last 0.5 m of
    each end along a parabola (the rounded corners of a car seen from above)."""
    zone = 0.5
    into = np.clip((np.abs(xs) - (length / 2.0 - zone)) / zone, 0.0, 1.0)
    return half_width * (1.0 - taper * into**2)


def _front_face(length: float, half_width: float, nose: float, sill: float, front: float, cars: bool) -> Parts:
    """Lamps, grille and plate on one end (``front`` +1: head lamps and grille at +x; -1: tail lamps at -x).
    ``half_width``: the body's half width at the end, ``nose``: its top there, ``sill``: its bottom (m)."""
    end = front * length / 2.0
    face = end - front * _END_GAP  # the body's end face

    def proud(depth: float, y0: float, y1: float, z0: float, z1: float) -> arrays.Mesh:
        """A block from ``depth`` inside the body's end face out to ``face + 0.6 * _END_GAP``."""
        xa, xb = face - front * depth, face + front * 0.6 * _END_GAP
        return block((min(xa, xb), min(y0, y1), z0), (max(xa, xb), max(y0, y1), z1))

    lamp_z0, lamp_z1 = nose - (0.16 if cars else 0.3), nose - (0.05 if cars else 0.12)
    lamp = "head_lamp" if front > 0 else "tail_lamp"
    parts = [(lamp, proud(0.03, s * 0.42 * half_width, s * 0.86 * half_width, lamp_z0, lamp_z1)) for s in (1, -1)]
    plate_z = sill + 0.4 * (lamp_z0 - sill)
    xa, xb = face - front * 0.02, end  # the plate's face is the vehicle's end
    parts.append(
        ("plate", block((min(xa, xb), -PLATE[0] / 2, plate_z), (max(xa, xb), PLATE[0] / 2, plate_z + PLATE[1])))
    )
    if front > 0:  # grille between the plate and the lamps, a chrome bar over it on cars
        grille_z0, grille_z1 = plate_z + PLATE[1] + 0.03, lamp_z1
        parts.append(("black_trim", proud(0.03, -0.38 * half_width, 0.38 * half_width, grille_z0, grille_z1)))
        if cars:
            bar = proud(0.02, -0.4 * half_width, 0.4 * half_width, grille_z1, grille_z1 + 0.02)
            parts.append(("chrome", bar))
    return parts


def _greenhouse(x_rb, x_rr, x_rf, x_wb, z_belt, z_roof, w_belt, w_roof, height) -> Parts:  # noqa: ANN001
    """Glass between the belt line (z_belt, half width w_belt) and the roof (z_roof, w_roof), from the rear
    window's base x_rb and the roof's rear x_rr to its front x_rf and the windscreen's base x_wb; the painted
    roof panel up to ``height``; A, B and C pillars over the glass's edges (m)."""

    def corners(xb0, xb1, xt0, xt1, wb, wt, z0, z1) -> np.ndarray:  # noqa: ANN001
        return np.array(
            [[(xb0, xb1)[ix] if iz == 0 else (xt0, xt1)[ix], (-1 if iy == 0 else 1) * (wb if iz == 0 else wt),
              (z0, z1)[iz]] for ix in (0, 1) for iy in (0, 1) for iz in (0, 1)]
        )  # fmt: skip

    parts: Parts = [("car_glass", hexa(corners(x_rb, x_wb, x_rr, x_rf, w_belt, w_roof, z_belt - 0.02, z_roof)))]
    lip = 0.02
    roof = corners(x_rr - lip, x_rf + lip, x_rr - lip, x_rf + lip, w_roof + lip, w_roof + lip, z_roof - 0.01, height)
    parts.append(("body", hexa(roof)))
    # pillars: strips over the glass's side edges, standing _PILLAR out of it; B pillar in between
    out = _PILLAR

    def pillar(x_low: float, x_high: float, chord: float, side: float) -> arrays.Mesh:
        """A strip from the belt at x_low to the roof at x_high, ``chord`` long in x, on side ``side``."""
        xs = sorted([(x_low, x_high), (x_low + chord, x_high + chord)])
        pts = []
        for ix in (0, 1):
            for iy in (0, 1):
                for iz in (0, 1):
                    x = xs[ix][iz]
                    w = (w_belt if iz == 0 else w_roof) + (out if iy == (1 if side > 0 else 0) else -0.01)
                    pts.append([x, side * w, (z_belt, z_roof)[iz]])
        return hexa(np.array(pts))  # the corners stay in hexa's order on either side (y grows with iy)

    chord = 0.07
    x_b = 0.5 * (x_rb + x_wb) if x_rb < x_rr else None
    for side in (1.0, -1.0):
        parts.append(("body", pillar(x_wb - chord, x_rf - chord, chord, side)))  # A
        parts.append(("body", pillar(x_rb, x_rr, chord, side)))  # C (or a van's cab rear)
        if x_b is not None:
            xb = min(max(x_b, x_rr + 0.05), x_rf - 0.12)
            parts.append(("body", pillar(xb, xb, 0.08, side)))  # B: upright
    return parts


def _mirrors(x: float, z: float, w_door: float, reach_to: float, size: tuple[float, float, float]) -> Parts:
    """Side mirrors ahead of the doors at x: a black base from the door (half width ``w_door``) and a painted
    shell whose outer face is at +/- ``reach_to`` (m); ``size``: the shell's (length, reach, height)."""
    length, reach, height = size
    parts: Parts = []
    for side in (1.0, -1.0):
        y_out = side * reach_to
        y_in = y_out - side * reach
        base = block((x - 0.05, min(side * w_door, y_in), z), (x + 0.02, max(side * w_door, y_in), z + 0.05))
        shell = block((x - length / 2, min(y_in, y_out), z), (x + length / 2, max(y_in, y_out), z + height))
        parts += [("black_trim", base), ("body", shell)]
    return parts


def build_car_parts(
    body: str, length: float, width: float, height: float, wheelbase: float, front_overhang: float, wheel_radius: float
) -> Parts:
    """A passenger car of body type ``body`` (``PROFILES``) facing +x, as surface parts (module docstring).

    Args:
        body: sedan, hatchback, suv, van or pickup.
        length: bumper to bumper (plate to plate), metres.
        width: the body's width without mirrors, metres (the mirrors add ``CAR_MIRROR_M`` each side).
        height: ground to roof, metres.
        wheelbase: axle to axle, metres. front_overhang: front axle to the front end, metres.
        wheel_radius: tyre radius, metres (the wheels stand on z = 0).
    """
    try:
        profile = PROFILES[body]
    except KeyError:
        raise ValueError(f"car: unknown body {body!r} ({', '.join(BODY_TYPES)})") from None
    half_len, half_w = length / 2.0, width / 2.0
    front_axle = half_len - front_overhang
    axles = (front_axle, front_axle - wheelbase)

    def at(fraction: float) -> float:  # a profile's x fraction (rear 0, front 1) in metres
        return -half_len + fraction * length

    top_x = np.array([at(f) for f, _ in profile["top"]])
    top_z = np.array([z for _, z in profile["top"]]) * height
    xs = _stations(length, axles, wheel_radius, top_x)
    sill = profile["clearance"]
    bottoms = _arch_bottoms(xs, sill, axles, wheel_radius)
    tops = np.interp(xs, top_x, top_z)
    widths = _plan_taper(xs, length, half_w, 0.1)
    parts: Parts = [("body", loft(xs, bottoms, tops, widths, 0.12, 0.05))]
    # greenhouse on the belt line, its bottom on the flat of the body's top
    z_belt = profile["belt"] * height
    w_belt = half_w - 0.12 - 0.01
    w_roof = w_belt - profile["tumble"]
    x_rb, x_rr, x_rf, x_wb = (at(f) for f in profile["glass"])
    z_roof = height - ROOF_M
    if profile.get("cargo"):  # a van's painted cargo box behind the cab's glass, under the same roof
        xs_cargo, ws, zs = (at(0.015), x_rb + 0.02), (w_belt, w_roof), (z_belt - 0.02, z_roof)
        corners = [[xs_cargo[ix], (-1, 1)[iy] * ws[iz], zs[iz]] for ix in (0, 1) for iy in (0, 1) for iz in (0, 1)]
        parts.append(("body", hexa(np.array(corners))))
        x_rr = x_rb  # the glass's rear is upright against the cargo box
        roof_from = at(0.015)
    else:
        roof_from = None
    house = _greenhouse(x_rb, x_rr, x_rf, x_wb, z_belt, z_roof, w_belt, w_roof, height)
    if roof_from is not None:  # the roof runs over the cargo box too
        lip = 0.02
        house[1] = ("body", block((roof_from, -w_roof - lip, z_roof - 0.01), (x_rf + lip, w_roof + lip, height)))
    parts += house
    if profile.get("bed"):  # a pickup's load bed under a black tonneau cover
        bed_top = float(np.interp(at(0.2), top_x, top_z))
        parts.append(("black_trim", block((at(0.02), -w_belt, bed_top - 0.02), (x_rb - 0.03, w_belt, bed_top + 0.015))))
    # wheels in the arches, their outer sidewalls 30 mm inside the body's side
    tyre_width = 0.11 * width + 0.02
    for ax in axles:
        for side in (1.0, -1.0):
            parts += wheel_parts(ax, side, half_w - 0.03, wheel_radius, tyre_width, 20)
    nose = float(np.interp(half_len - _END_GAP, top_x, top_z))
    tail = float(np.interp(-half_len + _END_GAP, top_x, top_z))
    end_w = half_w * 0.9
    parts += _front_face(length, end_w, nose, sill, 1.0, True)
    parts += _front_face(length, end_w, tail, sill, -1.0, True)
    parts += _mirrors(x_wb - 0.08, z_belt + 0.02, w_belt, half_w + CAR_MIRROR_M, (0.16, 0.17, 0.13))
    return by_surface(parts)


def build_car(**params: Any) -> trimesh.Trimesh:
    """The car of :func:`build_car_parts` as one mesh (its parts' concatenation)."""
    return assemble_parts(build_car_parts(**params))


def sample_car(rng: np.random.Generator) -> dict[str, Any]:
    """A car: body type by ``BODY_WEIGHTS``, then its size, wheelbase, overhang and tyre from ``CAR_RANGES``."""
    names = list(BODY_WEIGHTS)
    weights = np.array([BODY_WEIGHTS[n] for n in names])
    body = names[int(rng.choice(len(names), p=weights / weights.sum()))]
    (l0, l1), (w0, w1), (h0, h1), (b0, b1), (f0, f1), (r0, r1) = CAR_RANGES[body]
    length = uniform(rng, l0, l1)
    return {
        "body": body,
        "length": length,
        "width": uniform(rng, w0, w1),
        "height": uniform(rng, h0, h1),
        "wheelbase": length * uniform(rng, b0, b1),
        "front_overhang": length * uniform(rng, f0, f1),
        "wheel_radius": uniform(rng, r0, r1),
    }


# --- trucks and buses ------------------------------------------------------------------------------------


def build_truck_parts(
    length: float, width: float, height: float, wheel_radius: float, cab_length: float, cab_height: float
) -> Parts:
    """A rigid box truck facing +x: a cab (painted lower cab, glass with an upright windscreen, roof), a
    painted cargo box behind it up to ``height``, black chassis rails and bumpers, one front axle and one
    rear axle (two, a tandem, from 8.5 m long), mirrors on arms, lamps and plates.

    Args:
        length, height: overall, metres (the cargo box sets the height). width: without mirrors, metres.
        wheel_radius: tyre radius, metres. cab_length, cab_height: the cab's, metres.
    """
    half_len, half_w = length / 2.0, width / 2.0
    face = half_len - _END_GAP
    cab_rear = face - cab_length
    front_axle = face - 0.55 * cab_length
    box_front = cab_rear - 0.12
    rear_axle = -half_len + 0.32 * (box_front + half_len)
    axles = [front_axle, rear_axle] + ([rear_axle + 2.6 * wheel_radius] if length >= 8.5 else [])
    sill = 1.15 * wheel_radius
    belt = max(0.55 * cab_height, 2.2 * wheel_radius + 0.1)
    parts: Parts = [
        ("black_trim", block((-half_len + 0.3, -0.45, 0.75 * wheel_radius), (face - 0.1, 0.45, 1.3 * wheel_radius))),
        ("body", block((-face, -half_w, 2.2 * wheel_radius), (box_front, half_w, height))),
    ]
    bumper = 0.4 * _END_GAP  # bumpers stand proud of the cab and the box, short of the plates
    lo, hi = (face - 0.15, -half_w + 0.02, 0.6 * wheel_radius), (face + bumper, half_w - 0.02, sill + 0.1)
    parts.append(("black_trim", block(lo, hi)))
    lo, hi = (-face - bumper, -half_w + 0.1, 1.5 * wheel_radius), (-face + 0.1, half_w - 0.1, 2.2 * wheel_radius)
    parts.append(("black_trim", block(lo, hi)))
    # the lower cab lofted over the front wheel's arch
    arch = 1.1 * wheel_radius
    xs = np.concatenate([np.linspace(cab_rear, face, 8), front_axle + arch * np.cos(np.linspace(0.0, np.pi, 9))])
    xs = np.unique(np.round(np.clip(xs, cab_rear, face), 9))
    bottoms = _arch_bottoms(xs, sill, [front_axle], wheel_radius)
    parts.insert(1, ("body", loft(xs, bottoms, np.full(len(xs), belt), np.full(len(xs), half_w), 0.08, 0.04)))
    w = half_w - 0.04
    back, roof = cab_rear + 0.02, cab_height - ROOF_M
    parts += _greenhouse(back, back, face - 0.12, face - 0.02, belt, roof, w, w - 0.06, cab_height)
    for ax in axles:
        for side in (1.0, -1.0):
            parts += wheel_parts(ax, side, half_w - 0.05, wheel_radius, 0.3, 16)
    parts += _front_face(length, half_w * 0.95, belt, sill, 1.0, False)
    parts += _front_face(length, half_w * 0.9, 2.2 * wheel_radius + 0.35, 1.5 * wheel_radius, -1.0, False)
    parts += _mirrors(face - 0.25, belt + 0.25, w, half_w + TRUCK_MIRROR_M, (0.1, 0.16, 0.4))
    return by_surface(parts)


def build_truck(**params: Any) -> trimesh.Trimesh:
    """The truck of :func:`build_truck_parts` as one mesh."""
    return assemble_parts(build_truck_parts(**params))


def sample_truck(rng: np.random.Generator) -> dict[str, Any]:
    """A rigid box truck of 7.5-18 t: 6.5-10 m long, 2.45-2.55 m wide (EU limit 2.55 m), 3.2-4 m tall (EU
    limit 4 m), 295/80 R22.5 class tyres (0.48-0.53 m radius), a day cab 1.9-2.3 m long."""
    return {
        "length": uniform(rng, 6.5, 10.0),
        "width": uniform(rng, 2.45, 2.55),
        "height": uniform(rng, 3.2, 4.0),
        "wheel_radius": uniform(rng, 0.48, 0.53),
        "cab_length": uniform(rng, 1.9, 2.3),
        "cab_height": uniform(rng, 2.6, 3.0),
    }


def build_bus_parts(length: float, width: float, height: float, wheel_radius: float, front_overhang: float,
                    wheelbase: float) -> Parts:  # fmt: skip
    """A city bus facing +x: a painted lower body lofted over two wheel arches up to the window line, a band of
    glass all round (windscreen and rear window included) with window frames, a painted roof, lamps, plates
    and mirrors on arms.

    Args:
        length, height: overall, metres. width: without mirrors, metres. wheel_radius: tyre radius, metres.
        front_overhang: front axle to the front end, metres (the front door is ahead of the axle).
        wheelbase: axle to axle, metres.
    """
    half_len, half_w = length / 2.0, width / 2.0
    front_axle = half_len - front_overhang
    axles = (front_axle, front_axle - wheelbase)
    belt, glass_top = 1.15, height - 0.3
    xs = _stations(length, axles, wheel_radius, [], spacing=0.6)
    sill = 0.32
    bottoms = _arch_bottoms(xs, sill, axles, wheel_radius)
    widths = _plan_taper(xs, length, half_w, 0.02)
    parts: Parts = [("body", loft(xs, bottoms, np.full(len(xs), belt), widths, 0.06, 0.05))]
    face = half_len - _END_GAP
    w = half_w * 0.98 - 0.01
    parts.append(("car_glass", block((-face + 0.03, -w, belt - 0.02), (face - 0.03, w, glass_top))))
    roof_w = w
    parts.append(("body", block((-face + 0.01, -roof_w, glass_top - 0.01), (face - 0.01, roof_w, height))))
    # window frames: upright strips along both sides every ~1.6 m
    count = max(2, int((2 * face - 0.2) / 1.6))
    for x in np.linspace(-face + 0.1, face - 0.6, count):
        for side in (1.0, -1.0):
            y0, y1 = sorted((side * (w - 0.01), side * (w + _PILLAR)))
            parts.append(("body", block((x, y0, belt), (x + 0.08, y1, glass_top))))
    for ax in axles:
        for side in (1.0, -1.0):
            parts += wheel_parts(ax, side, half_w - 0.06, wheel_radius, 0.28, 16)
    parts += _front_face(length, half_w * 0.95, belt - 0.05, sill, 1.0, False)
    parts += _front_face(length, half_w * 0.95, belt - 0.05, sill, -1.0, False)
    parts += _mirrors(face - 0.15, glass_top - 0.6, w, half_w + BUS_MIRROR_M, (0.1, 0.14, 0.35))
    return by_surface(parts)


def build_bus(**params: Any) -> trimesh.Trimesh:
    """The bus of :func:`build_bus_parts` as one mesh."""
    return assemble_parts(build_bus_parts(**params))


def sample_bus(rng: np.random.Generator) -> dict[str, Any]:
    """A rigid city bus: 10.5-12.2 m long, 2.5-2.55 m wide, 2.9-3.3 m tall, 275/70 R22.5 class tyres, the
    front axle 2.5-2.8 m behind the front and a wheelbase of 47-50 % of the length (Citaro: 5.85 / 12.1 m)."""
    length = uniform(rng, 10.5, 12.2)
    return {
        "length": length,
        "width": uniform(rng, 2.5, 2.55),
        "height": uniform(rng, 2.9, 3.3),
        "wheel_radius": uniform(rng, 0.47, 0.5),
        "front_overhang": uniform(rng, 2.5, 2.8),
        "wheelbase": length * uniform(rng, 0.47, 0.5),
    }


# --- motorcycles -----------------------------------------------------------------------------------------

MOTORCYCLE_PLATE = (0.2, 0.14)  # rear plate width, height (m): the EU's smallest motorcycle plate format


def build_motorcycle_parts(
    wheelbase: float, wheel_radius: float, handlebar_width: float, height: float, seat_height: float
) -> Parts:
    """A standard (naked) motorcycle facing +x, parked upright: tyres on rims, a painted tank and tail,
    a black seat, engine block and fork legs, a chrome exhaust, a handlebar with mirrors, a head lamp
    under a small tinted screen whose top is ``height``, a tail lamp and a rear plate.

    Args:
        wheelbase: axle to axle, metres (the length is wheelbase + 2 wheel_radius: tyre to tyre).
        wheel_radius: tyre radius, metres (front and rear alike).
        handlebar_width: across the bar ends, metres: the width.
        height: ground to the top of the screen, metres. seat_height: ground to the seat's top, metres.
    """
    r = wheel_radius
    rear, front = -wheelbase / 2.0, wheelbase / 2.0
    parts: Parts = []
    for x, width in ((rear, 0.18), (front, 0.12)):
        parts += wheel_parts(x, 1.0, width / 2.0, r, width, 20)
    head = np.array([front - 0.32 * r - 0.2, 0.0, seat_height + 0.12])  # steering head over the fork's rake
    fork = [front, 0.0, r]
    for side in (1.0, -1.0):  # fork legs from the front axle up to the steering head
        lo = block((fork[0] - 0.03, side * 0.08 - 0.02, r), (fork[0] + 0.03, side * 0.08 + 0.02, r + 0.05))
        leg = hexa(np.array([[(fork[0] - 0.03, head[0] - 0.03, fork[0] + 0.03, head[0] + 0.03)[2 * ix + iz],
                              side * 0.08 + (-0.02, 0.02)[iy], (r, head[2])[iz]]
                             for ix in (0, 1) for iy in (0, 1) for iz in (0, 1)]))  # fmt: skip
        parts += [("black_trim", lo), ("chrome", leg)]
    tank_rear = rear + 0.55 * wheelbase
    parts += [
        ("black_trim", block((rear + 0.3 * wheelbase, -0.16, r * 0.6), (front - 0.35 * wheelbase, 0.16, r * 1.9))),
        ("body", block((tank_rear, -0.15, seat_height - 0.05), (head[0] - 0.02, 0.15, seat_height + 0.14))),
        ("black_trim", block((rear + 0.1, -0.13, seat_height - 0.08), (tank_rear + 0.02, 0.13, seat_height))),
        ("body", block((rear - 0.05, -0.09, seat_height - 0.2), (rear + 0.15, 0.09, seat_height + 0.02))),
        ("tail_lamp", block((rear - 0.09, -0.06, seat_height - 0.1), (rear - 0.05, 0.06, seat_height - 0.03))),
    ]
    plate_x = rear - 0.08
    plate = block((plate_x - 0.01, -MOTORCYCLE_PLATE[0] / 2, seat_height - 0.32),
                  (plate_x, MOTORCYCLE_PLATE[0] / 2, seat_height - 0.32 + MOTORCYCLE_PLATE[1]))  # fmt: skip
    parts.append(("plate", plate))
    parts.append(("chrome", block((rear + 0.05, -0.2, 0.45 * r), (rear + 0.55 * wheelbase, -0.13, 0.7 * r))))
    bar_z = head[2] + 0.1
    half_bar = handlebar_width / 2.0
    parts.append(("black_trim", block((head[0] - 0.1, -half_bar, bar_z), (head[0] - 0.07, half_bar, bar_z + 0.03))))
    for side in (1.0, -1.0):  # mirrors on stalks, inside the bar's ends, just below the screen's top
        y0, y1 = sorted((side * (half_bar - 0.14), side * (half_bar - 0.04)))
        parts.append(("black_trim", block((head[0] - 0.1, y0, height - 0.1), (head[0] - 0.08, y1, height - 0.03))))
    lamp_x = head[0] + 0.06
    parts += [
        ("head_lamp", block((lamp_x, -0.09, head[2] - 0.12), (lamp_x + 0.08, 0.09, head[2] + 0.02))),
        ("car_glass", block((lamp_x - 0.06, -0.15, head[2] + 0.02), (lamp_x + 0.02, 0.15, height))),
    ]
    return by_surface(parts)


def build_motorcycle(**params: Any) -> trimesh.Trimesh:
    """The motorcycle of :func:`build_motorcycle_parts` as one mesh."""
    return assemble_parts(build_motorcycle_parts(**params))


def motorcycle_size(params: dict[str, Any]) -> tuple[float, float, float]:
    """[length, width, height] (m) of :func:`build_motorcycle_parts`'s mesh: tyre to tyre, bar end to bar end,
    ground to screen top."""
    return (params["wheelbase"] + 2.0 * params["wheel_radius"], params["handlebar_width"], params["height"])


def sample_motorcycle(rng: np.random.Generator) -> dict[str, Any]:
    """A standard motorcycle of 125-900 cc (Honda CB500F: 2080 x 790 x 1060 mm, wheelbase 1410 mm; Yamaha
    MT-07: 2085 x 745 x 1105, 1400; 120/70 ZR17 front tyre: 300 mm radius): wheelbase 1.3-1.5 m, tyre
    radius 0.29-0.32 m, handlebar 0.72-0.85 m, screen top (over the mirrors) 1.2-1.35 m, seat 0.78-0.84 m."""
    return {
        "wheelbase": uniform(rng, 1.3, 1.5),
        "wheel_radius": uniform(rng, 0.29, 0.32),
        "handlebar_width": uniform(rng, 0.72, 0.85),
        "height": uniform(rng, 1.2, 1.35),
        "seat_height": uniform(rng, 0.78, 0.84),
    }

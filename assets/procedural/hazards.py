"""Road hazard assets: a lost tyre, lost cargo (a box, a EUR pallet) and a quadruped animal.

Each ``build_<name>`` is deterministic in its named parameters (metres) and returns one trimesh in the
object frame: x forward (length), y left (width), z up, origin at the centre of the axis-aligned
bounds. Each ``sample_<name>(rng)`` draws realistic parameters as plain Python numbers. Builders lay
parts out with z = 0 on the ground, then :func:`assemble` centres the result.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from assets._trimesh import trimesh
from assets.procedural.base import assemble, box_between, concatenated, limb, revolved, rod, sphere, uniform

TYRE_SECTIONS = 24  # around the tyre's axis: reads as round at road distances, 10 profile points each


# --- a lost tyre ---------------------------------------------------------------------------------------
def _tyre_profile(radius: float, rim_radius: float, width: float) -> np.ndarray:
    """The tyre's closed cross-section (k, 2) in the (distance from axle, along axle) plane, metres,
    counter-clockwise so the revolved surface faces outwards: bead at ``rim_radius``, sidewalls bulging a
    little past ``width``'s tread, and a tread with rounded shoulders out to ``radius``."""
    half = width / 2.0
    shoulder = 0.2 * (radius - rim_radius)  # rounded shoulder between sidewall and tread
    bead_half = 0.85 * half  # the bead seats narrower than the tread: sidewalls flare out
    points = [
        (rim_radius, -bead_half),
        (radius - shoulder, -half),
        (radius - 0.3 * shoulder, -half + 0.3 * shoulder),
        (radius, -half + shoulder),
        (radius, half - shoulder),
        (radius - 0.3 * shoulder, half - 0.3 * shoulder),
        (radius - shoulder, half),
        (rim_radius, bead_half),
        (rim_radius, -bead_half),
    ]
    return np.asarray(points, dtype=np.float64)


def build_tire(radius: float, rim_radius: float, width: float, standing: int, with_rim: int) -> trimesh.Trimesh:
    """A car tyre, lying flat (axle along z) or standing on its tread (axle along y, rolling along x).

    Args:
        radius: outer (tread) radius in metres.
        rim_radius: inner (bead) radius in metres, the rim's size; less than ``radius``.
        width: tread width in metres (the section width of a tyre size such as 205/55 R16 is 0.205 m).
        standing: 1 standing on its tread, 0 lying flat on a sidewall.
        with_rim: 1 still mounted on its steel rim (a disc filling the bead), 0 a bare tyre.
    """
    parts = [revolved(_tyre_profile(radius, rim_radius, width), sections=TYRE_SECTIONS)]
    if with_rim:
        # the rim's disc is set back into the tyre (its offset), thinner than the tread
        parts.append(rod((0.0, 0.0, -0.3 * width), (0.0, 0.0, 0.3 * width), rim_radius * 1.01, TYRE_SECTIONS))
    mesh = concatenated(parts)
    if standing:  # the revolution axis (z) becomes the axle (y)
        mesh.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2.0, [1.0, 0.0, 0.0]))
    return assemble([mesh])


def sample_tire(rng: np.random.Generator) -> dict[str, Any]:
    """A passenger-car or van tyre: outer radius 0.28-0.4 m (14-20 inch rims), 0.155-0.285 m wide,
    standing in a third of draws, still on its rim in half."""
    radius = uniform(rng, 0.28, 0.4)
    return {
        "radius": radius,
        "rim_radius": radius * uniform(rng, 0.55, 0.72),  # the sidewall is 28-45 % of the radius
        "width": uniform(rng, 0.155, 0.285),
        "standing": int(rng.uniform() < 1.0 / 3.0),
        "with_rim": int(rng.uniform() < 0.5),
    }


# --- lost cargo ------------------------------------------------------------------------------------------
def build_cargo_box(length: float, width: float, height: float, lid_height: float, lid_overhang: float):
    """A lost transport box (corrugated carton or wooden crate) with a lid slightly wider than its body.

    Args:
        length, width: body footprint in metres (x, y).
        height: overall height in metres, lid included.
        lid_height: the lid's depth in metres (less than ``height``).
        lid_overhang: how far the lid overhangs the body on each side, metres.
    """
    body = box_between((-length / 2, -width / 2, 0.0), (length / 2, width / 2, height - lid_height / 2))
    lo = (-length / 2 - lid_overhang, -width / 2 - lid_overhang, height - lid_height)
    hi = (length / 2 + lid_overhang, width / 2 + lid_overhang, height)
    return assemble([body, box_between(lo, hi)])


def sample_cargo_box(rng: np.random.Generator) -> dict[str, Any]:
    """A moving carton to a small crate: 0.3-1.0 m long, 0.25-0.8 m wide, 0.2-0.8 m tall."""
    length = uniform(rng, 0.3, 1.0)
    height = uniform(rng, 0.2, 0.8)
    return {
        "length": length,
        "width": length * uniform(rng, 0.6, 0.9),
        "height": height,
        "lid_height": height * uniform(rng, 0.08, 0.2),
        "lid_overhang": uniform(rng, 0.0, 0.015),
    }


# EUR pallet, EN 13698-1 (EPAL 1): 1200 x 800 x 144 mm; boards 22 mm thick, blocks 78 mm tall.
PALLET_LENGTH_M = 1.2
PALLET_WIDTH_M = 0.8
# top deck boards (along x): their widths across y, outer to outer
PALLET_TOP_BOARDS_M = (0.145, 0.1, 0.145, 0.1, 0.145)
PALLET_BOTTOM_BOARDS_M = (0.1, 0.145, 0.1)  # bottom deck boards (along x), outer, middle, outer
PALLET_STRINGER_M = 0.145  # the three cross boards under the top deck (along y), their width along x
PALLET_BLOCK_M = (0.145, 0.1, 0.145)  # block sizes along y: outer blocks 145 x 100, middle 145 x 145


def _spread(widths: tuple[float, ...], span: float) -> list[tuple[float, float]]:
    """(low, high) intervals of boards of ``widths`` (m) spread evenly over ``span`` (m), centred on
    0, the first and last flush with the edges."""
    gap = (span - sum(widths)) / (len(widths) - 1)
    lows = -span / 2.0 + np.concatenate([[0.0], np.cumsum(np.asarray(widths[:-1]) + gap)])
    return [(float(lo), float(lo + w)) for lo, w in zip(lows, widths, strict=True)]


def build_pallet(board_thickness: float, block_height: float, missing_top_board: int) -> trimesh.Trimesh:
    """A EUR pallet (EN 13698-1): five top deck boards along x on three cross boards, nine blocks and
    three bottom deck boards, 1.2 m long (x) and 0.8 m wide (y).

    Args:
        board_thickness: thickness of every board in metres (22 mm nominal).
        block_height: height of the blocks in metres (78 mm nominal).
        missing_top_board: index (1-3) of an inner top board broken off, 0 for none.
    """
    t, half_l = board_thickness, PALLET_LENGTH_M / 2.0
    block_top = t + block_height
    parts = [box_between((-half_l, lo, 0.0), (half_l, hi, t)) for lo, hi in _spread(PALLET_BOTTOM_BOARDS_M, 0.8)]
    x_slots = _spread((PALLET_STRINGER_M,) * 3, PALLET_LENGTH_M)
    for x_lo, x_hi in x_slots:
        parts += [box_between((x_lo, lo, t), (x_hi, hi, block_top)) for lo, hi in _spread(PALLET_BLOCK_M, 0.8)]
        parts.append(box_between((x_lo, -PALLET_WIDTH_M / 2, block_top), (x_hi, PALLET_WIDTH_M / 2, block_top + t)))
    for k, (lo, hi) in enumerate(_spread(PALLET_TOP_BOARDS_M, PALLET_WIDTH_M)):
        if k != missing_top_board:  # the outer boards (0, 4) stay: they carry the EPAL brand blocks
            parts.append(box_between((-half_l, lo, block_top + t), (half_l, hi, block_top + 2 * t)))
    return assemble(parts)


def sample_pallet(rng: np.random.Generator) -> dict[str, Any]:
    """A used EUR pallet: board thickness 20-24 mm and block height 76-80 mm (wear and timber
    tolerance around the nominal 22 and 78 mm), one inner top board broken off in a quarter of draws."""
    return {
        "board_thickness": uniform(rng, 0.020, 0.024),
        "block_height": uniform(rng, 0.076, 0.080),
        "missing_top_board": int(rng.integers(1, 4)) if rng.uniform() < 0.25 else 0,
    }


# --- a quadruped ------------------------------------------------------------------------------------------
BODY_WIDTH_SHARE = 0.75  # a quadruped's chest is about three quarters as wide as it is deep


def _leg(hip: np.ndarray, length: float, radius: float, bend: float) -> list[trimesh.Trimesh]:
    """A two-segment leg from ``hip`` (3,) straight down to the ground, its middle joint pushed
    ``bend`` (m) along x (forward for a knee, backward for a hock), plus a hoof or paw."""
    foot = hip - np.array([0.0, 0.0, length - radius])
    joint = (hip + foot) / 2.0 + np.array([bend, 0.0, 0.0])
    return [limb(hip, joint, radius), limb(joint, foot, 0.8 * radius)]


def build_animal(
    shoulder_height: float,
    body_length: float,
    leg_fraction: float,
    neck_length: float,
    neck_angle_deg: float,
    head_length: float,
    tail_length: float,
    leg_thickness: float,
) -> trimesh.Trimesh:
    """A standing quadruped facing +x: a barrel body, four two-segment legs (knees forward, hocks
    back), a raised neck, a head with a muzzle and ears, and a tail.

    Args:
        shoulder_height: ground to withers (top of the shoulders), metres.
        body_length: point of shoulder to point of buttock along x, metres.
        leg_fraction: share of ``shoulder_height`` below the body (long-legged deer ~0.6, dogs ~0.5);
            the round body fills the rest up to the withers, so its depth and width are the other share.
        neck_length: withers to the base of the skull, metres.
        neck_angle_deg: the neck's rise above horizontal, degrees (a dog's ~35, a deer's ~60).
        head_length: skull and muzzle along the head's axis, metres.
        tail_length: metres.
        leg_thickness: the upper legs' radius as a share of the body's radius.
    """
    belly = leg_fraction * shoulder_height
    body_r = (shoulder_height - belly) / 2.0  # the barrel's top is the withers' height
    spine = belly + body_r
    half = body_length / 2.0 - body_r  # the capsule's rounded ends make up the rest of its length
    body = limb((-half, 0.0, spine), (half, 0.0, spine), body_r)
    body.apply_transform(np.diag([1.0, BODY_WIDTH_SHARE, 1.0, 1.0]))  # narrower than deep, about y = 0
    parts = [body]
    leg_r = leg_thickness * body_r
    for x, bend in ((0.8 * half, 0.04), (-0.8 * half, -0.08)):  # fore legs: knee forward; hind: hock back
        for sy in (-1.0, 1.0):
            hip = np.array([x, sy * 0.55 * BODY_WIDTH_SHARE * body_r, spine])
            parts += _leg(hip, spine, leg_r, bend * shoulder_height)
    # the neck rises forward from the withers; the head points forward and down
    withers = np.array([half + 0.3 * body_r, 0.0, spine + 0.3 * body_r])
    angle = np.radians(neck_angle_deg)
    poll = withers + neck_length * np.array([np.cos(angle), 0.0, np.sin(angle)])
    neck_r = 0.45 * body_r
    head_r = 0.35 * head_length
    nose = poll + (head_length - head_r) * np.array([np.cos(np.radians(-35.0)), 0.0, np.sin(np.radians(-35.0))])
    parts += [limb(withers, poll, neck_r), sphere(poll, head_r), limb(poll, nose, 0.55 * head_r)]
    for sy in (-1.0, 1.0):  # ears: short thin rods angled up and out from the top of the head
        base, tip = (
            poll + [-0.2 * head_r, sy * 0.5 * head_r, 0.6 * head_r],
            poll + [-0.4 * head_r, sy * head_r, 1.5 * head_r],
        )
        parts.append(rod(base, tip, 0.22 * head_r, 6))
    rump = np.array([-half - 0.8 * body_r, 0.0, spine + 0.4 * body_r])
    tip = rump + tail_length * np.array([-np.cos(np.radians(55.0)), 0.0, -np.sin(np.radians(55.0))])
    parts.append(limb(rump, tip, max(0.12 * body_r, 0.01)))
    return assemble(parts)


def sample_animal(rng: np.random.Generator) -> dict[str, Any]:
    """A dog- to deer-sized quadruped: shoulder height 0.3-1.2 m. Proportions move with size from a
    dog's (body about 1.15x the shoulder height, legs half of it, a short forward neck, sturdy legs, a
    long tail) to a deer's (longer, thinner legs, a long upright neck, a short tail)."""
    height = uniform(rng, 0.3, 1.2)
    deer = (height - 0.3) / 0.9  # 0 at dog size, 1 at deer size
    return {
        "shoulder_height": height,
        "body_length": height * uniform(rng, 1.05, 1.3),
        "leg_fraction": 0.48 + 0.12 * deer + uniform(rng, -0.03, 0.03),
        "neck_length": height * (0.22 + 0.2 * deer) * uniform(rng, 0.9, 1.1),
        "neck_angle_deg": 35.0 + 25.0 * deer + uniform(rng, -5.0, 5.0),
        "head_length": height * (0.35 - 0.1 * deer) * uniform(rng, 0.9, 1.1),
        "tail_length": height * (0.45 - 0.33 * deer) * uniform(rng, 0.8, 1.2),
        "leg_thickness": 0.3 - 0.1 * deer + uniform(rng, -0.02, 0.02),
    }

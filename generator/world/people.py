"""Articulated people: give pedestrians, cyclists' riders and the scenario library's children a skeleton
(``scenes.skeleton``).

A procedural pedestrian keeps its asset (its height, shoulder width and torso depth set the body) and
gains a Skeleton: build, clothing and colours, a standing stance, a gait phase. A procedural cyclist's
asset becomes the bicycle alone (``assets.procedural.street.build_bicycle``) ridden by an articulated
rider (activity ``cycle``). The top a person wears is the entity's sampled material colour (domain
randomisation and a worker's hi-vis vest reach the person through it). People from a user's asset
catalog stay rigid.

Two ways in:
- the random street's people are articulated after every object is placed (:func:`articulate_people`),
  with draws from the ``people`` stream keyed by instance id, so a person's looks never move another
  object. A share of its adults (``scene.people.child_share``) are children (height from
  ``scene.people.child_height_m``, labelled ``{"age_group": "child"}`` as the scenario library's children
  are). Their 3D box is the envelope of the posed body over the scene's frames (a whole gait cycle or
  crank turn at the top speed in long sequences); the trajectory keeps the ground point and support.
- a scenario's people are articulated when it chooses them (:func:`articulated_choice`), before it
  stages its critical geometry: their box (the envelope over a whole cycle at the scenario's speed and
  the standing pose) is what the scenario's gaps and times are measured to.
"""

from __future__ import annotations

import colorsys
from dataclasses import replace
from typing import Any

import numpy as np

from assets.articulated import entity_parts
from assets.procedural.street import bicycle_contacts
from generator.world.distributions import sample, weighted_choice
from generator.world.pieces import AssetChoice
from generator.world.placement import SweptFootprint, overlaps_any
from generator.world.seeding import rng_for
from scenes import AssetRef, Entity, Trajectory
from scenes.pose import motion_state, pose_frames
from scenes.skeleton import BOTTOMS, HAIR, JOINTS, STANCES, TOPS, Appearance, Body, Skeleton
from scenes.transforms import make_pose

# Skin tones: linear RGB across the Fitzpatrick range (sRGB swatches of the von Luschan / Fitzpatrick
# charts, linearised), drawn uniformly.
SKIN_TONES: tuple[tuple[float, float, float], ...] = (
    (0.87, 0.66, 0.54),
    (0.76, 0.52, 0.39),
    (0.62, 0.40, 0.28),
    (0.45, 0.27, 0.17),
    (0.26, 0.15, 0.09),
    (0.13, 0.07, 0.05),
)
HAIR_COLORS: tuple[tuple[float, float, float], ...] = (
    (0.02, 0.015, 0.01),  # black
    (0.09, 0.05, 0.025),  # dark brown
    (0.25, 0.13, 0.05),  # brown
    (0.6, 0.45, 0.22),  # blond
    (0.45, 0.12, 0.04),  # red
    (0.5, 0.5, 0.5),  # grey
)
TOP_WEIGHTS = {"tshirt": 0.45, "long_sleeve": 0.35, "coat": 0.2}
BOTTOM_WEIGHTS = {"trousers": 0.6, "shorts": 0.2, "skirt": 0.2}
HAIR_WEIGHTS = {"short": 0.55, "long": 0.3, "none": 0.15}
ENVELOPE_PHASES = 12  # poses per gait cycle (or crank turn) a box over whole cycles encloses
PERSON_ASSETS = ("pedestrian", "cyclist")  # the procedural assets that become articulated people
assert set(TOP_WEIGHTS) == set(TOPS) and set(BOTTOM_WEIGHTS) == set(BOTTOMS) and set(HAIR_WEIGHTS) == set(HAIR)

Poses = list[tuple[float, float]]  # (speed m/s, cycle position) pairs a box must enclose


def is_person_asset(ref: AssetRef) -> bool:
    """Whether an asset is one of the procedural people that get a skeleton."""
    return ref.source == "procedural" and ref.name in PERSON_ASSETS


# --- the random street ----------------------------------------------------------------------------------
def articulate_people(
    people_cfg: Any, entities: list[Entity], seed: int, index: int, frame_times: np.ndarray
) -> list[Entity]:
    """``entities`` with every procedural pedestrian and cyclist that has no skeleton yet articulated (see
    the module docstring); the others unchanged. ``people_cfg``: the ``scene.people`` node
    (articulated, child_share, child_height_m); ``frame_times``: the scene's frame times (s)."""
    if not people_cfg.articulated:
        return entities
    out = []
    for entity in entities:
        if is_person_asset(entity.asset) and entity.skeleton is None:
            rng = rng_for(seed, index, "people", entity.instance_id)
            entity = _articulated_entity(people_cfg, entity, rng, frame_times)
        out.append(entity)
    return out


def keep_clear(
    entities: list[Entity],
    people: set[int],
    times: np.ndarray,
    reserved: list[SweptFootprint],
    obstacles: list[Entity] | tuple[()] = (),
) -> list[Entity]:
    """``entities`` less the articulated people (instance ids ``people``) whose box, at one of the keyframe
    ``times`` (s, the placer's grid), overlaps another entity's box, an ``obstacles`` entity's box (the
    street furniture whose footprint the placer kept) or a ``reserved`` footprint (the ego's). The placer
    placed their rigid figures' footprints; a walking body's box spans its stride and an elbows-out stance
    is wider, so a person squeezed in beside a car may now touch it: such a person is left out, as an
    object that found no room is. Others are checked first, people in order."""

    def swept(entity: Entity) -> SweptFootprint:
        poses = [entity.trajectory.pose_at(float(t)) for t in times]
        centres = np.array([p[:2, 3] for p in poses])
        yaws = np.array([np.arctan2(p[1, 0], p[0, 0]) for p in poses])
        return SweptFootprint(centres, yaws, float(entity.size_m[0]), float(entity.size_m[1]))

    taken = [*reserved, *(swept(e) for e in [*entities, *obstacles] if e.instance_id not in people)]
    kept = []
    for entity in entities:
        if entity.instance_id in people:
            footprint = swept(entity)
            if overlaps_any(footprint, taken):
                continue
            taken.append(footprint)
        kept.append(entity)
    return kept


def _articulated_entity(people_cfg: Any, entity: Entity, rng: np.random.Generator, frame_times: np.ndarray) -> Entity:
    attributes = dict(entity.attributes)
    height = None
    if entity.asset.name == "pedestrian":
        # both numbers are drawn either way, so the draws after them do not depend on how the share fell
        is_child, child_height = (
            rng.uniform(),
            float(sample("scene.people.child_height_m", people_cfg.child_height_m, rng)),
        )
        if "age_group" not in attributes and is_child < float(people_cfg.child_share):
            height, attributes["age_group"] = child_height, "child"
    moving = _top_speed(entity.trajectory) > 0
    ref, skeleton = _skeleton(entity.asset, rng, moving, height)
    # the rigid figure's box stood on its support, centred over the feet (a cyclist's: between the hubs)
    old_origin = np.array([0.0, 0.0, entity.size_m[2] / 2.0])
    support_z = entity.trajectory.poses[0][2, 3] - old_origin[2]
    probe = replace(entity, asset=ref, skeleton=skeleton)
    poses = _frame_poses(probe, frame_times)
    size, origin = _box(ref, entity.scale, skeleton, poses)
    shift = make_pose(np.eye(3), [origin[0] - old_origin[0], origin[1] - old_origin[1], 0.0])
    moved = []
    for pose in entity.trajectory.poses:
        pose = pose @ shift
        pose[2, 3] = support_z + origin[2]
        moved.append(pose)
    return replace(
        entity,
        asset=ref,
        skeleton=replace(skeleton, origin_in_body=origin),
        size_m=size,
        trajectory=Trajectory(times=list(entity.trajectory.times), poses=moved),
        attributes=attributes,
    )


def _frame_poses(entity: Entity, frame_times: np.ndarray) -> Poses:
    """The poses of the entity's frames: each frame's for up to ENVELOPE_PHASES frames; for longer scenes,
    where a walker runs through whole cycles, those of a cycle at its top speed and its standing pose."""
    if len(frame_times) <= ENVELOPE_PHASES:
        return [motion_state(entity.skeleton, entity.trajectory, float(t)) for t in frame_times]
    return _cycle_poses(entity.skeleton, _top_speed(entity.trajectory))


# --- a scenario's people ----------------------------------------------------------------------------------
def articulated_choice(choice: AssetChoice, rng: np.random.Generator, speed_mps: float) -> AssetChoice:
    """A scenario's person: ``choice`` (a procedural pedestrian or cyclist; others are returned as they
    are) with a skeleton drawn from ``rng``, its box the envelope over a whole gait cycle (or crank turn)
    at ``speed_mps`` and the standing pose, so any frame the scenario stages lies inside it."""
    if not is_person_asset(choice.ref):
        return choice
    ref, skeleton = _skeleton(choice.ref, rng, speed_mps > 0, None)
    size, origin = _box(ref, choice.scale, skeleton, _cycle_poses(skeleton, speed_mps))
    return AssetChoice(ref, choice.scale, size, replace(skeleton, origin_in_body=origin))


# --- shared -------------------------------------------------------------------------------------------------
def _skeleton(ref: AssetRef, rng: np.random.Generator, moving: bool, height: float | None) -> tuple[AssetRef, Skeleton]:
    """(the asset the person's entity has, its Skeleton with the origin at the body frame's origin) for
    procedural person ``ref``; ``height`` (m) overrides a pedestrian's."""
    params = ref.params
    appearance = Appearance(
        skin=SKIN_TONES[int(rng.integers(len(SKIN_TONES)))],
        hair_color=HAIR_COLORS[int(rng.integers(len(HAIR_COLORS)))],
        bottom_color=_colour(rng, (0.1, 0.6), (0.1, 0.6)),
        shoe_color=_colour(rng, (0.0, 0.4), (0.03, 0.5)),
        top=weighted_choice(TOP_WEIGHTS, rng),
        bottom=weighted_choice(BOTTOM_WEIGHTS, rng),
        hair=weighted_choice(HAIR_WEIGHTS, rng),
    )
    stance, phase = str(STANCES[int(rng.integers(len(STANCES)))]), float(rng.uniform())
    if ref.name == "cyclist":
        contacts = bicycle_contacts(params["wheel_radius"], params["wheelbase"], params["rider_height"])
        body = Body(float(params["rider_height"]), float(rng.uniform(0.85, 1.2)), float(rng.uniform(0.23, 0.27)))
        skeleton = Skeleton(body, appearance, "cycle", "relaxed", phase, contacts, (0.0, 0.0, 0.0))
        return AssetRef("procedural", "bicycle", dict(params)), skeleton
    body = Body(
        height_m=float(height if height is not None else params["height"]),
        build=float(np.clip(float(params["torso_depth"]) / 0.23, 0.8, 1.3)),
        shoulder_ratio=float(np.clip(float(params["shoulder_width"]) / float(params["height"]) - 0.02, 0.2, 0.3)),
    )
    return ref, Skeleton(body, appearance, "walk" if moving else "stand", stance, phase, None, (0.0, 0.0, 0.0))


def _colour(rng: np.random.Generator, saturation: tuple[float, float], value: tuple[float, float]) -> tuple:
    """A garment colour: uniform hue, saturation and value in the given ranges, as linear RGB."""
    rgb = colorsys.hsv_to_rgb(float(rng.uniform()), float(rng.uniform(*saturation)), float(rng.uniform(*value)))
    return tuple(float(c) ** 2.2 for c in rgb)


def _top_speed(trajectory: Trajectory) -> float:
    """The highest horizontal speed (m/s) over the trajectory's keyframe intervals; 0 when static."""
    if len(trajectory.times) < 2:
        return 0.0
    positions = np.array([p[:3, 3] for p in trajectory.poses])
    steps = np.linalg.norm(np.diff(positions[:, :2], axis=0), axis=1)
    return float(np.max(steps / np.diff(trajectory.times)))


def _cycle_poses(skeleton: Skeleton, speed: float) -> Poses:
    """ENVELOPE_PHASES poses over a whole cycle at ``speed`` m/s, and the standing pose."""
    return [(speed, k / ENVELOPE_PHASES) for k in range(ENVELOPE_PHASES)] + [(0.0, skeleton.phase)]


def _box(ref: AssetRef, scale: float, skeleton: Skeleton, poses: Poses) -> tuple[tuple, tuple]:
    """(size_m, origin_in_body) of the box enclosing the body's parts (and a cyclist's bicycle) in every
    pose of ``poses``, standing on the ground (z = 0 of the body frame, where the lower sole touches)."""
    probe = Entity("probe", 0, "pedestrian", ref, (1.0, 1.0, 1.0), Trajectory.static(np.eye(4)), scale=scale)
    parts = entity_parts(replace(probe, skeleton=skeleton))
    # the parts' vertices as plain arrays, read once (not once per pose through trimesh's tracked arrays)
    vertex_sets = [(JOINTS[p.joint] if p.joint is not None else None, np.asarray(p.mesh.vertices)) for p in parts]
    lo, hi = np.full(3, np.inf), np.full(3, -np.inf)
    for speed, cycle in dict.fromkeys(poses):  # a person standing still has one pose in every frame
        frames = pose_frames(skeleton, speed, cycle)
        for part, (joint, local) in zip(parts, vertex_sets, strict=True):
            pose = frames[joint] if joint is not None else part.object_from_part
            vertices = local @ pose[:3, :3].T + pose[:3, 3]
            lo, hi = np.minimum(lo, vertices.min(axis=0)), np.maximum(hi, vertices.max(axis=0))
    lo[2] = 0.0
    return tuple(float(v) for v in hi - lo), tuple(float(v) for v in (lo + hi) / 2.0)

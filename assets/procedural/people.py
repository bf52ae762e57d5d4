"""An articulated person's mesh: rigid parts, each in the frame of the joint it is bound to.

The skeleton, its proportions and its pose over time are ``scenes.skeleton``'s; this module only turns
a :class:`scenes.skeleton.Skeleton` into meshes. A part's mesh is in its joint's frame (origin at the
joint, the segment running along -z; see ``scenes.skeleton``), so placing part p at
``object_from_joint[p.joint]`` poses the body. Limbs are capsules, the pelvis and torso boxes, the head
a sphere with a hair cap; garments (``Appearance.top`` / ``bottom``) decide which segments wear the
clothing colours and add a skirt or a coat's skirt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assets._trimesh import trimesh
from assets.procedural import arrays, base
from assets.procedural.base import capsule_down, revolved, sphere
from scenes.skeleton import JOINT_INDEX, SIDES, Skeleton, dimensions

Color = tuple[float, float, float]


@dataclass(frozen=True)
class PersonPart:
    """One rigid piece of a body: its mesh in the frame of joint ``joint`` (a name of
    ``scenes.skeleton.JOINTS``) and its colour (linear RGB; None: the entity's material colour, which the
    top wears). Boxes are trimeshes, which carry the box's own face normals; the other parts bare arrays."""

    joint: str
    mesh: trimesh.Trimesh | arrays.Mesh
    color: Color | None


def person_parts(skeleton: Skeleton) -> list[PersonPart]:
    """The body's parts (see the module docstring); metres, joint frames."""
    d = dimensions(skeleton)
    a = skeleton.appearance
    k = d.height / 1.75
    skin, top, bottom = tuple(a.skin), None, tuple(a.bottom_color)  # the top: the entity's material
    long_sleeves = a.top in ("long_sleeve", "coat")
    bare_shins = a.bottom in ("shorts", "skirt")
    torso_top = d.shoulder_z - d.waist_z + 0.035 * k
    half_depth = d.torso_depth / 2
    parts = [
        # the hips' block, from a little below the hip joints up to the waist
        PersonPart(
            "pelvis",
            box_between(
                (-0.9 * half_depth, -(d.hip_half_width + d.leg_radius), -0.06 * k),
                (0.9 * half_depth, d.hip_half_width + d.leg_radius, d.waist_z - d.hip_z + 0.01),
            ),
            bottom,
        ),
        PersonPart(
            "spine",
            box_between((-half_depth, -d.torso_half_width, 0.0), (half_depth, d.torso_half_width, torso_top)),
            top,
        ),
        PersonPart("neck", _segment_up(d.neck_length - 0.6 * d.head_radius, 0.045 * k), skin),
        PersonPart("head", sphere((0.0, 0.0, 0.0), d.head_radius), skin),
    ]
    r = d.head_radius
    if a.hair != "none":  # a cap set back and up, so the face stays bare and the ears just show
        parts.append(PersonPart("head", sphere((-0.2 * r, 0.0, 0.15 * r), 1.08 * r), tuple(a.hair_color)))
    if a.hair == "long":
        parts.append(
            PersonPart(
                "head", box_between((-1.05 * r, -0.8 * r, -1.6 * r), (-0.35 * r, 0.8 * r, 0.3 * r)), tuple(a.hair_color)
            )
        )
    if d.skirt_radius:  # a flared skirt from the waist to just above the knees, hanging from the pelvis
        waist, hem = d.waist_z - d.hip_z, -0.75 * d.thigh
        top_r = d.hip_half_width + d.leg_radius
        profile = [(0.0, hem), (d.skirt_radius, hem), (top_r, waist), (0.0, waist)]
        parts.append(PersonPart("pelvis", revolved(profile, sections=16), bottom))
    if d.coat_length:  # a coat's skirt below the waist, hanging from the spine
        parts.append(
            PersonPart(
                "spine",
                box_between(
                    (-1.05 * half_depth, -1.05 * d.torso_half_width, -d.coat_length),
                    (1.05 * half_depth, 1.05 * d.torso_half_width, 0.02),
                ),
                top,
            )
        )
    for side in SIDES:
        parts += [
            PersonPart(f"{side}_hip", capsule_down(d.thigh, d.leg_radius), bottom),
            PersonPart(f"{side}_knee", capsule_down(d.shank, d.shin_radius), skin if bare_shins else bottom),
            PersonPart(
                f"{side}_ankle",
                box_between(
                    (-0.22 * d.foot_length, -d.foot_half_width, -d.ankle_z),
                    (0.78 * d.foot_length, d.foot_half_width, -d.ankle_z + 0.085 * k),
                ),
                tuple(a.shoe_color),
            ),
            PersonPart(f"{side}_shoulder", capsule_down(d.upper_arm, d.arm_radius), top),
            PersonPart(
                f"{side}_elbow",
                capsule_down(0.94 * d.forearm, d.forearm_radius),
                top if long_sleeves else skin,
            ),
            PersonPart(f"{side}_wrist", sphere((0.0, 0.0, -0.5 * d.hand_radius), d.hand_radius), skin),
        ]
    assert all(p.joint in JOINT_INDEX for p in parts)
    return parts


def box_between(lo: Sequence[float], hi: Sequence[float]) -> trimesh.Trimesh:
    """``base.box_between`` as the trimesh ``trimesh.creation.box`` makes, its face normals included (a part
    is drawn as it is, so its normals are the box's own)."""
    mesh = base.box_between(lo, hi)
    return trimesh.Trimesh(vertices=mesh.vertices, faces=mesh.faces, face_normals=arrays.box_normals(), process=False)


def _segment_up(length: float, radius: float) -> arrays.Mesh:
    """A capsule of ``radius`` from the origin up to (0, 0, ``length``) (the neck)."""
    down = capsule_down(length, radius)
    vertices = down.vertices.copy()
    vertices[:, 2] *= -1.0
    return arrays.Mesh(vertices, np.ascontiguousarray(down.faces[:, ::-1]))  # the mirror's winding turned back

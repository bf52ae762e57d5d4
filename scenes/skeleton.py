"""Articulated people: a skeleton, its body shape and clothing (numpy only); ``scenes.pose`` poses it.

A person is an Entity with a :class:`Skeleton`. Its mesh is a set of rigid parts, each bound to one joint
(``assets.procedural.people`` builds them in the joint's frame); ``scenes.pose.joint_frames`` gives every
joint's frame in the object frame at time t, so a renderer places part p at
``world_from_object(t) @ object_from_joint[p.joint](t)``. Everything here is a pure function of the
Skeleton (stored in scene.json) and the entity's trajectory, so a scene re-renders exactly.

Frames and units:
- body frame: x forward (the walking direction), y left, z up, metres, ground at z = 0, the pelvis
  above the origin. The object frame is the body frame shifted so that the origin is the centre of the
  person's 3D box: ``object = body - origin_in_body``.
- a joint frame has its origin at the joint; its -z axis runs along the segment to the next joint (a
  hanging arm or a standing leg is the identity rotation), x forward, y left.

Joints: pelvis, spine (waist), neck (base), head (centre of the skull), and per side hip, knee, ankle,
toe, shoulder, elbow, wrist. The 17 COCO keypoints (``COCO_KEYPOINTS``) are the limb joints plus five
points on the head: nose, eyes and ears.

Body proportions (fractions of standing height H) are adult segment lengths from Drillis & Contini
(1966), as tabulated in Winter, *Biomechanics and Motor Control of Human Movement* (4th ed. 2009, fig.
4.1): hip joint 0.530 H, knee 0.285 H, ankle 0.039 H, shoulder 0.818 H, chin 0.870 H, upper arm
0.186 H, forearm 0.146 H, hip width 0.191 H, foot length 0.152 H. Children's heads are larger and
their legs shorter: the head (chin to crown) is 0.13 H for adults and about 0.19 H at H = 1.0 m (4
years), the hip joint at 0.46 H (Snyder et al. 1977, *Anthropometry of infants, children and youths
to age 18*, UM-HSRI-77-17); proportions are interpolated linearly in height between 1.0 m and 1.6 m.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

# --- the skeleton -------------------------------------------------------------------------------------
SIDES = ("left", "right")
_LIMB_JOINTS = ("hip", "knee", "ankle", "toe", "shoulder", "elbow", "wrist")
JOINTS: tuple[str, ...] = (
    "pelvis",
    "spine",
    "neck",
    "head",
    *(f"{side}_{joint}" for side in SIDES for joint in _LIMB_JOINTS),
)
JOINT_INDEX = {name: i for i, name in enumerate(JOINTS)}
# every joint's parent (the pelvis is the root)
PARENT: dict[str, str | None] = {"pelvis": None, "spine": "pelvis", "neck": "spine", "head": "neck"}
for _side in SIDES:
    PARENT |= {
        f"{_side}_hip": "pelvis",
        f"{_side}_knee": f"{_side}_hip",
        f"{_side}_ankle": f"{_side}_knee",
        f"{_side}_toe": f"{_side}_ankle",
        f"{_side}_shoulder": "neck",
        f"{_side}_elbow": f"{_side}_shoulder",
        f"{_side}_wrist": f"{_side}_elbow",
    }

# COCO's person keypoints in COCO's order, and its skeleton (pairs of 1-based keypoint indices), as the
# COCO 2017 person_keypoints annotations define them.
COCO_KEYPOINTS: tuple[str, ...] = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)
COCO_SKELETON: tuple[tuple[int, int], ...] = (
    (16, 14), (14, 12), (17, 15), (15, 13), (12, 13), (6, 12), (7, 13), (6, 7), (6, 8), (7, 9),
    (8, 10), (9, 11), (2, 3), (1, 2), (1, 3), (2, 4), (3, 5), (4, 6), (5, 7),
)  # fmt: skip
# the keypoint a horizontal flip maps each keypoint to (ultralytics' flip_idx for COCO pose)
COCO_FLIP_INDEX: tuple[int, ...] = (0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15)
# the face keypoints: points on the head, (forward, left, up) in head radii from the head's centre
FACE_POINTS: dict[str, tuple[float, float, float]] = {
    "nose": (1.0, 0.0, -0.15),
    "left_eye": (0.88, 0.34, 0.12),
    "right_eye": (0.88, -0.34, 0.12),
    "left_ear": (0.0, 1.0, 0.0),
    "right_ear": (0.0, -1.0, 0.0),
}
EXTRA_JOINTS = ("pelvis", "spine", "neck")  # labelled in 3D besides the COCO keypoints

ACTIVITIES = ("stand", "walk", "cycle")  # walk: stands, walks or runs as its trajectory's speed says
STANCES = ("relaxed", "hands_on_hips", "phone", "arms_crossed", "weight_shift")
TOPS = ("tshirt", "long_sleeve", "coat")
BOTTOMS = ("trousers", "shorts", "skirt")
HAIR = ("short", "long", "none")

CROWN_RADII = 1.23  # the crown of the hair cap (assets.procedural.people) above the head's centre, head radii


@dataclass
class Body:
    """Body shape. height_m: standing height (ground to crown), 1.0-2.0 m. build: girth factor
    (0.8 slim - 1.3 heavy), scaling limb radii and torso depth. shoulder_ratio: biacromial width over
    height (0.22-0.28)."""

    height_m: float = 1.75
    build: float = 1.0
    shoulder_ratio: float = 0.25


@dataclass
class Appearance:
    """Clothing and colours (linear RGB in [0, 1]): top one of TOPS, bottom one of BOTTOMS, hair one
    of HAIR. The top wears the entity's material colour."""

    skin: tuple[float, float, float] = (0.6, 0.42, 0.32)
    hair_color: tuple[float, float, float] = (0.08, 0.06, 0.05)
    bottom_color: tuple[float, float, float] = (0.15, 0.15, 0.2)
    shoe_color: tuple[float, float, float] = (0.05, 0.05, 0.05)
    top: str = "tshirt"
    bottom: str = "trousers"
    hair: str = "short"


@dataclass
class Skeleton:
    """A person's articulated body. activity: one of ACTIVITIES. stance: the standing pose (STANCES).
    phase: the gait cycle's phase (0-1) at the trajectory's start (left heel strike = 0). bicycle: for
    ``cycle``, the bicycle's contact points in the body frame (metres): ``saddle``, ``bottom_bracket``,
    ``bar`` (3-vectors), and ``crank_m``, ``wheel_radius_m``, ``gear`` (wheel turns per crank turn).
    origin_in_body: the object frame's origin (the 3D box's centre) in the body frame, metres."""

    body: Body = field(default_factory=Body)
    appearance: Appearance = field(default_factory=Appearance)
    activity: str = "stand"
    stance: str = "relaxed"
    phase: float = 0.0
    bicycle: dict[str, Any] | None = None
    origin_in_body: tuple[float, float, float] = (0.0, 0.0, 0.875)


# --- proportions -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Dimensions:
    """Segment lengths and radii (m) of a body, derived from Body and Appearance."""

    height: float
    hip_z: float  # hip joint above the ground, standing
    knee_z: float
    ankle_z: float
    hip_half_width: float  # lateral offset of each hip joint from the pelvis
    waist_z: float  # spine joint
    shoulder_z: float
    shoulder_half_width: float  # lateral offset of each shoulder joint
    neck_length: float  # neck joint (at shoulder height) to the head's centre
    head_radius: float
    upper_arm: float
    forearm: float
    foot_length: float
    foot_half_width: float  # half the shoe's width
    leg_radius: float  # thigh
    shin_radius: float
    arm_radius: float
    forearm_radius: float
    hand_radius: float
    torso_depth: float  # front to back
    torso_half_width: float
    skirt_radius: float  # at the hem (knee height); 0 without a skirt
    coat_length: float  # below the waist; 0 without a coat

    @property
    def thigh(self) -> float:
        return self.hip_z - self.knee_z

    @property
    def shank(self) -> float:
        return self.knee_z - self.ankle_z


def dimensions(skeleton: Skeleton) -> Dimensions:
    """The body's segment lengths and radii in metres (see the module docstring for the sources)."""
    body, appearance = skeleton.body, skeleton.appearance
    return _dimensions(body.height_m, body.build, body.shoulder_ratio, appearance.top, appearance.bottom)


@lru_cache(maxsize=4096)
def _dimensions(h: float, build: float, shoulder_ratio: float, top: str, bottom: str) -> Dimensions:
    """:func:`dimensions` of one body and garment set (cached: every pose of every frame asks)."""
    s = float(np.clip((h - 1.0) / 0.6, 0.0, 1.0))  # 0: a 1.0 m child's proportions, 1: an adult's
    head_fraction = 0.19 + (0.13 - 0.19) * s
    hip_fraction = 0.46 + (0.53 - 0.46) * s
    k = h / 1.75
    head_r = 0.5 * head_fraction * h * 0.9  # the skull's radius: a little under half the chin-crown height
    chin_z = (1.0 - head_fraction) * h
    shoulder_z = chin_z - 0.052 * h
    hip_z = hip_fraction * h
    shoulder_half = max(0.5 * shoulder_ratio * h - 0.045 * k * build, 0.08 * k)
    torso_half_width = shoulder_half - 0.01 * k
    return Dimensions(
        height=h,
        hip_z=hip_z,
        knee_z=hip_z * 0.285 / 0.53,
        ankle_z=0.039 * h,
        hip_half_width=0.5 * 0.191 * h * 0.47,
        waist_z=hip_z + 0.12 * h,
        shoulder_z=shoulder_z,
        shoulder_half_width=shoulder_half,
        neck_length=h - CROWN_RADII * head_r - shoulder_z,  # the crown (with hair) at the standing height
        head_radius=head_r,
        upper_arm=0.186 * h,
        forearm=0.146 * h,
        foot_length=0.152 * h,
        foot_half_width=0.045 * k,
        leg_radius=0.068 * k * build,
        shin_radius=0.05 * k * build,
        arm_radius=0.042 * k * build,
        forearm_radius=0.034 * k * build,
        hand_radius=0.045 * k,
        torso_depth=0.2 * k * build,
        torso_half_width=torso_half_width,
        skirt_radius=0.2 * k * build if bottom == "skirt" else 0.0,
        coat_length=0.26 * h if top == "coat" else 0.0,
    )


def keypoint_radii(skeleton: Skeleton) -> np.ndarray:
    """(17,) metres, COCO order: how far in front of each keypoint the surface of the body part that
    encloses it may lie (the limb radius; the torso's or the clothing's where they enclose the joint; a
    small tolerance for the face points, which are on the head's surface). A keypoint is visible when
    the surface the camera sees at its pixel is the person's and no nearer than this."""
    d = dimensions(skeleton)
    torso = d.torso_depth / 2
    hip = max(d.leg_radius, torso, d.skirt_radius if d.skirt_radius else 0.0)
    knee = max(d.shin_radius, d.leg_radius) if not d.skirt_radius else max(d.leg_radius, d.skirt_radius)
    if d.coat_length > d.hip_z - d.knee_z:
        knee = max(knee, torso)
    face = 0.15 * d.head_radius
    radii = {
        "nose": face,
        "left_eye": face,
        "right_eye": face,
        "left_ear": face,
        "right_ear": face,
        "shoulder": max(d.arm_radius * 1.2, torso),
        "elbow": d.arm_radius * 1.2,
        "wrist": d.hand_radius * 1.2,
        "hip": hip,
        "knee": knee,
        "ankle": max(d.shin_radius, 0.06 * d.height / 1.75) * 1.2,
    }
    return np.array([radii.get(name, radii.get(name.split("_", 1)[-1])) for name in COCO_KEYPOINTS])

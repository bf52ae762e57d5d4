"""A person's pose at any time: joint angles of the stances, the walking and running gait and cycling,
and the joint frames they give (numpy only).

:func:`joint_frames` gives every joint of a ``scenes.skeleton.Skeleton`` its frame in the object frame
at time t (frames, units and joints as ``scenes.skeleton`` defines them); :func:`world_keypoints` the
COCO keypoints and the extra joints in the world frame. Everything is a pure function of the Skeleton
(stored in scene.json) and the entity's trajectory, so a scene re-renders exactly.

Gait (walk and run): the phase advances with the distance walked, one cycle per stride, so feet do not
slide whatever the speed. Stride length follows Alexander's dynamic-similarity law (Alexander 1984,
*The gaits of bipedal and quadrupedal animals*, Int. J. Robotics Res. 3(2)): stride / leg length =
2.3 Fr^0.3 with Froude number Fr = v^2 / (g leg length); people run above Fr = 0.5. Sagittal joint
angle curves over the cycle follow the normal-gait landmarks of Winter (1991, *The biomechanics and
motor control of human gait*) for walking (hip +25 deg at heel strike to -12 deg at toe-off, knee
peaks of ~15 deg in loading and ~60 deg in swing, ankle) and Novacheck (1998, *The biomechanics of
running*, Gait & Posture 7) for running (stance 35 %, knee ~100 deg in swing, trunk lean 10 deg,
elbows ~90 deg); the hip's amplitude is set so the stance foot travels the stride's stance share. The
pelvis is lowered each instant until the lower foot touches the ground.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scenes.skeleton import (
    COCO_KEYPOINTS,
    EXTRA_JOINTS,
    FACE_POINTS,
    JOINT_INDEX,
    JOINTS,
    SIDES,
    Dimensions,
    Skeleton,
    dimensions,
)

GRAVITY_MPS2 = 9.81
ROLL_OVER = 0.75  # the share of the foot's length a stance foot rolls over from heel strike to toe-off
RUN_FROUDE = 0.5  # walk-run transition (Alexander 1984)
STILL_SPEED_MPS = 0.05  # below this a walker stands
# the foot segment's pitch to the ground over a walking cycle (phase, degrees; toes up > 0), after the foot
# segment angles of Winter (1991): heel strike ~18 deg toes up, foot flat from ~8 % to heel-off at ~42 %,
# ~55 deg toes down at toe-off (62 %), swinging back to toes up before the next heel strike
WALK_FOOT_PITCH = ((0.0, 0.08, 0.42, 0.62, 0.75, 0.9, 1.0), (18.0, 0.0, 0.0, -55.0, -10.0, 10.0, 18.0))
# a foot's ankle is held in place for the first half of its walking cycle (heel strike to the other
# foot's heel strike), then swings forward again
WALK_SUPPORT = 0.5


# --- rotations ---------------------------------------------------------------------------------------------
def _ry(angle: float) -> np.ndarray:
    """Rotation about +y by ``-angle``: a positive angle swings a hanging segment (-z) forward (+x)."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0.0, -s], [0.0, 1.0, 0.0], [s, 0.0, c]])


def _rx(angle: float) -> np.ndarray:
    """Rotation about +x by ``angle``: a positive angle swings a hanging segment (-z) to the left (+y)."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def _rz(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _pose(rotation: np.ndarray, translation: np.ndarray) -> np.ndarray:
    m = np.eye(4)
    m[:3, :3], m[:3, 3] = rotation, translation
    return m


def _bump(phase: float, centre: float, width: float) -> float:
    """A periodic Gaussian bump over the gait cycle (phase and centre in cycles, width its sigma)."""
    d = (phase - centre + 0.5) % 1.0 - 0.5
    return float(np.exp(-0.5 * (d / width) ** 2))


# --- joint angles ---------------------------------------------------------------------------------------
@dataclass
class _Angles:
    """Sagittal and lateral angles (radians) of one instant: per side hip/knee/ankle flexion, shoulder
    flexion, abduction and internal rotation (about the upper arm, turning a bent forearm toward the
    body), elbow flexion; trunk lean; pelvis yaw; head pitch."""

    hip: dict[str, float]
    knee: dict[str, float]
    ankle: dict[str, float]
    shoulder: dict[str, float]
    shoulder_out: dict[str, float]
    elbow: dict[str, float]
    hip_out: dict[str, float] = field(default_factory=lambda: {"left": 0.0, "right": 0.0})
    shoulder_twist: dict[str, float] = field(default_factory=lambda: {"left": 0.0, "right": 0.0})
    trunk_lean: float = 0.0
    pelvis_yaw: float = 0.0
    head_pitch: float = 0.0


def stride_length(skeleton: Skeleton, speed_mps: float) -> float:
    """Stride (two steps) in metres at ``speed_mps``: 2.3 Fr^0.3 leg lengths (Alexander 1984)."""
    leg = dimensions(skeleton).hip_z
    froude = max(speed_mps, 1e-3) ** 2 / (GRAVITY_MPS2 * leg)
    return 2.3 * froude**0.3 * leg


def _both(value_left: float, value_right: float) -> dict[str, float]:
    return {"left": value_left, "right": value_right}


def _standing(skeleton: Skeleton) -> _Angles:
    """The still pose of each stance (radians)."""
    deg = np.radians
    stance = skeleton.stance
    angles = _Angles(
        hip=_both(0.0, 0.0),
        knee=_both(deg(3), deg(3)),
        ankle=_both(0.0, 0.0),
        shoulder=_both(deg(3), deg(3)),
        shoulder_out=_both(deg(6), deg(6)),
        elbow=_both(deg(10), deg(10)),
        hip_out=_both(deg(3), deg(3)),
    )
    if stance == "hands_on_hips":
        _hands_on_hips(dimensions(skeleton), angles)
    elif stance == "phone":  # the right hand holds a phone in front of the chest, the head bowed
        angles.shoulder["right"], angles.elbow["right"], angles.shoulder_out["right"] = deg(20), deg(110), deg(8)
        angles.head_pitch = deg(25)
    elif stance == "arms_crossed":
        angles.shoulder, angles.elbow, angles.shoulder_out = (
            _both(deg(25), deg(25)),
            _both(deg(115), deg(115)),
            _both(deg(-12), deg(-12)),
        )
    elif stance == "weight_shift":  # weight on the right leg, the left knee bent and its foot forward
        angles.hip["left"], angles.knee["left"], angles.hip_out = deg(10), deg(18), _both(deg(6), deg(0))
    for side in SIDES:  # feet flat on the ground: the ankle undoes the shank's tilt
        angles.ankle[side] = angles.knee[side] - angles.hip[side]
    return angles


def _hands_on_hips(d: Dimensions, angles: _Angles) -> None:
    """Set both arms' angles so each wrist rests on its side of the hips' block just below the waist, the
    elbow out to the side and a little back: the elbow is the point of the circle where the upper arm's
    and forearm's spheres (about the shoulder and the wrist) meet that lies farthest out, and the
    shoulder's rotation is read off the two segments' directions (the arm hangs along the shoulder
    frame's -z, the elbow bends about its y; see :func:`_body_frames`)."""
    for sign, side in ((1.0, "left"), (-1.0, "right")):
        shoulder = np.array([0.0, sign * d.shoulder_half_width, d.shoulder_z])
        wrist = np.array([-0.01 * d.height, sign * (d.hip_half_width + d.leg_radius + d.hand_radius), d.waist_z])
        wrist[2] -= 0.02 * d.height
        reach = wrist - shoulder
        dist = float(
            np.clip(np.linalg.norm(reach), abs(d.upper_arm - d.forearm) + 1e-6, d.upper_arm + d.forearm - 1e-6)
        )
        axis = reach / np.linalg.norm(reach)
        along = (dist**2 + d.upper_arm**2 - d.forearm**2) / (2.0 * dist)
        out = np.array([-0.3, sign, 0.0])
        out -= (out @ axis) * axis
        elbow = shoulder + along * axis + np.sqrt(max(d.upper_arm**2 - along**2, 0.0)) * out / np.linalg.norm(out)
        upper = (elbow - shoulder) / d.upper_arm
        fore = shoulder + dist * axis - elbow
        fore /= np.linalg.norm(fore)
        # the shoulder frame: z = -upper (the arm hangs along -z); x = the forearm's part across the upper
        # arm (a positive elbow flexion swings -z toward +x); y = z cross x
        x = fore - (fore @ upper) * upper
        x /= np.linalg.norm(x)
        rotation = np.stack([x, np.cross(-upper, x), -upper], axis=1)
        # rotation = _rx(a) @ _ry(b) @ _rz(c): its last column is (-sin b, -sin a cos b, cos a cos b) and
        # its first row (cos b cos c, -cos b sin c, .)
        a = float(np.arctan2(-rotation[1, 2], rotation[2, 2]))
        b = float(np.arcsin(np.clip(-rotation[0, 2], -1.0, 1.0)))
        c = float(np.arctan2(-rotation[0, 1], rotation[0, 0]))
        angles.shoulder_out[side], angles.shoulder[side], angles.shoulder_twist[side] = sign * a, b, -sign * c
        angles.elbow[side] = float(np.arctan2(fore @ x, fore @ upper))


def _walk_knee(p: float) -> float:
    """Knee flexion (radians) at walking phase ``p``: ~4 deg at heel strike, ~18 deg in loading (15 %),
    ~60 deg at the swing peak (72 %), after Winter (1991)."""
    return float(np.radians(4.0 + 14.0 * _bump(p, 0.15, 0.06) + 56.0 * _bump(p, 0.72, 0.1)))


def _walk_hip(d: Dimensions, stride: float, p: float) -> float:
    """Thigh flexion from vertical (radians) at walking phase ``p``. While a foot carries the body (the
    first half of its cycle) its ankle moves back under the hip at the walking speed, from a quarter
    stride ahead to a quarter stride behind, so it stays put in the world: the hip angle is solved from
    the ankle's place and the knee's flexion. In swing the thigh swings forward again (a cosine ease)."""

    def solve(q: float) -> float:
        # ankle x relative to the hip: T sin a + S sin(a - k) = R sin(a - psi)
        k = _walk_knee(q)
        ax, az = d.thigh + d.shank * np.cos(k), d.shank * np.sin(k)
        reach = float(np.hypot(ax, az))
        x = stride * (0.25 - q / (2 * WALK_SUPPORT))
        return float(np.arctan2(az, ax) + np.arcsin(np.clip(x / reach, -1.0, 1.0)))

    if p < WALK_SUPPORT:
        return solve(p)
    start, end = solve(WALK_SUPPORT - 1e-9), solve(0.0)
    u = (p - WALK_SUPPORT) / (1.0 - WALK_SUPPORT)
    return start + (end - start) * 0.5 * (1.0 - float(np.cos(np.pi * u)))


def _gait(skeleton: Skeleton, phase: float, speed: float) -> _Angles:
    """Joint angles of walking or running at gait ``phase`` (cycles, left heel strike = 0)."""
    d = dimensions(skeleton)
    froude = speed**2 / (GRAVITY_MPS2 * d.hip_z)
    running = froude > RUN_FROUDE
    stride = stride_length(skeleton, speed)
    leg = d.thigh + d.shank
    offset = np.radians(12.0 if running else 3.0)  # thigh from vertical: the hip angle less pelvic tilt
    # running: the stance foot travels 35 % of a stride under the body, 2 leg cos(offset) sin(A) of it
    # from the leg's swing and about three quarters of the foot's length from its roll, heel to toe
    swing = max(0.35 * stride - ROLL_OVER * d.foot_length, 0.0)
    amplitude = float(np.arcsin(min(0.95, swing / (2.0 * leg * np.cos(offset)))))
    deg = np.radians
    hip, knee, ankle, shoulder, elbow = {}, {}, {}, {}, {}
    for side, shift in (("left", 0.0), ("right", 0.5)):
        p = (phase + shift) % 1.0
        if running:  # Novacheck 1998: hip max ~85 %, knee 40 deg at mid-stance, ~100 deg in swing
            hip[side] = offset + amplitude * float(np.cos(2 * np.pi * (p - 0.85)))
            knee[side] = deg(10) + deg(30) * _bump(p, 0.15, 0.07) + deg(95) * _bump(p, 0.68, 0.13)
            ankle[side] = deg(15) * _bump(p, 0.15, 0.06) - deg(20) * _bump(p, 0.38, 0.06)
            shoulder[side] = deg(5) - 1.1 * (hip[side] - offset)
            elbow[side] = deg(85)
        else:  # Winter 1991: knee ~15 deg in loading, ~60 deg swing peak at ~72 %
            knee[side] = _walk_knee(p)
            hip[side] = _walk_hip(d, stride, p)
            # the foot's pitch to the ground (toes up > 0) over the cycle, the ankle the difference to the
            # shank's tilt: heel strike toes up, flat from loading to heel-off, push-off, swing
            pitch = float(np.interp(p, WALK_FOOT_PITCH[0], np.radians(WALK_FOOT_PITCH[1])))
            ankle[side] = pitch - (hip[side] - knee[side])
            shoulder[side] = deg(4) - 0.55 * (hip[side] - offset)
            elbow[side] = deg(18) + deg(12) * max(0.0, float(np.sin(2 * np.pi * (p - 0.4))))
    return _Angles(
        hip=hip,
        knee=knee,
        ankle=ankle,
        shoulder=shoulder,
        shoulder_out=_both(deg(7), deg(7)),
        elbow=elbow,
        trunk_lean=deg(10) if running else deg(2),
        pelvis_yaw=deg(4) * float(np.cos(2 * np.pi * phase)),  # pelvic rotation, forward with the left leg
    )


# --- forward kinematics ----------------------------------------------------------------------------------
def _two_link(root: np.ndarray, target: np.ndarray, a: float, b: float) -> tuple[float, float, float]:
    """A two-segment chain of lengths ``a``, ``b`` (m) from ``root`` to ``target`` in the sagittal (x-z)
    plane: (flexion of the straight line root -> target from hanging, the triangle's angle at the root,
    the middle joint's bend), radians. A knee is (line + root angle, bend), an elbow (line - root angle,
    bend)."""
    delta = np.asarray(target, np.float64) - np.asarray(root, np.float64)
    dist = float(np.clip(np.hypot(delta[0], delta[2]), abs(a - b) + 1e-6, a + b - 1e-6))
    line = float(np.arctan2(delta[0], -delta[2]))
    at_root = float(np.arccos(np.clip((a * a + dist * dist - b * b) / (2 * a * dist), -1.0, 1.0)))
    bend = float(np.pi - np.arccos(np.clip((a * a + b * b - dist * dist) / (2 * a * b), -1.0, 1.0)))
    return line, at_root, bend


def _body_frames(skeleton: Skeleton, angles: _Angles, pelvis_z: float | None) -> dict[str, np.ndarray]:
    """Every joint's frame (4x4) in the body frame, the pelvis at height ``pelvis_z`` or, when None,
    lowered until the lower sole of the two feet touches the ground (z = 0)."""
    d = dimensions(skeleton)
    pelvis = _pose(_rz(angles.pelvis_yaw), np.zeros(3))
    spine = pelvis @ _pose(_ry(-angles.trunk_lean), [0.0, 0.0, d.waist_z - d.hip_z])  # leaning forward
    neck = spine @ _pose(_rz(-angles.pelvis_yaw), [0.0, 0.0, d.shoulder_z - d.waist_z])  # shoulders counter-rotate
    head = neck @ _pose(_ry(-angles.head_pitch), np.zeros(3)) @ _pose(np.eye(3), [0.0, 0.0, d.neck_length])
    frames = {"pelvis": pelvis, "spine": spine, "neck": neck, "head": head}
    for sign, side in ((1.0, "left"), (-1.0, "right")):
        frames |= _leg_frames(pelvis, side, angles, d)
        shoulder_rotation = (
            _rx(sign * angles.shoulder_out[side])
            @ _ry(angles.shoulder[side])
            @ _rz(-sign * angles.shoulder_twist[side])
        )
        shoulder = neck @ _pose(shoulder_rotation, [0.0, sign * d.shoulder_half_width, 0.0])
        elbow = shoulder @ _pose(_ry(angles.elbow[side]), [0.0, 0.0, -d.upper_arm])
        frames |= {
            f"{side}_shoulder": shoulder,
            f"{side}_elbow": elbow,
            f"{side}_wrist": elbow @ _pose(np.eye(3), [0.0, 0.0, -d.forearm]),
        }
    if pelvis_z is None:
        pelvis_z = -min(_sole_z(frames[f"{side}_ankle"], d) for side in SIDES)
    lift = _pose(np.eye(3), [0.0, 0.0, pelvis_z])
    return {name: lift @ frame for name, frame in frames.items()}


def _leg_frames(pelvis: np.ndarray, side: str, angles: _Angles, d: Dimensions) -> dict[str, np.ndarray]:
    """The hip, knee, ankle and toe frames of one leg below the ``pelvis`` frame (4x4)."""
    sign = 1.0 if side == "left" else -1.0
    hip_rotation = _rx(sign * angles.hip_out[side]) @ _ry(angles.hip[side])
    hip = pelvis @ _pose(hip_rotation, [0.0, sign * d.hip_half_width, 0.0])
    knee = hip @ _pose(_ry(-angles.knee[side]), [0.0, 0.0, -d.thigh])
    ankle = knee @ _pose(np.eye(3), [0.0, 0.0, -d.shank])
    # the foot lies along the ankle frame's +x, pitched by the leg's sagittal angles and the ankle's, never
    # rolled by the hip's abduction (the subtalar joint keeps the sole level across)
    ankle[:3, :3] = pelvis[:3, :3] @ _ry(angles.hip[side] - angles.knee[side] + angles.ankle[side])
    toe = ankle @ _pose(np.eye(3), [0.78 * d.foot_length, 0.0, -d.ankle_z])
    return {f"{side}_hip": hip, f"{side}_knee": knee, f"{side}_ankle": ankle, f"{side}_toe": toe}


def _sole_z(ankle: np.ndarray, d: Dimensions) -> float:
    """Height of a foot's lowest sole corner (heel or toe, either edge) in the frame ``ankle`` is given in."""
    corners = np.array(
        [[x * d.foot_length, y * d.foot_half_width, -d.ankle_z, 1.0] for x in (-0.22, 0.78) for y in (-1.0, 1.0)]
    )
    return float((corners @ ankle.T)[:, 2].min())


def _cycling(skeleton: Skeleton, crank_angle: float) -> dict[str, np.ndarray]:
    """Joint frames (body frame) of a rider: hips on the saddle, the soles on the pedals at
    ``crank_angle`` (radians; 0 = left crank pointing forward, the right one opposite), hands on the bar."""
    d = dimensions(skeleton)
    bike = skeleton.bicycle or {}
    saddle, bb, bar = (np.asarray(bike[key], np.float64) for key in ("saddle", "bottom_bracket", "bar"))
    crank = float(bike["crank_m"])
    pelvis_at = saddle + np.array([0.0, 0.0, 0.06 * d.height / 1.75])  # the hip joints above the saddle top
    # the trunk leans from the hips towards a point above and behind the bar, as far as 60 deg
    reach = bar + np.array([-0.3 * d.upper_arm, 0.0, 0.45 * d.upper_arm]) - pelvis_at
    angles = _standing(Skeleton(skeleton.body, skeleton.appearance))
    angles.trunk_lean = float(np.clip(np.arctan2(reach[0], reach[2]), 0.0, np.radians(60.0)))
    upright = _body_frames(skeleton, angles, 0.0)
    for side, angle in (("left", crank_angle), ("right", crank_angle + np.pi)):
        hip = upright[f"{side}_hip"][:3, 3] + pelvis_at
        pedal = bb + crank * np.array([np.cos(angle), 0.0, np.sin(angle)])
        ankle = pedal + np.array([-0.25 * d.foot_length, 0.0, d.ankle_z])  # the ball of the foot on the pedal
        line, at_root, bend = _two_link(hip, ankle, d.thigh, d.shank)
        angles.hip[side], angles.knee[side] = line + at_root, bend
        angles.ankle[side] = bend - line - at_root  # the foot stays level on the pedal
        shoulder = upright[f"{side}_shoulder"][:3, 3] + pelvis_at
        line, at_root, bend = _two_link(shoulder, bar, d.upper_arm, d.forearm)
        # the shoulder frame leans back with the trunk's lean (its -z turns backwards): add it back
        angles.shoulder[side], angles.elbow[side] = line - at_root + angles.trunk_lean, bend
        angles.shoulder_out[side] = 0.0
    frames = _body_frames(skeleton, angles, 0.0)
    return {name: _pose(np.eye(3), pelvis_at) @ frame for name, frame in frames.items()}


# --- the pose over time ------------------------------------------------------------------------------
def _segment_table(trajectory: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(times (n,), distance walked at each keyframe (n,), speed of each interval (n-1,)) of a
    ``scenes.Trajectory`` (horizontal distances, metres and m/s)."""
    times = np.asarray(trajectory.times, np.float64)
    positions = np.array([p[:3, 3] for p in trajectory.poses])
    steps = np.linalg.norm(np.diff(positions[:, :2], axis=0), axis=1) if len(times) > 1 else np.zeros(0)
    durations = np.diff(times) if len(times) > 1 else np.zeros(0)
    speeds = np.divide(steps, durations, out=np.zeros_like(steps), where=durations > 0)
    return times, np.concatenate([[0.0], np.cumsum(steps)]), speeds


def motion_state(skeleton: Skeleton, trajectory: Any, t: float) -> tuple[float, float]:
    """(speed m/s, cycle position) at time ``t`` s: for walkers the gait phase (cycles, grows by one per
    stride, each interval's distance divided by the stride at its speed), for riders the crank's turns
    (distance / (wheel circumference x gear)); for still people 0."""
    times, walked, speeds = _segment_table(trajectory)
    if len(times) == 1:
        return 0.0, skeleton.phase
    if skeleton.activity == "cycle":
        bike = skeleton.bicycle or {}
        per_turn = 2 * np.pi * float(bike["wheel_radius_m"]) * float(bike["gear"])
        lengths = np.diff(walked)
        cycles = np.concatenate([[0.0], np.cumsum(lengths / per_turn)])
    else:
        strides = np.array([stride_length(skeleton, v) for v in speeds])
        cycles = np.concatenate([[0.0], np.cumsum(np.where(speeds > STILL_SPEED_MPS, np.diff(walked) / strides, 0.0))])
    tc = float(np.clip(t, times[0], times[-1]))
    k = min(int(np.searchsorted(times, tc, side="right")) - 1, len(times) - 2)
    alpha = (tc - times[k]) / (times[k + 1] - times[k]) if times[k + 1] > times[k] else 0.0
    speed = float(speeds[k]) if times[0] <= t <= times[-1] else 0.0
    return speed, skeleton.phase + float(cycles[k] + alpha * (cycles[k + 1] - cycles[k]))


def body_frames(skeleton: Skeleton, trajectory: Any, t: float) -> dict[str, np.ndarray]:
    """Every joint's frame (4x4) in the body frame at time ``t`` seconds (see the module docstring)."""
    return pose_frames(skeleton, *motion_state(skeleton, trajectory, t))


def pose_frames(skeleton: Skeleton, speed: float, cycle: float) -> dict[str, np.ndarray]:
    """Every joint's frame (4x4) in the body frame moving at ``speed`` (m/s) at cycle position ``cycle``
    (gait phase or crank turns, see :func:`motion_state`)."""
    if skeleton.activity == "cycle":
        return _cycling(skeleton, -2 * np.pi * cycle)  # the forward pedal goes down
    if skeleton.activity == "walk" and speed > STILL_SPEED_MPS:
        return _walking_frames(skeleton, cycle % 1.0, speed)
    return _body_frames(skeleton, _standing(skeleton), None)


def _walking_frames(skeleton: Skeleton, phase: float, speed: float) -> dict[str, np.ndarray]:
    """Joint frames of a gait: the pelvis rides on the lower sole of the two feet. The joint-angle curves
    are averages, not exact kinematics of any one body, so at a heel strike the trailing toe (pushing off)
    still reaches lower than the leading heel: resting on the lower foot hands the contact from the
    trailing toe to the leading foot as the one lifts and the other comes down, with the pelvis height
    continuous in the phase and no foot in the ground."""
    return _body_frames(skeleton, _gait(skeleton, phase, speed), None)


# the last joint frames computed, per (skeleton, trajectory, t): a frame's render, its labels and its LiDAR sweep
# each ask for every person's; the entries hold the skeleton and trajectory, so their ids stay theirs
_RECENT_FRAMES: OrderedDict[tuple[int, int, float], tuple[Skeleton, Any, np.ndarray]] = OrderedDict()
_RECENT_FRAMES_SIZE = 512


def joint_frames(skeleton: Skeleton, trajectory: Any, t: float) -> np.ndarray:
    """(len(JOINTS), 4, 4) ``object_from_joint`` at time ``t`` seconds, in JOINTS order (read-only: the same
    array is handed to every caller asking for the same skeleton, trajectory and time)."""
    key = (id(skeleton), id(trajectory), float(t))
    recent = _RECENT_FRAMES.get(key)
    if recent is not None and recent[0] is skeleton and recent[1] is trajectory:
        return recent[2]
    object_from_body = _pose(np.eye(3), -np.asarray(skeleton.origin_in_body, np.float64))
    frames = body_frames(skeleton, trajectory, t)
    stacked = np.stack([object_from_body @ frames[name] for name in JOINTS])
    stacked.flags.writeable = False
    _RECENT_FRAMES[key] = (skeleton, trajectory, stacked)
    if len(_RECENT_FRAMES) > _RECENT_FRAMES_SIZE:
        _RECENT_FRAMES.popitem(last=False)
    return stacked


def keypoints_object(skeleton: Skeleton, frames: np.ndarray) -> np.ndarray:
    """(17, 3) COCO keypoints in the object frame (metres) from ``joint_frames``."""
    head = frames[JOINT_INDEX["head"]]
    radius = dimensions(skeleton).head_radius
    points = []
    for name in COCO_KEYPOINTS:
        if name in FACE_POINTS:
            points.append((head @ np.array([*(radius * np.asarray(FACE_POINTS[name])), 1.0]))[:3])
        else:
            points.append(frames[JOINT_INDEX[name], :3, 3])
    return np.array(points)


def extra_joints_object(frames: np.ndarray) -> dict[str, np.ndarray]:
    """The EXTRA_JOINTS (pelvis, spine, neck) in the object frame (metres) from ``joint_frames``."""
    return {name: frames[JOINT_INDEX[name], :3, 3].copy() for name in EXTRA_JOINTS}


def world_keypoints(skeleton: Skeleton, trajectory: Any, t: float) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The COCO keypoints (17, 3) and the EXTRA_JOINTS ({name: (3,)}) in the world frame (metres) at time
    ``t`` seconds: :func:`keypoints_object` and :func:`extra_joints_object` of :func:`joint_frames`, placed
    by the trajectory's ``world_from_object(t)``. The one place labels and assets get them from."""
    frames = joint_frames(skeleton, trajectory, t)
    world_from_object = trajectory.pose_at(t)
    rotation, translation = world_from_object[:3, :3], world_from_object[:3, 3]
    points = keypoints_object(skeleton, frames) @ rotation.T + translation
    joints = {name: rotation @ p + translation for name, p in extra_joints_object(frames).items()}
    return points, joints

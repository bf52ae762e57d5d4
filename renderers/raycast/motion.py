"""Vectorised trajectory evaluation: poses of objects at many times in one numpy pass.

``Trajectory.pose_at`` evaluates one time per call; a LiDAR sweep needs the ego at every firing time and
each moving object at the time of every ray that may hit it, so this module evaluates the same
interpolation (linear translation, slerp rotation, held constant outside the keyframes) for arrays of
times, and for many trajectories at once. Poses are ``world_from_object`` (4x4, metres); times are
seconds from the scene's start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scenes import Trajectory
from scenes.transforms import quaternion_from_matrix

# Below this angle between consecutive keyframe rotations slerp degenerates; use normalised lerp
# (the same threshold as scenes.transforms.slerp, cos(angle) > 0.9995).
_NEARLY_PARALLEL = 0.9995


@dataclass(frozen=True)
class Track:
    """A Trajectory's keyframes as arrays.

    Attributes:
        times: (k,) keyframe times, seconds.
        translations: (k, 3) keyframe positions, world metres.
        quaternions: (k, 4) keyframe rotations (w, x, y, z), each sign-aligned with its predecessor so
            that slerp between neighbours takes the short way round.
        fixed_rotation: (3, 3) world_from_object rotation when every keyframe has the same rotation (most
            vehicles drive straight), else None: rays are then rotated by one matrix, not one per ray.
    """

    times: np.ndarray
    translations: np.ndarray
    quaternions: np.ndarray
    fixed_rotation: np.ndarray | None

    @classmethod
    def from_trajectory(cls, trajectory: Trajectory) -> Track:
        return cls.from_poses(trajectory.times, trajectory.poses)

    @classmethod
    def from_poses(cls, times: np.ndarray, poses: np.ndarray) -> Track:
        """The track through keyframe ``poses`` (k, 4, 4) world_from_object at increasing ``times`` (k,) s."""
        poses = np.asarray(poses, dtype=np.float64)
        quats = np.array([quaternion_from_matrix(p[:3, :3]) for p in poses])
        for k in range(1, len(quats)):
            if np.dot(quats[k - 1], quats[k]) < 0:
                quats[k] = -quats[k]
        same = np.allclose(poses[:, :3, :3], poses[0, :3, :3], atol=1e-12, rtol=0.0)
        return cls(
            times=np.asarray(times, dtype=np.float64),
            translations=poses[:, :3, 3].copy(),
            quaternions=quats,
            fixed_rotation=poses[0, :3, :3].copy() if same else None,
        )

    def _segments(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _segments(self.times, times)

    def translations_at(self, times: np.ndarray) -> np.ndarray:
        """(n, 3) positions (world metres) at ``times`` (n,) seconds."""
        times = np.asarray(times, dtype=np.float64)
        if len(self.times) == 1:
            return np.broadcast_to(self.translations[0], (*times.shape, 3)).copy()
        k, alpha = self._segments(times)
        p0, p1 = self.translations[k], self.translations[k + 1]
        return p0 + alpha[:, None] * (p1 - p0)

    def quaternions_at(self, times: np.ndarray) -> np.ndarray:
        """(n, 4) unit quaternions (w, x, y, z) at ``times`` (n,) seconds, slerped between keyframes."""
        times = np.asarray(times, dtype=np.float64)
        if len(self.times) == 1:
            return np.broadcast_to(self.quaternions[0], (*times.shape, 4)).copy()
        k, alpha = self._segments(times)
        return _slerp(self.quaternions[k], self.quaternions[k + 1], alpha)

    def rotations_at(self, times: np.ndarray) -> np.ndarray:
        """(n, 3, 3) world_from_object rotations at ``times`` (n,) seconds."""
        times = np.asarray(times, dtype=np.float64)
        if self.fixed_rotation is not None:
            return np.broadcast_to(self.fixed_rotation, (*times.shape, 3, 3)).copy()
        return matrices_from_quaternions(self.quaternions_at(times))


@dataclass(frozen=True)
class PartTracks:
    """The moving parts of one articulated entity, sampled at shared times (``renderers.raycast.parts``),
    evaluated together: linear translation and slerp rotation between samples, held outside them.

    Attributes:
        times: (n,) sample times, seconds, increasing.
        translations: (n, p, 3) world_from_part translations of the p parts, metres.
        quaternions: (n, p, 4) their rotations (w, x, y, z), each part's sign-aligned with its previous
            sample, so that slerp between neighbours takes the short way round.
    """

    times: np.ndarray
    translations: np.ndarray
    quaternions: np.ndarray

    @classmethod
    def from_poses(cls, times: np.ndarray, poses: np.ndarray) -> PartTracks:
        """From world_from_part ``poses`` (n, p, 4, 4) at ``times`` (n,) seconds (two or more)."""
        poses = np.asarray(poses, dtype=np.float64)
        quats = quaternions_from_matrices(poses[..., :3, :3].reshape(-1, 3, 3)).reshape(*poses.shape[:2], 4)
        # sign-align along time: flip a sample whose cumulative sign change relative to the first is odd
        flips = np.einsum("npj,npj->np", quats[1:], quats[:-1]) < 0
        sign = np.where(np.cumsum(flips, axis=0) % 2 == 1, -1.0, 1.0)
        quats[1:] *= sign[..., None]
        return cls(np.asarray(times, np.float64), poses[..., :3, 3].copy(), quats)

    def poses_at(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rotations (k, p, 3, 3), translations (k, p, 3)) of world_from_part at ``times`` (k,) seconds."""
        k, alpha = _segments(self.times, np.asarray(times, dtype=np.float64))
        t0, t1 = self.translations[k], self.translations[k + 1]
        translations = t0 + alpha[:, None, None] * (t1 - t0)
        parts = self.quaternions.shape[1]
        q = _slerp(self.quaternions[k].reshape(-1, 4), self.quaternions[k + 1].reshape(-1, 4), np.repeat(alpha, parts))
        return matrices_from_quaternions(q).reshape(len(k), parts, 3, 3), translations


class TrackBatch:
    """Positions of many moving tracks (two keyframes or more each) at many times, in one pass.

    Each track's keyframe times are shifted by a per-track offset larger than any track's time span,
    so one ``searchsorted`` over the concatenated keyframes finds every (track, time) segment.
    """

    def __init__(self, tracks: list[Track]):
        if any(len(t.times) < 2 for t in tracks):
            raise ValueError("TrackBatch holds moving tracks only (two keyframes or more)")
        self.first = np.array([t.times[0] for t in tracks])
        self.last = np.array([t.times[-1] for t in tracks])
        span = float(np.max(self.last - self.first, initial=0.0)) + 1.0
        self.shift = np.arange(len(tracks)) * span - self.first  # track j's times start at j * span
        counts = np.array([len(t.times) for t in tracks], dtype=np.intp)
        self.start = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.intp)
        self.end = self.start + counts - 2  # last segment index of each track
        self.times = np.concatenate([t.times + s for t, s in zip(tracks, self.shift, strict=True)] or [np.zeros(0)])
        positions = np.concatenate([t.translations for t in tracks] or [np.zeros((0, 3))])
        # per keyframe: position and the velocity of the segment it starts, per component (3, keys), so
        # that the (tracks, times) arithmetic runs on contiguous planes, not on rows of three
        velocity = np.zeros_like(positions)
        velocity[:-1] = np.diff(positions, axis=0) / np.maximum(np.diff(self.times), 1e-12)[:, None]
        self.positions, self.velocities = positions.T.copy(), velocity.T.copy()

    def translations_at(self, times: np.ndarray) -> np.ndarray:
        """(3, tracks, n) positions (world metres, per component) of every track at ``times`` (n,) s."""
        times = np.asarray(times, dtype=np.float64)
        held = np.minimum(np.maximum(times[None, :], self.first[:, None]), self.last[:, None]) + self.shift[:, None]
        k = np.searchsorted(self.times, held, side="right") - 1
        k = np.minimum(np.maximum(k, self.start[:, None]), self.end[:, None])
        dt = held - np.take(self.times, k)
        out = np.empty((3, *held.shape))
        for c in range(3):
            np.multiply(np.take(self.velocities[c], k), dt, out=out[c])
            out[c] += np.take(self.positions[c], k)
        return out


def _segments(key_times: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keyframe segment index (n,) and interpolation weight alpha (n,) in [0, 1] of each of ``times``
    (n,) among increasing ``key_times`` (two or more), seconds."""
    k = np.clip(np.searchsorted(key_times, times, side="right") - 1, 0, len(key_times) - 2)
    t0, t1 = key_times[k], key_times[k + 1]
    return k, np.clip((times - t0) / (t1 - t0), 0.0, 1.0)


def _slerp(q0: np.ndarray, q1: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """(n, 4) unit quaternions between rows of q0 and q1 (n, 4) at weights alpha (n,): slerp, or
    normalised lerp where they are nearly parallel."""
    dot = np.clip(np.einsum("ij,ij->i", q0, q1), -1.0, 1.0)
    lerp = dot > _NEARLY_PARALLEL
    theta = np.arccos(dot)
    sin_theta = np.where(lerp, 1.0, np.sin(theta))
    w0 = np.where(lerp, 1.0 - alpha, np.sin((1.0 - alpha) * theta) / sin_theta)
    w1 = np.where(lerp, alpha, np.sin(alpha * theta) / sin_theta)
    q = w0[:, None] * q0 + w1[:, None] * q1
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def quaternions_from_matrices(m: np.ndarray) -> np.ndarray:
    """(n, 4) unit quaternions (w, x, y, z), w >= 0, from (n, 3, 3) rotation matrices: the vectorised
    ``scenes.transforms.quaternion_from_matrix`` (the same four branches, chosen per matrix)."""
    m = np.asarray(m, dtype=np.float64)
    trace = np.trace(m, axis1=1, axis2=2)
    d0, d1, d2 = m[:, 0, 0], m[:, 1, 1], m[:, 2, 2]
    cases = [
        (trace > 0, trace + 1.0, 0),
        ((d0 > d1) & (d0 > d2), 1.0 + d0 - d1 - d2, 1),
        (d1 > d2, 1.0 + d1 - d0 - d2, 2),
        (np.ones(len(m), bool), 1.0 + d2 - d0 - d1, 3),
    ]
    q = np.empty((len(m), 4))
    done = np.zeros(len(m), bool)
    for where, radicand, big in cases:
        rows = np.flatnonzero(where & ~done)
        done[rows] = True
        r = m[rows]
        s = 2.0 * np.sqrt(radicand[rows])
        # off-diagonal differences and sums: (w, x, y, z) * s, with the largest component 0.25 * s^2
        diffs = np.stack([r[:, 2, 1] - r[:, 1, 2], r[:, 0, 2] - r[:, 2, 0], r[:, 1, 0] - r[:, 0, 1]], axis=1)
        sums = np.stack([r[:, 0, 1] + r[:, 1, 0], r[:, 0, 2] + r[:, 2, 0], r[:, 1, 2] + r[:, 2, 1]], axis=1)
        if big == 0:
            q[rows] = np.column_stack([0.25 * s, diffs / s[:, None]])
        elif big == 1:
            q[rows] = np.column_stack([diffs[:, 0] / s, 0.25 * s, sums[:, 0] / s, sums[:, 1] / s])
        elif big == 2:
            q[rows] = np.column_stack([diffs[:, 1] / s, sums[:, 0] / s, 0.25 * s, sums[:, 2] / s])
        else:
            q[rows] = np.column_stack([diffs[:, 2] / s, sums[:, 1] / s, sums[:, 2] / s, 0.25 * s])
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    return np.where(q[:, :1] < 0, -q, q)


def matrices_from_quaternions(q: np.ndarray) -> np.ndarray:
    """(n, 3, 3) rotation matrices from (n, 4) unit quaternions (w, x, y, z)."""
    w, x, y, z = q[:, 0], q[:, 1], q[:, 2], q[:, 3]
    m = np.empty((len(q), 3, 3))
    m[:, 0, 0] = 1 - 2 * (y * y + z * z)
    m[:, 0, 1] = 2 * (x * y - z * w)
    m[:, 0, 2] = 2 * (x * z + y * w)
    m[:, 1, 0] = 2 * (x * y + z * w)
    m[:, 1, 1] = 1 - 2 * (x * x + z * z)
    m[:, 1, 2] = 2 * (y * z - x * w)
    m[:, 2, 0] = 2 * (x * z - y * w)
    m[:, 2, 1] = 2 * (y * z + x * w)
    m[:, 2, 2] = 1 - 2 * (x * x + y * y)
    return m


def poses_at(trajectory: Trajectory | Track, times: np.ndarray) -> np.ndarray:
    """``world_from_object`` poses (n, 4, 4) at ``times`` (n,) seconds: the vectorised
    ``Trajectory.pose_at`` (linear translation, slerp rotation, constant outside the keyframes)."""
    track = trajectory if isinstance(trajectory, Track) else Track.from_trajectory(trajectory)
    times = np.atleast_1d(np.asarray(times, dtype=np.float64))
    poses = np.zeros((len(times), 4, 4))
    poses[:, :3, :3] = track.rotations_at(times)
    poses[:, :3, 3] = track.translations_at(times)
    poses[:, 3, 3] = 1.0
    return poses

"""Articulated entities as ray-casting geometry: their parts posed for the static world, and the motion
of each moving part as a densely sampled track.

An entity's parts and their poses are ``assets.articulated``'s (one interface for rigid and articulated
entities). A static articulated entity (one keyframe) never changes pose: its parts are baked at t = 0.
A moving one is split into rigid pieces by how its parts move in its object frame over the scene:

- the parts that never move in the object frame (a cyclist's bicycle; every part of a person standing
  still while carried along its trajectory) are one rigid piece on the entity's own trajectory, exactly
  like a rigid entity;
- every other part moves on its own track, its ``world_from_part`` sampled at :func:`sample_times`
  (every ``SAMPLE_DT_S``, every frame time k / fps and both sides of every keyframe of the entity's
  trajectory, plus samples where that would miss the part by over REFINE_TOL_M: :func:`refine_samples`),
  so a ray fired at time s sees the part interpolated between the samples around s: exact at the
  samples, within the error bound of ``SAMPLE_DT_S`` and REFINE_TOL_M between them. These parts are cast together
  (``MovingParts``, ``casting.PartGroup``): one bounding sphere about the entity first, then each part.

Frames: meshes of pieces are in their own frame (the part's, or the object frame for the rigid piece);
poses world_from_piece (4x4, metres); times seconds from the scene's start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assets._trimesh import trimesh
from assets.articulated import entity_parts, part_poses
from renderers.raycast.motion import PartTracks, Track, poses_at
from scenes import Entity, Scene

# Sample spacing of a moving part's track, seconds. Between samples a part moves by linear translation
# and slerp rotation, so a point of it deviates from its true path by at most about a dt^2 / 8, a its
# acceleration (the interpolation error of a chord). A walking leg swings at up to ~6 rad/s and ~80 rad/s^2
# (Winter 1991), a running one at ~15 rad/s and ~200 rad/s^2 (Novacheck 1998); at a foot ~0.9 m from the
# hip that is a = w^2 r + alpha r ~ 100 m/s^2 walking and ~400 m/s^2 running: 1.3 mm and 5 mm at
# dt = 0.01 s, under a LiDAR's range noise (~2 cm) and far under a point's spacing on a person at 10 m
# (~2 cm per 0.1 deg). A 0.1 s LiDAR sweep then sees ~10 samples per part; denser samples cost memory and
# compile time (one ``part_poses`` call per entity per sample) for no visible gain. Where the pose is not
# smooth (the pelvis height kinks when the support foot changes: 3 mm walking, 6 mm running at this dt;
# jumps of the pose) ``refine_samples`` adds samples about the jumps.
SAMPLE_DT_S = 0.01
# Samples this close (s) to an exact time (a frame, a keyframe) are dropped: the exact one stands in.
_MERGE_S = 1e-7
# Pose jumps at a keyframe (a new speed, a new stride) are kept this sharp: a sample just before it, s.
_BEFORE_S = 1e-6
# Parts whose object_from_part stays within this (metres, rotation matrix entries) move with the object.
_STILL_TOL = 1e-9
# Where a sample lies farther than this (m) off its neighbours' chord, the pose has jumped (smooth motion
# and kinks stay under ~6 mm at SAMPLE_DT_S) and ``refine_samples`` adds samples about it ...
_JUMP_FLAG_M = 0.01
# ... while interpolating between samples misses a part by more than this (m) ...
REFINE_TOL_M = 0.003
# ... down to intervals this short (s): a pose that jumps is interpolated over less than twice this. Each
# halving costs two ``part_poses`` calls; 1 ms is 1 % of a 0.1 s LiDAR sweep.
_MIN_SPLIT_S = 1e-3


@dataclass(frozen=True)
class Piece:
    """The parts of a moving entity that move with its object frame, as one mesh in that frame (metres),
    moving along ``track`` (the entity's trajectory)."""

    mesh: trimesh.Trimesh
    track: Track


@dataclass(frozen=True)
class MovingParts:
    """The parts of a moving entity that move in its object frame: ``meshes`` (p) in their part frames
    (metres), ``tracks`` their world_from_part at the sample times, ``centre`` the entity's origin at the
    same times (a track through them) and ``radius`` (metres) a sphere about it holding every part at
    every time: its distance to each part's origin plus the part mesh's reach at each sample. Between two
    samples both the centre and a part's origin move linearly, so their distance stays below the larger
    of its two end values and the sphere holds the parts at every time."""

    meshes: list[trimesh.Trimesh]
    tracks: PartTracks
    centre: Track
    radius: float


def cast_window(scene: Scene) -> float:
    """The last time (s) the scene's sensors cast rays at: the last frame plus the longest LiDAR sweep."""
    sweep = max((lidar.sweep_duration for lidar in scene.rig.lidars), default=0.0)
    return max(scene.num_frames - 1, 0) / scene.fps + sweep


def sample_times(scene: Scene, entity: Entity) -> np.ndarray:
    """(n,) increasing sample times (s) of a moving articulated entity's part tracks over [0,
    ``cast_window``]: every SAMPLE_DT_S, every frame time k / fps and both sides of every keyframe of
    its trajectory (the gait's speed, hence its stride, changes there). Rays cast outside the window see
    the parts held at the window's end samples."""
    end = cast_window(scene)
    frames = np.arange(max(scene.num_frames, 1)) / scene.fps
    keys = np.asarray(entity.trajectory.times, np.float64)
    exact = np.concatenate([frames, keys, keys - _BEFORE_S, [0.0, end]])
    exact = np.unique(exact[(exact >= 0.0) & (exact <= end)])
    grid = np.arange(int(np.ceil(end / SAMPLE_DT_S)) + 1) * SAMPLE_DT_S
    grid = grid[grid < end]
    nearest = np.minimum(
        np.abs(grid - exact[np.clip(np.searchsorted(exact, grid) - 1, 0, len(exact) - 1)]),
        np.abs(grid - exact[np.clip(np.searchsorted(exact, grid), 0, len(exact) - 1)]),
    )
    times = np.union1d(exact, grid[nearest > _MERGE_S])
    return times if len(times) > 1 else np.array([times[0], times[0] + SAMPLE_DT_S])


def static_parts(entity: Entity) -> list[tuple[trimesh.Trimesh, np.ndarray]]:
    """(mesh in its part frame, world_from_part at t = 0) of each part of a static entity."""
    return list(zip((p.mesh for p in entity_parts(entity)), part_poses(entity, 0.0), strict=True))


def moving_pieces(entity: Entity, times: np.ndarray) -> tuple[Piece | None, MovingParts | None]:
    """A moving articulated entity split by how its parts move (module docstring): the parts that move
    with the object frame merged into one ``Piece`` on the entity's trajectory, and the others as
    ``MovingParts`` sampled at ``times`` (s) and wherever :func:`refine_samples` adds samples; None for
    either without such parts. Parts without triangles are left out."""
    parts = entity_parts(entity)
    times = np.asarray(times, np.float64)
    world_from_part = np.array([part_poses(entity, float(t)) for t in times])  # (samples, parts, 4, 4)
    world_from_object = poses_at(entity.trajectory, times)  # (samples, 4, 4)
    rotation_t = world_from_object[:, :3, :3].transpose(0, 2, 1)
    object_from_part = np.einsum("sij,spjk->spik", rotation_t, world_from_part[:, :, :3])  # (samples, parts, 3, 4)
    object_from_part[..., 3] -= np.einsum("sij,sj->si", rotation_t, world_from_object[:, :3, 3])[:, None]
    still = np.ptp(object_from_part, axis=0).max(axis=(1, 2)) <= _STILL_TOL
    piece = None
    if still.any():
        placed = [
            trimesh.Trimesh(part.mesh.vertices @ pose[:3, :3].T + pose[:3, 3], part.mesh.faces, process=False)
            for part, pose, keep in zip(parts, object_from_part[0], still, strict=True)
            if keep
        ]
        piece = Piece(trimesh.util.concatenate(placed), Track.from_trajectory(entity.trajectory))
    moving = np.flatnonzero(~still & np.array([len(p.mesh.faces) > 0 for p in parts]))
    if not len(moving):
        return piece, None
    meshes = [parts[k].mesh for k in moving]
    times, world_from_part = refine_samples(entity, moving, times, world_from_part[:, moving])
    world_from_object = poses_at(entity.trajectory, times)
    reach = np.array([np.linalg.norm(m.vertices, axis=1).max() for m in meshes])
    offsets = world_from_part[..., :3, 3] - world_from_object[:, None, :3, 3]
    radius = float((np.linalg.norm(offsets, axis=2) + reach).max())
    tracks = PartTracks.from_poses(times, world_from_part)
    return piece, MovingParts(meshes, tracks, Track.from_poses(times, world_from_object), radius)


def refine_samples(
    entity: Entity, moving: np.ndarray, times: np.ndarray, poses: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The samples (times (n,) s, world_from_part (n, m, 4, 4) of parts ``moving`` (m,)) plus more about
    jumps of the pose (the gait's swing foot lifted in steps): next to a sample that its neighbours'
    chord misses by over _JUMP_FLAG_M (cheap to find), an interval's midpoint is evaluated, kept and both
    halves examined in turn while interpolating misses the part there by over REFINE_TOL_M, down to
    _MIN_SPLIT_S, so a jump is interpolated over less than 2 _MIN_SPLIT_S instead of SAMPLE_DT_S. Misses
    are measured at the corners of each part mesh's bounds. A smooth pose costs nothing here; a pose that
    leaves its path and comes back between two samples (a foot lifted for a few milliseconds) leaves no
    trace in them and is missed."""
    parts = entity_parts(entity)
    corners = np.array([_corners(parts[k].mesh.bounds) for k in moving])  # (m, 8, 3)

    def points(rotation: np.ndarray, translation: np.ndarray) -> np.ndarray:  # (..., m, 8, 3)
        return np.einsum("...pij,pkj->...pki", rotation, corners) + translation[..., None, :]

    at = points(poses[..., :3, :3], poses[..., :3, 3])  # (n, m, 8, 3)
    alpha = ((times[1:-1] - times[:-2]) / (times[2:] - times[:-2]))[:, None, None, None]
    chord = np.linalg.norm(at[1:-1] - at[:-2] - alpha * (at[2:] - at[:-2]), axis=-1).max(axis=(1, 2))
    flagged = np.flatnonzero(chord > _JUMP_FLAG_M) + 1  # inner samples their neighbours' chords miss
    intervals = sorted(set(flagged - 1) | set(flagged[flagged < len(times) - 1]))
    stack = [(times[i], times[i + 1], poses[i], poses[i + 1]) for i in intervals]
    added_times, added_poses = [], []
    while stack:
        a, b, pose_a, pose_b = stack.pop()
        if b - a < 2 * _MIN_SPLIT_S:
            continue
        m = 0.5 * (a + b)
        pose_m = np.array(part_poses(entity, float(m)))[moving]
        rotation, translation = PartTracks.from_poses(np.array([a, b]), np.stack([pose_a, pose_b])).poses_at([m])
        miss = np.linalg.norm(
            points(rotation[0], translation[0]) - points(pose_m[:, :3, :3], pose_m[:, :3, 3]), axis=-1
        )
        if miss.max() > REFINE_TOL_M:
            added_times.append(m)
            added_poses.append(pose_m)
            stack += [(a, m, pose_a, pose_m), (m, b, pose_m, pose_b)]
    if not added_times:
        return times, poses
    order = np.argsort(np.concatenate([times, added_times]), kind="stable")
    return np.concatenate([times, added_times])[order], np.concatenate([poses, np.array(added_poses)])[order]


def _corners(bounds: np.ndarray) -> np.ndarray:
    """(8, 3) corners of axis-aligned ``bounds`` (2, 3): (min, max) corners, metres."""
    lo, hi = bounds
    return np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])

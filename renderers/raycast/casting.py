"""The casting kernels of :class:`renderers.raycast.world.World`: static world, prefilter, moving bodies.

Rays come in g bundles of b rays sharing an origin and a time (the channels of a LiDAR column; b = 1 for
arbitrary rays). Per chunk of bundles:

1. every ray against the static EmbreeScene (world frame), with Embree's tfar = max_range;
2. prefilter per bundle, vectorised over (moving bodies x bundles): the body's bounding sphere, placed
   at the bundle's time, must overlap the bundle's cone of directions and be nearer than the bundle's
   farthest hit so far (occlusion);
3. prefilter per ray within the surviving bundles: the ray's line must pass through the sphere in front
   of the origin, entering it before the ray's closest hit so far;
4. the surviving rays moved into the body's frame at their time and cast with tfar = the closest hit so
   far, so Embree reports only closer hits, which replace the earlier ones;
5. the same for the part groups of articulated entities (``PartGroup``): steps 2 and 3 against the
   group's sphere about the entity, then per ray against each part's sphere at the ray's time (all parts
   at once), each surviving (ray, part) pair cast in the part's frame, the closest part hit kept.

Results are global triangle indices (-1 = miss) and distances; labels and normals are then gathered
from the World's per-triangle tables in one pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from renderers.raycast.motion import PartTracks, Track, TrackBatch

if TYPE_CHECKING:
    from embreex import rtcore_scene

# Fewer rays than this per thread are not worth a thread (each chunk pays fixed numpy overheads).
MIN_RAYS_PER_THREAD = 20_000
# Bundles per prefilter slice: bounds the (bodies x bundles x 3) temporaries.
_PREFILTER_SLICE = 4096
# Bounding spheres are grown by this much (metres, and relative) against float32 rounding of the rays.
_REACH_PAD_M, _REACH_PAD_REL = 1e-3, 1e-5
_F32_MAX = float(np.finfo(np.float32).max)
# Relative rounding allowance of float32 squared distances in the per-ray sphere test.
_F32_SLACK = np.float32(1e-6)


@dataclass
class Body:
    """One moving entity, or the parts of an articulated one that move with its object frame
    (``renderers.raycast.parts``): its mesh in its object frame and its motion.

    offset: global index of its first triangle. radius: metres, bounding sphere of the mesh about the
    object-frame origin. normals: (faces, 3) float32 object-frame outward face normals.
    """

    embree: rtcore_scene.EmbreeScene
    offset: int
    normals: np.ndarray
    radius: float
    track: Track


@dataclass
class PartGroup:
    """The parts of one moving articulated entity that move in its object frame
    (``renderers.raycast.parts.MovingParts``), each part's mesh in its own Embree scene, in its part frame.

    embree: (p) EmbreeScenes. offsets: (p + 1,) global index of each part's first triangle, then the
    group's end. normals: (triangles, 3) float32 part-frame outward face normals, all parts in global
    order. part_radii: (p,) metres, each part mesh's bounding sphere about its part origin. tracks: the
    parts' motion. radius: metres, a sphere about the entity's origin (``track``) holding every part at
    every time; it is what the group prefilter tests.
    """

    embree: list[rtcore_scene.EmbreeScene]
    offsets: np.ndarray
    normals: np.ndarray
    part_radii: np.ndarray
    tracks: PartTracks
    radius: float
    track: Track


class World(Protocol):
    """What the kernels cast against; :class:`renderers.raycast.world.World` builds it from a Scene.

    static: world-frame EmbreeScene of the static entities, or None. bodies: the moving entities.
    normal_reflectivity: (triangles + 1, 4) float32 per global triangle (the last row: a miss). ids:
    (triangles + 1, 2) uint16. tracks: the bodies' motion, evaluated together. radii: (bodies,) metres.
    groups, group_tracks, group_radii: the same for the part groups of moving articulated entities.
    """

    static: rtcore_scene.EmbreeScene | None
    bodies: list[Body]
    normal_reflectivity: np.ndarray
    ids: np.ndarray
    tracks: TrackBatch
    radii: np.ndarray
    groups: list[PartGroup]
    group_tracks: TrackBatch
    group_radii: np.ndarray


class Casting:
    """Output buffers of one cast (n rays), filled chunk by chunk (chunks write disjoint rows).

    tfar: (n,) float32 distance of the closest hit (max_range where none). prim: (n,) int32 global
    triangle index (-1 = miss). nr: (n, 4) float32 normal + reflectivity. ids: (n, 2) uint16.
    """

    def __init__(self, n: int):
        self.tfar = np.empty(n, np.float32)
        self.prim = np.empty(n, np.int32)
        self.nr = np.empty((n, 4), np.float32)
        self.ids = np.empty((n, 2), np.uint16)


def bundle_cones(directions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Axis (g, 3) float32 and cosine of the half-angle (g,) of a cone holding each bundle's directions
    (g, b, 3): the normalised mean direction and the widest ray from it."""
    if directions.shape[1] == 1:
        return directions[:, 0], np.ones(len(directions), np.float32)
    axis = directions.sum(axis=1)
    norm = np.sqrt(np.einsum("gk,gk->g", axis, axis))[:, None]
    axis = axis / np.maximum(norm, 1e-12)
    cos_half = np.matmul(directions, axis[:, :, None])[..., 0].min(axis=1) - 1e-6  # margin: float32 rounding
    return axis, np.where(norm[:, 0] > 1e-6, cos_half, -1.0)  # opposite rays cancel: a cone of everything


def cast_chunks(
    world: World,
    origins: np.ndarray,
    directions: np.ndarray,
    times: np.ndarray,
    cones: tuple[np.ndarray, np.ndarray],
    max_range: float,
    threads: int,
    out: Casting,
) -> Casting:
    """Cast g bundles (origins (g, 3), directions (g, b, 3), times (g,), cones from
    :func:`bundle_cones`) in ``threads`` chunks into ``out`` (g * b rays)."""
    g, b = directions.shape[:2]
    threads = max(1, min(int(threads), (g * b) // MIN_RAYS_PER_THREAD))
    bounds = np.linspace(0, g, threads + 1).astype(int)
    chunks = [slice(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True) if hi > lo]
    axis, cos_half = cones

    def run(s: slice) -> None:
        part = (origins[s], directions[s], times[s], axis[s], cos_half[s])
        _cast_chunk(world, *part, max_range, out, s.start * b)

    if len(chunks) == 1:
        run(chunks[0])
    else:
        with ThreadPoolExecutor(len(chunks)) as pool:
            list(pool.map(run, chunks))
    return out


def _cast_chunk(
    world: World,
    origins: np.ndarray,
    directions: np.ndarray,
    times: np.ndarray,
    axis: np.ndarray,
    cos_half: np.ndarray,
    max_range: float,
    out: Casting,
    first: int,
) -> None:
    """Cast one chunk of bundles; its rays are rows ``first:first + g * b`` of ``out``."""
    g, b = directions.shape[:2]
    rows = slice(first, first + g * b)
    tfar, prim = out.tfar[rows], out.prim[rows]
    tfar.fill(min(max_range, _F32_MAX))
    if world.static is None:
        prim.fill(-1)
    else:
        ray_origins = np.repeat(origins.astype(np.float32), b, axis=0)
        prim[:] = world.static.run(ray_origins, directions.reshape(-1, 3), dists=tfar, output=1)["primID"]
    # (rays, world normals, first and end triangle) of hits on bodies that turn: their table normals are in
    # the body's own frame
    turned: list[tuple[np.ndarray, np.ndarray, int, int]] = []
    spheres = (world.tracks, world.radii)
    for j, bundles, to_centre in _prefilter(spheres, origins, times, axis, cos_half, tfar.reshape(g, b)):
        body = world.bodies[j]
        turned += _cast_body(body, origins, directions, times, bundles, to_centre, tfar, prim)
    spheres = (world.group_tracks, world.group_radii)
    for j, bundles, to_centre in _prefilter(spheres, origins, times, axis, cos_half, tfar.reshape(g, b)):
        turned += _cast_group(world.groups[j], origins, directions, times, bundles, to_centre, tfar, prim)
    # mode="wrap": index -1 (miss) selects the tables' last row, the miss row, without a bounds pass
    np.take(world.normal_reflectivity, prim, axis=0, out=out.nr[rows], mode="wrap")
    np.take(world.ids, prim, axis=0, out=out.ids[rows], mode="wrap")
    for ray_index, normals, lo, hi in turned:
        still = (prim[ray_index] >= lo) & (prim[ray_index] < hi)
        out.nr[first + ray_index[still], :3] = normals[still]


def _prefilter(
    spheres: tuple[TrackBatch, np.ndarray],
    origins: np.ndarray,
    times: np.ndarray,
    axis: np.ndarray,
    cos_half: np.ndarray,
    tfar: np.ndarray,
) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Yield (body index, bundle indices (k,), body centre - bundle origin (k, 3)) of the bundles that
    may hit each moving body; ``spheres``: the bodies' centre tracks and radii (bodies,) metres.

    A body's bounding sphere (centre c at the bundle's time, radius R, at distance D = |c - o| from the
    bundle origin o) lies within angle beta = asin(R / D) of the direction to c; it can meet the bundle's
    cone (unit axis a, half-angle alpha) only if angle(a, c - o) <= alpha + beta, i.e. (for D > R and
    alpha + beta < pi) a.(c - o) >= cos(alpha) sqrt(D^2 - R^2) - sin(alpha) R; and it can be hit only if
    D - R is nearer than the bundle's farthest hit so far (tfar, (g, b)).
    """
    tracks, radii = spheres
    if not len(radii):
        return
    reach = (radii * (1 + _REACH_PAD_REL) + _REACH_PAD_M)[:, None]
    reach_sq = reach * reach
    sin_half = np.sqrt(np.maximum(1.0 - cos_half.astype(np.float64) ** 2, 0.0))
    limit_sq = np.square(tfar.max(axis=1).astype(np.float64)[None, :] + reach)  # occlusion: D <= far + R
    found: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in radii]
    for lo in range(0, len(origins), _PREFILTER_SLICE):
        s = slice(lo, lo + _PREFILTER_SLICE)
        c = tracks.translations_at(times[s])  # (3, bodies, g), then centre - origin
        c -= origins[s].T[:, None, :]
        dist_sq = c[0] * c[0] + c[1] * c[1] + c[2] * c[2]
        along = c[0] * axis[s, 0] + c[1] * axis[s, 1] + c[2] * axis[s, 2]
        bound = cos_half[s] * np.sqrt(np.maximum(dist_sq - reach_sq, 0.0)) - sin_half[s] * reach
        may_hit = ((along >= bound) | (dist_sq <= reach_sq)) & (dist_sq <= limit_sq[:, s])
        if np.any(cos_half[s] <= 0):  # cones wider than a hemisphere: alpha + beta >= pi sees everything
            may_hit |= (cos_half[s] <= 0) & (reach_sq >= dist_sq * sin_half[s] ** 2)
        body_index, bundle_index = np.nonzero(may_hit)
        splits = np.searchsorted(body_index, np.arange(len(radii) + 1))
        for j in range(len(radii)):
            pairs = slice(splits[j], splits[j + 1])
            if pairs.stop > pairs.start:
                part = bundle_index[pairs]
                found[j].append((part + lo, np.stack([c[0, j, part], c[1, j, part], c[2, j, part]], axis=1)))
    for j, parts in enumerate(found):
        if parts:
            yield j, np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _rays_through(d: np.ndarray, to_centre: np.ndarray, radius: float, rays_tfar: np.ndarray) -> np.ndarray:
    """Flat indices (into k * b) of the rays ``d`` (k, b, 3) whose line passes through a sphere of
    ``radius`` metres about centre - bundle origin ``to_centre`` (k, 3), in front of the origin, entering
    it before the ray's closest hit so far ``rays_tfar`` (k * b,)."""
    b = d.shape[1]
    # per ray: projection of (centre - origin) on the ray, and squared distance of the centre to the line
    along = np.matmul(d, to_centre.astype(np.float32)[:, :, None]).reshape(-1)  # (k * b,)
    centre_sq = np.repeat(np.einsum("kj,kj->k", to_centre, to_centre).astype(np.float32), b)
    radius = np.float32(radius * (1 + _REACH_PAD_REL) + _REACH_PAD_M)
    # the squared distances are float32, so the test allows for their rounding (a few ulp of |c - o|^2)
    slack = radius * radius + _F32_SLACK * centre_sq
    return np.flatnonzero((centre_sq - along * along <= slack) & (along >= -radius) & (along - radius <= rays_tfar))


def _cast_body(
    body: Body,
    origins: np.ndarray,
    directions: np.ndarray,
    times: np.ndarray,
    bundles: np.ndarray,
    to_centre: np.ndarray,
    tfar: np.ndarray,
    prim: np.ndarray,
) -> list:
    """Cast the rays of ``bundles`` that pass through ``body``'s bounding sphere against the body at each
    bundle's time; where it is closer than the closest hit so far, update ``tfar`` and ``prim``
    (chunk-local rows). Returns [(rays, world normals, first triangle, end triangle)] for a turning body's
    hits (their table normals are in its object frame), else []."""
    b = directions.shape[1]
    d = np.take(directions, bundles, axis=0)  # (k, b, 3); np.take: far faster than fancy indexing
    rays_tfar = np.take(tfar.reshape(-1, b), bundles, axis=0).reshape(-1)
    through = _rays_through(d, to_centre, body.radius, rays_tfar)
    if not len(through):
        return []
    local = through // b  # index into bundles
    d = np.take(d.reshape(-1, 3), through, axis=0)
    if body.track.fixed_rotation is not None:
        rot = body.track.fixed_rotation
        o_obj = np.take(-to_centre @ rot, local, axis=0)  # row vectors: v @ R = (R^T v)^T, world -> object
        d_obj = d @ rot.astype(np.float32)
    else:
        rot = body.track.rotations_at(np.take(times, np.take(bundles, local)))  # (s, 3, 3) world_from_object
        o_obj = np.matmul(-np.take(to_centre, local, axis=0)[:, None, :], rot)[:, 0]
        d_obj = np.matmul(d[:, None, :], rot.astype(np.float32))[:, 0]
    rays = np.take(bundles, local) * b + through % b
    sub_tfar = np.take(rays_tfar, through)
    hit = body.embree.run(o_obj.astype(np.float32), np.ascontiguousarray(d_obj), dists=sub_tfar, output=1)["primID"]
    closer = np.flatnonzero(hit >= 0)
    if not len(closer):
        return []
    hit_rays = np.take(rays, closer)
    tfar[hit_rays] = np.take(sub_tfar, closer)
    prim[hit_rays] = np.take(hit, closer) + body.offset
    if body.track.fixed_rotation is not None:
        return []
    normals = np.matmul(rot[closer], body.normals[hit[closer]][:, :, None])[..., 0].astype(np.float32)
    return [(hit_rays, normals, body.offset, body.offset + len(body.normals))]


def _cast_group(
    group: PartGroup,
    origins: np.ndarray,
    directions: np.ndarray,
    times: np.ndarray,
    bundles: np.ndarray,
    to_centre: np.ndarray,
    tfar: np.ndarray,
    prim: np.ndarray,
) -> list:
    """Cast the rays of ``bundles`` that pass through ``group``'s sphere about its entity against every
    part at each bundle's time: per (ray, part) the part's bounding-sphere test (as in :func:`_cast_body`),
    then each surviving pair in the part's frame; where a ray's closest part hit is closer than its
    closest hit so far, update ``tfar`` and ``prim`` (chunk-local rows). Returns [(rays, world normals,
    first triangle, end triangle)]."""
    b = directions.shape[1]
    d = np.take(directions, bundles, axis=0)  # (k, b, 3)
    rays_tfar = np.take(tfar.reshape(-1, b), bundles, axis=0).reshape(-1)
    through = _rays_through(d, to_centre, group.radius, rays_tfar)
    if not len(through):
        return []
    d = np.take(d.reshape(-1, 3), through, axis=0)  # (m, 3)
    rays_tfar = np.take(rays_tfar, through)
    used, ray_bundle = np.unique(through // b, return_inverse=True)  # bundles with a ray through the sphere
    rot, trans = group.tracks.poses_at(np.take(times, np.take(bundles, used)))  # world_from_part (u, p, ...)
    to_part = trans - np.take(origins, np.take(bundles, used), axis=0)[:, None, :]  # (u, p, 3)
    # per (ray, part) the same sphere test, against each part's sphere at the ray's time
    rays_to_part = np.take(to_part, ray_bundle, axis=0)  # (m, p, 3)
    along = np.einsum("mj,mpj->mp", d, rays_to_part.astype(np.float32))
    centre_sq = np.take(np.einsum("upj,upj->up", to_part, to_part).astype(np.float32), ray_bundle, axis=0)
    radius = (group.part_radii * (1 + _REACH_PAD_REL) + _REACH_PAD_M).astype(np.float32)
    slack = radius * radius + _F32_SLACK * centre_sq
    near = (centre_sq - along * along <= slack) & (along >= -radius) & (along - radius <= rays_tfar[:, None])
    part, ray = np.nonzero(near.T)  # the (part, ray) pairs, grouped by part
    if not len(part):
        return []
    # rays into each part's frame at their bundle's time: o = R^T (origin - part origin), d = R^T d
    rotation = rot[ray_bundle[ray], part]  # (n, 3, 3)
    o_part = np.einsum("nji,nj->ni", rotation, -rays_to_part[ray, part]).astype(np.float32)
    d_part = np.einsum("nji,nj->ni", rotation, d[ray]).astype(np.float32)
    dist = rays_tfar[ray]
    hit = np.full(len(part), -1, np.int64)
    splits = np.searchsorted(part, np.arange(len(group.embree) + 1))
    for p in np.flatnonzero(np.diff(splits)):
        s = slice(splits[p], splits[p + 1])
        sub = dist[s].copy()
        found = group.embree[p].run(o_part[s], d_part[s], dists=sub, output=1)["primID"]
        dist[s] = sub
        hit[s] = np.where(found >= 0, found + group.offsets[p], -1)
    pairs = np.flatnonzero(hit >= 0)
    if not len(pairs):
        return []
    # the closest part hit of each ray: sort its pairs by distance, keep the first
    order = pairs[np.lexsort((dist[pairs], ray[pairs]))]
    best = order[np.concatenate([[True], ray[order][1:] != ray[order][:-1]])]
    hit_rays = np.take(bundles, through[ray[best]] // b) * b + through[ray[best]] % b  # chunk-local rows
    tfar[hit_rays] = dist[best]
    prim[hit_rays] = hit[best]
    local = group.normals[hit[best] - group.offsets[0]]
    normals = np.matmul(rotation[best], local[:, :, None])[..., 0].astype(np.float32)
    return [(hit_rays, normals, int(group.offsets[0]), int(group.offsets[-1]))]

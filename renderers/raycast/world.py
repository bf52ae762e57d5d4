"""A Scene compiled once into Embree geometry, and ray casting against it at per-ray times.

Static entities (one keyframe) are baked into one world-frame EmbreeScene; each moving entity gets its
own EmbreeScene in its object frame, and a ray that may reach it is moved into that frame at the ray's
own time. So a rolling LiDAR sweep sees every object where it is when each ray fires, and nothing is
rebuilt from one frame or firing to the next.

Frames: origins, directions, normals and hit points are world frame (metres, unit vectors); times are
seconds from the scene's start.
"""

from __future__ import annotations

import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from embreex import rtcore_scene
from embreex.mesh_construction import TriangleMesh

from assets import entity_mesh
from renderers.raycast.motion import Track
from scenes import Entity, Scene
from scenes.taxonomy import semantic_id
from scenes.transforms import transform_points

# Fewer rays than this per thread are not worth a thread (each chunk pays fixed numpy overheads).
_MIN_RAYS_PER_THREAD = 20_000


@dataclass
class Hits:
    """The closest surface along each ray (n rays). Misses: distance inf, ids 0, reflectivity 0, normal 0.

    Attributes:
        distance: (n,) float32 metres along the ray, inf = no hit within the range asked for.
        instance_id: (n,) uint16 entity instance id (0 = static context or no hit).
        semantic_id: (n,) uint16 ``scenes.taxonomy.semantic_id`` of the entity's category (0 = no hit).
        reflectivity: (n,) float32 the entity's ``material.reflectivity``.
        normal: (n, 3) float32 world-frame unit outward face normal at the hit, at the ray's time.
        origins, directions: (n, 3) float32 the rays as cast (world frame).
    """

    distance: np.ndarray
    instance_id: np.ndarray
    semantic_id: np.ndarray
    reflectivity: np.ndarray
    normal: np.ndarray
    origins: np.ndarray
    directions: np.ndarray

    @property
    def hit(self) -> np.ndarray:
        """(n,) bool: the ray hit a surface."""
        return np.isfinite(self.distance)

    @property
    def point(self) -> np.ndarray:
        """(n, 3) float64 world-frame hit points at each ray's time (inf/nan rows for misses)."""
        with np.errstate(invalid="ignore"):
            return self.origins + self.distance[:, None].astype(np.float64) * self.directions


@dataclass
class _Body:
    """One moving entity: its mesh in its object frame and its motion.

    radius: metres, bounding sphere of the mesh about the object-frame origin.
    normals: (faces + 1, 3) float32 object-frame face normals; the extra last row (zeros) is what
        Embree's miss index -1 selects.
    """

    entity: Entity
    embree: rtcore_scene.EmbreeScene
    normals: np.ndarray
    radius: float
    track: Track
    instance_id: int
    semantic_id: int
    reflectivity: float


def _embree_scene(vertices: np.ndarray, faces: np.ndarray) -> rtcore_scene.EmbreeScene:
    embree = rtcore_scene.EmbreeScene()
    TriangleMesh(embree, np.ascontiguousarray(vertices, np.float32), np.ascontiguousarray(faces, np.int32))
    # embreex commits lazily on the first run(); commit now, so threads never race to do it
    embree.run(np.zeros((1, 3), np.float32), np.array([[0.0, 0.0, 1.0]], np.float32))
    return embree


def _with_miss_row(values: np.ndarray, fill: float = 0) -> np.ndarray:
    """Append one row of ``fill``: indexing with Embree's miss primitive id (-1) then selects it."""
    pad = np.full((1, *values.shape[1:]), fill, dtype=values.dtype)
    return np.concatenate([values, pad])


class World:
    """Embree geometry of one Scene (build with :func:`world_for`, which caches it per Scene)."""

    def __init__(self, scene: Scene):
        statics = [e for e in scene.entities if len(e.trajectory.times) == 1]
        self.bodies = [self._body(e) for e in scene.entities if len(e.trajectory.times) > 1]
        self.bodies = [b for b in self.bodies if b is not None]
        self._build_static(statics)
        self.rig_track = Track.from_trajectory(scene.rig.trajectory)

    def _build_static(self, entities: list[Entity]) -> None:
        vertices, faces, normals, owner = [], [], [], []
        offset = 0
        for index, entity in enumerate(entities):
            mesh = entity_mesh(entity)
            if len(mesh.faces) == 0:
                continue
            pose = entity.trajectory.poses[0]
            vertices.append(transform_points(pose, mesh.vertices))
            faces.append(mesh.faces + offset)
            normals.append(mesh.face_normals @ pose[:3, :3].T)
            owner.append(np.full(len(mesh.faces), index))
            offset += len(mesh.vertices)
        self.static = None
        if not faces:
            owner_of = np.zeros(0, int)
            normals_all = np.zeros((0, 3))
        else:
            self.static = _embree_scene(np.concatenate(vertices), np.concatenate(faces))
            owner_of = np.concatenate(owner)
            normals_all = np.concatenate(normals)
        # per-triangle tables, each with the miss row last
        self.static_instance = _with_miss_row(np.array([e.instance_id for e in entities], np.uint16)[owner_of])
        self.static_semantic = _with_miss_row(np.array([semantic_id(e.category) for e in entities], np.uint16)[owner_of])
        refl = np.array([e.material.reflectivity for e in entities], np.float32)
        self.static_reflectivity = _with_miss_row(refl[owner_of])
        self.static_normals = _with_miss_row(normals_all.astype(np.float32))

    @staticmethod
    def _body(entity: Entity) -> _Body | None:
        mesh = entity_mesh(entity)
        if len(mesh.faces) == 0:
            return None
        return _Body(
            entity=entity,
            embree=_embree_scene(mesh.vertices, mesh.faces),
            normals=_with_miss_row(mesh.face_normals.astype(np.float32)),
            radius=float(np.linalg.norm(mesh.vertices, axis=1).max()),
            track=Track.from_trajectory(entity.trajectory),
            instance_id=entity.instance_id,
            semantic_id=semantic_id(entity.category),
            reflectivity=float(entity.material.reflectivity),
        )

    def cast(
        self,
        origins: np.ndarray,
        directions: np.ndarray,
        times: np.ndarray | float,
        max_range: float = np.inf,
        threads: int = 1,
    ) -> Hits:
        """Closest hit of each ray, every moving entity placed where it is at that ray's own time.

        Args:
            origins: (n, 3) world metres.
            directions: (n, 3) world unit vectors.
            times: (n,) or scalar seconds from the scene's start.
            max_range: metres; surfaces farther along the ray are not hits.
            threads: split the rays into this many chunks cast in parallel (Embree releases the GIL).
        """
        origins = np.ascontiguousarray(origins, np.float32)
        directions = np.ascontiguousarray(directions, np.float32)
        n = len(origins)
        times = np.broadcast_to(np.asarray(times, np.float64), (n,))
        hits = Hits(
            distance=np.empty(n, np.float32),
            instance_id=np.empty(n, np.uint16),
            semantic_id=np.empty(n, np.uint16),
            reflectivity=np.empty(n, np.float32),
            normal=np.empty((n, 3), np.float32),
            origins=origins,
            directions=directions,
        )
        threads = max(1, min(int(threads), n // _MIN_RAYS_PER_THREAD))
        bounds = np.linspace(0, n, threads + 1).astype(int)
        chunks = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        if threads == 1:
            self._cast_chunk(hits, times, max_range, chunks[0])
        else:
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(lambda s: self._cast_chunk(hits, times, max_range, s), chunks))
        return hits

    def _cast_chunk(self, hits: Hits, times: np.ndarray, max_range: float, rows: slice) -> None:
        """Cast rays ``rows`` and write their results into ``hits`` (in place)."""
        origins, directions, times = hits.origins[rows], hits.directions[rows], times[rows]
        n = len(origins)
        # Embree's tfar: rays stop at max_range (float32 max for "unbounded"), later at the closest hit
        tfar = np.full(n, min(max_range, np.finfo(np.float32).max), np.float32)
        prim = np.full(n, -1, np.int32)
        if self.static is not None:
            prim = self.static.run(origins, directions, dists=tfar, output=1)["primID"]
        hits.instance_id[rows] = self.static_instance[prim]
        hits.semantic_id[rows] = self.static_semantic[prim]
        hits.reflectivity[rows] = self.static_reflectivity[prim]
        hits.normal[rows] = self.static_normals[prim]
        hit = prim >= 0
        for body, candidates in zip(self.bodies, self._candidates(origins, directions, times, max_range), strict=True):
            if len(candidates):
                hit[candidates[self._cast_body(body, origins, directions, times, tfar, candidates, hits, rows)]] = True
        hits.distance[rows] = np.where(hit, tfar, np.float32(np.inf))

    def _candidates(
        self, origins: np.ndarray, directions: np.ndarray, times: np.ndarray, max_range: float
    ) -> list[np.ndarray]:
        """Per body, the indices of the rays whose line passes within its reach: its bounding sphere
        grown by its travel over the rays' time span and by the spread of the ray origins.

        A ray from o within s of a reference origin o_ref passes within R of centre c only if the ray
        from o_ref passes within R + s of c: then the angle between the ray and the direction to c is
        at most asin((R + s) / |c - o_ref|). One (bodies x rays) product of unit vectors tests them all.
        """
        if not self.bodies:
            return []
        lo, hi = origins.min(axis=0).astype(np.float64), origins.max(axis=0).astype(np.float64)
        o_ref, spread = 0.5 * (lo + hi), 0.5 * float(np.linalg.norm(hi - lo))
        t_lo, t_hi = float(times.min()), float(times.max())
        axes, cos_half, everything, nothing = [], [], [], []
        for body in self.bodies:
            span = body.track.translations_at(np.array([t_lo, t_hi]))
            inner = body.track.times[(body.track.times > t_lo) & (body.track.times < t_hi)]
            path = np.concatenate([span, body.track.translations_at(inner)]) if len(inner) else span
            centre = 0.5 * (path.min(axis=0) + path.max(axis=0))
            reach = body.radius + 0.5 * float(np.linalg.norm(path.max(axis=0) - path.min(axis=0))) + spread
            to_centre = centre - o_ref
            dist = float(np.linalg.norm(to_centre))
            everything.append(dist <= reach)
            nothing.append(dist - reach > max_range)
            axes.append(to_centre / dist if dist > reach else np.zeros(3))
            cos_half.append(np.sqrt(1.0 - (reach / dist) ** 2) if dist > reach else -2.0)
        cosines = np.asarray(axes, np.float32) @ directions.T  # (bodies, rays)
        mask = cosines > np.asarray(cos_half, np.float32)[:, None]
        out = []
        for j in range(len(self.bodies)):
            if nothing[j]:
                out.append(np.zeros(0, np.intp))
            elif everything[j]:
                out.append(np.arange(len(directions)))
            else:
                out.append(np.flatnonzero(mask[j]))
        return out

    @staticmethod
    def _cast_body(
        body: _Body,
        origins: np.ndarray,
        directions: np.ndarray,
        times: np.ndarray,
        tfar: np.ndarray,
        candidates: np.ndarray,
        hits: Hits,
        rows: slice,
    ) -> np.ndarray:
        """Cast the ``candidates`` rays against ``body`` placed at each ray's time; where it is closer
        than the best hit so far, update ``tfar`` and the labels. Returns a bool mask over candidates."""
        t = times[candidates]
        position = body.track.translations_at(t)
        o = origins[candidates] - position
        d = directions[candidates]
        if body.track.fixed_rotation is not None:
            rot = body.track.fixed_rotation
            o_obj, d_obj = o @ rot, d @ rot  # row vectors: v @ R = (R^T v)^T, world -> object
        else:
            rot = body.track.rotations_at(t)
            o_obj, d_obj = np.einsum("nji,nj->ni", rot, o), np.einsum("nji,nj->ni", rot, d)
        sub_tfar = tfar[candidates]
        prim = body.embree.run(
            np.ascontiguousarray(o_obj, np.float32), np.ascontiguousarray(d_obj, np.float32), dists=sub_tfar, output=1
        )["primID"]
        closer = prim >= 0
        if not closer.any():
            return closer
        rays = candidates[closer]
        tfar[rays] = sub_tfar[closer]
        normals = body.normals[prim[closer]]
        if body.track.fixed_rotation is not None:
            normals = normals @ rot.T.astype(np.float32)
        else:
            normals = np.einsum("nij,nj->ni", rot[closer], normals)
        base = rows.start or 0
        hits.instance_id[base + rays] = body.instance_id
        hits.semantic_id[base + rays] = body.semantic_id
        hits.reflectivity[base + rays] = body.reflectivity
        hits.normal[base + rays] = normals
        return closer


_CACHE: dict[int, tuple[weakref.ref, World]] = {}
_CACHE_LOCK = threading.RLock()  # re-entrant: a weakref callback may fire while it is held


def world_for(scene: Scene) -> World:
    """The compiled World of ``scene``, built on first use and cached for as long as the Scene object
    lives (compared by identity: Scenes are frozen once sampled)."""
    key = id(scene)
    with _CACHE_LOCK:
        entry = _CACHE.get(key)
        if entry is not None and entry[0]() is scene:
            return entry[1]
    world = World(scene)

    def forget(ref: weakref.ref, key: int = key) -> None:
        with _CACHE_LOCK:
            if key in _CACHE and _CACHE[key][0] is ref:
                del _CACHE[key]

    with _CACHE_LOCK:
        _CACHE[key] = (weakref.ref(scene, forget), world)
    return world

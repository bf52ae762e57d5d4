"""A Scene compiled once into Embree geometry, and ray casting against it at per-ray times.

Static entities (one keyframe) are baked into one world-frame EmbreeScene; each moving entity gets its
own EmbreeScene in its object frame, and a ray that may reach it is moved into that frame at the ray's
own time. So a rolling LiDAR sweep sees every object where it is when each ray fires, and nothing is
rebuilt from one frame or firing to the next.

Articulated entities (``assets.articulated``: a person's body parts, a cyclist's bicycle) are their
parts: a static one's parts are baked posed at t = 0; a moving one is several bodies, each part moving
in its object frame one of its own on a densely sampled track of its world_from_part, the rest one body
on the entity's trajectory (``renderers.raycast.parts``; the samples span the scene's frames plus the
longest LiDAR sweep, and rays cast later see such parts as they were at its end). Every triangle of
every part carries the entity's instance and semantic ids.

A rigid entity made of surface parts (``assets.surfaces``: a car's paint, glass, tyres) is cast as its whole
mesh (the parts' concatenation), each triangle with the LiDAR reflectivity of its part's surface.

Every triangle has a global index (static triangles first, then each moving entity's), and two tables
indexed by it hold what a hit needs: (normal x, y, z, reflectivity) and (instance id, semantic id). The
last row of each table is the miss row that Embree's primitive id -1 selects.

Frames: origins, directions, normals and hit points are world frame (metres, unit vectors); times are
seconds from the scene's start.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import numpy as np
from embreex import rtcore_scene
from embreex.mesh_construction import TriangleMesh

from assets import entity_mesh
from assets.articulated import entity_parts, has_surface_parts, is_moving
from assets.surfaces import surface_material
from renderers.raycast.casting import Body, Casting, PartGroup, bundle_cones, cast_chunks
from renderers.raycast.motion import Track, TrackBatch
from renderers.raycast.parts import MovingParts, moving_pieces, sample_times, static_parts
from scenes import Entity, Scene
from scenes.taxonomy import semantic_id
from scenes.transforms import transform_points


@dataclass
class Hits:
    """The closest surface along each ray (n rays). Misses: distance inf, ids 0, reflectivity 0, normal 0.

    Attributes:
        distance: (n,) float32 metres along the ray, inf = no hit within the range asked for.
        instance_id: (n,) uint16 entity instance id (0 = static context or no hit).
        semantic_id: (n,) uint16 ``scenes.taxonomy.semantic_id`` of the entity's category (0 = no hit).
        reflectivity: (n,) float32 the entity's ``material.reflectivity``.
        normal: (n, 3) float32 world-frame unit outward face normal at the hit, at the ray's time.
        directions: (n, 3) float32 world unit ray directions.
        bundle_origins: (g, 3) world ray origins, one per bundle of n / g consecutive rays.
    """

    distance: np.ndarray
    instance_id: np.ndarray
    semantic_id: np.ndarray
    reflectivity: np.ndarray
    normal: np.ndarray
    directions: np.ndarray
    bundle_origins: np.ndarray

    @property
    def hit(self) -> np.ndarray:
        """(n,) bool: the ray hit a surface."""
        return np.isfinite(self.distance)

    @property
    def origins(self) -> np.ndarray:
        """(n, 3) world ray origins."""
        return np.repeat(self.bundle_origins, len(self.distance) // len(self.bundle_origins), axis=0)

    @property
    def point(self) -> np.ndarray:
        """(n, 3) float64 world-frame hit points at each ray's time (non-finite rows for misses)."""
        with np.errstate(invalid="ignore"):
            return self.origins + self.distance[:, None].astype(np.float64) * self.directions


def _embree_scene(vertices: np.ndarray, faces: np.ndarray) -> rtcore_scene.EmbreeScene:
    embree = rtcore_scene.EmbreeScene()
    TriangleMesh(embree, np.ascontiguousarray(vertices, np.float32), np.ascontiguousarray(faces, np.int32))
    # embreex commits lazily on the first run(); commit now, so threads never race to do it
    embree.run(np.zeros((1, 3), np.float32), np.array([[0.0, 0.0, 1.0]], np.float32))
    return embree


class World:
    """Embree geometry of one Scene (use :func:`world_for`, which caches it per Scene).

    Attributes:
        static: world-frame EmbreeScene of every static entity (None without any).
        bodies: the moving rigid entities and the parts of moving articulated ones that move with their
            object frame; ``tracks`` evaluates all their positions at once.
        groups: the parts of each moving articulated entity that move in its object frame
            (``casting.PartGroup``); ``group_tracks`` evaluates their entities' positions at once.
        normal_reflectivity: (triangles + 1, 4) float32 per global triangle: normal (world frame for
            static entities and for moving ones that never turn, object or part frame otherwise),
            reflectivity.
        ids: (triangles + 1, 2) uint16 per global triangle: instance id, semantic id.
        rig_track: the ego's trajectory as arrays.
    """

    def __init__(self, scene: Scene):
        statics = [e for e in scene.entities if not is_moving(e)]
        moving = [e for e in scene.entities if is_moving(e)]
        rows_nr, rows_ids = [], []
        self.static, count = self._compile_static(statics, rows_nr, rows_ids)
        self.bodies: list[Body] = []
        self.groups: list[PartGroup] = []
        for entity in moving:
            group = None
            if entity.skeleton is None:
                mesh, track = entity_mesh(entity), Track.from_trajectory(entity.trajectory)
            else:
                piece, group = moving_pieces(entity, sample_times(scene, entity))
                mesh, track = (piece.mesh, piece.track) if piece is not None else (None, None)
            if mesh is not None and len(mesh.faces):
                normals = mesh.face_normals.astype(np.float32)
                radius = float(np.linalg.norm(mesh.vertices, axis=1).max())
                self.bodies.append(Body(_embree_scene(mesh.vertices, mesh.faces), count, normals, radius, track))
                # never-turning bodies store world normals, so hits on them need no per-ray rotation
                world_normals = normals if track.fixed_rotation is None else normals @ track.fixed_rotation.T
                rows_nr.append(_nr_rows(world_normals, entity))
                rows_ids.append(_id_rows(len(normals), entity))
                count += len(normals)
            if group is not None:
                self.groups.append(_part_group(group, count))
                normals = self.groups[-1].normals
                rows_nr.append(_nr_rows(normals, entity))  # part-frame normals: hits rotate them (casting)
                rows_ids.append(_id_rows(len(normals), entity))
                count += len(normals)
        self.normal_reflectivity = np.concatenate([*rows_nr, np.zeros((1, 4), np.float32)])
        self.ids = np.concatenate([*rows_ids, np.zeros((1, 2), np.uint16)])
        self.tracks = TrackBatch([b.track for b in self.bodies])
        self.radii = np.array([b.radius for b in self.bodies])
        self.group_tracks = TrackBatch([g.track for g in self.groups])
        self.group_radii = np.array([g.radius for g in self.groups])
        self.rig_track = Track.from_trajectory(scene.rig.trajectory)
        self._scratch = threading.local()

    @staticmethod
    def _compile_static(
        entities: list[Entity], rows_nr: list, rows_ids: list
    ) -> tuple[rtcore_scene.EmbreeScene | None, int]:
        """The static entities baked into one world-frame EmbreeScene, and its triangle count; appends
        their rows of the per-triangle tables to rows_nr and rows_ids."""
        vertices, faces, offset = [], [], 0
        for entity in entities:
            if entity.skeleton is None:
                placed = [(entity_mesh(entity), entity.trajectory.poses[0])]
            else:
                placed = static_parts(entity)  # its parts posed at t = 0
            for mesh, pose in placed:
                if len(mesh.faces) == 0:
                    continue
                vertices.append(transform_points(pose, mesh.vertices))
                faces.append(mesh.faces + offset)
                rows_nr.append(_nr_rows(mesh.face_normals @ pose[:3, :3].T, entity))
                rows_ids.append(_id_rows(len(mesh.faces), entity))
                offset += len(mesh.vertices)
        if not faces:
            return None, 0
        faces = np.concatenate(faces)
        return _embree_scene(np.concatenate(vertices), faces), len(faces)

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
        origins = np.asarray(origins, np.float64)
        times = np.broadcast_to(np.asarray(times, np.float64), (len(origins),))
        directions = np.asarray(directions, np.float32).reshape(len(origins), 1, 3)
        return self.cast_bundles(origins, directions, times, max_range, threads)

    def cast_bundles(
        self,
        origins: np.ndarray,
        directions: np.ndarray,
        times: np.ndarray,
        max_range: float = np.inf,
        threads: int = 1,
        cones: tuple[np.ndarray, np.ndarray] | None = None,
        scratch: bool = False,
    ) -> Hits:
        """Like :meth:`cast` for g bundles of b rays that share an origin and a time (the channels of a
        LiDAR column), so the moving entities are placed once per bundle, not once per ray.

        Args:
            origins: (g, 3) world metres.
            directions: (g, b, 3) world unit vectors.
            times: (g,) seconds from the scene's start.
            max_range: metres; surfaces farther along the ray are not hits.
            threads: split the bundles into this many chunks cast in parallel (Embree releases the GIL).
            cones: (axis (g, 3), cos of half-angle (g,)) of a cone around each bundle's directions, when
                the caller knows them (a LiDAR column's); computed otherwise.
            scratch: write the results into this thread's reusable buffers (no fresh pages per sweep):
                the returned Hits is then valid only until this thread's next scratch cast.

        Returns:
            Hits of the g * b rays, bundle by bundle.
        """
        origins = np.asarray(origins, np.float64)
        directions = np.ascontiguousarray(directions, np.float32)
        times = np.asarray(times, np.float64)
        if cones is None:
            cones = bundle_cones(directions)
        n = directions.shape[0] * directions.shape[1]
        out = self._scratch_buffers(n) if scratch else Casting(n)
        cast_chunks(self, origins, directions, times, cones, max_range, threads, out)
        hit = out.prim >= 0
        return Hits(
            distance=np.where(hit, out.tfar, np.float32(np.inf)),
            instance_id=out.ids[:, 0],
            semantic_id=out.ids[:, 1],
            reflectivity=out.nr[:, 3],
            normal=out.nr[:, :3],
            directions=directions.reshape(-1, 3),
            bundle_origins=origins,
        )

    def _scratch_buffers(self, n: int) -> Casting:
        """This thread's reusable result buffers for n rays."""
        buffers = getattr(self._scratch, "buffers", None)
        if buffers is None or len(buffers.tfar) != n:
            buffers = self._scratch.buffers = Casting(n)
        return buffers


def _part_group(parts: MovingParts, offset: int) -> PartGroup:
    """The Embree scenes and tables of an articulated entity's moving parts, its triangles from global
    index ``offset`` on."""
    meshes = parts.meshes
    offsets = offset + np.concatenate([[0], np.cumsum([len(m.faces) for m in meshes])]).astype(np.int64)
    embree = [_embree_scene(m.vertices, m.faces) for m in meshes]
    normals = np.concatenate([m.face_normals for m in meshes]).astype(np.float32)
    part_radii = np.array([float(np.linalg.norm(m.vertices, axis=1).max()) for m in meshes])
    return PartGroup(embree, offsets, normals, part_radii, parts.tracks, parts.radius, parts.centre)


def _nr_rows(normals: np.ndarray, entity: Entity) -> np.ndarray:
    rows = np.empty((len(normals), 4), np.float32)
    rows[:, :3], rows[:, 3] = normals, face_reflectivity(entity, len(normals))
    return rows


def face_reflectivity(entity: Entity, count: int) -> np.ndarray | float:
    """The LiDAR reflectivity of each of the ``count`` triangles of the entity's whole mesh (in
    ``entity_mesh``'s order): its part's surface's for a rigid entity of surface parts, else the entity's
    material's (one value for all)."""
    if not has_surface_parts(entity):
        return entity.material.reflectivity
    parts = entity_parts(entity)
    values = [surface_material(p.surface, entity.material).reflectivity for p in parts]
    per_face = np.repeat(np.asarray(values, np.float32), [len(p.mesh.faces) for p in parts])
    if len(per_face) != count:
        raise ValueError(f"entity {entity.name!r}: {count} triangles, its surface parts have {len(per_face)}")
    return per_face


def _id_rows(count: int, entity: Entity) -> np.ndarray:
    return np.tile(np.array([[entity.instance_id, semantic_id(entity.category)]], np.uint16), (count, 1))


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

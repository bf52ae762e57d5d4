"""An entity's mesh as rigid parts, and where each part is at time t: one interface for rigid and
articulated entities alike.

A rigid entity is one part, its whole mesh, fixed in the object frame, unless its procedural asset gives
surface parts (``ProceduralAsset.build_parts``: a car's paint, glass, tyres): then it is one part per
surface part, each fixed in the object frame (``object_from_part`` identity), whose meshes concatenated in
order are exactly its whole mesh (``entity_mesh``), so every label stays that of the whole. An entity with a skeleton
(``scenes.skeleton``) is its body's parts (``assets.procedural.people``), each bound to a joint, plus its
asset's rigid mesh unless the asset is a person's (``PERSON_ASSETS``, whose rigid figure the body
replaces): a cyclist's bicycle. Renderers draw every part with
the entity's instance id, placed at ``world_from_part(t)``; a part draws in its surface's material
(``assets.surfaces.surface_material``: ``"body"`` is the entity's own), and a part with a colour of its
own in that colour with the material's other values.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np

from assets._trimesh import trimesh
from assets.loading import entity_mesh, load_asset_mesh, parts_bounds, procedural_parts
from assets.procedural import PROCEDURAL_ASSETS, arrays
from assets.procedural.arrays import moved_part
from assets.procedural.people import person_parts
from scenes import AssetRef, Entity
from scenes.pose import joint_frames, world_keypoints
from scenes.serialization import skeleton_from_dict
from scenes.skeleton import JOINT_INDEX
from scenes.transforms import make_pose

PERSON_ASSETS = ("pedestrian",)  # assets whose rigid figure an articulated body replaces


@dataclass(frozen=True)
class MeshPart:
    """One rigid part: ``mesh`` in the part's frame (metres); ``joint``: index into
    ``scenes.skeleton.JOINTS`` of the joint it is bound to, None for a part fixed in the object frame
    (then ``object_from_part`` places it); ``color``: its own linear RGB, None for the entity's
    material colour; ``surface``: what it is made of, a name of ``assets.surfaces.SURFACES`` (``"body"``:
    the entity's own material). Meshes are shared between calls: do not modify them. A rigid entity's surface
    parts are bare arrays (``arrays.Mesh``: vertices, faces, bounds, face_normals) unless they carry colours;
    ``arrays.to_trimesh`` makes a trimesh of one."""

    mesh: trimesh.Trimesh | arrays.Mesh
    joint: int | None = None
    color: tuple[float, float, float] | None = None
    object_from_part: np.ndarray | None = None
    surface: str = "body"


def is_articulated(entity: Entity) -> bool:
    """Whether the entity has a skeleton (its parts move against each other)."""
    return entity.skeleton is not None


def is_moving(entity: Entity) -> bool:
    """Whether any part of the entity moves over time: a trajectory with more than one keyframe (an
    articulated entity's pose changes only as it moves along its trajectory)."""
    return len(entity.trajectory.times) > 1


def has_surface_parts(entity: Entity) -> bool:
    """Whether a rigid entity is several surface parts: its asset is procedural with ``build_parts``."""
    asset = entity.asset
    record = PROCEDURAL_ASSETS.get(asset.name) if asset.source == "procedural" else None
    return entity.skeleton is None and record is not None and record.build_parts is not None


def entity_parts(entity: Entity) -> tuple[MeshPart, ...]:
    """The entity's rigid parts (see the module docstring), cached per asset, scale and skeleton."""
    if entity.skeleton is None:
        if has_surface_parts(entity):
            asset = entity.asset
            return _surface_parts(json.dumps([asset.name, asset.params, entity.scale], sort_keys=True))
        return (MeshPart(entity_mesh(entity)),)
    return _articulated_parts(_skeleton_key(entity))


_IDENTITY = np.eye(4)
_IDENTITY.flags.writeable = False


@lru_cache(maxsize=512)
def _surface_parts(key: str) -> tuple[MeshPart, ...]:
    """The surface parts of a rigid procedural entity, moved and scaled exactly as ``entity_mesh`` moves
    and scales the whole (``loading``: centred on its bounds, then scaled), so they concatenate to it."""
    name, params, scale = json.loads(key)
    surfaces = procedural_parts(name, json.dumps(params, sort_keys=True))
    shift = -parts_bounds(surfaces).mean(axis=0)  # what ``centred`` moves the whole by
    parts = []
    for surface, mesh in surfaces:
        mesh = moved_part(mesh, shift, scale)  # bare arrays: a Trimesh per part cost more than its move
        mesh.vertices.flags.writeable = False
        parts.append(MeshPart(mesh, None, None, _IDENTITY, surface))
    return tuple(parts)


def _skeleton_key(entity: Entity) -> str:
    asset = entity.asset
    return json.dumps(
        [asset.source, asset.name, asset.params, asset.path, asset.up_axis, entity.scale, asdict(entity.skeleton)],
        sort_keys=True,
    )


@lru_cache(maxsize=512)
def _articulated_parts(key: str) -> tuple[MeshPart, ...]:
    source, name, params, path, up_axis, scale, skeleton_dict = json.loads(key)
    skeleton = skeleton_from_dict(skeleton_dict)
    parts = [MeshPart(p.mesh, JOINT_INDEX[p.joint], p.color) for p in person_parts(skeleton)]
    if name not in PERSON_ASSETS:  # the rigid rest of the entity (a bicycle), at its place in the body frame
        mesh = load_asset_mesh(AssetRef(source, name, params, path, up_axis))
        if scale != 1.0:
            mesh.apply_scale(scale)
        centre = np.asarray((skeleton.bicycle or {}).get("centre", (0.0, 0.0, 0.0)), np.float64)
        offset = make_pose(np.eye(3), centre - np.asarray(skeleton.origin_in_body, np.float64))
        parts.insert(0, MeshPart(mesh, None, None, offset))
    for part in parts:
        part.mesh.vertices.flags.writeable = False
    return tuple(parts)


def part_poses(entity: Entity, t: float) -> list[np.ndarray]:
    """``world_from_part`` (4x4) of each of ``entity_parts(entity)`` at time ``t`` seconds."""
    world_from_object = entity.trajectory.pose_at(t)
    if entity.skeleton is None:  # before entity_parts, which would load (copy) the rigid mesh every call
        return [world_from_object] * (len(entity_parts(entity)) if has_surface_parts(entity) else 1)
    parts = entity_parts(entity)
    frames = joint_frames(entity.skeleton, entity.trajectory, t)
    return [world_from_object @ (frames[p.joint] if p.joint is not None else p.object_from_part) for p in parts]


def posed_mesh(entity: Entity, t: float, frame: str = "object") -> trimesh.Trimesh:
    """All the entity's parts at time ``t`` as one mesh, in the object frame (``frame="object"``) or the
    world frame (``"world"``)."""
    world_from_object = entity.trajectory.pose_at(t)
    object_from_world = np.linalg.inv(world_from_object)
    meshes = []
    for part, pose in zip(entity_parts(entity), part_poses(entity, t), strict=True):
        placed = pose if frame == "world" else object_from_world @ pose
        vertices = part.mesh.vertices @ placed[:3, :3].T + placed[:3, 3]
        meshes.append(trimesh.Trimesh(vertices=vertices, faces=part.mesh.faces, process=False))
    return trimesh.util.concatenate(meshes)


def keypoints_world(entity: Entity, t: float) -> np.ndarray:
    """(17, 3) COCO keypoints of an articulated entity in the world frame (metres) at time ``t``."""
    return world_keypoints(entity.skeleton, entity.trajectory, t)[0]

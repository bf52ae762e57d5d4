"""Compile a synthsense Scene into a pyrender.Scene once, then move its nodes frame by frame.

Compiling builds every mesh, material, light and camera; a frame only sets node poses, so a sequence
never rebuilds geometry (or re-uploads it to the GL context).

Every entity is its parts (``assets.articulated.entity_parts``), one mesh node each: a rigid entity is
one node holding its whole mesh, an articulated one (a person, a cyclist and its bicycle) one node per
body part, placed at ``part_poses`` each frame; a rigid entity made of surface parts (a car's paint, glass,
tyres: ``assets.surfaces``) one node per part, each in its surface's material. Every part node of an entity
draws in the entity's instance colour in the label passes, so labels see one object whatever its parts.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import numpy as np
import trimesh

from assets import entity_mesh
from assets.articulated import MeshPart, entity_parts, has_surface_parts, is_moving, part_poses
from assets.procedural import arrays
from assets.surfaces import surface_finish, surface_material
from renderers.base import BackendError
from renderers.hdri import hdri_ambient
from renderers.pyrender._gl import pyrender
from renderers.pyrender.geometry import gl_intrinsics, instance_color
from renderers.pyrender.lamps import Lamps, add_lamps, pose_lamps
from scenes import Camera, Entity, Light, Material, Scene
from scenes.transforms import light_pose, make_pose, opengl_from_opencv_pose

GLTF_TRIANGLES = pyrender.constants.GLTF.TRIANGLES  # the primitive mode from_trimesh uses


class _InsertionOrderedNodes(dict):
    """The set interface pyrender.Scene uses for its mesh nodes (``add``, ``remove``, iteration, ``in``),
    iterating in insertion order."""

    def add(self, node: pyrender.Node) -> None:
        self[node] = None

    def remove(self, node: pyrender.Node) -> None:
        del self[node]


class _World(pyrender.Scene):
    """pyrender.Scene that counts every change of what its renderer's draw order reads (``pose_version``): nodes
    added or removed, poses set, the main camera chosen. Renders with the same count see the same nodes at the
    same poses, so the renderer sorts them once for all of them (``offscreen._UnionRenderer``)."""

    def __init__(self, **kwargs: object) -> None:
        self.pose_version = 0
        super().__init__(**kwargs)

    def add_node(self, node: pyrender.Node, parent_node: pyrender.Node | None = None) -> None:
        self.pose_version += 1
        super().add_node(node, parent_node=parent_node)

    def remove_node(self, node: pyrender.Node) -> None:
        self.pose_version += 1
        super().remove_node(node)

    def set_pose(self, node: pyrender.Node, pose: np.ndarray) -> None:
        self.pose_version += 1
        super().set_pose(node, pose)

    @property
    def main_camera_node(self) -> pyrender.Node | None:
        return self._main_camera_node

    @main_camera_node.setter
    def main_camera_node(self, value: pyrender.Node) -> None:
        self.pose_version += 1
        pyrender.Scene.main_camera_node.fset(self, value)


def ordered_world(**kwargs: object) -> pyrender.Scene:
    """A pyrender.Scene (``kwargs`` as pyrender's) whose mesh nodes draw in a reproducible order.

    pyrender keeps mesh nodes in a set, whose order follows the nodes' memory addresses and so changes
    from one process to the next, and its renderer orders them only by the distance of each node's origin
    from the camera. Body parts meeting at a joint can share that distance; their coincident surfaces
    then z-fight, and the part drawn first wins the pixel. Insertion order breaks those ties the same way
    in every run, so the same seed gives the same RGB bytes whatever the process."""
    world = _World(**kwargs)
    world._mesh_nodes = _InsertionOrderedNodes()  # pinned pyrender 0.1.45: Scene.add_node/remove_node use it
    return world


@dataclass
class EntityNodes:
    """One entity's mesh nodes, one per part of ``entity_parts(entity)`` in that order.

    Attributes:
        entity: the Entity.
        nodes: its part nodes (a rigid entity: one node, its whole mesh).
        poses: (parts, 4, 4) world_from_part of each node as last posed (``pose_nodes``).
        part_corners: (parts, 8, 3) corners of each part mesh's axis-aligned bounds in its part frame
            (metres), for view culling of articulated entities, whose posed parts may reach past the
            entity's ``size_m`` box; None for a rigid entity (culled by its ``size_m`` box).
    """

    entity: Entity
    nodes: list[pyrender.Node]
    poses: np.ndarray
    part_corners: np.ndarray | None = None


@dataclass
class CompiledScene:
    """A Scene's pyrender world.

    Attributes:
        source: the Scene this was compiled from (compared by identity to detect a new scene).
        scene: the pyrender.Scene.
        entity_nodes: every entity's part nodes (``EntityNodes``), in the Scene's order.
        camera_nodes: rig camera name -> camera node.
        instance_colors: mesh node -> id colour for the segmentation pass (every part node of an entity
            takes the entity's); context entities map to black so they still occlude.
        lamps: spot light pool, mounted lights and emitter discs (``lamps``); emitter meshes are not in
            ``instance_colors``, so no label pass draws them.
    """

    source: Scene
    scene: pyrender.Scene
    entity_nodes: list[EntityNodes]
    camera_nodes: dict[str, pyrender.Node]
    instance_colors: dict[pyrender.Node, tuple[int, int, int]] = field(default_factory=dict)
    lamps: Lamps = field(default_factory=Lamps)


def _mesh_key(entity: Entity) -> str:
    """Entities with equal keys share one pyrender.Mesh (one GL upload)."""
    asset, material = entity.asset, entity.material
    return json.dumps(
        [
            asset.source,
            asset.name,
            asset.params,
            asset.path,
            asset.up_axis,
            entity.scale,
            list(material.base_color),
            material.roughness,
            material.metallic,
        ],
        sort_keys=True,
    )


def _part_material(entity: Entity, part: MeshPart) -> Material:
    """The part's material: its surface's (the entity's own for ``"body"``), in the part's own colour if it
    has one."""
    material = surface_material(part.surface, entity.material)
    if part.color is not None:
        material = Material(tuple(part.color), material.roughness, material.metallic, material.reflectivity)
    return material


def _part_key(entity: Entity, part: MeshPart) -> str:
    """Parts with equal keys share one pyrender.Mesh: the same mesh (by content: people with equal
    proportions share limbs), colour and material values."""
    mesh = part.mesh
    digest = hashlib.blake2b(np.ascontiguousarray(mesh.vertices).tobytes(), digest_size=16)
    digest.update(np.ascontiguousarray(mesh.faces).tobytes())
    material = _part_material(entity, part)
    values = [list(material.base_color), material.roughness, material.metallic, entity.asset.source == "file"]
    emission = surface_finish(part.surface).emission
    if any(emission):  # glowing parts only: the keys of every other part stay as they were
        values.append(list(emission))
    return json.dumps(["part", digest.hexdigest(), *values])


MaterialCache = dict[tuple, pyrender.MetallicRoughnessMaterial]


def _material(
    entity: Entity,
    color: tuple[float, float, float],
    materials: MaterialCache,
    material: Material | None = None,
    emission: tuple = (0, 0, 0),
) -> pyrender.MetallicRoughnessMaterial:
    """pyrender's material of ``entity`` in ``color``: the entity's material values, or ``material``'s. Equal
    values share one pyrender material from ``materials`` (the scene's): pyrender only reads a primitive's
    material, and building one costs more than a part's geometry on a street's ~400 parts."""
    material = entity.material if material is None else material
    key = (tuple(color), material.roughness, material.metallic, tuple(emission), entity.asset.source == "file")
    if key not in materials:
        materials[key] = _new_material(entity, color, material, emission)
    return materials[key]


def _new_material(
    entity: Entity, color: tuple[float, float, float], material: Material, emission: tuple
) -> pyrender.MetallicRoughnessMaterial:
    return pyrender.MetallicRoughnessMaterial(
        baseColorFactor=(*color, 1.0),
        roughnessFactor=material.roughness,
        metallicFactor=material.metallic,
        # pinned pyrender 0.1.45's shader adds emissive_factor squared (mesh.frag: emissive = factor, then
        # color += emissive * factor): its square root adds the surface's emission
        emissiveFactor=tuple(float(c) ** 0.5 for c in emission) if any(emission) else None,
        # user meshes may have inconsistent winding; culling their "back" faces would punch holes into
        # the instance, depth and amodal passes alike
        doubleSided=entity.asset.source == "file",
    )


def flat_mesh(mesh: trimesh.Trimesh | arrays.Mesh, material: pyrender.Material) -> pyrender.Mesh:
    """The flat-shaded pyrender.Mesh of ``mesh`` in ``material``: the same primitive as
    ``pyrender.Mesh.from_trimesh(mesh, material=material, smooth=False)`` (of ``arrays.to_trimesh(mesh)`` for bare
    arrays), built from flat arrays.

    from_trimesh un-indexes the vertices (three per face) with each face's normal repeated, and, with a material
    given, takes neither vertex nor face colours; it also deep-copies the material and reads the visual through
    trimesh's caches, which cost more than the arrays on a street's ~400 part meshes. The arrays here are its
    own expressions, so the vertex buffers, and every pass, are the same bytes (tests/test_pyrender_compile_exact.py).
    A textured mesh (texture coordinates) still goes through from_trimesh (which copies ``material``).
    """
    if isinstance(mesh, trimesh.Trimesh) and mesh.visual.kind == "texture":
        return pyrender.Mesh.from_trimesh(mesh, material=material, smooth=False)
    faces = np.asarray(mesh.faces)
    triangles = np.asarray(mesh.vertices)[faces]  # trimesh's ``triangles``: (faces, 3, 3) metres
    positions = triangles.reshape((3 * len(faces), 3))
    normals = np.repeat(face_normals(mesh, triangles), 3, axis=0)
    material.wireframe = False
    primitive = pyrender.Primitive(positions=positions, normals=normals, material=material, mode=GLTF_TRIANGLES)
    return pyrender.Mesh(primitives=[primitive], is_visible=True)


def face_normals(mesh: trimesh.Trimesh | arrays.Mesh, triangles: np.ndarray) -> np.ndarray:
    """``mesh.face_normals`` (faces, 3), unit, object frame, from the mesh's ``triangles`` (faces, 3, 3): the normals
    a loader or builder set where a trimesh holds them, else trimesh's own arithmetic
    (``arrays.triangle_normals``) without its cache bookkeeping, which costs more than the arithmetic on a
    street's ~400 part meshes."""
    if isinstance(mesh, trimesh.Trimesh):
        cached = mesh._cache["face_normals"]  # what ``face_normals`` returns first (None when nothing is cached)
        if np.shape(cached) == np.shape(mesh.faces):
            return cached
    return arrays.triangle_normals(triangles)


def _mesh_node(mesh: pyrender.Mesh, name: str, pose: np.ndarray) -> pyrender.Node:
    """A mesh node at ``pose`` (4x4 world_from_part) without pyrender's matrix setter, which checks the bottom row
    and decomposes the matrix into a quaternion, scale and translation (half of adding a node): the renderer reads
    only the matrix, and ``Scene.set_pose`` (every later frame) sets it the same way, so passes are unchanged."""
    node = pyrender.Node(name=name, mesh=mesh)
    node._matrix = np.asanyarray(pose)
    return node


def _build_mesh(entity: Entity, materials: MaterialCache) -> pyrender.Mesh:
    # Flat shading (smooth=False) is right for every mesh; smooth normals would bend the shading of
    # hard-edged assets such as boxes. Geometry, depth and labels are the same either way.
    return flat_mesh(entity_mesh(entity), _material(entity, entity.material.base_color, materials))


def _build_part_mesh(entity: Entity, part: MeshPart, materials: MaterialCache) -> pyrender.Mesh:
    """A part in its surface's material (``_part_material``; glowing where its surface's finish emits), flat
    shaded like every mesh."""
    material = _part_material(entity, part)
    emission = surface_finish(part.surface).emission
    return flat_mesh(part.mesh, _material(entity, material.base_color, materials, material, emission))


def _corners(bounds: np.ndarray) -> np.ndarray:
    """(8, 3) corners of axis-aligned ``bounds`` (2, 3): (min, max) corners, metres."""
    lo, hi = bounds
    return np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])


def _add_entity(
    world: pyrender.Scene, entity: Entity, meshes: dict[str, pyrender.Mesh], materials: MaterialCache
) -> EntityNodes:
    """Add the entity's part nodes at their poses at t = 0 (a static entity keeps them); ``meshes`` and
    ``materials`` are the scene's, shared by every entity."""
    if entity.skeleton is None and not has_surface_parts(entity):  # one node, its whole mesh, as before parts
        key = _mesh_key(entity)
        if key not in meshes:
            meshes[key] = _build_mesh(entity, materials)
        pose = entity.trajectory.pose_at(0.0)
        node = _mesh_node(meshes[key], entity.name, pose)
        world.add_node(node)
        return EntityNodes(entity, [node], pose[None])
    parts = entity_parts(entity)
    poses = np.stack(part_poses(entity, 0.0))
    nodes = []
    for k, (part, pose) in enumerate(zip(parts, poses, strict=True)):
        key = _part_key(entity, part)
        if key not in meshes:
            meshes[key] = _build_part_mesh(entity, part, materials)
        nodes.append(_mesh_node(meshes[key], f"{entity.name}/part{k}", pose))
        world.add_node(nodes[-1])
    if entity.skeleton is None:  # surface parts never leave the entity's size_m box: culled by it
        return EntityNodes(entity, nodes, poses)
    return EntityNodes(entity, nodes, poses, np.stack([_corners(p.mesh.bounds) for p in parts]))


def _light_node(light: Light) -> pyrender.Node:
    if light.kind == "directional":
        return pyrender.Node(
            name=light.name,
            light=pyrender.DirectionalLight(color=light.color, intensity=light.intensity),
            matrix=light_pose(light.direction),
        )
    if light.kind in ("point", "area"):
        # pyrender has no area lights: an area light is drawn as the point light of the same on-axis
        # intensity at its centre
        return pyrender.Node(
            name=light.name,
            light=pyrender.PointLight(color=light.color, intensity=light.intensity),
            matrix=make_pose(np.eye(3), light.position),
        )
    raise BackendError(f"pyrender backend: unknown light kind {light.kind!r} for light {light.name!r}")


def _camera_node(camera: Camera) -> pyrender.Node:
    fx, fy, cx, cy = gl_intrinsics(camera.K)
    intrinsics = pyrender.IntrinsicsCamera(fx, fy, cx, cy, znear=camera.znear, zfar=camera.zfar)
    return pyrender.Node(name=camera.name, camera=intrinsics, matrix=np.eye(4))


def compile_scene(scene: Scene) -> CompiledScene:
    """Build the pyrender world of ``scene``: one mesh node per entity part (``EntityNodes``; meshes shared
    between rigid entities with the same asset, scale and material, and between identical parts of the
    same colour and material values), lights, ambient light, background and one camera node per rig camera.
    Node poses are set by :func:`pose_nodes`.

    What pyrender cannot show is left out: procedural textures (plain base colour) and area lights (point
    lights at their centre); the procedural sky is composited by the backend (``renderers.sky``). Spot lights
    share a pool of nodes loaded per frame and camera (``lamps``)."""
    # pyrender's shader gamma-encodes lit colours (pow 1/2.2) but writes the clear colour as given: encode
    # the linear background the same way, so backgrounds match the Blender backend's display encoding
    background = tuple(float(c) ** (1.0 / 2.2) for c in scene.environment.background)
    # under a procedural sky or an environment map the clear colour's alpha is 0, so the rgb pass's alpha is each
    # pixel's coverage and the backend puts the sky or the map (renderers.sky) behind the surfaces
    environment = scene.environment
    alpha = 0.0 if environment.sky == "sky" or environment.hdri is not None else 1.0
    # under an environment map, the ambient light is the uniform radiance of its irradiance (renderers.hdri)
    ambient = environment.ambient if environment.hdri is None else hdri_ambient(environment.hdri)
    world = ordered_world(bg_color=(*background, alpha), ambient_light=ambient)
    meshes: dict[str, pyrender.Mesh] = {}
    materials: MaterialCache = {}
    entity_nodes = []
    instance_colors = {}
    for entity in scene.entities:
        entry = _add_entity(world, entity, meshes, materials)
        entity_nodes.append(entry)
        for node in entry.nodes:
            instance_colors[node] = instance_color(entity.instance_id)
    for light in scene.lights:
        # spot and mounted lights: add_lamps; a lamp that only glows (intensity 0, an emitter) takes no slot
        # of pyrender's 4 per light type
        if light.kind != "spot" and light.parent is None and not (light.intensity == 0 and light.emitter_radius_m > 0):
            world.add_node(_light_node(light))
    lamps = add_lamps(world, scene, _light_node)
    camera_nodes = {}
    for camera in scene.rig.cameras:
        camera_nodes[camera.name] = _camera_node(camera)
        world.add_node(camera_nodes[camera.name])
    return CompiledScene(scene, world, entity_nodes, camera_nodes, instance_colors, lamps)


def pose_nodes(compiled: CompiledScene, camera: Camera, t: float) -> None:
    """Move every moving entity's parts to their poses at time ``t`` seconds (one ``part_poses`` call per
    entity) and make ``camera`` the active camera at its rig pose, converted from the OpenCV to the
    OpenGL camera frame; pose the lamps (``lamps``)."""
    world = compiled.scene
    for entry in compiled.entity_nodes:
        if is_moving(entry.entity):  # static entities keep the poses they were compiled with
            entry.poses = np.stack(part_poses(entry.entity, t))
            for node, pose in zip(entry.nodes, entry.poses, strict=True):
                world.set_pose(node, pose)
    camera_node = compiled.camera_nodes[camera.name]
    world.main_camera_node = camera_node
    world.set_pose(camera_node, opengl_from_opencv_pose(compiled.source.rig.world_from_sensor(camera, t)))
    if not compiled.lamps.empty:
        pose_lamps(world, compiled.lamps, compiled.source, camera, t)

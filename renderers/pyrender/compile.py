"""Compile a synthsense Scene into a pyrender.Scene once, then move its nodes frame by frame.

Compiling builds every mesh, material, light and camera; a frame only sets node poses, so a sequence
never rebuilds geometry (or re-uploads it to the GL context).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from assets import entity_mesh
from renderers.base import BackendError
from renderers.pyrender._gl import pyrender
from renderers.pyrender.geometry import gl_intrinsics, instance_color
from renderers.pyrender.lamps import Lamps, add_lamps, pose_lamps
from scenes import Camera, Entity, Light, Scene
from scenes.transforms import light_pose, make_pose, opengl_from_opencv_pose


@dataclass
class CompiledScene:
    """A Scene's pyrender world.

    Attributes:
        source: the Scene this was compiled from (compared by identity to detect a new scene).
        scene: the pyrender.Scene.
        entity_nodes: (entity, mesh node) for every entity, in the Scene's order.
        camera_nodes: rig camera name -> camera node.
        instance_colors: mesh node -> id colour for the segmentation pass; context entities map to
            black so they still occlude.
        lamps: spot light pool, mounted lights and emitter discs (``lamps``); emitter meshes are not in
            ``instance_colors``, so no label pass draws them.
    """

    source: Scene
    scene: pyrender.Scene
    entity_nodes: list[tuple[Entity, pyrender.Node]]
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


def _build_mesh(entity: Entity) -> pyrender.Mesh:
    material = pyrender.MetallicRoughnessMaterial(
        baseColorFactor=(*entity.material.base_color, 1.0),
        roughnessFactor=entity.material.roughness,
        metallicFactor=entity.material.metallic,
        # user meshes may have inconsistent winding; culling their "back" faces would punch holes into
        # the instance, depth and amodal passes alike
        doubleSided=entity.asset.source == "file",
    )
    # Flat shading (smooth=False) is right for every mesh; smooth normals would bend the shading of
    # hard-edged assets such as boxes. Geometry, depth and labels are the same either way.
    return pyrender.Mesh.from_trimesh(entity_mesh(entity), material=material, smooth=False)


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
    """Build the pyrender world of ``scene``: meshes (shared between entities with the same asset,
    scale and material), lights, ambient light, background and one camera node per rig camera.
    Node poses are set by :func:`pose_nodes`.

    What pyrender cannot show is left out: procedural textures (plain base colour), area lights (point
    lights at their centre) and the procedural sky (the background colour). Spot lights share a pool of
    nodes loaded per frame and camera (``lamps``)."""
    # pyrender's shader gamma-encodes lit colours (pow 1/2.2) but writes the clear colour as given: encode
    # the linear background the same way, so backgrounds match the Blender backend's display encoding
    background = tuple(float(c) ** (1.0 / 2.2) for c in scene.environment.background)
    world = pyrender.Scene(bg_color=(*background, 1.0), ambient_light=scene.environment.ambient)
    meshes: dict[str, pyrender.Mesh] = {}
    entity_nodes = []
    instance_colors = {}
    for entity in scene.entities:
        key = _mesh_key(entity)
        if key not in meshes:
            meshes[key] = _build_mesh(entity)
        node = world.add(meshes[key], name=entity.name, pose=entity.trajectory.pose_at(0.0))
        entity_nodes.append((entity, node))
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
    """Move every entity to its pose at time ``t`` seconds and make ``camera`` the active camera at
    its rig pose, converted from the OpenCV to the OpenGL camera frame; pose the lamps (``lamps``)."""
    world = compiled.scene
    for entity, node in compiled.entity_nodes:
        if len(entity.trajectory.times) > 1:  # static entities keep the pose they were compiled with
            world.set_pose(node, entity.trajectory.pose_at(t))
    camera_node = compiled.camera_nodes[camera.name]
    world.main_camera_node = camera_node
    world.set_pose(camera_node, opengl_from_opencv_pose(compiled.source.rig.world_from_sensor(camera, t)))
    if not compiled.lamps.empty:
        pose_lamps(world, compiled.lamps, compiled.source, camera, t)

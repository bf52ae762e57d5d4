"""Compile a synthsense Scene into a fresh Blender scene, then re-pose it frame by frame.

Imports ``bpy``: only the worker process (``renderers.blender.worker``) imports this module.
Compiling resets Blender to its factory state (nothing of the previous scene survives), builds every
mesh, material, light and camera and the render settings; a frame only sets ``matrix_world``s.
An entity is one object per part of ``assets.articulated.entity_parts`` (a rigid entity: one object, built
exactly as before parts existed; one made of surface parts, ``assets.surfaces``, one per part, each in its
surface's material), posed at its ``world_from_part(t)`` (``part_poses``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from typing import Any

import bmesh  # noqa: F401 - registers bmesh with bpy; meshes are filled with foreach_set below
import bpy
import numpy as np

from assets.articulated import entity_parts, is_articulated, is_moving, part_poses
from assets.surfaces import Finish, surface_finish, surface_material
from renderers.blender.camera import SENSOR_WIDTH_MM, shift_from_principal_point
from renderers.blender.conditions import add_emitter, add_medium, place, pose_medium, spot_light
from renderers.blender.denoise import set_denoising
from renderers.sky import SUN_ANGULAR_RADIUS_DEG
from scenes import Camera, Entity, Light, Material, Scene
from scenes.camera_geometry import box_in_view, near_clipped_box_points
from scenes.transforms import invert_pose, light_pose, make_pose, opengl_from_opencv_pose


@dataclasses.dataclass
class EntityObjects:
    """The Blender objects of one entity: ``parts``, one per ``assets.articulated.entity_parts(entity)`` in
    that order (a rigid entity: its one object, posed at world_from_object), every one with the entity's
    instance id as ``pass_index``; ``frame``: an empty at world_from_object that the lamps mounted on an
    articulated entity hang from (None when no lamp is, and for a rigid entity, whose lamps hang from its
    one part)."""

    entity: Entity
    parts: list[Any]
    frame: Any | None = None

    def placements(self, t: float) -> list[tuple[Any, np.ndarray]]:
        """(object, world pose 4x4) of every object of the entity at ``t`` seconds."""
        placed = list(zip(self.parts, part_poses(self.entity, t), strict=True))
        if self.frame is not None:
            placed.append((self.frame, self.entity.trajectory.pose_at(t)))
        return placed


def build_scene(scene: Scene, settings: dict) -> tuple[list[EntityObjects], dict[str, Any]]:
    """Reset Blender and build ``scene``. Returns (the objects of each entity, in the Scene's order; camera
    name -> object)."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bscene = bpy.context.scene
    _render_settings(bscene, scene, settings)
    _world(bscene, scene)
    meshes: dict[str, Any] = {}
    materials: dict[str, Any] = {}
    objects = [_entity_objects(bscene, entity, meshes, materials) for entity in scene.entities]
    by_name = {item.entity.name: item for item in objects}
    for light in scene.lights:
        if light.parent is not None and light.parent not in by_name:
            raise ValueError(
                f"blender backend: light {light.name!r} is mounted on {light.parent!r}, no entity of the scene"
            )
        parent = _light_parent(bscene, by_name[light.parent]) if light.parent is not None else None
        if light.intensity > 0 or light.emitter_radius_m <= 0:  # a lamp of intensity 0 only glows: no light
            data, pose = _light(light)
            obj = bpy.data.objects.new(light.name, data)
            place(obj, pose, parent)  # a light on an entity is parented to it and follows its poses
            bscene.collection.objects.link(obj)
        if light.emitter_radius_m > 0:
            add_emitter(bscene, light, parent)
    add_medium(bscene, scene)
    cameras = {camera.name: _camera(camera) for camera in scene.rig.cameras}
    for obj in cameras.values():
        bscene.collection.objects.link(obj)
    return objects, cameras


def _entity_objects(bscene: Any, entity: Entity, meshes: dict[str, Any], materials: dict[str, Any]) -> EntityObjects:
    """One object per part of ``entity``, posed at t = 0. Mesh data is shared between objects of one asset
    (rigid entities, keyed by the asset as before parts existed) or of identical part meshes (keyed by their
    vertices and faces: a left and a right shin, two people of one build); materials between equal material
    values. A part is in its surface's material (``assets.surfaces``: the entity's own for ``"body"``, with the
    surface's transmission and emission); a part with its own colour in that colour."""
    parts = entity_parts(entity)
    articulated = is_articulated(entity)
    objects = []
    for k, (part, pose) in enumerate(zip(parts, part_poses(entity, 0.0), strict=True)):
        if articulated:
            key = (
                "part:"
                + hashlib.sha1(
                    np.ascontiguousarray(part.mesh.vertices, np.float64).tobytes()
                    + np.ascontiguousarray(part.mesh.faces, np.int64).tobytes()
                ).hexdigest()
            )
            name = f"{entity.name}.{k:02d}"
        else:
            asset = entity.asset
            key = json.dumps([asset.source, asset.name, asset.params, asset.path, asset.up_axis, entity.scale],
                             sort_keys=True)  # fmt: skip
            name = entity.name
            if len(parts) > 1:  # surface parts of a rigid entity: one mesh each
                key, name = f"{key}#{k}", f"{entity.name}.{k:02d}"
        if key not in meshes:
            meshes[key] = _mesh(name, part.mesh)
        obj = bpy.data.objects.new(name, meshes[key])
        material = surface_material(part.surface, entity.material)
        if part.color is not None:
            material = dataclasses.replace(material, base_color=tuple(part.color))
        finish = surface_finish(part.surface)
        texture = dataclasses.asdict(material.texture)
        values = [list(material.base_color), material.roughness, material.metallic, texture]
        if material.clearcoat or finish != Finish():  # only then: the keys of everything else stay as they were
            values += [material.clearcoat, dataclasses.asdict(finish)]
        material_key = json.dumps(values)
        if material_key not in materials:
            materials[material_key] = _material(material, finish)
        # the material sits on the object, so entities sharing a mesh can differ in material
        _assign_material(obj, materials[material_key])
        obj.pass_index = entity.instance_id  # every part of the entity; context entities: 0, like the background
        obj.matrix_world = _matrix(pose)
        bscene.collection.objects.link(obj)
        objects.append(obj)
    return EntityObjects(entity, objects)


def _light_parent(bscene: Any, item: EntityObjects) -> Any:
    """The object a lamp mounted on ``item``'s entity hangs from, following its object frame: a rigid entity's
    one part, or (made on first use) an empty posed at world_from_object for an articulated one, whose parts
    move against its object frame."""
    if not is_articulated(item.entity):
        return item.parts[0]
    if item.frame is None:
        item.frame = bpy.data.objects.new(f"{item.entity.name}.frame", None)
        item.frame.matrix_world = _matrix(item.entity.trajectory.pose_at(0.0))
        bscene.collection.objects.link(item.frame)
    return item.frame


def pose_scene(scene: Scene, objects: list[EntityObjects], cameras: dict[str, Any], camera: str, t: float) -> None:
    """Move every part of every moving entity to its pose at ``t`` seconds (``world_from_part(t)``) and make
    ``camera`` the active camera at its rig pose (OpenCV camera frame converted to Blender's, which is OpenGL's)."""
    for item in objects:
        if is_moving(item.entity):  # static entities (a still person too) keep the pose they were built with
            for obj, pose in item.placements(t):
                obj.matrix_world = _matrix(pose)
    cam = scene.rig.camera(camera)
    obj = cameras[camera]
    obj.matrix_world = _matrix(opengl_from_opencv_pose(scene.rig.world_from_sensor(cam, t)))
    bpy.context.scene.camera = obj
    pose_medium(scene, camera, t)  # fog, rain and snow fill this camera's view


MOTION_FRAME = 1  # the Blender frame every synthsense frame is rendered at (keys sit around it)


def key_motion(
    scene: Scene, objects: list[EntityObjects], cameras: dict[str, Any], camera: str, t: float, shutter: float
) -> None:
    """Give Blender the motion around ``t`` for motion blur: every part of every moving entity and ``camera``
    gets keys (location, quaternion rotation, scale) at frames MOTION_FRAME - shutter/2, MOTION_FRAME and
    MOTION_FRAME + shutter/2 holding its poses at t - shutter/2/fps, t and t + shutter/2/fps (a part: its
    ``world_from_part`` at those times, so limbs swing within the shutter), and the scene goes to MOTION_FRAME.
    Cycles and EEVEE sample the motion at exactly those subframes (centred shutter, 3 motion steps), so
    Blender's own fps and key interpolation play no part. Keys are replaced per frame."""
    half = shutter / 2.0
    steps = ((-half, t - half / scene.fps), (0.0, t), (half, t + half / scene.fps))
    cam = scene.rig.camera(camera)
    keyed: dict[str, tuple[Any, list[tuple[float, np.ndarray]]]] = {}  # object name -> (object, (offset, pose)s)
    for offset, time in steps:
        placed = [p for item in objects if is_moving(item.entity) for p in item.placements(time)]
        placed.append((cameras[camera], opengl_from_opencv_pose(scene.rig.world_from_sensor(cam, time))))
        for obj, pose in placed:
            keyed.setdefault(obj.name, (obj, []))[1].append((offset, pose))
    for obj, poses in keyed.values():
        obj.animation_data_clear()
        obj.rotation_mode = "QUATERNION"
        for offset, pose in poses:
            obj.matrix_world = _matrix(pose)
            for path in ("location", "rotation_quaternion", "scale"):
                obj.keyframe_insert(path, frame=MOTION_FRAME + offset)
    bpy.context.scene.frame_set(MOTION_FRAME)


def _object_box(entity: Entity, t: float) -> tuple[np.ndarray, tuple[float, float, float]]:
    """(object_from_box 4x4, size_m) of a box in the object frame that holds every part of ``entity`` at ``t``
    seconds: the entity's own 3D box for a rigid entity; for an articulated one, the box around its parts'
    posed bounding boxes (swinging limbs may leave the labelled box)."""
    if not is_articulated(entity):
        return np.eye(4), entity.size_m
    object_from_world = invert_pose(entity.trajectory.pose_at(t))
    corners = []
    for part, pose in zip(entity_parts(entity), part_poses(entity, t), strict=True):
        (x0, y0, z0), (x1, y1, z1) = part.mesh.bounds
        box = np.array([[x, y, z] for x in (x0, x1) for y in (y0, y1) for z in (z0, z1)])
        placed = object_from_world @ pose
        corners.append(box @ placed[:3, :3].T + placed[:3, 3])
    corners = np.concatenate(corners)
    low, high = corners.min(axis=0), corners.max(axis=0)
    return make_pose(np.eye(3), (low + high) / 2.0), tuple(float(v) for v in high - low)


def amodal_candidates(scene: Scene, objects: list[EntityObjects], camera: str, t: float) -> list[EntityObjects]:
    """Labelled entities some part of which may cover a pixel of ``camera`` at ``t`` seconds."""
    cam = scene.rig.camera(camera)
    camera_from_world = invert_pose(scene.rig.world_from_sensor(cam, t))
    candidates = []
    for item in objects:
        if not item.entity.is_labelled:
            continue
        object_from_box, size_m = _object_box(item.entity, t)
        camera_from_box = camera_from_world @ item.entity.trajectory.pose_at(t) @ object_from_box
        if box_in_view(cam.K, cam.width, cam.height, cam.znear, cam.zfar, camera_from_box, size_m):
            candidates.append(item)
    return candidates


def pixel_region(scene: Scene, entity: Entity, camera: str, t: float, pad: int = 2) -> tuple[int, int, int, int]:
    """Pixel box ``(u0, v0, u1, v1)`` (inclusive, clipped to the image, padded by ``pad`` px) that holds every
    pixel ``entity`` may cover in ``camera`` at ``t`` seconds: the projection of the part of its box
    (``_object_box``: its 3D box, or the box around an articulated entity's posed parts) in front of the near
    plane. The whole image when nothing of the box is in front of it."""
    cam = scene.rig.camera(camera)
    object_from_box, size_m = _object_box(entity, t)
    camera_from_box = invert_pose(scene.rig.world_from_sensor(cam, t)) @ entity.trajectory.pose_at(t) @ object_from_box
    points = near_clipped_box_points(camera_from_box, size_m, cam.znear)
    if len(points) == 0:
        return 0, 0, cam.width - 1, cam.height - 1
    uvw = points @ cam.K.T
    u, v = uvw[:, 0] / uvw[:, 2], uvw[:, 1] / uvw[:, 2]
    u0 = max(0, int(np.floor(u.min())) - pad)
    v0 = max(0, int(np.floor(v.min())) - pad)
    u1 = min(cam.width - 1, int(np.ceil(u.max())) + pad)
    v1 = min(cam.height - 1, int(np.ceil(v.max())) + pad)
    return u0, v0, max(u0, u1), max(v0, v1)


def set_render_region(bscene: Any, region: tuple[int, int, int, int] | None) -> None:
    """Make Cycles render only the pixel box ``region`` (inclusive ``(u0, v0, u1, v1)``, rows from the top)
    of the full-size image, the rest left empty; None renders the whole image."""
    render = bscene.render
    if region is None:
        render.use_border = False
        return
    u0, v0, u1, v1 = region
    width, height = render.resolution_x, render.resolution_y
    render.use_border, render.use_crop_to_border = True, False
    # Blender's border is in fractions of the image, y from the bottom
    render.border_min_x, render.border_max_x = u0 / width, (u1 + 1) / width
    render.border_min_y, render.border_max_y = 1.0 - (v1 + 1) / height, 1.0 - v0 / height


def _matrix(pose: np.ndarray) -> Any:
    from mathutils import Matrix

    return Matrix([list(map(float, row)) for row in pose])


def _render_settings(bscene: Any, scene: Scene, settings: dict) -> None:
    render = bscene.render
    render.engine = settings["engine"]  # the rgb engine; the worker switches to Cycles for a label pass
    render.use_motion_blur = bool(settings.get("motion_blur", False))  # rgb only (worker.beauty_settings)
    render.motion_blur_shutter = float(settings.get("shutter", 0.5))  # frames, centred on the frame
    bscene.eevee.taa_render_samples = int(settings["samples"])
    bscene.display.shading.color_type = "MATERIAL"  # Workbench: each material's diffuse_color
    render.resolution_percentage = 100
    render.use_persistent_data = True  # keep Cycles' scene (BVH, shaders) between frames
    render.film_transparent = False
    bscene.view_settings.view_transform = "Standard"
    bscene.view_settings.look = "None"
    cycles = bscene.cycles
    cycles.device = settings["device"]
    cycles.samples = int(settings["samples"])
    set_denoising(cycles, bool(settings["denoise"]), settings["device"])
    cycles.use_adaptive_sampling = settings["adaptive_threshold"] > 0
    if cycles.use_adaptive_sampling:
        cycles.adaptive_threshold = float(settings["adaptive_threshold"])
    cycles.filter_width = float(settings["filter_width_px"])
    cycles.max_bounces = int(settings["max_bounces"])
    cycles.seed = int(settings.get("seed") or 0) % 2**31  # set again per frame (worker._pose)
    threads = int(settings.get("threads") or 0)
    render.threads_mode = "FIXED" if threads else "AUTO"
    if threads:
        render.threads = threads
    layer = bscene.view_layers[0]
    layer.use_pass_combined = True
    layer.use_pass_z = True
    layer.use_pass_object_index = True
    layer.use_pass_normal = True  # world-space normals; the worker rotates them into the camera frame
    image = render.image_settings
    image.media_type = "MULTI_LAYER_IMAGE"  # Blender 5.0: set before file_format
    image.file_format = "OPEN_EXR_MULTILAYER"
    image.color_depth = "32"  # float32: depth needs it, and ids above 2048 would not survive half floats
    image.exr_codec = "NONE"


def _world(bscene: Any, scene: Scene) -> None:
    """Camera rays see the background colour (or, for ``sky == "sky"``, Blender's procedural sky lit from
    the direction of the scene's first directional light); every other ray (lighting) sees the ambient
    colour, so the sky changes what the camera sees behind objects but not how they are lit."""
    world = bpy.data.worlds.new("synthsense")
    world.use_nodes = True
    nodes, links = world.node_tree.nodes, world.node_tree.links
    nodes.clear()
    if scene.environment.hdri is not None:
        _hdri_world(world, scene.environment.hdri)
        bscene.world = world
        return
    path = nodes.new("ShaderNodeLightPath")
    mix = nodes.new("ShaderNodeMix")
    mix.data_type = "RGBA"
    mix.inputs["A"].default_value = (*scene.environment.ambient, 1.0)
    mix.inputs["B"].default_value = (*scene.environment.background, 1.0)
    if scene.environment.sky == "sky":
        links.new(_sky(nodes, links, scene), mix.inputs["B"])
        # Lighting rays see the uniform ambient colour, which BSDF and phase sampling find as well without a
        # light importance map; building that map evaluates the sky at each of its texels, and a street frame
        # at 160x120 took 3.5 s with it instead of 1.2 s (bpy 5.0.1), so the world is not sampled as a light.
        world.cycles.sampling_method = "NONE"
    elif scene.environment.sky != "color":
        raise ValueError(f"blender backend: unknown sky {scene.environment.sky!r}")
    links.new(path.outputs["Is Camera Ray"], mix.inputs["Factor"])
    background = nodes.new("ShaderNodeBackground")
    links.new(mix.outputs["Result"], background.inputs["Color"])
    output = nodes.new("ShaderNodeOutputWorld")
    links.new(background.outputs["Background"], output.inputs["Surface"])
    world.color = scene.environment.background  # Workbench's background
    bscene.world = world


def _hdri_world(world: Any, name: str) -> None:
    """The world of an environment map (``renderers.hdri``): the bundled HDRI ``name`` on every ray, camera
    and lighting alike, at HDRI_STRENGTH, in Blender's default equirectangular mapping of world directions;
    sampled as a light (its importance map), so its bright texels (a sun in the map) light the scene."""
    from renderers.hdri import HDRI_STRENGTH, hdri_path

    nodes, links = world.node_tree.nodes, world.node_tree.links
    texture = nodes.new("ShaderNodeTexEnvironment")
    texture.image = bpy.data.images.load(str(hdri_path(name)), check_existing=True)
    texture.projection = "EQUIRECTANGULAR"
    background = nodes.new("ShaderNodeBackground")
    background.inputs["Strength"].default_value = HDRI_STRENGTH
    links.new(texture.outputs["Color"], background.inputs["Color"])
    output = nodes.new("ShaderNodeOutputWorld")
    links.new(background.outputs["Background"], output.inputs["Surface"])
    world.cycles.sampling_method = "AUTOMATIC"
    world.color = (0.5, 0.5, 0.5)  # Workbench's background


SKY_STRENGTH = 0.08  # scales the physical sky's radiance to the display range of the scene's colours


def _sky(nodes: Any, links: Any, scene: Scene) -> Any:
    """A Sky Texture node (multiple scattering model, with the sun's disc) whose sun
    stands where the scene's first directional light comes from (straight up without one), scaled by
    SKY_STRENGTH. Returns the output socket of the scaled sky colour."""
    sky = nodes.new("ShaderNodeTexSky")
    sky.sky_type = "MULTIPLE_SCATTERING"
    # the sun's disc, as pyrender's sky draws it (renderers.sky): only camera rays see the sky (_world), so the
    # disc shows in the image and lights nothing (the sun lamp does)
    sky.sun_disc = True
    sky.sun_size = 2.0 * math.radians(SUN_ANGULAR_RADIUS_DEG)  # angular diameter
    suns = [light for light in scene.lights if light.kind == "directional"]
    towards_sun = -np.asarray(suns[0].direction, dtype=np.float64) if suns else np.array([0.0, 0.0, 1.0])
    towards_sun /= np.linalg.norm(towards_sun)
    sky.sun_elevation = float(np.arcsin(np.clip(towards_sun[2], -1.0, 1.0)))
    # Blender 5.0 puts the sun at azimuth sun_rotation - pi/2 (from +x towards +y): rotation 0 is -y (measured:
    # the circumsolar glow of a rendered sky lies toward the scene's sun; tests/test_blender_light.py)
    sky.sun_rotation = float(np.arctan2(towards_sun[1], towards_sun[0]) + math.pi / 2.0) % (2.0 * math.pi)
    scaled = nodes.new("ShaderNodeMix")
    scaled.data_type = "RGBA"
    scaled.blend_type = "MULTIPLY"
    scaled.inputs["Factor"].default_value = 1.0
    scaled.inputs["B"].default_value = (SKY_STRENGTH, SKY_STRENGTH, SKY_STRENGTH, 1.0)
    links.new(sky.outputs["Color"], scaled.inputs["A"])
    return scaled.outputs["Result"]


def _mesh(name: str, tri: Any) -> Any:
    """A Blender mesh of the trimesh ``tri`` (vertices in its part's frame, metres), flat shaded (like
    pyrender's)."""
    vertices = np.asarray(tri.vertices, dtype=np.float32)
    faces = np.asarray(tri.faces, dtype=np.int32)
    mesh = bpy.data.meshes.new(name)
    mesh.vertices.add(len(vertices))
    mesh.vertices.foreach_set("co", vertices.ravel())
    mesh.loops.add(faces.size)
    mesh.loops.foreach_set("vertex_index", faces.ravel())
    mesh.polygons.add(len(faces))
    mesh.polygons.foreach_set("loop_start", np.arange(0, faces.size, 3, dtype=np.int32))
    mesh.polygons.foreach_set("use_smooth", np.zeros(len(faces), dtype=bool))  # new faces default to smooth
    mesh.update()
    mesh.validate()
    return mesh


# Blender texture node per Texture.kind, and the settings that make it look like its name
_TEXTURE_NODES = {"noise": "ShaderNodeTexNoise", "checker": "ShaderNodeTexChecker", "wave": "ShaderNodeTexWave"}


def _material(material: Material, finish: Finish | None = None) -> Any:
    """A Principled BSDF material. A textured one mixes ``base_color`` and ``texture.color2`` by the
    pattern's factor (object-frame coordinates, metres) and moves the roughness by
    ``roughness_variation * (factor - 0.5)``. ``clearcoat`` is the coat's weight (a lacquer of the coat's
    default IOR 1.5, smooth: roughness 0.03); ``finish`` (``assets.surfaces.Finish``) adds transmission and
    emission."""
    mat = bpy.data.materials.new("material")
    mat.use_nodes = True
    tree = mat.node_tree
    bsdf = tree.nodes["Principled BSDF"]
    bsdf.inputs["Base Color"].default_value = (*material.base_color, 1.0)
    bsdf.inputs["Roughness"].default_value = material.roughness
    bsdf.inputs["Metallic"].default_value = material.metallic
    if material.clearcoat > 0:
        bsdf.inputs["Coat Weight"].default_value = material.clearcoat
        bsdf.inputs["Coat Roughness"].default_value = 0.03
    if finish is not None and finish.transmission > 0:
        bsdf.inputs["Transmission Weight"].default_value = finish.transmission
        bsdf.inputs["IOR"].default_value = finish.ior
    if finish is not None and any(finish.emission):
        bsdf.inputs["Emission Color"].default_value = (*finish.emission, 1.0)
        bsdf.inputs["Emission Strength"].default_value = 1.0
    mat.diffuse_color = (*material.base_color, 1.0)  # what Workbench shows
    texture = material.texture
    if texture.kind == "none":
        return mat
    if texture.kind not in _TEXTURE_NODES:
        raise ValueError(f"blender backend: unknown texture kind {texture.kind!r}")
    coords = tree.nodes.new("ShaderNodeTexCoord")
    pattern = tree.nodes.new(_TEXTURE_NODES[texture.kind])
    pattern.inputs["Scale"].default_value = texture.scale
    if texture.kind == "noise":
        pattern.inputs["Detail"].default_value = 4.0
    elif texture.kind == "wave":  # wood-like growth rings around the object's z axis, slightly distorted
        pattern.wave_type = "RINGS"
        pattern.rings_direction = "Z"
        pattern.inputs["Distortion"].default_value = 2.0
        pattern.inputs["Detail"].default_value = 2.0
    tree.links.new(coords.outputs["Object"], pattern.inputs["Vector"])
    factor = pattern.outputs["Factor"]
    if texture.kind == "noise":  # noise stays near 0.5: stretch [0.3, 0.7] to [0, 1] for visible blotches
        stretch = tree.nodes.new("ShaderNodeMapRange")
        stretch.clamp = True
        stretch.inputs["From Min"].default_value, stretch.inputs["From Max"].default_value = 0.3, 0.7
        tree.links.new(factor, stretch.inputs["Value"])
        factor = stretch.outputs["Result"]
    color = tree.nodes.new("ShaderNodeMix")
    color.data_type = "RGBA"
    color.inputs["A"].default_value = (*material.base_color, 1.0)
    color.inputs["B"].default_value = (*texture.color2, 1.0)
    tree.links.new(factor, color.inputs["Factor"])
    tree.links.new(color.outputs["Result"], bsdf.inputs["Base Color"])
    if texture.roughness_variation > 0:
        rough = tree.nodes.new("ShaderNodeMath")
        rough.operation = "MULTIPLY_ADD"  # factor * variation + (roughness - variation / 2), clamped
        rough.use_clamp = True
        rough.inputs[1].default_value = texture.roughness_variation
        rough.inputs[2].default_value = material.roughness - texture.roughness_variation / 2.0
        tree.links.new(factor, rough.inputs[0])
        tree.links.new(rough.outputs["Value"], bsdf.inputs["Roughness"])
    return mat


def _assign_material(obj: Any, material: Any) -> None:
    if not obj.data.materials:
        obj.data.materials.append(None)  # one slot on the shared mesh ...
    obj.material_slots[0].link = "OBJECT"  # ... whose material is per object
    obj.material_slots[0].material = material


def _light(light: Light) -> tuple[Any, np.ndarray]:
    """The Blender light data of ``light`` and its pose (4x4) in the frame of its position: the world, or its
    parent entity's object frame."""
    if light.kind == "spot":
        data, pose = spot_light(light)
    elif light.kind == "directional":
        data = bpy.data.lights.new(light.name, "SUN")
        data.energy = light.intensity  # W/m^2, Blender's sun strength
        pose = light_pose(light.direction)  # a sun shines along its -z axis, like pyrender's
    elif light.kind == "point":
        data = bpy.data.lights.new(light.name, "POINT")
        # Blender's power is radiant flux; 4 pi I gives intensity I per steradian.
        data.energy = 4.0 * math.pi * light.intensity
        data.shadow_soft_size = 0.0
        pose = make_pose(np.eye(3), light.position)
    elif light.kind == "area":
        data = bpy.data.lights.new(light.name, "AREA")
        data.shape = "SQUARE"
        data.size = light.size_m
        # Blender's power is radiant flux; a Lambertian emitter of flux P has on-axis intensity P / pi
        data.energy = math.pi * light.intensity
        pose = light_pose(light.direction)  # an area light emits along its -z axis
        pose[:3, 3] = light.position
    else:
        raise ValueError(f"blender backend: unknown light kind {light.kind!r} for light {light.name!r}")
    data.color = light.color
    return data, pose


def _camera(camera: Camera) -> Any:
    """A Blender camera with the intrinsics of ``camera.K`` (square pixels) and its clip range."""
    fx, fy, cx, cy = camera.K[0, 0], camera.K[1, 1], camera.K[0, 2], camera.K[1, 2]
    if abs(fx - fy) > 1e-9 * fx or abs(camera.K[0, 1]) > 0:
        raise ValueError(f"blender backend: camera {camera.name!r} needs square pixels and no skew (K={camera.K})")
    data = bpy.data.cameras.new(camera.name)
    data.type = "PERSP"
    data.sensor_fit = "HORIZONTAL"
    data.sensor_width = SENSOR_WIDTH_MM
    data.lens = fx * SENSOR_WIDTH_MM / camera.width
    data.shift_x, data.shift_y = shift_from_principal_point(cx, cy, camera.width, camera.height)
    data.clip_start, data.clip_end = camera.znear, camera.zfar
    return bpy.data.objects.new(camera.name, data)

"""Conditions in Blender (issue 14): fog, rain and snow as a participating medium, spot lamps, and the
glowing discs of lamps. Imports ``bpy``: only the worker process imports it (through ``build``).

The medium. Fog, rain and snow attenuate every camera ray by Beer-Lambert, t = exp(-beta * r) over the ray's
length r (m), with beta = ``scene.conditions.camera_extinction()`` (1/m). Blender holds it as a box that
fills the rendering camera's view up to its far clip, posed with the camera every frame, filled by a
volume-only material: a world volume would make the atmosphere infinitely deep, and Cycles then
extinguishes the sun and the background completely (checked with bpy 5.0.1: a sunlit plane renders black).
The material is a Volume Coefficients node, whose coefficients Blender's manual defines as probability
densities per unit distance travelled
(https://docs.blender.org/manual/en/latest/render/shader_nodes/shader/volume_coefficients.html; "Scatter
Coefficients ... is equivalent to Color x Density in Volume Scatter", "Absorption ... (1 - Color) x Density
in Volume Absorption": a Volume Scatter or Principled Volume "Density" is the same coefficient). One Blender
unit is one metre, so absorption + scatter = beta per metre, the extinction coefficient, and the tests
check exp(-beta r) on a render.

The airlight. Water drops and ice barely absorb visible light, so the medium scatters all it extinguishes
(single-scattering albedo ``MEDIUM_ALBEDO`` = 1) with a Henyey-Greenstein phase function of asymmetry
``MEDIUM_ANISOTROPY`` (about 0.85 for water clouds in the visible, Hansen and Travis, Space Science Reviews
16, 1974). The box is seen by camera rays only: shadow, diffuse, glossy, transmission and volume-scatter rays
pass it by, so surfaces are lit as in clear air (J) and every point of a camera ray is lit by the
unattenuated lights and sky. One volume bounce: light scattered toward the camera comes from the lights
and the sky directly, or off one surface (the ground's light), never from the medium again. Integrated
along the ray this is Koschmieder's law (Koschmieder, Beitraege zur Physik der freien Atmosphaere 12,
1924), I = J t + A (1 - t), where A is the scene's own in-scattered light: A = albedo * (ambient + sum over
suns of p(theta) E) where the medium sees only the sky and the suns (checked by the tests), less in the
shadows of objects and more over a lit ground. So the airlight is bright by day, dark at night, glows
around lamps and toward a low sun; ``Conditions.airlight`` is pyrender's stand-in for it and unused here.
A camera ray that meets no object leaves the box just short of the far clip (:func:`medium_from_box`): the
background shows through t = exp(-beta * r_far).

Labels. A camera ray's first sample writes depth and object index at the surface it reaches; one that
scatters in the medium before reaching it writes none. So the labels of a frame with a medium come from
a render without it (the worker's label render hides the box, ``worker``), and equal clear weather's.

Lamps. "spot" lights are Blender SPOT lamps; a light with a ``parent`` is parented to that entity's Blender
object, so it follows every pose (and motion blur) of the entity. A light with ``emitter_radius_m > 0``
gets a disc facing along its direction, emissive on its front face, fully transparent (Transparent BSDF):
its alpha is 0, below the view layer's pass alpha threshold, so it writes no depth, object index or
normal (Cycles writes those at the first surface with alpha above the threshold, the one behind the disc,
along the same ray) and the labels stay those of the scene without lamps.
"""

from __future__ import annotations

import math
from typing import Any

import bpy
import numpy as np
from mathutils import Matrix

from scenes import Camera, Light, Scene
from scenes.transforms import light_pose

MEDIUM_NAME = "synthsense_medium"
MEDIUM_ALBEDO = 1.0  # single-scattering albedo of fog drops, raindrops and snow flakes in the visible
MEDIUM_ANISOTROPY = 0.85  # Henyey-Greenstein asymmetry g of water clouds in the visible (Hansen and Travis 1974)
MEDIUM_DEPTH_FRACTION = 0.999  # the medium ends this share of the far clip distance in front of the camera

SPOT_BLEND = 0.15  # Blender's default: the cone's edge softens over its outer 15 %
# Lamps and their discs sit this far (m) in front of the point a Scene puts them, so the surface they are
# mounted on (a bumper, a facade) shadows neither the lamp's light nor its disc.
LAMP_OFFSET_M = 0.01
# Scene-linear radiance of the disc of a lamp that lights nothing (intensity 0: a tail light), and the
# floor of every disc's radiance: above 1 (white in the Standard view), so a lamp's face shows in its colour.
EMITTER_MIN_RADIANCE = 4.0
_DISC_SEGMENTS = 24
EMITTER_TAG = "synthsense_emitter"  # the custom property that marks a lamp's disc object


def add_medium(bscene: Any, scene: Scene) -> Any | None:
    """Add the box of fog, rain and snow (beta = ``scene.conditions.camera_extinction()`` 1/m), posed per frame
    in front of the rendering camera (:func:`pose_medium`); None when the conditions are clear (nothing added)."""
    beta = scene.conditions.camera_extinction()
    if scene.conditions.is_clear or beta <= 0.0:
        return None
    obj = bpy.data.objects.new(MEDIUM_NAME, _box_mesh(MEDIUM_NAME))
    obj.data.materials.append(_medium_material(beta))
    # camera rays only: surfaces are lit as in clear air, and the medium's scatter points see the lights
    # unattenuated (Koschmieder's uniform illumination)
    obj.visible_diffuse = obj.visible_glossy = obj.visible_transmission = False
    obj.visible_volume_scatter = obj.visible_shadow = False
    bscene.collection.objects.link(obj)
    bscene.cycles.volume_bounces = 1  # scattered light may come off a surface (the ground's light)
    return obj


def pose_medium(scene: Scene, camera: str, t: float) -> None:
    """Fit the medium (if any) to ``camera``'s view at ``t`` seconds (:func:`medium_from_box`)."""
    medium = bpy.data.objects.get(MEDIUM_NAME)
    if medium is not None:
        cam = scene.rig.camera(camera)
        world_from_box = scene.rig.world_from_sensor(cam, t) @ medium_from_box(cam)
        medium.matrix_world = Matrix([list(map(float, row)) for row in world_from_box])


def medium_from_box(cam: Camera) -> np.ndarray:
    """Pose and scale (4x4) that map the unit box of :func:`_box_mesh` into ``cam``'s OpenCV frame: every point
    of the view from 0.1 % of zfar behind the camera to MEDIUM_DEPTH_FRACTION * zfar in front of it.

    Cycles integrates a volume along a camera ray only up to a surface it meets; a ray clipped at the far
    plane before leaving the volume meets none and goes through unattenuated (checked with bpy 5.0.1). So the
    box ends just short of the far plane, and a ray that meets no object leaves it there: the background
    is seen as a surface at the far clip, through exp(-beta * r_far)."""
    fx, fy, cx, cy = cam.K[0, 0], cam.K[1, 1], cam.K[0, 2], cam.K[1, 2]
    depth = MEDIUM_DEPTH_FRACTION * float(cam.zfar)
    # the view's half-width and half-height at that depth, from the image's outer pixel edges, plus a metre
    half_x = depth * max(cx + 0.5, cam.width - 0.5 - cx) / fx + 1.0
    half_y = depth * max(cy + 0.5, cam.height - 0.5 - cy) / fy + 1.0
    return np.diag([half_x, half_y, depth, 1.0])


def _box_mesh(name: str) -> Any:
    """The box x, y in [-1, 1], z in [-0.001, 1] with outward faces (Cycles enters a volume through a front
    face); :func:`medium_from_box` scales it to a camera's view."""
    x0, y0, z0, x1, y1, z1 = -1.0, -1.0, -0.001, 1.0, 1.0, 1.0
    vertices = [
        (x0, y0, z0),
        (x1, y0, z0),
        (x1, y1, z0),
        (x0, y1, z0),
        (x0, y0, z1),
        (x1, y0, z1),
        (x1, y1, z1),
        (x0, y1, z1),
    ]
    faces = [(0, 3, 2, 1), (4, 5, 6, 7), (0, 1, 5, 4), (1, 2, 6, 5), (2, 3, 7, 6), (3, 0, 4, 7)]
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata(vertices, [], faces)
    mesh.update()
    return mesh


def _medium_material(beta: float) -> Any:
    """A volume-only material: Volume Coefficients with scatter albedo * beta, absorption (1 - albedo) * beta
    (1/m each), Henyey-Greenstein phase; no surface shader, so its boundary is not a surface."""
    mat = bpy.data.materials.new(MEDIUM_NAME)
    mat.use_nodes = True
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    nodes.clear()
    volume = nodes.new("ShaderNodeVolumeCoefficients")
    volume.phase = "HENYEY_GREENSTEIN"
    scatter = MEDIUM_ALBEDO * beta
    volume.inputs["Scatter Coefficients"].default_value = (scatter, scatter, scatter)
    absorb = beta - scatter
    volume.inputs["Absorption Coefficients"].default_value = (absorb, absorb, absorb)
    volume.inputs["Anisotropy"].default_value = MEDIUM_ANISOTROPY
    volume.inputs["Emission Coefficients"].default_value = (0.0, 0.0, 0.0)
    output = nodes.new("ShaderNodeOutputMaterial")
    links.new(volume.outputs["Volume"], output.inputs["Volume"])
    return mat


def spot_light(light: Light) -> tuple[Any, np.ndarray]:
    """A Blender SPOT lamp for a "spot" ``light`` and its pose (4x4) in the frame its position is in.

    Cycles shades a spot as the point light of the same power masked to its cone, so the power is mapped as
    a point light's (``build._light``: 4 pi I gives intensity I per steradian). spot_size is the full cone
    angle, 2 * ``spot_angle_rad`` (Blender's range is 1 to 180 degrees)."""
    data = bpy.data.lights.new(light.name, "SPOT")
    data.energy = 4.0 * math.pi * light.intensity
    data.spot_size = float(np.clip(2.0 * light.spot_angle_rad, math.radians(1.0), math.pi))
    data.spot_blend = SPOT_BLEND
    data.shadow_soft_size = 0.0
    return data, lamp_pose(light)


def lamp_pose(light: Light) -> np.ndarray:
    """Pose (4x4) of a lamp or its disc: -z along ``light.direction``, at ``light.position`` moved
    LAMP_OFFSET_M along the direction (in the light's frame: the world, or its parent's object frame)."""
    direction = np.asarray(light.direction, dtype=np.float64)
    pose = light_pose(light.direction)
    pose[:3, 3] = np.asarray(light.position, dtype=np.float64) + LAMP_OFFSET_M * direction / np.linalg.norm(direction)
    return pose


def emitter_radiance(light: Light) -> float:
    """Scene-linear radiance of a lamp's disc: the lamp's intensity (``intensity`` per steradian, the point
    light mapping of ``build._light``) spread over the disc (a Lambertian disc of radius r and radiance L has
    on-axis intensity L pi r^2), at least EMITTER_MIN_RADIANCE (a tail light, intensity 0, still glows)."""
    return max(light.intensity / (math.pi * light.emitter_radius_m**2), EMITTER_MIN_RADIANCE)


def add_emitter(bscene: Any, light: Light, parent: Any | None) -> Any:
    """The glowing disc of ``light`` (radius ``emitter_radius_m``), facing along its direction, parented to
    ``parent`` (the entity's Blender object) or in the world. Seen by camera rays only: it lights nothing (the
    lamp does), casts no shadow, and is not mirrored (a small disc hundreds of times brighter than white, found
    only by the rays a glossy surface happens to send, would speckle the image; the lamp's own highlight
    shows on glossy surfaces)."""
    obj = bpy.data.objects.new(f"{light.name}_disc", _disc_mesh(light.name, light.emitter_radius_m))
    obj.data.materials.append(_emitter_material(light))
    obj.visible_diffuse = obj.visible_glossy = obj.visible_transmission = False
    obj.visible_volume_scatter = obj.visible_shadow = False
    obj[EMITTER_TAG] = True
    place(obj, lamp_pose(light), parent)
    bscene.collection.objects.link(obj)
    return obj


def place(obj: Any, pose: np.ndarray, parent: Any | None) -> None:
    """Put ``obj`` at ``pose``: in the world, or in ``parent``'s object frame (then it follows the parent)."""
    matrix = Matrix([list(map(float, row)) for row in pose])
    if parent is None:
        obj.matrix_world = matrix
        return
    obj.parent = parent
    obj.matrix_parent_inverse = Matrix.Identity(4)
    obj.matrix_basis = matrix


def _disc_mesh(name: str, radius_m: float) -> Any:
    """A disc in its object's xy plane whose faces look along -z (the light's direction in ``light_pose``)."""
    angles = np.linspace(0.0, 2.0 * math.pi, _DISC_SEGMENTS, endpoint=False)
    rim = [(radius_m * math.cos(a), radius_m * math.sin(a), 0.0) for a in angles]
    faces = [(0, k + 2, k + 1) for k in range(_DISC_SEGMENTS - 1)] + [(0, 1, _DISC_SEGMENTS)]  # clockwise from +z
    mesh = bpy.data.meshes.new(f"{name}_disc")
    mesh.from_pydata([(0.0, 0.0, 0.0), *rim], [], faces)
    mesh.update()
    return mesh


def _emitter_material(light: Light) -> Any:
    """Emission (the light's colour at ``emitter_radiance``) on the front face only, added to a white
    Transparent BSDF: the disc glows over whatever lies behind it and is not a surface for the label passes.
    Never sampled as a light (emission sampling off): the lamp itself lights the scene."""
    mat = bpy.data.materials.new(f"{light.name}_disc")
    mat.use_nodes = True
    mat.cycles.emission_sampling = "NONE"
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    nodes.clear()
    geometry = nodes.new("ShaderNodeNewGeometry")
    front = nodes.new("ShaderNodeMath")
    front.operation = "SUBTRACT"  # 1 - backfacing
    front.inputs[0].default_value = 1.0
    links.new(geometry.outputs["Backfacing"], front.inputs[1])
    strength = nodes.new("ShaderNodeMath")
    strength.operation = "MULTIPLY"
    strength.inputs[1].default_value = emitter_radiance(light)
    links.new(front.outputs["Value"], strength.inputs[0])
    emission = nodes.new("ShaderNodeEmission")
    emission.inputs["Color"].default_value = (*light.color, 1.0)
    links.new(strength.outputs["Value"], emission.inputs["Strength"])
    transparent = nodes.new("ShaderNodeBsdfTransparent")
    transparent.inputs["Color"].default_value = (1.0, 1.0, 1.0, 1.0)
    add = nodes.new("ShaderNodeAddShader")
    links.new(emission.outputs["Emission"], add.inputs[0])
    links.new(transparent.outputs["BSDF"], add.inputs[1])
    output = nodes.new("ShaderNodeOutputMaterial")
    links.new(add.outputs["Shader"], output.inputs["Surface"])
    mat.diffuse_color = (*light.color, 1.0)  # Workbench
    return mat

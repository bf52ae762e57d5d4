"""Lamps in the pyrender world: spot lights, lights mounted on entities, and glowing emitter discs.

Spot lights. pyrender's shader loops over arrays of at most MAX_N_LIGHTS = 4 lights per type
(``pyrender.constants``, ``Renderer._compute_max_n_lights``); past that it keeps, per mesh, the lights
nearest the mesh node's origin, which for a road or a facade (one large mesh) is an arbitrary choice. A
night street has tens of lamps. So the world holds a pool of ``SPOT_LIGHT_SLOTS`` = 8 spot lights (the
renderer's spot limit is raised to 8 for scenes with spot lights, see ``offscreen``), and every frame and
camera the pool takes the 8 lamps that matter most to that view: the largest intensity / r^2, r the
distance (at least 1 m) from the lamp to the camera's optical axis between the camera and VIEW_AXIS_M
ahead, the stretch of street the image shows most of. Each light in the fragment loop costs a BRDF
evaluation per fragment: on llvmpipe (2 CPU cores) a 640x480 night frame took 0.34 s with 4 spot lights,
0.41 s with 8 and 0.69 s with 16. The other lamps still glow (their emitter discs are meshes) but light
nothing in that frame.

Mounted lights (``Light.parent``) are re-posed every frame from the parent entity's pose
(``Scene.light_in_world``). Emitter discs (``Light.emitter_radius_m > 0``) are small emissive meshes facing
along the light's direction, moved with their parent; they are not in the segmentation node map, which
pyrender's segmentation pass requires of every node it draws (``Renderer._forward_pass`` skips meshes
absent from ``seg_node_map``), so depth, instance and amodal passes never see them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import trimesh

from renderers.pyrender._gl import pyrender
from scenes import Camera, Light, Scene
from scenes.transforms import light_pose

SPOT_LIGHT_SLOTS = 8
VIEW_AXIS_M = 30.0
# An emitter shows its colour at full brightness: its brightest channel at 1.5 x the display's white (a
# lamp's luminance, 1e4-1e5 cd/m^2, clips in any exposure that shows the street), so it saturates while
# keeping its hue.
EMITTER_RADIANCE = 1.5
EMITTER_OFFSET_M = 0.01  # the disc sits this far in front of the lamp's position, clear of the body it is on
EMITTER_SEGMENTS = 16
MIN_CONE_RAD = 1e-3  # pyrender needs an outer cone angle above the inner one (0)


@dataclass
class Lamps:
    """A scene's lamp nodes. ``mounted``: (light, node) of non-spot lights with a parent, re-posed each
    frame; ``spots``: the scene's lit spot lights (intensity > 0); ``slots``: the pool of spot nodes;
    ``emitters``: (parent entity name or None, node) of each group of emitter discs."""

    mounted: list[tuple[Light, pyrender.Node]] = field(default_factory=list)
    spots: list[Light] = field(default_factory=list)
    slots: list[pyrender.Node] = field(default_factory=list)
    emitters: list[tuple[str | None, pyrender.Node]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.mounted or self.slots or self.emitters)


def emitter_disc(radius_m: float) -> trimesh.Trimesh:
    """A flat disc of ``radius_m`` (m) in the xy-plane whose front face looks along -z, the direction a
    ``light_pose`` frame shines along (the back is culled: a lamp seen from behind does not glow)."""
    angles = np.linspace(0.0, 2.0 * math.pi, EMITTER_SEGMENTS, endpoint=False)
    ring = np.stack([radius_m * np.cos(angles), radius_m * np.sin(angles), np.zeros_like(angles)], axis=1)
    vertices = np.vstack([[0.0, 0.0, 0.0], ring])
    k = np.arange(EMITTER_SEGMENTS)
    faces = np.stack([np.zeros_like(k), (k + 1) % EMITTER_SEGMENTS + 1, k + 1], axis=1)  # clockwise from +z
    return trimesh.Trimesh(vertices, faces, process=False)


def emitter_mesh(lights: list[Light]) -> pyrender.Mesh:
    """One mesh of the glowing discs of ``lights`` (all of one colour and one parent), in the parent's object
    frame (the world's for no parent): black (lit by nothing) and emissive in the colour scaled so its
    brightest channel is EMITTER_RADIANCE. pyrender's shader adds emissive_factor squared (``emissive *
    material.emissive_factor`` in mesh.frag), hence the square root."""
    discs = []
    for light in lights:
        disc = emitter_disc(light.emitter_radius_m)
        disc.apply_transform(
            emitter_pose(np.asarray(light.position, np.float64), np.asarray(light.direction, np.float64))
        )
        discs.append(disc)
    color = np.asarray(lights[0].color, dtype=np.float64)
    radiance = color / max(float(color.max()), 1e-6) * EMITTER_RADIANCE
    material = pyrender.MetallicRoughnessMaterial(
        baseColorFactor=(0.0, 0.0, 0.0, 1.0), metallicFactor=0.0, roughnessFactor=1.0, emissiveFactor=np.sqrt(radiance)
    )
    return pyrender.Mesh.from_trimesh(trimesh.util.concatenate(discs), material=material, smooth=False)


def emitter_pose(position: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Pose (4x4) of a lamp's disc in the frame of ``position`` and ``direction``: -z along the direction,
    EMITTER_OFFSET_M in front of the position."""
    direction = direction / np.linalg.norm(direction)
    pose = light_pose(direction)
    pose[:3, 3] = position + EMITTER_OFFSET_M * direction
    return pose


def _parent_pose(scene: Scene, parent: str | None, t: float) -> np.ndarray:
    return np.eye(4) if parent is None else scene.entity(parent).trajectory.pose_at(t)


def add_lamps(world: pyrender.Scene, scene: Scene, point_light_node) -> Lamps:
    """Add the scene's spot pool, mounted lights and emitter discs to ``world``. ``point_light_node``: the
    compiler's node builder for directional, point and area lights (posed here when mounted). Emitter discs
    of one parent and colour share one mesh (one draw call: pyrender's cost per node is mostly Python)."""
    lamps = Lamps()
    groups: dict[tuple[str | None, tuple[float, ...]], list[Light]] = {}
    for light in scene.lights:
        if light.kind == "spot":
            if light.intensity > 0:
                lamps.spots.append(light)
        elif light.parent is not None and light.intensity > 0:
            node = point_light_node(light)
            lamps.mounted.append((light, node))
            world.add_node(node)
        if light.emitter_radius_m > 0:
            groups.setdefault((light.parent, tuple(float(c) for c in light.color)), []).append(light)
    for (parent, _), lights in groups.items():
        node = pyrender.Node(
            name=f"{lights[0].name}.emitters", mesh=emitter_mesh(lights), matrix=_parent_pose(scene, parent, 0.0)
        )
        lamps.emitters.append((parent, node))
        world.add_node(node)
    for k in range(min(len(lamps.spots), SPOT_LIGHT_SLOTS)):
        node = pyrender.Node(name=f"spot_slot{k}", light=pyrender.SpotLight(intensity=0.0, outerConeAngle=0.5))
        lamps.slots.append(node)
        world.add_node(node)
    return lamps


def spot_scores(positions: np.ndarray, intensities: np.ndarray, world_from_camera: np.ndarray) -> np.ndarray:
    """(n,) how much each lamp matters to a camera's view: intensity / max(r, 1 m)^2, r (m) the distance from
    the lamp's world position (n, 3) to the camera's optical axis between 0 and VIEW_AXIS_M ahead."""
    origin, axis = world_from_camera[:3, 3], world_from_camera[:3, 2]
    along = np.clip((positions - origin) @ axis, 0.0, VIEW_AXIS_M)
    r = np.linalg.norm(positions - (origin + along[:, None] * axis), axis=1)
    return intensities / np.maximum(r, 1.0) ** 2


def choose_spots(scene: Scene, lights: list[Light], camera: Camera, t: float, k: int) -> list[int]:
    """Indices into ``lights`` of the ``k`` highest :func:`spot_scores` at time ``t`` (ties: scene order)."""
    if len(lights) <= k:
        return list(range(len(lights)))
    positions = np.array([scene.light_in_world(light, t)[0] for light in lights])
    scores = spot_scores(
        positions, np.array([light.intensity for light in lights]), scene.rig.world_from_sensor(camera, t)
    )
    return sorted(np.argsort(-scores, kind="stable")[:k].tolist())


def pose_lamps(world: pyrender.Scene, lamps: Lamps, scene: Scene, camera: Camera, t: float) -> None:
    """Pose mounted lights and emitter discs at time ``t`` s, and load the pool with the spot lights that
    matter most to ``camera``."""
    for light, node in lamps.mounted:
        position, direction = scene.light_in_world(light, t)
        pose = light_pose(direction) if light.kind == "directional" else np.eye(4)
        pose[:3, 3] = position
        world.set_pose(node, pose)
    for parent, node in lamps.emitters:
        if parent is not None:
            world.set_pose(node, _parent_pose(scene, parent, t))
    chosen = choose_spots(scene, lamps.spots, camera, t, len(lamps.slots))
    for node, index in zip(lamps.slots, chosen, strict=True):
        light = lamps.spots[index]
        position, direction = scene.light_in_world(light, t)
        spot = node.light
        spot.color, spot.intensity = light.color, light.intensity
        spot.outerConeAngle = float(np.clip(light.spot_angle_rad, MIN_CONE_RAD, math.pi / 2.0))
        pose = light_pose(direction)
        pose[:3, 3] = position
        world.set_pose(node, pose)

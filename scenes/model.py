"""The scene model: plain data describing everything a renderer or labeller needs to know.

A Scene is frozen once sampled: renderers compile it into their own world, labels read it. Units are
metres, seconds and radians; poses are 4x4 float64 ``a_from_b`` matrices (see ``scenes.transforms``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scenes.conditions import Conditions
from scenes.sensors import Lidar, Radar
from scenes.skeleton import Skeleton
from scenes.transforms import make_pose, matrix_from_quaternion, quaternion_from_matrix, slerp

FORMAT_VERSION = 1


KEYFRAME_SNAP_S = 1e-9  # times this close to a keyframe are at it (Trajectory.velocity_at)

TEXTURE_KINDS = ("checker", "noise", "none", "wave")  # procedural surface patterns (Texture.kind)
SKY_KINDS = ("color", "sky")  # Environment.sky
# Environment.hdri: Blender 5.0's bundled world HDRIs (bpy/5.0/datafiles/studiolights/world, CC0, renderers.hdri)
HDRI_NAMES = ("city", "courtyard", "forest", "interior", "night", "studio", "sunrise", "sunset")


@dataclass
class Texture:
    """A procedural surface pattern in the object frame (renderers that cannot show it ignore it).

    kind: "none" (plain base colour), "noise" (fractal noise), "checker", or "wave" (wood-like rings).
    scale: pattern frequency in 1/m of the object frame. color2: linear RGB the pattern mixes with the
    material's base colour. roughness_variation in [0, 1]: the pattern moves the roughness by up to
    +/- half this amount around the material's roughness.
    """

    kind: str = "none"
    scale: float = 5.0
    color2: tuple[float, float, float] = (0.2, 0.2, 0.2)
    roughness_variation: float = 0.0


@dataclass
class Material:
    """Surface appearance shared by every renderer.

    base_color: linear RGB in [0, 1]. roughness, metallic: PBR parameters in [0, 1].
    reflectivity: diffuse reflectance at the LiDAR wavelength in [0, 1] (drives point intensity).
    texture: a procedural pattern over the base colour (the Blender backend shows it; pyrender ignores it).
    clearcoat: weight in [0, 1] of a clear lacquer layer over the base (car paint: Blender's Principled
    BSDF Coat Weight; pyrender has no coat and ignores it); 0 (no coat) is left out of scene.json.
    """

    base_color: tuple[float, float, float] = (0.7, 0.7, 0.7)
    roughness: float = 0.5
    metallic: float = 0.0
    reflectivity: float = 0.5
    texture: Texture = field(default_factory=Texture)
    clearcoat: float = 0.0


@dataclass
class AssetRef:
    """Where an entity's mesh comes from.

    source: "procedural" (``name`` is a builder in ``assets.procedural``, built from ``params``) or
    "file" (``path`` is a mesh file from a user catalog, ``up_axis`` its up axis).
    """

    source: str
    name: str
    params: dict[str, Any] = field(default_factory=dict)
    path: str | None = None
    up_axis: str = "z"


@dataclass
class Trajectory:
    """Pose over time: keyframes ``world_from_object`` at ``times`` (s), interpolated linearly in
    translation and by slerp in rotation, held constant outside the keyframe range.
    A single keyframe is a static object."""

    times: list[float]
    poses: list[np.ndarray]

    @classmethod
    def static(cls, world_from_object: np.ndarray) -> Trajectory:
        return cls(times=[0.0], poses=[np.asarray(world_from_object, dtype=np.float64)])

    def pose_at(self, t: float) -> np.ndarray:
        """``world_from_object`` (4x4) at time t seconds."""
        times = self.times
        if len(times) == 1 or t <= times[0]:
            return self.poses[0].copy()
        if t >= times[-1]:
            return self.poses[-1].copy()
        k = int(np.searchsorted(times, t, side="right")) - 1
        alpha = (t - times[k]) / (times[k + 1] - times[k])
        p0, p1 = self.poses[k], self.poses[k + 1]
        q = slerp(quaternion_from_matrix(p0[:3, :3]), quaternion_from_matrix(p1[:3, :3]), alpha)
        return make_pose(matrix_from_quaternion(q), (1 - alpha) * p0[:3, 3] + alpha * p1[:3, 3])

    def velocity_at(self, t: float) -> np.ndarray:
        """Linear velocity (3,) in world metres per second at time t (0 for a static object): that of the
        keyframe interval starting at or before t. A t within KEYFRAME_SNAP_S of a keyframe counts as at
        it: frame times (k / fps) and keyframe times (a linspace) of the same instant differ in the last
        bits, and a frame must not get the interval before its keyframe by rounding."""
        times = self.times
        if len(times) == 1 or t < times[0] - KEYFRAME_SNAP_S or t > times[-1]:
            return np.zeros(3)
        k = min(max(int(np.searchsorted(times, t + KEYFRAME_SNAP_S, side="right")) - 1, 0), len(times) - 2)
        return (self.poses[k + 1][:3, 3] - self.poses[k][:3, 3]) / (times[k + 1] - times[k])


@dataclass
class Entity:
    """One placed asset.

    instance_id: uint16, unique in the scene and the same in every frame and sensor (it is also the
    track id), 0 for context geometry (road, buildings, table) that is not labelled.
    size_m: [length, width, height] of the object's 3D box after scaling; the object frame's origin is
    that box's centre (x forward, y left, z up).
    scale: uniform factor applied to the asset mesh, already included in size_m.
    motion: the motion model that made the trajectory and its sampled parameters.
    attributes: label attributes copied into every label record of the object (e.g. ``{"age_group":
    "child"}``, ``{"role": "worker"}``); empty for most objects, and then absent from scene.json.
    skeleton: an articulated person's body, clothing and pose (``scenes.skeleton``): its mesh is then the
    body's parts posed at each time (plus the asset's mesh unless the asset is a person's, whose rigid
    figure the body replaces: a cyclist's bicycle stays); None for rigid objects, and then absent from scene.json.
    """

    name: str
    instance_id: int
    category: str
    asset: AssetRef
    size_m: tuple[float, float, float]
    trajectory: Trajectory
    material: Material = field(default_factory=Material)
    scale: float = 1.0
    motion: dict[str, Any] = field(default_factory=dict)  # the motion model and its sampled parameters
    attributes: dict[str, Any] = field(default_factory=dict)
    skeleton: Skeleton | None = None

    @property
    def is_labelled(self) -> bool:
        return self.instance_id > 0


@dataclass
class Camera:
    """A pinhole camera: ``K`` (3x3, pixels, OpenCV convention), image size in pixels, and its mount
    ``ego_from_sensor`` (4x4, OpenCV camera frame: x right, y down, z forward)."""

    name: str
    width: int
    height: int
    K: np.ndarray
    ego_from_sensor: np.ndarray
    znear: float = 0.1
    zfar: float = 500.0


@dataclass
class Light:
    """kind: "directional" (sun: ``direction`` is the unit vector light travels along, world frame),
    "point" (``position`` in world metres), "area" (a square emitter of side ``size_m`` at ``position``,
    facing along ``direction``) or "spot" (a point light at ``position`` shining along ``direction`` in a
    cone of half-angle ``spot_angle_rad``). intensity: W/m^2 for directional, W for point, area and spot
    (the renderers' native units; an area light's on-axis intensity equals a point light's of the same
    value, and a renderer without area lights draws it as that point light). color: linear RGB in [0, 1].

    parent: the name of the entity the light is mounted on (a vehicle's head lamp); ``position`` and
    ``direction`` are then in that entity's object frame and the light moves with it. None: world frame.
    emitter_radius_m: the radius (m) of the lamp's glowing disc, facing along ``direction``, drawn in the
    camera's colour image only: it is never in depth, instance maps, masks or LiDAR returns, so labels
    are those of the same scene unlit. 0: no visible lamp. A light of intensity 0 with an emitter is a
    lamp that glows without lighting its surroundings (a tail light)."""

    name: str
    kind: str
    color: tuple[float, float, float] = (1.0, 1.0, 1.0)
    intensity: float = 3.0
    direction: tuple[float, float, float] = (0.0, 0.0, -1.0)
    position: tuple[float, float, float] = (0.0, 0.0, 10.0)
    size_m: float = 0.0  # side of an area light's square; 0 for the other kinds
    spot_angle_rad: float = 0.0  # half-angle of a spot light's cone; 0 for the other kinds
    parent: str | None = None
    emitter_radius_m: float = 0.0


@dataclass
class Environment:
    """Ambient light (linear RGB, added to every surface) and background colour (linear RGB).

    sky: "color" (camera rays see ``background``) or "sky" (camera rays see a procedural daylight sky
    lit from the direction of the scene's first directional light: Blender's Sky Texture, pyrender's
    ``renderers.sky``; renderers without one show ``background``).
    hdri: None, or the name of a bundled environment map (HDRI_NAMES, ``renderers.hdri``) that replaces the
    ambient light and what camera rays see (Blender: it lights the scene and is the background; pyrender: its
    background and the ambient level of its irradiance); the scene's lights stay."""

    ambient: tuple[float, float, float] = (0.3, 0.3, 0.3)
    background: tuple[float, float, float] = (0.55, 0.7, 0.9)
    sky: str = "color"
    hdri: str | None = None


@dataclass
class SensorRig:
    """The ego platform: its pose over time (``world_from_ego``) and the sensors mounted on it."""

    trajectory: Trajectory
    cameras: list[Camera] = field(default_factory=list)
    lidars: list[Lidar] = field(default_factory=list)
    radars: list[Radar] = field(default_factory=list)

    def camera(self, name: str) -> Camera:
        for cam in self.cameras:
            if cam.name == name:
                return cam
        raise KeyError(f"no camera named {name!r} in the rig")

    def sensors(self) -> list[Camera | Lidar | Radar]:
        """Every sensor: cameras, then LiDARs, then radars."""
        return [*self.cameras, *self.lidars, *self.radars]

    def world_from_sensor(self, sensor: Camera | Lidar | Radar, t: float) -> np.ndarray:
        """Pose (4x4) of a mounted sensor's frame in the world at time t seconds."""
        return self.trajectory.pose_at(t) @ sensor.ego_from_sensor


@dataclass
class Scene:
    """A complete, frozen scene. ``seeds`` records the root seed, scene index and the stream keys used
        to derive every random generator; ``params`` records every sampled parameter not stored elsewhere;
        ``scenario`` the scripted critical situation, if any (``generator.world.scenarios``: its name, drawn
        parameters, critical time and the ids of its critical actors; None and absent from scene.json
        without one); ``conditions`` the weather and light it is seen in (``scenes.conditions``; clear_day,
    absent from scene.json, by default). Frame k of the scene is at t = k / fps seconds, for k in range(num_frames)."""

    scene_id: str
    index: int
    seeds: dict[str, Any]
    fps: float
    num_frames: int
    entities: list[Entity]
    lights: list[Light]
    environment: Environment
    rig: SensorRig
    kind: str = "custom"
    params: dict[str, Any] = field(default_factory=dict)
    scenario: dict[str, Any] | None = None
    conditions: Conditions = field(default_factory=Conditions)

    @property
    def duration_s(self) -> float:
        return self.num_frames / self.fps

    def frame_time(self, frame: int) -> float:
        """Time in seconds of frame ``frame``."""
        return frame / self.fps

    def labelled_entities(self) -> list[Entity]:
        return [e for e in self.entities if e.is_labelled]

    def entity(self, name: str) -> Entity:
        """The entity called ``name`` (KeyError naming it otherwise)."""
        for entity in self.entities:
            if entity.name == name:
                return entity
        raise KeyError(f"no entity named {name!r} in scene {self.scene_id}")

    def light_in_world(self, light: Light, t: float) -> tuple[np.ndarray, np.ndarray]:
        """(position, unit direction) of ``light`` in world metres at time ``t`` seconds: its own values,
        or those of its parent entity's object frame moved to the parent's pose at t."""
        position, direction = np.asarray(light.position, np.float64), np.asarray(light.direction, np.float64)
        if light.parent is not None:
            world_from_object = self.entity(light.parent).trajectory.pose_at(t)
            position = world_from_object[:3, :3] @ position + world_from_object[:3, 3]
            direction = world_from_object[:3, :3] @ direction
        norm = float(np.linalg.norm(direction))
        return position, direction / norm if norm > 0 else direction

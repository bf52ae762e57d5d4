"""The scene model (numpy only): Scene, Entity, Trajectory, Camera, Light, Material; frames, transforms
and lossless JSON (de)serialization."""

from scenes.conditions import Conditions
from scenes.model import (
    FORMAT_VERSION,
    AssetRef,
    Camera,
    Entity,
    Environment,
    Light,
    Material,
    Scene,
    SensorRig,
    Texture,
    Trajectory,
)
from scenes.sensors import DETECTION_DTYPE, POINT_DTYPE, Lidar, Radar
from scenes.serialization import load_scene, scene_from_dict, scene_to_dict, scene_to_json

__all__ = [
    "FORMAT_VERSION",
    "AssetRef",
    "Camera",
    "Conditions",
    "DETECTION_DTYPE",
    "Lidar",
    "POINT_DTYPE",
    "Radar",
    "Entity",
    "Environment",
    "Light",
    "Material",
    "Texture",
    "Scene",
    "SensorRig",
    "Trajectory",
    "load_scene",
    "scene_from_dict",
    "scene_to_dict",
    "scene_to_json",
]

"""Lossless JSON (de)serialization of the scene model (scene.json).

Floats go through Python's shortest round-trip repr, so ``scene_from_dict(scene_to_dict(s))`` gives back
bit-identical arrays.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from scenes import plain_data
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
from scenes.sensors import BEAM_DIVERGENCE_RAD, Lidar, Radar
from scenes.skeleton import Appearance, Body, Skeleton


def to_jsonable(value: Any) -> Any:
    """Turn dataclasses, numpy arrays and scalars, tuples and dicts into plain JSON types."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value


def scene_to_dict(scene: Scene) -> dict[str, Any]:
    """scene.json's content. Optional parts left at their defaults (no scenario, an entity without
    attributes) are left out, so a scene without them reads exactly as before they existed."""
    data = {"format_version": FORMAT_VERSION, **to_jsonable(scene)}
    if data["scenario"] is None:
        del data["scenario"]
    if scene.conditions == Conditions():
        del data["conditions"]
    for light in data["lights"]:  # keys the light's kind does not use, so old scenes read as they did
        for key, unset in (("spot_angle_rad", 0.0), ("parent", None), ("emitter_radius_m", 0.0)):
            if light[key] == unset:
                del light[key]
    for lidar in data["rig"]["lidars"]:  # the default divergence is left out, so old scenes read as they did
        if lidar["beam_divergence_rad"] == BEAM_DIVERGENCE_RAD:
            del lidar["beam_divergence_rad"]
    for entity in data["entities"]:
        if not entity["attributes"]:
            del entity["attributes"]
        if entity["skeleton"] is None:
            del entity["skeleton"]
        if entity["material"]["clearcoat"] == 0.0:  # uncoated: read as before coats existed
            del entity["material"]["clearcoat"]
    return data


def _trajectory(d: dict) -> Trajectory:
    return Trajectory(times=[float(t) for t in d["times"]], poses=[np.array(p, dtype=np.float64) for p in d["poses"]])


def _camera(d: dict) -> Camera:
    return Camera(
        name=d["name"],
        width=int(d["width"]),
        height=int(d["height"]),
        K=np.array(d["K"], dtype=np.float64),
        ego_from_sensor=np.array(d["ego_from_sensor"], dtype=np.float64),
        znear=float(d["znear"]),
        zfar=float(d["zfar"]),
    )


def _lidar(d: dict) -> Lidar:
    return Lidar(
        **{
            **d,
            "elevations": np.array(d["elevations"], dtype=np.float64),
            "ego_from_sensor": np.array(d["ego_from_sensor"], dtype=np.float64),
        }
    )


def _radar(d: dict) -> Radar:
    return Radar(**{**d, "ego_from_sensor": np.array(d["ego_from_sensor"], dtype=np.float64)})


def _entity(d: dict) -> Entity:
    m = d["material"]
    return Entity(
        name=d["name"],
        instance_id=int(d["instance_id"]),
        category=d["category"],
        asset=AssetRef(**d["asset"]),
        size_m=tuple(d["size_m"]),
        trajectory=_trajectory(d["trajectory"]),
        material=Material(
            base_color=tuple(m["base_color"]),
            roughness=m["roughness"],
            metallic=m["metallic"],
            reflectivity=m["reflectivity"],
            texture=_texture(m.get("texture")),
            clearcoat=float(m.get("clearcoat", 0.0)),
        ),
        scale=d["scale"],
        motion=d["motion"],
        attributes=dict(d.get("attributes", {})),
        skeleton=skeleton_from_dict(d["skeleton"]) if d.get("skeleton") is not None else None,
    )


def skeleton_from_dict(d: dict) -> Skeleton:
    """A Skeleton from its JSON form (scene.json's ``skeleton``)."""
    bicycle = d.get("bicycle")
    return Skeleton(
        body=Body(**d["body"]),
        appearance=Appearance(**{k: tuple(v) if isinstance(v, list) else v for k, v in d["appearance"].items()}),
        activity=d["activity"],
        stance=d["stance"],
        phase=float(d["phase"]),
        bicycle=dict(bicycle) if bicycle is not None else None,
        origin_in_body=tuple(d["origin_in_body"]),
    )


def _texture(d: dict | None) -> Texture:
    """Scenes written before textures existed have none."""
    if d is None:
        return Texture()
    return Texture(
        kind=d["kind"],
        scale=d["scale"],
        color2=tuple(d["color2"]),
        roughness_variation=d["roughness_variation"],
    )


def _light(d: dict) -> Light:
    return Light(
        name=d["name"],
        kind=d["kind"],
        color=tuple(d["color"]),
        intensity=d["intensity"],
        direction=tuple(d["direction"]),
        position=tuple(d["position"]),
        size_m=d.get("size_m", 0.0),
        spot_angle_rad=d.get("spot_angle_rad", 0.0),
        parent=d.get("parent"),
        emitter_radius_m=d.get("emitter_radius_m", 0.0),
    )


def _conditions(d: dict | None) -> Conditions:
    """Scenes written before conditions existed, and clear_day scenes, have none: clear day."""
    if d is None:
        return Conditions()
    return Conditions(**{**d, "airlight": tuple(d.get("airlight", Conditions().airlight))})


def scene_from_dict(d: dict[str, Any]) -> Scene:
    """Rebuild a Scene from :func:`scene_to_dict` output; raises ValueError on an unknown version."""
    version = d.get("format_version")
    if version != FORMAT_VERSION:
        raise ValueError(f"scene format_version {version!r} is not supported (expected {FORMAT_VERSION})")
    env = d["environment"]
    return Scene(
        scene_id=d["scene_id"],
        index=int(d["index"]),
        seeds=d["seeds"],
        fps=float(d["fps"]),
        num_frames=int(d["num_frames"]),
        entities=[_entity(e) for e in d["entities"]],
        lights=[_light(x) for x in d["lights"]],
        environment=Environment(
            ambient=tuple(env["ambient"]),
            background=tuple(env["background"]),
            sky=env.get("sky", "color"),
            hdri=env.get("hdri"),
        ),
        rig=SensorRig(
            trajectory=_trajectory(d["rig"]["trajectory"]),
            cameras=[_camera(c) for c in d["rig"]["cameras"]],
            lidars=[_lidar(x) for x in d["rig"].get("lidars", [])],
            radars=[_radar(x) for x in d["rig"].get("radars", [])],
        ),
        kind=d["kind"],
        params=d["params"],
        scenario=d.get("scenario"),
        conditions=_conditions(d.get("conditions")),
    )


def scene_to_json(scene: Scene) -> str:
    return plain_data.dumps_json(scene_to_dict(scene), indent=1, where=f"scene {scene.scene_id}")


def load_scene(path: str | Path) -> Scene:
    """Read a scene.json file."""
    return scene_from_dict(plain_data.load_json(Path(path)))

"""Scene pieces shared by every scene kind: asset choice, entities, materials, lights and cameras.

Every function takes an explicit Generator and returns plain scene data whose sampled parameters are
stored in the returned objects (and hence in scene.json).
"""

from __future__ import annotations

import colorsys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from assets.catalog import UserAsset
from assets.loading import asset_extents
from assets.procedural import PROCEDURAL_ASSETS
from generator.world.distributions import sample, weighted_choice
from generator.world.motion import Motion, static
from generator.world.paint import VEHICLE_CATEGORIES, paint_material
from generator.world.placement import Placer, SweptFootprint
from generator.world.seeding import rng_for
from scenes import AssetRef, Camera, Entity, Environment, Light, Material, Texture
from scenes.skeleton import Skeleton
from scenes.transforms import intrinsics_from_fov


@dataclass(frozen=True)
class AssetChoice:
    """An asset with the scale it will be placed at and the size (l, w, h) in metres that gives; an
    articulated person's ``skeleton`` (``scenes.skeleton``; None for rigid assets), whose box size_m is."""

    ref: AssetRef
    scale: float
    size_m: tuple[float, float, float]
    skeleton: Skeleton | None = None


def asset_pool(category: str, user_assets: list[UserAsset]) -> list[Any]:
    """Procedural builders and user assets of one category (procedural first, then user, sorted)."""
    procedural = sorted((a for a in PROCEDURAL_ASSETS.values() if a.category == category), key=lambda a: a.name)
    users = sorted((u for u in user_assets if u.category == category), key=lambda u: u.name)
    return [*procedural, *users]


def choose_asset(category: str, user_assets: list[UserAsset], rng: np.random.Generator) -> AssetChoice:
    """Pick an asset of ``category`` uniformly from its pool and sample its parameters and scale."""
    pool = asset_pool(category, user_assets)
    item = pool[int(rng.integers(len(pool)))]
    if isinstance(item, UserAsset):
        ref, scale = item.asset_ref(), item.sample_scale(rng)
    else:
        ref = AssetRef(source="procedural", name=item.name, params=item.sample(rng))
        scale = 1.0
    return AssetChoice(ref, scale, size_of(ref, scale))


def procedural_choice(name: str, params: dict[str, Any]) -> AssetChoice:
    """A specific procedural asset with given parameters (context pieces)."""
    ref = AssetRef(source="procedural", name=name, params=params)
    return AssetChoice(ref, 1.0, size_of(ref, 1.0))


def size_of(ref: AssetRef, scale: float) -> tuple[float, float, float]:
    """[length, width, height] in metres of the asset's bounding box after scaling."""
    extents = np.asarray(asset_extents(ref)) * scale  # same float64 product as the mesh's extents * scale
    return (float(extents[0]), float(extents[1]), float(extents[2]))


def standing_entity(
    name: str,
    instance_id: int,
    category: str,
    choice: AssetChoice,
    x: float,
    y: float,
    support_z: float,
    yaw: float,
    material: Material,
) -> Entity:
    """An entity resting still on a horizontal support at height ``support_z`` (world metres)."""
    return moving_entity(
        name, instance_id, category, choice, static("placed", {}, ZERO_TIME, x, y, yaw), support_z, material
    )


def random_material(
    cfg: Any,
    rng: np.random.Generator,
    key: str = "scene.materials",
    texture_rng: np.random.Generator | None = None,
) -> Material:
    """A material with an HSV-sampled base colour and sampled roughness, metallic, reflectivity.

    Its procedural texture is drawn from ``texture_rng`` (its own generator, so the other draws do not
    depend on the texture config); without one the material has no texture."""
    hue = float(rng.uniform(0.0, 1.0))
    sat = sample(f"{key}.saturation", cfg.saturation, rng)
    val = sample(f"{key}.value", cfg.value, rng)
    base_color = tuple(float(c) for c in colorsys.hsv_to_rgb(hue, sat, val))
    return Material(
        base_color=base_color,
        roughness=float(sample(f"{key}.roughness", cfg.roughness, rng)),
        metallic=float(sample(f"{key}.metallic", cfg.metallic, rng)),
        reflectivity=float(sample(f"{key}.reflectivity", cfg.reflectivity, rng)),
        texture=Texture() if texture_rng is None else random_texture(cfg, base_color, texture_rng, key),
    )


def object_material(
    cfg: Any, category: str, root_seed: int, index: int, paint_key: tuple[int, ...], random_rngs: tuple
) -> Material:
    """The material of an object of ``category``: a vehicle's paint (``generator.world.paint``, from the
    ``paint`` stream keyed ``paint_key``) when ``cfg.vehicle_paint`` is ``palette``, otherwise
    :func:`random_material` from ``random_rngs`` (its material and texture generators)."""
    if category in VEHICLE_CATEGORIES and cfg.vehicle_paint == "palette":
        return paint_material(rng_for(root_seed, index, "paint", *paint_key))
    rng, texture_rng = random_rngs
    return random_material(cfg, rng, texture_rng=texture_rng)


def random_texture(
    cfg: Any, base_color: tuple[float, float, float], rng: np.random.Generator, key: str = "scene.materials"
) -> Texture:
    """A procedural texture: kind from ``cfg.texture_kinds``, a second colour ``(1 - contrast) * base_color``,
    a scale (1/m) and a roughness variation."""
    kind = weighted_choice(dict(cfg.texture_kinds), rng)
    if kind == "none":
        return Texture()
    scale = float(sample(f"{key}.texture_scale", cfg.texture_scale, rng))
    contrast = float(sample(f"{key}.texture_contrast", cfg.texture_contrast, rng))
    variation = float(sample(f"{key}.texture_roughness_variation", cfg.texture_roughness_variation, rng))
    return Texture(
        kind=kind,
        scale=scale,
        color2=tuple(float((1.0 - contrast) * c) for c in base_color),
        roughness_variation=variation,
    )


# Road paint (lane lines, stop lines, crosswalks). It is retroreflective (glass beads, AASHTO M 247): LiDAR
# returns from markings are far stronger than from asphalt, which is how mobile mapping extracts them
# (Guan et al., ISPRS J. Photogramm. Remote Sens. 87, 2014, 93-107); 0.6 / 0.5 against the road's 0.1.
PAINT_WHITE = Material(base_color=(0.8, 0.8, 0.78), roughness=0.6, metallic=0.0, reflectivity=0.6)
PAINT_YELLOW = Material(base_color=(0.75, 0.5, 0.04), roughness=0.6, metallic=0.0, reflectivity=0.5)


def grey_material(level: float, roughness: float = 0.9, reflectivity: float = 0.2) -> Material:
    return Material(base_color=(level, level, level), roughness=roughness, metallic=0.0, reflectivity=reflectivity)


def sample_lighting(
    cfg: Any, rng: np.random.Generator, extra_rng: np.random.Generator | None = None
) -> tuple[list[Light], Environment]:
    """A sun from sampled elevation/azimuth/intensity and a grey ambient level; with ``extra_rng`` (its own
    generator, so the sun and ambient draws do not depend on them) also area lights and the sky kind."""
    key = "scene.lighting"
    elevation = np.radians(sample(f"{key}.sun_elevation_deg", cfg.sun_elevation_deg, rng))
    azimuth = np.radians(sample(f"{key}.sun_azimuth_deg", cfg.sun_azimuth_deg, rng))
    intensity = float(sample(f"{key}.sun_intensity", cfg.sun_intensity, rng))
    ambient = float(sample(f"{key}.ambient", cfg.ambient, rng))
    towards_sun = np.array(
        [np.cos(elevation) * np.cos(azimuth), np.cos(elevation) * np.sin(azimuth), np.sin(elevation)]
    )
    sun = Light(name="sun", kind="directional", intensity=intensity, direction=tuple(float(v) for v in -towards_sun))
    if extra_rng is None:
        return [sun], Environment(ambient=(ambient, ambient, ambient))
    lights = [sun, *area_lights(cfg, extra_rng)]
    sky = weighted_choice(dict(cfg.sky), extra_rng)
    return lights, Environment(ambient=(ambient, ambient, ambient), sky=sky)


def sample_hdri(cfg: Any, rng: np.random.Generator) -> str | None:
    """The environment map of ``cfg.hdri`` (name -> weight; "none": no map), drawn from ``rng`` (its own
    stream, so the choice moves no other draw); None for "none"."""
    name = weighted_choice(dict(cfg.hdri), rng)
    return None if name == "none" else name


def area_lights(cfg: Any, rng: np.random.Generator) -> list[Light]:
    """``cfg.area_lights`` square area lights, each hanging ``area_light_height_m`` above a point
    ``area_light_offset_m`` from the origin and facing the origin."""
    key = "scene.lighting"
    lights = []
    for k in range(int(sample(f"{key}.area_lights", cfg.area_lights, rng))):
        angle = float(rng.uniform(0.0, 2.0 * np.pi))
        offset = float(sample(f"{key}.area_light_offset_m", cfg.area_light_offset_m, rng))
        height = float(sample(f"{key}.area_light_height_m", cfg.area_light_height_m, rng))
        position = np.array([offset * np.cos(angle), offset * np.sin(angle), height])
        direction = -position / np.linalg.norm(position)
        lights.append(
            Light(
                name=f"area_{k}",
                kind="area",
                intensity=float(sample(f"{key}.area_light_intensity", cfg.area_light_intensity, rng)),
                direction=tuple(float(v) for v in direction),
                position=tuple(float(v) for v in position),
                size_m=float(sample(f"{key}.area_light_size_m", cfg.area_light_size_m, rng)),
            )
        )
    return lights


def make_camera(cfg: Any, ego_from_sensor: np.ndarray) -> Camera:
    """The rig camera from the camera config (explicit ``intrinsics`` or a horizontal ``fov_deg``) and a
    mount pose ``ego_from_sensor`` (OpenCV camera frame)."""
    if cfg.intrinsics is not None:
        fx, fy, cx, cy = (float(v) for v in cfg.intrinsics)
        K = np.array([[fx, 0.0, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]])
    else:
        K = intrinsics_from_fov(int(cfg.width), int(cfg.height), float(cfg.fov_deg))
    return Camera(
        name=cfg.name,
        width=int(cfg.width),
        height=int(cfg.height),
        K=K,
        ego_from_sensor=ego_from_sensor,
        znear=float(cfg.znear),
        zfar=float(cfg.zfar),
    )


ZERO_TIME = np.array([0.0])  # the time grid of something that never moves
SLOT_RETRIES = 4  # a slot whose object finds no free spot redraws its category and asset this often

# (category, asset choice, generator) -> (motion, support height in m) for one placement attempt, or
# None when the object cannot fit at all
ProposeMotion = Callable[[str, AssetChoice, np.random.Generator], "tuple[Motion, float] | None"]


def place_slots(
    cfg: Any,
    user_assets: list[UserAsset],
    root_seed: int,
    index: int,
    count: int,
    placer: Placer,
    propose: ProposeMotion,
    first_id: int = 1,
) -> list[Entity]:
    """Fill ``count`` object slots whose footprints never overlap at any time of the sequence;
    instance ids ``first_id``, ``first_id + 1``, ... in slot order.

    Slot k (and its retry r) draws from its own generators, keyed (k,) or (k, r), so the objects of
    other slots do not depend on it. A slot that finds no free spot in ``cfg.placement_attempts``
    proposals redraws its category and asset up to SLOT_RETRIES times before it is dropped.
    """
    entities: list[Entity] = []
    for slot in range(count):
        for retry in range(SLOT_RETRIES):
            keys = (slot,) if retry == 0 else (slot, retry)
            rng_layout = rng_for(root_seed, index, "layout", *keys)
            category = weighted_choice(dict(cfg.categories), rng_layout)
            choice = choose_asset(category, user_assets, rng_for(root_seed, index, "assets", *keys))
            material = object_material(
                cfg.materials,
                category,
                root_seed,
                index,
                (0, *keys),
                (rng_for(root_seed, index, "materials", *keys), rng_for(root_seed, index, "textures", *keys)),
            )
            placed = _first_free_motion(cfg.placement_attempts, category, choice, rng_layout, placer, propose)
            if placed is not None:
                iid = first_id + len(entities)
                entities.append(moving_entity(f"{category}_{iid:03d}", iid, category, choice, *placed, material))
                break
    return entities


def _first_free_motion(attempts, category, choice, rng, placer, propose):
    for _ in range(attempts):
        proposal = propose(category, choice, rng)
        if proposal is None:
            return None
        motion, _ = proposal
        if placer.try_place(SweptFootprint(motion.positions, motion.headings, choice.size_m[0], choice.size_m[1])):
            return proposal
    return None


def moving_entity(
    name: str,
    instance_id: int,
    category: str,
    choice: AssetChoice,
    motion: Motion,
    support_z: float,
    material: Material,
) -> Entity:
    """An entity riding on a horizontal support at height ``support_z`` (world metres) along ``motion``."""
    return Entity(
        name=name,
        instance_id=instance_id,
        category=category,
        asset=choice.ref,
        size_m=choice.size_m,
        trajectory=motion.trajectory(support_z + choice.size_m[2] / 2.0),
        material=material,
        scale=choice.scale,
        motion={"model": motion.model, **motion.params},
        skeleton=choice.skeleton,
    )

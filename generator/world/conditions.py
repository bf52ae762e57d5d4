"""The ``conditions`` config group -> scenes.Conditions, and what the conditions change in a Scene.

A preset (configs/conditions/NAME.yaml) states every key of ``KEYS``: numeric parameters are
distributions, each drawn from its own generator keyed by (conditions stream, scene, crc32 of the key), so
adding a key never moves another draw and no other stream of the scene sees a draw of the conditions: a
scene under any preset has the geometry, objects and instance maps of the same scene in clear_day.

What the conditions change in the Scene itself, so every backend shows it with its own means:
- the sun (elevation, azimuth, intensity, colour) and the ambient light and sky colour, replacing what
  ``scene.lighting`` drew (its draws still happen, so its stream is not shifted);
- the road's material when wet (darker, glossier; the LiDAR's loss on the water film is the ray
  caster's) or snow-covered (whiter, rough,
  snow's high 905 nm reflectance), and the sidewalks' under snow;
- street lamps and vehicle lamps (``generator.world.lamps``).
What they change along the sensors' rays (fog, rain, snow) is ``Scene.conditions``, which the camera
backends, the LiDAR and the radar apply (``scenes.atmosphere`` is the one extinction model).
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from generator.errors import ConfigError
from generator.errors import require as _require
from generator.world.distributions import parse_distribution
from generator.world.seeding import rng_for
from scenes import Conditions, Entity, Environment, Light, Material
from scenes.conditions import CLEAR_DAY, PRESETS
from scenes.plain_data import short_repr


@dataclass(frozen=True)
class Key:
    """One key of a conditions preset: a distribution in [low, high] (``unit``), or a fixed value of
    ``kind`` "bool" or "color" (linear RGB in [0, 1]); ``optional``: null means "not set by the conditions"
    (fog: no fog; the sun: what scene.lighting drew)."""

    description: str
    low: float = 0.0
    high: float = 0.0
    unit: str = ""
    kind: str = "number"  # number | bool | color
    optional: bool = False


KEYS: dict[str, Key] = {
    "visibility_m": Key(
        "meteorological optical range of fog or haze (WMO, 5 % contrast)", 5.0, 1e5, "m", optional=True
    ),
    "rain_rate_mm_h": Key("rain rate", 0.0, 300.0, "mm/h"),
    "snow_rate_mm_h": Key("snowfall rate, liquid equivalent", 0.0, 30.0, "mm/h"),
    "wet_road": Key("road wetness, 0 dry to 1 a water film", 0.0, 1.0),
    "snow_cover": Key("share of the ground whitened by lying snow", 0.0, 1.0),
    "sun_elevation_deg": Key("sun elevation above the horizon", -90.0, 90.0, "deg", optional=True),
    "sun_azimuth_deg": Key(
        "sun azimuth from the ego's heading (+x) towards its left", -360.0, 360.0, "deg", optional=True
    ),
    "sun_intensity": Key(
        "sun irradiance, renderer units as scene.lighting.sun_intensity", 0.0, 100.0, "W/m^2", optional=True
    ),
    "sun_color": Key("sun colour", kind="color", optional=True),
    "ambient": Key("ambient grey level", 0.0, 1.0, optional=True),
    "sky_color": Key("sky and background colour (also the sky kind: plain colour)", kind="color", optional=True),
    "airlight": Key("horizon sky radiance that fog, rain and snow scatter into view", kind="color"),
    "street_lights": Key("lamps along the sidewalks are lit", kind="bool"),
    "vehicle_lights": Key("vehicles carry lit head and tail lights", kind="bool"),
    "street_light_spacing_m": Key("distance between street lamps along each sidewalk", 5.0, 200.0, "m"),
    "street_light_intensity": Key("street lamp intensity, renderer units of a spot light", 0.0, 1e5, "W"),
    "headlight_intensity": Key("head lamp intensity, renderer units of a spot light", 0.0, 1e5, "W"),
}
NUMBER_KEYS = tuple(k for k, v in KEYS.items() if v.kind == "number")
PARAMETER_KEY = 1_000_000  # subkey of parameter draws: lamps use subkeys 0, 1, ...


def validate_conditions(node: Any) -> None:
    """The preset's name and every key: numbers as distributions inside their physical range, colours
    three numbers in [0, 1], flags booleans. One line naming the key at fault."""
    _require(isinstance(node, dict), f"conditions: expected a mapping with a name, got {short_repr(node)}")
    name = node.get("name")
    _require(name in PRESETS, f"conditions.name: unknown conditions {short_repr(name)}; known: {', '.join(PRESETS)}")
    for key in sorted(set(node) - {"name"} - set(KEYS)):
        raise ConfigError(f"conditions.{key}: unknown key; known: {', '.join(KEYS)}")
    for key, spec in KEYS.items():
        where = f"conditions.{key}"
        _require(key in node, f"{where}: missing; choose a preset with conditions={name} to get its defaults")
        if name == CLEAR_DAY and key in node and not _clear_day_values({**_CLEAR_VALUES, key: node[key]}):
            raise ConfigError(
                f"{where}: conditions=clear_day sets nothing; choose the preset it belongs to (e.g. conditions=fog, "
                f"conditions=rain, conditions=night) and override its keys there"
            )
        value = node[key]
        if value is None:
            _require(spec.optional, f"{where}: must be set (null is not allowed)")
            continue
        if spec.kind == "bool":
            _require(isinstance(value, bool), f"{where}: must be true or false, got {short_repr(value)}")
        elif spec.kind == "color":
            ok = (
                isinstance(value, list | tuple)
                and len(value) == 3
                and all(isinstance(c, int | float) and not isinstance(c, bool) and 0 <= c <= 1 for c in value)
            )
            _require(
                ok, f"{where}: must be a linear RGB colour [r, g, b] with values in [0, 1], got {short_repr(value)}"
            )
        else:
            low, high = parse_distribution(where, value).support()
            unit = f" {spec.unit}" if spec.unit else ""
            ok = math.isfinite(low) and math.isfinite(high) and spec.low <= low and high <= spec.high
            if key == "visibility_m":  # visibility 0 would be an infinitely dense fog
                ok = ok and low > 0
            _require(ok, f"{where}: must lie in [{spec.low:g}, {spec.high:g}]{unit}, can draw [{low:g}, {high:g}]")


_CLEAR_VALUES = {"rain_rate_mm_h": 0.0, "snow_rate_mm_h": 0.0, "wet_road": 0.0, "snow_cover": 0.0}


def validate_conditions_for_scene(node: dict[str, Any], scene_kind: str) -> None:
    """Street and vehicle lamps exist only in a street: a tabletop under them would be a black frame."""
    for key in ("street_lights", "vehicle_lights"):
        _require(
            not node.get(key) or scene_kind == "street",
            f"conditions.{key}: lamps light streets; scene={scene_kind} has none (set conditions.{key}=false)",
        )


def is_clear_day(node: Any) -> bool:
    """True when the conditions config is the default clear_day: nothing in the scene changes."""
    return not node or node.get("name", CLEAR_DAY) == CLEAR_DAY and _clear_day_values(node)


def _clear_day_values(node: dict[str, Any]) -> bool:
    """clear_day's own values: every optional key null, no precipitation, no lamps (as its YAML states)."""
    for key, spec in KEYS.items():
        value = node.get(key)
        if spec.optional and value is not None:
            return False
        if key in ("rain_rate_mm_h", "snow_rate_mm_h", "wet_road", "snow_cover") and value not in (None, 0, 0.0):
            return False
        if spec.kind == "bool" and value:
            return False
    return True


def may_attenuate(node: dict[str, Any]) -> bool:
    """Whether the (validated) preset can draw a medium along the rays: fog, rain or snow."""
    if node.get("visibility_m") is not None:
        return True
    return any(parse_distribution(f"conditions.{k}", node.get(k, 0.0)).support()[1] > 0 for k in ATTENUATING)


ATTENUATING = ("rain_rate_mm_h", "snow_rate_mm_h")


def draw_conditions(node: dict[str, Any], root_seed: int, index: int) -> dict[str, Any]:
    """Every key of the (validated) preset: numbers drawn, each from its own generator, fixed values as
    they are (plain data, recorded in scene.json through Conditions and the scene's params)."""
    drawn: dict[str, Any] = {}
    for key, spec in KEYS.items():
        value = node[key]
        if value is None or spec.kind != "number":
            drawn[key] = value if spec.kind != "color" or value is None else tuple(float(c) for c in value)
            continue
        rng = rng_for(root_seed, index, "conditions", PARAMETER_KEY, zlib.crc32(key.encode()))
        drawn[key] = float(parse_distribution(f"conditions.{key}", value).sample(rng))
    return drawn


def conditions_from(name: str, drawn: dict[str, Any]) -> Conditions:
    """The scene's Conditions from the drawn keys."""
    return Conditions(
        name=name,
        visibility_m=drawn["visibility_m"],
        rain_rate_mm_h=drawn["rain_rate_mm_h"],
        snow_rate_mm_h=drawn["snow_rate_mm_h"],
        wet_road=drawn["wet_road"],
        snow_cover=drawn["snow_cover"],
        sun_elevation_deg=drawn["sun_elevation_deg"],
        sun_azimuth_deg=drawn["sun_azimuth_deg"],
        street_lights=bool(drawn["street_lights"]),
        vehicle_lights=bool(drawn["vehicle_lights"]),
        airlight=drawn["airlight"],
    )


def relit(
    lights: list[Light], environment: Environment, drawn: dict[str, Any], street: bool = True
) -> tuple[list[Light], Environment]:
    """The scene's sun, ambient and sky with what the conditions set replacing what scene.lighting drew
    (the sun is the first directional light; a missing elevation or azimuth keeps the drawn sun's; a sun
    at or below the horizon lights nothing). In a street, conditions that set the sun's intensity also
    remove scene.lighting's area lights."""
    lights = list(lights)
    for k, light in enumerate(lights):
        if light.kind != "directional":
            continue
        towards = -np.asarray(light.direction, np.float64)
        elevation = math.degrees(math.asin(max(-1.0, min(1.0, towards[2]))))
        azimuth = math.degrees(math.atan2(towards[1], towards[0]))
        if drawn["sun_elevation_deg"] is not None:
            elevation = drawn["sun_elevation_deg"]
        if drawn["sun_azimuth_deg"] is not None:
            azimuth = drawn["sun_azimuth_deg"]
        el, az = math.radians(elevation), math.radians(azimuth)
        direction = (-math.cos(el) * math.cos(az), -math.cos(el) * math.sin(az), -math.sin(el))
        intensity = light.intensity if drawn["sun_intensity"] is None else drawn["sun_intensity"]
        if elevation <= 0.0:  # below the horizon (dusk): the sky's light alone (the ambient), no sun
            intensity = 0.0
        color = light.color if drawn["sun_color"] is None else drawn["sun_color"]
        lights[k] = replace(light, direction=tuple(float(v) for v in direction), intensity=intensity, color=color)
        break
    if drawn["sun_intensity"] is not None and street:
        # scene.lighting's area lights (drawn, so its stream does not move) are studio lamps over the ego's
        # start: under conditions that set the daylight they would outshine a street lamp at night
        lights = [light for light in lights if light.kind != "area"]
    if drawn["ambient"] is not None:
        environment = replace(environment, ambient=(drawn["ambient"],) * 3)
    if drawn["sky_color"] is not None:
        environment = replace(environment, background=drawn["sky_color"], sky="color", hdri=None)  # their sky
    return lights, environment


# Wet asphalt: a water film fills the texture, so the surface turns darker (diffuse albedo falls from ~0.1
# to ~0.05-0.07; Lekner and Dorf, "Why some things are darker when wet", Applied Optics 27(7), 1988) and
# specular (roughness falls). At 905 nm the film mirrors the pulse away from the sensor at the road's
# grazing incidence (Vargas Rivero et al., "Weather classification using an automotive LIDAR sensor based
# on detections on asphalt and atmosphere", Sensors 20(15), 2020, measure fewer and weaker asphalt returns
# in the wet); the ray caster models that with the film's Fresnel transmission (renderers.raycast.weather),
# so the material's LiDAR reflectivity stays the dry asphalt's.
WET_DARKENING = 0.45  # base colour kept: 1 - WET_DARKENING * wet_road
WET_ROUGHNESS = 0.15  # roughness of a water film (wet_road = 1)
SNOW_ALBEDO = 0.85  # fresh snow's visible albedo (~0.8-0.9, Warren 1982)
SNOW_REFLECTIVITY = 0.8  # snow at 905 nm (Warren 1982: albedo ~0.8 in the near infrared at 0.9 um)
WET_CATEGORIES = ("road",)
SNOW_CATEGORIES = ("road", "sidewalk", "ground", "road_marking", "manhole")  # lying snow hides paint and covers


def weathered_material(material: Material, category: str, drawn: dict[str, Any]) -> Material:
    """A context surface's material under the conditions: wet road, then lying snow over it."""
    wet, snow = drawn["wet_road"], drawn["snow_cover"]
    if category in WET_CATEGORIES and wet > 0:
        keep = 1.0 - WET_DARKENING * wet
        material = replace(
            material,
            base_color=tuple(c * keep for c in material.base_color),
            roughness=material.roughness + (WET_ROUGHNESS - material.roughness) * wet,
        )
    if category in SNOW_CATEGORIES and snow > 0:
        # both colours of a pattern (the sidewalk's paving slabs) go under the snow alike
        texture = material.texture
        if texture.kind != "none":
            texture = replace(texture, color2=tuple(c + (SNOW_ALBEDO - c) * snow for c in texture.color2))
        material = replace(
            material,
            base_color=tuple(c + (SNOW_ALBEDO - c) * snow for c in material.base_color),
            texture=texture,
            roughness=material.roughness + (0.95 - material.roughness) * snow,
            reflectivity=material.reflectivity + (SNOW_REFLECTIVITY - material.reflectivity) * snow,
        )
    return material


def weathered_context(entities: list[Entity], drawn: dict[str, Any]) -> list[Entity]:
    """Context entities (instance id 0) with wet or snowy materials; labelled objects untouched."""
    return [
        e if e.is_labelled else replace(e, material=weathered_material(e.material, e.category, drawn)) for e in entities
    ]

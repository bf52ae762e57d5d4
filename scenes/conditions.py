"""Conditions: the weather and time of day a scene is seen in (issue 14), as plain scene data.

The conditions preset and its drawn parameters live here; the extinction coefficients every sensor
applies come from ``scenes.atmosphere``, so a camera, a LiDAR and a radar see one physical state. What
the conditions change in the scene's own geometry-free data (the sun, the ambient light, street and vehicle
lamps, a wet or snow-covered road's material) is already in the Scene's lights and materials; what they
change along the sensors' rays (fog, rain, snow) each backend applies from the values below.

Labels never depend on conditions: geometry, instance maps and boxes are those of the same scene in
clear weather.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from scenes.atmosphere import (
    LIDAR_WAVELENGTH_NM,
    fog_extinction,
    fog_extinction_at,
    rain_extinction,
    snow_extinction,
)

CLEAR_DAY = "clear_day"
# The stream number of the per-frame weather draws (generator.world.seeding.STREAMS["weather"]); a scene's
# ``seeds["streams"]`` records it, and scenes written before it existed never draw weather.
WEATHER_STREAM = 13
_NEGATIVE_TIME_KEY = 2**62  # microseconds: t < 0 maps above every reachable t >= 0
PRESETS = ("clear_day", "overcast", "dusk", "night", "low_sun", "fog", "rain", "snow")


@dataclass
class Conditions:
    """The weather and light of a scene.

    Attributes:
        name: the preset it was drawn from (``PRESETS``).
        visibility_m: meteorological optical range of fog or haze (m, WMO's 5 % contrast); None = clear
            air.
        rain_rate_mm_h: rain rate (mm/h), 0 = none.
        snow_rate_mm_h: liquid-equivalent snowfall rate (mm/h), 0 = none.
        wet_road: how wet the road is, 0 (dry) to 1 (a water film): darker, glossier asphalt, weaker
            LiDAR ground returns.
        snow_cover: share of the ground whitened by lying snow, 0 to 1.
        sun_elevation_deg, sun_azimuth_deg: the sun's direction this preset set (degrees above the horizon,
            azimuth from +x towards +y); None where the scene's lighting config drew it.
        street_lights: lamps on posts along the sidewalks are lit (night, dusk).
        vehicle_lights: vehicles carry lit head and tail lights.
        airlight: linear RGB radiance of the horizon sky that fog, rain and snow scatter into the view
            (Koschmieder's A).
    """

    name: str = CLEAR_DAY
    visibility_m: float | None = None
    rain_rate_mm_h: float = 0.0
    snow_rate_mm_h: float = 0.0
    wet_road: float = 0.0
    snow_cover: float = 0.0
    sun_elevation_deg: float | None = None
    sun_azimuth_deg: float | None = None
    street_lights: bool = False
    vehicle_lights: bool = False
    airlight: tuple[float, float, float] = (0.8, 0.8, 0.8)

    @property
    def is_clear(self) -> bool:
        """No medium along any ray: the sensors see what they saw before conditions existed."""
        return self.visibility_m is None and self.rain_rate_mm_h == 0 and self.snow_rate_mm_h == 0

    def fog_extinction(self) -> float:
        """Fog's extinction (1/m) at 550 nm; 0 without fog."""
        return 0.0 if self.visibility_m is None else fog_extinction(self.visibility_m)

    def camera_extinction(self) -> float:
        """Extinction coefficient beta (1/m) in the visible: fog (ln 20 / MOR) + rain (Goodin) + snow
        (Gunn-Marshall); see ``scenes.atmosphere``."""
        return self.fog_extinction() + rain_extinction(self.rain_rate_mm_h) + snow_extinction(self.snow_rate_mm_h)

    def lidar_fog_extinction(self) -> float:
        """Fog's extinction (1/m) at the LiDAR's 905 nm (Kim et al. 2001): equal to the visible value in
        fog proper (MOR < 500 m), smaller in haze."""
        return 0.0 if self.visibility_m is None else fog_extinction_at(self.visibility_m, LIDAR_WAVELENGTH_NM)

    def lidar_extinction(self) -> float:
        """Extinction coefficient alpha (1/m) at 905 nm: fog at 905 nm + rain + snow (the precipitation's
        drops and flakes are far larger than either wavelength, so they attenuate both alike). A hard
        return keeps exp(-2 * alpha * R)."""
        return self.lidar_fog_extinction() + rain_extinction(self.rain_rate_mm_h) + snow_extinction(self.snow_rate_mm_h)

    def record(self) -> dict:
        """The conditions as label metadata (labels.json, COCO image entries): the preset and its values."""
        return {
            "name": self.name,
            "visibility_m": self.visibility_m,
            "rain_rate_mm_h": self.rain_rate_mm_h,
            "snow_rate_mm_h": self.snow_rate_mm_h,
            "wet_road": self.wet_road,
            "snow_cover": self.snow_cover,
            "sun_elevation_deg": self.sun_elevation_deg,
            "sun_azimuth_deg": self.sun_azimuth_deg,
            "street_lights": self.street_lights,
            "vehicle_lights": self.vehicle_lights,
            "camera_extinction_per_m": self.camera_extinction(),
            "lidar_extinction_per_m": self.lidar_extinction(),
        }


def weather_rng(seeds: dict[str, Any], scene_index: int, t: float, sensor: str) -> np.random.Generator:
    """The Generator of the weather one sensor sees at time ``t`` seconds (rain drops and snow flakes in
    a camera image, snow and fog returns of a LiDAR, radar clutter), keyed by (scene, weather stream,
    t in microseconds, crc32 of the sensor name): the same whatever the worker, shard, frame order or
    backend, and independent of every other draw of the scene. ``seeds``: the scene's ``seeds`` record."""
    root = int(seeds.get("attempt_seed", seeds["root_seed"]))
    micros = int(round(t * 1e6))
    # spawn keys are non-negative: a skewed sweep of frame 0 starts before the scene (t < 0), keyed apart
    micros = micros if micros >= 0 else _NEGATIVE_TIME_KEY - micros
    key = (int(scene_index), WEATHER_STREAM, micros, zlib.crc32(sensor.encode()))
    return np.random.default_rng(np.random.SeedSequence(root, spawn_key=key))

"""A radar frame under rain (issue 14): two-way rain attenuation of every detection and light rain clutter.

Called by :func:`renderers.raycast.radar.detect_radar` only when ``scene.conditions`` has rain; a clear
scene, fog or snow alone never reach it (below).

Rain attenuation (ITU-R P.838-3, "Specific attenuation model for rain for use in prediction methods",
2005): gamma = k R^alpha dB/km for a rain rate R in mm/h, with k and alpha from the recommendation's
Eqs. (2)-(3) and Tables 1-4 evaluated at 77 GHz: k_H = 1.1320, alpha_H = 0.7177, k_V = 1.1276, alpha_V =
0.7073; a horizontal path (elevation 0) at 45 deg polarisation tilt, Eqs. (4)-(5), averages them to
k = 1.1298, alpha = 0.7125 (5.8 dB/km at 10 mm/h, 18 dB/km at 50 mm/h). A detection at range r loses
2 gamma r / 1000 dB there and back: its received power, and so the RCS the radar infers from it (it assumes
clear air), drop by that much. The radar keeps a detection iff its attenuated power is at least what the same
target returns at ``radar.max_range`` in clear air, ``40 log10 r + loss(r) <= 40 log10 max_range``: the
rated range as the link budget, as for the LiDAR (renderers.raycast.weather), independent of the RCS and
equal to the clear radar's range limit without rain.

Fog is left out: ITU-R P.840-8's specific attenuation of liquid water at 77 GHz and 10 deg C is K_l = 3.1
(dB/km)/(g/m^3) (its double-Debye model), so dense fog of 0.1-0.3 g/m^3 costs 0.3-1 dB/km, under 0.4 dB
over a 200 m round trip. Snow is left out too: dry snow attenuates 77 GHz far less than rain of the same
liquid rate, and ITU-R gives no model for it.

Rain clutter. Rain's volume reflectivity (Rayleigh; Doviak and Zrnic, Doppler Radar and Weather
Observations, 1993, Eq. 4.33) eta = pi^5 |K_w|^2 Z / lambda^4 (|K_w|^2 = 0.93, Z in m^6/m^3) with
Marshall and Palmer's Z = 200 R^1.6 mm^6/m^3 (J. Meteorology 5, 1948), an upper bound at 77 GHz where the
larger drops leave the Rayleigh regime. A scan cell of solid angle d_omega and depth range_resolution at
range r holds sigma_c = eta r^2 d_omega dr of it, the same cross-section proxy as a surface cell (radar.py),
and returns sigma_c / r^4. Where that exceeds the clear radar's floor (a REFERENCE_RCS_DBSM target at
max_range) the cell is clutter-limited: out to r_c = sqrt(eta d_omega dr max_range^4 / sigma_ref), 14 m at
10 mm/h for the ARS 408. A cell-averaging CFAR detector holds its false-alarm probability P_fa in such cells
(Richards, Fundamentals of Radar Signal Processing, 2005, ch. 6), so each range bin of a clutter-limited cell
in front of the cell's surface yields a false detection with probability P_fa, with exponentially
distributed power above the CFAR threshold (Rayleigh clutter: mean power times ln(1 / P_fa) + Exp(1)). The
count grows with the rain rate (r_c grows as R^0.8). Clutter detections have instance id 0, the semantic class
``weather`` and the velocity of the ground (rain falls, it does not travel with the ego): their radial
velocity is that of the static world, 0 for a standing ego.

Every draw comes from ``scenes.conditions.weather_rng(scene.seeds, scene.index, t, radar.name)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scenes import Radar, Scene
from scenes.conditions import weather_rng
from scenes.taxonomy import semantic_id

FREQUENCY_HZ = 77e9
P838_K, P838_ALPHA = 1.1298, 0.7125  # ITU-R P.838-3 at 77 GHz, horizontal path, 45 deg tilt (docstring)
WATER_K2 = 0.93  # |K_w|^2, dielectric factor of water in the radar reflectivity factor
REFERENCE_RCS_DBSM = 10.0  # a passenger car, the target a radar's rated range is stated for
FALSE_ALARM_PROBABILITY = 1e-4  # per clutter-limited range-azimuth-elevation cell and frame (CFAR design)
WEATHER_SEMANTIC_ID = semantic_id("weather")


def rain_attenuation_db_per_km(rate_mm_h: float) -> float:
    """ITU-R P.838-3 specific attenuation (dB/km) of rain at ``rate_mm_h`` at 77 GHz: k R^alpha."""
    return P838_K * float(rate_mm_h) ** P838_ALPHA


def two_way_loss_db(range_m: np.ndarray, rate_mm_h: float) -> np.ndarray:
    """(m,) dB lost over the round trip to ``range_m`` (m) through rain of ``rate_mm_h``."""
    return 2.0 * rain_attenuation_db_per_km(rate_mm_h) * np.asarray(range_m, np.float64) / 1000.0


def detectable(range_m: np.ndarray, rate_mm_h: float, max_range: float) -> np.ndarray:
    """(m,) bool: 40 log10 r + loss(r) <= 40 log10 max_range (module docstring)."""
    r = np.asarray(range_m, np.float64)
    return 40.0 * np.log10(r) + two_way_loss_db(r, rate_mm_h) <= 40.0 * np.log10(max_range)


def rain_reflectivity(rate_mm_h: float) -> float:
    """eta (m^2/m^3, Rayleigh) of rain at ``rate_mm_h``: pi^5 |K_w|^2 Z / lambda^4, Z = 200 R^1.6."""
    wavelength = 299_792_458.0 / FREQUENCY_HZ
    z = 200.0 * float(rate_mm_h) ** 1.6 * 1e-18  # mm^6/m^3 -> m^6/m^3
    return np.pi**5 * WATER_K2 * z / wavelength**4


def clutter_reach(radar: Radar, rate_mm_h: float, cell_solid_angle: np.ndarray) -> np.ndarray:
    """(c,) metres out to which each scan cell (solid angle, sr) is clutter-limited (module docstring)."""
    sigma_ref = 10.0 ** (REFERENCE_RCS_DBSM / 10.0)
    eta = rain_reflectivity(rate_mm_h)
    return np.sqrt(eta * cell_solid_angle * radar.range_resolution * radar.max_range**4 / sigma_ref)


@dataclass(frozen=True)
class Clutter:
    """Clutter detections (k): scan cell index (k,), range (k,) m, rcs (k,) dBsm as the radar infers it."""

    cell: np.ndarray
    range_m: np.ndarray
    rcs: np.ndarray


def rain_clutter(scene: Scene, radar: Radar, t: float, surface_m: np.ndarray, cell_solid_angle: np.ndarray) -> Clutter:
    """Rain clutter of one frame: per scan cell (``surface_m`` (c,) its surface's range, inf for none) a
    Poisson count of mean P_fa * (clutter-limited depth in front of the surface) / range_resolution."""
    rate = scene.conditions.rain_rate_mm_h
    rng = weather_rng(scene.seeds, scene.index, t, radar.name)
    dr = radar.range_resolution
    reach = np.minimum(np.minimum(clutter_reach(radar, rate, cell_solid_angle), surface_m), radar.max_range)
    depth = np.clip(reach - dr, 0.0, None)  # clutter-limited depth in front of the surface, past the first bin
    counts = rng.poisson(FALSE_ALARM_PROBABILITY * depth / dr)
    cell = np.repeat(np.arange(len(depth)), counts)
    r = dr + depth[cell] * rng.random(len(cell))
    sigma_mean = rain_reflectivity(rate) * r**2 * cell_solid_angle[cell] * dr
    sigma = sigma_mean * (np.log(1.0 / FALSE_ALARM_PROBABILITY) + rng.exponential(1.0, len(cell)))
    rcs = 10.0 * np.log10(sigma) - two_way_loss_db(r, rate)
    return Clutter(cell, r, rcs)

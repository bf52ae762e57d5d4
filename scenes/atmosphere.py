"""One extinction model for every sensor: how fog and rain attenuate light along a path, from the
visibility and rain rate a weather condition states (issue 14, step 1: the physics; the renderers and the
ray caster apply it).

Extinction coefficients are in 1/m; a path of length d (m) through a medium of extinction beta keeps the
share t = exp(-beta * d) of its light (Beer-Lambert). A camera sees a surface along one path, a LiDAR's
pulse travels to its target and back, so its hard return keeps exp(-2 * beta * R).

Fog. The meteorological optical range (MOR, ``visibility_m``) is the distance at which the contrast of a
black object against the horizon sky falls to the threshold epsilon; WMO defines MOR with epsilon = 5 %
(WMO-No. 8, Guide to Instruments and Methods of Observation, ch. 9), so Koschmieder's law gives
beta = -ln(epsilon) / MOR = ln(20) / MOR ~ 3.0 / MOR at 550 nm. (The older 2 % threshold gives ln(50) / V
~ 3.912 / V, the constant of the Kruse formula.) The value at another wavelength follows Kim, McArthur and
Korevaar (Proc. SPIE 4214, 2001): beta(lambda) = beta(550 nm) * (lambda / 550 nm)^-q, with q = 1.6 for
V > 50 km, 1.3 for 6-50 km, 0.16 V + 0.34 for 1-6 km, V - 0.5 for 0.5-1 km and 0 below 0.5 km (V in km).
In fog proper (V < 500 m) the droplets are much larger than either wavelength and the LiDAR's 905 nm sees
the visible value (Pierce et al., Proc. SPIE 4530, 2001, reach the same conclusion from Mie theory); in
light haze 905 nm is attenuated less than the visible.

Rain. Marshall and Palmer ("The distribution of raindrops with size", J. Meteorology 5, 1948) give the drop
spectrum N(D) = N0 exp(-Lambda D), N0 = 8000 m^-3 mm^-1, Lambda = 4.1 R^-0.21 mm^-1 for a rain rate R in
mm/h. Drops (0.1-5 mm) are far larger than both wavelengths, so each removes twice its cross-section
(extinction efficiency 2) and beta = pi N0 / Lambda^3 * 1e-6 = 3.65e-4 R^0.63 per metre for the camera and
the LiDAR alike: a MOR of 1.9 km at 10 mm/h and 1.1 km at 25 mm/h, as observed in heavy rain. (Goodin et
al., "Predicting the Influence of Rain on LIDAR in ADAS", Electronics 8(1), 2019, quote alpha = 0.01 R^0.6;
read per metre it would give a MOR of 52 m at 19 mm/h, 25 times the drop spectrum's extinction and far
below observed visibilities in rain, so the extinction here is Marshall-Palmer's; the LiDAR takes its rain
range noise and lost returns from Goodin et al.)

Camera image in fog (Koschmieder's model of airlight): a surface of radiance J at depth d appears as
I = J * t + A * (1 - t), t = exp(-beta * d), where A is the airlight (the horizon sky's radiance); a pixel
with no surface (depth 0 in our depth maps: the sky) shows A.
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np

MOR_CONTRAST = 0.05  # WMO's contrast threshold defining the meteorological optical range
REFERENCE_WAVELENGTH_NM = 550.0  # visibility is stated for the eye's peak sensitivity
LIDAR_WAVELENGTH_NM = 905.0  # the automotive LiDARs of scenes/sensor_presets.py


def fog_extinction(visibility_m: float, contrast: float = MOR_CONTRAST) -> float:
    """Extinction coefficient (1/m) at 550 nm of a fog or haze of meteorological optical range
    ``visibility_m`` (m): -ln(contrast) / visibility (ln 20 / MOR at WMO's 5 %)."""
    if not (isinstance(visibility_m, Real) and math.isfinite(visibility_m) and visibility_m > 0):
        raise ValueError(f"visibility_m must be a finite number > 0 metres, got {visibility_m!r}")
    if not 0.0 < contrast < 1.0:
        raise ValueError(f"contrast threshold must lie in (0, 1), got {contrast!r}")
    return -math.log(contrast) / float(visibility_m)


def kim_exponent(visibility_m: float) -> float:
    """The size-distribution exponent q of Kim et al. (2001) for a visibility (m), piecewise in km."""
    v = visibility_m / 1000.0
    if v > 50.0:
        return 1.6
    if v > 6.0:
        return 1.3
    if v > 1.0:
        return 0.16 * v + 0.34
    if v > 0.5:
        return v - 0.5
    return 0.0


def fog_extinction_at(visibility_m: float, wavelength_nm: float, contrast: float = MOR_CONTRAST) -> float:
    """Extinction coefficient (1/m) at ``wavelength_nm`` of the fog of visibility ``visibility_m`` (m):
    the 550 nm value scaled by (wavelength / 550 nm)^-q (Kim et al. 2001)."""
    if not wavelength_nm > 0:
        raise ValueError(f"wavelength_nm must be > 0, got {wavelength_nm!r}")
    ratio = (wavelength_nm / REFERENCE_WAVELENGTH_NM) ** (-kim_exponent(visibility_m))
    return fog_extinction(visibility_m, contrast) * ratio


MARSHALL_PALMER_N0 = 8000.0  # 1/(m^3 mm)


def marshall_palmer_slope(rate_mm_h: float) -> float:
    """Lambda (1/mm) of the Marshall-Palmer drop spectrum for a rain rate (mm/h > 0): 4.1 R^-0.21."""
    return 4.1 * float(rate_mm_h) ** -0.21


def rain_extinction(rate_mm_h: float) -> float:
    """Extinction coefficient (1/m) of rain falling at ``rate_mm_h`` (mm/h): pi N0 / Lambda^3 of the
    Marshall-Palmer spectrum (3.65e-4 R^0.63), for the camera and the LiDAR alike; 0 for no rain."""
    if not (isinstance(rate_mm_h, Real) and math.isfinite(rate_mm_h) and rate_mm_h >= 0):
        raise ValueError(f"rain_rate_mm_h must be a finite number >= 0, got {rate_mm_h!r}")
    if rate_mm_h == 0:
        return 0.0
    return math.pi * MARSHALL_PALMER_N0 / marshall_palmer_slope(rate_mm_h) ** 3 * 1e-6


def transmittance(beta: float, distance_m: np.ndarray | float, two_way: bool = False) -> np.ndarray:
    """Share of light kept over ``distance_m`` (m) through extinction ``beta`` (1/m): exp(-beta * d), or
    exp(-2 * beta * d) for a round trip (a LiDAR pulse to its target and back)."""
    path = np.asarray(distance_m, dtype=np.float64) * (2.0 if two_way else 1.0)
    return np.exp(-beta * path)


def koschmieder(radiance: np.ndarray, depth_m: np.ndarray, beta: float, airlight: np.ndarray) -> np.ndarray:
    """Koschmieder's fogged image I = J * t + A * (1 - t), t = exp(-beta * depth), in linear radiance.

    Args:
        radiance: J, (H, W, C) linear radiance of the clear image.
        depth_m: (H, W) distance along each pixel's ray to its surface (m); 0 where there is none (sky),
            which shows the airlight.
        beta: extinction coefficient (1/m).
        airlight: A, (C,) linear radiance of the horizon sky.
    """
    depth = np.asarray(depth_m, dtype=np.float64)
    t = np.where(depth > 0.0, np.exp(-beta * depth), 0.0)[..., None]
    return np.asarray(radiance, dtype=np.float64) * t + np.asarray(airlight, dtype=np.float64) * (1.0 - t)


# Snow. Gunn and Marshall ("The distribution with size of aggregate snowflakes", J. Meteorology 15, 1958)
# measured N(D) = N0 exp(-Lambda D) with N0 = 3.8e3 R^-0.87 m^-3 mm^-1 and Lambda = 2.55 R^-0.48 mm^-1,
# R the liquid-equivalent snowfall rate in mm/h and D the diameter of the melted flake (mm). A dry
# aggregate of bulk density rho_s is a sphere of diameter D (rho_w / rho_s)^(1/3); with rho_s = 0.1 g/cm^3
# (Magono and Nakamura 1965 give 0.01-0.2 for dry aggregates) that is 2.15 D. Flakes are far larger than
# the wavelength, so each removes twice its geometric cross-section (extinction efficiency 2, the
# extinction paradox): beta = 2 * (pi / 4) * k^2 * integral D^2 N(D) dD = pi k^2 N0 / Lambda^3 (D in mm
# -> 1e-6 m^2). For R = 1 mm/h that is 3.3e-3 1/m, a MOR of ~900 m, within the spread Rasmussen et al.
# (J. Appl. Meteorology 38, 1999) report for moderate snow; the camera and the LiDAR see the same value.
SNOW_DENSITY_G_CM3 = 0.1  # bulk density of a dry aggregate flake
SNOW_DIAMETER_FACTOR = (1.0 / SNOW_DENSITY_G_CM3) ** (1.0 / 3.0)  # flake diameter / melted diameter


def gunn_marshall(rate_mm_h: float) -> tuple[float, float]:
    """(N0 in 1/(m^3 mm), Lambda in 1/mm) of the Gunn-Marshall size distribution of the melted diameter
    for a liquid-equivalent snowfall rate (mm/h > 0)."""
    if not (isinstance(rate_mm_h, Real) and math.isfinite(rate_mm_h) and rate_mm_h > 0):
        raise ValueError(f"snow_rate_mm_h must be a finite number > 0, got {rate_mm_h!r}")
    return 3.8e3 * rate_mm_h**-0.87, 2.55 * rate_mm_h**-0.48


def snow_number_density(rate_mm_h: float) -> float:
    """Flakes per cubic metre (all sizes) of snow falling at ``rate_mm_h``: N0 / Lambda."""
    n0, lam = gunn_marshall(rate_mm_h)
    return n0 / lam


def snow_extinction(rate_mm_h: float) -> float:
    """Extinction coefficient (1/m) of snow falling at ``rate_mm_h`` (liquid equivalent, mm/h), for the
    camera and the LiDAR alike; 0 for no snow."""
    if not (isinstance(rate_mm_h, Real) and math.isfinite(rate_mm_h) and rate_mm_h >= 0):
        raise ValueError(f"snow_rate_mm_h must be a finite number >= 0, got {rate_mm_h!r}")
    if rate_mm_h == 0:
        return 0.0
    n0, lam = gunn_marshall(float(rate_mm_h))
    return math.pi * SNOW_DIAMETER_FACTOR**2 * n0 / lam**3 * 1e-6


def sample_flake_diameters(rate_mm_h: float, count: int, rng: np.random.Generator) -> np.ndarray:
    """(count,) flake diameters in metres drawn from the Gunn-Marshall distribution (an exponential of
    mean 1 / Lambda in melted diameter), scaled to the dry flake's size."""
    _, lam = gunn_marshall(rate_mm_h)
    return rng.exponential(1.0 / lam, size=count) * SNOW_DIAMETER_FACTOR * 1e-3

"""A LiDAR sweep under conditions: fog, rain and snow along the beams, and a wet road (issue 14).

Called by :func:`renderers.raycast.lidar.cast_lidar` only for a scene whose conditions are not clear (or
whose road is wet), after the clear sweep's hits are known; a clear scene never reaches this module, so its
points are those of before conditions existed. Written from the papers' equations, not from any code.

Units. Powers are in the clear intensity model's unit (lidar.py): a Lambertian hard target of reflectivity
rho at range R returns ``rho * |cos i| * g(R)`` with the range law ``g(R) = min(1, (r_ref / R)^2)``; that is
pi * r_ref^2 times the LiDAR equation's P_R / (C_A P_0) for R > r_ref (Rasshofer, Spies and Spies, "Influences
of weather phenomena on automotive laser radar systems", Adv. Radio Sci. 9, 2011, Eq. 2-5: a hard target's
impulse response beta_0 / pi * delta(R - R_0), beta_0 its reflectivity), and the same law stands for soft
targets (fog) and particles (rain drops, snow flakes), so every return of a beam compares in one unit.

Hard targets. A path through extinction alpha keeps T(R) = exp(-2 alpha R) (there and back). The sensor's
rated range is its link budget: a hard return is detected iff ``g(R) T(R) F >= g(max_range)`` (F: the wet
road's film, below; snow's occlusion), the power the same target would return at max_range in clear air.
So detection stays independent of reflectivity as in clear air, and alpha -> 0 gives R <= max_range. Goodin
et al. ("Predicting the Influence of Rain on LIDAR in ADAS", Electronics 8(1):89, 2019, Sec. 2) reduce a
LiDAR's range in rain the same way, against the minimum detectable power its clear-air range implies.
Kept returns' intensity is multiplied by T F, so the sensor's intensity dropout (lidar.py) loses more dim
returns.

Weather returns (instance id 0, semantic class ``weather``) need an absolute floor, and a datasheet states
one: Velodyne rates the HDL-64E S2 to 120 m for 80 % reflectivity (cars, foliage) and 50 m for 10 %
(pavement), i.e. a floor ``RATED_REFLECTIVITY * g(max_range)`` (0.8 g(120 m) = 0.0056 and 0.1 g(50 m) = 0.004
agree within the two figures' rounding). A weather return replaces the hard return when stronger, or when
the hard return is lost.

Fog, soft target (Rasshofer et al. 2011 Eq. 6-9; Hahner, Sakaridis, Dai and Van Gool, "Fog Simulation on
Real LiDAR Point Clouds for 3D Object Detection in Adverse Weather", ICCV 2021, Sec. 3): the fog's impulse
response is its backscatter coefficient beta_b (1/(m sr)) at every range, so the received waveform is the
transmitted pulse convolved with beta_b * xi(R) * T(R) * g(R) (xi: the transmitter/receiver overlap). With
Rasshofer's pulse P_0 sin^2(pi t / (2 tau_H)), 0 <= t <= 2 tau_H (half-power width tau_H), a range offset u
from the pulse's peak weighs cos^2(pi u / (c tau_H)), |u| <= c tau_H / 2, so a hard target's waveform peaks
at its own range, and the fog's

    soft(R) = pi * beta_b * integral cos^2(pi (R - R') / (c tau_H)) xi(R') T(R') g(R') dR'

peaks a few metres out, where the overlap is complete and before T decays. beta_b = alpha_fog / S with the
lidar ratio S = 18.8 sr of water-droplet clouds and fog at 905 nm (O'Connor, Illingworth and Hogan, J. Atmos.
Oceanic Technol. 21, 2004, the value used to calibrate 905 nm ceilometers; an isotropic scatterer would have
S = 4 pi). The fog is homogeneous, so every beam sees the same waveform; each beam's soft return lies at a
range drawn from the waveform over its half-power width (where the receiver's peak detection falls on a
noisy waveform), and exists only in front of the beam's hard target. Dense fog (MOR 20-50 m) returns
0.01-0.02, above the floor, near the sensor; light fog (MOR > 500 m) stays below it.

Particles: snow (Hahner, Sakaridis, Bijelic, Heide, Yu, Dai and Van Gool, "LiDAR Snowfall Simulation for
Robust 3D Object Detection", CVPR 2022, Sec. 3) and rain drops. Each beam is a cone of full angle theta
(``lidar.beam_divergence_rad``) from the sensor origin, of diameter theta * R at range R. Particles fill it
uniformly (number density n), with diameters from the size distribution: snow, Gunn and Marshall (1958,
``scenes.atmosphere``); rain, Marshall and Palmer ("The distribution of raindrops with size", J. Meteorology
5, 1948): N(D) = 8000 exp(-4.1 R^-0.21 D) per m^3 per mm, truncated at 6 mm, the largest stable drop
(Pruppacher and Klett, Microphysics of Clouds and Precipitation, 1997, ch. 10). A particle returns the share
of the beam's cross-section its disc covers (a top-hat beam) times its reflectivity, at its own range:

    p_i = rho_p * overlap(D_i / 2, theta R_i / 2, offset_i) / (pi (theta R_i / 2)^2) * g(R_i) * T(R_i)

Snow's rho_p = 0.9, the albedo of snow at 0.9 um (Warren, "Optical properties of snow", Rev. Geophys. 20,
1982). A water drop is no Lambertian reflector: geometric optics gives its backscatter as a front-face
Fresnel reflection R_F / 4 plus the axial ray reflected once inside it (1 - R_F)^2 R_F / (2 - 4/n)^2 (van de
Hulst, Light Scattering by Small Particles, 1957, ch. 12), 0.024 as an equivalent reflectivity for n = 1.328
at 905 nm (Hale and Querry, Appl. Opt. 12, 1973). Each beam's strongest particle above the floor competes
with its hard return. Particles are drawn only out to the range where even the largest plausible one could
reach the floor. Snow's flakes in front of the hard target also occlude it: it keeps (1 - share)^2 of its
power (the flakes block the way out and back) within the sampled range, and snow's extinction beyond it.
Rain's extinction (``scenes.atmosphere``: the Marshall-Palmer spectrum's) applies over the whole path;
the few drops sampled near the sensor do not occlude the hard target on top of it.
A weather return is reported along its beam's direction at the particle's range.

Rain's range noise (Goodin et al. 2019, Sec. 3): Gaussian with sigma = 0.02 R (1 - exp(-rain rate))^2 m, R
the range (m) and the rate in mm/h, added to the sensor's own noise when the sweep has noise (an rng).

Wet road. A water film on the road reflects the beam specularly away at its top surface; the asphalt below
receives and returns the Fresnel-transmitted share, twice (in and out): F = 1 - w + w (1 - R_F(i))^2, w =
``conditions.wet_road`` the share of the road under a film, R_F(i) the unpolarised Fresnel reflectance of
water at incidence i (Born and Wolf, Principles of Optics, Sec. 1.5). At grazing incidence (i ~ 85 deg, a
ground return at 20 m from a 1.8 m mount) F ~ 0.2: fewer, weaker far ground returns. The darker wet asphalt
itself (the road material's reflectivity) is the scene's, set where the conditions are sampled.

Every random draw comes from ``scenes.conditions.weather_rng(scene.seeds, scene.index, t0, lidar.name)``,
never from the sensor-noise rng, so the same scene and sweep give the same weather in any run.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from renderers.raycast.world import Hits
from scenes import Lidar, Scene
from scenes.atmosphere import (
    MARSHALL_PALMER_N0,
    SNOW_DIAMETER_FACTOR,
    gunn_marshall,
    marshall_palmer_slope,
    rain_extinction,
    snow_extinction,
    snow_number_density,
)
from scenes.conditions import Conditions, weather_rng
from scenes.taxonomy import semantic_id

R_REF = 10.0  # metres: the intensity model's saturation distance (lidar.py's model, which imports it from here)
RATED_REFLECTIVITY = 0.8  # the reflectivity a LiDAR's rated range is stated for (HDL-64E S2 datasheet)
SPEED_OF_LIGHT = 299_792_458.0  # m/s
PULSE_HALF_POWER_S = 20e-9  # tau_H of the sin^2 pulse (Rasshofer et al. 2011; Hahner et al. 2021)
OVERLAP_FULL_M = 2.0  # the transmitter and receiver fields overlap fully beyond this range (assumed ramp from 0)
FOG_LIDAR_RATIO_SR = 18.8  # extinction / backscatter of water droplets at 905 nm (O'Connor et al. 2004)
SNOW_REFLECTIVITY = 0.9  # snow's albedo at 0.9 um (Warren 1982)
WATER_INDEX = 1.328  # refractive index of water at 905 nm (Hale and Querry 1973)
RAIN_MAX_DROP_MM = 6.0  # larger drops break up
SIZE_QUANTILE = 1e-6  # particles larger than this tail quantile are never drawn when bounding the range
_WAVEFORM_STEP_M = 0.02
WEATHER_SEMANTIC_ID = semantic_id("weather")
_WET_SURFACES = (semantic_id("road"), semantic_id("road_marking"))


def range_law(range_m: np.ndarray | float) -> np.ndarray:
    """g(R) = min(1, (r_ref / R)^2): the intensity model's fall-off with range (dimensionless)."""
    r = np.asarray(range_m, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.minimum(1.0, np.square(R_REF / r))


def detection_floor(lidar: Lidar) -> float:
    """g(max_range): the weakest detectable return relative to a target's reflectivity (the rated range)."""
    return float(range_law(lidar.max_range))


def weather_floor(lidar: Lidar) -> float:
    """The weakest detectable weather return, intensity units: RATED_REFLECTIVITY * g(max_range)."""
    return RATED_REFLECTIVITY * detection_floor(lidar)


def has_weather(conditions: Conditions) -> bool:
    """Whether a sweep under ``conditions`` differs from the clear sweep (a medium, or a wet road)."""
    return not conditions.is_clear or conditions.wet_road > 0


def fresnel_reflectance(cos_incidence: np.ndarray, n: float = WATER_INDEX) -> np.ndarray:
    """(m,) unpolarised Fresnel reflectance of an air-to-medium interface of index n, mean of s and p."""
    cos_i = np.clip(np.asarray(cos_incidence, np.float64), 0.0, 1.0)
    sin_t = np.sqrt(1.0 - cos_i**2) / n
    cos_t = np.sqrt(1.0 - sin_t**2)
    rs = (cos_i - n * cos_t) / (cos_i + n * cos_t)
    rp = (n * cos_i - cos_t) / (n * cos_i + cos_t)
    return 0.5 * (rs**2 + rp**2)


def drop_reflectivity(n: float = WATER_INDEX) -> float:
    """Equivalent Lambertian reflectivity of a water sphere seen straight back: front-face reflection plus
    the axial ray reflected once inside (geometric optics, van de Hulst 1957)."""
    r_f = ((n - 1.0) / (n + 1.0)) ** 2
    return r_f / 4.0 + (1.0 - r_f) ** 2 * r_f / (2.0 - 4.0 / n) ** 2


def wet_film_factor(cos_incidence: np.ndarray, wetness: float) -> np.ndarray:
    """(m,) share of a ground return's power a water film lets through, in and out: 1 - w + w (1 - R_F)^2."""
    through = np.square(1.0 - fresnel_reflectance(cos_incidence))
    return 1.0 - wetness + wetness * through


@lru_cache(maxsize=64)
def fog_waveform(beta_back: float, alpha: float, span_m: float = 60.0) -> tuple[np.ndarray, np.ndarray]:
    """The fog's soft-target waveform (module docstring): ranges (k,) metres and intensity (k,), for a
    backscatter coefficient ``beta_back`` (1/(m sr)) and a total extinction ``alpha`` (1/m)."""
    step = _WAVEFORM_STEP_M
    ranges = np.arange(0.0, span_m, step) + step / 2
    overlap = np.clip(ranges / OVERLAP_FULL_M, 0.0, 1.0)
    medium = overlap * np.exp(-2.0 * alpha * ranges) * range_law(ranges)
    width = SPEED_OF_LIGHT * PULSE_HALF_POWER_S  # c tau_H: the pulse's full extent in range
    half = round(width / 2 / step)
    u = np.arange(-half, half + 1) * step  # odd length: "same" convolution keeps the ranges aligned
    pulse = np.cos(np.pi * u / width) ** 2
    soft = np.pi * beta_back * np.convolve(medium, pulse, mode="same") * step
    return ranges, soft


def fog_backscatter(conditions: Conditions) -> float:
    """beta_b (1/(m sr)) of the conditions' fog at 905 nm: alpha_fog / lidar ratio; 0 without fog."""
    return conditions.lidar_fog_extinction() / FOG_LIDAR_RATIO_SR


def sample_soft_ranges(ranges: np.ndarray, soft: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """(count,) soft-return ranges drawn from the waveform's density over its half-power width."""
    peak = soft.max()
    weight = np.where(soft >= peak / 2, soft, 0.0)
    cdf = np.cumsum(weight)
    cdf /= cdf[-1]
    return np.interp(rng.random(count), cdf, ranges)


@dataclass(frozen=True)
class Particles:
    """Particles drawn inside beams' cones (k particles).

    beam: (k,) index of the beam (ray in firing order). range_m: (k,) metres along the beam axis.
    offset_m: (k,) distance of the particle's centre from the axis (within the cone: <= theta R / 2).
    diameter_m: (k,) metres.
    """

    beam: np.ndarray
    range_m: np.ndarray
    offset_m: np.ndarray
    diameter_m: np.ndarray


def sample_particles(
    limit_m: np.ndarray,
    divergence_rad: float,
    number_density: float,
    diameters: Callable[[int, np.random.Generator], np.ndarray],
    rng: np.random.Generator,
) -> Particles:
    """Particles in each beam's cone out to ``limit_m`` (n,) metres: a Poisson count of mean n V (V the
    cone's volume, pi/3 (theta/2)^2 L^3), each uniform in the cone's volume (range L u^(1/3), offset from the
    axis (theta R / 2) sqrt(v)), diameters from ``diameters(count, rng)`` (metres)."""
    limit = np.asarray(limit_m, np.float64)
    volume = np.pi / 3.0 * (divergence_rad / 2.0) ** 2 * limit**3
    counts = rng.poisson(number_density * volume)
    beam = np.repeat(np.arange(len(limit)), counts)
    k = len(beam)
    range_m = limit[beam] * np.cbrt(rng.random(k))
    offset = (divergence_rad * range_m / 2.0) * np.sqrt(rng.random(k))
    return Particles(beam, range_m, offset, diameters(k, rng))


def disc_overlap(r1: np.ndarray, r2: np.ndarray, d: np.ndarray) -> np.ndarray:
    """(k,) area (m^2) shared by discs of radii r1 and r2 whose centres lie d apart (the circles' lens)."""
    r1, r2, d = (np.asarray(a, np.float64) for a in (r1, r2, d))
    area = np.where(d <= np.abs(r1 - r2), np.pi * np.minimum(r1, r2) ** 2, 0.0)  # one disc inside the other
    lens = np.flatnonzero((d > np.abs(r1 - r2)) & (d < r1 + r2))  # few: a particle on the beam's rim
    a, b, c = r1[lens], r2[lens], d[lens]
    cos_a = np.clip((c**2 + a**2 - b**2) / (2 * c * a), -1.0, 1.0)
    cos_b = np.clip((c**2 + b**2 - a**2) / (2 * c * b), -1.0, 1.0)
    kite = 0.5 * np.sqrt(np.clip((-c + a + b) * (c + a - b) * (c - a + b) * (c + a + b), 0.0, None))
    area[lens] = a**2 * np.arccos(cos_a) + b**2 * np.arccos(cos_b) - kite
    return area


def beam_share(particles: Particles, divergence_rad: float) -> np.ndarray:
    """(k,) share of each particle's beam cross-section (a top-hat disc of radius theta R / 2) it covers."""
    radius = divergence_rad * particles.range_m / 2.0
    area = disc_overlap(particles.diameter_m / 2.0, radius, particles.offset_m)
    return np.clip(area / np.maximum(np.pi * radius**2, 1e-30), 0.0, 1.0)


def particle_reach(reflectivity: float, largest_m: float, divergence_rad: float, floor: float, top: float) -> float:
    """The range (m) beyond which no particle of diameter <= ``largest_m`` returns ``floor``: where
    reflectivity * min(1, (D / (theta R))^2) * g(R) falls to it; at most ``top``."""
    ranges = np.geomspace(1e-3, max(top, 1e-3), 4096)
    share = np.minimum(1.0, (largest_m / (divergence_rad * ranges)) ** 2)
    above = np.flatnonzero(reflectivity * share * range_law(ranges) >= floor)
    return float(ranges[above[-1]]) if len(above) else 0.0


@dataclass(frozen=True)
class Precipitation:
    """One kind of falling particle: number density (1/m^3), reflectivity, largest drawn diameter (m) for
    bounding the range, and a sampler of diameters (count, rng) -> (count,) metres."""

    number_density: float
    reflectivity: float
    largest_m: float
    diameters: Callable[[int, np.random.Generator], np.ndarray]


def snow(rate_mm_h: float) -> Precipitation:
    """Gunn-Marshall flakes (scenes.atmosphere) falling at ``rate_mm_h`` (liquid equivalent)."""
    _, lam = gunn_marshall(rate_mm_h)

    def diameters(count: int, rng: np.random.Generator) -> np.ndarray:
        return rng.exponential(1.0 / lam, size=count) * SNOW_DIAMETER_FACTOR * 1e-3

    largest = -math.log(SIZE_QUANTILE) / lam * SNOW_DIAMETER_FACTOR * 1e-3
    return Precipitation(snow_number_density(rate_mm_h), SNOW_REFLECTIVITY, largest, diameters)


def rain(rate_mm_h: float) -> Precipitation:
    """Marshall-Palmer drops, truncated at RAIN_MAX_DROP_MM, falling at ``rate_mm_h``."""
    lam = marshall_palmer_slope(rate_mm_h)  # 1/mm
    kept = 1.0 - math.exp(-lam * RAIN_MAX_DROP_MM)  # share of drops below the largest stable size

    def diameters(count: int, rng: np.random.Generator) -> np.ndarray:
        return -np.log1p(-rng.random(count) * kept) / lam * 1e-3  # inverse CDF of the truncated exponential

    largest = min(-math.log(SIZE_QUANTILE) / lam, RAIN_MAX_DROP_MM) * 1e-3
    return Precipitation(MARSHALL_PALMER_N0 / lam * kept, drop_reflectivity(), largest, diameters)


@dataclass
class Candidates:
    """The strongest weather return of each beam so far: range (n,) metres (nan: none), power (n,)."""

    range_m: np.ndarray
    power: np.ndarray

    def offer(self, beams: np.ndarray, range_m: np.ndarray, power: np.ndarray) -> None:
        """Keep, per beam, the strongest of the current candidate and the offered ones."""
        if not len(beams):
            return
        order = np.lexsort((-power, beams))  # by beam, strongest first
        beams, range_m, power = beams[order], range_m[order], power[order]
        first = np.flatnonzero(np.r_[True, beams[1:] != beams[:-1]])
        b, r, p = beams[first], range_m[first], power[first]
        better = p > self.power[b]
        self.range_m[b[better]], self.power[b[better]] = r[better], p[better]


@dataclass(frozen=True)
class WeatherSweep:
    """A sweep's returns after the weather (m returns, firing order).

    rows: (m,) ray indices. true_range: (m,) float32 metres (hard: the surface; weather: the soft return
    or particle). intensity: (m,) float32. weather: (m,) bool, a weather return (instance 0, semantic
    ``weather``). range_offset: (m,) float32 metres of rain's range noise, or None without noise.
    """

    rows: np.ndarray
    true_range: np.ndarray
    intensity: np.ndarray
    weather: np.ndarray
    range_offset: np.ndarray | None


def apply_weather(
    scene: Scene,
    lidar: Lidar,
    t0: float,
    hits: Hits,
    returned: np.ndarray,
    true_range: np.ndarray,
    intensity: np.ndarray,
    noise: bool,
) -> WeatherSweep:
    """The clear sweep's returns (``returned`` ray indices, their ranges and intensities) under the scene's
    conditions (module docstring). ``noise``: the sweep has noise on (adds rain's range noise)."""
    conditions = scene.conditions
    rng = weather_rng(scene.seeds, scene.index, t0, lidar.name)
    n = len(hits.distance)
    # every surface blocks its beam, even one nearer than min_range that returns nothing (inf: no surface)
    surface = hits.distance.astype(np.float64)
    alpha_fog = conditions.lidar_fog_extinction()
    alpha_rain = rain_extinction(conditions.rain_rate_mm_h)
    # power share kept by the medium: fog and rain along the whole path
    kept = np.exp(-2.0 * (alpha_fog + alpha_rain) * np.minimum(surface, lidar.max_range))
    floor = weather_floor(lidar)
    candidates = Candidates(np.full(n, np.nan), np.zeros(n))
    if conditions.snow_rate_mm_h > 0:
        kept *= _snow(conditions, lidar, surface, alpha_fog + alpha_rain, floor, candidates, rng)
    if conditions.rain_rate_mm_h > 0:
        _particles(rain(conditions.rain_rate_mm_h), lidar, surface, alpha_fog + alpha_rain, floor, candidates, rng)
    if conditions.wet_road > 0:
        kept[returned] *= _wet(hits, returned, conditions.wet_road)
    if alpha_fog > 0:
        _fog(conditions, lidar, surface, floor, candidates, rng)
    hard_power = np.zeros(n)
    hard_power[returned] = intensity * kept[returned]
    hard_ok = np.zeros(n, bool)
    hard_ok[returned] = range_law(true_range) * kept[returned] >= detection_floor(lidar)
    use_weather = (candidates.power >= floor) & (~hard_ok | (candidates.power > hard_power))
    rows = np.flatnonzero(hard_ok | use_weather)
    weather = use_weather[rows]
    out_range = np.where(weather, candidates.range_m[rows], surface[rows]).astype(np.float32)
    out_power = np.where(weather, candidates.power[rows], hard_power[rows])
    offset = None
    if noise and conditions.rain_rate_mm_h > 0:
        sigma = 0.02 * out_range * (1.0 - math.exp(-conditions.rain_rate_mm_h)) ** 2
        offset = (rng.standard_normal(len(rows)) * sigma).astype(np.float32)
    return WeatherSweep(rows, out_range, np.clip(out_power, 0.0, 1.0).astype(np.float32), weather, offset)


def _fog(
    conditions: Conditions,
    lidar: Lidar,
    surface_m: np.ndarray,
    floor: float,
    candidates: Candidates,
    rng: np.random.Generator,
) -> None:
    """Offer each beam a soft return from the fog, where the fog's waveform reaches the floor."""
    ranges, soft = fog_waveform(fog_backscatter(conditions), conditions.lidar_extinction())
    if soft.max() < floor:
        return
    drawn = sample_soft_ranges(ranges, soft, len(surface_m), rng)
    power = np.interp(drawn, ranges, soft)
    beams = np.flatnonzero((drawn < surface_m) & (drawn >= lidar.min_range))
    candidates.offer(beams, drawn[beams], power[beams])


def _particles(
    kind: Precipitation,
    lidar: Lidar,
    surface_m: np.ndarray,
    alpha: float,
    floor: float,
    candidates: Candidates,
    rng: np.random.Generator,
) -> tuple[Particles, np.ndarray, float]:
    """Draw ``kind``'s particles in every beam out to where they could be seen, offer each beam its
    strongest particle above the floor (attenuated by ``alpha`` on the way); returns the particles, their
    beam shares and the drawn reach (m)."""
    theta = float(lidar.beam_divergence_rad)
    reach = particle_reach(kind.reflectivity, kind.largest_m, theta, floor, lidar.max_range)
    drawn = sample_particles(np.minimum(surface_m, reach), theta, kind.number_density, kind.diameters, rng)
    share = beam_share(drawn, theta)
    power = kind.reflectivity * share * range_law(drawn.range_m) * np.exp(-2.0 * alpha * drawn.range_m)
    seen = np.flatnonzero((power >= floor) & (drawn.range_m >= lidar.min_range))
    candidates.offer(drawn.beam[seen], drawn.range_m[seen], power[seen])
    return drawn, share, reach


def _snow(
    conditions: Conditions,
    lidar: Lidar,
    surface_m: np.ndarray,
    alpha: float,
    floor: float,
    candidates: Candidates,
    rng: np.random.Generator,
) -> np.ndarray:
    """Snow's flakes (offered as candidates) and the share (n,) of each hard return's power they leave:
    (1 - share of the beam the flakes in front block)^2 within the drawn reach, snow's extinction beyond."""
    kind = snow(conditions.snow_rate_mm_h)
    drawn, share, reach = _particles(kind, lidar, surface_m, alpha, floor, candidates, rng)
    blocked = np.bincount(drawn.beam, weights=share, minlength=len(surface_m))  # all drawn lie in front
    beyond = np.maximum(np.minimum(surface_m, lidar.max_range) - reach, 0.0)
    return np.square(1.0 - np.clip(blocked, 0.0, 1.0)) * np.exp(
        -2.0 * snow_extinction(conditions.snow_rate_mm_h) * beyond
    )


def _wet(hits: Hits, returned: np.ndarray, wetness: float) -> np.ndarray:
    """(m,) share of the ``returned`` hits' power a wet road's film leaves (1 off the road)."""
    on_road = np.isin(hits.semantic_id[returned], _WET_SURFACES)
    cos_i = np.abs(np.einsum("ij,ij->i", hits.normal[returned], hits.directions[returned]))
    return np.where(on_road, wet_film_factor(cos_i, wetness), 1.0)

"""The extinction model of issue 14 (scenes/atmosphere.py): values from the definitions it cites."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scenes.atmosphere import (
    LIDAR_WAVELENGTH_NM,
    SNOW_DIAMETER_FACTOR,
    fog_extinction,
    fog_extinction_at,
    kim_exponent,
    koschmieder,
    rain_extinction,
    sample_flake_diameters,
    snow_extinction,
    transmittance,
)


@pytest.mark.parametrize("visibility", [30.0, 100.0, 1000.0])
def test_a_black_object_at_the_visibility_keeps_five_percent_contrast(visibility):
    """MOR is where a black object's contrast against the horizon falls to WMO's 5 %: its
    transmittance there is 0.05, so beta = ln 20 / MOR."""
    beta = fog_extinction(visibility)
    assert beta == pytest.approx(math.log(20.0) / visibility, rel=1e-12)
    assert transmittance(beta, visibility) == pytest.approx(0.05, rel=1e-12)
    # the 2 % threshold gives the Kruse constant 3.912
    assert fog_extinction(visibility, contrast=0.02) * visibility == pytest.approx(3.912, abs=1e-3)


def test_fog_is_wavelength_independent_and_haze_attenuates_905_nm_less():
    assert fog_extinction_at(200.0, LIDAR_WAVELENGTH_NM) == fog_extinction(200.0)  # q = 0 below 500 m
    for visibility, q in ((800.0, 0.3), (3000.0, 0.82), (10_000.0, 1.3), (60_000.0, 1.6)):
        assert kim_exponent(visibility) == pytest.approx(q)
        ratio = fog_extinction_at(visibility, LIDAR_WAVELENGTH_NM) / fog_extinction(visibility)
        assert ratio == pytest.approx((905.0 / 550.0) ** -q)
        assert ratio < 1.0


def _geometric_extinction(n0: float, lam: float, diameter_factor: float = 1.0) -> float:
    """2 x cross-section integrated numerically over an exponential spectrum N0 exp(-lam D) (D in mm)."""
    d = np.linspace(0.0, 40.0 / lam, 200_001)
    area_m2 = np.pi / 4.0 * (diameter_factor * d * 1e-3) ** 2
    return float(np.trapz(2.0 * area_m2 * n0 * np.exp(-lam * d), d))


def test_rain_extinction_is_the_marshall_palmer_spectrum_in_geometric_optics():
    assert rain_extinction(0.0) == 0.0
    for rate in (1.0, 10.0, 25.0):
        expected = _geometric_extinction(8000.0, 4.1 * rate**-0.21)
        assert rain_extinction(rate) == pytest.approx(expected, rel=1e-4)
    # observed: heavy rain (25 mm/h) leaves a visibility of about a kilometre
    assert 700.0 < np.log(20.0) / rain_extinction(25.0) < 1500.0


def test_snow_extinction_is_the_gunn_marshall_spectrum_of_dry_flakes():
    assert snow_extinction(0.0) == 0.0
    for rate in (0.5, 1.0, 3.0):
        expected = _geometric_extinction(3.8e3 * rate**-0.87, 2.55 * rate**-0.48, SNOW_DIAMETER_FACTOR)
        assert snow_extinction(rate) == pytest.approx(expected, rel=1e-4)
    # moderate snow (1 mm/h liquid equivalent) leaves a visibility of several hundred metres to ~1 km
    assert 400.0 < np.log(20.0) / snow_extinction(1.0) < 1500.0
    flakes = sample_flake_diameters(1.0, 20000, np.random.default_rng(0))
    assert flakes.mean() == pytest.approx(SNOW_DIAMETER_FACTOR * 1e-3 / 2.55, rel=0.03)


def test_lidar_round_trip_squares_the_one_way_transmittance():
    beta = fog_extinction(50.0)
    ranges = np.array([5.0, 20.0, 40.0])
    assert np.allclose(transmittance(beta, ranges, two_way=True), transmittance(beta, ranges) ** 2)


def test_koschmieder_on_an_analytic_image():
    radiance = np.zeros((2, 2, 3))
    radiance[0, 0] = [1.0, 0.5, 0.25]
    depth = np.array([[10.0, 50.0], [0.0, 1e6]])
    airlight = np.array([0.8, 0.8, 0.9])
    beta = fog_extinction(100.0)
    out = koschmieder(radiance, depth, beta, airlight)
    t = math.exp(-beta * 10.0)
    assert np.allclose(out[0, 0], radiance[0, 0] * t + airlight * (1 - t))
    assert np.allclose(out[1, 0], airlight)  # no surface: the sky shows the airlight
    assert np.allclose(out[1, 1], airlight)  # far enough: nothing of the surface is left
    assert np.all(koschmieder(radiance, depth, 0.0, airlight)[depth > 0] == radiance[depth > 0])  # clear air


@pytest.mark.parametrize("bad", [0.0, -5.0, float("nan"), float("inf")])
def test_bad_visibility_and_rain_rate_are_refused_naming_them(bad):
    with pytest.raises(ValueError, match="visibility_m"):
        fog_extinction(bad)
    if bad != 0.0:
        with pytest.raises(ValueError, match="rain_rate_mm_h"):
            rain_extinction(bad)

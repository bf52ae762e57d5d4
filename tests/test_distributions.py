"""YAML distributions: parsing, sampling, errors naming the key."""

from __future__ import annotations

import numpy as np
import pytest

from generator.errors import ConfigError
from generator.world.distributions import parse_distribution
from generator.world.seeding import rng_for


def test_kinds_sample_in_range():
    rng = np.random.default_rng(0)
    assert parse_distribution("k", 3.5).sample(rng) == 3.5
    assert parse_distribution("k", {"constant": 2}).sample(rng) == 2
    u = [parse_distribution("k", {"uniform": [1, 2]}).sample(rng) for _ in range(500)]
    assert 1 <= min(u) and max(u) < 2 and np.mean(u) == pytest.approx(1.5, abs=0.05)
    n = [parse_distribution("k", {"normal": [0, 1], "clip": [-0.5, 0.5]}).sample(rng) for _ in range(500)]
    assert min(n) == -0.5 and max(n) == 0.5
    r = {parse_distribution("k", {"randint": [2, 4]}).sample(rng) for _ in range(200)}
    assert r == {2, 3, 4}
    c = [parse_distribution("k", {"choice": [1, 5], "weights": [0, 1]}).sample(rng) for _ in range(50)]
    assert set(c) == {5}


def test_shorthand_equals_mapping():
    a = parse_distribution("k", "uniform:1:3")
    b = parse_distribution("k", {"uniform": [1, 3]})
    assert a == b
    assert parse_distribution("k", "choice:1:2:4").args == (1, 2, 4)
    clipped = parse_distribution("k", "normal:1.6:0.1:1.3:1.9")
    assert clipped == parse_distribution("k", {"normal": [1.6, 0.1], "clip": [1.3, 1.9]})
    assert parse_distribution("k", "constant:3").sample(None) == 3


@pytest.mark.parametrize(
    "spec",
    [
        {"uniform": [1]},
        {"uniform": [3, 1]},
        {"normal": [0, -1]},
        {"randint": [1.5, 3]},
        {"choice": []},
        {"choice": [1, 2], "weights": [1]},
        {"uniform": [0, 1], "normal": [0, 1]},
        {"gamma": [1, 2]},
        {"uniform": [0, 1], "extra": 1},
        "uniform:1",
        "uniform:a:b",
        [1, 2],
        {"uniform": ["a", 1]},
    ],
)
def test_bad_specs_name_the_key(spec):
    with pytest.raises(ConfigError, match="scene.some_key"):
        parse_distribution("scene.some_key", spec)


def test_streams_are_derived_by_key_not_order():
    a = rng_for(7, 3, "layout").uniform(size=4)
    rng_for(7, 3, "assets").uniform(size=100)  # drawing from another stream changes nothing
    np.testing.assert_array_equal(a, rng_for(7, 3, "layout").uniform(size=4))
    assert not np.array_equal(a, rng_for(7, 4, "layout").uniform(size=4))
    assert not np.array_equal(rng_for(7, 3, "layout", 0).uniform(size=4), rng_for(7, 3, "layout", 1).uniform(size=4))

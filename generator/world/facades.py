"""Facade parameters of the street layouts' buildings, drawn from their own stream (``facades``, keyed
by the building's index in its layout), so a building's block (length, height, place, colour: drawn
from ``context``) is the same with facades on or off."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assets.procedural.facades import sample_facade
from generator.world.seeding import rng_for

Facade = Callable[[int], dict[str, Any]]  # building index -> its facade's asset parameters ({}: a plain block)


def no_facade(_: int) -> dict[str, Any]:
    return {}


def facade_sampler(enabled: bool, root_seed: int, index: int) -> Facade:
    """Building k's facade parameters in scene ``index`` (none when ``enabled`` is false)."""
    if not enabled:
        return no_facade
    return lambda k: sample_facade(rng_for(root_seed, index, "facades", k))

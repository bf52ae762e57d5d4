"""The axes of a run's coverage (dataset.json ``coverage_axes``): how ``formats.coverage`` bins the
histograms of the dataset, worked out from the run's config by the code that parses it.

- ``scenario``: per parameter of the scenario's table (``generator.world.scenarios.parameter_table``),
  ``values`` (a choice or constant, names or numbers; a randint over at most MAX_VALUES integers: every
  value the distribution can draw, so one never drawn shows as 0) or ``range`` (the support of its
  configured distribution, inside the parameter's physical range by validation), with its unit;
- ``target``: the target as ``generator.run.targeting`` parses it: its blocks (sensor, categories,
  closed intervals, min_count), ``frames`` and ``max_attempts``.

The coverage is then computed from the dataset's files alone (formats/ never imports generator/), and
the same in any shard or process.
"""

from __future__ import annotations

import math
from typing import Any

from omegaconf import DictConfig

from generator.run.targeting import Target, target_of
from generator.world.distributions import parse_distribution
from generator.world.sampling import plain_scenario, scenario_of
from generator.world.scenarios import ScenarioSpec, parameter_table

MAX_VALUES = 20  # a randint over at most this many integers is counted per value


def coverage_axes(cfg: DictConfig | dict[str, Any]) -> dict[str, Any] | None:
    """The coverage axes of a validated run config; None for a run with neither scenario nor target (its
    dataset.json stays as it was before coverage existed)."""
    axes: dict[str, Any] = {}
    spec = scenario_of(cfg)
    if spec is not None:
        axes["scenario"] = scenario_axes(spec, plain_scenario(cfg))
    target = target_of(cfg)
    if target is not None:
        axes["target"] = target_axes(target)
    return axes or None


def scenario_axes(spec: ScenarioSpec, node: dict[str, Any]) -> dict[str, Any]:
    """The name and each parameter's axis (``values`` or ``range``, ``unit``) of the scenario config
    ``node`` (plain data, validated)."""
    parameters = {}
    for key, parameter in parameter_table(spec).items():
        dist = parse_distribution(f"scenario.{key}", node[key], parameter.options)
        axis: dict[str, Any] = {"unit": parameter.unit}
        if dist.kind in ("constant", "choice"):
            axis["values"] = list(dict.fromkeys(dist.args))
        elif dist.kind == "randint" and dist.args[1] - dist.args[0] < MAX_VALUES:
            axis["values"] = list(range(dist.args[0], dist.args[1] + 1))
        else:
            low, high = dist.support()
            # an unclipped normal's support is infinite: bins over the physical range instead
            low = float(low) if math.isfinite(low) else parameter.low
            high = float(high) if math.isfinite(high) else parameter.high
            axis["range"] = [low, high]
        parameters[key] = axis
    return {"name": spec.name, "parameters": parameters}


def target_axes(target: Target) -> dict[str, Any]:
    """A parsed target as plain data: its blocks, ``frames`` and ``max_attempts``."""
    blocks = [
        {
            "sensor": block.sensor,
            "categories": None if block.categories is None else list(block.categories),
            "intervals": [[name, low, high] for name, low, high in block.intervals],
            "min_count": block.min_count,
        }
        for block in target.blocks
    ]
    frames = target.frames if isinstance(target.frames, str) else list(target.frames)
    return {"blocks": blocks, "frames": frames, "max_attempts": target.max_attempts}

"""`synthsense scenarios [NAME]`: the scenario library as a user reads it, with the shipped defaults.

The defaults are the group's YAML files (``configs/scenario/<name>.yaml``, what ``scenario=<name>``
composes); the parameter table (description, unit, physical range) is the scenario's own
(``generator.world.scenarios``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import configs
from generator.errors import ConfigError
from generator.world.scenarios import NONE, SCENARIOS, get_scenario, parameter_table
from generator.world.scenarios.base import Parameter
from scenes import plain_data

SCENARIO_FOLDER = Path(configs.__file__).parent / "scenario"


def scenario_defaults(name: str) -> dict[str, Any]:
    """The parameters of ``configs/scenario/<name>.yaml`` (without ``name``)."""
    data = plain_data.load_yaml(SCENARIO_FOLDER / f"{name}.yaml", error=ConfigError)
    return {k: v for k, v in data.items() if k != "name"}


def default_text(value: Any) -> str:
    if isinstance(value, dict) and len(value) == 1:
        [(kind, args)] = value.items()
        return f"{kind} [{', '.join(map(str, args))}]" if isinstance(args, list) else f"{kind} {args}"
    return str(value)


def _range_text(parameter: Parameter) -> str:
    if parameter.options is not None:
        return " | ".join(parameter.options)
    unit = f" {parameter.unit}" if parameter.unit else ""
    return f"[{parameter.low:g}, {parameter.high:g}]{unit}"


def library_lines() -> list[str]:
    """One block per scenario: name and description, then its parameters with their defaults."""
    lines = [f"{NONE}: no scripted situation (the default): the random street scene"]
    for name in sorted(SCENARIOS):
        spec = SCENARIOS[name]
        defaults = scenario_defaults(name)
        lines.append(f"{name}: {spec.description}")
        lines += [f"    {key} = {default_text(defaults.get(key))}" for key in parameter_table(spec)]
    return lines


def scenario_lines(name: str) -> list[str]:
    """One scenario in full: what it is, its critical moment, and every parameter with its default,
    physical range and meaning."""
    try:
        spec = get_scenario(name)
    except KeyError as exc:
        raise ConfigError(exc.args[0]) from None
    defaults = scenario_defaults(name)
    lines = [
        f"{name}: {spec.description}",
        f"critical moment (at critical_time_s; a still renders it): {spec.critical_moment}",
        f"layout: {_layout_text(spec.layout)}, at least {spec.min_lanes_per_direction} lane(s) per direction",
        "parameters (scenario.KEY=VALUE; each a distribution):",
    ]
    for key, parameter in parameter_table(spec).items():
        lines.append(f"  {key} = {default_text(defaults.get(key))}")
        lines.append(f"      {parameter.description}; range {_range_text(parameter)}")
    return lines


def _layout_text(layout: str) -> str:
    """What the scenario does with ``scene.layout`` (ScenarioSpec.layout)."""
    if layout == "any":
        return "scene.layout's (straight or intersection)"
    return f"{layout} (whatever scene.layout says)"

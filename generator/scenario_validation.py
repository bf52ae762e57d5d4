"""Validation of the ``scenario`` config node against the scenario library's parameter tables (split
from ``generator.config``, which calls it): one line naming the key at fault, as everywhere."""

from __future__ import annotations

from typing import Any

from generator.errors import ConfigError
from generator.errors import require as _require
from generator.world.distributions import parse_distribution
from scenes.plain_data import short_repr


def validate_scenario(node: Any, scene: dict[str, Any]) -> None:
    """The scenario's name, its keys against the scenario's parameter table, every parameter's
    distribution inside its physical range (generator/world/scenarios), and the street it needs."""
    from generator.world.scenarios import NONE, SCENARIOS, parameter_table

    scene_kind = scene["kind"]

    _require(isinstance(node, dict), f"scenario: expected a mapping with a name, got {short_repr(node)}")
    name = node.get("name")
    known = ", ".join([NONE, *sorted(SCENARIOS)])
    _require(name == NONE or name in SCENARIOS, f"scenario.name: unknown scenario {short_repr(name)}; known: {known}")
    if name == NONE:
        extra = sorted(set(node) - {"name"})
        _require(not extra, f"scenario.{extra[0] if extra else ''}: scenario none takes no parameters")
        return
    _require(scene_kind == "street", f"scenario: {name} is a street scenario; it needs scene=street, not {scene_kind}")
    spec = SCENARIOS[name]
    _require(
        not scene["sequence"]["reentry"],
        f"scene.sequence.reentry: the scripted re-entry car cannot join scenario {name} (it assumes an ego at "
        "constant speed on an empty lane); use one or the other",
    )
    narrowest = parse_distribution("scene.lane_width_m", scene["lane_width_m"]).support()[0]
    _require(
        narrowest >= spec.min_lane_width_m,
        f"scene.lane_width_m: scenario {name} needs lanes at least {spec.min_lane_width_m:g} m wide, "
        f"can draw {narrowest:g} m",
    )
    table = parameter_table(spec)
    for key in sorted(set(node) - {"name"} - set(table)):
        raise ConfigError(f"scenario.{key}: unknown parameter of scenario {name}; known: {', '.join(table)}")
    for key, parameter in table.items():
        where = f"scenario.{key}"
        _require(key in node, f"{where}: missing; choose the scenario with scenario={name} to get its defaults")
        dist = parse_distribution(where, node[key], parameter.options)
        if parameter.options is not None:
            continue
        low, high = dist.support()
        if parameter.integer:
            _require(dist.draws_integers(), f"{where}: must draw integers (an integer, randint or choice of integers)")
        unit = f" {parameter.unit}" if parameter.unit else ""
        _require(
            parameter.low <= low and high <= parameter.high,
            f"{where}: must lie in [{parameter.low:g}, {parameter.high:g}]{unit}, can draw [{low:g}, {high:g}]",
        )

"""The scenario library: named critical situations placed into street scenes (``scenario`` config group).

One module per family: ``vulnerable`` (pedestrians, children, cyclists), ``vehicles`` (cut-in, braking
lead, stationary and wrong-way vehicles), ``hazards`` (debris, construction zones) and ``junction``
(situations at the intersection layout). Each module lists its ``SPECS``; ``base`` defines what a
scenario is. ``place_scenario`` (``generator.world.street``) puts a plan into the scene.
"""

from __future__ import annotations

from generator.world.scenarios import hazards, junction, vehicles, vulnerable
from generator.world.scenarios.base import CRITICAL_TIME, Parameter, ScenarioSpec

NONE = "none"  # the scenario config's default: no scripted situation, today's random street

SCENARIOS: dict[str, ScenarioSpec] = {
    spec.name: spec for module in (vulnerable, vehicles, hazards, junction) for spec in module.SPECS
}


def get_scenario(name: str) -> ScenarioSpec:
    """The scenario called ``name``; KeyError naming the known ones otherwise."""
    try:
        return SCENARIOS[name]
    except KeyError:
        raise KeyError(f"unknown scenario {name!r}; known: {', '.join(sorted(SCENARIOS))}") from None


def parameter_table(spec: ScenarioSpec) -> dict[str, Parameter]:
    """Every parameter of ``spec`` with ``critical_time_s`` first (each scenario has it)."""
    return {"critical_time_s": CRITICAL_TIME, **spec.parameters}


__all__ = ["NONE", "SCENARIOS", "ScenarioSpec", "get_scenario", "parameter_table"]

"""`synthsense conditions [NAME]`: the conditions presets as a user reads them, with the shipped values.

The values are the group's YAML files (``configs/conditions/<name>.yaml``, what ``conditions=<name>``
composes); the key table (meaning, unit, physical range) is ``generator.world.conditions.KEYS``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import configs
from generator.errors import ConfigError
from generator.world.conditions import KEYS, Key
from scenes import plain_data
from scenes.conditions import PRESETS
from synthsense.scenario_table import default_text

CONDITIONS_FOLDER = Path(configs.__file__).parent / "conditions"


def preset_values(name: str) -> dict[str, Any]:
    """The keys of ``configs/conditions/<name>.yaml`` (without ``name``)."""
    if name not in PRESETS:
        raise ConfigError(f"unknown conditions {name!r}; known: {', '.join(PRESETS)}")
    data = plain_data.load_yaml(CONDITIONS_FOLDER / f"{name}.yaml", error=ConfigError)
    return {k: v for k, v in data.items() if k != "name"}


def _description(name: str) -> str:
    """The preset's first comment line (what it is)."""
    first = (CONDITIONS_FOLDER / f"{name}.yaml").read_text().splitlines()[0]
    return first.lstrip("# ").strip()


def _range_text(key: Key) -> str:
    if key.kind == "bool":
        return "true | false"
    if key.kind == "color":
        return "linear RGB [r, g, b] in [0, 1]"
    unit = f" {key.unit}" if key.unit else ""
    return f"[{key.low:g}, {key.high:g}]{unit}"


def presets_lines() -> list[str]:
    """One line per preset: name and what it is, then the keys it sets apart from clear_day."""
    clear = preset_values("clear_day")
    lines = []
    for name in PRESETS:
        values = preset_values(name)
        lines.append(f"{name}: {_description(name)}")
        lines += [f"    {k} = {default_text(v)}" for k, v in values.items() if v != clear.get(k)]
    return lines


def preset_lines(name: str) -> list[str]:
    """One preset in full: every key with its value, meaning and range."""
    values = preset_values(name)
    lines = [f"{name}: {_description(name)}", "keys (conditions.KEY=VALUE; numbers are distributions, null = unset):"]
    for key, spec in KEYS.items():
        lines.append(f"  {key} = {default_text(values.get(key))}")
        lines.append(f"      {spec.description}; {_range_text(spec)}{'; null allowed' if spec.optional else ''}")
    return lines

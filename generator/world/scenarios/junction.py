"""Scenario family `junction` (see generator/world/scenarios/__init__.py)."""

from __future__ import annotations

from generator.world.scenarios.base import ScenarioSpec

SPECS: list[ScenarioSpec] = []

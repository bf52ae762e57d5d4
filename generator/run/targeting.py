"""Targeted generation: a frame predicate over label records, parsed from the ``target`` config (plain
data, never evaluated as Python) and judged on the labels of each attempt of a scene.

A *block* counts the objects of one sensor's records (``labels["objects"][sensor]``) that match all of
its fields (``category``: one of the names; a numeric field: inside its closed interval ``[low, high]``;
a record without the field never matches) and is met when at least ``min_count`` of them do. A frame
satisfies the target when any of its blocks is met (the top-level ``objects`` block, ORed with the
``any:`` list). A scene's attempt is accepted when the frames named by ``frames`` satisfy it: ``any``
(at least one frame of the sequence), ``all`` (every frame) or ``[k, ...]`` (each listed frame).

Everything here is pure and needs nothing but the standard library: the same labels give the same
verdict in any process.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from generator.errors import ConfigError

# Numeric label fields a target may bound, by sensor type (labels/annotate.py, labels/keypoints.py,
# labels/ranges.py). The
# schema's TargetObjectsConfig declares the union of these (a test checks they agree).
NUMERIC_FIELDS: dict[str, tuple[str, ...]] = {
    "camera": (
        "visibility",
        "truncation",
        "occlusion",
        "range_m",
        "visible_pixels",
        "unoccluded_pixels",
        "transmittance",
        "num_keypoints",
    ),
    "lidar": ("num_lidar_points",),
    "radar": ("num_radar_points",),
}
ALL_NUMERIC_FIELDS = tuple(dict.fromkeys(f for fields in NUMERIC_FIELDS.values() for f in fields))
FRAME_MODES = ("any", "all")
MAX_ATTEMPTS = 1000  # attempts per scene: a target rarer than 1 in 1000 needs a different scene config
BLOCK_KEYS = ("objects", "min_count", "sensor")


@dataclass(frozen=True)
class Block:
    """``min_count`` objects of ``sensor``'s records with a category in ``categories`` (None: any) and
    every ``(field, low, high)`` of ``intervals`` satisfied."""

    sensor: str
    categories: tuple[str, ...] | None
    intervals: tuple[tuple[str, float, float], ...]
    min_count: int = 1

    def matches(self, record: Mapping[str, Any]) -> bool:
        if self.categories is not None and record.get("category") not in self.categories:
            return False
        for name, low, high in self.intervals:
            value = record.get(name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
                return False
        return True

    def count(self, records: Iterable[Mapping[str, Any]]) -> int:
        return sum(1 for record in records if self.matches(record))

    def met(self, labels: Mapping[str, Any]) -> bool:
        return self.count(labels.get("objects", {}).get(self.sensor, ())) >= self.min_count


@dataclass(frozen=True)
class Target:
    """A parsed target: its blocks (ORed), which frames must satisfy it, and the attempts allowed."""

    blocks: tuple[Block, ...]
    frames: str | tuple[int, ...] = "any"
    max_attempts: int = 50

    def frame_satisfies(self, labels: Mapping[str, Any]) -> bool:
        """Whether one frame's labels (a labels.json record) satisfy the target."""
        return any(block.met(labels) for block in self.blocks)

    def judged_frames(self, num_frames: int) -> list[int]:
        """The frames an attempt is judged on."""
        return list(range(num_frames)) if isinstance(self.frames, str) else list(self.frames)

    def accepts(self, verdicts: Mapping[int, bool]) -> bool:
        """Whether an attempt is kept, from the verdicts of its judged frames (frame -> satisfies);
        ``any`` accepts on one True, ``all`` and a list need every one."""
        if self.frames == "any":
            return any(verdicts.values())
        return bool(verdicts) and all(verdicts.values())

    def decided(self, verdicts: Mapping[int, bool]) -> bool:
        """Whether the verdicts so far already decide the attempt (later frames need not be judged)."""
        if self.frames == "any":
            return any(verdicts.values())
        return not all(verdicts.values())


def is_active(node: Mapping[str, Any] | None) -> bool:
    """Whether a ``target`` config (plain containers) asks for anything: a top-level ``objects`` field
    set or an ``any`` block. The default config has neither: the run is untargeted."""
    if not node:
        return False
    objects = node.get("objects") or {}
    return any(v is not None for v in objects.values()) or bool(node.get("any"))


def parse_target(
    node: Mapping[str, Any] | None,
    sensors: Mapping[str, str],
    categories: Iterable[str],
    num_frames: int,
) -> Target | None:
    """The Target of a ``target`` config node (plain containers), or None when it is not active.

    Args:
        sensors: the rig's sensor names -> type (camera | lidar | radar), first camera first.
        categories: the known category names.
        num_frames: frames per scene (a frame list must lie within them).

    Raises:
        ConfigError: one line naming the key at fault.
    """
    if not is_active(node):
        return None
    assert node is not None
    known = set(categories)
    default_sensor = next((name for name, kind in sensors.items() if kind == "camera"), None)
    blocks = []
    objects = {k: v for k, v in (node.get("objects") or {}).items() if v is not None}
    if objects:
        top = {"objects": objects, "min_count": node.get("min_count", 1), "sensor": node.get("sensor")}
        blocks.append(_block("target", top, sensors, default_sensor, known))
    extra = node.get("any")
    if extra is not None:
        if not isinstance(extra, list | tuple):
            raise ConfigError("target.any: must be a list of blocks {objects: ..., min_count: ..., sensor: ...}")
        for i, item in enumerate(extra):
            blocks.append(_block(f"target.any[{i}]", item, sensors, default_sensor, known))
    frames = _frames(node.get("frames", "any"), num_frames)
    attempts = node.get("max_attempts", 50)
    if not _is_int(attempts) or not 1 <= attempts <= MAX_ATTEMPTS:
        raise ConfigError(f"target.max_attempts must be an integer in [1, {MAX_ATTEMPTS}], got {attempts!r}")
    return Target(blocks=tuple(blocks), frames=frames, max_attempts=int(attempts))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _block(key: str, item: Any, sensors: Mapping[str, str], default_sensor: str | None, known: set[str]) -> Block:
    if not isinstance(item, Mapping):
        raise ConfigError(f"{key}: must be a block {{objects: ..., min_count: ..., sensor: ...}}, got {item!r}")
    unknown = sorted(set(item) - set(BLOCK_KEYS))
    if unknown:
        raise ConfigError(f"{key}.{unknown[0]}: unknown key of a target block ({', '.join(BLOCK_KEYS)})")
    sensor = item.get("sensor") or default_sensor
    if sensor not in sensors:
        raise ConfigError(f"{key}.sensor: unknown sensor {sensor!r} (the rig has {', '.join(sensors)})")
    kind = sensors[sensor]
    count = item.get("min_count", 1)
    if not _is_int(count) or count < 1:
        raise ConfigError(f"{key}.min_count must be an integer >= 1, got {count!r}")
    objects = item.get("objects") or {}
    if not isinstance(objects, Mapping):
        raise ConfigError(f"{key}.objects: must be a mapping of label fields, got {objects!r}")
    categories = None
    intervals = []
    for name, value in objects.items():
        field_key = f"{key}.objects.{name}"
        if value is None:
            continue
        if name == "category":
            names = [value] if isinstance(value, str) else value
            if not isinstance(names, list | tuple) or not names or not all(isinstance(n, str) for n in names):
                raise ConfigError(f"{field_key}: must be a category name or a non-empty list of names")
            for n in names:
                if n not in known:
                    raise ConfigError(f"{field_key}: unknown category {n!r}; known: {', '.join(sorted(known))}")
            categories = tuple(names)
            continue
        if name not in NUMERIC_FIELDS[kind]:
            where = f"{kind} records ({', '.join(NUMERIC_FIELDS[kind])})"
            if name in ALL_NUMERIC_FIELDS:
                raise ConfigError(f"{field_key}: {sensor!r} is a {kind}, whose records have no {name!r}; {where}")
            raise ConfigError(f"{field_key}: unknown label field; numeric fields of {where}, or category")
        if not isinstance(value, list | tuple) or len(value) != 2 or not all(_is_number(v) for v in value):
            raise ConfigError(f"{field_key}: must be a closed interval [low, high] of numbers, got {value!r}")
        low, high = float(value[0]), float(value[1])
        if not (math.isfinite(low) and math.isfinite(high)):
            raise ConfigError(f"{field_key}: interval bounds must be finite, got {list(value)!r}")
        if low > high:
            raise ConfigError(f"{field_key}: empty interval, low > high: {list(value)!r}")
        intervals.append((name, low, high))
    return Block(sensor=sensor, categories=categories, intervals=tuple(intervals), min_count=int(count))


def _frames(value: Any, num_frames: int) -> str | tuple[int, ...]:
    if isinstance(value, str):
        if value not in FRAME_MODES:
            raise ConfigError(f"target.frames: must be any, all or a list of frame indices, got {value!r}")
        return value
    if not isinstance(value, list | tuple) or not value or not all(_is_int(k) for k in value):
        raise ConfigError(f"target.frames: must be any, all or a non-empty list of frame indices, got {value!r}")
    bad = [k for k in value if not 0 <= k < num_frames]
    if bad:
        raise ConfigError(f"target.frames: frame {bad[0]} is outside the sequence's frames [0, {num_frames - 1}]")
    return tuple(sorted(set(value)))


def target_of(cfg: Any) -> Target | None:
    """The Target of a validated run config (a DictConfig or plain containers), or None (untargeted)."""
    from omegaconf import DictConfig, OmegaConf

    container = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else cfg
    return parse_target(
        container.get("target"),
        sensor_types(container["sensors"]),
        _category_names(),
        int(container["scene"]["sequence"]["num_frames"]),
    )


def sensor_types(sensors: Mapping[str, Any]) -> dict[str, str]:
    """The rig's sensor names -> type, cameras first (the first camera is a block's default sensor)."""
    out: dict[str, str] = {}
    for group, kind in (("cameras", "camera"), ("lidars", "lidar"), ("radars", "radar")):
        for sensor in sensors.get(group) or []:
            out[str(sensor["name"])] = kind
    return out


def _category_names() -> list[str]:
    from scenes.taxonomy import CATEGORIES

    return [c.name for c in CATEGORIES]


def target_record(attempt: int) -> dict[str, Any]:
    """What scene.json's ``params["target"]`` records of the kept attempt ``attempt`` (0-based): the
    attempt, the attempts it took, and the scene's acceptance estimate ``1 / attempts`` (the maximum
    likelihood estimate of a geometric success rate from this one scene)."""
    attempts = attempt + 1
    return {"attempt": attempt, "attempts": attempts, "acceptance_estimate": 1.0 / attempts}

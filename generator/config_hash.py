"""The config hash: which resolved config a dataset was generated from, so a resume or a shard can tell
whether it continues the same run.

Keys that only say how much of the run to do (``RUN_EXTENT_KEYS``) are left out, and so is every node a
run does not use (:func:`drop_inactive_target`), so a run without a feature added later keeps the hash
and dataset.json it had before the feature existed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from omegaconf import DictConfig, OmegaConf

from generator.config import RUN_EXTENT_KEYS
from generator.world.conditions import is_clear_day

# street categories added with zero default weights (so `scene.categories.animal=1.0` needs no `+`), and
# motorcycle (default 0.5) set to zero: a zero weight draws exactly as an absent category does, so it is
# left out of the hash and dataset.json
ZERO_DEFAULT_CATEGORIES = ("tire", "debris", "animal", "motorcycle")
# scene keys of the intersection layout (configs/schema.py StreetSceneConfig)
LAYOUT_KEYS = ("layout", "junction_distance_m", "crossing_lanes_per_direction")


def drop_inactive_target(data: dict[str, Any]) -> None:
    """Remove the ``target`` node from a resolved config (plain containers) when it sets no target, the
    ``scenario`` node when it is ``none``, the ``conditions`` node when it is clear_day, the zero weights of
    ZERO_DEFAULT_CATEGORIES, ``scene.materials.vehicle_paint`` when random, the street's layout keys when a
    straight street without a scenario (which may choose its own layout) does not read them, and the
    ``scene.people`` node when people are not articulated (rigid people read none of its keys), the street
    world's ``markings``, ``furniture``, ``facades`` and ``details`` when switched off, an HDRI table that
    can draw only ``none`` and pyrender shadows when off, so a run without them has the config hash and
    dataset.json it had before targets, scenarios, conditions, those categories, the paint palette,
    layouts, articulated people and the street world existed; a set target, scenario, condition, weight,
    paint, layout, articulation or switch stays (it changes the data)."""
    from generator.run.targeting import is_active

    if not is_active(data.get("target")):
        data.pop("target", None)
    if (data.get("scenario") or {}).get("name", "none") == "none":
        data.pop("scenario", None)
        scene = data.get("scene") or {}
        if scene.get("kind") == "street" and scene.get("layout") == "straight":
            for key in LAYOUT_KEYS:
                scene.pop(key, None)
    if is_clear_day(data.get("conditions")):
        data.pop("conditions", None)
    scene = data.get("scene") or {}
    if (scene.get("people") or {}).get("articulated") is False:
        scene.pop("people")
    for node in ("markings", "furniture", "facades"):  # the street world's scenery, switched off
        if (scene.get(node) or {}).get("enabled") is False:
            scene.pop(node)
    details = scene.get("details") or {}
    if details and details.get("paving") is False and details.get("manholes") is False:
        scene.pop("details")
    hdri = (scene.get("lighting") or {}).get("hdri")
    if hdri is not None and all(weight == 0 for name, weight in hdri.items() if name != "none"):
        scene["lighting"].pop("hdri")
    if (data.get("renderer") or {}).get("shadows") is False:
        data["renderer"].pop("shadows")
    categories = scene.get("categories") or {}
    for name in ZERO_DEFAULT_CATEGORIES:
        if categories.get(name) == 0:
            del categories[name]
    materials = scene.get("materials") or {}
    if materials.get("vehicle_paint") == "random":  # vehicles drawn as every object was before the palette
        del materials["vehicle_paint"]


def config_hash(cfg: DictConfig, extra: dict[str, Any] | None = None) -> str:
    """SHA-256 (first 16 hex digits) of the resolved config without the run-extent keys, plus ``extra``
    (e.g. the user meshes' content hashes)."""
    data = OmegaConf.to_container(cfg, resolve=True)
    flow = data["output"]["flow"]  # what each frame holds: a resume must not change it
    for key in RUN_EXTENT_KEYS:
        data.pop(key, None)
    data["output_flow"] = flow
    drop_inactive_target(data)
    data["extra"] = extra or {}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]

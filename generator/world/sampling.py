"""config -> Scene. ``sample_scene`` is pure: the same config and index always give the same Scene."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from assets.catalog import UserAsset
from generator.errors import ConfigError
from generator.world import conditions as weather
from generator.world import furniture, intersection, intersection_traffic, lamps, markings, paving, street, tabletop
from generator.world.distributions import sample
from generator.world.facades import facade_sampler
from generator.world.motion import keyframe_times
from generator.world.people import articulate_people, is_person_asset, keep_clear
from generator.world.pieces import sample_hdri, sample_lighting
from generator.world.plain_config import plain_config
from generator.world.road import CURB_HEIGHT_M, ROAD_START_X_M
from generator.world.scenarios import NONE, ScenarioSpec, get_scenario
from generator.world.scenarios.base import (
    KMH,
    ScenarioContext,
    critical_time,
    draw_parameters,
    ego_footprint,
    scenario_record,
)
from generator.world.seeding import attempt_seed, rng_for, seeds_record
from scenes import Conditions, Entity, Environment, Light, Scene
from scenes.conditions import CLEAR_DAY


def scene_id_for(index: int) -> str:
    """Folder name of scene ``index``: zero-padded so folders sort in index order."""
    return f"{index:06d}"


ROAD_MARGIN_M = 20.0  # road beyond the farthest critical actor (its front, and a little scenery past it)


def plain_node(cfg: Any, key: str, name: str) -> dict[str, Any]:
    """The run's ``key`` config group (scenario, conditions) as plain data; ``{"name": name}`` (its
    default) when the config has none."""
    from omegaconf import DictConfig, OmegaConf

    node = cfg.get(key) if hasattr(cfg, "get") else None
    if node is None:
        return {"name": name}
    return OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig) else dict(node)


def plain_scenario(cfg: Any) -> dict[str, Any]:
    """The run's ``scenario`` config as plain data ({"name": "none"} when the config has none)."""
    return plain_node(cfg, "scenario", NONE)


def scenario_of(cfg: Any) -> ScenarioSpec | None:
    """The scenario the run places into each street scene, or None (``scenario=none``)."""
    name = plain_scenario(cfg).get("name", NONE)
    return None if name == NONE else get_scenario(name)


def apply_conditions(
    cfg: Any,
    seed: int,
    index: int,
    layout: dict[str, Any],
    objects: list[Entity],
    context: list[Entity],
    lights: list[Light],
    environment: Environment,
) -> tuple[Conditions, list[Entity], list[Light], Environment]:
    """The scene's Conditions, and its context, lights and environment under them (unchanged for
    clear_day). Only the conditions stream is drawn from, so no other draw of the scene moves."""
    node = plain_node(cfg, "conditions", CLEAR_DAY)
    if weather.is_clear_day(node):
        return Conditions(), context, lights, environment
    drawn = weather.draw_conditions(node, seed, index)
    lights, environment = weather.relit(lights, environment, drawn, street=cfg.scene.kind == "street")
    if cfg.scene.kind == "street":
        if drawn["street_lights"]:
            lights = [
                *lights,
                *lamps.street_lamps(layout, drawn["street_light_spacing_m"], drawn["street_light_intensity"]),
            ]
        if drawn["vehicle_lights"]:
            lights = [*lights, *lamps.vehicle_lamps(objects, drawn["headlight_intensity"])]
    return weather.conditions_from(node["name"], drawn), weather.weathered_context(context, drawn), lights, environment


def street_layout(scene_cfg: Any, spec: ScenarioSpec | None) -> str:
    """The road layout a street scene is built on: ``scene.layout``, unless the scenario needs its own
    (``ScenarioSpec.layout`` other than ``any``)."""
    if spec is None or spec.layout == "any":
        return str(scene_cfg.layout)
    return spec.layout


def sample_scene(cfg: Any, index: int, user_assets: list[UserAsset] | None = None, attempt: int = 0) -> Scene:
    """Sample scene ``index`` of the run described by ``cfg`` (a composed RunConfig).

    Args:
        cfg: the validated run config (see configs/schema.py).
        index: the scene's index in the run; with ``cfg.seed`` it fixes every random draw.
        user_assets: assets from ``cfg.scene.catalog``, loaded once by the caller.
        attempt: which attempt of the scene (targeted generation): every stream draws from the root
            entropy ``seeding.attempt_seed(cfg.seed, attempt)``; attempt 0 is the untargeted scene.
    """
    # read once into plain Python: the loops below read these values thousands of times per scene
    scene_cfg, camera_cfg, sensors_cfg = plain_config(cfg.scene), plain_config(cfg.camera), plain_config(cfg.sensors)
    seq = scene_cfg.sequence
    seed = attempt_seed(int(cfg.seed), attempt)
    user_assets = user_assets or []
    # keyframes cover one frame past the last (flow and velocities of the last frame) and half a LiDAR
    # sweep past it (a sweep centred on the last frame time)
    half_sweep = max([0.5 / lidar.rotation_hz for lidar in sensors_cfg.lidars], default=0.0)
    times = keyframe_times(max(seq.num_frames / seq.fps, (seq.num_frames - 1) / seq.fps + half_sweep))
    rng_layout = rng_for(seed, index, "layout")
    count = int(sample("scene.num_objects", scene_cfg.num_objects, rng_for(seed, index, "counts")))
    scenario = None
    if scene_cfg.kind == "street":
        spec = scenario_of(cfg)
        drawn = {} if spec is None else draw_parameters(spec, plain_scenario(cfg), seed, index)
        layout = street.sample_street_layout(
            scene_cfg,
            rng_layout,
            float(times[-1]),
            bool(seq.reentry),
            min_lanes=1 if spec is None else spec.min_lanes_per_direction,
            ego_speed_mps=None if spec is None or spec.ego_speed_kmh is None else drawn[spec.ego_speed_kmh] * KMH,
        )
        layout_name = street_layout(scene_cfg, spec)
        if layout_name == intersection.INTERSECTION:  # its own generator: the straight layout's draws stay
            rng_junction = rng_for(seed, index, "context", intersection.JUNCTION_SUBKEY)
            layout.update(intersection.sample_junction(scene_cfg, rng_junction, layout))
        ego, actors = street.constant_ego(layout, times), []
        if spec is not None:
            time_s = critical_time(drawn["critical_time_s"], int(seq.num_frames), float(seq.fps))
            context_of_plan = ScenarioContext(
                drawn,
                layout,
                times,
                time_s,
                ego,
                seed,
                index,
                user_assets,
                scene_cfg.materials,
                CURB_HEIGHT_M,
                bool(scene_cfg.people.articulated),
            )
            try:
                plan = spec.build(context_of_plan)
            except ValueError as exc:  # a geometry the drawn values cannot stage: the user's input, one line
                raise ConfigError(f"scenario: {spec.name} cannot be staged in scene {index}: {exc}") from None
            ego, actors = plan.ego or ego, plan.actors
            # the road runs on past the farthest critical actor (a wrong-way car 8 s away starts 150 m out)
            farthest = max((float(a.motion.positions[:, 0].max()) + a.choice.size_m[0] for a in actors), default=0.0)
            layout["road_length_m"] = max(layout["road_length_m"], farthest + ROAD_START_X_M + ROAD_MARGIN_M)
            if plan.junction_x_m is not None and intersection.is_intersection(layout):
                layout.update(intersection.junction_at(layout, plan.junction_x_m))
            scenario = scenario_record(spec, drawn, time_s, plan, layout_name)
        # the scenery and the random street come after the scenario: it may have moved the junction
        junction = intersection.is_intersection(layout)
        scenery = intersection.context_entities if junction else street.context_entities
        facade = facade_sampler(bool(scene_cfg.facades.enabled), seed, index)
        context = scenery(scene_cfg, layout, rng_for(seed, index, "context"), facade)
        if scene_cfg.markings.enabled:
            context += markings.marking_entities(layout, str(scene_cfg.markings.style))
        details = scene_cfg.details
        if details.paving:
            context = paving.paved(context, float(details.slab_size_m))
        if details.manholes:
            context += paving.manholes(layout, float(details.manhole_spacing_m), seed, index)
        propose = intersection_traffic.proposer(scene_cfg, layout, times) if junction else None
        items = furniture.plan_furniture(scene_cfg.furniture, layout, seed, index)
        placed = street.place_objects(
            scene_cfg, layout, user_assets, seed, index, count, times, ego, actors, propose=propose, furniture=items
        )
        objects = [e for e in placed if not furniture.is_furniture(e)]
        fixtures = [e for e in placed if furniture.is_furniture(e)]
        labelled_fixtures = [e for e in fixtures if e.is_labelled]
        context += [e for e in fixtures if not e.is_labelled]
        rig, rig_params = street.ego_rig(
            scene_cfg, camera_cfg, sensors_cfg, layout, rng_for(seed, index, "camera"), times, ego
        )
        rigid_people = {e.instance_id for e in objects if e.skeleton is None and is_person_asset(e.asset)}
        objects = articulate_people(scene_cfg.people, objects, seed, index, np.arange(seq.num_frames) / float(seq.fps))
        people = {e.instance_id for e in objects if e.instance_id in rigid_people and e.skeleton is not None}
        # trees are left out: their crowns overhang the walk, only their pits were reserved
        obstacles = [e for e in fixtures if e.asset.name != "tree"]
        objects = keep_clear(objects, people, times, [ego_footprint(ego)], obstacles)
        placed_counts = {kind: sum(e.asset.name == kind for e in fixtures) for kind in furniture.FURNITURE_ASSETS}
        extra_params = {"furniture_placed": placed_counts} if items else {}
    elif scene_cfg.kind == "tabletop":
        labelled_fixtures, extra_params = [], {}
        layout = tabletop.sample_table_layout(scene_cfg, rng_layout)
        context = tabletop.context_entities(layout, rng_for(seed, index, "context"))
        objects = tabletop.place_objects(scene_cfg, layout, user_assets, seed, index, count, times)
        rig, rig_params = tabletop.hemisphere_rig(
            scene_cfg,
            camera_cfg,
            sensors_cfg,
            layout,
            rng_for(seed, index, "camera"),
            rng_for(seed, index, "motion"),
            times,
        )
    else:  # validate_config accepts only the kinds above
        raise ValueError(f"unknown scene kind {scene_cfg.kind!r}")
    lights, environment = sample_lighting(
        scene_cfg.lighting, rng_for(seed, index, "lighting"), rng_for(seed, index, "lighting", 1)
    )
    environment = replace(environment, hdri=sample_hdri(scene_cfg.lighting, rng_for(seed, index, "environment")))
    conditions, context, lights, environment = apply_conditions(
        cfg, seed, index, layout, objects, context, lights, environment
    )
    scene = Scene(
        scene_id=scene_id_for(index),
        index=index,
        seeds=seeds_record(int(cfg.seed), index, attempt),
        fps=float(seq.fps),
        num_frames=int(seq.num_frames),
        entities=[*objects, *labelled_fixtures, *context],
        lights=lights,
        environment=environment,
        rig=rig,
        kind=scene_cfg.kind,
        params={
            **layout,
            **rig_params,
            "num_objects_requested": count,
            "num_objects_placed": len(objects),
            **extra_params,
        },
        scenario=scenario,
        conditions=conditions,
    )
    if scene_cfg.kind == "street" and seq.reentry:
        street.check_reentry(scene)
    return scene

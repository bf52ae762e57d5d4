"""The scenario library's framework (issue 13, item 1): the scenario config group and its validation,
the library listing, parameter draws, scene.json's scenario record, critical actors kept clear of the
random street, and determinism of scenario runs across workers and shards. The behaviour of each
scenario is checked in tests/test_scenarios_*.py."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from generator.config import compose_config
from generator.config_hash import config_hash
from generator.errors import ConfigError
from generator.run.loop import run_generation
from generator.world.distributions import parse_distribution
from generator.world.placement import SweptFootprint, swept_overlap
from generator.world.sampling import sample_scene
from generator.world.scenarios import NONE, SCENARIOS, parameter_table
from generator.world.scenarios.base import critical_time, draw_parameters
from scenes import scene_from_dict, scene_to_dict, scene_to_json
from synthsense.cli import main
from synthsense.scenario_table import SCENARIO_FOLDER, scenario_defaults

FAST = ["renderer=fake", "camera.width=96", "camera.height=72", "output.progress=false", "output.preview=false"]


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.glob("scenes/**/*"))
        if p.is_file()
    }


def test_every_scenario_yaml_sets_exactly_its_parameter_table():
    """configs/scenario/NAME.yaml is what scenario=NAME composes: a key missing there would be a
    missing parameter, a key too many an unknown one."""
    files = {p.stem for p in SCENARIO_FOLDER.glob("*.yaml")}
    assert files == {NONE, *SCENARIOS}
    for name, spec in SCENARIOS.items():
        assert set(scenario_defaults(name)) == set(parameter_table(spec)), name
        cfg = compose_config([f"scenario={name}"])  # its defaults validate
        assert cfg.scenario.name == name


def test_no_scenario_leaves_the_config_hash_and_scene_as_they_were():
    cfg = compose_config(["num_scenes=1"])
    assert cfg.scenario.name == NONE
    explicit = compose_config(["num_scenes=1", "scenario=none"])
    assert config_hash(cfg) == config_hash(explicit)
    scene = sample_scene(cfg, 0)
    data = json.loads(scene_to_json(scene))
    assert "scenario" not in data
    # the only attribute a street without a scenario gives is the children's age group (scene.people)
    assert all(e.get("attributes", {"age_group": "child"}) == {"age_group": "child"} for e in data["entities"])
    with_scenario = compose_config(["num_scenes=1", "scenario=pedestrian_crossing"])
    assert config_hash(with_scenario) != config_hash(cfg)


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        (["scenario=nope"], "scenario"),
        (["scenario=pedestrian_crossing", "scenario.name=nope"], "scenario.name"),
        (["scenario=pedestrian_crossing", "+scenario.gap_m=3"], "scenario.gap_m"),
        (["scenario=pedestrian_crossing", "~scenario.ttc_s"], "scenario.ttc_s"),
        (["scenario=pedestrian_crossing", "scenario.ego_speed_kmh=uniform:10:500"], "scenario.ego_speed_kmh"),
        (["scenario=pedestrian_crossing", "scenario.ttc_s=uniform:4:1"], "scenario.ttc_s"),
        (["scenario=pedestrian_crossing", "scenario.side=middle"], "scenario.side"),
        (["scenario=pedestrian_crossing", "scenario.critical_time_s=-1"], "scenario.critical_time_s"),
        (["scenario=pedestrian_crossing", "scene=tabletop"], "scenario"),
        (["scenario=none", "+scenario.ttc_s=3"], "scenario.ttc_s"),
        (["scenario=turn_across_path", "scene.lane_width_m=2.75"], "scene.lane_width_m"),
        (["scenario=occluded_pedestrian", "scene.lane_width_m=uniform:2.2:3.5"], "scene.lane_width_m"),
        (["scenario=cut_in", "scene.sequence.reentry=true", "scene.sequence.num_frames=40"], "reentry"),
    ],
)
def test_bad_scenario_input_is_one_line_naming_the_key(overrides, key):
    with pytest.raises(ConfigError) as info:
        compose_config(overrides)
    message = str(info.value)
    assert "\n" not in message
    assert key in message


def test_cli_bad_scenario_exits_2_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["generate", *FAST, "scenario=pedestrian_crossing", "scenario.ego_speed_kmh=900", f"output_dir={out}"])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "scenario.ego_speed_kmh" in err[0]
    assert not out.exists()


def test_scenarios_command_lists_the_library_and_one_scenario(capsys):
    assert main(["scenarios"]) == 0
    listing = capsys.readouterr().out
    for name, spec in SCENARIOS.items():
        assert f"{name}: {spec.description}" in listing
    assert main(["scenarios", "pedestrian_crossing"]) == 0
    one = capsys.readouterr().out
    assert "critical moment" in one
    for key in parameter_table(SCENARIOS["pedestrian_crossing"]):
        assert f"  {key} = " in one
    assert main(["scenarios", "nope"]) == 2
    assert "unknown scenario 'nope'" in capsys.readouterr().err


def test_named_choice_distributions():
    labels = ("near", "far")
    assert parse_distribution("k", "far", labels).sample(np.random.default_rng(0)) == "far"
    both = parse_distribution("k", {"choice": ["near", "far"], "weights": [0, 1]}, labels)
    assert {both.sample(np.random.default_rng(s)) for s in range(5)} == {"far"}
    shorthand = parse_distribution("k", "choice:near:far", labels)
    assert shorthand.args == ("near", "far")
    for bad in ("middle", {"choice": []}, {"uniform": [0, 1]}, 3):
        with pytest.raises(ConfigError, match="^k: "):
            parse_distribution("k", bad, labels)


def test_each_parameter_draws_from_its_own_stream():
    """Dropping a parameter from the table leaves every other parameter's draw as it was."""
    spec = SCENARIOS["pedestrian_crossing"]
    cfg = scenario_defaults("pedestrian_crossing")
    full = draw_parameters(spec, cfg, 5, 3)
    fewer = type(spec)(**{**spec.__dict__, "parameters": {k: v for k, v in spec.parameters.items() if k != "side"}})
    part = draw_parameters(fewer, cfg, 5, 3)
    assert {k: v for k, v in full.items() if k != "side"} == part
    assert draw_parameters(spec, cfg, 5, 4) != full  # another scene draws anew


def test_critical_time_is_the_still_frame_and_inside_a_sequence():
    assert critical_time(2.5, 1, 10.0) == 0.0
    assert critical_time(2.5, 40, 10.0) == 2.5
    assert critical_time(9.0, 40, 10.0) == pytest.approx(3.9)


def test_scene_json_records_the_scenario_and_round_trips():
    cfg = compose_config(["scenario=pedestrian_crossing", "scene.sequence.num_frames=20", "seed=2"])
    scene = sample_scene(cfg, 1)
    record = scene.scenario
    assert record["name"] == "pedestrian_crossing"
    assert set(record["parameters"]) == set(parameter_table(SCENARIOS["pedestrian_crossing"]))
    assert record["critical_actors"] == [1]
    assert record["roles"] == {"1": "crossing_pedestrian"}
    assert record["critical_time_s"] == record["parameters"]["critical_time_s"]  # inside the 2 s sequence
    actor = next(e for e in scene.entities if e.instance_id == 1)
    assert actor.category == "pedestrian"
    assert scene_to_json(scene_from_dict(json.loads(scene_to_json(scene)))) == scene_to_json(scene)
    assert scene_to_dict(scene_from_dict(scene_to_dict(scene)))["scenario"] == record


def _swept(entity, times: np.ndarray) -> SweptFootprint:
    poses = [entity.trajectory.pose_at(t) for t in times]
    centres = np.array([p[:2, 3] for p in poses])
    yaws = np.array([np.arctan2(p[1, 0], p[0, 0]) for p in poses])
    return SweptFootprint(centres, yaws, entity.size_m[0], entity.size_m[1])


def test_random_street_keeps_clear_of_critical_actors_and_their_sight_lines():
    """No random object's path overlaps a critical actor's path, and none stands on the line from
    the ego camera to the actor at any keyframe (checked on the entities, independently of the placer)."""
    cfg = compose_config(["scenario=pedestrian_crossing", "scene.sequence.num_frames=20", "seed=11"])
    for index in range(6):
        scene = sample_scene(cfg, index)
        times = np.linspace(0.0, 1.9, 20)
        [actor] = [e for e in scene.entities if e.instance_id == 1]
        others = [e for e in scene.entities if e.instance_id > 1]
        eye = np.array([scene.rig.trajectory.pose_at(t)[:2, 3] for t in times])
        target = np.array([actor.trajectory.pose_at(t)[:2, 3] for t in times])

        sight = SweptFootprint(
            (eye + target) / 2, np.arctan2(*(target - eye).T[::-1]), 1e-3 + np.hypot(*(target - eye).T).min(), 0.2
        )
        for other in others:
            assert not swept_overlap(_swept(actor, times), _swept(other, times)), (index, other.name)
            assert not swept_overlap(sight, _swept(other, times)), (index, other.name)


def test_scenario_runs_are_identical_whatever_the_workers_and_shards(tmp_path):
    """A scenario with a target: workers=2 and 4 shards into one folder give byte-identical scenes/
    to workers=1 (the must-show of issue 13)."""
    common = [
        *FAST,
        "num_scenes=4",
        "seed=9",
        "scenario=pedestrian_crossing",
        "scene.sequence.num_frames=3",
        "target.objects.category=[pedestrian]",
        "target.objects.visibility=[0.5,1.0]",
        "target.max_attempts=20",
    ]
    one = tmp_path / "one"
    run_generation(compose_config([*common, f"output_dir={one}"]))
    two = tmp_path / "two"
    run_generation(compose_config([*common, "workers=2", f"output_dir={two}"]))
    shards = tmp_path / "shards"
    for k in range(4):
        run_generation(compose_config([*common, "num_shards=4", f"shard_index={k}", f"output_dir={shards}"]))
    reference = _digests(one)
    assert len([p for p in reference if p.endswith("labels.json")]) == 12
    assert _digests(two) == reference
    assert _digests(shards) == reference
    for scene_dir in sorted((one / "scenes").iterdir()):
        assert json.loads((scene_dir / "scene.json").read_text())["scenario"]["name"] == "pedestrian_crossing"
        frames = [json.loads(p.read_text()) for p in sorted(scene_dir.glob("*/labels.json"))]
        matching = [
            o
            for f in frames
            for o in f["objects"]["front"]
            if o["category"] == "pedestrian" and 0.5 <= o["visibility"] <= 1.0
        ]
        assert matching, scene_dir.name  # frames: any


def test_the_road_runs_past_the_farthest_critical_actor():
    """A wrong-way car 8 s away starts some 150 m out, past the default road: the road, its sidewalks
    and buildings are lengthened to reach beyond it."""
    cfg = compose_config(["scenario=wrong_way_vehicle", "scenario.ttc_s=8", "scene.sequence.num_frames=20"])
    for index in range(3):
        scene = sample_scene(cfg, index)
        [car] = [e for e in scene.entities if e.instance_id == 1]
        [road] = [e for e in scene.entities if e.category == "road"]
        road_end = road.trajectory.poses[0][0, 3] + road.size_m[0] / 2
        farthest = max(p[0, 3] for p in car.trajectory.poses) + car.size_m[0] / 2
        assert farthest > 120.0  # beyond where the default road would end
        assert road_end >= farthest + 10.0

"""The four-way intersection layout and its scenarios (issue 13): the straight layout unchanged, the
intersection's scenery and road users on both roads, no footprint overlaps at any keyframe,
turn_across_path (Euro NCAP CCFtap) and pedestrian_crossing on the crosswalk, all checked by reading the
written scene.json and labels.json with the test's own geometry; and the one-line error of an unknown
layout."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from generator.config import compose_config
from generator.config_hash import config_hash
from generator.errors import ConfigError
from generator.run.loop import run_generation
from generator.world.sampling import sample_scene
from scenes import scene_to_json
from scenes.serialization import load_scene
from scenes.taxonomy import semantic_id
from synthsense.cli import main

FAST = [
    "renderer=fake",
    "camera.width=96",
    "camera.height=72",
    "output.progress=false",
    "output.preview=false",
]
JUNCTION = [*FAST, "scene.layout=intersection", "scene.sequence.num_frames=10", "scene.sequence.fps=5", "seed=11"]
# the turn takes up to ~14 s at 10 km/h on a wide arc (yield, the oncoming car passes, pull away):
# frames 2 s apart keep the run small, the scene.json keyframes give the fine timeline
TURN = [
    *FAST,
    "scenario=turn_across_path",
    "scene.sequence.num_frames=8",
    "scene.sequence.fps=0.5",
    "scene.num_objects={randint:[5,10]}",
    "seed=5",
]
# the ego's reserved footprint (generator/world/scenarios/base.py): 7 m x 2.4 m, centred 0.5 m behind
EGO_LENGTH_M, EGO_WIDTH_M, EGO_CENTRE_X_M = 7.0, 2.4, -0.5
VEHICLES = {"car", "truck", "bus"}


# --- the test's own geometry ---------------------------------------------------------------------------
def _corners(x: float, y: float, yaw: float, length: float, width: float) -> np.ndarray:
    """(4, 2) corners of an oriented rectangle."""
    c, s = np.cos(yaw), np.sin(yaw)
    local = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]]) * [length / 2, width / 2]
    return local @ np.array([[c, s], [-s, c]]) + [x, y]


def _overlap(a: np.ndarray, b: np.ndarray) -> bool:
    """Two convex quadrilaterals overlap unless an edge normal of either separates them."""
    for poly in (a, b):
        for k in range(4):
            edge = poly[(k + 1) % 4] - poly[k]
            normal = np.array([-edge[1], edge[0]])
            pa, pb = a @ normal, b @ normal
            if pa.max() <= pb.min() + 1e-9 or pb.max() <= pa.min() + 1e-9:
                return False
    return True


def _yaw(pose: np.ndarray) -> float:
    return float(np.arctan2(pose[1, 0], pose[0, 0]))


def _footprint(entity, t: float) -> np.ndarray:
    pose = entity.trajectory.pose_at(t)
    return _corners(pose[0, 3], pose[1, 3], _yaw(pose), entity.size_m[0], entity.size_m[1])


def _ego_footprint(world_from_ego: np.ndarray) -> np.ndarray:
    yaw = _yaw(world_from_ego)
    x = world_from_ego[0, 3] + EGO_CENTRE_X_M * np.cos(yaw)
    y = world_from_ego[1, 3] + EGO_CENTRE_X_M * np.sin(yaw)
    return _corners(x, y, yaw, EGO_LENGTH_M, EGO_WIDTH_M)


def _box(entity) -> tuple[float, float, float, float]:
    """x0, x1, y0, y1 of a still, axis-aligned (yaw 0 or pi/2) scenery entity."""
    pose = entity.trajectory.pose_at(0.0)
    length, width = entity.size_m[:2]
    if abs(np.sin(_yaw(pose))) > 0.5:
        length, width = width, length
    x, y = pose[0, 3], pose[1, 3]
    return x - length / 2, x + length / 2, y - width / 2, y + width / 2


def _labels(root: Path, scene_id: str) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((root / "scenes" / scene_id).glob("*/labels.json"))]


@pytest.fixture(scope="module")
def junction_run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("junction")
    run_generation(compose_config([*JUNCTION, "num_scenes=4", f"output_dir={root}"]))
    return root


@pytest.fixture(scope="module")
def turn_run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("turn")
    run_generation(compose_config([*TURN, "num_scenes=20", f"output_dir={root}"]))
    return root


def _scenes(root: Path):
    return [load_scene(p) for p in sorted(root.glob("scenes/*/scene.json"))]


# --- the straight layout ---------------------------------------------------------------------------------
@pytest.mark.parametrize("extra", [[], ["scene.sequence.num_frames=6"], ["scenario=pedestrian_crossing"]])
def test_straight_is_the_default_layout_and_records_nothing_new(extra):
    default = compose_config([*FAST, "seed=3", *extra])
    straight = compose_config([*FAST, "seed=3", "scene.layout=straight", *extra])
    for index in range(3):
        a, b = sample_scene(default, index), sample_scene(straight, index)
        assert scene_to_json(a) == scene_to_json(b)
        assert not {"layout", "junction_x_m", "crossing_lanes_per_direction"} & set(a.params)
        # no crosswalks or stop lines; its road markings are the lane lines (issue 16)
        assert not [e for e in a.entities if e.asset.name == "crosswalk" or e.name.startswith("stop_line")]


def test_straight_runs_keep_their_config_hash_and_the_intersection_changes_it():
    straight = config_hash(compose_config([*FAST, "seed=3"]))
    assert straight == config_hash(compose_config([*FAST, "seed=3", "scene.layout=straight"]))
    assert straight == config_hash(compose_config([*FAST, "seed=3", "scene.junction_distance_m=30"]))  # unread
    assert straight != config_hash(compose_config([*FAST, "seed=3", "scene.layout=intersection"]))


def test_road_marking_is_a_new_context_category_after_the_others():
    names = ("road", "sidewalk", "building", "table", "ground", "road_marking")
    assert [semantic_id(n) for n in names] == [100, 101, 102, 103, 104, 105]


# --- the intersection's scenery ----------------------------------------------------------------------------
def test_intersection_scenery_crosswalks_sidewalk_gaps_and_corner_buildings(junction_run):
    assert json.loads((junction_run / "dataset.json").read_text())["config"]["scene"]["layout"] == "intersection"
    for scene in _scenes(junction_run):
        p = scene.params
        assert p["layout"] == "intersection" and 25.0 <= p["junction_x_m"] <= 45.0
        xj = p["junction_x_m"]
        h1 = p["lanes_per_direction"] * p["lane_width_m"]
        h2 = p["crossing_lanes_per_direction"] * p["lane_width_m"]
        sw = p["sidewalk_width_m"]
        by_name = {e.name: e for e in scene.entities if e.instance_id == 0}
        marks = [e for e in by_name.values() if e.asset.name == "crosswalk"]  # road_marking also has lane lines
        assert len(marks) == 4 and all(e.size_m[2] < 0.05 for e in marks)  # flat paint on the road
        # west crosswalk across the ego road before the junction, south/north across the crossing road
        x0, x1, y0, y1 = _box(by_name["crosswalk_west"])
        assert x1 < xj - h2 and -h1 <= y0 and y1 <= h1 and x1 - x0 >= 2.5
        for name in ("crosswalk_south", "crosswalk_north"):
            x0, x1, y0, y1 = _box(by_name[name])
            assert xj - h2 <= x0 and x1 <= xj + h2 and min(abs(y0), abs(y1)) > h1
        # the crossing road's arms exist, and no sidewalk covers the ego road's sidewalk line there
        roads = [_box(e) for e in by_name.values() if e.category == "road"]
        assert any(b[0] <= xj <= b[1] and b[2] > 0 for b in roads) and any(
            b[0] <= xj <= b[1] and b[3] < 0 for b in roads
        )
        walks = [_box(e) for e in by_name.values() if e.category == "sidewalk"]
        for y in (h1 + sw / 2, -(h1 + sw / 2)):
            assert not any(b[0] < xj < b[1] and b[2] < y < b[3] for b in walks)
            assert any(b[1] <= xj - h2 + 1e-6 and b[2] < y < b[3] for b in walks)  # up to the corner
        # buildings stand clear of both roads and their sidewalks; one on each corner
        buildings = [_box(e) for e in by_name.values() if e.category == "building"]
        for bx0, bx1, by0, by1 in buildings:
            assert by0 >= h1 + sw - 1e-6 or by1 <= -(h1 + sw) + 1e-6
            assert bx0 >= xj + h2 + sw - 1e-6 or bx1 <= xj - h2 - sw + 1e-6
        for sx in (-1, 1):
            for sy in (-1, 1):
                near = [b for b in buildings if abs(((b[0] + b[1]) / 2 - xj) * sx - (h2 + sw + 5)) < 2]
                assert any(abs((b[2] + b[3]) / 2 * sy - (h1 + sw + 5)) < 2 for b in near)


def test_road_users_on_both_roads_heading_along_them(junction_run):
    crossing_vehicles = 0
    for scene in _scenes(junction_run):
        xj, w = scene.params["junction_x_m"], scene.params["lane_width_m"]
        h1 = scene.params["lanes_per_direction"] * w
        h2 = scene.params["crossing_lanes_per_direction"] * w
        for e in scene.entities:
            if e.category not in VEHICLES or e.motion.get("model") == "parked":
                continue
            pose = e.trajectory.pose_at(0.0)
            x, y, yaw = pose[0, 3], pose[1, 3], _yaw(pose)
            if abs(x - xj) < h2 and abs(y) > h1:  # on a crossing arm: along ±y, right-hand traffic
                crossing_vehicles += 1
                assert abs(abs(yaw) - np.pi / 2) < 0.3
                assert np.sign(np.sin(yaw)) == np.sign(x - xj)
            elif abs(y) < h1 and not abs(x - xj) < h2:  # on the ego road: along ±x
                assert abs(np.sin(yaw)) < 0.5
    assert crossing_vehicles >= 3


def test_no_footprint_overlaps_at_any_keyframe(junction_run):
    for scene in _scenes(junction_run):
        objects = scene.labelled_entities()
        for t in np.arange(0.0, scene.num_frames / scene.fps + 1e-9, 0.1):
            boxes = [_footprint(e, t) for e in objects]
            ego = _ego_footprint(scene.rig.trajectory.pose_at(t))
            for i, a in enumerate(boxes):
                assert not _overlap(a, ego), (scene.scene_id, objects[i].name, t)
                for j in range(i):
                    assert not _overlap(a, boxes[j]), (scene.scene_id, objects[i].name, objects[j].name, t)


def test_sidewalk_users_never_step_into_a_road(junction_run):
    for scene in _scenes(junction_run):
        walks = [_box(e) for e in scene.entities if e.category == "sidewalk"]
        for e in scene.labelled_entities():
            if e.category != "pedestrian" or e.trajectory.pose_at(0.0)[2, 3] < e.size_m[2] / 2 + 0.1:
                continue  # at road level (crossing the road)
            for t in np.arange(0.0, scene.num_frames / scene.fps, 0.1):
                x, y = e.trajectory.pose_at(t)[:2, 3]
                assert any(b[0] <= x <= b[1] and b[2] <= y <= b[3] for b in walks), (e.name, t)


# --- turn_across_path ----------------------------------------------------------------------------------
def test_turn_across_path_ego_turns_left_and_the_oncoming_car_passes_without_overlap(turn_run):
    scenes = _scenes(turn_run)
    assert len(scenes) == 20
    for scene in scenes:
        assert scene.params["layout"] == "intersection" and scene.scenario["layout"] == "intersection"
        lane = scene.params["lane_width_m"]
        labels = _labels(turn_run, scene.scene_id)
        yaws = [_yaw(np.array(frame["world_from_ego"])) for frame in labels]
        # the ego turns left by a quarter turn: from along +x (or early in its arc) to along +y
        assert yaws[0] < np.radians(25) and abs(yaws[-1] - np.pi / 2) < np.radians(2), np.degrees(yaws)
        assert all(b >= a - 1e-9 for a, b in zip(yaws, yaws[1:], strict=False))
        [car] = [e for e in scene.entities if e.instance_id == 1]
        records = [next(o for o in f["objects"]["front"] if o["instance_id"] == 1) for f in labels]
        assert all(r["category"] == "car" for r in records)
        assert any(r["visible"] for r in records)
        centres = np.array([r["box3d_world"]["center"] for r in records])
        # in the first oncoming lane, heading -x, coming towards the junction
        np.testing.assert_allclose(centres[:, 1], lane / 2, atol=1e-6)
        assert all(abs(abs(r["box3d_world"]["yaw"]) - np.pi) < 1e-6 for r in records)
        assert np.all(np.diff(centres[:, 0]) < 0)
        # the critical moment: the car's centre at the conflict point (where the ego's path crosses its lane)
        conflict = scene.scenario["derived"]["conflict_point_m"]
        car_x = car.trajectory.pose_at(scene.scenario["critical_time_s"])[0, 3]
        assert abs(car_x - conflict[0]) < 1e-6 and abs(conflict[1] - lane / 2) < 1e-9
        # never overlapping, on the fine keyframe grid of scene.json
        for t in np.arange(0.0, scene.num_frames / scene.fps, 0.05):
            assert not _overlap(_footprint(car, t), _ego_footprint(scene.rig.trajectory.pose_at(t))), t


def test_turn_across_path_still_shows_the_yield_at_the_conflict(tmp_path):
    cfg = compose_config([*FAST, "scenario=turn_across_path", "scene.layout=straight", "seed=2"])
    for index in range(4):
        scene = json.loads(scene_to_json(sample_scene(cfg, index)))
        assert scene["params"]["layout"] == "intersection"  # the scenario forces its layout
        [car] = [e for e in scene["entities"] if e["instance_id"] == 1]
        car_pose = np.array(car["trajectory"]["poses"][0])
        ego_pose = np.array(scene["rig"]["trajectory"]["poses"][0])
        assert abs(car_pose[0, 3] - scene["scenario"]["derived"]["conflict_point_m"][0]) < 1e-6
        assert 0.0 < _yaw(ego_pose) < np.pi / 2  # stopped inside its turn, short of the car's lane
        assert not _overlap(
            _corners(car_pose[0, 3], car_pose[1, 3], _yaw(car_pose), *car["size_m"][:2]), _ego_footprint(ego_pose)
        )


# --- pedestrian_crossing at the intersection ----------------------------------------------------------------
def test_pedestrian_crossing_at_an_intersection_crosses_on_the_crosswalk(tmp_path):
    root = tmp_path / "ped"
    args = [*JUNCTION, "scenario=pedestrian_crossing", "num_scenes=5", f"output_dir={root}"]
    run_generation(compose_config(args))
    for scene in _scenes(root):
        assert scene.scenario["layout"] == "intersection"
        [walk] = [e for e in scene.entities if e.name == "crosswalk_west"]
        x0, x1, _, _ = _box(walk)
        for frame in _labels(root, scene.scene_id):
            [ped] = [o for o in frame["objects"]["front"] if o["instance_id"] == 1]
            assert ped["category"] == "pedestrian"
            assert x0 <= ped["box3d_world"]["center"][0] <= x1


# --- bad input -----------------------------------------------------------------------------------------------
def test_unknown_layout_is_one_line_naming_the_key(tmp_path, capsys):
    with pytest.raises(ConfigError) as err:
        compose_config([*FAST, "scene.layout=roundabout"])
    assert "scene.layout" in str(err.value) and "\n" not in str(err.value)
    root = tmp_path / "ds"
    assert main(["generate", *FAST, "scene.layout=roundabout", f"output_dir={root}"]) == 2
    message = capsys.readouterr().err.strip()
    assert "scene.layout" in message and "roundabout" in message and len(message.splitlines()) == 1
    assert not root.exists()


def test_turn_across_path_parameter_out_of_range_names_it():
    with pytest.raises(ConfigError, match=r"scenario\.target_speed_kmh") as err:
        compose_config([*FAST, "scenario=turn_across_path", "scenario.target_speed_kmh=500"])
    assert "\n" not in str(err.value)


def test_a_turn_too_wide_for_the_junction_names_the_radius():
    lanes = ["scene.lanes_per_direction=1", "scene.crossing_lanes_per_direction=1"]
    cfg = compose_config([*FAST, "scenario=turn_across_path", "scenario.turn_radius_m=25", *lanes])
    with pytest.raises(ConfigError, match=r"scenario\.turn_radius_m") as err:
        sample_scene(cfg, 0)
    assert "\n" not in str(err.value)


def test_nothing_stands_still_on_a_crosswalk(junction_run):
    """Parked cars, cones and lying objects keep their whole footprint off every zebra crossing (a
    parked car centred beside a crosswalk used to reach 1.4 m into it)."""
    checked = 0
    for scene in _scenes(junction_run):
        zebras = [_footprint(e, 0.0) for e in scene.entities if e.asset.name == "crosswalk"]
        assert len(zebras) >= 4
        for e in scene.labelled_entities():
            on_road = e.trajectory.pose_at(0.0)[2, 3] < e.size_m[2] / 2 + 0.05
            if len(e.trajectory.times) > 1 or not on_road:
                continue
            checked += 1
            assert not any(_overlap(_footprint(e, 0.0), z) for z in zebras), (scene.scene_id, e.name)
    assert checked > 0

"""Scenarios road_debris and construction_zone (issue 13), checked over the written labels.json and
scene.json (not the scenario's own geometry): the debris lies in the ego lane ahead of the ego and the
ego stops short of it; the cones form a MUTCD taper across the closed lane, a barrier closes it and the
workers stand in it; bad parameters name their key; the same seed writes the same scene.json. Also the
new assets and the street placement rules of the categories tire, debris and animal."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from assets.procedural import get_procedural
from generator.config import compose_config
from generator.errors import ConfigError
from generator.run.loop import run_generation
from generator.world.sampling import sample_scene
from generator.world.scenarios.base import EGO_FRONT_M
from scenes import scene_to_json
from synthsense.cli import main

FAST = [
    "renderer=fake",
    "camera.width=160",
    "camera.height=120",
    "output.progress=false",
    "output.preview=false",
    "scene.num_objects=randint:5:10",
]
HAZARDS = {"tire", "debris", "animal"}
MPH_PER_KMH = 1.0 / 1.609344


def _generate(root: Path, *overrides: str) -> Path:
    run_generation(compose_config([*FAST, *overrides, f"output_dir={root}"]))
    return root


def _scenes(root: Path):
    """(scene.json, [labels.json of each frame]) of every scene written under ``root``."""
    for folder in sorted((root / "scenes").iterdir()):
        scene = json.loads((folder / "scene.json").read_text())
        frames = [json.loads(p.read_text()) for p in sorted(folder.glob("*/labels.json"))]
        yield scene, frames


def _objects(frame: dict) -> dict[int, dict]:
    return {o["instance_id"]: o for o in frame["objects"]["front"]}


def _roles(scene: dict) -> dict[int, str]:
    return {int(k): v for k, v in scene["scenario"]["roles"].items()}


def _x_extent(box: dict) -> float:
    """World x extent (m) of a labelled 3D box turned by its yaw about z."""
    length, width, _ = box["size_m"]
    return length * abs(math.cos(box["yaw"])) + width * abs(math.sin(box["yaw"]))


def _corners(box: dict) -> np.ndarray:
    """Ground corners (4, 2) of a labelled 3D box (world x, y, m)."""
    length, width, _ = box["size_m"]
    c, s = math.cos(box["yaw"]), math.sin(box["yaw"])
    local = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]]) * [length / 2.0, width / 2.0]
    return local @ np.array([[c, s], [-s, c]]) + box["center"][:2]


def _apart(a: dict, b: dict) -> bool:
    """True when the footprints of two labelled boxes are separated along one of their edge normals."""
    ca, cb = _corners(a), _corners(b)
    for corners in (ca, cb):
        for edge in np.diff(np.vstack([corners, corners[:1]]), axis=0):
            axis = np.array([-edge[1], edge[0]])
            pa, pb = ca @ axis, cb @ axis
            if pa.max() < pb.min() or pb.max() < pa.min():
                return True
    return False


def _no_two_overlap(records: list[dict]) -> bool:
    boxes = [r["box3d_world"] for r in records]
    return all(_apart(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


def _ego_xy(frame: dict) -> tuple[float, float]:
    pose = frame["world_from_ego"]
    return pose[0][3], pose[1][3]


# --- road_debris ---------------------------------------------------------------------------------------
def test_road_debris_lies_in_the_ego_lane_ahead_of_the_ego(tmp_path):
    root = _generate(tmp_path / "ds", "scenario=road_debris", "num_scenes=20", "seed=5")
    seen_categories, seen_assets, visible = set(), set(), 0
    for scene, [frame] in _scenes(root):
        params = scene["scenario"]["parameters"]
        ids = scene["scenario"]["critical_actors"]
        assert len(ids) == params["count"] and 1 <= len(ids) <= 4
        objects = _objects(frame)
        lane_width = scene["params"]["lane_width_m"]
        ego_x, ego_y = _ego_xy(frame)
        assert ego_y == pytest.approx(-lane_width / 2.0)  # the ego lane's centre
        near_sides = []
        for iid in ids:
            record = objects[iid]
            assert record["category"] in HAZARDS
            if params["kind"] != "mixed":
                assert record["category"] == params["kind"]
            centre = record["box3d_world"]["center"]
            assert abs(centre[1] - ego_y) < lane_width / 2.0, f"scene {scene['scene_id']}: object {iid} off the lane"
            assert centre[2] == pytest.approx(record["box3d_world"]["size_m"][2] / 2.0)  # resting on the road
            near_sides.append(centre[0] - _x_extent(record["box3d_world"]) / 2.0)
            seen_categories.add(record["category"])
        # a still shows the critical moment: the first object is ttc_s ahead of the ego's front
        speed = params["ego_speed_kmh"] / 3.6
        assert min(near_sides) - (ego_x + EGO_FRONT_M) == pytest.approx(speed * params["ttc_s"], rel=1e-6)
        visible += objects[ids[int(np.argmin(near_sides))]]["visible_pixels"] > 0
        assert _no_two_overlap([objects[iid] for iid in ids])
        seen_assets |= {e["asset"]["name"] for e in scene["entities"] if e["instance_id"] in ids}
    assert seen_categories == HAZARDS
    assert seen_assets == {"tire", "cargo_box", "pallet", "animal"}
    assert visible >= 15  # the sight line to each object is kept clear; far, flat ones can be sub-pixel


def test_road_debris_crossing_animal_is_in_the_lane_at_the_critical_moment_and_the_ego_stops_short(tmp_path):
    overrides = ["scenario=road_debris", "scenario.kind=animal", "scenario.animal_motion=crossing"]
    overrides += ["scenario.count=1", "scenario.critical_time_s=1.0", "scenario.ego_speed_kmh=30"]
    root = _generate(tmp_path / "ds", *overrides, "num_scenes=3", "seed=2", *_sequence(15, 5.0))
    for scene, frames in _scenes(root):
        [iid] = scene["scenario"]["critical_actors"]
        lane_width = scene["params"]["lane_width_m"]
        speed = scene["scenario"]["parameters"]["animal_speed_kmh"] / 3.6
        critical = _objects(frames[5])[iid]  # frame 5 at 5 fps: t = 1.0 s
        assert frames[5]["t"] == pytest.approx(1.0)
        assert abs(critical["box3d_world"]["center"][1] + lane_width / 2.0) < lane_width / 2.0
        assert abs(critical["velocity_world"][1]) == pytest.approx(speed, rel=1e-6)  # walking across
        assert critical["velocity_world"][0] == pytest.approx(0.0, abs=1e-9)
        ys = [_objects(f)[iid]["box3d_world"]["center"][1] for f in frames]
        assert ys[0] != pytest.approx(ys[5])  # it moves across the road
        for frame in frames:  # the ego's front never reaches the animal's path
            box = _objects(frame)[iid]["box3d_world"]
            assert box["center"][0] - _x_extent(box) / 2.0 > _ego_xy(frame)[0] + EGO_FRONT_M
        assert frames[-1]["sensors"]["front"]["velocity_world"][0] == pytest.approx(0.0, abs=1e-9)  # stopped


def _sequence(num_frames: int, fps: float) -> list[str]:
    return [f"scene.sequence.num_frames={num_frames}", f"scene.sequence.fps={fps}"]


# --- construction_zone ---------------------------------------------------------------------------------
def _closed_lane_edges(scene: dict) -> tuple[float, float]:
    """(far edge, open edge) world y of the closed lane: the ego lane spans [-w, 0], the next one to
    its right [-2w, -w]; the open side is the lane line between them."""
    w = scene["params"]["lane_width_m"]
    far = 0.0 if scene["scenario"]["parameters"]["closed_lane"] == "ego" else -2.0 * w
    return far, -w


def _by_role(scene: dict, frame: dict) -> dict[str, list[dict]]:
    objects, out = _objects(frame), {}
    for iid, role in _roles(scene).items():
        out.setdefault(role, []).append(objects[iid])
    return out


def test_construction_zone_cones_taper_across_the_closed_lane_with_barrier_and_workers(tmp_path):
    root = _generate(tmp_path / "ds", "scenario=construction_zone", "num_scenes=20", "seed=8")
    closed = set()
    for scene, [frame] in _scenes(root):
        params = scene["scenario"]["parameters"]
        closed.add(params["closed_lane"])
        roles = _by_role(scene, frame)
        w = scene["params"]["lane_width_m"]
        far, open_ = _closed_lane_edges(scene)
        low, high = min(far, open_), max(far, open_)
        taper = sorted(roles["taper_cone"], key=lambda o: o["box3d_world"]["center"][0])
        xs = np.array([o["box3d_world"]["center"][0] for o in taper])
        ys = np.array([o["box3d_world"]["center"][1] for o in taper])
        assert {o["category"] for o in taper + roles.get("lane_cone", [])} == {"traffic_cone"}
        # from the far edge of the closed lane across it to the lane line beside the open lane
        assert abs(ys[0] - far) <= 0.6 and abs(ys[-1] - open_) <= 0.6
        assert np.all(np.sign(np.diff(ys)) == np.sign(open_ - far))
        assert np.all((ys > low) & (ys < high))
        assert abs(ys[-1] - ys[0]) >= w - 1.2
        # MUTCD 6C.08 merging taper, L = W S^2 / 60 (S in mph, below 45 mph), times the sampled factor
        mph = params["posted_speed_kmh"] * MPH_PER_KMH
        assert mph < 45
        assert xs[-1] - xs[0] == pytest.approx(params["taper_length_factor"] * w * mph**2 / 60.0, rel=1e-9)
        assert np.all(np.diff(xs) <= params["cone_spacing_m"] + 1e-9)
        assert xs[0] > _ego_xy(frame)[0] + EGO_FRONT_M
        [barrier] = roles["closure_barrier"]
        bx, by = barrier["box3d_world"]["center"][:2]
        assert barrier["category"] == "barrier" and xs[-1] < bx
        assert abs(abs(barrier["box3d_world"]["yaw"]) - math.pi / 2) < 1e-6  # lying across the lane
        assert (
            low <= by - barrier["box3d_world"]["size_m"][0] / 2 and by + barrier["box3d_world"]["size_m"][0] / 2 <= high
        )
        for cone in roles.get("lane_cone", []):  # the closed lane's line through the work area
            assert cone["box3d_world"]["center"][0] > bx
            assert cone["box3d_world"]["center"][1] == pytest.approx(ys[-1])
        workers = roles["worker"]
        assert len(workers) == params["workers"]
        for worker in workers:
            assert worker["category"] == "pedestrian" and worker["attributes"] == {"role": "worker"}
            x, y, _ = worker["box3d_world"]["center"]
            assert x > bx and low < y < high
        assert _no_two_overlap([_objects(frame)[iid] for iid in _roles(scene)])
    assert closed == {"ego", "adjacent"}


@pytest.mark.parametrize("response", ["change_lane", "stop"])
def test_construction_zone_ego_changes_lane_or_stops_before_the_taper(tmp_path, response):
    overrides = ["scenario=construction_zone", "scenario.closed_lane=ego", f"scenario.ego_response={response}"]
    overrides += ["scenario.critical_time_s=1.0", "scenario.ego_speed_kmh=30", "scenario.distance_m=25"]
    overrides += ["scenario.lane_change_s=2.5", "scenario.ego_deceleration_mps2=4.0"]
    root = _generate(tmp_path / "ds", *overrides, "num_scenes=2", "seed=1", *_sequence(26, 5.0))
    for scene, frames in _scenes(root):
        w = scene["params"]["lane_width_m"]
        taper = [o for o in _by_role(scene, frames[0])["taper_cone"]]
        first = min(taper, key=lambda o: o["box3d_world"]["center"][0])["box3d_world"]
        first_near = first["center"][0] - _x_extent(first) / 2.0
        ego = np.array([_ego_xy(f) for f in frames])
        assert ego[0, 1] == pytest.approx(-w / 2.0)
        if response == "change_lane":  # in the open lane before its front reaches the taper
            assert ego[-1, 0] + EGO_FRONT_M > first_near  # the sequence reaches the taper
            near = ego[:, 0] + EGO_FRONT_M >= first_near - 2.0
            assert near.any() and np.allclose(ego[near, 1], -1.5 * w)
            assert np.all(np.diff(ego[:, 1]) <= 1e-12)  # one move to the right, never back
        else:  # stopped short of the first cone, with the clearance the scenario keeps
            assert np.all(ego[:, 0] + EGO_FRONT_M < first_near)
            assert np.allclose(ego[:, 1], -w / 2.0)
            assert frames[-1]["sensors"]["front"]["velocity_world"][0] == pytest.approx(0.0, abs=1e-9)


# --- bad input, determinism, the library listing --------------------------------------------------------
@pytest.mark.parametrize(
    ("scenario", "override", "key"),
    [
        ("road_debris", "scenario.count=5", "scenario.count"),
        ("construction_zone", "scenario.taper_length_factor=uniform:0.1:1.0", "scenario.taper_length_factor"),
    ],
)
def test_parameter_out_of_range_names_the_key(scenario, override, key):
    with pytest.raises(ConfigError) as err:
        compose_config([*FAST, f"scenario={scenario}", override])
    message = str(err.value)
    assert key in message and "\n" not in message


def test_bad_parameter_on_the_command_line_exits_2_and_writes_nothing(tmp_path, capsys):
    root = tmp_path / "ds"
    args = ["generate", *FAST, "scenario=construction_zone", "scenario.workers=9", f"output_dir={root}"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "scenario.workers" in err and len(err.splitlines()) == 1
    assert not root.exists()


@pytest.mark.parametrize("scenario", ["road_debris", "construction_zone"])
def test_same_seed_same_scene_json(scenario):
    cfg = compose_config([*FAST, f"scenario={scenario}", "seed=11", *_sequence(6, 5.0)])
    first = scene_to_json(sample_scene(cfg, 3))
    assert scene_to_json(sample_scene(cfg, 3)) == first
    assert (
        scene_to_json(sample_scene(compose_config([*FAST, f"scenario={scenario}", "seed=12", *_sequence(6, 5.0)]), 3))
        != first
    )


def test_scenarios_command_describes_both(capsys):
    assert main(["scenarios", "construction_zone"]) == 0
    out = capsys.readouterr().out
    assert "MUTCD" in out and "taper_length_factor" in out
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    assert "road_debris:" in out and "construction_zone:" in out


# --- the new categories in the random street, and their assets -----------------------------------------------
def test_hazard_categories_follow_their_street_placement_rules():
    others = [
        f"scene.categories.{c}=0"
        for c in ("car", "truck", "bus", "pedestrian", "cyclist", "traffic_cone", "motorcycle")
    ]
    weights = ["scene.categories.tire=1.0", "scene.categories.debris=1.0", "scene.categories.animal=1.0"]
    # without the street furniture (labelled traffic signs and poles stand on the sidewalks too)
    no_furniture = "scene.furniture.enabled=false"
    cfg = compose_config([*FAST, *others, "scene.categories.barrier=0", *weights, "scene.num_objects=12", no_furniture])
    seen = {}
    for index in range(3):
        scene = json.loads(scene_to_json(sample_scene(cfg, index)))
        half_road = scene["params"]["lanes_per_direction"] * scene["params"]["lane_width_m"]
        for entity in scene["entities"]:
            if not entity["instance_id"]:
                continue
            assert entity["category"] in HAZARDS
            poses = entity["trajectory"]["poses"]
            assert len(poses) == 1  # lying or standing still
            y, z = poses[0][1][3], poses[0][2][3] - entity["size_m"][2] / 2.0
            on_road = abs(y) < half_road
            assert z == pytest.approx(0.0 if on_road else 0.15)  # the road surface, or the sidewalk's top
            if entity["category"] != "animal":
                assert on_road  # lost objects lie on the road: in a lane or at its edge
            seen.setdefault(entity["category"], set()).add(on_road)
    assert set(seen) == HAZARDS and seen["animal"] == {True, False}  # animals at the road edge and on sidewalks


def test_hazard_assets_follow_their_parameters():
    pallet = get_procedural("pallet")
    nominal = pallet.build(board_thickness=0.022, block_height=0.078, missing_top_board=0)
    np.testing.assert_allclose(nominal.extents, [1.2, 0.8, 0.144], atol=1e-12)  # EUR pallet, EN 13698-1
    tyre = get_procedural("tire")
    params = {"radius": 0.33, "rim_radius": 0.2, "width": 0.2, "with_rim": 1}
    flat, standing = tyre.build(**params, standing=0), tyre.build(**params, standing=1)
    np.testing.assert_allclose(flat.extents, [0.66, 0.66, flat.extents[2]], rtol=1e-2)  # tessellated circle
    np.testing.assert_allclose(standing.extents, [0.66, standing.extents[1], 0.66], rtol=1e-2)
    assert 0.19 <= flat.extents[2] <= 0.2 + 1e-9 and 0.19 <= standing.extents[1] <= 0.2 + 1e-9
    animal = get_procedural("animal")
    for seed in range(5):
        shape = animal.sample(np.random.default_rng(seed))
        mesh = animal.build(**shape)
        # the head rises above the withers; nose to tail is longer than the body
        assert shape["shoulder_height"] < mesh.extents[2] < 1.7 * shape["shoulder_height"]
        assert mesh.extents[0] > shape["body_length"]

"""Vehicle scenarios (issue 13): cut_in, lead_vehicle_braking (CCRb), stationary_vehicle (CCRs) and
wrong_way_vehicle, 20 scenes each, checked from what the run wrote (labels.json boxes and velocities,
scene.json's drawn parameters, lane width and critical actors), not from the scenarios' own geometry:
the cut-in car crosses the lane line at the critical moment, the lead's speed falls at the drawn
deceleration, the stopped car stands still inside the ego lane at its overlap, the wrong-way car comes at
the ego in its lane; no critical actor ever reaches the ego. Then bad parameters and determinism."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from generator.config import compose_config
from generator.errors import ConfigError
from generator.run.loop import run_generation
from generator.world.sampling import sample_scene
from scenes import scene_to_json
from synthsense.cli import main

FAST = [
    "renderer=fake",
    "camera.width=96",
    "camera.height=72",
    "output.progress=false",
    "output.preview=false",
    "scene.num_objects=randint:5:10",
    "num_scenes=20",
    "seed=13",
]
EGO_FRONT_M = 3.0  # the ego's front is this far ahead of its origin (the camera), DESIGN.md / scenarios.base
EGO_HALF_WIDTH_M = 1.2  # half the width the ego reserves on the road
KMH = 1.0 / 3.6
# sequences long enough to show each behaviour, short enough for the test budget
RUNS = {
    # the lane change is centred on the critical moment, 1.5-2.25 s in: frames every 0.25 s up to 2.5 s
    "cut_in": ["scene.sequence.fps=4", "scene.sequence.num_frames=11", "scenario.critical_time_s=uniform:1.5:2.25"],
    # brake onset 0.2-0.4 s in, then 1.6-1.8 s of braking (a 6 m/s^2 stop from 50 km/h takes 2.3 s): a long
    # baseline, as a frame's velocity_world may be its keyframe step before the frame (see check_lead...)
    "lead_vehicle_braking": [
        "scene.sequence.fps=5",
        "scene.sequence.num_frames=12",
        "scenario.critical_time_s=uniform:0.2:0.4",
    ],
    "stationary_vehicle": ["scene.sequence.fps=2", "scene.sequence.num_frames=4"],
    "wrong_way_vehicle": [
        "scene.sequence.fps=4",
        "scene.sequence.num_frames=6",
        "scenario.critical_time_s=uniform:0.5:1.2",
    ],
}


def _run(root: Path, name: str) -> list[tuple[dict, list[dict]]]:
    """Generate the scenario's 20 scenes; return each scene.json with its frames' labels in order."""
    run_generation(compose_config([*FAST, f"scenario={name}", *RUNS[name], f"output_dir={root}"]))
    scenes = []
    for folder in sorted((root / "scenes").iterdir()):
        scene = json.loads((folder / "scene.json").read_text())
        frames = [json.loads(p.read_text()) for p in sorted(folder.glob("*/labels.json"))]
        assert len(frames) == scene["num_frames"]
        scenes.append((scene, frames))
    assert len(scenes) == 20
    return scenes


@pytest.fixture(scope="module", params=list(RUNS))
def run(request, tmp_path_factory) -> tuple[str, list[tuple[dict, list[dict]]]]:
    return request.param, _run(tmp_path_factory.mktemp(request.param), request.param)


def _critical(scene: dict, name: str, role: str) -> int:
    """The id of the scenario's one critical actor, from scene.json (its name, ids and roles)."""
    record = scene["scenario"]
    assert record["name"] == name and record["critical_actors"] == [1] and record["roles"] == {"1": role}
    return 1


def _track(frames: list[dict], iid: int) -> list[tuple[float, float, dict]]:
    """(t, the ego's x, the object's record) of object ``iid`` in the front camera, frame by frame."""
    out = []
    for frame in frames:
        [record] = [o for o in frame["objects"]["front"] if o["instance_id"] == iid]
        out.append((frame["t"], frame["world_from_ego"][0][3], record))
    return out


def _extent_x(record: dict) -> float:
    """Half the extent (m) along world x of the object's box at its yaw."""
    length, width = record["box3d_world"]["size_m"][:2]
    yaw = record["box3d_world"]["yaw"]
    return length / 2 * abs(np.cos(yaw)) + width / 2 * abs(np.sin(yaw))


def _ego_lane_y(scene: dict) -> float:
    return -scene["params"]["lane_width_m"] / 2.0


def _nearest_frame_before(track, t_c: float):
    """The last frame at or before t_c (constant speeds up to the critical moment make it exact)."""
    return [item for item in track if item[0] <= t_c + 1e-9][-1]


def _visible_near(track, t_c: float) -> bool:
    """Seen in the camera in the frame nearest the critical moment."""
    return min(track, key=lambda item: abs(item[0] - t_c))[2]["visible_pixels"] > 0


def check_cut_in(scene: dict, frames: list[dict]) -> None:
    """The car's centre crosses y = -lane_width (between the ego lane and lane 1) once, from lane 1
    into the ego lane, within 0.1 s of the critical time; its rear is gap_m ahead of the ego's front
    then; it never reaches the ego's front once in its lane."""
    iid = _critical(scene, "cut_in", "cut_in_vehicle")
    p, t_c, w = scene["scenario"]["parameters"], scene["scenario"]["critical_time_s"], scene["params"]["lane_width_m"]
    assert scene["params"]["lanes_per_direction"] >= 2
    track = _track(frames, iid)
    assert all(r["category"] == "car" for _, _, r in track) and _visible_near(track, t_c)
    ts = np.array([t for t, _, _ in track])
    side = np.array([r["box3d_world"]["center"][1] for _, _, r in track]) + w  # < 0: lane 1, > 0: ego lane
    [k] = np.flatnonzero(np.diff(np.sign(side)) != 0)
    assert side[k] < 0 < side[k + 1]
    crossing = ts[k] + (ts[k + 1] - ts[k]) * -side[k] / (side[k + 1] - side[k])
    assert abs(crossing - t_c) < 0.1
    t, ego_x, record = _nearest_frame_before(track, t_c)
    rear = record["box3d_world"]["center"][0] - record["box3d_world"]["size_m"][0] / 2
    expected_gap = p["gap_m"] + p["relative_speed_mps"] * (t - t_c)  # both at constant speed until then
    assert rear - (ego_x + EGO_FRONT_M) == pytest.approx(expected_gap, abs=1e-3)
    for t, ego_x, record in track:
        if t >= t_c:
            assert record["box3d_world"]["center"][0] - _extent_x(record) - (ego_x + EGO_FRONT_M) > 0.5


def check_lead_vehicle_braking(scene: dict, frames: list[dict]) -> None:
    """The lead drives at the ego's speed headway_m ahead in the ego lane, then its speed (the norm of
    velocity_world, and finite differences of its box centres) falls at lead_deceleration_mps2 within
    5 %; it is always ahead of the ego's front. A frame's velocity_world is its box's displacement over
    one keyframe step (0.05 s), sometimes the step ending at the frame (frame and keyframe times differ
    in the last bit), so single frames may be off by a * 0.05 s: the slope is fitted over >= 1 s."""
    iid = _critical(scene, "lead_vehicle_braking", "braking_lead")
    p, t_c = scene["scenario"]["parameters"], scene["scenario"]["critical_time_s"]
    v0, a = scene["params"]["ego_speed_mps"], p["lead_deceleration_mps2"]
    assert v0 == pytest.approx(p["ego_speed_kmh"] * KMH)
    track = _track(frames, iid)
    assert _visible_near(track, t_c)
    ts = np.array([t for t, _, _ in track])
    x = np.array([r["box3d_world"]["center"][0] for _, _, r in track])
    speed = np.array([np.linalg.norm(r["velocity_world"]) for _, _, r in track])
    before = ts < t_c - 0.05
    assert np.allclose(speed[before], v0, rtol=0.01)
    braking = (ts >= t_c + 0.05) & (ts <= t_c + v0 / a - 0.1)  # whole keyframe steps inside the braking
    assert braking.sum() >= 6 and np.ptp(ts[braking]) >= 1.0
    slope = np.polyfit(ts[braking], speed[braking], 1)[0]
    assert -slope == pytest.approx(a, rel=0.05)
    assert np.allclose(speed[braking], v0 - a * (ts[braking] - t_c), atol=0.05 * v0)
    steps = braking[:-1] & braking[1:]
    mean_speed = np.diff(x) / np.diff(ts)  # the average over each frame interval: its mid-time's speed
    slope_fd = np.polyfit((ts[:-1] + ts[1:])[steps] / 2, mean_speed[steps], 1)[0]
    assert -slope_fd == pytest.approx(a, rel=0.05)
    t, ego_x, record = _nearest_frame_before(track, t_c)
    rear = record["box3d_world"]["center"][0] - record["box3d_world"]["size_m"][0] / 2
    assert rear - (ego_x + EGO_FRONT_M) == pytest.approx(p["headway_m"], abs=1e-3)
    for _, ego_x, record in track:
        assert record["box3d_world"]["center"][1] == pytest.approx(_ego_lane_y(scene), abs=1e-9)
        assert record["box3d_world"]["center"][0] - _extent_x(record) - (ego_x + EGO_FRONT_M) > 0.5


def check_stationary_vehicle(scene: dict, frames: list[dict]) -> None:
    """The car has exactly zero velocity and the same box in every frame, inside the ego lane with its
    centre line (1 - |overlap|) of the ego's 1.9 m width off the ego's, to the right for overlaps >= 0;
    it is ttc_s ahead at the ego's speed at the critical moment; the ego stops short of it."""
    iid = _critical(scene, "stationary_vehicle", "stationary_vehicle")
    p, t_c = scene["scenario"]["parameters"], scene["scenario"]["critical_time_s"]
    track = _track(frames, iid)
    assert any(r["visible_pixels"] > 0 for _, _, r in track)
    centres = {tuple(r["box3d_world"]["center"]) for _, _, r in track}
    assert len(centres) == 1 and all(r["velocity_world"] == [0.0, 0.0, 0.0] for _, _, r in track)
    [(cx, cy, _)] = centres
    offset = cy - _ego_lane_y(scene)
    side = -1.0 if p["overlap_pct"] >= 0 else 1.0
    assert offset == pytest.approx(side * (1 - abs(p["overlap_pct"]) / 100) * 1.9, abs=1e-9)
    assert abs(offset) < scene["params"]["lane_width_m"] / 2  # inside the ego lane
    t, ego_x, record = _nearest_frame_before(track, t_c)
    rear = cx - record["box3d_world"]["size_m"][0] / 2
    v0 = scene["params"]["ego_speed_mps"]
    assert (rear - ego_x - EGO_FRONT_M) / v0 == pytest.approx(p["ttc_s"] + t_c - t, abs=1e-6)
    assert all(rear - (ego_x + EGO_FRONT_M) > 0.5 for _, ego_x, _ in track)


def check_wrong_way_vehicle(scene: dict, frames: list[dict]) -> None:
    """At the critical moment the car is in the ego lane, heading and moving towards -x, ttc_s from
    the ego at the closing speed; it never reaches the ego while in the ego's width."""
    iid = _critical(scene, "wrong_way_vehicle", "wrong_way_vehicle")
    p, t_c = scene["scenario"]["parameters"], scene["scenario"]["critical_time_s"]
    track = _track(frames, iid)
    assert _visible_near(track, t_c)
    t, ego_x, record = _nearest_frame_before(track, t_c)
    box = record["box3d_world"]
    assert abs(box["center"][1] - _ego_lane_y(scene)) < 1e-6 and abs(abs(box["yaw"]) - np.pi) < 1e-6
    v_w = -record["velocity_world"][0]
    assert v_w == pytest.approx(p["wrong_way_speed_kmh"] * KMH, rel=1e-6)
    closing = scene["params"]["ego_speed_mps"] + v_w
    front = box["center"][0] - box["size_m"][0] / 2
    assert (front - ego_x - EGO_FRONT_M) / closing == pytest.approx(p["ttc_s"] + t_c - t, abs=1e-6)
    for _, ego_x, record in track:
        box = record["box3d_world"]
        length, width = box["size_m"][:2]
        half_y = length / 2 * abs(np.sin(box["yaw"])) + width / 2 * abs(np.cos(box["yaw"]))
        in_path = abs(box["center"][1] - _ego_lane_y(scene)) < half_y + EGO_HALF_WIDTH_M
        assert not in_path or box["center"][0] - _extent_x(record) - (ego_x + EGO_FRONT_M) > 0.5


CHECKS = {
    "cut_in": check_cut_in,
    "lead_vehicle_braking": check_lead_vehicle_braking,
    "stationary_vehicle": check_stationary_vehicle,
    "wrong_way_vehicle": check_wrong_way_vehicle,
}


def test_each_vehicle_scenario_does_what_it_says_in_labels(run):
    name, scenes = run
    for scene, frames in scenes:
        CHECKS[name](scene, frames)
    record = [scene["scenario"] for scene, _ in scenes]
    if name == "cut_in":  # both a closing gap (the ego slows) and an opening one are drawn
        assert {r["parameters"]["relative_speed_mps"] < 0 for r in record} == {True, False}
    if name == "wrong_way_vehicle":
        assert {r["parameters"]["wrong_way_response"] for r in record} == {"brake", "swerve"}
    if name == "lead_vehicle_braking":  # the Euro NCAP CCRb grid
        assert {r["parameters"]["headway_m"] for r in record} == {12.0, 40.0}
        assert {r["parameters"]["lead_deceleration_mps2"] for r in record} == {2.0, 6.0}


@pytest.mark.parametrize(
    ("scenario", "override", "key"),
    [
        ("lead_vehicle_braking", "scenario.headway_m=uniform:-5:3", "scenario.headway_m"),
        ("lead_vehicle_braking", "scenario.lead_deceleration_mps2=15", "scenario.lead_deceleration_mps2"),
        ("stationary_vehicle", "scenario.overlap_pct=uniform:-100:50", "scenario.overlap_pct"),
        ("cut_in", "scenario.relative_speed_mps=uniform:-3:9", "scenario.relative_speed_mps"),
        ("wrong_way_vehicle", "scenario.wrong_way_response=reverse", "scenario.wrong_way_response"),
    ],
)
def test_bad_parameter_is_one_line_naming_the_key(scenario, override, key):
    with pytest.raises(ConfigError) as err:
        compose_config(["renderer=fake", f"scenario={scenario}", override])
    assert key in str(err.value) and "\n" not in str(err.value)


def test_bad_parameter_on_the_command_line_exits_2_and_writes_nothing(tmp_path, capsys):
    root = tmp_path / "out"
    argv = ["generate", "renderer=fake", "scenario=lead_vehicle_braking", "scenario.headway_m=uniform:-5:3"]
    assert main([*argv, f"output_dir={root}"]) == 2
    assert not root.exists()
    assert "scenario.headway_m" in capsys.readouterr().err


@pytest.mark.parametrize("name", list(RUNS))
def test_same_seed_same_scene_json(name):
    """The same seed gives the same scene.json; another seed other draws. Stills render the critical
    moment (t = 0)."""
    cfg = compose_config([*FAST, f"scenario={name}", *RUNS[name]])
    other = compose_config([*FAST, f"scenario={name}", *RUNS[name], "seed=14"])
    first = scene_to_json(sample_scene(cfg, 7))
    assert scene_to_json(sample_scene(cfg, 7)) == first
    assert scene_to_json(sample_scene(other, 7)) != first
    still = sample_scene(compose_config([*FAST, f"scenario={name}", "scene.sequence.num_frames=1"]), 0)
    assert still.scenario["critical_time_s"] == 0.0 and still.scenario["critical_actors"] == [1]


def test_a_combination_no_braking_can_stage_is_one_line_exit_2(tmp_path, capsys):
    """A stopped car 0.2 s ahead at 130 km/h (7 m): no ego can stop short, so the run refuses with the
    parameters named instead of staging a collision."""
    root = tmp_path / "out"
    argv = ["generate", *FAST, "scenario=stationary_vehicle", "scenario.ttc_s=0.2", "scenario.ego_speed_kmh=130"]
    assert main([*argv, f"output_dir={root}"]) == 2
    err = capsys.readouterr().err.strip()
    assert "scenario.ttc_s" in err and len(err.splitlines()) == 1
    assert not root.exists()

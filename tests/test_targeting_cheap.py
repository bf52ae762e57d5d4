"""Cheap judging of targeted attempts (issue 13): the passes and sensors chosen for a target, what a
targeted run really renders and casts (counted on a spy backend and spied ray casts), datasets
byte-identical to judging on full frames, labels equal to a full render of the kept attempt, and resume
keeping the recorded attempt."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

import renderers.raycast as raycast
from formats.atomic import encode_json
from generator.config import compose_config
from generator.config_hash import config_hash
from generator.errors import ConfigError
from generator.run.judging import JudgePlan, judging_plan
from generator.run.loop import run_generation
from generator.run.resources import run_passes
from generator.run.scene_job import compute_frame
from generator.run.targeting import parse_target
from generator.world.sampling import sample_scene
from renderers.base import BackendError, Pass
from renderers.fake import FakeBackend

FAST = ["renderer=fake", "camera.width=96", "camera.height=72", "output.progress=false", "output.preview=false"]
# two cameras, a small LiDAR (16 x 360 rays) and a radar: judging must pick among them
RIG = [
    "sensors.cameras=[{name: front}, {name: side, mount: {x_m: 1.0, y_m: 0.5, z_m: 1.5, yaw_deg: 60}}]",
    "sensors.lidars=[{name: top, preset: vlp16, azimuth_steps: 360}]",
    "sensors.radars=[{name: front_radar}]",
]
STILLS = [*FAST, *RIG, "num_scenes=4", "seed=3"]
SENSORS = {"front": "camera", "side": "camera", "top": "lidar", "front_radar": "radar"}
CATEGORIES = ("car", "pedestrian", "cyclist", "truck")
IA = frozenset({Pass.INSTANCE, Pass.AMODAL})

# name -> (target overrides, the independent check of one frame's labels.json: sensor, categories,
# bounds, min_count); each needs a few attempts per scene on this rig
TARGETS = {
    "camera": (
        ["target.any=[{sensor: side, objects: {category: [car], visibility: [0.3, 1.0], range_m: [0, 30]}}]"],
        ("side", {"car"}, {"visibility": (0.3, 1.0), "range_m": (0, 30)}, 1),
    ),
    "lidar": (
        ["target.any=[{sensor: top, objects: {category: car, num_lidar_points: [30, 100000]}}]"],
        ("top", {"car"}, {"num_lidar_points": (30, 100000)}, 1),
    ),
    "radar": (
        ["target.any=[{sensor: front_radar, objects: {category: pedestrian, num_radar_points: [1, 100]}}]"],
        ("front_radar", {"pedestrian"}, {"num_radar_points": (1, 100)}, 1),
    ),
    "category": (
        ["target.any=[{sensor: side, objects: {category: cyclist}, min_count: 4}]"],
        ("side", {"cyclist"}, {}, 4),
    ),
    # fog: transmittance is read from the instance map and the depth
    "transmittance": (
        [
            "conditions=fog",
            "conditions.visibility_m=50",
            "target.any=[{sensor: side, objects: {category: car, transmittance: [0.0, 0.7]}}]",
        ],
        ("side", {"car"}, {"transmittance": (0.0, 0.7)}, 1),
    ),
}
ID = frozenset({Pass.INSTANCE, Pass.DEPTH})


def _parse(node: dict, num_frames: int = 1):
    target = parse_target(node, SENSORS, CATEGORIES, num_frames)
    assert target is not None
    return target


# -- the pass set chosen for a target -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("node", "cameras", "lidars", "radars"),
    [
        ({"objects": {"category": "pedestrian", "visibility": [0.1, 0.5]}}, {"front": IA}, set(), set()),
        ({"objects": {"occlusion": [0, 1]}}, {"front": IA}, set(), set()),
        ({"objects": {"visible_pixels": [10, 1e6]}}, {"front": {Pass.INSTANCE}}, set(), set()),
        ({"objects": {"unoccluded_pixels": [10, 1e6]}}, {"front": {Pass.AMODAL}}, set(), set()),
        # truncation and range come from the box's projection and position: no render at all
        ({"objects": {"truncation": [0, 0.2], "range_m": [0, 20], "category": "car"}}, {"front": set()}, set(), set()),
        ({"objects": {"category": "car"}, "min_count": 3}, {"front": set()}, set(), set()),
        ({"objects": {"transmittance": [0.0, 0.3]}}, {"front": {Pass.INSTANCE, Pass.DEPTH}}, set(), set()),
        ({"any": [{"sensor": "top", "objects": {"num_lidar_points": [5, 1e6]}}]}, {}, {"top"}, set()),
        ({"any": [{"sensor": "front_radar", "objects": {"num_radar_points": [1, 9]}}]}, {}, set(), {"front_radar"}),
        (
            {
                "objects": {"range_m": [0, 10]},
                "any": [
                    {"sensor": "side", "objects": {"visible_pixels": [1, 1e6]}},
                    {"sensor": "side", "objects": {"unoccluded_pixels": [1, 1e6]}},
                    {"sensor": "top", "objects": {"category": "car"}},
                ],
            },
            {"front": set(), "side": IA},
            {"top"},
            set(),
        ),
    ],
    ids=[
        "visibility",
        "occlusion",
        "visible_pixels",
        "unoccluded",
        "no_render",
        "category",
        "transmittance",
        "lidar",
        "radar",
        "mixed",
    ],
)
def test_pass_set_chosen_for_a_target(node, cameras, lidars, radars):
    plan = judging_plan(_parse(node), SENSORS)
    assert dict(plan.cameras) == {k: frozenset(v) for k, v in cameras.items()}  # unnamed cameras: absent
    assert plan.lidars == lidars and plan.radars == radars
    assert Pass.RGB not in plan.passes()
    assert (Pass.DEPTH in plan.passes()) == ("transmittance" in json.dumps(node))


def test_only_a_plan_covering_every_sensor_and_pass_is_a_full_frame():
    scene = sample_scene(compose_config(STILLS), 0)
    full = run_passes("fake")
    complete = JudgePlan({"front": full, "side": full}, frozenset({"top"}), frozenset({"front_radar"}))
    assert complete.is_complete(scene, full)
    assert not JudgePlan({"front": full, "side": IA}, complete.lidars, complete.radars).is_complete(scene, full)
    assert not JudgePlan({"front": full}, complete.lidars, complete.radars).is_complete(scene, full)
    assert not JudgePlan(complete.cameras, frozenset(), complete.radars).is_complete(scene, full)


def test_a_render_call_gives_exactly_its_passes_and_only_those_the_backend_opened():
    scene = sample_scene(compose_config(STILLS), 0)
    backend = FakeBackend(run_passes("fake"))
    full = backend.render(scene, 0.0, "front")
    cheap = backend.render(scene, 0.0, "front", passes=frozenset({Pass.INSTANCE}))
    assert cheap.rgb is None and cheap.depth is None and cheap.amodal is None
    assert (cheap.instance == full.instance).all() and full.instance.any()
    with pytest.raises(BackendError, match="instance"):
        FakeBackend(frozenset({Pass.RGB})).render(scene, 0.0, passes=frozenset({Pass.INSTANCE}))


def test_judging_mode_is_an_execution_key_and_bad_values_name_it():
    cheap, full = (compose_config([*STILLS, *TARGETS["camera"][0], f"target_judging={m}"]) for m in ("cheap", "full"))
    assert config_hash(cheap) == config_hash(full)
    with pytest.raises(ConfigError) as err:
        compose_config([*FAST, "target_judging=fast"])
    assert "target_judging" in str(err.value) and "\n" not in str(err.value)


# -- targeted runs: what is rendered, what is written ----------------------------------------------------


class SpyBackend(FakeBackend):
    """The fake renderer, recording (camera, passes asked: None = the full frame) of every render call."""

    def __init__(self) -> None:
        super().__init__(run_passes("fake"))
        self.calls: list[tuple[str, frozenset[Pass] | None]] = []

    def render(self, scene, t, camera=None, *, passes=None):
        self.calls.append((camera, None if passes is None else frozenset(passes)))
        return super().render(scene, t, camera, passes=passes)


def _spied_run(root: Path, overrides: list[str]) -> tuple[SpyBackend, Counter]:
    """Run with a spy backend and ray casts counted per sensor name."""
    backend, casts = SpyBackend(), Counter()
    lidar, radar = raycast.cast_lidar, raycast.detect_radar

    def cast_lidar(scene, sensor, *args, **kwargs):
        casts[sensor.name] += 1
        return lidar(scene, sensor, *args, **kwargs)

    def detect_radar(scene, sensor, *args, **kwargs):
        casts[sensor.name] += 1
        return radar(scene, sensor, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(raycast, "cast_lidar", cast_lidar)
        mp.setattr(raycast, "detect_radar", detect_radar)
        run_generation(compose_config([*overrides, f"output_dir={root}"]), backend=backend)
    return backend, casts


def _digests(root: Path) -> dict[str, str]:
    files = sorted(root.glob("scenes/**/*"))
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files if p.is_file()}


def _dataset(root: Path) -> dict:
    """dataset.json without the folder it was written to."""
    meta = json.loads((root / "dataset.json").read_text())
    meta["config"].pop("output_dir")
    return meta


def _attempts(root: Path) -> list[int]:
    return [json.loads(p.read_text())["params"]["target"]["attempts"] for p in sorted(root.glob("scenes/*/scene.json"))]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, dict]:
    """Each target run with cheap and with full judging, spied."""
    out = {}
    for name, (target, _) in TARGETS.items():
        base = tmp_path_factory.mktemp(name)
        out[name] = {}
        for mode in ("cheap", "full"):
            backend, casts = _spied_run(base / mode, [*STILLS, *target, f"target_judging={mode}"])
            out[name][mode] = {"root": base / mode, "calls": Counter(backend.calls), "casts": casts}
    return out


@pytest.mark.parametrize("name", list(TARGETS))
def test_cheap_judging_renders_and_casts_only_what_the_target_reads(runs, name):
    cheap = runs[name]["cheap"]
    attempts = sum(_attempts(cheap["root"]))
    scenes = 4  # stills: one frame per scene, judged once per attempt
    assert attempts > scenes, "every scene was accepted at once: the test would not see judging"
    # the kept attempts completed to full frames once: what judging rendered or cast is reused, the rest
    # (every pass of the other camera, the other passes of the judged one, the other sensors) is computed
    if name in ("camera", "transmittance"):
        judged = IA if name == "camera" else ID
        calls = {("front", None): scenes, ("side", judged): attempts, ("side", run_passes("fake") - judged): scenes}
    else:  # category: the Scene alone, no render
        calls = {("front", None): scenes, ("side", None): scenes}
    assert cheap["calls"] == Counter(calls)
    lidar_casts = attempts if name == "lidar" else scenes
    radar_casts = attempts if name == "radar" else scenes
    assert cheap["casts"] == Counter({"top": lidar_casts, "front_radar": radar_casts})
    # full judging: every attempt rendered and cast in full, the kept one's frame written as judged
    full = runs[name]["full"]
    assert sum(_attempts(full["root"])) == attempts
    assert full["calls"] == Counter({("front", None): attempts, ("side", None): attempts})
    assert full["casts"] == Counter({"top": attempts, "front_radar": attempts})


@pytest.mark.parametrize("name", list(TARGETS))
def test_cheap_and_full_judging_write_byte_identical_datasets_on_target(runs, name):
    cheap, full = runs[name]["cheap"]["root"], runs[name]["full"]["root"]
    assert _digests(cheap) == _digests(full)
    assert _dataset(cheap) == _dataset(full) and "target_judging" not in _dataset(cheap)["config"]
    sensor, categories, bounds, min_count = TARGETS[name][1]
    labels = sorted(cheap.glob("scenes/*/*/labels.json"))
    assert len(labels) == 4
    for path in labels:
        lab = json.loads(path.read_text())
        hits = [
            o
            for o in lab["objects"][sensor]
            if o["category"] in categories
            and all(o[k] is not None and lo <= o[k] <= hi for k, (lo, hi) in bounds.items())
        ]
        assert len(hits) >= min_count, path
        assert lab["target"]["frame_satisfies"] is True
        assert {"front.rgb.png", "side.rgb.png", "front.depth.npy", "top.points.npy"} <= {
            p.name for p in path.parent.iterdir()
        }


def test_labels_equal_a_full_render_of_the_kept_attempt(runs):
    root = runs["camera"]["cheap"]["root"]
    cfg = compose_config([*STILLS, *TARGETS["camera"][0]])
    backend = FakeBackend(run_passes("fake"))
    kept = []
    for index in range(4):
        written = (root / "scenes" / f"{index:06d}" / "000000" / "labels.json").read_bytes()
        attempt = json.loads(written)["target"]["attempt"]
        kept.append(attempt)
        labels = compute_frame(sample_scene(cfg, index, attempt=attempt), 0, backend, flow=False).labels
        labels["target"] = json.loads(written)["target"]
        assert encode_json(labels, where="labels.json") == written
    assert any(kept)  # some scene was kept at a later attempt


# -- sequences and resume ----------------------------------------------------------------------------------

SEQ = [*FAST, "num_scenes=3", "seed=4", "scene.sequence.num_frames=3", "scene.sequence.fps=5"]
SEQ_TARGET = [
    "target.objects.category=[pedestrian,cyclist]",
    "target.objects.visibility=[0.05,0.6]",
    "target.objects.range_m=[0,30]",
    "target.frames=all",
]


def test_sequence_resume_keeps_the_recorded_attempt_and_judges_nothing(tmp_path):
    root, reference = tmp_path / "cheap", tmp_path / "full"
    backend, _ = _spied_run(root, [*SEQ, *SEQ_TARGET])
    _spied_run(reference, [*SEQ, *SEQ_TARGET, "target_judging=full"])
    assert _digests(root) == _digests(reference)  # flow files included: judged frames rendered again in full
    assert any(passes == IA for _, passes in backend.calls)
    for path in root.glob("scenes/*/*/labels.json"):
        objects = json.loads(path.read_text())["objects"]["front"]
        near = [o for o in objects if o["category"] in ("pedestrian", "cyclist") and o["range_m"] <= 30]
        assert any(0.05 <= o["visibility"] <= 0.6 for o in near), path
    before = _digests(root)
    later = [
        p.parent.name
        for p in sorted(root.glob("scenes/*/scene.json"))
        if json.loads(p.read_text())["params"]["target"]["attempt"] > 0
    ]
    assert later, "no scene needed a second attempt"
    for frame in ("000001", "000002"):  # an interrupted scene kept at attempt k > 0: its last frames lost
        shutil.rmtree(root / "scenes" / later[0] / frame)
    backend, _ = _spied_run(root, [*SEQ, *SEQ_TARGET])
    assert backend.calls == [("front", None), ("front", None)]  # the two frames in full, no attempt judged
    assert _digests(root) == before


# -- real renderers: a labels-only call gives the full frame's label passes -------------------------------


def _street(width: int = 160, height: int = 120):
    """A default street still (pyrender's config) with fewer objects."""
    sizes = [f"camera.width={width}", f"camera.height={height}"]
    return sample_scene(compose_config([*sizes, "seed=2", "scene.num_objects=randint:8:12"]), 0)


def _same_label_passes(backend, scene) -> None:
    full = backend.render(scene, 0.0)
    cheap = backend.render(scene, 0.0, passes=frozenset({Pass.INSTANCE, Pass.AMODAL}))
    assert cheap.rgb is None and cheap.depth is None
    assert full.instance.any() and (cheap.instance == full.instance).all()
    assert cheap.amodal.keys() == full.amodal.keys() and full.amodal
    assert all((cheap.amodal[i] == full.amodal[i]).all() for i in full.amodal)


def test_pyrender_labels_only_call_equals_the_full_frame():
    from renderers.pyrender import create_backend

    with create_backend(run_passes("pyrender")) as backend:
        _same_label_passes(backend, _street())


@pytest.mark.blender
def test_blender_labels_only_call_at_one_sample_equals_the_full_frame():
    from renderers.blender import create_backend

    with create_backend(run_passes("blender"), samples=4) as backend:
        _same_label_passes(backend, _street(96, 72))

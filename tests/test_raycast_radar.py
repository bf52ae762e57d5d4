"""Radar detections by ray casting (renderers/raycast/radar.py): Doppler velocity of the hit object
relative to the moving radar along the line of sight, per-object and total caps, quantisation, seeded
noise."""

from __future__ import annotations

import numpy as np
import pytest

from generator.config import compose_config
from generator.world.sampling import sample_scene
from renderers.raycast import detect_radar
from renderers.raycast.radar import scan_grid, sensor_velocity
from scenes import DETECTION_DTYPE, AssetRef, Entity, Environment, Material, Radar, Scene, SensorRig, Trajectory
from scenes.transforms import make_pose, rotation_z


@pytest.fixture(scope="module")
def street():
    cfg = compose_config(["sensors=nuscenes_like", "scene.sequence.num_frames=10", "seed=3"])
    return sample_scene(cfg, 0)


def line_of_sight(scene: Scene, radar: Radar, t: float, detections: np.ndarray) -> np.ndarray:
    """(m, 3) world unit vectors from the radar to each detection (noise off: the scan ray itself)."""
    az, el = detections["azimuth"].astype(np.float64), detections["elevation"].astype(np.float64)
    local = np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], axis=1)
    return local @ scene.rig.world_from_sensor(radar, t)[:3, :3].T


def expected_radial_velocity(scene: Scene, radar: Radar, t: float, detections: np.ndarray) -> np.ndarray:
    """(v_object - v_radar) . u with the ego's own velocity (the rigs here never turn)."""
    by_id = {e.instance_id: e for e in scene.entities if e.instance_id > 0}
    v_object = np.array([by_id[i].trajectory.velocity_at(t) if i else np.zeros(3) for i in detections["instance_id"]])
    v_radar = scene.rig.trajectory.velocity_at(t)
    return np.einsum("ij,ij->i", v_object.reshape(-1, 3) - v_radar, line_of_sight(scene, radar, t, detections))


def test_radial_velocity_is_the_relative_velocity_on_the_line_of_sight(street):
    t = 0.35
    seen = set()
    for radar in street.rig.radars:
        assert np.allclose(sensor_velocity(street, radar, t), street.rig.trajectory.velocity_at(t), atol=1e-6)
        detections = detect_radar(street, radar, t)  # no rng: no noise, still quantised
        assert detections.dtype == DETECTION_DTYPE and len(detections) > 0
        error = np.abs(detections["radial_velocity"] - expected_radial_velocity(street, radar, t, detections))
        assert error.max() <= radar.velocity_resolution / 2 + 1e-4
        fine = Radar(**{**vars(radar), "velocity_resolution": 1e-7})  # quantisation out of the way
        detections = detect_radar(street, fine, t)
        error = np.abs(detections["radial_velocity"] - expected_radial_velocity(street, fine, t, detections))
        assert error.max() < 1e-3
        seen |= set(np.unique(detections["instance_id"]).tolist())
    moving = {e.instance_id for e in street.labelled_entities() if len(e.trajectory.times) > 1}
    assert 0 in seen and len(seen & moving) >= 2  # the static world and several moving objects


def box_scene(radar: Radar, ego_speed: float, lead_speed: float) -> Scene:
    """Ego driving +x; a box 20 m ahead driving +x; a wall 60 m ahead (static world)."""

    def track(x0: float, speed: float) -> Trajectory:
        return Trajectory([0.0, 1.0], [make_pose(np.eye(3), [x0, 0, 1.0]), make_pose(np.eye(3), [x0 + speed, 0, 1.0])])

    size = {"length": 4.0, "width": 2.0, "height": 2.0}
    lead = Entity("lead", 1, "car", AssetRef("procedural", "box", size), (4.0, 2.0, 2.0), track(20.0, lead_speed))
    wall_size = {"length": 1.0, "width": 100.0, "height": 20.0}
    wall = Entity("wall", 0, "building", AssetRef("procedural", "box", wall_size), (1.0, 100.0, 20.0),
                  Trajectory.static(make_pose(np.eye(3), [60.0, 0, 10.0])), Material(reflectivity=0.9))  # fmt: skip
    ego = Trajectory([0.0, 1.0], [make_pose(rotation_z(0.0), [0, 0, 0]), make_pose(np.eye(3), [ego_speed, 0, 0])])
    rig = SensorRig(trajectory=ego, radars=[radar])
    return Scene("000000", 0, {"root_seed": 0}, 10.0, 10, [lead, wall], [], Environment(), rig)


def test_a_lead_car_pulling_away_and_the_static_wall_approaching():
    radar = Radar("front", make_pose(np.eye(3), [2.0, 0.0, 1.0]), velocity_resolution=1e-7, max_per_object=50)
    scene = box_scene(radar, ego_speed=10.0, lead_speed=15.0)
    detections = detect_radar(scene, radar, 0.5)
    lead, wall = detections[detections["instance_id"] == 1], detections[detections["instance_id"] == 0]
    assert len(lead) and len(wall)
    cos_lead = np.cos(lead["azimuth"]) * np.cos(lead["elevation"])
    assert np.allclose(lead["radial_velocity"], 5.0 * cos_lead, atol=1e-3)  # + = moving away
    cos_wall = np.cos(wall["azimuth"]) * np.cos(wall["elevation"])
    assert np.allclose(wall["radial_velocity"], -10.0 * cos_wall, atol=1e-3)  # the static world approaches
    assert np.all(wall["semantic_id"] == 102) and np.all(lead["semantic_id"] == 1)


def test_caps_per_object_and_per_frame(street):
    radar = Radar(**{**vars(street.rig.radars[0]), "max_per_object": 3, "max_detections": 40})
    detections = detect_radar(street, radar, 0.35)
    assert len(detections) == 40
    ids, counts = np.unique(detections["instance_id"], return_counts=True)
    assert np.all(counts[ids > 0] <= 3)
    loose = Radar(**{**vars(radar), "max_per_object": 1000, "max_detections": 100000})
    everything = detect_radar(street, loose, 0.35)
    assert len(everything) > 40
    assert np.unique(everything["instance_id"], return_counts=True)[1][1:].max() > 3  # the cap did bite
    assert detect_radar(street, radar, 0.35).tobytes() == detections.tobytes()  # deterministic


def test_outputs_are_quantised_to_the_radar_resolutions(street):
    radar = street.rig.radars[0]
    detections = detect_radar(street, radar, 0.35, rng=np.random.default_rng(3))
    r = detections["range"] / radar.range_resolution
    assert np.allclose(r, np.round(r), atol=1e-4)
    v = detections["radial_velocity"] / radar.velocity_resolution
    assert np.allclose(v, np.round(v), atol=1e-3)
    cell_azimuths = np.unique(scan_grid(radar)[0])
    assert np.all(np.min(np.abs(detections["azimuth"][:, None] - cell_azimuths[None]), axis=1) < 1e-6)
    xyz = np.stack([detections["x"], detections["y"], detections["z"]], axis=1)
    assert np.allclose(np.linalg.norm(xyz, axis=1), detections["range"], atol=1e-4)
    assert np.all(np.isfinite(detections["rcs"]))


def test_noise_is_seeded_by_the_callers_generator(street):
    radar = street.rig.radars[0]
    a = detect_radar(street, radar, 0.35, rng=np.random.default_rng(1))
    b = detect_radar(street, radar, 0.35, rng=np.random.default_rng(1))
    c = detect_radar(street, radar, 0.35, rng=np.random.default_rng(2))
    exact = detect_radar(street, radar, 0.35)
    assert a.tobytes() == b.tobytes()
    assert not np.array_equal(a["range"], c["range"])
    assert np.array_equal(a["instance_id"], exact["instance_id"])  # noise moves detections, not their ids
    assert np.abs(a["range"] - exact["range"]).max() < 6 * radar.range_noise_std + radar.range_resolution

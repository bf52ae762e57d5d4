"""Scene sampling: purity, counts, placement without interpenetration, camera sees the scene."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from configs.schema import SCENE_SCHEMAS
from generator.config import compose_config
from generator.world.placement import Footprint, footprints_overlap
from generator.world.sampling import sample_scene
from scenes import scene_to_json
from scenes.transforms import invert_pose, project_points, yaw_from_matrix


def test_footprint_overlap_sat():
    a = Footprint(0, 0, 4, 2, 0)
    assert footprints_overlap(a, Footprint(3.9, 0, 4, 2, 0))
    assert not footprints_overlap(a, Footprint(4.1, 0, 4, 2, 0))
    # unit squares turned 45 degrees, 1.05 m apart along an edge normal: apart, though their bounding
    # circles (radius 0.707) overlap; 0.95 m apart they overlap
    d = 1.05 / np.sqrt(2)
    assert not footprints_overlap(Footprint(0, 0, 1, 1, np.pi / 4), Footprint(d, d, 1, 1, np.pi / 4))
    d = 0.95 / np.sqrt(2)
    assert footprints_overlap(Footprint(0, 0, 1, 1, np.pi / 4), Footprint(d, d, 1, 1, np.pi / 4))
    # a diamond's corner poking into an axis-aligned square
    assert footprints_overlap(Footprint(0, 0, 1, 1, np.pi / 4), Footprint(1.15, 0, 1, 1, 0))
    assert not footprints_overlap(Footprint(0, 0, 1, 1, np.pi / 4), Footprint(1.25, 0, 1, 1, 0))
    assert footprints_overlap(a, Footprint(4.05, 0, 4, 2, 0), margin=0.1)


@pytest.mark.parametrize("kind", sorted(SCENE_SCHEMAS))
def test_sampling_is_pure(kind):
    cfg = compose_config([f"scene={kind}", "seed=9"])
    assert scene_to_json(sample_scene(cfg, 2)) == scene_to_json(sample_scene(cfg, 2))
    assert scene_to_json(sample_scene(cfg, 2)) != scene_to_json(sample_scene(cfg, 3))


@pytest.mark.parametrize("kind", sorted(SCENE_SCHEMAS))
def test_objects_do_not_interpenetrate_and_stand_on_their_support(kind):
    cfg = compose_config([f"scene={kind}", "seed=1"])
    for index in range(5):
        scene = sample_scene(cfg, index)
        objects = scene.labelled_entities()
        assert [e.instance_id for e in objects] == list(range(1, len(objects) + 1))
        prints = []
        for e in objects:
            pose = e.trajectory.pose_at(0.0)
            bottom = pose[2, 3] - e.size_m[2] / 2
            support = {"street": (0.0, 0.15), "tabletop": (scene.params.get("table_height_m"),)}[kind]
            assert any(np.isclose(bottom, s) for s in support), (e.name, bottom)
            prints.append(Footprint(pose[0, 3], pose[1, 3], e.size_m[0], e.size_m[1], yaw_from_matrix(pose[:3, :3])))
        for a, b in itertools.combinations(prints, 2):
            assert not footprints_overlap(a, b)


def test_street_has_enough_objects_and_camera_sees_most():
    cfg = compose_config(["seed=4"])
    for index in range(4):
        scene = sample_scene(cfg, index)
        objects = scene.labelled_entities()
        assert len(objects) >= 25
        cam = scene.rig.cameras[0]
        camera_from_world = invert_pose(scene.rig.world_from_sensor(cam, 0.0))
        centres = np.array([e.trajectory.pose_at(0)[:3, 3] for e in objects])
        uv, z = project_points(cam.K, camera_from_world, centres)
        inside = (z > 0) & (uv[:, 0] >= 0) & (uv[:, 0] < cam.width) & (uv[:, 1] >= 0) & (uv[:, 1] < cam.height)
        assert inside.mean() > 0.6
        assert abs(scene.rig.world_from_sensor(cam, 0)[2, 3] - scene.params["camera_height_m"]) < 1e-9


def test_tabletop_camera_aims_at_table():
    cfg = compose_config(["scene=tabletop", "seed=4"])
    scene = sample_scene(cfg, 0)
    cam = scene.rig.cameras[0]
    pose = scene.rig.world_from_sensor(cam, 0.0)
    target = np.array(scene.params["camera_target"])
    to_target = (target - pose[:3, 3]) / np.linalg.norm(target - pose[:3, 3])
    np.testing.assert_allclose(pose[:3, 2], to_target, atol=1e-9)


def test_every_sampled_value_is_recorded():
    scene = sample_scene(compose_config(["seed=2"]), 0)
    for key in ("lanes_per_direction", "lane_width_m", "sidewalk_width_m", "camera_height_m", "camera_pitch_rad"):
        assert key in scene.params
    assert scene.seeds == {"root_seed": 2, "scene_index": 0, "streams": scene.seeds["streams"]}
    for e in scene.labelled_entities():
        assert e.asset.params or e.asset.source == "file"
        assert 0 <= e.material.roughness <= 1 and 0 <= e.material.reflectivity <= 1

"""Articulated people: the skeleton's tables, body proportions, gait and cycling kinematics, the posed
mesh against the ground and the box, scene.json, and the generator's people (seeded, configurable)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from assets.articulated import entity_parts, keypoints_world, part_poses, posed_mesh
from assets.procedural.arrays import to_trimesh
from assets.procedural.street import bicycle_contacts
from generator.config import compose_config
from generator.errors import ConfigError
from generator.world.people import _box
from generator.world.sampling import sample_scene
from scenes import AssetRef, Entity, Trajectory, scene_from_dict, scene_to_dict
from scenes.pose import joint_frames, pose_frames, stride_length
from scenes.skeleton import (
    COCO_FLIP_INDEX,
    COCO_KEYPOINTS,
    COCO_SKELETON,
    JOINT_INDEX,
    JOINTS,
    PARENT,
    Appearance,
    Body,
    Skeleton,
    dimensions,
    keypoint_radii,
)
from scenes.transforms import make_pose, rotation_z

PEDESTRIAN = AssetRef("procedural", "pedestrian", {"height": 1.75, "shoulder_width": 0.47, "torso_depth": 0.23})


def walker(speed: float, skeleton: Skeleton | None = None, duration: float = 4.0, yaw: float = 0.0) -> Entity:
    """A person walking along its heading at ``speed`` m/s from the origin, its box centre at the body
    frame's origin height (origin_in_body z)."""
    skeleton = skeleton or Skeleton(activity="walk", origin_in_body=(0.0, 0.0, 0.875))
    rotation = rotation_z(yaw)
    start = np.array([0.0, 0.0, skeleton.origin_in_body[2]])
    end = start + rotation[:, 0] * speed * duration
    trajectory = Trajectory([0.0, duration], [make_pose(rotation, start), make_pose(rotation, end)])
    return Entity("walker", 1, "pedestrian", PEDESTRIAN, (1.0, 0.6, 1.75), trajectory, skeleton=skeleton)


# --- tables ---------------------------------------------------------------------------------------------
def test_coco_tables_are_cocos():
    """COCO's 17 person keypoints in its order, its 19 limbs between them, and a flip that swaps sides."""
    assert len(COCO_KEYPOINTS) == 17 and COCO_KEYPOINTS[0] == "nose" and COCO_KEYPOINTS[-1] == "right_ankle"
    assert len(COCO_SKELETON) == 19 and all(1 <= a <= 17 and 1 <= b <= 17 for a, b in COCO_SKELETON)
    for i, j in enumerate(COCO_FLIP_INDEX):
        a, b = COCO_KEYPOINTS[i], COCO_KEYPOINTS[j]
        assert a.replace("left", "right") == b or b.replace("left", "right") == a or a == b == "nose"
    # the skeleton has the pelvis, spine and neck beside the limb joints, every joint's parent before it
    assert {"pelvis", "spine", "neck"} <= set(JOINTS)
    for name in JOINTS:
        parent = PARENT[name]
        assert parent is None or JOINT_INDEX[parent] < JOINT_INDEX[name]


# --- the body -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("height", [1.0, 1.3, 1.75, 2.0])
def test_a_standing_person_is_as_tall_as_its_height_and_stands_on_the_ground(height):
    skeleton = Skeleton(body=Body(height_m=height))
    size, origin = _box(PEDESTRIAN, 1.0, skeleton, [(0.0, 0.0)])
    assert size[2] == pytest.approx(height, abs=0.01 * height)  # the crown of the hair at the height
    entity = walker(0.0, dataclasses.replace(skeleton, origin_in_body=origin))
    bounds = posed_mesh(entity, 0.0, "world").bounds
    assert bounds[0, 2] == pytest.approx(0.0, abs=1e-9)  # the soles on the ground


@pytest.mark.parametrize("height", [1.0, 1.75, 2.0])
def test_hands_on_hips_rest_the_hands_on_the_hips_with_the_elbows_out(height):
    """Each hand (a sphere of hand_radius about the wrist) touches the body's own trunk and hips mesh,
    without sinking into it, and each elbow sticks out well beyond its shoulder."""
    import trimesh

    skeleton = Skeleton(body=Body(height_m=height), stance="hands_on_hips")
    _, origin = _box(PEDESTRIAN, 1.0, skeleton, [(0.0, 0.0)])
    entity = walker(0.0, dataclasses.replace(skeleton, origin_in_body=origin))
    poses = part_poses(entity, 0.0)
    trunk = trimesh.util.concatenate(
        [
            to_trimesh(part.mesh.copy().apply_transform(pose))
            for part, pose in zip(entity_parts(entity), poses, strict=True)
            if part.joint in {JOINT_INDEX["pelvis"], JOINT_INDEX["spine"]}
        ]
    )
    keypoints = keypoints_world(entity, 0.0)
    d = dimensions(skeleton)
    for side in ("left", "right"):
        wrist = keypoints[COCO_KEYPOINTS.index(f"{side}_wrist")]
        nearest = trimesh.triangles.closest_point(trunk.triangles, np.repeat(wrist[None], len(trunk.triangles), 0))
        gaps = np.linalg.norm(nearest - wrist, axis=1)
        closest = nearest[int(np.argmin(gaps))]
        assert 0.5 * d.hand_radius < gaps.min() < 1.3 * d.hand_radius, (side, gaps.min(), d.hand_radius)
        assert abs(wrist[1]) > abs(closest[1])  # beside the hips, not inside them
        elbow, shoulder = (keypoints[COCO_KEYPOINTS.index(f"{side}_{j}")] for j in ("elbow", "shoulder"))
        assert abs(elbow[1]) > abs(shoulder[1]) + 0.08 * height


def test_children_have_larger_heads_and_shorter_legs_than_adults():
    child, adult = dimensions(Skeleton(body=Body(height_m=1.0))), dimensions(Skeleton(body=Body(height_m=1.8)))
    assert child.head_radius / child.height > 1.3 * adult.head_radius / adult.height
    assert child.hip_z / child.height < adult.hip_z / adult.height - 0.05


def test_keypoint_radii_cover_the_limbs_and_the_clothes_that_enclose_the_joints():
    plain = keypoint_radii(Skeleton())
    skirt = keypoint_radii(Skeleton(appearance=Appearance(bottom="skirt")))
    d = dimensions(Skeleton())
    knee = COCO_KEYPOINTS.index("left_knee")
    assert plain[knee] >= d.leg_radius and skirt[knee] > plain[knee]
    assert (plain > 0).all() and (plain < 0.3).all()


# --- gait -------------------------------------------------------------------------------------------------
def test_stride_follows_alexanders_dynamic_similarity():
    """stride = 2.3 Fr^0.3 leg lengths (Alexander 1984): a 1.75 m adult strides ~1.4 m at 1.4 m/s; a child
    at the same speed takes longer strides relative to its legs."""
    adult, child = Skeleton(), Skeleton(body=Body(height_m=1.1))
    leg = dimensions(adult).hip_z
    assert stride_length(adult, 1.4) == pytest.approx(2.3 * (1.4**2 / (9.81 * leg)) ** 0.3 * leg)
    assert 1.2 < stride_length(adult, 1.4) < 1.6
    assert stride_length(child, 1.4) / dimensions(child).hip_z > stride_length(adult, 1.4) / leg


@pytest.mark.parametrize("speed", [0.8, 1.4, 1.9, 3.5])
def test_walking_feet_alternate_stay_out_of_the_ground_and_one_touches_it(speed):
    """Over two strides the left and right ankles pass each other (the one ahead changes) at least four
    times; no vertex of the body is below the ground and the lower sole is on it."""
    entity = walker(speed)
    stride_s = stride_length(entity.skeleton, speed) / speed
    times = np.linspace(0.0, 2 * stride_s, 48)
    ahead, lowest = [], []
    for t in times:
        frames = joint_frames(entity.skeleton, entity.trajectory, t)
        left, right = frames[JOINT_INDEX["left_ankle"], 0, 3], frames[JOINT_INDEX["right_ankle"], 0, 3]
        ahead.append(left > right)
        lowest.append(posed_mesh(entity, t, "world").bounds[0, 2])
    changes = int(np.count_nonzero(np.diff(ahead)))
    assert changes >= 4
    assert min(lowest) > -1e-6 and max(lowest) < 0.01  # never in the ground; at most 1 cm above it


@pytest.mark.parametrize(("height", "speed"), [(1.1, 0.8), (1.75, 1.4), (2.0, 0.7), (1.75, 3.5)])
def test_gait_is_continuous_over_the_cycle(height, speed):
    """No joint jumps anywhere in the cycle, the wrap from phase 1 to 0 and the contact passing from one
    foot to the other included: over 1/1000 of a cycle no joint moves more than 1 cm (a body walking
    at 1.4 m/s covers ~1.5 mm of its ~1.5 m stride meanwhile; its swinging foot about twice that)."""
    skeleton = Skeleton(Body(height, 1.0, 0.25), activity="walk")
    frames = [pose_frames(skeleton, speed, p) for p in np.linspace(0.0, 1.0, 1001)]
    positions = np.array([[f[name][:3, 3] for name in JOINTS] for f in frames])
    assert np.linalg.norm(np.diff(positions, axis=0), axis=2).max() < 0.01


def test_the_supporting_foot_does_not_slide():
    """The phase advances one cycle per stride walked: while the left foot carries the body (mid-stance,
    10-40 % of the cycle) its ankle stays put in the world to within a few centimetres."""
    speed = 1.4
    entity = walker(speed, Skeleton(activity="walk", phase=0.0, origin_in_body=(0.0, 0.0, 0.875)))
    stride_s = stride_length(entity.skeleton, speed) / speed
    xs = []
    for t in np.linspace(0.1 * stride_s, 0.4 * stride_s, 10):
        world = (
            entity.trajectory.pose_at(t)
            @ joint_frames(entity.skeleton, entity.trajectory, t)[JOINT_INDEX["left_ankle"]]
        )
        xs.append(world[0, 3])
    assert max(xs) - min(xs) < 0.06  # the body moves 0.3 strides (~0.4 m) meanwhile
    assert entity.trajectory.pose_at(0.4 * stride_s)[0, 3] - entity.trajectory.pose_at(0.1 * stride_s)[0, 3] > 0.3


def test_a_still_walker_stands_and_a_static_person_never_moves():
    skeleton = Skeleton(activity="walk", stance="relaxed", origin_in_body=(0.0, 0.0, 0.875))
    entity = walker(0.0, skeleton)
    standing = walker(0.0, dataclasses.replace(skeleton, activity="stand"))
    assert np.allclose(joint_frames(skeleton, entity.trajectory, 1.0), joint_frames(skeleton, standing.trajectory, 1.0))
    static = dataclasses.replace(standing, trajectory=Trajectory.static(standing.trajectory.poses[0]))
    assert np.allclose(part_poses(static, 0.0), part_poses(static, 3.0))


# --- cycling -------------------------------------------------------------------------------------------
def test_a_rider_sits_on_the_saddle_pedals_and_holds_the_bar():
    """The rider's hands are on the bar, its hips above the saddle, its feet on the pedals, and the cranks
    turn once per 2 pi r x gear metres ridden (the pose repeats)."""
    contacts = bicycle_contacts(0.35, 1.05, 1.75)
    ref = AssetRef("procedural", "bicycle", {"wheel_radius": 0.35, "wheelbase": 1.05, "rider_height": 1.75})
    skeleton = Skeleton(activity="cycle", bicycle=contacts, origin_in_body=(0.0, 0.0, 0.0))
    size, origin = _box(ref, 1.0, skeleton, [(5.0, k / 8) for k in range(8)])
    skeleton = dataclasses.replace(skeleton, origin_in_body=origin)
    per_turn = 2 * np.pi * 0.35 * contacts["gear"]
    speed = 5.0
    start = np.asarray(origin)
    trajectory = Trajectory([0.0, 2.0], [make_pose(np.eye(3), start), make_pose(np.eye(3), start + [2 * speed, 0, 0])])
    entity = Entity("cyclist", 2, "cyclist", ref, size, trajectory, skeleton=skeleton)
    origin = np.asarray(skeleton.origin_in_body)
    for t in (0.0, 0.13, 0.5):
        frames = joint_frames(skeleton, trajectory, t)
        for side in ("left", "right"):
            wrist = frames[JOINT_INDEX[f"{side}_wrist"], :3, 3] + origin
            assert np.hypot(*(wrist - contacts["bar"])[[0, 2]]) < 0.03
            hip = frames[JOINT_INDEX[f"{side}_hip"], :3, 3] + origin
            assert hip[2] > contacts["saddle"][2] and abs(hip[0] - contacts["saddle"][0]) < 0.05
            ankle = frames[JOINT_INDEX[f"{side}_ankle"], :3, 3] + origin
            assert np.hypot(*(ankle - contacts["bottom_bracket"])[[0, 2]]) < contacts["crank_m"] + 0.12
    a = joint_frames(skeleton, trajectory, 0.1)
    assert np.allclose(a, joint_frames(skeleton, trajectory, 0.1 + per_turn / speed), atol=1e-9)
    assert not np.allclose(a, joint_frames(skeleton, trajectory, 0.1 + 0.5 * per_turn / speed), atol=1e-3)
    # the bicycle is one of the parts, fixed in the object frame
    assert sum(p.joint is None for p in entity_parts(entity)) == 1
    assert keypoints_world(entity, 0.0).shape == (17, 3)


# --- scene.json and the generator -----------------------------------------------------------------------
STREET = ["scene=street", "camera.width=160", "camera.height=120", "scene.num_objects=30", "seed=5"]


def _scene(*overrides: str):
    return sample_scene(compose_config([*STREET, *overrides]), 0)


def test_street_people_are_articulated_seeded_and_round_trip_through_scene_json():
    scene = _scene("scene.people.child_share=0.5", "scene.sequence.num_frames=3")
    people = [e for e in scene.entities if e.skeleton is not None]
    assert {e.category for e in people} <= {"pedestrian", "cyclist"} and len(people) >= 3
    assert all(e.asset.name == "bicycle" for e in people if e.category == "cyclist")
    assert any(e.attributes.get("age_group") == "child" for e in people)
    for e in people:
        if e.attributes.get("age_group") == "child":
            assert 1.0 <= e.size_m[2] <= 1.46
    again = scene_from_dict(scene_to_dict(scene))
    assert [e.skeleton for e in again.entities] == [e.skeleton for e in scene.entities]
    assert scene_to_dict(_scene("scene.people.child_share=0.5", "scene.sequence.num_frames=3")) == scene_to_dict(scene)
    rigid = scene_to_dict(scene)["entities"]
    assert all("skeleton" not in e for e, s in zip(rigid, scene.entities, strict=True) if s.skeleton is None)


def test_a_persons_box_encloses_its_body_in_every_frame_on_its_support():
    scene = _scene("scene.sequence.num_frames=6")
    for entity in (e for e in scene.entities if e.skeleton is not None):
        half = np.asarray(entity.size_m) / 2 + 1e-6
        for k in range(scene.num_frames):
            vertices = posed_mesh(entity, scene.frame_time(k)).vertices  # object frame: the box is centred
            assert (np.abs(vertices) <= half).all(), (entity.name, k)
        assert posed_mesh(entity, 0.0, "world").bounds[0, 2] == pytest.approx(
            entity.trajectory.poses[0][2, 3] - entity.size_m[2] / 2, abs=1e-6
        )


def test_articulating_people_moves_no_other_object():
    """Every object but the people is the same with and without skeletons (the people stream is their
    own), and the people stand on the same ground points."""
    articulated, rigid = _scene(), _scene("scene.people.articulated=false")
    assert all(e.skeleton is None for e in rigid.entities)
    context = [e.name for e in articulated.entities if e.instance_id == 0]
    assert context == [e.name for e in rigid.entities if e.instance_id == 0]
    rigid_by_id = {e.instance_id: e for e in rigid.entities if e.instance_id > 0}
    kept = {e.instance_id for e in articulated.entities if e.instance_id > 0}
    # only people are ever left out (a walking body that would touch another object: keep_clear)
    assert all(rigid_by_id[i].category in ("pedestrian", "cyclist") for i in set(rigid_by_id) - kept)
    for a in articulated.entities:
        if a.instance_id == 0:
            continue
        r = rigid_by_id[a.instance_id]
        assert a.name == r.name
        if a.skeleton is None:
            assert (
                scene_to_dict(dataclasses.replace(articulated, entities=[a]))["entities"]
                == scene_to_dict(dataclasses.replace(rigid, entities=[r]))["entities"]
            )


def test_articulated_people_overlap_nothing_at_any_keyframe():
    """The people's posed boxes (their stride, elbows out) over a sequence's keyframes overlap no other
    object's box and not the ego's, in crowded streets: the placer placed the rigid figures, keep_clear
    leaves out a person its body would bring into touch."""
    from generator.world.placement import SweptFootprint, swept_overlap
    from generator.world.scenarios.base import EGO_CENTRE_X_M, EGO_LENGTH_M, EGO_WIDTH_M

    for index in range(4):
        cfg = compose_config([*STREET, "scene.num_objects=40", "scene.sequence.num_frames=10", "seed=11"])
        scene = sample_scene(cfg, index)
        times = np.linspace(0.0, (scene.num_frames - 1) / scene.fps, 19)

        def swept(pose_at, length, width, offset=0.0, times=times):
            poses = [pose_at(float(t)) for t in times]
            yaws = np.array([np.arctan2(p[1, 0], p[0, 0]) for p in poses])
            centres = np.array([p[:2, 3] for p in poses]) + offset * np.column_stack([np.cos(yaws), np.sin(yaws)])
            return SweptFootprint(centres, yaws, length, width)

        objects = scene.labelled_entities()
        boxes = [swept(e.trajectory.pose_at, *e.size_m[:2]) for e in objects]
        ego = swept(scene.rig.trajectory.pose_at, EGO_LENGTH_M, EGO_WIDTH_M, EGO_CENTRE_X_M)
        for i, entity in enumerate(objects):
            if entity.skeleton is None:
                continue
            assert not swept_overlap(boxes[i], ego), (index, entity.name)
            for j in range(len(objects)):
                assert j == i or not swept_overlap(boxes[i], boxes[j]), (index, entity.name, objects[j].name)


@pytest.mark.parametrize(
    ("override", "key"),
    [("scene.people.child_share=1.5", "scene.people.child_share"), ("scene.people.articulated=maybe", "articulated")],
)
def test_bad_people_config_is_one_line_naming_the_key(override, key):
    with pytest.raises(ConfigError, match=key):
        compose_config([*STREET, override])

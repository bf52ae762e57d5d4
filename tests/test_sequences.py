"""Video sequences: ids never break (also across re-entry), velocities match positions, no boxes
intersect, flow carries pixels onto the same instance, MOT self-evaluation is perfect, determinism."""

from __future__ import annotations

import hashlib
import itertools

import numpy as np
import pytest
from conftest import generate

from formats.native import NativeDataset
from generator.world.placement import Footprint, footprints_overlap
from scenes.transforms import invert_pose, matrix_from_quaternion, transform_points, yaw_from_matrix

pytestmark = pytest.mark.gl
FRAMES = 60


@pytest.fixture(scope="session")
def reentry_sequence(tmp_path_factory):
    """One 60-frame street sequence at 10 fps with the re-entry scenario, exported to MOT and KITTI."""
    root = tmp_path_factory.mktemp("sequence") / "ds"
    generate(
        root,
        "num_scenes=1",
        "seed=3",
        f"scene.sequence.num_frames={FRAMES}",
        "scene.sequence.reentry=true",
        "output.export=[coco,mot,kitti_tracking]",
    )
    return root


def _frames(root):
    ds = NativeDataset(root)
    return ds, [ds.labels(r["scene_id"], r["frame"]) for r in ds.frames()]


def test_every_object_keeps_one_id_in_every_frame(reentry_sequence):
    ds, frames = _frames(reentry_sequence)
    assert len(frames) == FRAMES
    scene = ds.scene(frames[0]["scene_id"])
    expected = {e.instance_id: e.category for e in scene.labelled_entities()}
    for labels in frames:
        objects = labels["objects"]["front"]
        assert {o["instance_id"]: o["category"] for o in objects} == expected  # out of view or not
        assert all(o["track_id"] == o["instance_id"] for o in objects)


def test_reentering_object_keeps_its_id(reentry_sequence):
    ds, frames = _frames(reentry_sequence)
    scene = ds.scene(frames[0]["scene_id"])
    [car] = [e for e in scene.labelled_entities() if e.motion.get("model") == "reentry_overtake"]
    states = []
    for labels in frames:
        [obj] = [o for o in labels["objects"]["front"] if o["instance_id"] == car.instance_id]
        states.append("in" if obj["bbox_amodal"] is not None else "out")
        if obj["bbox_amodal"] is None:
            assert obj["visibility"] == 0 and not obj["visible"]
    runs = [key for key, _ in itertools.groupby(states)]
    assert runs == ["in", "out", "in"], "".join(s[0] for s in states)
    ids = np.unique(ds.instance(frames[0]["scene_id"], 0, "front"))
    late = np.unique(ds.instance(frames[0]["scene_id"], FRAMES - 1, "front"))
    assert car.instance_id in ids and car.instance_id in late  # the same id in the pixels, before and after


def test_velocities_equal_finite_differences_of_positions(reentry_sequence):
    _, frames = _frames(reentry_sequence)
    dt = frames[1]["t"] - frames[0]["t"]
    checked = 0
    for before, after in itertools.pairwise(frames):
        nxt = {o["instance_id"]: o for o in after["objects"]["front"]}
        for obj in before["objects"]["front"]:
            later = nxt[obj["instance_id"]]
            fd = (np.array(later["box3d_world"]["center"]) - obj["box3d_world"]["center"]) / dt
            # the finite difference is the mean velocity over the frame interval: it can differ from the
            # velocity at its start by no more than the velocity changes within the interval
            change = np.abs(np.subtract(later["velocity_world"], obj["velocity_world"]))
            assert (np.abs(np.subtract(obj["velocity_world"], fd)) <= 0.02 + change).all(), obj["instance_id"]
            checked += 1
        # the camera moves with the ego: its velocity matches its positions too
        cam0 = np.array(before["sensors"]["front"]["world_from_sensor"])[:3, 3]
        cam1 = np.array(after["sensors"]["front"]["world_from_sensor"])[:3, 3]
        np.testing.assert_allclose(before["sensors"]["front"]["velocity_world"], (cam1 - cam0) / dt, atol=1e-6)
    assert checked > 1000
    moving = [o for o in frames[10]["objects"]["front"] if np.linalg.norm(o["velocity_world"]) > 0.5]
    assert len(moving) >= 5


def test_no_two_boxes_intersect_in_any_frame(reentry_sequence):
    _, frames = _frames(reentry_sequence)
    for labels in frames:
        boxes = []
        for obj in labels["objects"]["front"]:
            box = obj["box3d_world"]
            l, w, h = box["size_m"]
            yaw = yaw_from_matrix(matrix_from_quaternion(box["rotation_wxyz"]))
            boxes.append((Footprint(box["center"][0], box["center"][1], l, w, yaw), box["center"][2], h))
        for (fa, za, ha), (fb, zb, hb) in itertools.combinations(boxes, 2):
            vertical = abs(za - zb) < (ha + hb) / 2
            assert not (vertical and footprints_overlap(fa, fb)), labels["frame"]


def test_flow_moves_pixels_onto_the_same_instance(reentry_sequence):
    ds, frames = _frames(reentry_sequence)
    scene_id = frames[0]["scene_id"]
    scene = ds.scene(scene_id)
    camera = scene.rig.cameras[0]
    K = camera.K
    hits = total = 0
    for f in range(0, FRAMES - 1, 3):
        inst0, inst1 = ds.instance(scene_id, f, "front"), ds.instance(scene_id, f + 1, "front")
        depth0, depth1 = ds.depth(scene_id, f, "front"), ds.depth(scene_id, f + 1, "front")
        flow = ds.flow(scene_id, f, "front")
        t0, t1 = scene.frame_time(f), scene.frame_time(f + 1)
        cam1_from_world = invert_pose(scene.rig.world_from_sensor(camera, t1))
        for iid in np.unique(inst0[inst0 > 0]):
            rows, cols = np.nonzero(inst0 == iid)
            # where the surface point really is at t1 (independent of labels.flow): back-project, move
            # with the object, and project
            rays = np.linalg.solve(K, np.stack([cols, rows, np.ones_like(cols)]).astype(float)).T
            cam0 = rays * depth0[rows, cols, None]
            world0 = transform_points(scene.rig.world_from_sensor(camera, t0), cam0)
            entity = next(e for e in scene.entities if e.instance_id == iid)
            motion = entity.trajectory.pose_at(t1) @ invert_pose(entity.trajectory.pose_at(t0))
            z1 = transform_points(cam1_from_world, transform_points(motion, world0))[:, 2]
            u1 = np.rint(cols + flow[rows, cols, 0]).astype(int)
            v1 = np.rint(rows + flow[rows, cols, 1]).astype(int)
            inside = (u1 >= 0) & (u1 < camera.width) & (v1 >= 0) & (v1 < camera.height)
            u1, v1, z1 = u1[inside], v1[inside], z1[inside]
            still_visible = np.abs(depth1[v1, u1] - z1) <= 0.01 * z1
            total += int(still_visible.sum())
            hits += int((inst1[v1, u1][still_visible] == iid).sum())
    assert total > 5000
    assert hits / total >= 0.99, hits / total


def test_same_seed_same_sequence_byte_for_byte(tmp_path):
    roots = [tmp_path / "a", tmp_path / "b"]
    for root in roots:
        generate(
            root,
            "num_scenes=1",
            "seed=8",
            "scene.sequence.num_frames=12",
            "output.preview=false",
            "camera.width=160",
            "camera.height=120",
        )
    digests = [
        {p.relative_to(r): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(r.glob("scenes/*/*/*"))}
        for r in roots
    ]
    assert len(digests[0]) == 12 * 5 and digests[0] == digests[1]


def test_mot_ground_truth_scores_perfectly_against_itself(reentry_sequence):
    import motmetrics

    [seq] = sorted((reentry_sequence / "exports/mot").iterdir())
    gt = motmetrics.io.loadtxt(str(seq / "gt/gt.txt"), fmt="mot15-2D", min_confidence=1)
    acc = motmetrics.utils.compare_to_groundtruth(gt, gt, "iou", distth=0.5)
    summary = motmetrics.metrics.create().compute(acc, metrics=["mota", "idf1", "num_switches"], name="self")
    assert summary["mota"].iloc[0] == 1.0
    assert summary["idf1"].iloc[0] == 1.0
    assert summary["num_switches"].iloc[0] == 0
    ids = set(gt.index.get_level_values("Id"))
    assert 1 in ids  # the re-entering car is tracked under one id


def test_sequence_preview_gif_plays_every_frame(reentry_sequence):
    import imageio.v3 as iio

    frames = iio.imread(reentry_sequence / "scenes/000000/preview.gif", index=None)
    assert frames.shape[0] == FRAMES and frames.shape[2] == 480


def test_mot_track_of_the_reentering_car_has_a_gap(reentry_sequence):
    [seq] = sorted((reentry_sequence / "exports/mot").iterdir())
    rows = [line.split(",") for line in (seq / "gt/gt.txt").read_text().splitlines()]
    frames = sorted(int(r[0]) for r in rows if int(r[1]) == 1)
    gaps = [b - a for a, b in itertools.pairwise(frames) if b - a > 1]
    assert frames[0] == 1 and frames[-1] == FRAMES and len(gaps) == 1  # one absence, same id on both sides
    kitti = (reentry_sequence / "exports/kitti_tracking/label_02/0000.txt").read_text().splitlines()
    kitti_frames = sorted(int(line.split()[0]) for line in kitti if line.split()[1] == "1")
    assert kitti_frames[0] == 0 and kitti_frames[-1] == FRAMES - 1 and len(kitti_frames) == len(frames)

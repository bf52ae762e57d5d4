"""LiDAR sweeps by ray casting (renderers/raycast): points on the surfaces of the objects whose ids they
carry (with motion skew, on a street sequence where the ego and the objects move), the firing pattern
inside a sphere, skew on vs off, seeded noise and dropout, the intensity model, and the vectorised
trajectory evaluation."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from scipy.spatial import cKDTree

from assets import entity_mesh
from generator.config import compose_config
from generator.world.sampling import sample_scene
from renderers.raycast import cast_lidar, poses_at, sweep_rays, world_for
from renderers.raycast.lidar import R_REF
from scenes import POINT_DTYPE, AssetRef, Entity, Environment, Lidar, Material, Scene, SensorRig, Trajectory
from scenes.sensor_presets import LIDAR_PRESETS
from scenes.transforms import invert_pose, make_pose, rotation_x, rotation_z, transform_points

TOL = 0.02  # metres


@pytest.fixture(scope="module")
def street():
    cfg = compose_config(["sensors=kitti_like", "scene.sequence.num_frames=10", "seed=3"])
    return sample_scene(cfg, 0)


def make_scene(entities: list[Entity], rig_trajectory: Trajectory, lidars: list[Lidar]) -> Scene:
    rig = SensorRig(trajectory=rig_trajectory, lidars=lidars)
    seeds = {"root_seed": 0}
    return Scene("000000", 0, seeds, 10.0, 10, entities, [], Environment(), rig)


def box(name: str, iid: int, size: tuple[float, float, float], trajectory: Trajectory, refl: float = 0.5) -> Entity:
    params = {"length": size[0], "width": size[1], "height": size[2]}
    return Entity(
        name, iid, "box", AssetRef("procedural", "box", params), size, trajectory, Material(reflectivity=refl)
    )


def small_lidar(**overrides) -> Lidar:
    args = dict(
        name="test", elevations=np.radians(np.linspace(-15, 15, 16)), azimuth_steps=720, ego_from_sensor=np.eye(4)
    )
    return Lidar(**{**args, **overrides})


def xyz(points: np.ndarray) -> np.ndarray:
    return np.stack([points["x"], points["y"], points["z"]], axis=1).astype(np.float64)


def surface_distance(mesh: trimesh.Trimesh, points: np.ndarray) -> np.ndarray:
    """(n,) distance of each point to the mesh surface, exact below TOL (trimesh's closest point on
    candidate triangles; candidates from a k-d tree of triangle centroids, as trimesh does with rtree)."""
    triangles = mesh.triangles
    centroids = triangles.mean(axis=1)
    reach = float(np.linalg.norm(triangles - centroids[:, None], axis=2).max())
    candidates = cKDTree(centroids).query_ball_point(points, reach + TOL)
    rows = np.repeat(np.arange(len(points)), [len(c) for c in candidates])
    best = np.full(len(points), np.inf)
    if len(rows):
        faces = np.concatenate([np.asarray(c, dtype=int) for c in candidates])
        closest = trimesh.triangles.closest_point(triangles[faces], points[rows])
        np.minimum.at(best, rows, np.linalg.norm(closest - points[rows], axis=1))
    return best


def points_in_world(scene: Scene, lidar: Lidar, t0: float, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World positions of the points (through Trajectory.pose_at at each firing time) and those times."""
    times = t0 + points["time"].astype(np.float64)
    world = np.empty((len(points), 3))
    for t in np.unique(times):
        rows = times == t
        world[rows] = transform_points(scene.rig.world_from_sensor(lidar, t), xyz(points[rows]))
    return world, times


def in_object_frame(entity: Entity, world: np.ndarray, times: np.ndarray) -> np.ndarray:
    local = np.empty_like(world)
    for t in np.unique(times):
        rows = times == t
        local[rows] = transform_points(invert_pose(entity.trajectory.pose_at(t)), world[rows])
    return local


def test_points_lie_on_the_surface_of_their_entity_at_their_time(street):
    lidar = street.rig.lidars[0]
    assert lidar.motion_skew
    t0 = 0.3
    points = cast_lidar(street, lidar, t0)  # no rng: exact ranges
    assert len(points) > 0.9 * lidar.channels * lidar.azimuth_steps
    world, times = points_in_world(street, lidar, t0, points)
    ids = points["instance_id"]
    entities = {e.instance_id: e for e in street.entities}
    moving_ids = {e.instance_id for e in street.labelled_entities() if len(e.trajectory.times) > 1}
    assert len(street.rig.trajectory.times) > 1  # the ego moves during the sweep
    assert len(set(np.unique(ids)) & moving_ids) >= 3  # and so do several hit objects
    on_surface = in_box = total = 0
    for iid in np.unique(ids[ids > 0]):
        entity = entities[int(iid)]
        rows = ids == iid
        local = in_object_frame(entity, world[rows], times[rows])
        on_surface += int((surface_distance(entity_mesh(entity), local) <= TOL).sum())
        in_box += int(np.all(np.abs(local) <= np.asarray(entity.size_m) / 2 + TOL, axis=1).sum())
        total += int(rows.sum())
    assert total > 1000
    assert on_surface / total >= 0.999 and in_box / total >= 0.999, (on_surface, in_box, total)


def test_static_world_points_lie_on_static_entities(street):
    lidar = street.rig.lidars[0]
    points = cast_lidar(street, lidar, 0.3)
    rows = np.flatnonzero(points["instance_id"] == 0)[::7]  # a deterministic sample keeps the test fast
    world, _ = points_in_world(street, lidar, 0.3, points[rows])
    nearest = np.full(len(rows), np.inf)
    for entity in street.entities:
        if entity.instance_id != 0:
            continue
        assert len(entity.trajectory.times) == 1  # context geometry is static
        local = transform_points(invert_pose(entity.trajectory.poses[0]), world)
        near = np.flatnonzero(np.all(np.abs(local) <= np.asarray(entity.size_m) / 2 + TOL, axis=1))
        if len(near):
            nearest[near] = np.minimum(nearest[near], surface_distance(entity_mesh(entity), local[near]))
    assert np.mean(nearest <= TOL) >= 0.999


@pytest.mark.parametrize("preset", sorted(LIDAR_PRESETS))
def test_sensor_inside_a_sphere_sees_every_firing_at_the_datasheet_elevations(tmp_path, preset):
    radius = 40.0
    sphere = trimesh.creation.icosphere(subdivisions=5, radius=radius)
    path = tmp_path / "sphere.ply"
    sphere.export(path)
    centre = np.array([3.0, -2.0, 1.5])  # the sensor origin: ego at (3, -2, 0), mount 1.5 m up
    entity = Entity("shell", 0, "building", AssetRef("file", "sphere", path=str(path)), (80.0,) * 3,
                    Trajectory.static(make_pose(np.eye(3), centre)))  # fmt: skip
    lidar = Lidar("lidar", ego_from_sensor=make_pose(rotation_z(0.3), [0, 0, 1.5]), **LIDAR_PRESETS[preset])
    lidar.range_noise_std = 0.0
    scene = make_scene([entity], Trajectory.static(make_pose(np.eye(3), [3.0, -2.0, 0.0])), [lidar])
    points = cast_lidar(scene, lidar, 0.0)
    assert len(points) == lidar.channels * lidar.azimuth_steps
    assert points.dtype == POINT_DTYPE and points["valid"].all()
    inradius = float(np.min(np.abs(np.einsum("ij,ij->i", sphere.face_normals, sphere.triangles[:, 0]))))
    assert np.all(points["range"] >= inradius - 1e-4) and np.all(points["range"] <= radius + 1e-4)
    elevation = np.arcsin(np.clip(points["z"] / points["range"], -1, 1))
    assert np.abs(elevation - lidar.elevations[points["ring"]]).max() < 1e-6
    # firing order: column by column, each column ring 0 (lowest) upwards; time and azimuth increase
    assert np.array_equal(points["ring"], np.tile(np.arange(lidar.channels), lidar.azimuth_steps))
    column_time, column_azimuth = points["time"][:: lidar.channels], points["azimuth"][:: lidar.channels]
    assert np.all(np.diff(column_time) > 0) and np.all(np.diff(column_azimuth) > 0)
    assert np.allclose(column_azimuth, lidar.azimuths(), atol=1e-6)
    assert np.allclose(np.arctan2(points["y"], points["x"]), points["azimuth"], atol=1e-5)
    assert column_time[-1] < lidar.sweep_duration


def test_motion_skew_displaces_a_fast_object_by_its_travel_during_the_sweep():
    speed = 20.0  # m/s along +y, crossing in front of the sensor
    crossing = Trajectory([0.0, 1.0], [make_pose(np.eye(3), [10.0, -1.0, 0.0]), make_pose(np.eye(3), [10.0, 19.0, 0])])
    lidar = small_lidar()
    scene = make_scene([box("crosser", 1, (2.0, 2.0, 6.0), crossing)], Trajectory.static(np.eye(4)), [lidar])
    skewed = cast_lidar(scene, lidar, 0.0)
    lidar.motion_skew = False
    frozen = cast_lidar(scene, lidar, 0.0)
    assert np.all(skewed["instance_id"] == 1) and np.all(frozen["instance_id"] == 1)
    # the face at x = 9 m: frozen points span the box at t0; skewed ones the box moved by v * firing time
    face_s, face_f = skewed[np.abs(skewed["x"] - 9.0) < 1e-3], frozen[np.abs(frozen["x"] - 9.0) < 1e-3]
    moved_back = face_s["y"] - speed * face_s["time"]  # where each point was on the box at t0
    assert np.all((moved_back >= -2.0 - 1e-3) & (moved_back <= 1e-3))  # the box spans y in [-2, 0] at t0
    shift = face_s["y"].mean() - face_f["y"].mean()
    expected = speed * face_s["time"].mean()  # about half a sweep into the turn: v * 0.05 s = 1 m
    assert expected > 0.8 and abs(shift - expected) < 0.1 * expected, (shift, expected)
    # without skew the time field still holds each point's firing offset
    firing = (frozen["azimuth"] + np.pi) / (2 * np.pi) * lidar.sweep_duration
    assert np.allclose(frozen["time"], firing, atol=1e-6)


def wall_scene(lidar: Lidar, reflectivity: float = 0.6) -> Scene:
    """A 40 x 40 m wall facing the sensor 6 m ahead (normal -x)."""
    wall = box("wall", 1, (0.2, 40.0, 40.0), Trajectory.static(make_pose(np.eye(3), [6.1, 0, 0])), reflectivity)
    return make_scene([wall], Trajectory.static(np.eye(4)), [lidar])


def test_intensity_follows_the_documented_model():
    lidar = small_lidar(horizontal_fov=np.radians(120), azimuth_steps=240)
    near = cast_lidar(wall_scene(lidar), lidar, 0.0)
    cos_incidence = np.abs(near["x"]) / near["range"]  # the wall's normal is the x axis
    expected = 0.6 * cos_incidence * np.minimum(1.0, (R_REF / near["range"]) ** 2)
    assert np.allclose(near["intensity"], expected, atol=1e-5)
    far_wall = box("wall", 1, (0.2, 80.0, 80.0), Trajectory.static(make_pose(np.eye(3), [30.1, 0, 0])), 0.6)
    far = cast_lidar(make_scene([far_wall], Trajectory.static(np.eye(4)), [lidar]), lidar, 0.0)
    expected = 0.6 * np.abs(far["x"]) / far["range"] * (R_REF / far["range"]) ** 2  # past 10 m: 1 / r^2
    assert np.allclose(far["intensity"], expected, atol=1e-5)


def test_noise_and_dropout_are_seeded_by_the_callers_generator():
    lidar = small_lidar(range_noise_std=0.05, dropout=0.1, intensity_dropout=0.5)
    scene = wall_scene(lidar, reflectivity=0.2)
    global_state = np.random.get_state()[1].copy()
    a = cast_lidar(scene, lidar, 0.0, rng=np.random.default_rng(7))
    b = cast_lidar(scene, lidar, 0.0, rng=np.random.default_rng(7))
    c = cast_lidar(scene, lidar, 0.0, rng=np.random.default_rng(8))
    assert np.array_equal(np.random.get_state()[1], global_state)  # no global randomness
    assert a.tobytes() == b.tobytes()
    assert len(a) != len(c) or not np.array_equal(a["range"], c["range"])
    exact = cast_lidar(scene, lidar, 0.0)
    p_lost = lidar.dropout + lidar.intensity_dropout * np.exp(-exact["intensity"] / 0.1)
    kept, expected = len(a), float(np.sum(1 - p_lost))
    assert abs(kept - expected) < 4 * np.sqrt(np.sum(p_lost * (1 - p_lost))), (kept, expected)


def test_range_noise_is_gaussian_along_the_ray():
    lidar = small_lidar(range_noise_std=0.05)
    scene = wall_scene(lidar)
    exact = cast_lidar(scene, lidar, 0.0)
    noisy = cast_lidar(scene, lidar, 0.0, rng=np.random.default_rng(1))
    assert len(noisy) == len(exact)  # no dropout configured: the same returns
    error = noisy["range"] - exact["range"]
    assert abs(error.std() - 0.05) < 0.005 and abs(error.mean()) < 0.005
    direction = xyz(noisy) / noisy["range"][:, None]
    assert np.allclose(direction, xyz(exact) / exact["range"][:, None], atol=1e-5)  # along the ray


def test_misses_are_dropped_or_flagged():
    lidar = small_lidar()  # half the beams point at the wall ahead, the other half into the sky behind
    scene = wall_scene(lidar)
    returns = cast_lidar(scene, lidar, 0.0)
    lidar.keep_misses = True
    everything = cast_lidar(scene, lidar, 0.0)
    assert len(everything) == lidar.channels * lidar.azimuth_steps > len(returns) > 0
    misses = everything[~everything["valid"]]
    assert len(misses) == len(everything) - len(returns)
    for field in ("x", "y", "z", "range", "intensity", "instance_id", "semantic_id"):
        assert np.all(misses[field] == 0)
    assert np.array_equal(everything[everything["valid"]], returns)
    assert np.array_equal(everything["ring"], np.tile(np.arange(lidar.channels), lidar.azimuth_steps))


def test_returns_outside_the_range_limits_are_misses():
    lidar = small_lidar()
    everything = cast_lidar(wall_scene(lidar), lidar, 0.0)
    lidar.min_range, lidar.max_range = 7.0, 15.0
    limited = cast_lidar(wall_scene(lidar), lidar, 0.0)
    inside = (everything["range"] >= 7.0) & (everything["range"] <= 15.0)
    assert 0 < len(limited) == inside.sum() < len(everything)
    assert np.array_equal(limited, everything[inside])
    lidar.max_range = 5.0  # the wall is 6 m away at the nearest
    assert len(cast_lidar(wall_scene(lidar), lidar, 0.0)) == 0


def test_threads_give_the_same_sweep_and_the_world_is_compiled_once(street):
    lidar = street.rig.lidars[0]
    world = world_for(street)
    one = cast_lidar(street, lidar, 0.5)
    two = cast_lidar(street, lidar, 0.5, threads=2)
    assert one.tobytes() == two.tobytes()
    assert world_for(street) is world


def test_poses_at_matches_trajectory_pose_at():
    rng = np.random.default_rng(0)
    times = [0.0, 0.3, 0.7, 1.5, 1.6]
    poses = [
        make_pose(rotation_z(rng.uniform(-3, 3)) @ rotation_x(rng.uniform(-3, 3)), rng.normal(size=3) * 5)
        for _ in times
    ]
    trajectory = Trajectory(times, poses)
    query = np.concatenate([rng.uniform(-0.5, 2.0, 500), times])
    batch = poses_at(trajectory, query)
    for pose, t in zip(batch, query, strict=True):
        assert np.allclose(pose, trajectory.pose_at(t), atol=1e-12)
    static = Trajectory.static(poses[2])
    assert np.allclose(poses_at(static, query), poses[2])


def test_hits_on_a_turning_body_carry_its_world_normal_at_the_ray_time():
    # a 2 m cube 10 m ahead, turning 90 degrees about z in one second
    turning = Trajectory(
        [0.0, 1.0], [make_pose(np.eye(3), [10.0, 0, 0]), make_pose(rotation_z(np.pi / 2), [10.0, 0, 0])]
    )
    scene = make_scene([box("cube", 1, (2.0, 2.0, 2.0), turning)], Trajectory.static(np.eye(4)), [small_lidar()])
    world = world_for(scene)
    t = np.array([0.0, 0.25, 0.75])  # yaw 0, 22.5 and 67.5 degrees (45 would hit an edge)
    hits = world.cast(np.zeros((3, 3)), np.tile([1.0, 0.0, 0.0], (3, 1)), t)
    yaw = np.pi / 2 * t
    # the face turned towards the sensor: its outward normal is -x of the face at yaw (mod 90 degrees)
    facing = np.where(yaw <= np.pi / 4, yaw, yaw - np.pi / 2)
    assert np.allclose(hits.normal, np.stack([-np.cos(facing), -np.sin(facing), 0 * t], axis=1), atol=1e-6)
    assert np.allclose(hits.distance, 10.0 - 1.0 / np.cos(facing), atol=1e-5)
    assert np.array_equal(hits.instance_id, [1, 1, 1]) and np.array_equal(hits.semantic_id, [8, 8, 8])
    assert np.allclose(hits.point[:, 0], hits.distance, atol=1e-5)


def test_cast_ray_by_ray_agrees_with_the_bundled_sweep(street):
    lidar = street.rig.lidars[0]
    world = world_for(street)
    sweep = sweep_rays(street, lidar, 0.3)
    channels = sweep.directions.shape[1]
    rays = slice(0, None, 5)  # every fifth ray keeps the ray-by-ray path quick
    origins = np.repeat(sweep.origins, channels, axis=0)[rays]
    one_by_one = world.cast(
        origins, sweep.directions.reshape(-1, 3)[rays], np.repeat(sweep.times, channels)[rays], max_range=120.0
    )
    bundled = world.cast_bundles(sweep.origins, sweep.directions, sweep.times, max_range=120.0)
    assert np.array_equal(one_by_one.instance_id, bundled.instance_id[rays])
    assert np.allclose(one_by_one.distance, bundled.distance[rays], atol=1e-4, equal_nan=False)
    assert np.array_equal(one_by_one.reflectivity, bundled.reflectivity[rays])


def test_deskewed_points_are_the_firing_points_seen_from_the_frame_pose(street):
    """deskew_points moves each point from the sensor frame at its firing time into the sensor frame at the
    reference time: in the world both are the same place (so static geometry stays put), while reading the
    raw points with the single reference pose misplaces them by the ego's travel during the sweep."""
    from renderers.raycast import deskew_points

    lidar = street.rig.lidars[0]
    t0, t_ref = 0.3, 0.3 + lidar.sweep_duration / 2
    raw = cast_lidar(street, lidar, t0)
    deskewed = deskew_points(street, lidar, t0, t_ref, raw)
    world_at_firing, _ = points_in_world(street, lidar, t0, raw)
    world_from_ref = street.rig.world_from_sensor(lidar, t_ref)
    np.testing.assert_allclose(transform_points(world_from_ref, xyz(deskewed)), world_at_firing, atol=1e-3)
    misplaced = np.linalg.norm(transform_points(world_from_ref, xyz(raw)) - world_at_firing, axis=1)
    speed = np.linalg.norm(street.rig.trajectory.velocity_at(t_ref)[:3])
    assert speed > 1.0 and misplaced.max() > 0.4 * speed * lidar.sweep_duration  # the ego moved: it matters
    for field in ("range", "azimuth", "time", "instance_id", "intensity", "ring"):
        np.testing.assert_array_equal(deskewed[field], raw[field])


def test_deskew_from_the_config(tmp_path):
    cfg = compose_config(["sensors=kitti_like", "sensors.lidars.0.deskew=true"])
    assert sample_scene(cfg, 0).rig.lidars[0].deskew
    assert not sample_scene(compose_config(["sensors=kitti_like"]), 0).rig.lidars[0].deskew

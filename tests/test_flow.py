"""labels.flow: optical-flow ground truth from geometry, against analytic scenes and the pyrender backend.

Most scenes use a camera whose frame is the world frame (OpenCV: x right, y down, z forward), so a point
(x, y, z) lands at u = cx + fx * x / z, v = cy + fy * y / z. fx != fy catches swapped axes.
"""

from __future__ import annotations

import numpy as np
import pytest

from labels.flow import geometric_flow
from renderers.base import Pass
from scenes import AssetRef, Camera, Entity, Environment, Light, Material, Scene, SensorRig, Trajectory
from scenes.transforms import invert_pose, look_at, make_pose, project_points, rotation_z, transform_points

WIDTH, HEIGHT = 64, 48
FX, FY, CX, CY = 50.0, 60.0, 31.5, 23.5
K = np.array([[FX, 0.0, CX], [0.0, FY, CY], [0.0, 0.0, 1.0]])
V, U = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float64)
# Camera frame (OpenCV) of a camera looking along world +x with world +z up: x = -y_w, y = -z_w, z = x_w.
LOOK_ALONG_X = look_at(np.zeros(3), np.array([1.0, 0.0, 0.0]))


def at(x: float, y: float, z: float, rotation: np.ndarray | None = None) -> np.ndarray:
    return make_pose(np.eye(3) if rotation is None else rotation, (x, y, z))


def box(instance_id: int, size_m, trajectory: Trajectory, color=(0.8, 0.2, 0.2)) -> Entity:
    length, width, height = size_m
    return Entity(
        name=f"box{instance_id}",
        instance_id=instance_id,
        category="box",
        asset=AssetRef("procedural", "box", {"length": length, "width": width, "height": height}),
        size_m=tuple(size_m),
        trajectory=trajectory,
        material=Material(base_color=color),
    )


def make_scene(
    entities: list[Entity],
    rig: Trajectory | None = None,
    camera: Camera | None = None,
) -> Scene:
    camera = camera or Camera("cam", WIDTH, HEIGHT, K, np.eye(4))
    rig_trajectory = rig or Trajectory.static(np.eye(4))
    lights = [Light("sun", "directional", direction=(0.3, 0.5, -1.0))]
    return Scene("flow", 0, {}, 10.0, 10, entities, lights, Environment(), SensorRig(rig_trajectory, [camera]))


def moving(pose0: np.ndarray, pose1: np.ndarray) -> Trajectory:
    """Keyframes at t = 0 and t = 1 s."""
    return Trajectory(times=[0.0, 1.0], poses=[pose0, pose1])


def plane(d: float) -> np.ndarray:
    """Depth of a fronto-parallel plane at d metres covering the image."""
    return np.full((HEIGHT, WIDTH), d, dtype=np.float32)


def flow_of(scene: Scene, depth: np.ndarray, instance: np.ndarray | None = None, t0=0.0, t1=1.0) -> np.ndarray:
    instance = np.zeros(depth.shape, dtype=np.uint16) if instance is None else instance
    flow = geometric_flow(scene, scene.rig.cameras[0], t0, t1, depth, instance)
    assert flow.dtype == np.float32 and flow.shape == (HEIGHT, WIDTH, 2)
    return flow


def test_static_scene_and_camera_give_zero_flow() -> None:
    camera = Camera("cam", WIDTH, HEIGHT, K, at(0.0, 0.0, 1.5) @ LOOK_ALONG_X)
    rig = Trajectory.static(at(3.0, -2.0, 0.0, rotation_z(0.7)))
    scene = make_scene([box(3, (1, 1, 1), Trajectory.static(at(10.0, 1.0, 1.0, rotation_z(0.2))))], rig, camera)
    depth = plane(8.0)
    depth[:5] = 0.0  # some sky
    instance = np.zeros((HEIGHT, WIDTH), dtype=np.uint16)
    instance[10:30, 20:40] = 3
    np.testing.assert_allclose(flow_of(scene, depth, instance), 0.0, atol=1e-9)


def test_camera_moving_forward_toward_a_plane_expands_from_the_principal_point() -> None:
    # Camera mounted looking along the ego's +x; the ego drives dz along world x: forward in the camera.
    d, dz = 10.0, 2.0
    camera = Camera("cam", WIDTH, HEIGHT, K, at(0.0, 0.0, 1.5) @ LOOK_ALONG_X)
    scene = make_scene([], moving(at(0, 0, 0), at(dz, 0, 0)), camera)
    flow = flow_of(scene, plane(d))
    scale = d / (d - dz) - 1.0
    np.testing.assert_allclose(flow[..., 0], (U - CX) * scale, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(flow[..., 1], (V - CY) * scale, rtol=1e-6, atol=1e-9)


def test_camera_moving_sideways_gives_uniform_flow() -> None:
    d, dx = 5.0, 0.3
    scene = make_scene([], moving(at(0, 0, 0), at(dx, 0, 0)))
    flow = flow_of(scene, plane(d))
    np.testing.assert_allclose(flow[..., 0], -FX * dx / d, rtol=1e-6)
    np.testing.assert_allclose(flow[..., 1], 0.0, atol=1e-9)


def test_object_moving_sideways_moves_only_its_pixels() -> None:
    d, dx = 4.0, 0.2
    scene = make_scene([box(5, (2, 2, 0.1), moving(at(0, 0, d + 0.05), at(dx, 0, d + 0.05)))])
    instance = np.zeros((HEIGHT, WIDTH), dtype=np.uint16)
    instance[10:30, 15:45] = 5
    flow = flow_of(scene, plane(d), instance)
    on_object = instance == 5
    np.testing.assert_allclose(flow[on_object, 0], FX * dx / d, rtol=1e-6)
    np.testing.assert_allclose(flow[on_object, 1], 0.0, atol=1e-9)
    np.testing.assert_allclose(flow[~on_object], 0.0, atol=1e-9)


def test_object_rotating_about_its_vertical_axis_matches_a_hand_computed_pixel() -> None:
    # World z up; the camera at the origin looks along world +x. The object, centred 5 m ahead, yaws by
    # theta about its own (and the world's) z axis between t0 and t1.
    centre, theta = np.array([5.0, 0.0, 0.0]), 0.3
    camera = Camera("cam", WIDTH, HEIGHT, K, LOOK_ALONG_X)
    scene = make_scene([box(2, (2, 2, 2), moving(at(*centre), at(*centre, rotation_z(theta))))], camera=camera)
    i, j, d = 20, 40, 4.0
    depth = np.zeros((HEIGHT, WIDTH), dtype=np.float32)
    instance = np.zeros((HEIGHT, WIDTH), dtype=np.uint16)
    depth[i, j], instance[i, j] = d, 2
    flow = flow_of(scene, depth, instance)

    xc, yc = d * (j - CX) / FX, d * (i - CY) / FY  # camera frame at t0 (z = d)
    xw, yw, zw = d, -xc, -yc  # world
    dxw, dyw = xw - centre[0], yw - centre[1]  # about the vertical axis through the centre
    xw1 = centre[0] + np.cos(theta) * dxw - np.sin(theta) * dyw
    yw1 = centre[1] + np.sin(theta) * dxw + np.cos(theta) * dyw
    u1, v1 = CX + FX * (-yw1) / xw1, CY + FY * (-zw) / xw1  # camera frame at t1: (-y_w, -z_w, x_w)
    np.testing.assert_allclose(flow[i, j], [u1 - j, v1 - i], rtol=1e-6)
    assert abs(flow[i, j, 0]) > 1.0  # a real motion, not a trivial zero


def test_sky_moves_by_the_camera_rotation_only() -> None:
    # The rig yaws left by psi about world z and also drives forward: the translation must not matter.
    psi = 0.25
    camera = Camera("cam", WIDTH, HEIGHT, K, at(0.0, 0.0, 1.5) @ LOOK_ALONG_X)
    scene = make_scene(
        [box(7, (1, 1, 1), moving(at(9, 0, 1), at(5, 3, 1)))], moving(at(0, 0, 0), at(4, 1, 0, rotation_z(psi))), camera
    )
    instance = np.full((HEIGHT, WIDTH), 7, dtype=np.uint16)  # ignored where depth is 0
    flow = flow_of(scene, np.zeros((HEIGHT, WIDTH), dtype=np.float32), instance)
    # A left yaw turns directions in the camera frame about camera +y by +psi (the scene moves right).
    c, s = np.cos(psi), np.sin(psi)
    rotation = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    mapped = np.stack([U, V, np.ones_like(U)], axis=-1) @ (K @ rotation @ np.linalg.inv(K)).T
    np.testing.assert_allclose(flow[..., 0], mapped[..., 0] / mapped[..., 2] - U, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(flow[..., 1], mapped[..., 1] / mapped[..., 2] - V, rtol=1e-6, atol=1e-9)
    assert flow[HEIGHT // 2, WIDTH // 2, 0] > 0.9 * FX * np.tan(psi)


def test_points_ending_behind_the_camera_get_nan() -> None:
    # The camera drives 3 m forward through a plane 2 m ahead; the sky stays finite.
    scene = make_scene([], moving(at(0, 0, 0), at(0, 0, 3.0)))
    depth = plane(2.0)
    depth[:, :10] = 0.0
    flow = flow_of(scene, depth)
    assert np.isnan(flow[:, 10:]).all()
    np.testing.assert_allclose(flow[:, :10], 0.0, atol=1e-9)


def test_keyframed_trajectories_are_evaluated_between_keyframes() -> None:
    # Over [0, 1] s the object moves 1 m and the camera 0.4 m along camera x; from 0.2 to 0.3 s a tenth.
    d = 5.0
    entity = box(4, (1, 1, 0.1), Trajectory(times=[0.0, 1.0], poses=[at(0, 0, d + 0.05), at(1.0, 0, d + 0.05)]))
    scene = make_scene([entity], Trajectory(times=[0.0, 1.0], poses=[at(0, 0, 0), at(0.4, 0, 0)]))
    instance = np.zeros((HEIGHT, WIDTH), dtype=np.uint16)
    instance[:, 32:] = 4
    flow = flow_of(scene, plane(d), instance, t0=0.2, t1=0.3)
    np.testing.assert_allclose(flow[:, 32:, 0], FX * (0.1 - 0.04) / d, rtol=1e-6)
    np.testing.assert_allclose(flow[:, :32, 0], -FX * 0.04 / d, rtol=1e-6)
    np.testing.assert_allclose(flow[..., 1], 0.0, atol=1e-9)


def test_bad_buffers_are_rejected() -> None:
    scene = make_scene([])
    with pytest.raises(ValueError, match="must match camera"):
        geometric_flow(scene, scene.rig.cameras[0], 0.0, 1.0, np.ones((HEIGHT, WIDTH + 1)), np.zeros((HEIGHT, WIDTH)))
    instance = np.zeros((HEIGHT, WIDTH), dtype=np.uint16)
    instance[0, 0] = 9
    with pytest.raises(ValueError, match="instance id 9"):
        geometric_flow(scene, scene.rig.cameras[0], 0.0, 1.0, plane(1.0), instance)


def reference_camera1_points(scene: Scene, camera: Camera, t0: float, t1: float, depth, instance) -> np.ndarray:
    """Points (H, W, 3) in the camera frame at t1 of every pixel's surface point, computed pixel set by
    pixel set through the world and object frames (an independent path to the one labels.flow takes)."""
    v, u = np.mgrid[0 : depth.shape[0], 0 : depth.shape[1]].astype(np.float64)
    rays = np.stack([(u - camera.K[0, 2]) / camera.K[0, 0], (v - camera.K[1, 2]) / camera.K[1, 1], np.ones_like(u)], -1)
    points_world = transform_points(scene.rig.world_from_sensor(camera, t0), (rays * depth[..., None]).reshape(-1, 3))
    ids = instance.ravel()
    for entity in scene.labelled_entities():
        sel = ids == entity.instance_id
        in_object = transform_points(invert_pose(entity.trajectory.pose_at(t0)), points_world[sel])
        points_world[sel] = transform_points(entity.trajectory.pose_at(t1), in_object)
    camera1_from_world = invert_pose(scene.rig.world_from_sensor(camera, t1))
    return transform_points(camera1_from_world, points_world).reshape(depth.shape + (3,))


@pytest.mark.gl
@pytest.mark.filterwarnings("ignore:tostring:DeprecationWarning")
def test_flow_carries_pixels_onto_the_same_instance_in_the_next_rendered_frame() -> None:
    from renderers.pyrender import create_backend  # a machine without EGL must fail this, not skip it

    width, height = 320, 240
    k = np.array([[260.0, 0.0, 159.5], [0.0, 260.0, 119.5], [0.0, 0.0, 1.0]])
    camera = Camera("cam", width, height, k, at(0.0, 0.0, 1.2) @ LOOK_ALONG_X)
    # The ego drives forward and turns left; box 2 crosses in front of box 1 while yawing.
    rig = moving(at(0, 0, 0), at(3.0, 0.5, 0, rotation_z(0.25)))
    static = box(1, (1.2, 1.0, 1.4), Trajectory.static(at(8.0, 0.6, 0.7, rotation_z(0.4))))
    mover = box(2, (1.6, 0.8, 1.0), moving(at(6.5, -2.0, 0.5), at(5.5, 2.0, 0.5, rotation_z(1.2))), (0.2, 0.3, 0.9))
    ground = box(0, (40.0, 40.0, 0.02), Trajectory.static(at(10.0, 0.0, -0.01)), (0.5, 0.5, 0.5))
    scene = make_scene([static, mover, ground], rig, camera)
    t0, t1 = 0.5, 0.6
    with create_backend(frozenset({Pass.DEPTH, Pass.INSTANCE})) as backend:
        r0, r1 = backend.render(scene, t0), backend.render(scene, t1)
    assert {1, 2} <= set(np.unique(r0.instance))

    flow = geometric_flow(scene, camera, t0, t1, r0.depth, r0.instance)
    v, u = np.mgrid[0:height, 0:width]
    expected = reference_camera1_points(scene, camera, t0, t1, r0.depth.astype(np.float64), r0.instance)
    surface = r0.depth > 0
    uv1, _ = project_points(k, np.eye(4), expected[surface])
    np.testing.assert_allclose(flow[surface], uv1 - np.stack([u[surface], v[surface]], -1), atol=1e-3)

    target_u, target_v = np.rint(u + flow[..., 0]), np.rint(v + flow[..., 1])
    inside = (target_u >= 0) & (target_u < width) & (target_v >= 0) & (target_v < height)  # False for NaN
    objects = (r0.instance > 0) & inside
    tu, tv = target_u[objects].astype(int), target_v[objects].astype(int)
    predicted_depth = expected[objects][:, 2]
    visible = np.abs(r1.depth[tv, tu] - predicted_depth) <= 0.01 * predicted_depth
    same = r1.instance[tv, tu][visible] == r0.instance[objects][visible]
    assert visible.sum() > 2000
    assert same.mean() >= 0.99
    # Part of box 1 is hidden by box 2 at t1: the depth test excludes it rather than the id check failing.
    hidden = ~visible & (r0.instance[objects] == 1) & (r1.instance[tv, tu] == 2)
    assert hidden.sum() > 50
    moving_pixels = r0.instance == 2
    assert np.median(np.abs(flow[moving_pixels, 0])) > 3.0  # the check is not passed by standing still

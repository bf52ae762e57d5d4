"""Hand-built scenes with articulated people for label and export tests, and a native dataset of them
written through the run's own frame path (``generator.run.scene_job.render_frame``) with the ray-cast
camera of ``_pixel_cast``: no GL needed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from _pixel_cast import PixelCastBackend

from formats.native import NativeWriter
from generator.run.scene_job import render_frame
from generator.world.people import articulated_choice
from generator.world.pieces import AssetChoice
from scenes import AssetRef, Camera, Entity, Environment, Material, Scene, SensorRig, Trajectory
from scenes.skeleton import Body, Skeleton
from scenes.taxonomy import category_table
from scenes.transforms import intrinsics_from_fov, look_at, make_pose, rotation_z


def person(
    iid: int,
    xy: tuple[float, float],
    yaw: float,
    height: float = 1.75,
    speed: float = 0.0,
    stance: str = "relaxed",
    phase: float = 0.0,
    build: float = 1.0,
) -> Entity:
    """A pedestrian standing (speed 0) or walking at ``speed`` m/s along its heading ``yaw`` (rad, world z)
    from ``xy`` (m, its box centre's ground point) over 0-2 s; the object origin at its box centre."""
    skeleton = Skeleton(
        body=Body(height_m=height, build=build),
        activity="walk" if speed else "stand",
        stance=stance,
        phase=phase,
        origin_in_body=(0.0, 0.0, height / 2),
    )
    start = make_pose(rotation_z(yaw), (xy[0], xy[1], height / 2))
    trajectory = Trajectory.static(start)
    if speed:
        step = 2.0 * speed * np.array([np.cos(yaw), np.sin(yaw), 0.0])
        trajectory = Trajectory(times=[0.0, 2.0], poses=[start, make_pose(rotation_z(yaw), start[:3, 3] + step)])
    params = {"height": height, "shoulder_width": 0.25 * height, "torso_depth": 0.22}
    return Entity(
        f"person{iid}", iid, "pedestrian", AssetRef("procedural", "pedestrian", params), (0.5, 0.6, height),
        trajectory, Material(base_color=(0.3, 0.3, 0.6)), skeleton=skeleton,
    )  # fmt: skip


def cyclist(iid: int, xy: tuple[float, float], yaw: float, speed: float = 4.0) -> Entity:
    """A rider on a bicycle (asset ``bicycle``, skeleton activity ``cycle``) riding along ``yaw`` at
    ``speed`` m/s from ``xy``, articulated as the generator articulates a scenario's cyclist (its box the
    envelope of a crank turn), its looks drawn from a generator seeded with ``iid``."""
    params = {"wheel_radius": 0.34, "wheelbase": 1.05, "rider_height": 1.75}
    rigid = AssetChoice(AssetRef("procedural", "cyclist", params), 1.0, (1.8, 0.6, 1.7))
    choice = articulated_choice(rigid, np.random.default_rng(iid), speed)
    skeleton, size = choice.skeleton, choice.size_m
    start = make_pose(rotation_z(yaw), (xy[0], xy[1], skeleton.origin_in_body[2]))
    step = 2.0 * speed * np.array([np.cos(yaw), np.sin(yaw), 0.0])
    trajectory = Trajectory(times=[0.0, 2.0], poses=[start, make_pose(rotation_z(yaw), start[:3, 3] + step)])
    return Entity(f"cyclist{iid}", iid, "cyclist", choice.ref, tuple(size), trajectory, skeleton=skeleton)


def box(iid: int, centre: tuple[float, float, float], size: tuple[float, float, float]) -> Entity:
    """A box (``iid`` 0: unlabelled scenery) with its centre at ``centre`` (world, m)."""
    params = dict(zip(("length", "width", "height"), size, strict=True))
    category = "box" if iid else "building"
    return Entity(
        f"box{iid}_{centre}", iid, category, AssetRef("procedural", "box", params), size,
        Trajectory.static(make_pose(np.eye(3), centre)),
    )  # fmt: skip


def camera(width: int = 320, height: int = 240, fov_deg: float = 60.0) -> Camera:
    return Camera("cam", width, height, intrinsics_from_fov(width, height, fov_deg), np.eye(4))


def scene(
    entities: list[Entity],
    eye=(0.0, 0.0, 1.2),
    target=(10.0, 0.0, 1.0),
    cam: Camera | None = None,
    scene_id: str = "people",
    num_frames: int = 1,
) -> Scene:
    """A scene of ``entities`` seen by one static camera at ``eye`` looking at ``target`` (world, m), 10 fps."""
    pose = look_at(np.asarray(eye, float), np.asarray(target, float))
    rig = SensorRig(Trajectory.static(pose), [cam or camera()])
    return Scene(scene_id, 0, {"root_seed": 0}, 10.0, num_frames, entities, [], Environment(), rig)


def write_dataset(root: Path, scenes: list[Scene]) -> Path:
    """A native dataset of ``scenes`` (every frame), rendered by ray casting and labelled by
    ``labels.annotate`` on the run's frame path."""
    writer = NativeWriter(root)
    writer.open({"config_hash": "people", "categories": category_table(), "root_seed": 0})
    backend = PixelCastBackend()
    for s in scenes:
        writer.write_scene(s)
        for frame in range(s.num_frames):
            render_frame(s, frame, backend, writer, flow=False)
    return root


def generated_streets(count: int, seed: int, width: int = 320, height: int = 240) -> list[Scene]:
    """``count`` street scenes of two frames as ``synthsense generate`` samples them (pedestrians, children
    and cyclists articulated by ``generator.world.people``)."""
    from generator.config import compose_config
    from generator.world.sampling import sample_scene

    overrides = [f"seed={seed}", f"camera.width={width}", f"camera.height={height}", "scene.sequence.num_frames=2"]
    cfg = compose_config(overrides)
    return [sample_scene(cfg, index) for index in range(count)]


def street_of_people(rng: np.random.Generator, index: int, num_frames: int = 2) -> Scene:
    """A street-like scene: walkers, standers and a cyclist at 4-25 m in front of a camera 1.5 m up, a
    labelled box and a scenery wall among them (occluders), random poses from ``rng``."""
    entities: list[Entity] = []
    for k in range(5):
        x, y = rng.uniform(4.0, 25.0), rng.uniform(-0.35, 0.35) * 12
        speed = float(rng.choice([0.0, 1.2, 3.0]))
        stance = str(rng.choice(["relaxed", "phone", "arms_crossed", "hands_on_hips"]))
        entities.append(
            person(k + 1, (x, y), rng.uniform(-np.pi, np.pi), rng.uniform(1.1, 1.95), speed, stance, rng.uniform())
        )
    entities.append(cyclist(6, (rng.uniform(6.0, 14.0), rng.uniform(-3.0, 3.0)), rng.uniform(-np.pi, np.pi)))
    entities.append(box(7, (rng.uniform(5.0, 9.0), rng.uniform(-2.0, 2.0), 0.4), (0.8, 1.5, 0.8)))
    entities.append(box(0, (rng.uniform(10.0, 16.0), rng.uniform(-3.0, 3.0), 1.0), (0.3, 2.0, 2.0)))
    return scene(entities, eye=(0.0, 0.0, 1.5), scene_id=f"people{index:03d}", num_frames=num_frames)

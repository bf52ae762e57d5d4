"""Cheap judging of a targeted scene's attempts: only the sensors and passes its target's blocks read.

Judging an attempt needs the label records of the sensors its blocks name, and of those only the fields
the blocks bound. A camera record's fields come from (``labels.annotate``):

- ``category``, ``truncation`` (projection of the 3D box) and ``range_m`` (box centre distance): the
  Scene alone, no render;
- ``visible_pixels``: the instance map;
- ``unoccluded_pixels``: the amodal silhouettes;
- ``visibility`` (visible / unoccluded pixels) and ``occlusion`` (a level of visibility and visible
  pixels): both;
- ``transmittance`` (fog, rain, snow) and ``num_keypoints`` (people's labelled keypoints): the instance
  map and the depth.

A LiDAR block needs that LiDAR's ray cast, a radar block that radar's detections; a camera no block names
needs nothing, and no label ever needs rgb, normals or optical flow. So an attempt is judged on
:class:`JudgePlan`'s passes and sensors only, and the accepted attempt is then completed to full frames:
the passes and sensors judging did not compute are rendered and cast, those it did are reused (a full
render gives the same instance maps, silhouettes and sweeps), and the labels written are those of a full
frame, computed by the same code (``scene_job.compute_frame``) as in an untargeted run. Judged labels
are partial (fields of passes not rendered read as if nothing were seen) and are never written.

``target_judging`` (an execution key, left out of the config hash): ``cheap`` (default) judges on the
plan; ``full`` judges on full frames (the behaviour before cheap judging, kept as the reference the tests
and the benchmark compare against) and writes the frames it judged as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from generator.run.range_sensors import range_sensor_labels
from generator.run.targeting import Target
from renderers.base import Pass, RendererBackend, RenderResult
from scenes import Scene

JUDGING_MODES = ("cheap", "full")

# The passes each numeric camera field is computed from (labels.annotate._object_record).
CAMERA_FIELD_PASSES: dict[str, frozenset[Pass]] = {
    "visibility": frozenset({Pass.INSTANCE, Pass.AMODAL}),
    "occlusion": frozenset({Pass.INSTANCE, Pass.AMODAL}),
    "visible_pixels": frozenset({Pass.INSTANCE}),
    "unoccluded_pixels": frozenset({Pass.AMODAL}),
    "truncation": frozenset(),
    "range_m": frozenset(),
    "transmittance": frozenset({Pass.INSTANCE, Pass.DEPTH}),
    "num_keypoints": frozenset({Pass.INSTANCE, Pass.DEPTH}),  # people's keypoint flags (labels.keypoints)
}

# An instance map with no pixel: what a camera record is computed from when no pass is rendered (its
# pixel fields then read 0, and no block reads them).
_NO_PIXELS = np.zeros((0, 0), dtype=np.uint16)


@dataclass(frozen=True)
class JudgePlan:
    """What judging one frame of an attempt computes.

    Attributes:
        cameras: camera name -> the passes to render for it (empty: its records from the Scene alone, no
            render); cameras not listed are not labelled.
        lidars: names of the LiDARs to cast.
        radars: names of the radars to detect with.
    """

    cameras: Mapping[str, frozenset[Pass]]
    lidars: frozenset[str] = frozenset()
    radars: frozenset[str] = frozenset()

    def passes(self) -> frozenset[Pass]:
        """Every pass rendered for some camera."""
        return frozenset().union(*self.cameras.values())

    def is_complete(self, scene: Scene, frame_passes: frozenset[Pass]) -> bool:
        """Whether judging computes a full frame of ``scene``: every camera with every pass of
        ``frame_passes`` (the backend's), every LiDAR and radar. Its frames can then be written as they
        are; otherwise the accepted attempt is rendered again in full."""
        return (
            all(self.cameras.get(c.name) == frame_passes for c in scene.rig.cameras)
            and self.lidars == {lidar.name for lidar in scene.rig.lidars}
            and self.radars == {radar.name for radar in scene.rig.radars}
        )


def judging_plan(target: Target, sensors: Mapping[str, str]) -> JudgePlan:
    """The sensors and passes judging ``target`` needs (see the module docstring).

    Args:
        target: the run's parsed target.
        sensors: the rig's sensor names -> type (camera | lidar | radar), as ``targeting.sensor_types``.
    """
    cameras: dict[str, frozenset[Pass]] = {}
    lidars: set[str] = set()
    radars: set[str] = set()
    for block in target.blocks:
        kind = sensors[block.sensor]
        if kind == "lidar":
            lidars.add(block.sensor)
        elif kind == "radar":
            radars.add(block.sensor)
        else:
            needed = frozenset().union(*(CAMERA_FIELD_PASSES[name] for name, _, _ in block.intervals))
            cameras[block.sensor] = cameras.get(block.sensor, frozenset()) | needed
    return JudgePlan(cameras=cameras, lidars=frozenset(lidars), radars=frozenset(radars))


@dataclass
class JudgedFrame:
    """What judging one frame computed: the partial ``labels`` it was judged on (never written), the
    cameras' renders (camera name -> RenderResult holding only the plan's passes), and the range sensors'
    labels and arrays (sensor name -> (sensor record, object records); file name -> array). The
    accepted attempt's full frame reuses the renders and casts (``scene_job.compute_frame``): they are
    what a full render of the same passes gives (tests compare them), so only the rest is rendered."""

    labels: dict[str, Any]
    renders: dict[str, RenderResult] = field(default_factory=dict)
    range_labels: dict[str, tuple[dict, list]] = field(default_factory=dict)
    range_arrays: dict[str, np.ndarray] = field(default_factory=dict)


def judge_frame(scene: Scene, frame: int, backend: RendererBackend, plan: JudgePlan) -> JudgedFrame:
    """Judge one frame on ``plan``: each planned camera rendered with its plan's passes only (none: no
    render, its records from the Scene alone), the planned LiDARs and radars cast."""
    from labels import annotate

    t = scene.frame_time(frame)
    labels: dict[str, Any] = {"sensors": {}, "objects": {}}
    judged = JudgedFrame(labels)
    for camera in scene.rig.cameras:
        passes = plan.cameras.get(camera.name)
        if passes is None:
            continue
        instance, amodal, depth = _NO_PIXELS, {}, None
        if passes:
            result = backend.render(scene, t, camera.name, passes=passes)
            judged.renders[camera.name] = result
            instance = result.instance if result.instance is not None else _NO_PIXELS
            amodal, depth = result.amodal or {}, result.depth
        one = annotate(scene, frame, camera, instance, amodal, depth)
        labels["objects"][camera.name] = one["objects"][camera.name]
    lidars = [lidar for lidar in scene.rig.lidars if lidar.name in plan.lidars]
    radars = [radar for radar in scene.rig.radars if radar.name in plan.radars]
    if lidars or radars:
        range_sensor_labels(scene, frame, t, labels, judged.range_arrays, lidars, radars)
        for sensor in (*lidars, *radars):
            judged.range_labels[sensor.name] = (labels["sensors"][sensor.name], labels["objects"][sensor.name])
    return judged


def judge_labels(scene: Scene, frame: int, backend: RendererBackend, plan: JudgePlan) -> dict[str, Any]:
    """The partial labels of one frame that judging reads: ``{"objects": {sensor: records}}`` for the
    sensors of ``plan`` (see :func:`judge_frame`). Never written: fields of passes not rendered are not
    those of the frame."""
    return judge_frame(scene, frame, backend, plan).labels

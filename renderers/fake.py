"""A numpy-only stand-in backend for unit tests of the pipeline, labels and writers.

It draws every labelled entity as a flat rectangle: the axis-aligned bounding rectangle of its
projected 3D box corners. The output is deterministic and trivially predictable, follows every
convention of ``renderers.base.Pass`` (dtypes, background values, pass selection) and needs no GL.
Rules:

- an entity is drawn only if all 8 corners of its 3D box are in front of the camera (z > 0);
- its rectangle is the set of pixels whose centres (u, v) = (column, row) lie in
  [min u, max u] x [min v, max v] of the projected corners, clipped to the image;
- rectangles are painted far to near by the depth of the box centre, which is also the depth written;
- rgb is the material base colour * 255 on the background colour * 255; amodal is each rectangle.

Context entities (instance id 0) are ignored.

Fault injection (tests of the run loop's fault isolation only): ``SYNTHSENSE_FAKE_FAULTS`` holds
comma-separated ``SCENE_INDEX:MODE`` items; rendering that scene then raises (``raise``), kills its
process with SIGSEGV (``segfault``) or sleeps for an hour (``hang``). A mode ending in ``_once`` fails
only the first attempt, remembered by a marker file in ``SYNTHSENSE_FAKE_FAULT_DIR``, across processes.
"""

from __future__ import annotations

import math
import os
import signal
import time
from dataclasses import dataclass
from types import TracebackType

import numpy as np

from renderers.base import Pass, RenderResult, call_passes, check_passes, select_camera
from scenes import Camera, Entity, Scene
from scenes.transforms import box_corners, invert_pose, project_points, transform_points


@dataclass(frozen=True)
class FakeRectangle:
    """One entity's footprint: inclusive pixel ranges (rows i0..i1, columns j0..j1) and its centre's
    planar depth in metres."""

    entity: Entity
    depth: float
    i0: int
    i1: int
    j0: int
    j1: int


def _to_byte(color: tuple[float, float, float]) -> np.ndarray:
    return np.clip(np.round(np.asarray(color, dtype=np.float64) * 255.0), 0, 255).astype(np.uint8)


def fake_rectangles(scene: Scene, camera: Camera, t: float) -> list[FakeRectangle]:
    """The rectangles the fake draws for ``camera`` at time ``t`` seconds, far to near (paint order).

    Entities that are context, have a box corner at z <= 0, or whose rectangle misses the image are
    left out.
    """
    camera_from_world = invert_pose(scene.rig.world_from_sensor(camera, t))
    rectangles = []
    for entity in scene.labelled_entities():
        world_from_object = entity.trajectory.pose_at(t)
        corners = transform_points(world_from_object, box_corners(entity.size_m))
        uv, z = project_points(camera.K, camera_from_world, corners)
        if np.any(z <= 0):
            continue
        j0, j1 = max(math.ceil(uv[:, 0].min()), 0), min(math.floor(uv[:, 0].max()), camera.width - 1)
        i0, i1 = max(math.ceil(uv[:, 1].min()), 0), min(math.floor(uv[:, 1].max()), camera.height - 1)
        if j0 > j1 or i0 > i1:
            continue
        centre_depth = transform_points(camera_from_world, world_from_object[None, :3, 3])[0, 2]
        rectangles.append(FakeRectangle(entity, float(centre_depth), i0, i1, j0, j1))
    # Stable sort: equal depths keep the Scene's entity order, so the output stays deterministic.
    rectangles.sort(key=lambda r: -r.depth)
    return rectangles


FAULTS_ENV = "SYNTHSENSE_FAKE_FAULTS"
FAULT_DIR_ENV = "SYNTHSENSE_FAKE_FAULT_DIR"
FAULT_MODES = ("raise", "segfault", "hang")


class InjectedFault(RuntimeError):
    """The failure ``SYNTHSENSE_FAKE_FAULTS`` asked for."""


def _injected_fault(scene_index: int) -> str | None:
    """The fault mode to inject now for ``scene_index``, if ``SYNTHSENSE_FAKE_FAULTS`` asks for one."""
    for item in filter(None, os.environ.get(FAULTS_ENV, "").split(",")):
        index, _, mode = item.partition(":")
        if int(index) != scene_index:
            continue
        base, once = mode.removesuffix("_once"), mode.endswith("_once")
        if base not in FAULT_MODES:
            raise ValueError(f"{FAULTS_ENV}: unknown fault mode {mode!r} ({', '.join(FAULT_MODES)}, +_once)")
        if once:
            marker = os.path.join(os.environ[FAULT_DIR_ENV], f"fault-{scene_index}")
            try:
                os.close(os.open(marker, os.O_CREAT | os.O_EXCL))  # first attempt creates it and fails
            except FileExistsError:
                return None
        return base
    return None


def _inject(scene_index: int) -> None:
    mode = _injected_fault(scene_index)
    if mode == "raise":
        raise InjectedFault(f"injected fault in scene {scene_index}")
    if mode == "segfault":
        os.kill(os.getpid(), signal.SIGSEGV)
    if mode == "hang":
        time.sleep(3600)


class FakeBackend:
    """The fake renderer: same protocol and capabilities as the real backends, numpy only.

    Args:
        passes: the passes every ``render`` call produces; others come back as None.
    """

    name = "fake"
    capabilities = frozenset({Pass.RGB, Pass.DEPTH, Pass.INSTANCE, Pass.AMODAL})

    def __init__(self, passes: frozenset[Pass]) -> None:
        passes = frozenset(passes)
        check_passes(self.name, self.capabilities, passes)
        self.passes = passes

    def render(
        self, scene: Scene, t: float, camera: str | None = None, *, passes: frozenset[Pass] | None = None
    ) -> RenderResult:
        """Render ``camera`` (default: the rig's first camera) of ``scene`` at time ``t`` seconds; ``passes``:
        those of this call (None: the backend's; see ``RendererBackend.render``)."""
        passes = call_passes(self.name, self.passes, passes)
        if os.environ.get(FAULTS_ENV):
            _inject(scene.index)
        cam = select_camera(scene, camera)
        shape = (cam.height, cam.width)
        rgb = np.empty((*shape, 3), dtype=np.uint8)
        rgb[:] = _to_byte(scene.environment.background)
        depth = np.zeros(shape, dtype=np.float32)
        instance = np.zeros(shape, dtype=np.uint16)
        amodal = {}
        for r in fake_rectangles(scene, cam, t):
            window = (slice(r.i0, r.i1 + 1), slice(r.j0, r.j1 + 1))
            rgb[window] = _to_byte(r.entity.material.base_color)
            depth[window] = r.depth
            instance[window] = r.entity.instance_id
            mask = np.zeros(shape, dtype=bool)
            mask[window] = True
            amodal[r.entity.instance_id] = mask
        return RenderResult(
            camera=cam.name,
            t=t,
            rgb=rgb if Pass.RGB in passes else None,
            depth=depth if Pass.DEPTH in passes else None,
            instance=instance if Pass.INSTANCE in passes else None,
            amodal=amodal if Pass.AMODAL in passes else None,
        )

    def close(self) -> None:
        """Nothing to release; present for the protocol."""

    def __enter__(self) -> FakeBackend:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

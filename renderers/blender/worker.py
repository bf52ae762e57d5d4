"""The Blender worker process: the only place ``bpy`` is imported.

The parent (:class:`renderers.blender.backend.BlenderBackend`) starts :func:`serve` in a process of
the "spawn" context and talks to it over a Pipe. Requests (tuples) and replies:

- ``("render", scene_dict | None, scene_id, t, camera, passes, settings)``: compile the scene when
  ``scene_dict`` is given (the parent sends it once per scene), pose it at ``t`` seconds and render.
  Reply ``("ok", buffers)`` with numpy arrays under the Pass names plus ``"timings"`` (seconds).
- ``("bare_render", scene_dict | None, scene_id, t, camera, settings)``: the same Blender scene rendered
  by one plain ``bpy.ops.render.render()`` with nothing read back (the benchmark's reference).
  Reply ``("ok", {"timings": ...})``.
- ``("close",)``: exit.

Any exception is replied as ``("error", traceback text)``; the worker keeps serving.

Engines and motion blur: with an rgb engine other than Cycles, or with motion blur, a frame is two
renders: the rgb ("beauty") pass (:func:`beauty_settings`), then depth, ids, normals and amodal masks from
Cycles at 1 sample without motion blur or denoising (:func:`label_settings`). Motion blur reads the
motion from keys set around the frame (``build.key_motion``). A scene with fog, rain or snow (the medium of
``conditions.add_medium``) is two renders whenever labels are asked for: the rgb with the medium, the labels
without it (:func:`show_medium`).

Conventions (``renderers.base.Pass``): Cycles' Z pass is planar depth along the optical axis (checked
by the tests), written as 1e10 where no surface is hit, which becomes 0.0 here. Cycles' Normal pass is in
world space and averaged over samples; it is rotated into the OpenCV camera frame, renormalised and set to
(0, 0, 0) where the Z pass sees no surface. Cycles takes its ID and
depth passes from each pixel's first sample, which lies at the pixel centre whatever the pixel filter
(the half-pixel and tilted-plane tests check it), so one render gives exact labels and an anti-aliased
rgb at once.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from renderers.blender.denoise import set_denoising

# Depth values at or above this are Cycles' "no surface" (it writes 1e10).
_NO_SURFACE_Z = 1e9


def serve(conn: Connection) -> None:
    """Answer requests on ``conn`` until ``("close",)`` or the parent goes away."""
    worker = _Worker()
    try:
        while True:
            try:
                request = conn.recv()
            except EOFError:
                return
            if request[0] == "close":
                return
            try:
                conn.send(("ok", worker.handle(request)))
            except Exception:  # noqa: BLE001 - every failure goes back to the parent, which raises it
                conn.send(("error", traceback.format_exc()))
    finally:
        worker.cleanup()


def camera_normals(world_normals: np.ndarray, world_from_camera: np.ndarray, surface: np.ndarray) -> np.ndarray:
    """Cycles' world-space Normal pass (H, W, 3) -> float32 unit normals in the OpenCV frame of the camera
    whose pose is ``world_from_camera`` (4x4, OpenCV axes): ``n_cam = R^T n_world``, renormalised (the
    pass is averaged over samples and the pixel filter), (0, 0, 0) where ``surface`` (H, W) is False."""
    rotation = np.asarray(world_from_camera, dtype=np.float64)[:3, :3]
    normals = np.asarray(world_normals, dtype=np.float64) @ rotation  # row vectors: (R^T n)^T = n^T R
    length = np.linalg.norm(normals, axis=-1, keepdims=True)
    valid = surface[..., None] & (length > 1e-12)
    normals = np.where(valid, normals / np.where(valid, length, 1.0), 0.0)
    return normals.astype(np.float32)


def linear_to_srgb_bytes(linear: np.ndarray) -> np.ndarray:
    """Scene-linear RGB (..., 3) float -> uint8 with the sRGB transfer function: Blender's "Standard"
    view transform at exposure 0 and gamma 1."""
    c = np.clip(linear, 0.0, 1.0)
    encoded = np.where(c <= 0.0031308, 12.92 * c, 1.055 * np.power(c, 1.0 / 2.4) - 0.055)
    return np.round(encoded * 255.0).astype(np.uint8)


class _Worker:
    """One Blender scene at a time: compiled on a new scene_id, re-posed per frame."""

    def __init__(self) -> None:
        import bpy  # noqa: F401 - imported here, in the worker process only

        self.tmpdir = tempfile.mkdtemp(
            prefix="synthsense-blender-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None
        )
        self.scene_id: str | None = None
        self.source = None  # the scenes.Scene being rendered
        self.objects: list[Any] = []  # build.EntityObjects (an entity and its part objects) in the Scene's order
        self.cameras: dict[str, Any] = {}  # rig camera name -> bpy camera object

    def cleanup(self) -> None:
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    def handle(self, request: tuple) -> dict[str, Any]:
        kind = request[0]
        if kind == "render":
            _, scene_dict, scene_id, t, camera, passes, settings = request
            self._ensure_scene(scene_dict, scene_id, settings)
            return self._render(t, camera, frozenset(passes), settings)
        if kind == "bare_render":
            _, scene_dict, scene_id, t, camera, settings = request
            self._ensure_scene(scene_dict, scene_id, settings)
            return self._bare_render(t, camera, settings)
        raise ValueError(f"unknown request {kind!r}")

    def _ensure_scene(self, scene_dict: dict | None, scene_id: str, settings: dict) -> None:
        from renderers.blender.build import build_scene
        from scenes.serialization import scene_from_dict

        if scene_dict is not None:
            self.source = scene_from_dict(scene_dict)
            self.objects, self.cameras = build_scene(self.source, settings)
            self.scene_id = scene_id
        elif self.scene_id != scene_id:
            raise ValueError(f"worker holds scene {self.scene_id!r}, asked to render {scene_id!r} without it")

    def _pose(self, t: float, camera: str, settings: dict) -> Any:
        import bpy

        from renderers.blender.build import pose_scene

        pose_scene(self.source, self.objects, self.cameras, camera, t)
        if settings.get("motion_blur"):
            from renderers.blender.build import key_motion

            key_motion(self.source, self.objects, self.cameras, camera, t, float(settings["shutter"]))
        bscene = bpy.context.scene
        cam = self.source.rig.camera(camera)
        bscene.render.resolution_x, bscene.render.resolution_y = cam.width, cam.height
        bscene.cycles.samples = int(settings["samples"])
        bscene.cycles.seed = int(settings["seed"]) % 2**31  # the parent sends this frame's seed
        beauty_settings(bscene, settings)
        return bscene

    def _render(self, t: float, camera: str, passes: frozenset[str], settings: dict) -> dict[str, Any]:
        import bpy

        from renderers.blender.conditions import MEDIUM_NAME

        start = time.perf_counter()
        bscene = self._pose(t, camera, settings)
        out: dict[str, Any] = {}
        path = os.path.join(self.tmpdir, "frame.exr")
        bscene.render.filepath = path
        render_s = 0.0
        label_passes = passes & {"depth", "instance", "normals"}
        medium = bpy.data.objects.get(MEDIUM_NAME)  # fog, rain, snow: never in a label render
        split = two_pass(settings) or (medium is not None and bool(label_passes or "amodal" in passes))
        if split and "rgb" in passes:  # beauty: the chosen engine, motion blur, the medium
            show_medium(medium, settings["engine"] != "BLENDER_WORKBENCH")  # Workbench would draw its faces
            t0 = time.perf_counter()
            bpy.ops.render.render(write_still=True)
            render_s += time.perf_counter() - t0
            out["rgb"] = linear_to_srgb_bytes(_read_exr(path)["ViewLayer.Combined"][..., :3])
            passes = passes - {"rgb"}
        # A labels-only request (no rgb: a targeted attempt judged cheaply) needs no shading samples: ids
        # and depth are the first sample's in any render. Normals average over samples, so a request
        # for them keeps the frame's own sample count unless the frame is two renders anyway.
        labels_only = "rgb" not in passes and "normals" not in passes
        if (split or labels_only) and (label_passes or "amodal" in passes):
            # A frame split only by the medium keeps its samples for normals (they average over samples), so
            # they equal those of the same frame in clear weather, one render.
            keep_samples = "normals" in passes and medium is not None and not two_pass(settings)
            label_settings(bscene, int(settings["samples"]) if keep_samples else 1)
        show_medium(medium, "rgb" in passes and settings["engine"] != "BLENDER_WORKBENCH")
        if passes & {"rgb", "depth", "instance", "normals"}:
            t0 = time.perf_counter()
            bpy.ops.render.render(write_still=True)
            render_s += time.perf_counter() - t0
            channels = _read_exr(path)
            if "rgb" in passes:
                out["rgb"] = linear_to_srgb_bytes(channels["ViewLayer.Combined"][..., :3])
            if "depth" in passes:
                z = channels["ViewLayer.Depth.Z"]
                out["depth"] = np.where(z < _NO_SURFACE_Z, z, 0.0).astype(np.float32)
            if "instance" in passes:
                out["instance"] = np.rint(channels["ViewLayer.Object Index.X"]).astype(np.uint16)
            if "normals" in passes:
                cam = self.source.rig.camera(camera)
                world_from_camera = self.source.rig.world_from_sensor(cam, t)
                normal = np.stack([channels[f"ViewLayer.Normal.{axis}"] for axis in "XYZ"], axis=-1)
                surface = channels["ViewLayer.Depth.Z"] < _NO_SURFACE_Z
                out["normals"] = camera_normals(normal, world_from_camera, surface)
        if "amodal" in passes:
            t0 = time.perf_counter()
            out["amodal"], amodal_render_s = self._amodal(bscene, t, camera, path)
            out["amodal_s"] = time.perf_counter() - t0
            render_s += amodal_render_s
        out["timings"] = {"render_s": render_s, "total_s": time.perf_counter() - start}
        return out

    def _amodal(self, bscene: Any, t: float, camera: str, path: str) -> tuple[dict[int, np.ndarray], float]:
        """Labelled entities that may be in view rendered without the others (1 sample, no bounces): the
        pixels each one's object index covers. An entity is all its parts (``build.EntityObjects``): they are
        shown and hidden together. Entities whose pixel boxes (the projection of their 3D box, or of the box
        around an articulated entity's posed parts, padded) are disjoint cannot hide each other, so they share
        one render, bordered to the union of their boxes (:func:`disjoint_batches`). Cost: one Cycles render
        per batch."""
        import bpy

        from renderers.blender.build import amodal_candidates, pixel_region, set_render_region
        from renderers.blender.conditions import EMITTER_TAG

        candidates = amodal_candidates(self.source, self.objects, camera, t)
        masks: dict[int, np.ndarray] = {}
        if not candidates:
            return masks, 0.0
        regions = [pixel_region(self.source, item.entity, camera, t) for item in candidates]
        cycles = bscene.cycles
        # lamps and their discs never touch an object index: without them a night frame's many lights are not
        # sampled at every first hit (its amodal renders took four times clear weather's with them)
        unlit = [obj for obj in bpy.data.objects if obj.type == "LIGHT" or obj.get(EMITTER_TAG)]
        hidden_objects = [obj for item in self.objects for obj in item.parts] + unlit
        saved = (cycles.samples, cycles.max_bounces, [obj.hide_render for obj in hidden_objects], cycles.use_denoising)
        cycles.samples, cycles.max_bounces = 1, 0
        cycles.use_denoising = False  # only the object index is read: denoising the image would be wasted time
        render_s = 0.0
        try:
            for obj in hidden_objects:
                obj.hide_render = True
            for batch in disjoint_batches(regions):
                for k in batch:
                    for obj in candidates[k].parts:
                        obj.hide_render = False
                set_render_region(bscene, _union(regions[k] for k in batch))
                t0 = time.perf_counter()
                bpy.ops.render.render(write_still=True)
                render_s += time.perf_counter() - t0
                ids = np.rint(_read_exr(path)["ViewLayer.Object Index.X"])
                for k in batch:
                    entity = candidates[k].entity
                    for obj in candidates[k].parts:
                        obj.hide_render = True
                    mask = ids == entity.instance_id
                    if mask.any():  # an object covering no pixel has no entry, as in pyrender
                        masks[entity.instance_id] = mask
        finally:
            set_render_region(bscene, None)
            cycles.samples, cycles.max_bounces, cycles.use_denoising = saved[0], saved[1], saved[3]
            for obj, hidden in zip(hidden_objects, saved[2], strict=True):
                obj.hide_render = hidden
        return masks, render_s

    def _bare_render(self, t: float, camera: str, settings: dict) -> dict[str, Any]:
        import bpy

        from renderers.blender.conditions import MEDIUM_NAME

        self._pose(t, camera, settings)
        show_medium(bpy.data.objects.get(MEDIUM_NAME), True)
        t0 = time.perf_counter()
        bpy.ops.render.render()
        return {"timings": {"render_s": time.perf_counter() - t0}}


def show_medium(medium: Any | None, visible: bool) -> None:
    """Show or hide the medium of fog, rain and snow (``conditions.add_medium``; None: none) in the next render.
    A camera sample that scatters in it writes no depth or object index, so label renders go without it."""
    # (the view layer's use_volumes does not take it out of Cycles' render: checked with bpy 5.0.1)
    if medium is not None and medium.hide_render == visible:
        medium.hide_render = not visible


def two_pass(settings: dict) -> bool:
    """Whether a frame needs a separate label render: an rgb engine other than Cycles, or motion blur."""
    return settings["engine"] != "CYCLES" or bool(settings.get("motion_blur"))


def beauty_settings(bscene: Any, settings: dict) -> None:
    """Set the rgb ("beauty") render: the chosen engine, samples, denoiser and motion blur."""
    bscene.render.engine = settings["engine"]
    bscene.render.use_motion_blur = bool(settings.get("motion_blur"))
    bscene.render.motion_blur_shutter = float(settings.get("shutter", 0.5))
    bscene.eevee.taa_render_samples = int(settings["samples"])
    cycles = bscene.cycles
    cycles.samples = int(settings["samples"])
    set_denoising(cycles, bool(settings["denoise"]), settings["device"])
    cycles.use_adaptive_sampling = settings["adaptive_threshold"] > 0
    cycles.max_bounces = int(settings["max_bounces"])


def label_settings(bscene: Any, samples: int = 1) -> None:
    """Set the label render: Cycles at ``samples`` (1 by default), no bounces, no motion blur, no denoising
    (ids and depth come from each pixel's first sample whatever the sample count, so they equal a single
    Cycles render's; depth, ids and normals are written where the camera ray first meets a surface, so light
    paths need no bounce)."""
    bscene.render.engine = "CYCLES"
    bscene.render.use_motion_blur = False
    cycles = bscene.cycles
    cycles.samples = samples
    cycles.max_bounces = 0
    cycles.use_denoising = False
    cycles.use_adaptive_sampling = False


def disjoint_batches(regions: list[tuple[int, int, int, int]]) -> list[list[int]]:
    """Indices of ``regions`` (inclusive pixel boxes ``(u0, v0, u1, v1)``) grouped so that the boxes within a
    group are pairwise disjoint; greedy, largest box first, each into the first group it fits."""

    def overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
        return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]

    order = sorted(
        range(len(regions)), key=lambda k: -(regions[k][2] - regions[k][0] + 1) * (regions[k][3] - regions[k][1] + 1)
    )
    batches: list[list[int]] = []
    for k in order:
        for batch in batches:
            if not any(overlap(regions[k], regions[j]) for j in batch):
                batch.append(k)
                break
        else:
            batches.append([k])
    return batches


def _union(regions: Any) -> tuple[int, int, int, int]:
    u0s, v0s, u1s, v1s = zip(*regions, strict=True)
    return min(u0s), min(v0s), max(u1s), max(v1s)


def _read_exr(path: str) -> dict[str, np.ndarray]:
    """Every channel of a Blender multilayer EXR by its full name (``ViewLayer.Depth.Z``, ...); rows
    top to bottom. Blender writes one part per pass; Combined comes as one (H, W, 4) RGBA channel."""
    import OpenEXR

    with OpenEXR.File(path) as exr:
        return {name: np.array(ch.pixels) for part in exr.parts for name, ch in part.channels.items()}

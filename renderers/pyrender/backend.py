"""The pyrender backend: rasterizes camera passes with OpenGL (headless EGL, Mesa llvmpipe on CPU).

One GL context lives as long as the backend; one pyrender world per Scene, compiled on the Scene's
first frame and then only re-posed. Passes (conventions in ``renderers.base.Pass``):

- rgb: pyrender's lit forward pass (multisampled; with ``shadows=True`` the sun casts shadows through
  pyrender's directional shadow map); under ``environment.sky == "sky"`` the procedural daylight sky of
  ``renderers.sky`` (Preetham et al. 1999, with the sun's disc) behind it, composited by each pixel's
  coverage (the alpha of the multisampled pass over a clear colour of alpha 0); then the scene's conditions
  in image space (``renderers.camera_weather``: fog from the lit pass's own depth, which is the
  segmentation pass's plus the lamp discs, rain and snow particles, glare toward a low sun). Lamps: spot
  lights from a per-view pool of 8, mounted lights and emitter discs (``lamps``), never in the label passes.
- depth, instance: one segmentation pass (multisampling off, so each pixel is sampled at its centre)
  with every entity drawn in its id colour, context entities in black so they still occlude; depth
  comes from the same pass, so depth and instance agree pixel for pixel.
- amodal: for labelled entities whose 3D box may be in view, the pixels each covers on its own (all its
  parts, for an articulated entity), with
  the same rasterization as the instance pass; by default 24 objects per union pass (see
  ``offscreen``), or one segmentation pass per object (``amodal_method="per_object"``, the reference
  the union pass is tested against).

A GL context belongs to the thread that uses it: use one backend per process, not across threads.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType

import numpy as np

from renderers.base import BackendError, Pass, RenderResult, call_passes, check_passes, select_camera
from renderers.camera_weather import apply_camera_conditions, camera_conditions_active
from renderers.pyrender._gl import pyrender
from renderers.pyrender.compile import CompiledScene, EntityNodes, compile_scene, pose_nodes
from renderers.pyrender.geometry import AMODAL_BITS_PER_PASS, bit_color, decode_bits, decode_instance
from renderers.pyrender.offscreen import OffscreenRenderer
from renderers.sky import scene_sky_composite
from scenes import Camera, Scene
from scenes.camera_geometry import box_in_view
from scenes.transforms import invert_pose, make_pose

AMODAL_METHODS = ("union", "per_object")
_WHITE = (255, 255, 255)


class PyrenderBackend:
    """Renderer backend over pyrender.

    Args:
        passes: the passes every ``render`` call produces; others come back as None.
        amodal_method: "union" (up to 24 objects per GL pass) or "per_object" (one pass per object);
            both give identical masks.
        image_sizes: (width, height) in pixels of every camera the backend will render; when given, the
            GL context opens now and each size is checked against its limits, so a run fails before it
            writes anything rather than on its first frame.
        shadows: directional lights (the sun) cast shadows in the rgb pass: pyrender's shadow map
            (``RenderFlags.SHADOWS_DIRECTIONAL``, a 2048^2 depth map from an orthographic view along the
            light over the whole scene). Label passes are segmentation passes, which never take a shadow
            pass: they are the same bytes either way. Off by default: a 640x480 street frame (every run pass)
            took 1.7-1.8x as long with it (llvmpipe, benchmarks/bench_pyrender_light.py).

    Raises:
        BackendError: a requested pass is not in ``capabilities``, or an image size exceeds the GL
            context's maximum.
    """

    name = "pyrender"
    capabilities = frozenset({Pass.RGB, Pass.DEPTH, Pass.INSTANCE, Pass.AMODAL})

    def __init__(
        self,
        passes: frozenset[Pass],
        *,
        amodal_method: str = "union",
        image_sizes: Iterable[tuple[int, int]] = (),
        shadows: bool = False,
    ) -> None:
        passes = frozenset(passes)
        check_passes(self.name, self.capabilities, passes)
        if amodal_method not in AMODAL_METHODS:
            raise BackendError(f"unknown amodal_method {amodal_method!r}; known: {', '.join(AMODAL_METHODS)}")
        self.passes = passes
        self.amodal_method = amodal_method
        self.shadows = bool(shadows)
        self.compile_count = 0  # how many Scenes were compiled: one per scene, never per frame
        self._renderer: OffscreenRenderer | None = None
        self._compiled: CompiledScene | None = None
        self._closed = False
        self._max_size: tuple[int, int] | None = None
        try:
            for width, height in image_sizes:
                self.check_image_size(width, height)
        except BaseException:
            self.close()  # the context check_image_size opened: the caller never gets an object to close
            raise

    def max_image_size(self) -> tuple[int, int]:
        """The largest (width, height) in pixels the GL context renders (opens the context if needed)."""
        if self._max_size is None:
            self._max_size = self._open(1, 1).max_image_size()
        return self._max_size

    def check_image_size(self, width: int, height: int) -> None:
        """Raise BackendError (one line) when a ``width`` x ``height`` pixel image exceeds the GL limits:
        past them pyrender fails with an opaque PyOpenGL TypeError on the first frame."""
        max_w, max_h = self.max_image_size()
        if width > max_w or height > max_h:
            raise BackendError(
                f"camera image {width}x{height} px exceeds this GL context's maximum of {max_w}x{max_h} px "
                "(GL_MAX_RENDERBUFFER_SIZE, GL_MAX_VIEWPORT_DIMS); lower camera.width/height"
            )

    @property
    def pyrender_scene(self) -> pyrender.Scene | None:
        """The pyrender world of the Scene rendered last (None before the first render)."""
        return None if self._compiled is None else self._compiled.scene

    def render(
        self, scene: Scene, t: float, camera: str | None = None, *, passes: frozenset[Pass] | None = None
    ) -> RenderResult:
        """Render ``camera`` (default: the rig's first camera) of ``scene`` at time ``t`` seconds; ``passes``:
        those of this call (None: the backend's). Each pass is its own GL pass (rgb: the lit pass; depth and
        instance: one segmentation pass; amodal: union passes), so leaving one out skips its GL work and
        changes no other pass.

        Returns:
            A RenderResult whose requested passes are filled: rgb (H, W, 3) uint8, depth (H, W) float32
            planar metres (0 = no surface), instance (H, W) uint16 (0 = no labelled object), amodal
            {instance id: bool (H, W)} for labelled objects covering at least one pixel.
        """
        if self._closed:
            raise BackendError("pyrender backend used after close()")
        passes = call_passes(self.name, self.passes, passes)
        cam = select_camera(scene, camera)
        compiled = self._compiled_for(scene)
        pose_nodes(compiled, cam, t)
        renderer = self._renderer_for(cam)
        renderer.set_spot_light_limit(len(compiled.lamps.slots))
        result = RenderResult(camera=cam.name, t=t)
        conditions = Pass.RGB in passes and camera_conditions_active(scene)
        if Pass.RGB in passes:
            # (pyrender sizes the shadow map by the scene's extent: a world without meshes has none, and no shadows)
            shadows = self.shadows and bool(compiled.scene.mesh_nodes) and compiled.scene.scale > 0
            flags = pyrender.RenderFlags.SHADOWS_DIRECTIONAL if shadows else pyrender.RenderFlags.NONE
            sky = scene.environment.sky == "sky" or scene.environment.hdri is not None
            if sky:  # the clear colour has alpha 0 (compile_scene): alpha is each pixel's coverage
                flags |= pyrender.RenderFlags.RGBA
            color, lit_depth = renderer.render(compiled.scene, flags)
            if sky:
                result.rgb = scene_sky_composite(color, scene, cam, t)
            else:
                result.rgb = np.array(color, dtype=np.uint8)  # own copy: pyrender returns a read-only view
            if conditions:
                # the lit pass's own depth, not the label passes': it holds the lamp discs (RGB only), so a
                # street lamp against the sky is fogged over its own distance instead of becoming airlight
                result.rgb = apply_camera_conditions(result.rgb, lit_depth, scene, cam, t)
        if passes & {Pass.DEPTH, Pass.INSTANCE}:
            color, depth = renderer.render_segmentation(compiled.scene, compiled.instance_colors)
            if Pass.DEPTH in passes:
                result.depth = depth.astype(np.float32, copy=False)
            if Pass.INSTANCE in passes:
                result.instance = decode_instance(color)
        if Pass.AMODAL in passes:
            result.amodal = self._amodal(renderer, compiled, cam, t)
        return result

    def close(self) -> None:
        """Free the GL context and every GL object. Safe to call twice."""
        if self._renderer is not None:
            self._renderer.delete()
        self._renderer = None
        self._compiled = None
        self._closed = True

    def __enter__(self) -> PyrenderBackend:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _compiled_for(self, scene: Scene) -> CompiledScene:
        # A new scene_id, or another Scene object under the same id, is a new world; the previous
        # world's GL buffers are freed by pyrender on the next render, which no longer sees them.
        compiled = self._compiled
        if compiled is None or compiled.source is not scene or compiled.source.scene_id != scene.scene_id:
            compiled = self._compiled = compile_scene(scene)
            self.compile_count += 1
        return compiled

    def _open(self, width: int, height: int) -> OffscreenRenderer:
        """The GL context and renderer, created at ``width`` x ``height`` pixels if not open yet."""
        if self._renderer is None:
            self._renderer = OffscreenRenderer(width, height)
        return self._renderer

    def _renderer_for(self, camera: Camera) -> OffscreenRenderer:
        renderer = self._open(camera.width, camera.height)  # framebuffers come later, at the first render
        self.check_image_size(camera.width, camera.height)
        if (renderer.viewport_width, renderer.viewport_height) != (camera.width, camera.height):
            # EGL renders into framebuffer objects, so a new size only needs new framebuffers (pyrender
            # reallocates them on the next render), not a new context: uploaded meshes stay valid.
            renderer.viewport_width = camera.width
            renderer.viewport_height = camera.height
        return renderer

    def _amodal(
        self, renderer: OffscreenRenderer, compiled: CompiledScene, camera: Camera, t: float
    ) -> dict[int, np.ndarray]:
        camera_from_world = invert_pose(compiled.source.rig.world_from_sensor(camera, t))
        candidates = [
            entry
            for entry in compiled.entity_nodes
            if entry.entity.is_labelled and _may_be_in_view(entry, camera, camera_from_world, t)
        ]
        masks: list[np.ndarray] = []
        # an entity is all its parts: they draw one colour (one bit), so its mask is their union
        if self.amodal_method == "per_object":
            for entry in candidates:
                color, _ = renderer.render_segmentation(compiled.scene, dict.fromkeys(entry.nodes, _WHITE))
                masks.append(color[..., 0] > 0)
        else:
            for start in range(0, len(candidates), AMODAL_BITS_PER_PASS):
                chunk = candidates[start : start + AMODAL_BITS_PER_PASS]
                colors = {node: bit_color(k) for k, entry in enumerate(chunk) for node in entry.nodes}
                masks.extend(decode_bits(renderer.render_union(compiled.scene, colors), len(chunk)))
        # An object covering no pixel is not in the image: labels see no entry, as for culled objects.
        return {entry.entity.instance_id: mask for entry, mask in zip(candidates, masks, strict=True) if mask.any()}


def _may_be_in_view(entry: EntityNodes, camera: Camera, camera_from_world: np.ndarray, t: float) -> bool:
    """Whether the entity may cover a pixel (conservative): a rigid entity's ``size_m`` box, an articulated
    one's box (object frame) around its posed parts' bounds, which a swinging limb may push past ``size_m``."""
    entity = entry.entity
    world_from_object = entity.trajectory.pose_at(t)
    if entry.part_corners is None:
        camera_from_object = camera_from_world @ world_from_object
        return box_in_view(
            camera.K, camera.width, camera.height, camera.znear, camera.zfar, camera_from_object, entity.size_m
        )
    object_from_part = invert_pose(world_from_object) @ entry.poses  # (parts, 4, 4)
    corners = np.einsum("pij,pkj->pki", object_from_part[:, :3, :3], entry.part_corners)
    corners = (corners + object_from_part[:, None, :3, 3]).reshape(-1, 3)
    lo, hi = corners.min(axis=0), corners.max(axis=0)
    camera_from_box = camera_from_world @ world_from_object @ make_pose(np.eye(3), (lo + hi) / 2)
    return box_in_view(camera.K, camera.width, camera.height, camera.znear, camera.zfar, camera_from_box, hi - lo)

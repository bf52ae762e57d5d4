"""The Blender backend: Cycles (CPU by default) renders of a Scene, with the same exact labels as pyrender.

``bpy`` lives only in a worker process (multiprocessing "spawn" context, started on the first render),
so the parent never imports it, Blender's global state never leaks into the parent, and the worker can
be recycled after N scenes to keep memory bounded. The worker builds one Blender scene per Scene (the
Scene is sent once, as ``scene_to_dict``) and per frame only re-poses it. Passes (``renderers.base.Pass``):

- rgb: the combined pass of ``BlenderSettings.engine`` (Cycles by default; Workbench, EEVEE),
  optionally motion blurred; with another engine or motion blur the labels below come from a second,
  1-sample Cycles render of the same pose (:class:`BlenderSettings`). Cycles' combined pass is
  scene-linear, encoded with the sRGB curve (the "Standard" view transform).
  Its sampling seed is drawn per frame from the scene (:func:`cycles_seed`): the same scene and frame
  give the same bytes.
- depth: Cycles' Z pass (planar z along the optical axis), 0.0 where no surface.
- instance: the object index pass (each entity's ``pass_index`` is its instance id; context entities 0).
  An entity is one Blender object per part (``assets.articulated.entity_parts``: a rigid entity one, an
  articulated person its body's parts, a cyclist's bicycle too), each posed at ``world_from_part(t)`` and
  carrying the entity's id.
  Cycles takes ID and depth passes from each pixel's first sample, at the pixel centre, so they are
  unfiltered and agree with pyrender's pixel-centre rasterization.
- normals: Cycles' Normal pass (world space, averaged over samples and the pixel filter) rotated into the
  OpenCV camera frame and renormalised, float32 (H, W, 3), (0, 0, 0) where no surface.
- amodal: each labelled object that may be in view rendered alone, all its parts together (1 sample, no
  bounces, same camera); costs one small Cycles render per such object.

Conditions (``scene.conditions``, ``renderers.blender.conditions``): fog, rain and snow are a scattering
medium of extinction ``camera_extinction()`` in front of the camera, in the rgb pass only; a frame with it is
two renders, like motion blur: the labels come from the 1-sample label render without the medium (a sample that
scatters in it would write no depth or id). Spot lamps, lamps mounted on entities and their glowing discs
(camera rays only, transparent to every label pass) need no second render. Image-space weather (drops,
flakes, glare) goes through :func:`camera_conditions`.
"""

from __future__ import annotations

import multiprocessing
import zlib
from dataclasses import asdict, dataclass
from types import TracebackType
from typing import Any

import numpy as np

from renderers.base import BackendError, Pass, RenderResult, call_passes, check_passes, select_camera
from renderers.camera_weather import apply_camera_conditions, glare_active
from scenes import Camera, Scene
from scenes.serialization import scene_to_dict

ENGINES = ("CYCLES", "BLENDER_WORKBENCH", "BLENDER_EEVEE")  # Blender 5.0 render.engine identifiers
DEVICES = ("CPU", "GPU")
# The key of the Cycles seed among a scene's random streams: a CRC-32, far from generator.world.seeding's small
# stream numbers, so it never collides with a stream added there.
_CYCLES_SEED_KEY = zlib.crc32(b"blender.cycles_seed")


def cycles_seed(scene: Scene, t: float) -> int:
    """Cycles' sampling seed for frame time ``t`` of ``scene``: a stable function of the scene's root seed,
    its index and the frame number (``round(t * fps)``), in [0, 2**31).

    Drawn like every other stream of the scene (``generator.world.seeding``: a SeedSequence keyed by the scene
    index), so a frame's rgb noise is the same in any run, shard or resume, and differs between frames
    and scenes (no frozen noise pattern over a sequence).
    """
    root_seed = int(scene.seeds.get("root_seed", 0))
    frame = int(round(t * scene.fps))
    sequence = np.random.SeedSequence(root_seed, spawn_key=(int(scene.index), _CYCLES_SEED_KEY, frame))
    return int(sequence.generate_state(1, dtype=np.uint32)[0]) % 2**31


def needs_image_weather(scene: Scene) -> bool:
    """Rain or snow falls in ``scene``, or a low sun glares: its colour images get drops, flakes or glare
    in image space (:func:`camera_conditions`), which read the exact depth."""
    conditions = scene.conditions
    return conditions.rain_rate_mm_h > 0 or conditions.snow_rate_mm_h > 0 or glare_active(scene)


def camera_conditions(rgb: np.ndarray, depth: np.ndarray | None, scene: Scene, camera: Camera, t: float) -> np.ndarray:
    """The image-space weather of a Blender colour image: ``renderers.camera_weather``'s drops and flakes
    (occluded by the exact depth) and glare toward a low sun, without its fog (``fog=False``: the Blender
    medium, ``renderers.blender.conditions``, already attenuates by ``scene.conditions.camera_extinction()``,
    rain and snow included).

    ``rgb`` (H, W, 3) uint8 sRGB as rendered; ``depth`` (H, W) float32 planar metres (0 = no surface),
    rendered whenever :func:`needs_image_weather` or the call asks for it, else None. Called on every colour
    image; returns ``rgb`` itself when nothing applies (clear_day, fog alone, night)."""
    if not needs_image_weather(scene):
        return rgb
    return apply_camera_conditions(rgb, depth, scene, camera, t, fog=False)


@dataclass(frozen=True)
class BlenderSettings:
    """Render settings sent to the worker.

    samples: Cycles samples per pixel. adaptive_threshold: Cycles' noise threshold, 0 = off (every
    pixel gets ``samples``). denoise: OpenImageDenoise on the rgb pass (on by default; labels are never denoised).
    filter_width_px: pixel filter width of the rgb pass (labels are unfiltered either way).
    max_bounces: light path bounces. seed: Cycles' sampling seed for every frame; None = drawn per frame
    from the scene (:func:`cycles_seed`), the default.
    threads: render threads, 0 = all cores.
    engine: the rgb engine, one of ENGINES. motion_blur: motion blur on the rgb pass (Cycles, EEVEE; Workbench
    has none), over ``shutter`` frames centred on the frame time. With an engine other than Cycles, or with
    motion blur, each frame is rendered twice: the rgb ("beauty") pass with these settings, then the labels
    with Cycles at 1 sample, no motion blur and no denoising (so labels stay exact and unblurred).
    """

    engine: str = "CYCLES"
    device: str = "CPU"
    samples: int = 16
    adaptive_threshold: float = 0.0
    denoise: bool = True
    filter_width_px: float = 1.5
    max_bounces: int = 4
    seed: int | None = None
    threads: int = 0
    motion_blur: bool = False
    shutter: float = 0.5


class BlenderBackend:
    """Renderer backend over Blender (bpy) in a worker process.

    Args:
        passes: the passes every ``render`` call produces; others come back as None.
        recycle_after: restart the worker after this many scenes (memory hygiene); 0 = never.
        **settings: fields of :class:`BlenderSettings` (samples, engine, device, ...).

    Raises:
        BackendError: a requested pass is not in ``capabilities``, or a setting is invalid.
    """

    name = "blender"
    capabilities = frozenset({Pass.RGB, Pass.DEPTH, Pass.INSTANCE, Pass.AMODAL, Pass.NORMALS})

    def __init__(self, passes: frozenset[Pass], *, recycle_after: int = 0, **settings: Any) -> None:
        passes = frozenset(passes)
        check_passes(self.name, self.capabilities, passes)
        try:
            self.settings = BlenderSettings(**settings)
        except TypeError as error:
            raise BackendError(f"blender backend: {error}") from None
        if self.settings.engine not in ENGINES:
            raise BackendError(f"blender backend: unknown engine {self.settings.engine!r}; known: {', '.join(ENGINES)}")
        if self.settings.device not in DEVICES:
            raise BackendError(f"blender backend: unknown device {self.settings.device!r}; known: {', '.join(DEVICES)}")
        if not 0.0 < self.settings.shutter <= 1.0:
            raise BackendError(f"blender backend: shutter must be in (0, 1] frames, got {self.settings.shutter}")
        if self.settings.samples < 1:
            raise BackendError(f"blender backend: samples must be >= 1, got {self.settings.samples}")
        self.passes = passes
        self.recycle_after = recycle_after
        self.compile_count = 0  # Scenes built in Blender: one per scene, never per frame
        self.worker_starts = 0
        self.last_timings: dict[str, float] = {}  # seconds spent by the worker on the last request
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn = None
        self._scene: Scene | None = None  # the Scene the worker holds
        self._scenes_in_worker = 0
        self._closed = False

    def render(
        self, scene: Scene, t: float, camera: str | None = None, *, passes: frozenset[Pass] | None = None
    ) -> RenderResult:
        """Render ``camera`` (default: the rig's first camera) of ``scene`` at time ``t`` seconds; ``passes``:
        those of this call (None: the backend's). Without rgb the worker renders the label passes only, with
        the label settings (Cycles, 1 sample: ids and depth come from each pixel's first sample, see
        ``worker.label_settings``), so a labels-only call costs no shading samples.

        Returns:
            A RenderResult whose requested passes are filled: rgb (H, W, 3) uint8, depth (H, W) float32
            planar metres (0 = no surface), instance (H, W) uint16 (0 = no labelled object), amodal
            {instance id: bool (H, W)} for labelled objects covering at least one pixel, normals (H, W, 3)
            float32 unit normals in the OpenCV camera frame ((0, 0, 0) = no surface).
        """
        cam = select_camera(scene, camera)
        names = sorted(p.value for p in call_passes(self.name, self.passes, passes))
        # the rain drops and snow flakes of the colour image are occluded by the exact depth: ask for it
        weather_depth = Pass.RGB.value in names and Pass.DEPTH.value not in names and needs_image_weather(scene)
        reply = self._request(
            "render", scene, t, cam.name, sorted([*names, Pass.DEPTH.value]) if weather_depth else names
        )
        result = RenderResult(camera=cam.name, t=t)
        result.rgb = reply.get(Pass.RGB.value)
        if result.rgb is not None:
            result.rgb = camera_conditions(result.rgb, reply.get(Pass.DEPTH.value), scene, cam, t)
        if weather_depth:
            reply.pop(Pass.DEPTH.value)
        result.depth = reply.get(Pass.DEPTH.value)
        result.instance = reply.get(Pass.INSTANCE.value)
        result.amodal = reply.get(Pass.AMODAL.value)
        result.normals = reply.get(Pass.NORMALS.value)
        return result

    def bare_render(self, scene: Scene, t: float, camera: str | None = None) -> dict[str, float]:
        """Time one plain ``bpy.ops.render.render()`` of the same Blender scene in the same worker,
        nothing written or read back (the benchmark's reference). Returns the worker's timings (s)."""
        cam = select_camera(scene, camera)
        return self._request("bare_render", scene, t, cam.name)

    def close(self) -> None:
        """Stop the worker process. Safe to call twice."""
        self._stop_worker()
        self._closed = True

    def __enter__(self) -> BlenderBackend:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _request(self, kind: str, scene: Scene, t: float, camera: str, *extra: Any) -> dict[str, Any]:
        if self._closed:
            raise BackendError("blender backend used after close()")
        scene_dict = self._scene_to_send(scene)
        settings = asdict(self.settings)
        if settings["seed"] is None:
            settings["seed"] = cycles_seed(scene, t)
        message = (kind, scene_dict, scene.scene_id, float(t), camera, *extra, settings)
        try:
            self._conn.send(message)
            status, payload = self._conn.recv()
        except (EOFError, OSError, BrokenPipeError) as error:
            self._stop_worker()
            raise BackendError(f"blender worker died: {error!r}") from error
        if status != "ok":
            raise BackendError(f"blender worker failed on scene {scene.scene_id!r} at t={t}:\n{payload}")
        self.last_timings = payload.pop("timings", {})
        return payload if kind == "render" else self.last_timings

    def _scene_to_send(self, scene: Scene) -> dict | None:
        """The Scene as a dict when the worker does not hold it yet (starting or recycling the worker
        first if needed), else None."""
        if self._scene is scene and self._process is not None:
            return None
        if self._process is not None and self.recycle_after and self._scenes_in_worker >= self.recycle_after:
            self._stop_worker()
        if self._process is None:
            self._start_worker()
        self._scene = scene
        self._scenes_in_worker += 1
        self.compile_count += 1
        return scene_to_dict(scene)

    def _start_worker(self) -> None:
        from renderers.blender.worker import serve

        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(target=serve, args=(child,), daemon=True, name="synthsense-blender")
        try:
            process.start()
        finally:
            child.close()
        self._process, self._conn = process, parent
        self._scenes_in_worker = 0
        self.worker_starts += 1

    def _stop_worker(self) -> None:
        if self._process is None:
            return
        try:
            self._conn.send(("close",))
        except (OSError, BrokenPipeError):
            pass
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._conn.close()
        self._process = self._conn = self._scene = None

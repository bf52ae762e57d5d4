"""The backend protocol every renderer implements, and the vocabulary of passes it can produce.

A backend compiles a frozen Scene into its own world once per scene and then renders frames by
updating poses. ``render`` always returns a :class:`RenderResult` of the same shape: a pass that was
not requested is ``None``. A backend is opened with the passes of a full frame; one ``render`` call may
ask for fewer of them (``passes=``), e.g. only :data:`LABEL_PASSES` to judge a targeted attempt cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

import numpy as np

from scenes import Camera, Scene


class Pass(StrEnum):
    """Ground-truth passes. Each line: dtype, shape, unit, frame, background value."""

    RGB = "rgb"  # uint8 (H, W, 3), display-encoded (gamma 2.2) colour; background = environment colour
    DEPTH = "depth"  # float32 (H, W), metres along the OpenCV optical axis (planar z); 0.0 = no surface
    INSTANCE = "instance"  # uint16 (H, W), instance id of the visible surface; 0 = no labelled object
    AMODAL = "amodal"  # dict id -> bool (H, W): pixels the object would cover with nothing in front
    # float32 (H, W, 3), unit surface normals in the OpenCV frame of the rendering camera (x right, y down,
    # z forward; a surface facing the camera has n_z < 0); (0, 0, 0) = no surface
    NORMALS = "normals"


# The passes camera labels are computed from (``labels.annotate``): the instance map and the amodal
# silhouettes. No label reads rgb, depth or normals (depth feeds optical flow, an array, not a label).
LABEL_PASSES = frozenset({Pass.INSTANCE, Pass.AMODAL})


@dataclass
class RenderResult:
    """One camera's buffers at one time. Fields not requested are None.

    ``normals`` (:attr:`Pass.NORMALS`) is float32 (H, W, 3): unit surface normals in the OpenCV camera
    frame of ``camera``, (0, 0, 0) where no surface; only backends that declare the pass fill it.
    """

    camera: str
    t: float
    rgb: np.ndarray | None = None
    depth: np.ndarray | None = None
    instance: np.ndarray | None = None
    amodal: dict[int, np.ndarray] | None = None
    normals: np.ndarray | None = None


class BackendError(RuntimeError):
    """A backend cannot be set up or asked for something it cannot produce."""


@runtime_checkable
class RendererBackend(Protocol):
    """What the generator needs from a renderer."""

    name: str
    capabilities: frozenset[Pass]

    def render(
        self, scene: Scene, t: float, camera: str | None = None, *, passes: frozenset[Pass] | None = None
    ) -> RenderResult:
        """Render ``camera`` (default: the rig's first camera) of ``scene`` at time ``t`` seconds.

        ``passes``: the passes of this call, a subset of those the backend was opened with (BackendError
        otherwise); None: all of them. A pass left out is not computed (its field is None), and a pass
        computed is the same array whichever other passes the call asks for."""
        ...

    def close(self) -> None:
        """Release GPU/GL resources. Safe to call twice."""
        ...


def check_passes(backend_name: str, capabilities: frozenset[Pass], requested: frozenset[Pass]) -> None:
    """Raise BackendError naming the passes ``backend_name`` cannot produce."""
    missing = sorted(p.value for p in requested - capabilities)
    if missing:
        raise BackendError(f"renderer {backend_name!r} cannot produce pass(es) {', '.join(missing)}")


def call_passes(backend_name: str, opened: frozenset[Pass], requested: frozenset[Pass] | None) -> frozenset[Pass]:
    """The passes one ``render`` call produces: ``requested`` (None: ``opened``, the backend's passes);
    BackendError naming the passes it was not opened with."""
    if requested is None:
        return opened
    requested = frozenset(requested)
    missing = sorted(p.value for p in requested - opened)
    if missing:
        raise BackendError(f"renderer {backend_name!r} was not opened with pass(es) {', '.join(missing)}")
    return requested


def select_camera(scene: Scene, camera: str | None) -> Camera:
    """The named camera of the scene's rig, or its first camera when ``camera`` is None."""
    if camera is None:
        if not scene.rig.cameras:
            raise BackendError(f"scene {scene.scene_id} has no camera")
        return scene.rig.cameras[0]
    return scene.rig.camera(camera)

"""Depth precision over the street's range with the default camera clipping planes (pyrender, EGL)."""

from __future__ import annotations

import numpy as np
import pytest

from configs.schema import CameraConfig
from renderers.base import Pass
from renderers.pyrender import create_backend
from scenes import AssetRef, Camera, Entity, Environment, Scene, SensorRig, Trajectory
from scenes.transforms import intrinsics_from_fov, look_at, make_pose

pytestmark = pytest.mark.gl


def _wall_scene(distance: float) -> Scene:
    """A wall facing a camera at the origin that looks along +x, its front face ``distance`` m away."""
    size = (0.2, 4 * distance, 4 * distance)
    wall = Entity(
        "wall",
        1,
        "box",
        AssetRef("procedural", "box", dict(zip(("length", "width", "height"), size, strict=True))),
        size,
        Trajectory.static(make_pose(np.eye(3), [distance + 0.1, 0.0, 0.0])),
    )
    defaults = CameraConfig()
    camera = Camera(
        "front",
        160,
        120,
        intrinsics_from_fov(160, 120, 60.0),
        look_at([0, 0, 0], [1, 0, 0]),
        znear=defaults.znear,
        zfar=defaults.zfar,
    )
    rig = SensorRig(Trajectory.static(np.eye(4)), [camera])
    return Scene(f"wall_{distance}", 0, {}, 10.0, 1, [wall], [], Environment(), rig)


def test_depth_within_1e4_relative_out_to_80_m():
    with create_backend(frozenset({Pass.DEPTH})) as backend:
        for distance in (0.5, 3.0, 20.0, 60.0, 80.0):
            depth = backend.render(_wall_scene(distance), 0.0).depth
            assert depth.dtype == np.float32 and (depth > 0).all()
            np.testing.assert_allclose(depth, distance, rtol=1e-4)

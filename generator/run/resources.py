"""What a process needs to render scenes of a run: the passes it asks for, its renderer (an explicit factory
by config name) and the user assets of the scene catalog. The run loop (``generator.run.loop``) and the worker
processes (``generator.run.pool``) both open their renderer here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from omegaconf import DictConfig

from assets.catalog import UserAsset, load_catalog
from assets.mesh_files import MeshLimits, set_mesh_limits
from generator.errors import ConfigError
from generator.world.rig import rig_cameras
from renderers.base import Pass, RendererBackend

# The passes every run requests, from any renderer.
PASSES = frozenset({Pass.RGB, Pass.DEPTH, Pass.INSTANCE, Pass.AMODAL})


def run_passes(renderer: str) -> frozenset[Pass]:
    """The passes a run requests from the renderer named ``renderer``: :data:`PASSES`, plus surface
    normals from blender (the one backend that declares ``Pass.NORMALS``)."""
    return PASSES | {Pass.NORMALS} if renderer == "blender" else PASSES


def create_backend(
    name: str, passes: frozenset[Pass], renderer_cfg: Any = None, image_sizes: Iterable[tuple[int, int]] = ()
) -> RendererBackend:
    """Instantiate a renderer by config name (explicit factory; never an import path from YAML);
    ``renderer_cfg`` (a RendererConfig) carries the blender settings; ``image_sizes`` ((width, height)
    pixels of the rig's cameras) are checked against the GL limits of pyrender's context as it opens."""
    if name == "blender":
        from renderers.blender import create_backend as create_blender

        fields = ("engine", "device", "samples", "adaptive_threshold", "denoise", "filter_width_px")
        fields += ("max_bounces", "seed", "threads", "motion_blur", "shutter")
        settings = {} if renderer_cfg is None else {f: renderer_cfg[f] for f in fields if f in renderer_cfg}
        recycle_after = 0 if renderer_cfg is None else int(renderer_cfg.get("recycle_after", 0))
        return create_blender(passes, recycle_after=recycle_after, **settings)
    if name == "pyrender":
        from renderers.pyrender import create_backend as create_pyrender

        shadows = False if renderer_cfg is None else bool(renderer_cfg.get("shadows", False))
        return create_pyrender(passes, image_sizes=image_sizes, shadows=shadows)
    if name == "fake":
        from renderers.fake import FakeBackend

        return FakeBackend(passes)
    raise ConfigError(f"renderer.name: unknown renderer {name!r}")


def image_sizes(cfg: DictConfig) -> list[tuple[int, int]]:
    """(width, height) in pixels of every camera of the run's rig (the same in every scene)."""
    cameras = rig_cameras(cfg.sensors, cfg.camera, np.eye(4))  # the mount does not change the size
    return sorted({(cam.width, cam.height) for cam in cameras})


def open_backend(cfg: DictConfig) -> RendererBackend:
    """The run's renderer (``cfg.renderer``) with the passes the run asks for, checked against the rig's
    image sizes before anything is written (BackendError)."""
    return create_backend(cfg.renderer.name, run_passes(cfg.renderer.name), cfg.renderer, image_sizes(cfg))


def load_user_assets(cfg: DictConfig) -> list[UserAsset]:
    """Load the scene's user catalog. With ``preload_assets`` every mesh in it is read now, so a bad file
    fails before anything is written; without, each is read when a scene first draws it (large
    catalogs start fast, and a bad mesh fails only the scenes that use it). Sets this process's mesh
    limits from ``max_mesh_file_mb`` and ``max_mesh_triangles`` first."""
    defaults = MeshLimits()
    set_mesh_limits(
        MeshLimits(
            max_file_mb=float(cfg.get("max_mesh_file_mb", defaults.max_file_mb)),
            max_triangles=int(cfg.get("max_mesh_triangles", defaults.max_triangles)),
        )
    )
    return load_catalog(cfg.scene.catalog, check_meshes=bool(cfg.preload_assets)) if cfg.scene.catalog else []

"""A test-only camera renderer by exact ray casting (embreex): one ray through each pixel centre against the
entities' posed meshes (``assets.articulated.posed_mesh``: an articulated person's parts at time t), giving
the instance map, the planar depth and the amodal masks a renderer's passes hold. It needs no GL, so label
tests of articulated people run anywhere, and it is exact up to float32: what a correct renderer draws.
"""

from __future__ import annotations

import numpy as np
from embreex import rtcore_scene
from embreex.mesh_construction import TriangleMesh

from assets.articulated import posed_mesh
from renderers.base import Pass, RenderResult
from scenes import Camera, Scene


def pixel_rays(scene: Scene, camera: Camera, t: float) -> tuple[np.ndarray, np.ndarray]:
    """(origins (H*W, 3), directions (H*W, 3)) in the world frame, one per pixel centre (u, v) = (j, i),
    row-major; each direction has camera z = 1, so a hit's distance along it is its planar depth."""
    world_from_camera = scene.rig.world_from_sensor(camera, t)
    K = camera.K
    rows, cols = np.mgrid[0 : camera.height, 0 : camera.width]
    local = np.stack(
        [(cols - K[0, 2]) / K[0, 0], (rows - K[1, 2]) / K[1, 1], np.ones_like(rows, dtype=np.float64)], -1
    ).reshape(-1, 3)
    directions = local @ world_from_camera[:3, :3].T
    origins = np.broadcast_to(world_from_camera[:3, 3], directions.shape)
    return origins, directions


def _cast(meshes: list, origins: np.ndarray, directions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(geometry index (n,), -1 for a miss; distance along the direction (n,), inf for a miss)."""
    embree = rtcore_scene.EmbreeScene()
    for mesh in meshes:
        vertices, faces = np.ascontiguousarray(mesh.vertices, np.float32), np.ascontiguousarray(mesh.faces, np.int32)
        TriangleMesh(embree, vertices, faces)
    hits = embree.run(np.ascontiguousarray(origins, np.float32), np.ascontiguousarray(directions, np.float32), output=1)
    geometry = np.where(hits["primID"] >= 0, hits["geomID"], -1)
    return geometry, np.where(geometry >= 0, hits["tfar"], np.inf)


class PixelCastBackend:
    """Renders instance, depth and amodal passes (rgb: a flat grey) of every entity, context included
    (id 0: it occludes and shows as 0). ``RendererBackend``-shaped, so ``generator.run.scene_job`` can
    write frames with it."""

    name = "pixel_cast"
    capabilities = frozenset({Pass.RGB, Pass.DEPTH, Pass.INSTANCE, Pass.AMODAL})
    passes = capabilities

    def render(self, scene: Scene, t: float, camera: str | None = None, *, passes=None) -> RenderResult:
        cam = next(c for c in scene.rig.cameras if camera is None or c.name == camera)
        shape = (cam.height, cam.width)
        origins, directions = pixel_rays(scene, cam, t)
        meshes = [posed_mesh(e, t, frame="world") for e in scene.entities]
        ids = np.array([e.instance_id for e in scene.entities], np.uint16)
        geometry, distance = _cast(meshes, origins, directions)
        instance = np.where(geometry >= 0, ids[np.maximum(geometry, 0)], 0).astype(np.uint16).reshape(shape)
        depth = np.where(geometry >= 0, distance, 0.0).astype(np.float32).reshape(shape)
        amodal = {}
        for entity, mesh in zip(scene.entities, meshes, strict=True):
            if entity.is_labelled:
                alone, _ = _cast([mesh], origins, directions)
                if (alone >= 0).any():
                    amodal[entity.instance_id] = (alone >= 0).reshape(shape)
        rgb = np.full((*shape, 3), 128, np.uint8)
        passes = self.passes if passes is None else passes  # a pass not asked for is None, as in every backend
        result = RenderResult(camera=cam.name, t=t)
        for p, value in ((Pass.RGB, rgb), (Pass.DEPTH, depth), (Pass.INSTANCE, instance), (Pass.AMODAL, amodal)):
            if p in passes:
                setattr(result, p.value, value)
        return result

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass

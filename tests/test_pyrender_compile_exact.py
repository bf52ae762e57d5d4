"""The pyrender backend's fast paths draw the same bytes as pyrender's own: meshes built from flat arrays
(``compile.flat_mesh``; rigid surface parts are bare arrays) against ``pyrender.Mesh.from_trimesh`` of their
trimeshes, mesh nodes posed without the matrix setter (``compile._mesh_node``) against ``Scene.add(...,
pose=)``, cached uniform locations and skipped repeated uniform values against pyrender's
``ShaderProgram.set_uniform``, and the renderer's caches (poses, draw order, light uniforms, shader choice;
union passes read without depth) against pyrender's ``Renderer``: every pass (rgb, depth, instance, amodal)
of street scenes by day and at night (street lamps: spot lights), byte for byte."""

from __future__ import annotations

import numpy as np
import pytest

from generator.config import compose_config
from generator.world.sampling import sample_scene
from renderers.base import Pass

gl = pytest.mark.gl
pytestmark = [gl, pytest.mark.filterwarnings("ignore:tostring:DeprecationWarning")]
PASSES = frozenset({Pass.RGB, Pass.DEPTH, Pass.INSTANCE, Pass.AMODAL})


def _render_all(scenes: list) -> list:
    from renderers.pyrender import create_backend

    with create_backend(PASSES) as backend:
        results = [backend.render(scene, 0.0) for scene in scenes]
        # a second frame re-uses the compiled world and the linked programs (cached locations)
        results.append(backend.render(scenes[-1], 0.0))
    return results


def test_fast_compile_and_uniform_cache_render_pyrender_s_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    from assets.procedural.arrays import to_trimesh
    from renderers.pyrender import compile as compile_module
    from renderers.pyrender import offscreen
    from renderers.pyrender._gl import pyrender

    cfg = compose_config(["seed=5", "camera.width=320", "camera.height=240"])
    night = compose_config(["seed=5", "camera.width=320", "camera.height=240", "conditions=night"])
    scenes = [sample_scene(cfg, 0), sample_scene(night, 1), sample_scene(cfg, 1)]
    fast = _render_all(scenes)

    def pyrender_mesh(mesh, material):
        # bare-array parts (rigid surface parts) as the trimesh they stand for: trimesh computes their normals
        return pyrender.Mesh.from_trimesh(to_trimesh(mesh), material=material, smooth=False)

    def pyrender_node(mesh, name, pose):
        return pyrender.Node(name=name, mesh=mesh, matrix=pose)

    monkeypatch.setattr(compile_module, "flat_mesh", pyrender_mesh)
    monkeypatch.setattr(compile_module, "_mesh_node", pyrender_node)
    monkeypatch.setattr(offscreen._UniformCachingProgram, "set_uniform", offscreen.ShaderProgram.set_uniform)
    # pyrender's own per-pass work: every node's pose, the draw order and the lights' uniforms in every pass, and
    # the depth buffer read back after union passes too
    for name in ("_bind_lighting", "_sorted_mesh_nodes", "_read_main_framebuffer", "render", "_get_primitive_program"):
        monkeypatch.setattr(offscreen._UnionRenderer, name, getattr(pyrender.Renderer, name))
    reference = _render_all(scenes)

    for ours, theirs in zip(fast, reference, strict=True):
        assert ours.rgb.tobytes() == theirs.rgb.tobytes()
        assert ours.depth.tobytes() == theirs.depth.tobytes()
        assert ours.instance.tobytes() == theirs.instance.tobytes()
        assert ours.amodal.keys() == theirs.amodal.keys() and ours.amodal
        for key, mask in theirs.amodal.items():
            assert np.array_equal(ours.amodal[key], mask)

"""Layout rules of DESIGN.md: the generator stays free of rendering engines, mixing free of the generator."""

from __future__ import annotations

import subprocess
import sys

ENGINES = ("bpy", "pyrender", "OpenGL")


def loaded_after_import(modules: str, roots: tuple[str, ...]) -> list[str]:
    """The modules under ``roots`` that a fresh interpreter has loaded after ``import <modules>``."""
    code = f"import sys, {modules}\nprint(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {roots!r})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [m for m in out.stdout.strip().split(",") if m]


def test_importing_generator_imports_neither_bpy_nor_pyrender():
    modules = "generator, generator.run, generator.cli, generator.sampling, generator.config, labels, formats.native"
    modules += ", formats.coco, formats.preview, assets, scenes"
    assert loaded_after_import(modules, ENGINES) == []


def test_mixing_and_importers_import_no_engine_and_no_generator():
    # DESIGN: mixing/ depends on formats only; importing it (and the importers) loads no renderer and
    # nothing of generator/
    modules = "mixing, mixing.api, formats.importers, formats.yolo, formats.record_writers"
    assert loaded_after_import(modules, (*ENGINES, "generator", "renderers")) == []


def test_worker_pool_and_launcher_import_no_engine():
    assert loaded_after_import("generator.pool, generator.execution, generator.launch", ENGINES) == []

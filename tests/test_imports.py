"""Layout rules of DESIGN.md: the generator stays free of rendering engines."""

from __future__ import annotations

import subprocess
import sys


def test_importing_generator_imports_neither_bpy_nor_pyrender():
    code = (
        "import sys, generator, generator.run, generator.cli, generator.sampling, generator.config\n"
        "import labels, formats.native, formats.coco, formats.preview, assets, scenes\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('bpy', 'pyrender', 'OpenGL'))\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_mixing_and_importers_import_no_engine_and_no_generator():
    # DESIGN: mixing/ depends on formats only; importing it (and the importers) loads no renderer, no
    # Embree ray caster and nothing of generator/
    code = (
        "import sys, mixing, mixing.api, formats.importers, formats.yolo, formats.record_writers\n"
        "roots = ('bpy', 'pyrender', 'OpenGL', 'generator', 'renderers')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in roots)\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_worker_pool_and_launcher_import_no_engine():
    code = (
        "import sys, generator.pool, generator.execution, generator.launch\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('bpy', 'pyrender', 'OpenGL'))\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""

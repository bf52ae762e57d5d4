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

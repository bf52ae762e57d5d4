"""Layout rules of DESIGN.md: what each package may import, no import cycles (not even between two files of
one folder), and importing the generator, the CLI or mixing loads no rendering engine (Embree included)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENGINES = ("bpy", "pyrender", "OpenGL", "embreex")
# DESIGN.md's layout table: package -> the packages of ours it may import
MAY_IMPORT = {
    "scenes": set(),
    "assets": {"scenes"},
    "configs": set(),
    "generator": {"scenes", "assets", "configs", "labels", "formats", "renderers"},
    "renderers": {"scenes", "assets"},
    "labels": {"scenes"},
    "formats": {"scenes", "labels"},
    "mixing": {"formats", "scenes"},
    "qa": {"formats", "scenes"},
    "synthsense": {"scenes", "assets", "configs", "generator", "renderers", "labels", "formats", "mixing", "qa"},
}
BACKENDS = ("renderers.pyrender", "renderers.blender", "renderers.raycast")


def loaded_after_import(modules: str, roots: tuple[str, ...]) -> list[str]:
    """The modules under ``roots`` that a fresh interpreter has loaded after ``import <modules>``."""
    code = f"import sys, {modules}\nprint(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {roots!r})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return [m for m in out.stdout.strip().split(",") if m]


def module_files() -> dict[str, Path]:
    """Dotted module name -> file, for every module of our packages."""
    files = {}
    for package in MAY_IMPORT:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return files


def imports_of(path: Path, modules: dict[str, Path]) -> set[str]:
    """Our modules that ``path`` imports anywhere (top level, inside functions, under TYPE_CHECKING):
    ``from a.b import c`` counts as importing a.b.c when that is a module, else a.b. Python's implicit
    import of a package's ``__init__`` before its submodules is not counted: a cycle through an
    ``__init__`` that re-exports its own modules would not show here."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found |= {
                f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module for a in node.names
            }
    return {m for m in found if m in modules}


def test_importing_generator_and_the_cli_loads_no_engine():
    modules = "generator, generator.run.loop, generator.world.sampling, generator.config, labels, formats.native"
    modules += ", formats.coco, formats.preview, assets, scenes, synthsense, synthsense.cli"
    assert loaded_after_import(modules, ENGINES) == []


def test_mixing_and_importers_import_no_engine_and_no_generator():
    # DESIGN: mixing/ depends on formats only; importing it (and the importers) loads no renderer and
    # nothing of generator/
    modules = "mixing, mixing.api, formats.importers, formats.yolo, formats.record_writers"
    assert loaded_after_import(modules, (*ENGINES, "generator", "renderers")) == []


def test_worker_pool_and_launcher_import_no_engine():
    assert loaded_after_import("generator.run.pool, generator.run.execution, generator.run.launch", ENGINES) == []


def test_trimesh_through_assets_keeps_embree_for_the_ray_caster():
    code = (
        "import assets, trimesh, sys\n"
        "assert 'embreex' not in sys.modules and not trimesh.ray.has_embree\n"
        "import renderers.raycast\n"
        "assert 'embreex' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_packages_import_only_what_design_allows():
    modules = module_files()
    wrong = []
    for name, path in modules.items():
        package = name.split(".")[0]
        for target in imports_of(path, modules):
            other = target.split(".")[0]
            if other != package and other not in MAY_IMPORT[package]:
                wrong.append(f"{name} imports {target}")
            # one backend never imports another: what they share lives in scenes/
            mine = next((b for b in BACKENDS if name.startswith(b)), None)
            theirs = next((b for b in BACKENDS if target.startswith(b)), None)
            if mine and theirs and mine != theirs:
                wrong.append(f"{name} imports {target}")
    assert wrong == []


def test_no_import_cycles():
    modules = module_files()
    graph = {name: imports_of(path, modules) - {name} for name, path in modules.items()}
    cycles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(path[path.index(nxt) :] + [nxt]))
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert cycles == []


def test_generator_world_never_imports_how_runs_execute():
    """generator/world/ samples scenes; generator/run/ executes runs and uses the world, never the other
    way: the world may import generator.errors and its own modules only (not generator.config, which
    reads the run's settings, nor generator.run)."""
    modules = module_files()
    world = {name: path for name, path in modules.items() if name.startswith("generator.world")}
    assert {"generator.world.sampling", "generator.world.street"} <= set(world)
    wrong = [
        f"{name} imports {target}"
        for name, path in world.items()
        for target in imports_of(path, modules)
        if target.startswith("generator.") and not target.startswith(("generator.world", "generator.errors"))
    ]
    assert wrong == []

"""Bad input: one-line error naming the culprit, non-zero exit, existing files untouched."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from synthsense.cli import main

FAST = ["renderer=fake", "camera.width=64", "camera.height=48", "output.progress=false"]


def _snapshot(root: Path) -> dict[str, tuple[str, int]]:
    return {
        str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def existing(tmp_path) -> Path:
    root = tmp_path / "ds"
    assert main(["generate", *FAST, "num_scenes=2", "seed=1", f"output_dir={root}"]) == 0
    return root


@pytest.fixture
def catalog(tmp_path):
    """Write a user catalog with one mesh file; returns a function(file_bytes_or_None) -> catalog path."""

    def make(content: bytes | None, name: str = "thing.obj") -> Path:
        mesh = tmp_path / name
        if content is not None:
            mesh.write_bytes(content)
        path = tmp_path / "catalog.yaml"
        path.write_text(f"assets:\n  - name: thing\n    file: {name}\n    category: box\n")
        return path

    return make


CASES = [
    (["foo=1"], "foo"),
    (["num_scenes=abc"], "num_scenes"),
    (["num_scenes=-1"], "num_scenes"),
    (["scene.num_objects=-3"], "scene.num_objects"),
    (["scene=nope"], "scene/nope"),
    (["renderer=vulkan"], "renderer/vulkan"),
    (["renderer.name=vulkan"], "vulkan"),
    (["renderer.engine=EEVEE"], "renderer.engine"),
    (["renderer.shutter=0"], "renderer.shutter"),
    (["+scene.categories.dragon=1"], "dragon"),
    (["scene.num_objects=uniform:1"], "scene.num_objects"),
    (["scene.num_objects=uniform:2:4"], "scene.num_objects"),  # counts must be integers
    (["scene.num_objects=abc"], "scene.num_objects"),
    (["seed=-1"], "seed"),
    (["scene.kind=tabletop"], "scene.kind"),
    (["scene.lanes_per_direction=0"], "scene.lanes_per_direction"),
    (["scene.materials.roughness=abc"], "scene.materials.roughness"),
    (["scene.materials.metallic=normal:0.5:0.1"], "scene.materials.metallic"),
    (["+foo=1"], "foo"),
    (["+scene.foo=1"], "foo"),
    (["+camera.foo=1"], "foo"),
    (["camera.name=../escape"], "camera.name"),
    (["output.export=[voc]"], "voc"),
    (["conditions=hail"], "conditions/hail"),
    (["conditions=fog", "conditions.visibility_m=0"], "conditions.visibility_m"),
    (["conditions=rain", "conditions.rain_rate_mm_h=-2"], "conditions.rain_rate_mm_h"),
    (["conditions=snow", "conditions.snow_rate_mm_h=uniform:-1:2"], "conditions.snow_rate_mm_h"),
    (["conditions=night", "conditions.sky_color=[2,0,0]"], "conditions.sky_color"),
    (["conditions=rain", "conditions.wet_road=1.5"], "conditions.wet_road"),
    (["+conditions.hail_mm=3"], "conditions.hail_mm"),
    (["conditions=night", "target.objects.transmittance=[0,0.5]"], "transmittance"),
    (["conditions.visibility_m=100"], "conditions.visibility_m"),  # clear_day sets nothing
    (["scene=tabletop", "conditions=night"], "conditions.street_lights"),
]


@pytest.mark.parametrize(("overrides", "culprit"), CASES)
def test_bad_config_is_one_line_error_and_touches_nothing(existing, capsys, overrides, culprit):
    before = _snapshot(existing)
    capsys.readouterr()
    code = main(["generate", *FAST, "num_scenes=2", "seed=1", f"output_dir={existing}", *overrides])
    err = capsys.readouterr().err.strip()
    assert code != 0
    assert len(err.splitlines()) == 1 and culprit in err
    assert _snapshot(existing) == before


def test_output_dir_with_other_config_is_refused(existing, capsys):
    before = _snapshot(existing)
    capsys.readouterr()
    code = main(["generate", *FAST, "num_scenes=2", "seed=2", f"output_dir={existing}"])
    err = capsys.readouterr().err.strip()
    assert code != 0 and len(err.splitlines()) == 1
    assert str(existing) in err and "different config" in err
    assert _snapshot(existing) == before


def test_same_config_resumes_without_rewriting_finished_frames(existing, capsys):
    before = _snapshot(existing)
    assert main(["generate", *FAST, "num_scenes=3", "seed=1", f"output_dir={existing}"]) == 0
    after = _snapshot(existing)
    for path, stamp in before.items():
        if path.startswith("scenes/"):
            assert after[path] == stamp, path  # finished frames are not rewritten
    assert any(p.startswith("scenes/000002/") for p in after)
    assert "skipped (already done): 2" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "name"),
    [(None, "thing.obj"), (b"\x00\xffthis is not a mesh\x13" * 20, "thing.glb"), (b"", "thing.stl")],
    ids=["missing", "corrupt", "empty"],
)
def test_bad_asset_file_is_named(existing, catalog, capsys, content, name):
    path = catalog(content, name)
    before = _snapshot(existing)
    capsys.readouterr()
    code = main(["generate", *FAST, "num_scenes=2", "seed=1", f"output_dir={existing}", f"scene.catalog={path}"])
    err = capsys.readouterr().err.strip()
    assert code != 0 and len(err.splitlines()) == 1
    assert name in err
    assert _snapshot(existing) == before


def test_output_dir_that_is_a_file_is_refused(tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("keep")
    assert main(["generate", *FAST, f"output_dir={target}"]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(target) in err
    assert target.read_text() == "keep"


def test_shorthand_distribution_from_a_real_shell(tmp_path):
    """The README's command-line form goes through a shell and Hydra's override parser unchanged."""
    exe = Path(sys.executable).with_name("synthsense")
    cmd = f"{exe} generate renderer=fake scene.num_objects=randint:3:3 scene.furniture.enabled=false num_scenes=1"
    cmd += f" output_dir={tmp_path}/s"  # furniture off: its signs and poles are labelled objects too
    out = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "objects labelled: 3 " in out.stdout


def test_non_empty_foreign_folder_is_refused(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    code = main(["generate", *FAST, f"output_dir={tmp_path}"])
    assert code != 0 and "not empty" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_export_of_missing_dataset_is_one_line_error(tmp_path, capsys):
    assert main(["export", "coco", str(tmp_path / "nothing")]) != 0
    assert "dataset.json" in capsys.readouterr().err
    assert main(["export", "voc", str(tmp_path)]) != 0
    assert "voc" in capsys.readouterr().err


def test_console_script_exits_non_zero(tmp_path):
    exe = Path(sys.executable).with_name("synthsense")
    out = subprocess.run(
        [str(exe), "generate", "num_scenes=-5", f"output_dir={tmp_path}/x"], capture_output=True, text=True
    )
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [out.stderr.strip()] and "num_scenes" in out.stderr
    assert not (tmp_path / "x").exists()

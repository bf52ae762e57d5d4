"""A non-editable install from a wheel carries the YAML configs and runs from any directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_ships_configs_and_runs_outside_the_checkout(tmp_path):
    pip = [sys.executable, "-m", "pip", "-q"]
    # build from a copy: setuptools leaves build/ and *.egg-info next to the sources it builds
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".venv*", ".git", "datasets", "build", "*.egg-info"))
    subprocess.run([*pip, "wheel", "--no-deps", str(source), "-w", str(tmp_path / "wheel")], check=True)
    wheel = next((tmp_path / "wheel").glob("synthsense-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for required in ("configs/config.yaml", "configs/scene/street.yaml", "configs/scene/tabletop.yaml"):
        assert required in names
    subprocess.run([*pip, "install", "--no-deps", "--target", str(tmp_path / "site"), str(wheel)], check=True)
    code = (
        "import sys, synthsense.cli\n"
        "assert synthsense.cli.__file__.startswith(sys.argv[1]), synthsense.cli.__file__\n"
        "sys.exit(synthsense.cli.main(['generate', 'renderer=fake', 'num_scenes=1', 'camera.width=64',"
        " 'camera.height=48', 'output.progress=false', 'output_dir=out']))"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    work = tmp_path / "elsewhere"
    work.mkdir()
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "site")], cwd=work, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert (work / "out" / "dataset.json").is_file()

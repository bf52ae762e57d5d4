"""Shared fixtures: small datasets generated once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.config import compose_config
from generator.run.loop import run_generation

SMALL = ["camera.width=320", "camera.height=240", "output.progress=false", "output.preview_frames=4"]


def generate(output_dir: Path, *overrides: str):
    """Run `synthsense generate` in-process with the small-image settings; returns the RunSummary."""
    cfg = compose_config([*SMALL, f"output_dir={output_dir}", *overrides])
    return run_generation(cfg)


@pytest.fixture(scope="session")
def street_dataset(tmp_path_factory) -> Path:
    """Three street scenes rendered with pyrender (EGL), exported to COCO."""
    root = tmp_path_factory.mktemp("street") / "ds"
    generate(root, "num_scenes=3", "seed=11", "output.export=[coco]")
    return root


@pytest.fixture(scope="session")
def tabletop_dataset(tmp_path_factory) -> Path:
    """Two tabletop scenes rendered with pyrender (EGL), exported to COCO."""
    root = tmp_path_factory.mktemp("tabletop") / "ds"
    generate(root, "scene=tabletop", "num_scenes=2", "seed=5", "output.export=[coco]")
    return root

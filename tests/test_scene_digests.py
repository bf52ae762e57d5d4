"""Sampling is reproduced byte for byte: the scene.json of scenes sampled by the code before the
sampling speed-up (issue 17), for several configs and scene indices, recorded as SHA-256 digests in
tests/data/scene_digests.json. Any change to a draw, to the order of floating-point operations that
feed the scene, or to the serializer shows up here."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from generator.config import compose_config
from generator.world.sampling import sample_scene
from scenes import scene_to_json

FIXTURE = json.loads((Path(__file__).parent / "data" / "scene_digests.json").read_text())


@pytest.mark.parametrize("name", sorted(FIXTURE))
def test_scene_json_digests_unchanged(name: str) -> None:
    entry = FIXTURE[name]
    cfg = compose_config(entry["overrides"])
    for index, digest in sorted(entry["digests"].items()):
        data = (scene_to_json(sample_scene(cfg, int(index))) + "\n").encode("utf-8")  # as NativeWriter writes it
        assert hashlib.sha256(data).hexdigest() == digest, f"{name} scene {index}"

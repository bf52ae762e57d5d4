"""Every procedural mesh is the same, array for array, as the one the code built before the mesh
builders moved to numpy arrays (issue 17): vertices, faces, their order and dtype, surface parts, sizes.

The fixture ``tests/data/procedural_mesh_digests.json`` was written by ``tests/_mesh_digests.py`` from the
trimesh-based builders; here the same digests are recomputed from today's code and must match exactly
(a digest of float64 bytes: bit-for-bit equality).
"""

from __future__ import annotations

import json

import pytest
from _mesh_digests import FIXTURE, asset_case, person_case, sampled_params

from assets.procedural import PROCEDURAL_ASSETS

REFERENCE = json.loads(FIXTURE.read_text())


def test_fixture_covers_every_asset():
    assert sorted(REFERENCE["assets"]) == sorted(PROCEDURAL_ASSETS)


@pytest.mark.parametrize("name", sorted(REFERENCE["assets"]))
def test_asset_meshes_unchanged(name):
    cases = REFERENCE["assets"][name]
    # the samplers still draw the parameters the fixture was written from
    assert [c["params"] for c in cases] == json.loads(json.dumps(sampled_params(name)))
    for case in cases:
        assert asset_case(name, case["params"]) == case, f"{name} {case['params']}"


def test_people_meshes_unchanged():
    for case in REFERENCE["people"]:
        inputs = {"asset": case["asset"], "skeleton": case["skeleton"]}
        assert person_case(inputs) == case, f"{case['asset']['name']} {case['skeleton']['body']}"

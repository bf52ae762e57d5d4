"""Digests of every procedural mesh, so a change in how meshes are built can be checked to change none of
them (``tests/test_procedural_meshes_unchanged.py``, fixture ``tests/data/procedural_mesh_digests.json``).

For each asset of ``assets.procedural.PROCEDURAL_ASSETS``, ``CASES`` parameter sets drawn from its
``sample(rng)`` with a fixed seed; for each, the SHA-256 (first 16 hex digits) of: ``build(**params)``,
``load_asset_mesh`` (the centred mesh every backend and the ray caster get), ``build_parts`` and the cached
``procedural_parts`` (surface names and arrays, in order), the rigid surface parts of an entity
(``assets.articulated.entity_parts``), and the size ``generator.world.pieces.size_of`` gives (exact floats,
as repr). People: skeletons drawn the way the street world draws them, digested through
``assets.procedural.people.person_parts`` and ``entity_parts`` (a cyclist's bicycle included), and the
bicycle's contact points. Arrays are hashed with their dtype and shape, so a dtype change fails as well.

Write the fixture (only from code known to build the reference meshes):
``PYTHONPATH=$PWD:$PWD/tests python tests/_mesh_digests.py``.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from assets.articulated import entity_parts
from assets.loading import load_asset_mesh, procedural_parts
from assets.procedural import PROCEDURAL_ASSETS
from assets.procedural.people import person_parts
from assets.procedural.street import bicycle_contacts
from scenes import AssetRef, Entity, Material, Trajectory
from scenes.serialization import skeleton_from_dict

FIXTURE = Path(__file__).parent / "data" / "procedural_mesh_digests.json"
CASES = 20  # parameter sets per asset
PEOPLE = 20  # skeletons per person asset


def _update(h: Any, array: Any) -> None:
    array = np.ascontiguousarray(array)
    h.update(f"{array.dtype.str}{array.shape}".encode())
    h.update(array.tobytes())


def mesh_digest(mesh: Any) -> str:
    """Digest of one mesh's vertices and faces (their dtype, shape and bytes)."""
    h = hashlib.sha256()
    _update(h, mesh.vertices)
    _update(h, mesh.faces)
    return h.hexdigest()[:16]


def parts_digest(parts: Any) -> str:
    """Digest of ``[(surface, mesh), ...]`` in order."""
    h = hashlib.sha256()
    for surface, mesh in parts:
        h.update(surface.encode())
        _update(h, mesh.vertices)
        _update(h, mesh.faces)
    return h.hexdigest()[:16]


def mesh_parts_digest(parts: Any) -> str:
    """Digest of ``assets.articulated.MeshPart``s: surface, joint, colour, placement and arrays, in order."""
    h = hashlib.sha256()
    for p in parts:
        h.update(repr((p.surface, p.joint, p.color)).encode())
        if p.object_from_part is not None:
            _update(h, p.object_from_part)
        _update(h, p.mesh.vertices)
        _update(h, p.mesh.faces)
    return h.hexdigest()[:16]


def _entity(ref: AssetRef, skeleton: Any = None) -> Entity:
    return Entity(
        name="e",
        instance_id=1,
        category="x",
        asset=ref,
        size_m=(1.0, 1.0, 1.0),
        trajectory=Trajectory.static(np.eye(4)),
        material=Material(),
        skeleton=skeleton,
    )


def asset_case(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """The digests of asset ``name`` built from ``params``."""
    from generator.world.pieces import size_of  # the generator's size of an asset (imports assets)

    record = PROCEDURAL_ASSETS[name]
    ref = AssetRef(source="procedural", name=name, params=params)
    out: dict[str, Any] = {
        "params": params,
        "build": mesh_digest(record.build(**params)),
        "loaded": mesh_digest(load_asset_mesh(ref)),
        "size": [repr(v) for v in size_of(ref, 1.0)],
        "size_scaled": [repr(v) for v in size_of(ref, 1.37)],
    }
    if record.build_parts is not None:
        out["build_parts"] = parts_digest(record.build_parts(**params))
        out["procedural_parts"] = parts_digest(procedural_parts(name, json.dumps(params, sort_keys=True)))
    out["entity_parts"] = mesh_parts_digest(entity_parts(_entity(ref)))
    return out


def sampled_params(name: str) -> list[dict[str, Any]]:
    """``CASES`` parameter sets of asset ``name``, from a seed fixed per name."""
    rng = np.random.default_rng(np.random.SeedSequence(17, spawn_key=(zlib.crc32(name.encode()),)))
    return [PROCEDURAL_ASSETS[name].sample(rng) for _ in range(CASES)]


def sampled_people() -> list[dict[str, Any]]:
    """Skeletons of pedestrians and cyclists (as dicts, with their asset refs), drawn as the world draws them."""
    from generator.world.people import _skeleton  # how the street world gives a person its skeleton

    out = []
    for name in ("pedestrian", "cyclist"):
        rng = np.random.default_rng(np.random.SeedSequence(17, spawn_key=(zlib.crc32(name.encode()), 1)))
        for k in range(PEOPLE):
            params = PROCEDURAL_ASSETS[name].sample(rng)
            ref, skeleton = _skeleton(AssetRef("procedural", name, params), rng, k % 2 == 0, None)
            out.append({"asset": asdict(ref), "skeleton": asdict(skeleton)})
    return out


def person_case(case: dict[str, Any]) -> dict[str, Any]:
    """The digests of one person: its body's parts and its entity's parts (a bicycle's mesh included)."""
    ref = AssetRef(**case["asset"])
    skeleton = skeleton_from_dict(case["skeleton"])
    h = hashlib.sha256()
    for p in person_parts(skeleton):
        h.update(repr((p.joint, p.color)).encode())
        _update(h, p.mesh.vertices)
        _update(h, p.mesh.faces)
    out = {
        **case,
        "person_parts": h.hexdigest()[:16],
        "entity_parts": mesh_parts_digest(entity_parts(_entity(ref, skeleton))),
    }
    if ref.name == "bicycle":
        contacts = bicycle_contacts(ref.params["wheel_radius"], ref.params["wheelbase"], ref.params["rider_height"])
        out["contacts"] = repr(sorted(contacts.items()))
    return out


def compute() -> dict[str, Any]:
    """Every digest, from the code as it is now."""
    assets = {name: [asset_case(name, p) for p in sampled_params(name)] for name in sorted(PROCEDURAL_ASSETS)}
    return {"assets": assets, "people": [person_case(c) for c in sampled_people()]}


if __name__ == "__main__":
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text(json.dumps(compute(), sort_keys=True, separators=(",", ":")) + "\n")
    print(f"wrote {FIXTURE} ({FIXTURE.stat().st_size} bytes)")

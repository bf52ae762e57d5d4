"""assets.procedural.arrays.Mesh against trimesh: the same operations give bit-identical arrays (issue 17's
numpy builders rely on it), including trimesh's identity short cuts and mirror winding."""

from __future__ import annotations

import numpy as np
import pytest

from assets._trimesh import trimesh
from assets.procedural.arrays import Mesh, concatenate, from_trimesh, moved_copy, moved_part, to_trimesh


def _random_transform(rng: np.random.Generator, mirror: bool) -> np.ndarray:
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    if (np.linalg.det(q) < 0) != mirror:
        q[:, 0] *= -1.0
    matrix = np.eye(4)
    matrix[:3, :3] = q * rng.uniform(0.2, 3.0)
    matrix[:3, 3] = rng.normal(size=3) * 5.0
    return matrix


def _same(ours: Mesh, theirs: trimesh.Trimesh) -> None:
    assert ours.vertices.tobytes() == np.asarray(theirs.vertices).tobytes()
    assert ours.faces.tobytes() == np.asarray(theirs.faces, dtype=np.int64).tobytes()
    assert ours.bounds.tobytes() == theirs.bounds.tobytes()
    assert ours.extents.tobytes() == theirs.extents.tobytes()


@pytest.mark.parametrize("mirror", [False, True])
def test_transforms_match_trimesh_bit_for_bit(mirror: bool) -> None:
    rng = np.random.default_rng(5)
    for base in (trimesh.creation.box(extents=(1.0, 2.0, 0.5)), trimesh.creation.icosphere(subdivisions=1)):
        for _ in range(5):
            matrix = _random_transform(rng, mirror)
            theirs = base.copy()
            theirs.apply_transform(matrix)
            _same(from_trimesh(base).apply_transform(matrix), theirs)
            shift = rng.normal(size=3)
            theirs.apply_translation(shift)
            ours = from_trimesh(base).apply_transform(matrix).apply_translation(shift)
            _same(ours, theirs)
            theirs.apply_scale(1.7)
            _same(ours.apply_scale(1.7), theirs)


def test_near_identity_transforms_are_skipped_like_trimesh() -> None:
    base = trimesh.creation.box(extents=(1.0, 1.0, 1.0))
    base.apply_translation([0.3, -0.2, 0.1])
    tiny = np.eye(4)
    tiny[:3, 3] = 5e-9  # under trimesh's 1e-8 identity tolerance: the vertices stay as they are
    theirs = base.copy()
    theirs.apply_transform(tiny)
    _same(from_trimesh(base).apply_transform(tiny), theirs)


def test_concatenate_and_unused_vertices_match_trimesh() -> None:
    a = trimesh.creation.box(extents=(1.0, 1.0, 1.0))
    b = trimesh.creation.icosphere(subdivisions=1)
    b.apply_translation([3.0, 0.0, 0.0])
    _same(concatenate([from_trimesh(a), from_trimesh(b)]), trimesh.util.concatenate([a, b]))
    # a vertex no face uses stays out of the bounds, as in trimesh
    partial = trimesh.Trimesh(vertices=b.vertices, faces=b.faces[:10], process=False)
    _same(from_trimesh(partial), partial)
    assert to_trimesh(from_trimesh(partial)).bounds.tobytes() == partial.bounds.tobytes()


def test_face_normals_match_trimesh_bit_for_bit_degenerate_faces_included() -> None:
    rng = np.random.default_rng(11)
    sphere = trimesh.creation.icosphere(subdivisions=1)
    vertices = sphere.vertices * rng.uniform(0.01, 5.0) + rng.normal(size=3)
    faces = np.vstack([sphere.faces, [[0, 0, 1], [2, 3, 3]]])  # two zero-area faces: zero normals in trimesh
    theirs = trimesh.Trimesh(vertices=vertices, faces=faces, process=False)
    ours = Mesh(vertices, faces)
    assert ours.face_normals.tobytes() == theirs.face_normals.tobytes()
    assert not ours.face_normals[-2:].any()
    assert Mesh(np.zeros((0, 3)), np.zeros((0, 3), np.int64)).face_normals.shape == (0, 3)


def test_moved_parts_are_moved_copies_as_bare_arrays_unless_coloured() -> None:
    plain = trimesh.creation.icosphere(subdivisions=1)
    coloured = plain.copy()
    coloured.visual.face_colors = [200, 10, 10, 255]
    shift = np.array([0.3, -1.2, 2.0])
    for scale in (1.0, 1.4):
        moved = moved_part(plain, shift, scale)
        assert isinstance(moved, Mesh)
        _same(moved, moved_copy(plain, shift, scale))
        _same(moved_part(from_trimesh(plain), shift, scale), moved_copy(plain, shift, scale))
        kept = moved_part(coloured, shift, scale)
        assert isinstance(kept, trimesh.Trimesh) and kept.visual.defined
        assert kept.vertices.tobytes() == moved.vertices.tobytes()


def test_asset_extents_are_the_built_whole_meshes_extents_bit_for_bit() -> None:
    """``asset_extents`` of a parts asset comes from its parts' bounds, without concatenating and centring the
    whole; it must equal the extents of the whole mesh the backends load (sizes, placement and 3D boxes read
    it)."""
    from assets.loading import _extents_cached, _key, asset_extents, load_asset_mesh
    from assets.procedural import PROCEDURAL_ASSETS
    from scenes import AssetRef

    rng = np.random.default_rng(17)
    checked = 0
    for name, record in sorted(PROCEDURAL_ASSETS.items()):
        for _ in range(4 if record.build_parts is not None else 1):
            ref = AssetRef("procedural", name, record.sample(rng))
            _extents_cached.cache_clear()  # not read off an earlier whole mesh
            ours = asset_extents(ref)
            assert np.array(ours).tobytes() == load_asset_mesh(ref).extents.tobytes(), (name, _key(ref))
            checked += record.build_parts is not None
    assert checked >= 40  # every parts asset, several parameter draws


def test_primitives_match_trimesh_creation_bit_for_bit() -> None:
    """arrays.box / revolve / capsule / annulus against trimesh.creation over random parameters: the same
    vertices and faces, merged the same (the procedural builders' meshes, hence every scene, rely on it)."""
    from assets.procedural import arrays

    rng = np.random.default_rng(11)
    tilt = trimesh.transformations.rotation_matrix(np.pi / 2, [1, 0, 0])
    for _ in range(300):
        lo = rng.normal(size=3)
        hi = lo + rng.uniform(0.01, 3.0, size=3)
        _same(arrays.box([lo, hi]), trimesh.creation.box(bounds=[lo, hi]))
        height, radius = rng.uniform(0.0, 1.0), rng.uniform(0.005, 0.2)
        _same(
            arrays.capsule(height, radius, [8, 8]), trimesh.creation.capsule(height=height, radius=radius, count=[8, 8])
        )
        r = rng.uniform(0.2, 0.4)
        _same(
            arrays.annulus(r - 0.035, r, 0.04, 24, tilt),
            trimesh.creation.annulus(r_min=r - 0.035, r_max=r, height=0.04, sections=24, transform=tilt),
        )
        profile = np.column_stack([np.abs(rng.normal(size=6)) * [0, 1, 1, 1, 1, 0], np.sort(rng.normal(size=6))])
        _same(arrays.revolve(profile, 16), trimesh.creation.revolve(profile, sections=16))

"""Assets: procedural builders and samplers, the load cache, and the user mesh catalog (no GL)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import trimesh
import yaml

from assets import AssetError, load_asset_mesh
from assets.catalog import UserAsset, load_catalog
from assets.mesh_files import load_mesh_file
from assets.procedural import PROCEDURAL_ASSETS, get_procedural
from scenes import AssetRef
from scenes.taxonomy import CATEGORIES, CONTEXT_CATEGORIES

SEEDS = (0, 1, 2, 7, 123)

# Plausible (min, max) of the object's extents [length (x), width (y), height (z)] in metres.
SIZE_RANGES: dict[str, tuple[tuple[float, float], tuple[float, float], tuple[float, float]]] = {
    "box": ((0.08, 0.30), (0.08, 0.30), (0.08, 0.30)),
    # vehicles' widths are over their mirrors (their 3D box is their mesh's bounds)
    "car": ((3.9, 6.0), (1.8, 2.3), (1.35, 2.0)),
    "truck": ((6.0, 10.5), (2.7, 3.0), (3.1, 4.1)),
    "bus": ((10.0, 12.5), (2.8, 3.0), (2.8, 3.4)),
    "motorcycle": ((1.8, 2.2), (0.7, 0.9), (1.15, 1.4)),
    "pedestrian": ((0.2, 0.5), (0.3, 0.7), (1.4, 2.1)),
    "cyclist": ((1.4, 2.0), (0.4, 0.8), (1.4, 2.1)),
    "traffic_cone": ((0.2, 0.6), (0.2, 0.6), (0.4, 1.0)),
    "barrier": ((1.0, 4.5), (0.4, 0.8), (0.7, 1.2)),
    "road": ((10.0, 100.0), (3.0, 20.0), (0.05, 0.5)),
    "sidewalk": ((5.0, 100.0), (1.0, 6.0), (0.08, 0.25)),
    "building": ((5.0, 40.0), (5.0, 30.1), (3.0, 60.0)),  # facade glass 3 cm proud
    "crosswalk": ((2.5, 4.0), (5.0, 14.0), (0.005, 0.02)),  # context road_marking: bars across a road
    "table": ((0.6, 2.2), (0.5, 1.2), (0.6, 0.85)),
    "can": ((0.04, 0.1), (0.04, 0.1), (0.08, 0.2)),
    "bottle": ((0.04, 0.1), (0.04, 0.1), (0.15, 0.4)),
    "mug": ((0.06, 0.16), (0.06, 0.12), (0.06, 0.2)),
    "bowl": ((0.1, 0.25), (0.1, 0.25), (0.02, 0.1)),
    "book": ((0.12, 0.35), (0.08, 0.3), (0.005, 0.08)),
    "tire": ((0.55, 0.81), (0.15, 0.81), (0.15, 0.81)),  # lying flat or standing on its tread
    "cargo_box": ((0.3, 1.05), (0.18, 0.95), (0.2, 0.8)),
    "pallet": ((1.199, 1.201), (0.799, 0.801), (0.136, 0.152)),  # EUR pallet, EN 13698-1: 1200 x 800 x 144 mm
    "animal": ((0.45, 2.4), (0.1, 0.5), (0.3, 1.8)),  # dog to deer
    "bicycle": ((1.4, 2.0), (0.4, 0.7), (0.7, 1.3)),  # a cyclist's bicycle, its rider articulated apart
    # street furniture and markings (assets.procedural.streetscape)
    "lane_line": ((9.0, 90.0), (0.1, 0.41), (0.003, 0.005)),  # 2-7 MUTCD dashes, single or double
    "traffic_light": ((0.3, 0.6), (0.2, 0.45), (3.4, 4.7)),
    "traffic_sign": ((0.05, 0.12), (0.55, 0.95), (2.3, 3.3)),
    "pole": ((0.07, 0.32), (0.07, 0.32), (0.8, 4.1)),
    "tree": ((1.9, 4.1), (1.9, 4.1), (4.9, 8.6)),
    "bush": ((0.7, 1.7), (0.5, 1.1), (0.5, 1.3)),
    "bench": ((0.35, 0.55), (1.4, 2.1), (0.75, 0.95)),
    "litter_bin": ((0.4, 0.65), (0.4, 0.65), (0.75, 1.05)),
    "manhole": ((0.64, 0.81), (0.64, 0.81), (0.001, 0.003)),
}

NAMES = sorted(PROCEDURAL_ASSETS)


def _build(name: str, seed: int) -> trimesh.Trimesh:
    asset = get_procedural(name)
    return asset.build(**asset.sample(np.random.default_rng(seed)))


# --- procedural assets ------------------------------------------------------------------------------
def test_registry_covers_every_category_with_a_known_name():
    assert set(NAMES) == set(SIZE_RANGES), "give every registered asset a plausible size range"
    labelled = {c.name for c in CATEGORIES}
    for name, asset in PROCEDURAL_ASSETS.items():
        assert asset.name == name
        # a part of a labelled object (the bicycle under an articulated rider) is never drawn on its own
        assert asset.category in labelled or asset.category in CONTEXT_CATEGORIES or name == "bicycle"
    assert labelled <= {a.category for a in PROCEDURAL_ASSETS.values()}
    for context in ("road", "sidewalk", "building", "table"):
        assert PROCEDURAL_ASSETS[context].category == context


def test_unknown_procedural_asset_names_it():
    with pytest.raises(KeyError, match="sofa"):
        get_procedural("sofa")


@pytest.mark.parametrize("name", NAMES)
def test_builds_centred_plausible_and_light(name):
    for seed in SEEDS:
        mesh = _build(name, seed)
        assert isinstance(mesh, trimesh.Trimesh)
        assert len(mesh.faces) > 0 and np.isfinite(mesh.vertices).all()
        assert len(mesh.faces) < 3000, f"{name}: {len(mesh.faces)} triangles is too heavy for a CPU rasterizer"
        np.testing.assert_allclose(mesh.bounds.mean(axis=0), 0.0, atol=1e-9)
        for axis, (low, high) in zip("xyz", SIZE_RANGES[name], strict=True):
            size = mesh.extents["xyz".index(axis)]
            assert low <= size <= high, f"{name} seed {seed}: {axis} extent {size:.3f} m not in [{low}, {high}]"


@pytest.mark.parametrize("name", NAMES)
def test_sampling_is_deterministic_json_able_and_seed_dependent(name):
    sample = get_procedural(name).sample
    params = sample(np.random.default_rng(42))
    assert params == sample(np.random.default_rng(42))
    assert params != sample(np.random.default_rng(43))
    assert all(type(v) in (float, int, str) for v in params.values()), params  # str: a car's body type
    assert json.loads(json.dumps(params)) == params


@pytest.mark.parametrize("name", NAMES)
def test_build_is_deterministic(name):
    a, b = _build(name, 5), _build(name, 5)
    np.testing.assert_array_equal(a.vertices, b.vertices)
    np.testing.assert_array_equal(a.faces, b.faces)


@pytest.mark.parametrize("name", ["road", "sidewalk"])
def test_ground_slabs_are_flat_on_top(name):
    mesh = _build(name, 0)
    top = mesh.vertices[:, 2].max()
    up_faces = mesh.face_normals[:, 2] > 0.99
    # the whole upward-facing surface lies at the object's top: a flat drivable/walkable plane
    np.testing.assert_allclose(mesh.triangles_center[up_faces][:, 2], top, atol=1e-9)
    np.testing.assert_allclose(mesh.area_faces[up_faces].sum(), mesh.extents[0] * mesh.extents[1], rtol=1e-9)


def test_pedestrian_height_is_its_parameter():
    params = get_procedural("pedestrian").sample(np.random.default_rng(3))
    assert _build("pedestrian", 3).extents[2] == pytest.approx(params["height"])


def test_load_cache_returns_independent_copies():
    params = get_procedural("car").sample(np.random.default_rng(0))
    ref = AssetRef(source="procedural", name="car", params=params)
    first = load_asset_mesh(ref)
    original = first.vertices.copy()
    first.apply_translation((10.0, 0.0, 0.0))
    first.vertices[0] = (99.0, 99.0, 99.0)
    second = load_asset_mesh(ref)
    np.testing.assert_array_equal(second.vertices, original)
    assert second is not first


# --- user catalog -------------------------------------------------------------------------------------
TALL_Y = (0.2, 1.0, 0.3)  # a mesh 1 m tall along y: a y-up file of an upright object


def _write_mesh(path, extents=TALL_Y) -> str:
    trimesh.creation.box(extents=extents).export(str(path))
    return str(path)


def _write_catalog(folder, entries) -> str:
    path = folder / "catalog.yaml"
    path.write_text(yaml.safe_dump({"assets": entries}))
    return str(path)


@pytest.fixture
def mesh_dir(tmp_path):
    meshes = tmp_path / "meshes"
    meshes.mkdir()
    for ext in ("obj", "glb", "ply", "stl"):
        _write_mesh(meshes / f"tall_y.{ext}")
    return meshes


def test_catalog_loads_every_format_and_converts_y_up(tmp_path, mesh_dir):
    entries = [
        {"name": "obj_y", "file": "meshes/tall_y.obj", "category": "box", "up_axis": "y"},
        {"name": "glb_y", "file": "meshes/tall_y.glb", "category": "bottle", "up_axis": "y", "scale_range": [0.9, 1.1]},
        {"name": "ply_z", "file": str(mesh_dir / "tall_y.ply"), "category": "can", "up_axis": "z"},
        {"name": "stl_default", "file": "meshes/tall_y.stl", "category": "mug"},
    ]
    assets = load_catalog(_write_catalog(tmp_path, entries))
    assert [a.name for a in assets] == ["obj_y", "glb_y", "ply_z", "stl_default"]
    assert all(os.path.isabs(a.path) and os.path.isfile(a.path) for a in assets)
    assert assets[1] == UserAsset("glb_y", str(mesh_dir / "tall_y.glb"), "bottle", (0.9, 1.1), "y")
    assert assets[3].scale_range == (1.0, 1.0) and assets[3].up_axis == "z"
    for asset in assets:
        mesh = load_asset_mesh(asset.asset_ref())
        np.testing.assert_allclose(mesh.bounds.mean(axis=0), 0.0, atol=1e-9)
        expected = (0.2, 0.3, 1.0) if asset.up_axis == "y" else TALL_Y
        np.testing.assert_allclose(mesh.extents, expected, atol=1e-6)


def test_y_up_rotation_keeps_x_and_maps_y_to_z(tmp_path):
    # A mesh offset towards +y must end up above the one offset towards -y: +90 deg about x, not -90.
    parts = [trimesh.creation.box(extents=(0.1, 0.1, 0.1)), trimesh.creation.box(extents=(0.1, 0.1, 0.3))]
    parts[1].apply_translation((0.5, 1.0, 0.0))
    path = tmp_path / "two.obj"
    trimesh.util.concatenate(parts).export(str(path))
    mesh = load_mesh_file(str(path), "y")
    ahead = mesh.vertices[:, 0] > 0.0  # x is unchanged: the tall box is still the one ahead
    assert mesh.vertices[ahead, 2].min() > mesh.vertices[~ahead, 2].max()
    assert np.ptp(mesh.vertices[ahead, 1]) == pytest.approx(0.3)  # its z extent now lies along y


def test_sample_scale_is_in_range_and_deterministic():
    asset = UserAsset("a", "/x.obj", "box", (0.8, 1.2))
    draws = [asset.sample_scale(np.random.default_rng(s)) for s in range(20)]
    assert all(0.8 <= d <= 1.2 for d in draws) and len(set(draws)) > 1
    assert asset.sample_scale(np.random.default_rng(3)) == draws[3]
    assert UserAsset("b", "/x.obj", "box").sample_scale(np.random.default_rng(0)) == 1.0


def test_loading_writes_no_file(tmp_path, mesh_dir):
    catalog = _write_catalog(tmp_path, [{"name": "a", "file": "meshes/tall_y.glb", "category": "box"}])
    before = sorted(p for p in tmp_path.rglob("*"))
    load_catalog(catalog)
    load_mesh_file(str(mesh_dir / "tall_y.obj"), "y")
    assert sorted(p for p in tmp_path.rglob("*")) == before


def _catalog_error(tmp_path, entry) -> str:
    with pytest.raises(AssetError) as info:
        load_catalog(_write_catalog(tmp_path, [entry]))
    message = str(info.value)
    assert "\n" not in message
    assert str(tmp_path / "catalog.yaml") in message
    return message


def test_missing_file_names_path_catalog_and_entry(tmp_path):
    message = _catalog_error(tmp_path, {"name": "chair", "file": "meshes/nope.glb", "category": "box"})
    missing = tmp_path / "meshes" / "nope.glb"
    assert message == f"asset file not found: {missing} (catalog {tmp_path / 'catalog.yaml'}, entry 'chair')"


@pytest.mark.parametrize("ext", ["glb", "ply", "obj", "stl"])
def test_corrupt_file_names_the_file(tmp_path, ext):
    bad = tmp_path / f"garbage.{ext}"
    bad.write_bytes(np.random.default_rng(0).integers(0, 256, 512, dtype=np.uint8).tobytes())
    message = _catalog_error(tmp_path, {"name": "junk", "file": bad.name, "category": "box"})
    assert str(bad) in message and "'junk'" in message
    with pytest.raises(AssetError, match="garbage"):
        load_mesh_file(str(bad), "z")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"category": "sofa"}, "unknown category 'sofa'"),
        ({"category": "road"}, "unknown category 'road'"),  # context, not labelled
        ({"up_axis": "x"}, "bad up_axis 'x'"),
        ({"scale_range": [1.2, 0.8]}, "bad scale_range [1.2, 0.8]"),
        ({"scale_range": [0, 1]}, "bad scale_range [0, 1]"),
        ({"scale_range": [1.0]}, "bad scale_range [1.0]"),
        ({"scale_range": "big"}, "bad scale_range 'big'"),
        ({"scale": 2.0}, "unknown key 'scale'"),
        ({"name": ""}, "bad name ''"),
    ],
)
def test_bad_entry_values_are_named(tmp_path, mesh_dir, change, expected):
    entry = {"name": "chair", "file": "meshes/tall_y.obj", "category": "box"} | change
    assert expected in _catalog_error(tmp_path, entry)


def test_missing_key_and_duplicate_names(tmp_path, mesh_dir):
    assert "missing key 'category'" in _catalog_error(tmp_path, {"name": "chair", "file": "meshes/tall_y.obj"})
    entry = {"name": "chair", "file": "meshes/tall_y.obj", "category": "box"}
    with pytest.raises(AssetError, match="duplicate asset name 'chair'"):
        load_catalog(_write_catalog(tmp_path, [entry, entry]))


def test_bad_catalog_files(tmp_path):
    with pytest.raises(AssetError, match="asset catalog not found: .*nowhere.yaml"):
        load_catalog(tmp_path / "nowhere.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("assets: [unclosed\n")
    with pytest.raises(AssetError, match="broken.yaml") as info:
        load_catalog(broken)
    assert "\n" not in str(info.value)
    flat = tmp_path / "flat.yaml"
    flat.write_text("- name: a\n")
    with pytest.raises(AssetError, match="'assets' list"):
        load_catalog(flat)


def test_load_mesh_file_errors_name_the_file(tmp_path):
    with pytest.raises(AssetError, match="asset file not found: .*absent.obj"):
        load_mesh_file(str(tmp_path / "absent.obj"), "z")
    empty = tmp_path / "empty.obj"
    empty.write_text("# no geometry\n")
    with pytest.raises(AssetError, match="empty.obj contains no triangles"):
        load_mesh_file(str(empty), "z")
    fbx = tmp_path / "model.fbx"
    fbx.write_bytes(b"x")
    with pytest.raises(AssetError, match="unsupported mesh format '.fbx'"):
        load_mesh_file(str(fbx), "z")
    with pytest.raises(AssetError, match="bad up_axis 'up'"):
        load_mesh_file(_write_mesh(tmp_path / "ok.stl"), "up")


def test_file_asset_cache_returns_copies(tmp_path):
    ref = AssetRef(source="file", name="tall", path=_write_mesh(tmp_path / "tall.ply"), up_axis="y")
    first = load_asset_mesh(ref)
    first.apply_scale(3.0)
    np.testing.assert_allclose(load_asset_mesh(ref).extents, (0.2, 0.3, 1.0), atol=1e-6)

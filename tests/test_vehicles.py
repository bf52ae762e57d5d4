"""Parametric vehicles (``assets.procedural.vehicles``): the 3D box is the mesh's bounds from the parameters,
the parts are what they should be made of, and the wheels stand on the ground in their arches."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from embreex import rtcore_scene
from embreex.mesh_construction import TriangleMesh

from assets import load_asset_mesh
from assets.articulated import entity_parts
from assets.procedural import get_procedural
from assets.procedural import vehicles as v
from assets.procedural.arrays import to_trimesh
from assets.surfaces import SURFACES
from generator.world.pieces import size_of
from scenes import AssetRef, Entity, Trajectory

SAMPLES = 40


def _params(name: str, seed: int, body: str | None = None) -> dict:
    params = get_procedural(name).sample(np.random.default_rng(seed))
    if body is not None:  # another body type's proportions on this draw would not be that body's: redraw
        while params["body"] != body:
            seed += 1000
            params = get_procedural(name).sample(np.random.default_rng(seed))
    return params


def _trimesh_parts(parts):
    """Built parts (bare arrays) as trimeshes, for trimesh's ``split``."""
    return [(surface, to_trimesh(mesh)) for surface, mesh in parts]


CASES = [("car", body) for body in v.BODY_TYPES] + [("truck", None), ("bus", None), ("motorcycle", None)]


@pytest.mark.parametrize(("name", "body"), CASES)
def test_the_box_is_the_mesh_bounds_from_the_parameters(name, body):
    for seed in range(SAMPLES):
        params = _params(name, seed, body)
        parts = _trimesh_parts(get_procedural(name).build_parts(**params))
        lo = np.min([m.bounds[0] for _, m in parts], axis=0)
        hi = np.max([m.bounds[1] for _, m in parts], axis=0)
        expected = np.array(v.vehicle_size(name, params))
        np.testing.assert_allclose(hi - lo, expected, rtol=0, atol=1e-9)
        np.testing.assert_allclose(lo + hi, 0.0, atol=1e-9)  # centred on its box
        ref = AssetRef("procedural", name, params)
        np.testing.assert_allclose(size_of(ref, 1.0), expected, rtol=0, atol=1e-9)
        # the whole mesh is the parts' concatenation, in order
        whole = load_asset_mesh(ref)
        np.testing.assert_allclose(whole.vertices, np.concatenate([m.vertices for _, m in parts]), atol=1e-12)
        if name == "motorcycle":  # tyre to tyre
            (tyres,) = [m for s, m in parts if s == "tyre"]
            np.testing.assert_allclose(tyres.bounds[:, 0], [-expected[0] / 2, expected[0] / 2], rtol=0, atol=1e-9)
            continue
        # the length is plate to plate: the plates' faces are the ends
        (plates,) = [m for s, m in parts if s == "plate"]
        assert len(plates.split(only_watertight=False)) == 2
        np.testing.assert_allclose(plates.bounds[:, 0], [-expected[0] / 2, expected[0] / 2], rtol=0, atol=1e-9)


@pytest.mark.parametrize(("name", "body"), CASES)
def test_parts_are_made_of_vehicle_surfaces(name, body):
    parts = _trimesh_parts(get_procedural(name).build_parts(**_params(name, 3, body)))
    surfaces = [s for s, _ in parts]
    assert set(surfaces) <= set(SURFACES) and len(set(surfaces)) == len(surfaces)  # one mesh per surface
    for needed in ("body", "car_glass", "tyre", "rim", "head_lamp", "tail_lamp", "plate", "black_trim"):
        assert needed in surfaces, f"{name}/{body}: no {needed}"
    axles = 2 if name != "truck" else (3 if _params(name, 3)["length"] >= 8.5 else 2)
    meshes = dict(parts)
    wheels, lamps = (2, 1) if name == "motorcycle" else (2 * axles, 2)
    assert len(meshes["tyre"].split(only_watertight=False)) == wheels
    assert len(meshes["head_lamp"].split(only_watertight=False)) == lamps
    # the glass sits above the painted body's sills and below the roof
    glass = [m for s, m in parts if s == "car_glass"]
    bottom = min(m.bounds[0, 2] for _, m in parts)
    top = max(m.bounds[1, 2] for _, m in parts)
    assert all(m.bounds[0, 2] > bottom + 0.5 and m.bounds[1, 2] <= top for m in glass)  # a motorcycle's screen tops it


@pytest.mark.parametrize(("name", "body"), [c for c in CASES if c[0] != "motorcycle"])  # a motorcycle: no arches
def test_wheels_stand_on_the_ground_in_their_arches(name, body):
    params = _params(name, 5, body)
    parts = _trimesh_parts(get_procedural(name).build_parts(**params))
    bottom = min(m.bounds[0, 2] for _, m in parts)
    tyres = dict(parts)["tyre"].split(only_watertight=False)
    radius = params["wheel_radius"]
    for tyre in tyres:
        assert tyre.bounds[0, 2] == pytest.approx(bottom, abs=1e-9)  # every tyre touches the ground
        assert tyre.extents[2] == pytest.approx(2 * radius, abs=1e-9)
    # straight up from under each wheel's centre (and 40 % of a radius ahead and behind), through its
    # tread's middle, the first thing hit that is not the wheel is above the tyre: it sits in its arch
    others = trimesh.util.concatenate([m for s, m in parts if s not in ("tyre", "rim")])
    embree = rtcore_scene.EmbreeScene()
    TriangleMesh(embree, others.vertices.astype(np.float32), others.faces.astype(np.int32))
    for tyre in tyres:
        (x0, y0, _), (x1, y1, z1) = tyre.bounds
        xs = (x0 + x1) / 2 + np.array([-0.4, 0.0, 0.4]) * radius
        origins = np.column_stack([xs, np.full(3, (y0 + y1) / 2), np.full(3, bottom - 1.0)])
        hits = embree.run(origins.astype(np.float32), np.tile([0.0, 0.0, 1.0], (3, 1)).astype(np.float32), output=1)
        assert (hits["primID"] >= 0).all(), f"{name}: nothing over a wheel"
        assert (origins[:, 2] + hits["tfar"]).min() >= z1 - 1e-5  # float32 ray casting


def test_body_types_follow_their_weights_and_sizes():
    rng = np.random.default_rng(0)
    draws = [v.sample_car(rng) for _ in range(2000)]
    counts = {b: sum(d["body"] == b for d in draws) / len(draws) for b in v.BODY_TYPES}
    for body, share in v.BODY_WEIGHTS.items():
        assert abs(counts[body] - share) < 0.04, counts
    for d in draws:
        (l0, l1), (w0, w1), (h0, h1) = v.CAR_RANGES[d["body"]][:3]
        assert l0 <= d["length"] <= l1 and w0 <= d["width"] <= w1 and h0 <= d["height"] <= h1
        rear_overhang = d["length"] - d["wheelbase"] - d["front_overhang"]
        assert min(d["front_overhang"], rear_overhang) > 1.5 * d["wheel_radius"]  # room for the arches


def test_unknown_body_is_named():
    params = {**_params("car", 0), "body": "limousine"}
    with pytest.raises(ValueError, match="unknown body 'limousine'"):
        v.build_car_parts(**params)


def test_entity_parts_of_a_car_are_its_surface_parts():
    params = _params("car", 1)
    ref = AssetRef("procedural", "car", params)
    entity = Entity("car", 1, "car", ref, size_of(ref, 1.0), Trajectory.static(np.eye(4)))
    parts = entity_parts(entity)
    assert [p.surface for p in parts] == [s for s, _ in get_procedural("car").build_parts(**params)]
    assert entity_parts(entity) is parts  # cached


def test_motorcycles_are_labelled_and_parked_along_the_road_edge():
    from formats._kitti import kitti_type
    from generator.config import compose_config
    from generator.world.sampling import sample_scene
    from scenes.taxonomy import category_id, category_table

    # appended after the categories before it, so no earlier id moved
    assert category_id("motorcycle") == category_id("animal") + 1
    assert {"id": category_id("motorcycle"), "name": "motorcycle", "supercategory": "vehicle"} in category_table()
    assert kitti_type("motorcycle") == "Misc"
    cfg = compose_config(["scene.categories.motorcycle=30", "scene.num_objects=12"])
    scene = sample_scene(cfg, 0)
    bikes = [e for e in scene.entities if e.category == "motorcycle"]
    assert len(bikes) >= 3
    road = next(e for e in scene.entities if e.category == "road")
    half_road = road.size_m[1] / 2
    for bike in bikes:
        pose = bike.trajectory.poses[0]
        assert len(bike.trajectory.times) == 1  # parked
        assert half_road - 1.0 - 1e-9 <= abs(pose[1, 3]) <= half_road - 0.6 + 1e-9
        heading = np.arctan2(pose[1, 0], pose[0, 0])
        assert min(abs(np.sin(heading)), 1.0) <= np.sin(0.25) + 1e-9  # along the road, either way
        np.testing.assert_allclose(bike.size_m, v.motorcycle_size(bike.asset.params), atol=1e-9)
        assert bike.material.clearcoat == 1.0  # vehicle paint from the palette

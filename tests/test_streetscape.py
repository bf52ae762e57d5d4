"""The street world's road and surroundings: lane markings, street furniture, facades (no GL)."""

from __future__ import annotations

import numpy as np
import pytest

from assets import entity_mesh
from assets.procedural import PROCEDURAL_ASSETS
from assets.surfaces import SURFACES
from formats._kitti import kitti_type
from formats.mot import mot_class
from generator.config import compose_config, validate_config
from generator.errors import ConfigError
from generator.world import intersection
from generator.world.furniture import LABELLED_KINDS, is_furniture
from generator.world.placement import Footprint, SweptFootprint, footprints_overlap, swept_overlap
from generator.world.sampling import sample_scene
from scenes.taxonomy import CATEGORIES, CONTEXT_CATEGORIES, category_table, semantic_id

STREETSCAPE = (
    "manhole",
    "lane_line",
    "traffic_light",
    "traffic_sign",
    "pole",
    "tree",
    "bush",
    "bench",
    "litter_bin",
    "building",
)
# the taxonomy before issue 16: its ids are a contract of every dataset written so far
OLD_LABELLED = ["car", "truck", "bus", "pedestrian", "cyclist", "traffic_cone", "barrier", "box", "can", "bottle",
                "mug", "bowl", "book", "tire", "debris", "animal"]  # fmt: skip
OLD_CONTEXT = ["road", "sidewalk", "building", "table", "ground", "road_marking", "weather", "street_light"]


def _scene(*overrides: str, index: int = 0):
    cfg = compose_config(["scene=street", *overrides])
    validate_config(cfg)
    return sample_scene(cfg, index)


def _world_vertices(entity) -> np.ndarray:
    pose = entity.trajectory.pose_at(0.0)
    vertices = entity_mesh(entity).vertices
    return vertices @ pose[:3, :3].T + pose[:3, 3]


# --- taxonomy and exports ---------------------------------------------------------------------------
def test_old_category_ids_unchanged_and_new_ones_appended():
    assert [(c.id, c.name) for c in CATEGORIES[:16]] == list(enumerate(OLD_LABELLED, start=1))
    assert [semantic_id(n) for n in OLD_CONTEXT] == list(range(100, 108))
    names = [c.name for c in CATEGORIES]
    for new in ("traffic_light", "traffic_sign", "pole"):
        assert names.index(new) >= 16
    assert CONTEXT_CATEGORIES.index("vegetation") >= 8 and CONTEXT_CATEGORIES.index("street_furniture") >= 8


@pytest.mark.parametrize("name", ["traffic_light", "traffic_sign", "pole"])
def test_new_labelled_categories_are_exported_and_mapped(name):
    assert name in {c["name"] for c in category_table()}  # dataset.json's table, which COCO's categories are
    assert kitti_type(name) == "Misc"  # as traffic_cone and barrier: KITTI has no such type
    assert mot_class(name) == 11  # MOTChallenge occluder_full: static, poles


# --- assets ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", STREETSCAPE)
def test_parts_are_the_mesh_and_name_known_surfaces(name):
    asset = PROCEDURAL_ASSETS[name]
    for seed in range(4):
        params = asset.sample(np.random.default_rng(seed))
        parts = asset.build_parts(**params)
        assert {surface for surface, _ in parts} <= set(SURFACES)
        whole = asset.build(**params)
        np.testing.assert_array_equal(whole.vertices, np.vstack([m.vertices for _, m in parts]))
        np.testing.assert_allclose(whole.bounds.mean(axis=0), 0.0, atol=1e-9)


def test_sign_and_signal_dimensions_follow_the_standards():
    stop = PROCEDURAL_ASSETS["traffic_sign"].build(post_height=2.5, post_radius=0.04, plate_size=0.75, shape=1)
    # an octagon 30 in (0.75 m) across its flats (MUTCD R1-1), plate bottom 2.5 - 0.375 m up
    assert stop.extents[1] == pytest.approx(0.75, abs=1e-6)
    assert stop.extents[2] == pytest.approx(2.5 + 0.375, abs=1e-6)
    light = PROCEDURAL_ASSETS["traffic_light"].build_parts(
        pole_height=4.0, pole_radius=0.1, head_width=0.4, head_height=1.05, head_depth=0.25, lens_radius=0.15
    )
    lenses = {s: m.bounds.mean(axis=0)[2] for s, m in light if s.startswith("signal_") and s != "signal_housing"}
    assert lenses["signal_red"] > lenses["signal_amber"] > lenses["signal_green"]  # red on top (MUTCD 4D.10)
    assert all(m.bounds[1][0] == pytest.approx(light[1][1].bounds[1][0] + 0.02) for s, m in light if s in lenses)


def test_plain_building_is_the_block_of_before():
    block = PROCEDURAL_ASSETS["building"].build(length=12.0, width=10.0, height=9.0)
    assert len(block.faces) == 12
    np.testing.assert_allclose(block.bounds, [[-6, -5, -4.5], [6, 5, 4.5]])
    facade = PROCEDURAL_ASSETS["building"].build_parts(
        length=12.0, width=10.0, height=9.0, floor_height=3.0, window_width=1.2, window_height=1.4, bay_width=3.0
    )
    glass = dict(facade)["window_glass"]
    # three floors of three 3 m bays (0.5 m kept clear at each corner), less the door's bay: windows 3 cm
    # proud of the +y wall only
    assert len(glass.faces) == 12 * (3 * 3 - 1)
    wall = dict(facade)["body"]
    assert glass.bounds[1][1] == pytest.approx(wall.bounds[1][1] + 0.03)
    assert glass.bounds[0][1] == pytest.approx(wall.bounds[1][1])


# --- markings -----------------------------------------------------------------------------------------
def test_straight_markings_mutcd_lines():
    scene = _scene("scene.lanes_per_direction=2", "scene.furniture.enabled=false")
    w, half = scene.params["lane_width_m"], 2 * scene.params["lane_width_m"]
    lines = {e.name: e for e in scene.entities if e.category == "road_marking"}
    assert set(lines) == {"marking_centre", "marking_lane_right_1", "marking_lane_left_1", "marking_edge_right",
                          "marking_edge_left"}  # fmt: skip
    for e in lines.values():
        assert e.instance_id == 0 and semantic_id(e.category) == 105
        v = _world_vertices(e)
        np.testing.assert_allclose([v[:, 2].min(), v[:, 2].max()], [0.0, 0.004], atol=1e-9)  # 4 mm on the road
        assert np.abs(v[:, 1]).max() < half  # on the road, off the curbs
    v = _world_vertices(lines["marking_lane_right_1"])
    np.testing.assert_allclose(v[:, 1].mean(), -w, atol=1e-9)
    xs = np.unique(np.round(v[:, 0], 6))
    dashes = np.diff(xs)
    # MUTCD 3A.06: 10 ft segments, 30 ft gaps
    np.testing.assert_allclose(np.unique(np.round(dashes, 4)), [3.05, 9.14])
    centre = _world_vertices(lines["marking_centre"])
    # a double yellow line: two 0.15 m lines 0.1 m apart astride y = 0
    np.testing.assert_allclose(np.unique(np.round(centre[:, 1], 6)), [-0.2, -0.05, 0.05, 0.2])
    assert lines["marking_centre"].material.base_color[2] < 0.2  # yellow
    road = next(e for e in scene.entities if e.category == "road")
    assert lines["marking_edge_right"].material.reflectivity > 3 * road.material.reflectivity  # retroreflective


def _rects_of(layout):
    x0, x1, y0, y1 = intersection.junction_box(layout)
    rects = [(x0, x1, y0, y1)]
    for x, y, yaw, width, span in intersection.crosswalks(layout).values():
        a, b = (width, span) if abs(np.sin(yaw)) < 0.5 else (span, width)
        rects.append((x - a / 2, x + a / 2, y - b / 2, y + b / 2))
    return rects


@pytest.mark.parametrize("index", [0, 1, 2])
def test_intersection_markings_stay_off_the_junction_and_crosswalks(index):
    scene = _scene("scene.layout=intersection", "scene.furniture.enabled=false", index=index)
    layout = scene.params
    rects = _rects_of(layout)
    stops = [e for e in scene.entities if e.name.startswith("stop_line_")]
    assert len(stops) == 4
    assert [e for e in scene.entities if e.category == "manhole"]
    for e in scene.entities:  # markings and manhole covers
        if e.category not in ("road_marking", "manhole") or e.name.startswith("crosswalk_"):
            continue
        v = _world_vertices(e)
        lo, hi = v[:, :2].min(0), v[:, :2].max(0)
        for x0, x1, y0, y1 in rects:  # the marking's box and the crossing road's rectangles do not meet
            assert hi[0] <= x0 + 1e-6 or lo[0] >= x1 - 1e-6 or hi[1] <= y0 + 1e-6 or lo[1] >= y1 - 1e-6, e.name
    # the stop line across the ego's approach: on its right half (y < 0), 1.2 m or more before the crosswalk
    west = _world_vertices(next(e for e in stops if e.name == "stop_line_west"))
    cw_x0 = intersection.ego_crosswalk_x(layout)[0]
    assert west[:, 1].max() <= 1e-9 and west[:, 1].min() > -layout["lanes_per_direction"] * layout["lane_width_m"]
    assert cw_x0 - west[:, 0].max() == pytest.approx(1.2)
    assert west[:, 0].max() - west[:, 0].min() == pytest.approx(0.45)  # 18 in: MUTCD 3B.16's 12-24 in


def test_eu_style_and_switches():
    scene = _scene("scene.markings.style=eu", "scene.lanes_per_direction=2")
    centre = next(e for e in scene.entities if e.name == "marking_centre")
    assert centre.material.base_color[2] > 0.5  # white
    assert _world_vertices(centre)[:, 1].ptp() == pytest.approx(0.12)
    bare = _scene("scene.markings.enabled=false", "scene.furniture.enabled=false", "scene.facades.enabled=false")
    assert not [e for e in bare.entities if e.category == "road_marking" or is_furniture(e)]
    assert all(len(entity_mesh(e).faces) == 12 for e in bare.entities if e.category == "building")


def test_paving_and_manholes():
    scene = _scene("scene.details.slab_size_m=0.4")
    walks = [e for e in scene.entities if e.category == "sidewalk"]
    assert walks and all(e.material.texture.kind == "checker" and e.material.texture.scale == 2.5 for e in walks)
    half = scene.params["lanes_per_direction"] * scene.params["lane_width_m"]
    covers = [e for e in scene.entities if e.category == "manhole"]
    assert covers and all(e.instance_id == 0 and semantic_id("manhole") == 110 for e in covers)
    lines = [_world_vertices(e) for e in scene.entities if e.category == "road_marking"]
    for e in covers:
        v = _world_vertices(e)
        assert v[:, 2].max() == pytest.approx(0.002) and np.abs(v[:, 1]).max() < half  # in the road, flush
        for line in lines:  # never on a line (lines lie at lane boundaries, covers near lane centres)
            assert v[:, 1].max() < line[:, 1].min() or v[:, 1].min() > line[:, 1].max()
    plain = _scene("scene.details.paving=false", "scene.details.manholes=false")
    assert not [e for e in plain.entities if e.category == "manhole"]
    assert all(e.material.texture.kind == "none" for e in plain.entities if e.category == "sidewalk")


@pytest.mark.parametrize(
    "override, key",
    [
        ("scene.markings.style=uk", "scene.markings.style"),
        ("scene.furniture.tree_spacing_m=0.5", "scene.furniture.tree_spacing_m"),
        ("scene.furniture.enabled=maybe", "scene.furniture.enabled"),
        ("scene.details.manhole_spacing_m=-3", "scene.details.manhole_spacing_m"),
        ("+scene.categories.pole=1.0", "scene.categories.pole"),  # furniture is never a road user
        ("+scene.categories.traffic_light=0.5", "scene.categories.traffic_light"),
    ],
)
def test_bad_streetscape_config_names_the_key(override, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")) as info:
        validate_config(compose_config(["scene=street", override]))
    assert "\n" not in str(info.value)


# --- furniture ----------------------------------------------------------------------------------------
def _footprint(e) -> Footprint:
    pose = e.trajectory.pose_at(0.0)
    return Footprint(
        float(pose[0, 3]), float(pose[1, 3]), e.size_m[0], e.size_m[1], float(np.arctan2(pose[1, 0], pose[0, 0]))
    )


@pytest.mark.parametrize("layout", ["straight", "intersection"])
def test_furniture_stands_on_sidewalks_clear_of_road_users(layout):
    scene = _scene(f"scene.layout={layout}", "scene.sequence.num_frames=10")
    fixtures = [e for e in scene.entities if is_furniture(e)]
    kinds = {e.asset.name for e in fixtures}
    assert {"tree", "traffic_sign", "bench", "litter_bin"} <= kinds
    assert ("traffic_light" in kinds) == (layout == "intersection")
    half = scene.params["lanes_per_direction"] * scene.params["lane_width_m"]
    road_users = [e for e in scene.entities if e.is_labelled and not is_furniture(e)]
    ids = [e.instance_id for e in scene.entities if e.is_labelled]
    assert sorted(ids) == list(range(1, len(ids) + 1))  # furniture's ids follow the road users'
    assert all(e.is_labelled == (e.asset.name in LABELLED_KINDS) for e in fixtures)
    for e in fixtures:
        v = _world_vertices(e)
        assert v[:, 2].min() == pytest.approx(0.15)  # on the sidewalk (curb height)
        pose = e.trajectory.pose_at(0.0)
        if layout == "straight":
            assert half < abs(pose[1, 3]) < half + scene.params["sidewalk_width_m"]
        ground = _footprint(e)
        if e.asset.name == "tree":
            ground = Footprint(ground.x, ground.y, 1.0, 1.0, ground.yaw)
            assert v[:, 2].max() > 4.0 and np.abs(v[:, 1]).min() > half - 0.3 - 1e-6  # crown over the sidewalk
        steps = len(road_users[0].trajectory.times) if road_users else 1
        for user in road_users:
            pos = np.array([user.trajectory.pose_at(t)[:2, 3] for t in user.trajectory.times])
            yaws = np.array([np.arctan2(*user.trajectory.pose_at(t)[[1, 0], 0]) for t in user.trajectory.times])
            swept = SweptFootprint(pos, yaws, user.size_m[0], user.size_m[1])
            still = SweptFootprint.still(ground, len(yaws))
            assert not swept_overlap(swept, still), (e.name, user.name, steps)


def test_traffic_lights_face_their_approach():
    scene = _scene("scene.layout=intersection")
    xj = scene.params["junction_x_m"]
    towards = {"west": (1, 0), "east": (-1, 0), "south": (0, 1), "north": (0, -1)}  # the approaching traffic
    lights = [e for e in scene.entities if e.asset.name == "traffic_light"]
    assert len(lights) == 4 and all(e.category == "traffic_light" and e.is_labelled for e in lights)
    for e in lights:
        approach = e.name.split("_")[2]
        rotation = e.trajectory.pose_at(0.0)[:3, :3]
        assert rotation[:2, 0] @ np.array(towards[approach]) == pytest.approx(-1.0)  # lenses (+x) face the traffic
        pose = e.trajectory.pose_at(0.0)
        right = np.array([towards[approach][1], -towards[approach][0]])
        assert right @ (pose[:2, 3] - [xj, 0.0]) > 0  # on the approach's right-hand side


def test_no_furniture_overlaps_another():
    scene = _scene("scene.layout=intersection", index=3)
    fixtures = [e for e in scene.entities if is_furniture(e)]
    for i, a in enumerate(fixtures):
        for b in fixtures[i + 1 :]:
            assert not footprints_overlap(_footprint(a), _footprint(b)), (a.name, b.name)


def test_markings_and_facades_leave_road_users_unchanged():
    def users(scene):
        return [
            (e.name, e.asset.params, [p.tolist() for p in e.trajectory.poses]) for e in scene.entities if e.is_labelled
        ]

    base = ["scene.furniture.enabled=false"]
    plain = _scene(*base, "scene.markings.enabled=false", "scene.facades.enabled=false")
    dressed = _scene(*base)
    assert users(plain) == users(dressed)
    assert [e.name for e in dressed.entities if e.category == "building"] == [
        e.name for e in plain.entities if e.category == "building"
    ]


# --- LiDAR ---------------------------------------------------------------------------------------------------
def test_lidar_sees_paint_brighter_and_the_road_unchanged_elsewhere():
    from renderers.raycast import cast_lidar

    base = ["sensors=kitti_like", "scene.furniture.enabled=false", "scene.details.manholes=false", "seed=3"]
    painted = _scene(*base)
    bare = _scene(*base, "scene.markings.enabled=false")
    lidar = painted.rig.lidars[0]
    on, off = cast_lidar(painted, lidar, 0.0), cast_lidar(bare, lidar, 0.0)
    paint, road = on[on["semantic_id"] == 105], on[on["semantic_id"] == 100]
    assert len(paint) > 100

    def near(points):  # returns 5-15 m away: the range falloff is the same for both
        r = np.linalg.norm([points["x"], points["y"], points["z"]], axis=0)
        return points["intensity"][(r > 5.0) & (r < 15.0)]

    assert near(paint).mean() > 3 * near(road).mean()

    def by_firing(points):  # (ring, time) -> xyz
        xyz = np.column_stack([points["x"], points["y"], points["z"]]).tolist()
        return dict(
            zip(zip(points["ring"].tolist(), points["time"].tolist(), strict=True), map(tuple, xyz), strict=True)
        )

    # every road return with the paint there is the same return without it (paint changes only its own rays)
    road_on = by_firing(road)
    road_off = by_firing(off[off["semantic_id"] == 100])
    assert set(road_on) <= set(road_off)
    assert all(road_on[k] == road_off[k] for k in road_on)
    assert len(road_off) - len(road_on) == pytest.approx(len(paint), abs=0.02 * len(paint) + 5)


@pytest.mark.parametrize("layout", ["straight", "intersection"])
def test_facades_face_their_road_and_record_their_parameters(layout):
    scene = _scene(f"scene.layout={layout}", "scene.furniture.enabled=false")
    xj = scene.params.get("junction_x_m")
    buildings = [e for e in scene.entities if e.category == "building"]
    assert buildings and all(e.asset.params["floor_height"] >= 3.0 for e in buildings)
    assert {e.asset.params["storefront"] for e in buildings} == {0, 1}  # about half have a storefront

    def to_road(point):  # distance (m) to the nearest road's centre line
        return min(abs(point[1]), abs(point[0] - xj)) if xj is not None else abs(point[1])

    for e in buildings:
        pose = e.trajectory.pose_at(0.0)
        front = pose[:3, 1] * e.size_m[1] / 2  # the asset's +y face: its street side
        assert to_road(pose[:3, 3] + front) < to_road(pose[:3, 3] - front), e.name
        parts = dict(PROCEDURAL_ASSETS["building"].build_parts(**e.asset.params))
        assert parts["window_glass"].bounds[0][1] == pytest.approx(parts["body"].bounds[1][1])  # on the +y wall


def test_snow_covers_paint_manholes_and_both_colours_of_the_paving():
    """Under lying snow the lane paint, manhole covers and the sidewalk's paving slabs (both colours of its
    pattern) take the snow's albedo, as the road does."""
    from generator.world.conditions import SNOW_ALBEDO, weathered_material
    from scenes import Material, Texture

    paving = Material(base_color=(0.5, 0.5, 0.5), texture=Texture(kind="checker", color2=(0.3, 0.3, 0.3)))
    snowed = weathered_material(paving, "sidewalk", {"wet_road": 0.0, "snow_cover": 1.0})
    assert snowed.base_color == pytest.approx((SNOW_ALBEDO,) * 3) and snowed.texture.color2 == pytest.approx(
        (SNOW_ALBEDO,) * 3
    )
    for category in ("road_marking", "manhole"):
        paint = weathered_material(Material(base_color=(0.9, 0.9, 0.9)), category, {"wet_road": 0.0, "snow_cover": 0.5})
        assert paint.base_color == pytest.approx((0.5 * (0.9 + SNOW_ALBEDO),) * 3)

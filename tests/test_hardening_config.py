"""Config values and mesh files that used to crash, hang or silently mislead (issue 12, items 1, 7, 9, 11):
each case is reproduced and must now stop with one line naming the key (or file) and the limit, exit
status 2, before anything is written."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assets.errors import AssetError
from assets.mesh_files import MeshLimits, load_mesh_file, mesh_limits, set_mesh_limits
from configs.schema import SCENE_SCHEMAS, LightingConfig, MaterialConfig, StreetMotionConfig
from generator.config import MAX_IMAGE_SIDE_PX, MAX_OBJECTS_PER_SCENE, compose_config, field_bounds
from generator.errors import ConfigError
from generator.run import pool
from synthsense.cli import main

SMALL = ["camera.width=64", "camera.height=48", "output.progress=false", "output.preview=false"]
FAKE = ["renderer=fake", *SMALL]
PYRENDER = ["renderer=pyrender", *SMALL]


class Hung(BaseException):
    """Raised into a body that runs too long. A BaseException: the CLI reports OSError (TimeoutError
    included) as a user error with exit 2, which would make a hang look like a refusal."""


@contextlib.contextmanager
def within(seconds: float) -> Iterator[None]:
    """Fail (Hung) instead of hanging when the body runs longer than ``seconds``."""

    def expire(*_):
        raise Hung(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def refused(capsys, tmp_path: Path, *overrides: str, seconds: float = 30, base: list[str] = FAKE) -> str:
    """Run ``synthsense generate`` (``base``: the fake renderer) into a fresh folder; it must exit 2 with
    one stderr line and write nothing. Returns that line."""
    out = tmp_path / "out"
    with within(seconds):
        code = main(["generate", *base, "num_scenes=1", f"output_dir={out}", *overrides])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert "\n" not in err and "Traceback" not in err, err
    assert not out.exists(), "something was written before the check"
    return err


# -- item 7: tracebacks ------------------------------------------------------------------------------------


def test_deleted_scene_group_is_one_line(capsys, tmp_path):
    assert "scene: no scene chosen" in refused(capsys, tmp_path, "~scene")


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("scene.lighting.ambient=uniform:0:1e400", "scene.lighting.ambient"),  # 1e400 parses as inf
        ("scene.num_objects=uniform:0:1e400", "scene.num_objects"),
        ("scene.lane_width_m={uniform: [nan, 4]}", "scene.lane_width_m"),
        ("scene.lane_width_m={normal: [nan, 0.1], clip: [3, 4]}", "scene.lane_width_m"),  # clip hid the NaN
        ("scene.lane_width_m={normal: [3.5, 0.1], clip: [nan, 4]}", "scene.lane_width_m"),
        ("scene.lane_width_m={choice: [3, 4], weights: [nan, 1]}", "scene.lane_width_m"),
        ("scene.lane_width_m={choice: [3, 4], weights: [inf, 1]}", "scene.lane_width_m"),
        ("scene.categories.car=inf", "scene.categories.car"),  # weights [inf, ...] made p = NaN
        ("scene.categories.car=nan", "scene.categories.car"),
        ("scene.lighting.sun_azimuth_deg=constant:1e400", "scene.lighting.sun_azimuth_deg"),  # bare NaN in JSON
    ],
)
def test_non_finite_numbers_are_named(capsys, tmp_path, override, key):
    line = refused(capsys, tmp_path, override)
    assert key in line and "finite" in line, line


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("scene.sequence.fps=1e-300", "scene.sequence"),  # a 1e300 s sequence: 'Maximum allowed size exceeded'
        ("scene.sequence.fps=1e9", "scene.sequence.fps"),
        ("scene.view_range_m=1e-300", "scene.view_range_m"),  # 'high - low < 0' when placing objects
        ("scene.lane_width_m=1e300", "scene.lane_width_m"),
        ("scene.placement_attempts=1000000000", "scene.placement_attempts"),
        ("first_scene=1000000", "first_scene + num_scenes"),
        ("retries=1000000000", "retries"),
        ("renderer.samples=1000000000", "renderer.samples"),  # one Blender frame for days
    ],
)
def test_out_of_range_numbers_are_named(capsys, tmp_path, override, key):
    line = refused(capsys, tmp_path, override)
    assert key in line, line


# -- item 7: hangs -----------------------------------------------------------------------------------------


def test_huge_road_length_is_refused_at_once(capsys, tmp_path):
    # took over 200 s (a row of buildings along 1e300 m of road)
    assert "scene.road_length_m must be in [0, 10000] metres" in refused(capsys, tmp_path, "scene.road_length_m=1e300")


def test_object_count_over_the_limit_names_key_and_limit(capsys, tmp_path):
    # ran over 300 s printing nothing (placement is quadratic in the count)
    line = refused(capsys, tmp_path, "scene.num_objects=100000")
    assert "scene.num_objects" in line and f"at most {MAX_OBJECTS_PER_SCENE} objects per scene" in line
    assert "scene.num_objects" in refused(capsys, tmp_path, "scene.num_objects=randint:1:100000")
    compose_config([f"scene.num_objects={MAX_OBJECTS_PER_SCENE}"])  # the limit itself is allowed


def test_workers_are_capped_at_scenes_with_one_line(capsys, tmp_path):
    # workers=1000000 forked until the machine stalled; one scene needs one process: this one
    out = tmp_path / "out"
    with within(60):
        assert main(["generate", *FAKE, "num_scenes=1", f"output_dir={out}", "workers=1000000"]) == 0
    err = capsys.readouterr().err
    assert "workers=1000000 capped to 1" in err and "1 scene(s)" in err
    stats = json.loads((out / "run_stats.json").read_text())
    assert len(stats["workers"]) == 1 and stats["workers"][0]["pid"] == os.getpid()


def test_workers_are_capped_at_usable_cores(monkeypatch):
    monkeypatch.setattr(pool, "usable_cores", lambda: 2)
    count, note = pool.capped_workers(50, 2)
    assert count == 2 and note == "workers=50 capped to 2 (2 usable core(s), 2 scene(s) in this run)"
    assert pool.capped_workers(50, 10)[0] == 2
    assert pool.capped_workers(1, 10) == (1, None)
    assert pool.capped_workers(2, 10) == (2, None)


def test_workers_50_for_2_scenes_start_at_most_2_processes(capsys, tmp_path):
    out = tmp_path / "out"
    with within(120):
        assert main(["generate", *FAKE, "num_scenes=2", f"output_dir={out}", "workers=50"]) == 0
    assert "workers=50 capped to" in capsys.readouterr().err
    stats = json.loads((out / "run_stats.json").read_text())
    assert len(stats["workers"]) == min(2, pool.usable_cores())


# -- item 7: images ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("camera.width=100000", "camera"),
        ("camera.height=16385", "camera"),
        ("sensors.cameras=[{name: side, width: 20000, height: 10}]", "sensors.cameras.side"),
    ],
)
def test_image_side_over_the_limit(capsys, tmp_path, override, key):
    line = refused(capsys, tmp_path, override, base=PYRENDER)  # the config check comes before any GL
    assert key in line and f"<= {MAX_IMAGE_SIDE_PX} pixels" in line, line


# -- item 7: accepted but wrong ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        # np.clip with low > high gave the clip's high end for every draw
        ("scene.camera_height_m=normal:1.6:0.1:1.9:1.3", "scene.camera_height_m: normal clip needs low <= high"),
        ("camera.zfar=inf", "camera.zfar: must be a finite number"),  # empty frames, exit 0
        ("camera.zfar=nan", "camera.zfar: must be a finite number"),
        ("camera.znear=1e-300", "camera.znear must be in"),
        ("camera.intrinsics=[1e-300,1e-300,32,24]", "camera.intrinsics: fx=1e-300 px"),  # empty frames, exit 0
        ("camera.intrinsics=[50,nan,32,24]", "camera.intrinsics[1]: must be a finite number"),
        ("camera.intrinsics=[50,50,1e300,24]", "camera.intrinsics: cx=1e+300 px"),
        ("camera.fov_deg=1e-300", "camera.fov_deg must be in"),
    ],
)
def test_values_that_gave_wrong_data_are_refused(capsys, tmp_path, override, expected):
    line = refused(capsys, tmp_path, override)
    assert expected in line, line


def test_every_distribution_field_has_a_finite_range():
    """New distribution fields cannot slip past the range check: each has its own bound or a unit's."""
    for cls in (*SCENE_SCHEMAS.values(), MaterialConfig, LightingConfig, StreetMotionConfig):
        for f in dataclasses.fields(cls):
            if f.type == "Any":
                bounds = field_bounds(f.name)
                assert bounds is not None and all(abs(b) < float("inf") for b in bounds), (cls.__name__, f.name)


def test_every_float_of_the_config_is_checked_for_finiteness():
    # lists and nested sensor groups too: one generic pass over the composed config
    with pytest.raises(ConfigError, match=r"sensors\.lidars\[0\]\.mount\.x_m: must be a finite number"):
        compose_config(["sensors=kitti_like", "sensors.lidars.0.mount.x_m=nan"])


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("sensors.lidars.0.rotation_hz=0.001", "sensors.lidars.velodyne: 20830000 firings per turn"),  # 1.3e9 rays
        ("sensors.lidars.0.azimuth_steps=100000000", "exceed the limit of 100000"),
        ("sensors.lidars.0.mount.z_m=1e30", "sensors.lidars.velodyne.mount.z_m must be in [-100, 100] metres"),
    ],
)
def test_sensor_numbers_have_physical_ranges(override, expected):
    with pytest.raises(ConfigError, match=re.escape(expected)):
        compose_config(["sensors=kitti_like", override])


def test_error_messages_quoting_values_are_bounded():
    huge = "x" * 100_000
    for override in (f"scene.lane_width_m={huge}", f"scene.num_objects=choice:{':'.join(['1'] * 20000)}x"):
        with pytest.raises(ConfigError) as info:
            compose_config([override])
        assert len(str(info.value)) < 1000 and "\n" not in str(info.value)
    with pytest.raises(ConfigError) as info:
        compose_config([f"nope={huge}"])
    assert len(str(info.value)) < 1200


# -- item 11: a unicode output_dir -------------------------------------------------------------------------


def test_unicode_output_dir_says_how_to_quote_it(tmp_path):
    with pytest.raises(ConfigError) as info:
        compose_config([f"output_dir={tmp_path}/données"])
    message = str(info.value)
    assert "LexerNoViableAltException" in message and "quote values with non-ASCII characters" in message
    hint = message.split("characters: ", 1)[1].removesuffix(" in a shell")
    # the hint is what a shell passes on after removing its double quotes: that form composes
    assert compose_config([hint.replace('"', "")]).output_dir == f"{tmp_path}/données"


# -- item 1: YAML from a user folder on Hydra's search path ------------------------------------------------


def test_search_path_is_honoured_and_read_bounded(tmp_path):
    (tmp_path / "scene").mkdir()
    (tmp_path / "scene" / "mine.yaml").write_text("defaults:\n  - street\n  - _self_\nnum_objects: 3\n")
    cfg = compose_config([f"hydra.searchpath=[file://{tmp_path}]", "scene=mine"])
    assert cfg.scene.num_objects == 3  # Hydra's compose reads the folder: its YAML must be bounded
    lines = ["a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    (tmp_path / "scene" / "bomb.yaml").write_text("\n".join(lines) + "\n")  # 9**10 nodes from 10 lines
    with within(30), pytest.raises(ConfigError) as info:
        compose_config([f"hydra.searchpath=[file://{tmp_path}]", "scene=mine"])
    assert "bomb.yaml" in str(info.value) and "SYNTHSENSE_MAX_YAML_NODES" in str(info.value)
    from generator.run.launch import hydra_settings  # synthsense generate -m composes the hydra node itself

    with within(30), pytest.raises(ConfigError, match="bomb.yaml"):
        hydra_settings([f"hydra.searchpath=[file://{tmp_path}]"], [])


# -- item 9: catalog meshes without bounds -----------------------------------------------------------------

TRIANGLE_OBJ = "v 0 0 0\nv 0.2 0 0\nv 0 0.3 0\nv 0 0 0.4\nf 1 2 3\nf 1 2 4\n"


def _catalog(tmp_path: Path, mesh: str, category: str = "box") -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text(f"assets:\n  - name: thing\n    file: {mesh}\n    category: {category}\n")
    return path


@pytest.fixture
def default_limits():
    """Each test starts from (and leaves) the default mesh limits of this process."""
    set_mesh_limits(MeshLimits())
    yield
    set_mesh_limits(MeshLimits())


@pytest.mark.parametrize("preload", ["true", "false"])
@pytest.mark.parametrize("category", ["box", "bus"])  # bus: never drawn on a table, but hashed for dataset.json
def test_sparse_3gb_obj_is_refused_by_its_size(capsys, tmp_path, default_limits, preload, category):
    big = tmp_path / "huge.obj"
    with open(big, "wb") as fh:
        fh.truncate(3 * 2**30)  # sparse: 3 GB by stat, no disk used (it was read whole: MemoryError)
    catalog = _catalog(tmp_path, big.name, category)
    with within(30):
        line = refused(capsys, tmp_path, "scene=tabletop", f"scene.catalog={catalog}", f"preload_assets={preload}")
    assert f"mesh file {big} is 3072.0 MB, over the limit of 256 MB" in line and "max_mesh_file_mb" in line


def test_file_size_limit_is_a_config_key(capsys, tmp_path, default_limits):
    (tmp_path / "small.obj").write_text(TRIANGLE_OBJ + "#" * 2000 + "\n")
    catalog = _catalog(tmp_path, "small.obj")
    line = refused(capsys, tmp_path, "scene=tabletop", f"scene.catalog={catalog}", "max_mesh_file_mb=0.001")
    assert "over the limit of 0.001 MB" in line


def test_triangle_limit_names_file_and_limit_and_can_be_raised(capsys, tmp_path, default_limits):
    (tmp_path / "two.obj").write_text(TRIANGLE_OBJ)
    catalog = _catalog(tmp_path, "two.obj")
    line = refused(capsys, tmp_path, "scene=tabletop", f"scene.catalog={catalog}", "max_mesh_triangles=1")
    assert f"mesh file {tmp_path / 'two.obj'} has 2 triangles, over the limit of 1" in line
    assert "max_mesh_triangles" in line
    assert mesh_limits() == MeshLimits(max_triangles=1)  # the run set this process's limits from its config
    set_mesh_limits(MeshLimits(max_triangles=2))
    assert len(load_mesh_file(str(tmp_path / "two.obj")).faces) == 2


def test_mesh_limit_defaults():
    assert MeshLimits() == MeshLimits(max_file_mb=256.0, max_triangles=1_000_000)
    cfg = compose_config([])
    assert (cfg.max_mesh_file_mb, cfg.max_mesh_triangles) == (256.0, 1_000_000)


def test_nan_vertex_is_named_as_such(tmp_path, default_limits):
    path = tmp_path / "nan.obj"
    path.write_text("v nan 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")  # was reported as 'contains no triangles'
    with pytest.raises(AssetError, match=r"nan\.obj has non-finite vertex coordinates \(NaN or infinite\)"):
        load_mesh_file(str(path))


# -- item 7: pyrender's GL limits (real backend, EGL on llvmpipe) ------------------------------------------


@pytest.mark.gl
def test_pyrender_checks_the_gl_maximum_when_it_starts():
    from generator.run.resources import PASSES
    from renderers.base import BackendError
    from renderers.pyrender import create_backend
    from renderers.pyrender.backend import PyrenderBackend
    from renderers.pyrender.offscreen import OffscreenRenderer

    with PyrenderBackend(PASSES) as backend:
        max_w, max_h = backend.max_image_size()
    assert max_w >= 1024 and max_h >= 1024
    with pytest.raises(BackendError, match=rf"{max_w + 1}x10 px exceeds this GL context's maximum of {max_w}x"):
        create_backend(PASSES, image_sizes=[(64, 48), (max_w + 1, 10)])
    # what pyrender did without the check: an opaque error on the first frame, then a traceback in close()
    import pyrender

    renderer = OffscreenRenderer(max_w + 1, 10)
    with pytest.raises(Exception):  # noqa: B017, PT011 - PyOpenGL's own error type varies
        renderer.render(pyrender.Scene(), pyrender.RenderFlags.SEG, {})
    renderer.delete()  # no TypeError on the half-created framebuffers


@pytest.mark.gl
def test_pyrender_run_over_the_gl_maximum_writes_nothing(capsys, tmp_path, monkeypatch):
    from renderers.pyrender.offscreen import OffscreenRenderer

    monkeypatch.setattr(OffscreenRenderer, "max_image_size", lambda self: (32, 32))  # a small GL context
    line = refused(capsys, tmp_path, "scene=tabletop", "scene.num_objects=1", seconds=60, base=PYRENDER)
    assert "camera image 64x48 px exceeds this GL context's maximum of 32x32 px" in line


def _nested_yaml(levels: int) -> str:
    return "x: " + "[" * levels + "1" + "]" * levels + "\n"


@pytest.mark.parametrize("group", ["a", "a/b", "a/b/c", "a/b/c/d/e"])
def test_search_path_yaml_is_read_bounded_at_any_group_depth(tmp_path, group):
    # Hydra's config groups nest without limit (+a/b/c=d): a file four folders down was not checked, and
    # OmegaConf's recursion on 150 levels ended in a raw RecursionError
    folder = tmp_path / "sp" / group
    folder.mkdir(parents=True)
    (folder / "d.yaml").write_text(_nested_yaml(150))
    with within(30), pytest.raises(ConfigError) as info:
        compose_config([f"hydra.searchpath=[file://{tmp_path / 'sp'}]", f"+{group}=d"])
    assert str(info.value).startswith(f"{folder / 'd.yaml'}: YAML nested over 100 levels deep")


def test_search_path_yaml_in_a_symlinked_folder_is_read_bounded(tmp_path):
    (tmp_path / "elsewhere" / "c").mkdir(parents=True)
    (tmp_path / "elsewhere" / "c" / "d.yaml").write_text(_nested_yaml(150))
    (tmp_path / "sp" / "a").mkdir(parents=True)
    (tmp_path / "sp" / "a" / "b").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "sp" / "a" / "loop").symlink_to(tmp_path / "sp")  # a cycle: walked once, not forever
    with within(30), pytest.raises(ConfigError, match="YAML nested over 100 levels deep"):
        compose_config([f"hydra.searchpath=[file://{tmp_path / 'sp'}]", "+a/b/c=d"])


def test_recursion_in_omegaconf_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTHSENSE_MAX_YAML_DEPTH", "10000")  # the bounded read lets it through
    (tmp_path / "a" / "b" / "c").mkdir(parents=True)
    (tmp_path / "a" / "b" / "c" / "d.yaml").write_text(_nested_yaml(150))
    with within(30), pytest.raises(ConfigError) as info:
        compose_config([f"hydra.searchpath=[file://{tmp_path}]", "+a/b/c=d"])
    assert str(info.value).startswith("config error: the config is nested too deeply") and "\n" not in str(info.value)


# -- review of item 9: files a mesh file references ---------------------------------------------------------


def _gltf_with_buffer(folder: Path, uri: str | None = None) -> Path:
    """A two-triangle glTF whose buffer lies in a separate .bin file (``uri`` replaces its name)."""
    from assets._trimesh import trimesh

    mesh = trimesh.Trimesh(vertices=[[0, 0, 0], [0.2, 0, 0], [0, 0.3, 0], [0, 0, 0.4]], faces=[[0, 1, 2], [0, 1, 3]])
    files = trimesh.exchange.gltf.export_gltf(trimesh.Scene(mesh))
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    path = folder / "model.gltf"
    tree = json.loads(path.read_text())
    if uri is not None:
        tree["buffers"][0]["uri"] = uri
    path.write_text(json.dumps(tree))
    return path


def test_gltf_with_an_external_buffer_loads(tmp_path, default_limits):
    assert len(load_mesh_file(str(_gltf_with_buffer(tmp_path / "m"))).faces) == 2


def test_gltf_external_buffers_count_toward_the_file_size_limit(tmp_path, default_limits):
    path = _gltf_with_buffer(tmp_path / "m")
    buffer = json.loads(path.read_text())["buffers"][0]
    with open(path.parent / buffer["uri"], "r+b") as fh:
        fh.truncate(300 * 2**20)  # sparse: the .gltf JSON is a few hundred bytes, its buffer 300 MB
    with within(30), pytest.raises(AssetError, match=r"model\.gltf is 300\.0 MB with the files it references"):
        load_mesh_file(str(path))


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("../outside.bin", "resolves outside the mesh file's folder"),
        ("/etc/passwd", "not a relative path"),
        ("file:///etc/passwd", "not a relative path"),
        ("link.bin", "resolves outside the mesh file's folder"),  # a symlink in the folder, to a file outside
    ],
)
def test_gltf_uris_may_not_leave_the_mesh_folder(tmp_path, default_limits, uri, message):
    path = _gltf_with_buffer(tmp_path / "m", uri)
    (tmp_path / "outside.bin").write_bytes(b"\0" * 64)
    (tmp_path / "m" / "link.bin").symlink_to(tmp_path / "outside.bin")
    with pytest.raises(AssetError, match=rf"model\.gltf: buffers\[0\]\.uri .*: {re.escape(message)}"):
        load_mesh_file(str(path))


def test_gltf_data_uris_are_inline(tmp_path, default_limits):
    import base64

    path = _gltf_with_buffer(tmp_path / "m")
    tree = json.loads(path.read_text())
    for buffer in tree["buffers"]:
        data = (path.parent / buffer["uri"]).read_bytes()
        (path.parent / buffer["uri"]).unlink()
        buffer["uri"] = "data:application/octet-stream;base64," + base64.b64encode(data).decode()
    path.write_text(json.dumps(tree))
    assert len(load_mesh_file(str(path)).faces) == 2


def test_obj_material_library_is_never_opened(tmp_path, default_limits):
    # the renderers never use a file's materials; trimesh opened `mtllib` (a FIFO blocked it for ever)
    os.mkfifo(tmp_path / "m.mtl")
    (tmp_path / "two.obj").write_text("mtllib m.mtl\n" + TRIANGLE_OBJ)
    start = time.perf_counter()
    with within(5):  # trimesh swallows the alarm (except BaseException): the elapsed time tells
        assert len(load_mesh_file(str(tmp_path / "two.obj")).faces) == 2
    assert time.perf_counter() - start < 4


def test_glb_image_uris_may_not_leave_the_mesh_folder(tmp_path, default_limits):
    import struct

    from assets._trimesh import trimesh

    mesh = trimesh.Trimesh(vertices=[[0, 0, 0], [0.2, 0, 0], [0, 0.3, 0]], faces=[[0, 1, 2]])
    glb = trimesh.exchange.gltf.export_glb(trimesh.Scene(mesh))
    length = struct.unpack_from("<I", glb, 12)[0]
    tree = json.loads(glb[20 : 20 + length])
    tree["images"] = [{"uri": "../secret.png"}]  # GLB JSON may reference external files too
    chunk = json.dumps(tree).encode()
    chunk += b" " * (-len(chunk) % 4)
    rest = glb[20 + length :]
    body = struct.pack("<I4s", len(chunk), b"JSON") + chunk + rest
    path = tmp_path / "m" / "model.glb"
    path.parent.mkdir()
    path.write_bytes(struct.pack("<4sII", b"glTF", 2, 12 + len(body)) + body)
    with pytest.raises(AssetError, match=r"model\.glb: images\[0\]\.uri '\.\./secret\.png': resolves outside"):
        load_mesh_file(str(path))

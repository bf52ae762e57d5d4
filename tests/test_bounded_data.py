"""Every YAML and JSON the program reads is bounded (scenes/plain_data.py): alias bombs, recursive aliases,
deep nesting and NaN become one line naming the file, exit 2, in data.yaml, asset catalogs, mix files,
COCO and native datasets; NaN never reaches a JSON file we write."""

from __future__ import annotations

import math
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import generate
from PIL import Image

from assets.catalog import load_catalog
from assets.errors import AssetError
from formats import atomic
from formats.importers import import_dataset
from formats.native import DatasetError, NativeDataset
from formats.untrusted import AnnotationError
from mixing import MixError, mix
from scenes import plain_data
from scenes.plain_data import PlainDataError, loads_json, loads_yaml, short_repr

ROOT = Path(__file__).resolve().parents[1]


def alias_bomb(key: str = "names", levels: int = 10, width: int = 9) -> str:
    """The "billion laughs" YAML: ``width ** levels`` scalars from ``levels`` lines (9^10 = 3.5e9)."""
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels)]
    return "\n".join([*lines, f"{key}: *a{levels - 1}", ""])


# ------------------------------------------------------------------------------------------- the loader


def test_alias_bomb_is_refused_before_anything_is_built():
    start = time.perf_counter()
    with pytest.raises(PlainDataError, match=r"^bomb.yaml: YAML expands to over 100000 nodes"):
        loads_yaml(alias_bomb(), "bomb.yaml")
    assert time.perf_counter() - start < 2.0  # measured on the node graph, never expanded


def test_aliases_within_the_limit_load_as_plain_data(monkeypatch):
    text = alias_bomb(levels=3, width=3)  # 3^3 = 27 scalars: fine
    assert loads_yaml(text, "ok.yaml")["names"] == [[["lol"] * 3] * 3] * 3
    monkeypatch.setenv("SYNTHSENSE_MAX_YAML_NODES", "20")  # the documented way to change the limit
    with pytest.raises(PlainDataError, match="over 20 nodes .*SYNTHSENSE_MAX_YAML_NODES"):
        loads_yaml(text, "ok.yaml")
    monkeypatch.setenv("SYNTHSENSE_MAX_YAML_NODES", "many")
    with pytest.raises(PlainDataError, match="SYNTHSENSE_MAX_YAML_NODES='many': expected a positive integer"):
        loads_yaml(text, "ok.yaml")


def test_recursive_alias_and_deep_nesting_are_one_line(monkeypatch):
    with pytest.raises(PlainDataError, match="^r.yaml: YAML alias refers to a node that contains it"):
        loads_yaml("a: &a [1, *a]\n", "r.yaml")
    with pytest.raises(PlainDataError, match="^d.yaml: YAML nested over 100 levels deep"):
        loads_yaml("x: " + "[" * 150 + "]" * 150, "d.yaml")
    with pytest.raises(PlainDataError, match="^d.yaml: invalid YAML \\(nested too deeply for the parser"):
        loads_yaml("[" * 100_000 + "]" * 100_000, "d.yaml")  # RecursionError in PyYAML's composer
    monkeypatch.setenv("SYNTHSENSE_MAX_YAML_DEPTH", "200")
    value = loads_yaml("x: " + "[" * 150 + "]" * 150, "d.yaml")["x"]
    for _ in range(149):
        (value,) = value
    assert value == []


def test_json_nesting_and_non_numbers_are_one_line():
    with pytest.raises(PlainDataError, match="^d.json: invalid JSON \\(nested too deeply"):
        loads_json("[" * 100_000 + "]" * 100_000, "d.json")
    for constant in ("NaN", "Infinity", "-Infinity"):
        with pytest.raises(PlainDataError, match=f"^n.json: invalid JSON \\({constant} is not a JSON number"):
            loads_json(f'{{"a": [1, {constant}]}}', "n.json")
    with pytest.raises(PlainDataError, match="^b.json:1:10: invalid JSON"):
        loads_json('{"a": [1,', "b.json")


def test_short_repr_is_bounded_whatever_the_value():
    shared: list = ["lol"] * 9
    for _ in range(9):
        shared = [shared] * 9  # 9^10 leaves as a graph of shared lists: repr() would never finish
    start = time.perf_counter()
    text = short_repr(shared, 80)
    assert len(text) <= 80 and "\n" not in text and time.perf_counter() - start < 0.1
    assert short_repr("a\nb" * 1000, 30).startswith("'a\\nba\\nb") and len(short_repr("x" * 10_000)) <= 80


def test_json_we_write_refuses_nan(tmp_path):
    with pytest.raises(ValueError, match="out.json: Out of range float values are not JSON compliant"):
        atomic.write_json(tmp_path / "out.json", {"area": math.inf})
    assert not list(tmp_path.iterdir())  # nothing half-written, no temporary left
    assert plain_data.dumps_json({"a": 1.5}) == '{"a": 1.5}'


# ------------------------------------------------------------------------ every reader, as the user meets it


def yolo_mix(tmp_path: Path, names: str) -> tuple[Path, Path]:
    """(mix config, YOLO source root): one 32x24 image with one box, ``names`` the tail of its data.yaml."""
    real = tmp_path / "real"
    Image.new("RGB", (32, 24)).save(_mkdir(real / "images/train") / "a.png")
    (_mkdir(real / "labels/train") / "a.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    (real / "data.yaml").write_text("train: images/train\n" + names)
    config = tmp_path / "mix.yaml"
    source = {"name": "real", "path": str(real), "format": "yolo", "role": "real"}
    mix_config = {"sources": [source], "taxonomy": {"classes": ["lol"]}, "output": {"path": str(tmp_path / "out")}}
    config.write_text(yaml.safe_dump(mix_config))
    return config, real


def test_yolo_data_yaml_bomb_in_a_mix_is_one_line_under_a_memory_limit(tmp_path):
    """The reported case: `names: *a9` in a YOLO source's data.yaml grew `synthsense mix` to 24 GB (the error
    message took repr() of the expansion). Under a 3 GB address-space limit the old code dies of MemoryError;
    now it stops at once with one line naming the file."""
    config, real = yolo_mix(tmp_path, alias_bomb())
    out = _run_limited(["-m", "synthsense", "mix", str(config)], memory_bytes=3 << 30)
    assert out.returncode == 2, out.stderr[-2000:]
    (line,) = out.stderr.strip().splitlines()
    assert line.startswith(f"synthsense mix: error: {real / 'data.yaml'}: YAML expands to over")
    assert not (tmp_path / "out").exists()


def test_mix_config_bomb_is_one_line(tmp_path):
    config = tmp_path / "mix.yaml"
    config.write_text(alias_bomb(key="sources"))
    with pytest.raises(MixError, match=f"^{config}: YAML expands to over"):
        mix(config)


def test_catalog_bomb_and_nesting_are_one_line(tmp_path):
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(alias_bomb(key="assets"))
    with pytest.raises(AssetError, match=f"^{catalog}: YAML expands to over"):
        load_catalog(str(catalog))
    catalog.write_text("assets: " + "[" * 100_000 + "]" * 100_000)
    with pytest.raises(AssetError, match=f"^{catalog}: invalid YAML \\(nested too deeply"):
        load_catalog(str(catalog))


def test_deep_coco_json_is_one_line(tmp_path):
    Image.new("RGB", (32, 24)).save(tmp_path / "a.png")
    deep = "[" * 100_000 + "]" * 100_000
    (tmp_path / "annotations.json").write_text(
        '{"images": [{"id": 1, "file_name": "a.png", "width": 32, "height": 24}], "categories": [], '
        f'"annotations": {deep}}}'
    )
    with pytest.raises(AnnotationError, match=f"^{tmp_path / 'annotations.json'}: invalid JSON \\(nested too deeply"):
        import_dataset("coco", tmp_path)


def test_native_dataset_json_and_labels_are_bounded(tmp_path):
    root = tmp_path / "ds"
    generate(root, "renderer=fake", "num_scenes=1", "scene.sequence.num_frames=1", "output.preview=false")
    labels = next(root.rglob("labels.json"))
    labels.write_text("[" * 100_000 + "]" * 100_000)
    dataset = NativeDataset(root)
    (record,) = dataset.frames()
    with pytest.raises(DatasetError, match=f"^{labels}: invalid JSON \\(nested too deeply"):
        dataset.labels(record["scene_id"], record["frame"])
    (root / "dataset.json").write_text('{"format": NaN}')
    with pytest.raises(DatasetError, match="dataset.json: invalid JSON \\(NaN is not a JSON number"):
        NativeDataset(root)
    (root / "dataset.json").write_text("[]")
    with pytest.raises(DatasetError, match="dataset.json: not a synthsense-native dataset"):
        NativeDataset(root)


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _run_limited(args: list[str], memory_bytes: int) -> subprocess.CompletedProcess:
    """``python args`` with its address space capped, so a blow-up fails fast instead of taking the machine."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))

    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=120, preexec_fn=cap, cwd=ROOT
    )


def test_the_memory_limit_itself_lets_a_normal_mix_run(tmp_path):
    """The limit of the bomb test leaves room for a real mix (else that test would pass for the wrong reason)."""
    config, _ = yolo_mix(tmp_path, "names: [lol]\n")
    out = _run_limited(["-m", "synthsense", "mix", str(config)], memory_bytes=3 << 30)
    assert out.returncode == 0, out.stderr[-2000:]


# ------------------------------------------------ messages other libraries build are clipped (clip_text)


def test_clip_text_cuts_long_text_only():
    assert plain_data.clip_text("short", 10) == "short"
    assert plain_data.clip_text("x" * 11, 10) == "x" * 7 + "..."
    assert len(plain_data.clip_text("x" * 10**6)) == plain_data.MESSAGE_LIMIT


def _aliased_list_yaml(key: str) -> str:
    """4 KB of YAML whose value OmegaConf quotes whole in its message: 100 copies of a 500-number list."""
    return f"{key}: [&a0 [{', '.join(['123456'] * 500)}], {', '.join(['*a0'] * 99)}]\n"


def test_omegaconf_message_quoting_a_huge_mix_value_is_clipped(tmp_path):
    config = tmp_path / "mix.yaml"
    config.write_text(_aliased_list_yaml("seed"))
    assert config.stat().st_size < 5000
    with pytest.raises(MixError) as info:
        mix(config)  # was a 400 KB line: OmegaConf's message holds the whole list
    message = str(info.value)
    assert message.startswith(f"{config}: ") and "seed" in message
    assert len(message) < 1000 and "\n" not in message
    from mixing.config import load_config

    with pytest.raises(MixError) as info:
        load_config({"sources": []}, [f"seed=[{','.join(['123456'] * 1000)}]"])
    assert len(str(info.value)) < 1000


def test_importer_option_values_are_quoted_bounded(tmp_path):
    with pytest.raises(AnnotationError) as info:
        import_dataset("coco", tmp_path, annotations=[[123456] * 500] * 100)  # a mix source's `options` value
    assert "option annotations must be a path string" in str(info.value) and len(str(info.value)) < 300
    with pytest.raises(AnnotationError) as info:
        import_dataset("coco", tmp_path, **{"x" * 100_000: "a.json"})
    assert "unknown option" in str(info.value) and len(str(info.value)) < 300


def test_hydra_messages_in_the_launcher_are_clipped():
    from generator.errors import ConfigError
    from generator.run.launch import hydra_settings

    with pytest.raises(ConfigError) as info:
        hydra_settings([f"hydra.job.name=[{','.join(['123456'] * 1000)}]"], [])
    assert str(info.value).startswith("config error: ") and len(str(info.value)) < 1000


def test_mix_yaml_under_the_old_node_limit_is_refused_fast(tmp_path):
    """1 KB expanding to ~830k nodes passed the old limit (1M); OmegaConf then took 41 s and 590 MB on it."""
    text = alias_bomb(key="seed", levels=4, width=25)
    assert len(text) < 1500
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SYNTHSENSE_MAX_YAML_NODES", "1000000")
        loads_yaml(text, "mix.yaml")  # within the old limit
    assert plain_data.max_nodes() == plain_data.DEFAULT_MAX_YAML_NODES == 100_000
    config = tmp_path / "mix.yaml"
    config.write_text(text)
    start = time.perf_counter()
    with pytest.raises(MixError, match=f"^{config}: YAML expands to over 100000 nodes"):
        mix(config)
    assert time.perf_counter() - start < 2.0


def test_a_catalog_of_8000_assets_is_within_the_node_limit(tmp_path):
    lines = ["assets:"]
    for i in range(8000):
        lines += [f"  - name: thing{i}", f"    file: meshes/thing{i}.obj", "    category: box", "    up_axis: z"]
    assert isinstance(loads_yaml("\n".join(lines) + "\n", "catalog.yaml")["assets"], list)

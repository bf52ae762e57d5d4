"""The mix config: a dataclass schema (validated through ``OmegaConf.structured``), loading from YAML or a
dict, ``key=value`` overrides (OmegaConf dotlist syntax), and the checks OmegaConf's types cannot make.

Every problem is a one-line ``MixError`` naming the key (``taxonomy.map.city_real``) or the file.

Relative ``sources[*].path`` and ``output.path`` are relative to the folder of the mix YAML (to the
current folder when the config is given as a dict); ``load_config`` returns them absolute.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import MISSING, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from mixing.errors import MixError
from scenes import plain_data
from scenes.plain_data import short_repr

SOURCE_FORMATS = ("coco", "yolo", "kitti", "native")
OUTPUT_FORMATS = ("coco", "yolo")
ROLES = ("real", "synthetic")
LINKS = ("hardlink", "symlink", "copy")
DEFAULT_SPLITS = {"train": 0.8, "val": 0.1, "test": 0.1}
# Source and split names become parts of output file names: keep them to a portable alphabet.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
RESERVED_SPLIT_NAMES = ("images", "labels", "annotations")


@dataclass
class SourceConfig:
    name: str = MISSING  # unique; prefixes output file names and groups; letters, digits, _ . -
    path: str = MISSING  # dataset root; relative paths are relative to the mix YAML's folder
    format: str = MISSING  # coco | yolo | kitti | native (formats.importers)
    role: str = MISSING  # real | synthetic
    options: dict[str, Any] = field(default_factory=dict)  # importer options, e.g. {annotations: a.json}
    group_by: str | None = None  # an image meta key (video_id), "dirname", or None: the importer's group


@dataclass
class TaxonomyConfig:
    classes: list[str] = MISSING  # the mix's classes, in output category order
    # source name -> {source category: class, or null to drop it on purpose}; a category spelled like a
    # class maps to itself unless mapped here
    map: dict[str, dict[str, str | None]] = field(default_factory=dict)
    unmapped: str = "drop"  # drop (counted in the report) | error


@dataclass
class FiltersConfig:
    min_visibility: float = 0.0  # drop objects less visible than this, where visibility is known (synthetic)
    min_box_px: float = 0.0  # drop objects whose box is narrower or lower than this, in pixels
    drop_empty: bool = False  # drop images left with no objects


@dataclass
class OutputConfig:
    path: str = MISSING  # the mixed dataset's folder; relative to the mix YAML's folder
    formats: list[str] = field(default_factory=lambda: ["coco"])  # coco and/or yolo
    link: str = "hardlink"  # hardlink (copy across devices) | symlink | copy
    yolo_task: str = "detect"  # detect | segment


@dataclass
class MixConfig:
    sources: list[SourceConfig] = MISSING
    taxonomy: TaxonomyConfig = field(default_factory=TaxonomyConfig)
    synthetic_share: float = 0.0  # share of synthetic images (or instances, see share_by), in [0, 1]
    share_by: str = "images"  # images | instances
    class_caps: dict[str, int] = field(default_factory=dict)  # class -> most instances in the whole output
    filters: FiltersConfig = field(default_factory=FiltersConfig)
    splits: dict[str, float] = field(default_factory=dict)  # split -> ratio; empty: DEFAULT_SPLITS
    real_only_eval: bool = True  # every split but train holds real images only
    missing_images: str = "error"  # error | skip (listed in the report either way)
    output: OutputConfig = field(default_factory=OutputConfig)
    seed: int = 0


def load_config(config: dict[str, Any] | str | Path, overrides: list[str] | tuple[str, ...] = ()) -> MixConfig:
    """Load, override and validate a mix config; returns it with absolute paths.

    Args:
        config: a mix YAML file, or the same content as a dict.
        overrides: OmegaConf dotlist items, e.g. ``synthetic_share=0.5``, ``output.path=/tmp/x``,
            ``sources.0.path=/data/coco``.
    """
    if isinstance(config, str | Path):
        path = Path(config)
        raw, where, base = _read_yaml(path), str(path), path.absolute().parent
    else:
        raw, where, base = config, "mix config", Path.cwd()
    _check_shapes(raw, where)
    try:
        cfg = OmegaConf.merge(OmegaConf.structured(MixConfig), OmegaConf.create(raw))
    except OmegaConfBaseException as exc:
        raise MixError(f"{where}: {_one_line(exc)}") from None
    for item in overrides:
        key, sep, _ = item.partition("=")
        if not sep or not key:
            raise MixError(f"override {short_repr(item)}: expected key=value")
        try:
            value = OmegaConf.select(OmegaConf.from_dotlist([item]), key)
            OmegaConf.update(cfg, key, value, merge=True)
        except OmegaConfBaseException as exc:
            raise MixError(f"override {short_repr(item)}: {_one_line(exc)}") from None
    try:
        mix_cfg: MixConfig = OmegaConf.to_object(cfg)  # type: ignore[assignment]
    except OmegaConfBaseException as exc:  # a required key left out (MISSING)
        raise MixError(f"{where}: {_one_line(exc)}") from None
    if not mix_cfg.splits:
        mix_cfg.splits = dict(DEFAULT_SPLITS)
    validate(mix_cfg)
    for src in mix_cfg.sources:
        src.path = str(_absolute(base, src.path))
    mix_cfg.output.path = str(_absolute(base, mix_cfg.output.path))
    return mix_cfg


def config_to_dict(cfg: MixConfig) -> dict[str, Any]:
    """Plain-data copy of a resolved config, for mix.json."""
    return asdict(cfg)


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise MixError(f"{path}: mix config not found")
    raw = plain_data.load_yaml(path, MixError)
    if not isinstance(raw, dict):
        raise MixError(f"{path}: a mix config is a mapping (sources, taxonomy, output, ...)")
    return raw


def _absolute(base: Path, path: str) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else base / p


# top-level keys whose value must be a list or a mapping: OmegaConf's own message for a wrong one
# ("Cannot merge DictConfig with ListConfig") does not name the key
_SHAPES: dict[str, type] = {"sources": list, "taxonomy": dict, "class_caps": dict, "filters": dict}
_SHAPES.update({"splits": dict, "output": dict})


def _check_shapes(raw: Any, where: str) -> None:
    if not isinstance(raw, dict):
        raise MixError(f"{where}: expected a mapping of mix settings, got {type(raw).__name__}")
    for key, shape in _SHAPES.items():
        if key in raw and raw[key] is not None and not isinstance(raw[key], shape):
            kind = "a list" if shape is list else "a mapping"
            raise MixError(f"{where}: {key} must be {kind}, got {type(raw[key]).__name__}")


def _one_line(exc: OmegaConfBaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    keep = [ln for ln in lines if not ln.startswith(("full_key", "object_type", "reference_type"))]
    key = getattr(exc, "full_key", None)
    message = "; ".join(keep)
    if key and key not in message:
        message = f"{key}: {message}"
    return plain_data.clip_text(message)  # OmegaConf quotes the whole value, however large


def _choice(key: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise MixError(f"{key}: {short_repr(value)} is not one of {', '.join(allowed)}")


def validate(cfg: MixConfig) -> None:
    """The checks the schema's types cannot make; raises MixError naming the key."""
    _validate_sources(cfg)
    _validate_taxonomy(cfg)
    _choice("share_by", cfg.share_by, ("images", "instances"))
    _choice("missing_images", cfg.missing_images, ("error", "skip"))
    if not 0.0 <= cfg.synthetic_share <= 1.0 or math.isnan(cfg.synthetic_share):
        raise MixError(f"synthetic_share: {cfg.synthetic_share} is not in [0, 1]")
    roles = {s.role for s in cfg.sources}
    if cfg.synthetic_share > 0 and "synthetic" not in roles:
        raise MixError(f"synthetic_share: {cfg.synthetic_share} needs a source with role: synthetic")
    if cfg.synthetic_share < 1 and "real" not in roles:
        raise MixError(f"synthetic_share: {cfg.synthetic_share} < 1 needs a source with role: real")
    for cls, cap in sorted(cfg.class_caps.items()):
        if cls not in cfg.taxonomy.classes:
            raise MixError(f"class_caps.{cls}: not a class of taxonomy.classes")
        if cap < 0:
            raise MixError(f"class_caps.{cls}: {cap} is negative")
    f = cfg.filters
    if not 0.0 <= f.min_visibility <= 1.0:
        raise MixError(f"filters.min_visibility: {f.min_visibility} is not in [0, 1]")
    if not 0 <= f.min_box_px < math.inf:  # also refuses NaN, which would filter nothing, and infinity
        raise MixError(f"filters.min_box_px: {f.min_box_px} must be a finite number >= 0")
    if cfg.seed < 0:  # numpy's seeding refuses it deep inside the selection
        raise MixError(f"seed: {cfg.seed} must be an integer >= 0")
    _validate_splits(cfg)
    _validate_output(cfg)


def _validate_sources(cfg: MixConfig) -> None:
    if not cfg.sources:
        raise MixError("sources: no source given")
    seen: set[str] = set()
    for i, src in enumerate(cfg.sources):
        key = f"sources.{i}"
        if not _NAME.match(src.name):
            raise MixError(f"{key}.name: {short_repr(src.name)} must be letters, digits, '_', '.', '-'")
        if src.name in seen:
            raise MixError(f"{key}.name: {short_repr(src.name)} is used by two sources")
        seen.add(src.name)
        _choice(f"{key}.format", src.format, SOURCE_FORMATS)
        _choice(f"{key}.role", src.role, ROLES)
        if src.group_by is not None and not src.group_by:
            raise MixError(f"{key}.group_by: empty; give a meta key, 'dirname', or leave it out")


def _validate_taxonomy(cfg: MixConfig) -> None:
    tax = cfg.taxonomy
    if not tax.classes:
        raise MixError("taxonomy.classes: no class given")
    for cls in tax.classes:
        if not cls or cls != cls.strip():
            raise MixError(f"taxonomy.classes: {short_repr(cls)} is not a usable class name")
    dupes = sorted({c for c in tax.classes if tax.classes.count(c) > 1})
    if dupes:
        raise MixError(f"taxonomy.classes: {', '.join(dupes)} listed twice")
    names = {s.name for s in cfg.sources}
    for source, mapping in sorted(tax.map.items()):
        if source not in names:
            raise MixError(f"taxonomy.map.{source}: no source of that name")
        for category, target in sorted(mapping.items()):
            if target is not None and target not in tax.classes:
                raise MixError(f"taxonomy.map.{source}.{category}: {short_repr(target)} is not in taxonomy.classes")
    _choice("taxonomy.unmapped", tax.unmapped, ("drop", "error"))


def _validate_splits(cfg: MixConfig) -> None:
    for name, ratio in sorted(cfg.splits.items()):
        if not _NAME.match(name):
            raise MixError(f"splits.{name}: split names must be letters, digits, '_', '.', '-'")
        if name in RESERVED_SPLIT_NAMES:
            raise MixError(f"splits.{name}: reserved (the output has images/<split>/ and labels/<split>/)")
        if not ratio >= 0:
            raise MixError(f"splits.{name}: {ratio} is negative")
    total = sum(cfg.splits.values())
    if abs(total - 1.0) > 1e-6:
        raise MixError(f"splits: the ratios add up to {total:g}, not 1")
    if cfg.real_only_eval and "train" not in cfg.splits:
        raise MixError("splits: real_only_eval needs a 'train' split (synthetic images go there)")
    if cfg.real_only_eval and 0 < cfg.synthetic_share < 1 and not cfg.splits["train"] > 0:
        # the share is of train, which would hold no real image: the asked share could never be met
        raise MixError(f"splits.train: 0 leaves synthetic_share {cfg.synthetic_share} nothing to be a share of")


def _validate_output(cfg: MixConfig) -> None:
    out = cfg.output
    if not out.path:
        raise MixError("output.path: empty")
    if not out.formats:
        raise MixError("output.formats: no format given")
    for fmt in out.formats:
        _choice("output.formats", fmt, OUTPUT_FORMATS)
    if len(set(out.formats)) != len(out.formats):
        raise MixError("output.formats: a format is listed twice")
    _choice("output.link", out.link, LINKS)
    _choice("output.yolo_task", out.yolo_task, ("detect", "segment"))

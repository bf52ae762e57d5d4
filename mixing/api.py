"""``mix``: import the sources, map and filter, select, write the mixed dataset; and its ``MixResult``."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formats.records import OUTSIDE_IMAGE, SourceDataset
from mixing import integrity, output, report
from mixing.config import MixConfig, SourceConfig, config_to_dict, load_config
from mixing.errors import MixError
from mixing.items import Candidate, Drops, Placed
from mixing.selection import empty_split_warnings, select, summarize
from mixing.taxonomy import candidates
from scenes.plain_data import short_repr


@dataclass
class MixResult:
    """What a mix wrote.

    Attributes:
        output: the mixed dataset's folder.
        instances: split -> role -> class -> instances.
        images: split -> role -> images.
        synthetic_share: split -> achieved synthetic share (by ``share_by``; 0.0 for an empty split).
        dropped: {"objects"|"images": source -> reason -> count, "unmapped": source -> category -> objects};
            objects include those the importer left out (``formats.records.OUTSIDE_IMAGE``: boxes wholly
            outside their image or empty once clipped to it).
        missing_images: "<source>: <rel path>" of image files the sources name but lack.
        report: the report.md path.
        warnings: one line each, e.g. a split the config asks for that holds no image (also in the
            summary, report.md and mix.json).
        seconds: wall seconds per stage (import, taxonomy, select, place_images, coco, yolo, report,
            commit); kept out of every written file, which stay byte-identical between runs.
    """

    output: Path
    instances: dict[str, dict[str, dict[str, int]]]
    images: dict[str, dict[str, int]]
    synthetic_share: dict[str, float]
    dropped: dict[str, dict[str, dict[str, int]]]
    missing_images: list[str]
    report: Path
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """A short human summary (the CLI prints it)."""
        lines = [f"wrote {self.output}", *self.warnings]
        for split, roles in self.images.items():
            n = sum(roles.values())
            lines.append(
                f"{split}: {n} images ({roles['real']} real, {roles['synthetic']} synthetic), "
                f"{sum(sum(c.values()) for c in self.instances[split].values())} instances, "
                f"synthetic share {self.synthetic_share[split]:.3f}"
            )
        objects, images = (sum(n for r in self.dropped[t].values() for n in r.values()) for t in ("objects", "images"))
        if objects or images:
            lines.append(f"left out: {objects} objects, {images} images (reasons in the report)")
        outside = sum(r.get(OUTSIDE_IMAGE, 0) for r in self.dropped["objects"].values())
        if outside:
            lines.append(f"boxes empty or outside their image, left out on import: {outside}")
        if self.missing_images:
            lines.append(f"missing image files: {len(self.missing_images)} (see report)")
        lines.append(f"report: {self.report}")
        return lines


class _Stages:
    """Wall seconds per stage (MixResult.seconds): for benchmarks and slow-run diagnosis, never in files."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t0


def mix(
    config: dict[str, Any] | str | Path, overrides: list[str] | tuple[str, ...] = (), overwrite: bool = False
) -> MixResult:
    """Mix the config's sources into one dataset (see the README section "Mixing synthetic and real data").

    Args:
        config: a mix YAML file (relative paths in it are relative to its folder) or the same as a dict
            (relative paths relative to the current folder).
        overrides: OmegaConf dotlist items, e.g. ``["synthetic_share=0.5", "output.path=/tmp/x"]``.
        overwrite: replace an existing output folder (only once the new one is complete).

    Raises:
        MixError: a config, taxonomy, selection or output problem, or an image that would enter the mix
            twice (one line naming the key or file).
        formats.native.DatasetError: a source that cannot be imported (one line naming the file).
    """
    stage = _Stages()
    cfg = load_config(config, overrides)
    out = Path(cfg.output.path)
    integrity.check_disjoint_roots(cfg.sources)
    output.check_output(out, [Path(s.path) for s in cfg.sources], overwrite)
    files = integrity.ImageFiles()
    drops = Drops()
    pools: dict[str, list[Candidate]] = {"real": [], "synthetic": []}
    before: dict[str, dict[str, int]] = {}
    source_info: dict[str, dict[str, Any]] = {}
    for i, src in enumerate(cfg.sources):
        with stage("import"):
            dataset = _import(src)
            files.add(dataset, integrity.source_key(i, src))
        for reason, n in sorted(dataset.dropped_objects.items()):  # e.g. boxes wholly outside their image
            drops.object(src.name, reason, n)
        _check_missing(dataset, src, f"sources.{i}", cfg, drops)
        with stage("taxonomy"):
            cands = candidates(dataset, src, f"sources.{i}", cfg.taxonomy, cfg.filters, drops)
        pools[src.role].extend(cands)
        counts: Counter[str] = Counter()
        for c in cands:
            counts.update(c.class_counts())
        before[src.name] = {cls: counts[cls] for cls in cfg.taxonomy.classes}
        source_info[src.name] = {"images": len(dataset.images), "candidates": len(cands)}
    with stage("select"):
        placed = select(pools["real"], pools["synthetic"], cfg, drops)
        summary = summarize(placed, cfg)
        warnings = empty_split_warnings(placed, cfg)
        integrity.check_placed_once(placed)  # before anything is written
    drops.missing.sort()
    with output.Staging(out) as staging:
        try:
            _write(staging, placed, cfg, summary, warnings, drops, before, source_info, stage)
        except MixError:
            raise
        except ValueError as exc:  # dumps_json refusing a NaN or infinity that a check let through
            raise MixError(f"output: {exc}") from None
        with stage("commit"):
            staging.commit(overwrite)
    return MixResult(
        output=out,
        instances=summary["instances"],
        images=summary["images"],
        synthetic_share=summary["synthetic_share"],
        dropped=drops.as_dict(),
        missing_images=list(drops.missing),
        report=out / report.REPORT_MD,
        warnings=warnings,
        seconds=stage.seconds,
    )


def _import(src: SourceConfig) -> SourceDataset:
    from formats.importers import import_dataset

    # import_dataset names the file and record of any problem (AnnotationError, one line)
    return import_dataset(src.format, Path(src.path), **src.options)


def _check_missing(dataset: SourceDataset, src: SourceConfig, key: str, cfg: MixConfig, drops: Drops) -> None:
    if dataset.missing_images and cfg.missing_images == "error":
        raise MixError(
            f"{key} ({src.name}): {len(dataset.missing_images)} image file(s) missing under {dataset.root}, "
            f"e.g. {short_repr(dataset.missing_images[0])} (set missing_images: skip to leave them out)"
        )
    drops.missing.extend(f"{src.name}: {rel}" for rel in dataset.missing_images)


def _write(
    staging: output.Staging,
    placed: list[Placed],
    cfg: MixConfig,
    summary: dict[str, Any],
    warnings: list[str],
    drops: Drops,
    before: dict[str, dict[str, int]],
    source_info: dict[str, dict[str, Any]],
    stage: _Stages,
) -> None:
    from formats import atomic
    from formats.record_writers import OutputImage, write_coco, write_yolo

    with stage("place_images"):
        names = output.output_names(placed)
        output.place_images(staging, placed, names, cfg.output.link)
    records = [output.provenance(p, name) for p, name in zip(placed, names, strict=True)]
    classes = list(cfg.taxonomy.classes)
    entries = [OutputImage(*output.output_image(p, n, r)) for p, n, r in zip(placed, names, records, strict=True)]
    if "coco" in cfg.output.formats:
        with stage("coco"):
            for split in cfg.splits:
                entries_of = [e for e in entries if e.split == split]
                write_coco(staging.path(f"annotations/{split}.json"), entries_of, classes)
    if "yolo" in cfg.output.formats:
        with stage("yolo"):
            # the staging folder is synced once before it is renamed into place (Staging.commit)
            try:
                write_yolo(staging.root, entries, classes, task=cfg.output.yolo_task, durable=False)
            except ValueError as exc:  # e.g. no train images: ultralytics needs a train split
                raise MixError(f"output.formats: yolo: {exc}") from None
    with stage("report"):
        output.write_provenance(staging, records)
        resolved = config_to_dict(cfg)
        # the output folder's own location is left out: a mix moved or written elsewhere stays byte-identical
        del resolved["output"]["path"]
        meta = {"config": resolved, "sources": source_info, "instances_before": before, **summary}
        meta["warnings"] = warnings
        meta.update({"dropped": drops.as_dict(), "missing_images": drops.missing})
        output.write_json(staging, "mix.json", meta)
        text = report.render_markdown(
            classes, before, summary, drops.as_dict(), drops.missing, cfg.share_by, cfg.synthetic_share, warnings
        )
        output.write_text(staging, report.REPORT_MD, text)
        png = staging.path(report.REPORT_PNG)
        with atomic.naming(png):
            report.plot_counts(png, classes, before, summary)

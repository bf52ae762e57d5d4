"""Registry of exporters: name -> function(dataset_root) -> written path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from formats.coco import export_coco
from formats.kitti_tracking import export_kitti_tracking
from formats.mot import export_mot

EXPORTERS: dict[str, Callable[[str | Path], Path]] = {
    "coco": export_coco,
    "mot": export_mot,
    "kitti_tracking": export_kitti_tracking,
}


def get_exporter(name: str) -> Callable[[str | Path], Path]:
    """The exporter called ``name``; KeyError names the unknown format."""
    try:
        return EXPORTERS[name]
    except KeyError:
        raise KeyError(f"unknown export format {name!r}; known: {', '.join(sorted(EXPORTERS))}") from None

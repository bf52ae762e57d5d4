"""File placement for exporters that lay out folders of images: hard links (or copies) put into place
atomically, and removal of what an earlier export left that this one did not write."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from formats import atomic
from formats.native import DatasetError


def place_image(dataset_root: Path, rel: str, dst: Path) -> None:
    """Put the dataset file ``dataset_root/rel`` at ``dst``: a hard link when the file system allows
    (no bytes copied, the same bytes by construction), otherwise an atomic copy.

    The source must resolve to a regular file inside the dataset: a symlink pointing elsewhere raises
    DatasetError, so an export never copies a file from outside the dataset into its folders.
    ``dst`` is replaced by a rename, never written through, so a link at ``dst`` is not followed either.
    """
    root = dataset_root.resolve()
    src = (dataset_root / rel).resolve()
    if not src.is_relative_to(root):
        raise DatasetError(f"{dataset_root / rel} points outside the dataset ({src}); refusing to export it")
    if not src.is_file():
        raise DatasetError(f"{dataset_root / rel}: not found or not a regular file")
    if dst.is_file() and not dst.is_symlink() and os.path.samefile(src, dst):
        return  # already this very file (a rerun of the export)
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        _link_atomically(src, dst)
    except OSError:
        # other file system, no hard links (some FUSE/network mounts), link count limit: copy instead
        atomic.write_bytes(dst, src.read_bytes())


def _link_atomically(src: Path, dst: Path) -> None:
    # The temporary name matches atomic.TMP_GLOB, so stray-temporary cleanup also catches a leftover one.
    while True:
        tmp = dst.parent / f".{dst.name}.{secrets.token_hex(6)}.tmp"
        try:
            os.link(src, tmp)
            break
        except FileExistsError:
            continue
    try:
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def remove_stale(export_root: Path, written: set[Path]) -> int:
    """Delete every file under ``export_root`` not in ``written`` (sequences or frames an earlier export
    of a different dataset state produced), then the folders left empty; returns how many files.

    Symlinks are removed as links, never followed.
    """
    keep = {p.absolute() for p in written}
    removed = 0
    for folder, dirs, files in os.walk(export_root, topdown=False):
        base = Path(folder)
        for name in files + [d for d in dirs if (base / d).is_symlink()]:
            path = (base / name).absolute()
            if path not in keep:
                path.unlink()
                removed += 1
        if base != export_root and not any(base.iterdir()):
            base.rmdir()
    return removed

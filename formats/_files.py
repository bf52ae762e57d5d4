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
        tmp = dst.parent / f".{dst.name}.{atomic.OWNER}.{secrets.token_hex(6)}.tmp"
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


def export_dir(dataset_root: Path, subdir: str) -> Path:
    """``dataset_root/subdir`` (e.g. "exports/mot"), created if missing, after checking that no part of it
    is a symlink and that it resolves inside the dataset: an export never writes or deletes elsewhere."""
    root = dataset_root.resolve()
    path = dataset_root
    for part in Path(subdir).parts:
        path = path / part
        if path.is_symlink():
            raise DatasetError(f"{path} is a symlink; refusing to export through it")
    if not path.resolve().is_relative_to(root):
        raise DatasetError(f"{path} resolves outside the dataset; refusing to export there")
    path.mkdir(parents=True, exist_ok=True)
    # a folder symlink planted inside an earlier export (labels/train -> elsewhere) would be written through
    for folder, dirs, _ in os.walk(path):
        for name in dirs:
            if (Path(folder) / name).is_symlink():
                raise DatasetError(f"{Path(folder) / name} is a symlink; refusing to export through it")
    return path


def remove_stale(export_root: Path, written: set[Path], patterns: tuple[str, ...]) -> int:
    """Delete the files under ``export_root`` that an earlier export of this format wrote (their
    relative paths match one of ``patterns``, glob syntax) and this one did not (sequences or frames
    that no longer exist); then the folders left empty. Returns how many files.

    Files that do not match the format's layout (a user's tracker results next to the ground truth) are
    kept; symlinks are removed as links, never followed.
    """
    keep = {p.absolute() for p in written}
    removed = 0
    for folder, dirs, files in os.walk(export_root, topdown=False):
        base = Path(folder)
        for name in files + [d for d in dirs if (base / d).is_symlink()]:
            path = (base / name).absolute()
            rel = path.relative_to(export_root.absolute())
            if path not in keep and any(rel.match(pattern) for pattern in patterns):
                path.unlink()
                removed += 1
        if base != export_root and not any(base.iterdir()):
            base.rmdir()
    return removed

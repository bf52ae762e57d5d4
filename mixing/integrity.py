"""No image enters a mix twice, so none can sit in train and in an evaluation split.

Three checks, each a one-line ``MixError`` naming both places an image was found:

- before anything is read, source roots that are the same folder or lie one inside the other (symlinks
  resolved): every image would be read twice (``check_disjoint_roots``);
- as the sources are imported, an image file reached twice, by device and inode (``ImageFiles``): a hard
  link, a bind mount, a mix given as a source next to its own sources;
- before the output is written, the invariant itself, whatever the selection did: no image file lies in
  two splits or twice in one, by resolved path and by inode (``check_placed_once``). A violation is an
  error, never a warning: a leaked evaluation image makes every score of the model a lie.
"""

from __future__ import annotations

import os
from itertools import combinations
from pathlib import Path

from formats.records import SourceDataset
from mixing.config import SourceConfig
from mixing.errors import MixError
from mixing.items import Placed
from scenes.plain_data import short_repr

FileId = tuple[int, int]  # (st_dev, st_ino): one file, however many paths lead to it


def source_key(index: int, src: SourceConfig) -> str:
    """How messages name a source: its config entry and name, "sources.1 (synth)"."""
    return f"sources.{index} ({src.name})"


def check_disjoint_roots(sources: list[SourceConfig]) -> None:
    """Refuse two sources whose roots are the same folder or one inside the other (after resolving
    symlinks): the images of the inner one would enter the mix twice, possibly in two splits."""
    roots = [(source_key(i, src), Path(src.path).resolve()) for i, src in enumerate(sources)]
    for (key_a, a), (key_b, b) in combinations(roots, 2):
        if a == b:
            relation = "is the same folder as"
        elif b.is_relative_to(a):
            relation = "lies inside"
        elif a.is_relative_to(b):
            relation = "holds"
        else:
            continue
        raise MixError(
            f"{key_b}: path {b} {relation} {key_a}'s path {a}; their images would enter the mix twice "
            "(and could sit in train and in val); give each source its own folder"
        )


def _file_id(path: Path, where: str) -> FileId:
    try:
        st = os.stat(path)
    except OSError as exc:
        raise MixError(f"{where}: image {path} cannot be read ({exc.strerror or exc})") from None
    return st.st_dev, st.st_ino


class ImageFiles:
    """The image files of the sources imported so far, by (device, inode); ``add`` refuses a file seen
    before, in this source or an earlier one."""

    def __init__(self) -> None:
        self._seen: dict[FileId, str] = {}

    def add(self, dataset: SourceDataset, key: str) -> None:
        """Register every image of ``dataset`` (the source ``key``, e.g. "sources.1 (synth)")."""
        for image in dataset.images:
            here = f"{key} image {short_repr(image.rel_path)}"
            file_id = _file_id(image.path, key)
            if file_id in self._seen:
                raise MixError(
                    f"{here} is the same file as {self._seen[file_id]} (one inode: a hard link, a bind mount, "
                    "a source given twice or an image listed twice); an image may enter a mix once, or it "
                    "could sit in train and in val"
                )
            self._seen[file_id] = here


def _placed(p: Placed) -> str:
    return f"{p.candidate.source} {short_repr(p.candidate.image.rel_path)} in {p.split}"


def check_placed_once(placed: list[Placed]) -> None:
    """The mix's invariant, checked before its output is written: every placed image is a distinct file,
    by resolved path and by inode, so no image lies in two splits (or twice in one). The paths are the
    importers' (resolved, ``ImageAnnotations.path``); the inodes are read again, so a file linked to
    another since the import is caught too."""
    by_path: dict[Path, Placed] = {}
    by_file: dict[FileId, Placed] = {}
    for p in placed:
        path = p.candidate.image.path
        file_id = _file_id(path, f"sources: {p.candidate.source}")
        first = by_path.get(path) or by_file.get(file_id)
        if first is not None:
            raise MixError(
                f"mix invariant broken: image file {path} is placed twice, as {_placed(first)} and as "
                f"{_placed(p)}; refusing to write a mix whose evaluation images could be training images"
            )
        by_path[path] = by_file[file_id] = p

"""Write a mix: a staging folder swapped into place, image files, annotations, provenance.

Everything is written into a temporary sibling ``<path>.tmp-<random>.<host>-<pid>`` and renamed to
``<path>`` only once complete, so a failure at any point leaves no output (and no temporary folder: it is
removed). With ``overwrite`` an existing ``<path>`` is moved aside (``<path>.old-<random>.<host>-<pid>``)
and deleted only after the new folder is in place. A mix killed outright (SIGKILL, power loss) cannot
clean up: the next mix to the same path removes what it left, once its owner is proven dead
(``remove_stale``). Every path written is resolved and checked to lie inside the staging folder.

Layout::

    <path>/images/<split>/<source>__<safe original path>.<ext>   hard link, symlink or copy
    <path>/annotations/<split>.json                              COCO (when coco in output.formats)
    <path>/labels/<split>/*.txt, <path>/data.yaml                YOLO (when yolo in output.formats)
    <path>/provenance.jsonl                                      one line per image
    <path>/mix.json, report.md, report_counts.png                resolved config, counts, report
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
from pathlib import Path
from typing import Any

from tqdm import tqdm

from formats import atomic
from formats.records import ImageAnnotations
from mixing.errors import MixError
from mixing.items import Placed
from scenes import plain_data
from scenes.plain_data import short_repr

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
# native meta keys that let a synthetic image be rebuilt: the run's root seed and the scene's index
PROVENANCE_META = ("scene_id", "frame", "sensor", "scene_seed", "root_seed", "scene_index")


def check_output(path: Path, source_roots: list[Path], overwrite: bool) -> None:
    """Refuse an output that exists (without overwrite), is not a folder, overlaps a source (holds one or
    lies inside one), or, with overwrite, is a folder an earlier mix did not write: ``--overwrite``
    deletes the old folder, so it must be a mix (it has mix.json), never a mistyped $HOME or a source.
    Before looking at the output itself, removes what killed mixes to it left (``remove_stale``)."""
    resolved = path.resolve()
    for root in source_roots:
        root = root.resolve()
        if root == resolved or root.is_relative_to(resolved) or resolved.is_relative_to(root):
            raise MixError(f"output.path: {path} overlaps source {root}; choose a folder outside every source")
    remove_stale(path)  # first: it may put back a previous mix that a killed overwrite had moved aside
    if path.exists() or path.is_symlink():
        if not overwrite:
            raise MixError(f"output.path: {path} exists; use --overwrite (overwrite=True) to replace it")
        if path.is_symlink() or not path.is_dir():
            raise MixError(f"output.path: {path} exists and is not a folder; refusing to replace it")
        if not (path / "mix.json").is_file():
            raise MixError(f"output.path: {path} exists and is not a mix (no mix.json); refusing to replace it")


class Staging:
    """The temporary sibling folder a mix is written into; ``commit`` swaps it into place.

    Use as a context manager: leaving it by an exception (or without commit) removes the folder.
    """

    def __init__(self, final: Path):
        self.final = final.absolute()
        self.final.parent.mkdir(parents=True, exist_ok=True)
        self.root = _sibling(self.final, "tmp")
        self.root.mkdir()
        self._base = self.root.resolve()
        self._committed = False

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._committed:
            shutil.rmtree(self.root, ignore_errors=True)

    def path(self, rel: str) -> Path:
        """``root/rel`` with its folder created, after checking it stays inside the staging folder."""
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if not (target.parent.resolve() / target.name).is_relative_to(self._base) or target.is_symlink():
            raise MixError(f"output: {short_repr(rel)} would be written outside {self.final}; refusing it")
        return target

    def commit(self, overwrite: bool) -> None:
        """Rename the staging folder to the final path (moving an existing one aside when overwriting)."""
        os.sync()  # everything written into the staging folder is on disk before it gets its final name
        old = None
        if self.final.exists():
            if not overwrite:
                raise MixError(f"output.path: {self.final} appeared while mixing; use --overwrite to replace it")
            old = _sibling(self.final, "old")
            os.replace(self.final, old)
        try:
            os.replace(self.root, self.final)
        except BaseException:
            if old is not None:
                os.replace(old, self.final)  # put the previous mix back
            raise
        self._committed = True
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _sibling(final: Path, kind: str) -> Path:
    """``<final>.<kind>-<random>.<host>-<pid>``: the owner in the name lets a later mix tell a dead run's
    leftovers from a live run's folder (``remove_stale``)."""
    return final.parent / f"{final.name}.{kind}-{secrets.token_hex(6)}.{atomic.OWNER}"


def remove_stale(final: Path) -> list[Path]:
    """Remove the staging folders (``.tmp-``) and moved-aside old mixes (``.old-``) that mixes to ``final``
    killed before they finished left next to it; returns the folders removed.

    Only folders whose owner (``<host>-<pid>`` in the name, ``atomic.owner_alive``) is proven dead are
    touched: never a running mix's, never another host's (its processes cannot be seen from here), never
    a name ``Staging`` did not make. A dead run's ``.old-`` folder is the previous mix; it is deleted only
    when ``final`` exists (the swap had finished), else it is put back at ``final``: nothing a user had
    is lost.
    """
    pattern = re.compile(rf"{re.escape(final.name)}\.(tmp|old)-[0-9a-f]{{12}}\.([^./]+)")
    removed: list[Path] = []
    if not final.parent.is_dir():
        return removed
    for entry in sorted(final.parent.iterdir()):
        match = pattern.fullmatch(entry.name)
        if match is None or entry.is_symlink() or not entry.is_dir() or atomic.owner_alive(match[2]) is not False:
            continue
        # another mix to the same path may be cleaning up at the same time: a folder (or a file in it) that
        # vanishes under us was removed or put back by it, which is what we were about to do
        try:
            if match[1] == "old" and not (final.exists() or final.is_symlink()):
                os.replace(entry, final)  # killed between moving the previous mix aside and the new one in
                continue
            shutil.rmtree(entry, onerror=_vanished_ok)
        except FileNotFoundError:
            continue
        removed.append(entry)
    return removed


def _vanished_ok(function: Any, path: str, exc_info: Any) -> None:
    """``shutil.rmtree``'s error handler: a file or folder already gone is fine, anything else is raised."""
    if not isinstance(exc_info[1], FileNotFoundError):
        raise exc_info[1]


def safe_name(source: str, rel_path: str) -> str:
    """``<source>__<rel path with '/' as '__' and other unsafe characters as '_'><ext>``."""
    stem, ext = os.path.splitext(rel_path)
    parts = [_UNSAFE.sub("_", p).strip(".") or "_" for p in stem.split("/")]
    return f"{source}__{'__'.join(parts)}{_UNSAFE.sub('_', ext)}"


def output_names(placed: list[Placed]) -> list[str]:
    """The output file name (``images/<split>/...``) of every placed image, in order, all distinct.

    Names must differ without their extension too, since YOLO's label file is the image's stem + .txt
    (``a.png`` and ``a.jpg`` would share one label file), and without case (case-insensitive file
    systems). A name taken already gets a short hash of the source and original path appended, then a
    counter if even that is taken (the same file listed twice); ``placed`` is in a deterministic order,
    so the names are too.
    """
    names: list[str] = []
    seen: set[str] = set()
    for p in placed:
        c = p.candidate
        name = f"images/{p.split}/{safe_name(c.source, c.image.rel_path)}"
        stem, ext = os.path.splitext(name)
        if stem.lower() in seen:
            stem = f"{stem}__{hashlib.sha1(f'{c.source}/{c.image.rel_path}'.encode()).hexdigest()[:10]}"
            base, k = stem, 1
            while stem.lower() in seen:
                stem, k = f"{base}_{k}", k + 1
        seen.add(stem.lower())
        names.append(stem + ext)
    return names


def place_images(staging: Staging, placed: list[Placed], names: list[str], link: str) -> None:
    """Put every image file at its output name: a hard link (a copy across devices), symlink or copy."""
    for p, name in zip(tqdm(placed, desc="placing images", unit="img", disable=None), names, strict=True):
        src = p.candidate.image.path
        if not src.is_file():
            raise MixError(f"sources: image {src} of {short_repr(p.candidate.source)} vanished while mixing")
        dst = staging.path(name)
        if link == "symlink":
            os.symlink(src.resolve(), dst)
            continue
        if link == "hardlink":
            try:
                os.link(src, dst)
                continue
            except OSError:  # another device, or no hard links on this file system: copy
                pass
        with atomic.naming(dst):  # a copy failing for want of space names no file
            shutil.copyfile(src, dst)


def provenance(p: Placed, name: str) -> dict[str, Any]:
    """Where an output image came from: enough to find the original file and, if synthetic, rebuild it."""
    c = p.candidate
    record: dict[str, Any] = {
        "file_name": name,
        "split": p.split,
        "source": c.source,
        "role": c.role,
        "original_id": c.image.original_id,
        "original_path": c.image.rel_path,
        "group": c.group,
    }
    if c.role == "synthetic":
        record.update({k: c.image.meta[k] for k in PROVENANCE_META if k in c.image.meta})
    return record


def write_text(staging: Staging, rel: str, text: str) -> Path:
    """``text`` at ``rel`` in the staging folder; an error writing it (disk full) names the file."""
    path = staging.path(rel)
    with atomic.naming(path):
        path.write_text(text, encoding="utf-8")
    return path


def write_json(staging: Staging, rel: str, obj: Any) -> Path:
    return write_text(staging, rel, plain_data.dumps_json(obj, indent=1, where=str(staging.root / rel)) + "\n")


def write_provenance(staging: Staging, records: list[dict[str, Any]]) -> Path:
    where = str(staging.root / "provenance.jsonl")
    return write_text(
        staging, "provenance.jsonl", "".join(plain_data.dumps_json(r, where=where) + "\n" for r in records)
    )


def output_image(p: Placed, name: str, fields: dict[str, Any]) -> tuple[str, str, ImageAnnotations, dict]:
    """Arguments of ``formats.record_writers.OutputImage`` for one placed image."""
    return name, p.split, p.candidate.image, fields

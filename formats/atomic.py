"""Atomic file writes: write to a temporary name in the same folder, then rename into place, so an
interrupted run never leaves a half-written file under the final name."""

from __future__ import annotations

import io
import os
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import imageio.v3 as iio
import numpy as np

from scenes import plain_data


def _file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_FILE_MODE = _file_mode()


@contextmanager
def naming(path: str | Path) -> Iterator[None]:
    """Re-raise an OSError without a file name with ``path`` as its file name: a failed write or fsync
    (ENOSPC, EDQUOT, EIO) names no file, and "[Errno 28] No space left on device" alone says not where."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None:
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from None
        raise


def write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (creating parent folders)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{OWNER}.", suffix=".tmp", dir=path.parent)
    try:
        with naming(path):
            os.fchmod(fd, _FILE_MODE)  # mkstemp makes 0600 files; datasets are shared like any other file
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())  # data on disk before the rename makes it visible under its name
            os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


TMP_GLOB = ".*.tmp"  # names of write_bytes' temporary files
# Temporary names carry their writer (host and process id), so a shard cleaning up after a crash never
# deletes a file another live writer is about to rename into place.
OWNER = f"{socket.gethostname().replace('.', '_')}-{os.getpid()}"


def _is_stray(tmp: Path) -> bool:
    """A temporary left by a writer of this host that is no longer running; temporaries of other hosts
    (shards on a shared file system) are left alone, as are names this module did not make."""
    for part in tmp.name.split("."):
        alive = owner_alive(part)
        if alive is not None:
            return not alive
    return False


def owner_alive(owner: str) -> bool | None:
    """Whether the writer an ``OWNER`` string (``host-pid``) names is running: None when it is not such a
    string or names another host (whose processes this one cannot see), so only a writer proven dead
    has its temporaries removed."""
    host = socket.gethostname().replace(".", "_")
    owner_host, _, pid = owner.rpartition("-")
    if owner_host != host or not pid.isdigit():
        return None
    return _alive(int(pid))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stray_temporaries(root: str | Path) -> int:
    """Delete temporary files that interrupted writers left under ``root``; returns how many."""
    count = 0
    for tmp in Path(root).rglob(TMP_GLOB):
        if tmp.is_file() and _is_stray(tmp):
            tmp.unlink()
            count += 1
    return count


def write_text(path: str | Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def encode_json(obj: Any, indent: int | None = 1, where: str = "JSON output") -> bytes:
    """JSON with sorted-free stable key order as given; floats use Python's round-trip repr."""
    return (plain_data.dumps_json(obj, indent=indent, where=where) + "\n").encode("utf-8")


def write_json(path: str | Path, obj: Any, indent: int | None = 1) -> None:
    write_bytes(path, encode_json(obj, indent, where=str(path)))


def encode_npy(array: np.ndarray) -> bytes:
    """The .npy bytes of ``array`` (no pickled objects)."""
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def write_npy(path: str | Path, array: np.ndarray) -> None:
    write_bytes(path, encode_npy(array))


# zlib's default level, which Pillow uses when given none: the bytes of every dataset written before the
# level was a setting (``output.png_compression``)
PNG_COMPRESSION = 6


def encode_png(image: np.ndarray, compression: int = PNG_COMPRESSION) -> bytes:
    """PNG bytes of a uint8 (H, W, 3) RGB or uint16 (H, W) single-channel image (lossless at every zlib
    ``compression`` level 0-9; Pillow's encoder releases the GIL, so a writer thread encodes in parallel)."""
    return iio.imwrite("<bytes>", image, extension=".png", compress_level=compression)


def write_png(path: str | Path, image: np.ndarray, compression: int = PNG_COMPRESSION) -> None:
    write_bytes(path, encode_png(image, compression))


def append_line(path: str | Path, line: str) -> None:
    """Append one line with a single write followed by fsync, so a reader never sees half a line
    unless the machine itself dies mid-write (the reader skips a torn last line). After such a torn
    line the new one starts on a line of its own, so it is never glued to the fragment and lost. An
    error names ``path`` (ENOSPC from the write or fsync names none)."""
    with naming(Path(path)), open(path, "a+b") as fh:
        end = fh.seek(0, os.SEEK_END)
        torn = False
        if end > 0:
            fh.seek(end - 1)
            torn = fh.read(1) != b"\n"
        data = (b"\n" if torn else b"") + line.rstrip("\n").encode("utf-8") + b"\n"
        fh.write(data)  # append mode: the write goes to the end whatever the read position
        fh.flush()
        os.fsync(fh.fileno())

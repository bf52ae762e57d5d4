"""One run per output folder and shard: a lock file at the dataset root, held with ``fcntl.flock``.

    <dataset>/.synthsense.lock                          an unsharded run
    <dataset>/.synthsense.shard-0003-of-0008.lock       shard 3 of 8 (shards of one sweep run side by side)

The file holds the holder's pid and host, so a second run of the same shard stops at once with one line
naming them. The kernel drops the lock when its process ends, however it ends (a SIGKILL included), so
a file left behind by a killed run is harmless: the next run takes it over. A run removes its lock file
when it ends. flock works across hosts on local file systems and NFSv4; on file systems without lock
support (some FUSE mounts) taking the lock fails with that file system's error.
"""

from __future__ import annotations

import errno
import fcntl
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from formats.native import DatasetError, lock_name  # the names (native.py: the writer must know them)

__all__ = ["lock_name", "output_lock"]
_ATTEMPTS = 5  # tries to create the folder and open the lock file while another run removes the folder


@contextmanager
def output_lock(root: str | Path, shard_index: int = 0, num_shards: int = 1) -> Iterator[Path]:
    """Hold the lock of ``root`` for one shard while the block runs; DatasetError naming the holder (pid,
    host) if another live process holds it. Creates ``root`` if needed, and removes it again on the way
    out if the run left it empty (it failed before writing anything).

    Shards starting side by side race benignly: a run that finds the folder removed between its mkdir
    and opening the lock file (another shard's run that created it, failed and tidied it up) makes it
    again; a folder another run has written into by the time this one removes it is left in place."""
    root = Path(root)
    path = root / lock_name(shard_index, num_shards)
    what = "" if num_shards == 1 else f" of shard {shard_index} of {num_shards}"
    created = False
    for attempt in range(_ATTEMPTS):
        try:
            root.mkdir(parents=True)
            created = True
        except FileExistsError:
            pass
        try:
            fd = _acquire(path, f"output_dir {root} is in use by another run{what}")
            break
        except FileNotFoundError:  # the folder went between the mkdir and the open
            if attempt == _ATTEMPTS - 1:
                raise
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)  # before the close: a run that opens it now will find it gone, retry
        os.close(fd)
        if created:
            _remove_if_empty(root)


def _remove_if_empty(root: Path) -> None:
    """Remove ``root`` if it is empty; another run writing into it (or removing it) meanwhile is fine."""
    try:
        root.rmdir()  # removes only an empty folder
    except OSError as exc:
        if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOENT):
            raise


def _acquire(path: Path, busy: str) -> int:
    """Open and lock ``path`` (without waiting), then write this process's pid and host into it."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)  # the umask applies
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 256, 0).decode("utf-8", errors="replace").strip() or "a process still starting"
            os.close(fd)
            raise DatasetError(
                f"{busy}: {holder} holds {path}; wait for it to end or choose another output_dir"
            ) from None
        except OSError:
            os.close(fd)
            raise
        # the last holder removes the file as it ends: a lock on the removed file would exclude nobody
        try:
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"pid {os.getpid()} on host {socket.gethostname()}\n".encode(), 0)
    return fd

"""Index generations: each rebuild writes a new folder and publishes it atomically.

Layout of the index folder::

    CURRENT          "<current generation>\\n<previous generation>\\n", os.replace'd
    .lock            flock'ed by the rebuild in progress (the kernel drops it if that dies)
    g-<time>-<pid>/  one generation: Whoosh files, meta.json, records.jsonl.gz

Readers resolve CURRENT and open that folder; a generation is only named there after
all its files and its folder are fsync-ed, so readers never see a half-built one. A
crash at any moment leaves CURRENT naming the previous generation, and the next build
deletes the debris. The previous generation is kept one round, for readers that are
still switching.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from search.errors import IndexBusy

POINTER = "CURRENT"
LOCK = ".lock"
META = "meta.json"
_GENERATION = re.compile(r"g-\d{8}T\d{6}\d{6}-\d+")  # names we create; nothing else is trusted


def is_generation_name(name: str) -> bool:
    """Return True if `name` has the form of a generation folder name."""
    return bool(_GENERATION.fullmatch(name))


def _read_pointer(index_dir: Path) -> list[str]:
    try:
        lines = (index_dir / POINTER).read_text(encoding="utf-8").split()
    except (OSError, UnicodeDecodeError):
        return []
    return [line for line in lines if is_generation_name(line)]


def current_generation(index_dir: Path) -> Path | None:
    """Return the folder of the published generation, or None if there is none."""
    names = _read_pointer(index_dir)
    if not names:
        return None
    folder = index_dir / names[0]
    return folder if (folder / META).is_file() else None


def previous_generation(index_dir: Path) -> Path | None:
    """Return the folder of the generation published before the current one, or None."""
    names = _read_pointer(index_dir)
    if len(names) < 2:
        return None
    folder = index_dir / names[1]
    return folder if (folder / META).is_file() else None


def read_meta(generation: Path) -> dict[str, Any]:
    """Return a generation's meta.json (generation, built_at, documents, ...)."""
    data: dict[str, Any] = json.loads((generation / META).read_text(encoding="utf-8"))
    return data


def new_generation(index_dir: Path) -> Path:
    """Create and return an empty folder for a new generation."""
    index_dir.mkdir(parents=True, exist_ok=True)
    while True:
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        micro = f"{time.time_ns() // 1000 % 1_000_000:06d}"
        folder = index_dir / f"g-{stamp}{micro}-{os.getpid()}"
        try:
            folder.mkdir()
            return folder
        except FileExistsError:  # same microsecond: try the next one
            continue


def fsync_tree(folder: Path) -> None:
    """fsync every file in `folder` and the folder itself (Whoosh itself never fsyncs)."""
    for path in folder.iterdir():
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(index_dir: Path, generation: Path) -> None:
    """Make `generation` current with one atomic rename; the old current becomes previous."""
    old = _read_pointer(index_dir)
    names = [generation.name] + [n for n in old[:1] if n != generation.name]
    temporary = index_dir / f"{POINTER}.tmp"
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write("\n".join(names) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(index_dir / POINTER)
    _fsync_dir(index_dir)


def clean_up(index_dir: Path) -> list[str]:
    """Delete generations that are neither current nor previous, and stray temporary files.

    Call only while holding the rebuild lock: another build's folder is never debris then.
    Returns the names removed."""
    keep = set(_read_pointer(index_dir)[:2])
    if not keep:  # no readable pointer: nothing can be told debris from data, keep it all
        return []
    removed = []
    for path in index_dir.iterdir():
        if path.is_dir() and is_generation_name(path.name) and path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    with contextlib.suppress(FileNotFoundError):
        (index_dir / f"{POINTER}.tmp").unlink()
    return removed


ORPHAN_WAIT = 5.0  # seconds to wait for a dead holder's forked children to let go


def _try_lock(fd: int) -> bool:
    """Take the flock on `fd` without blocking; return False if a live build holds it.

    A build killed the instant it forked leaves a child that still shares the lock until
    it runs its at-fork hook (or notices its parent is gone): when the pid written in the
    file is dead, wait up to ORPHAN_WAIT seconds for that child rather than report a
    build that no longer runs."""
    deadline = time.monotonic() + ORPHAN_WAIT
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        if (holder.isdigit() and _alive(int(holder))) or time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


@contextlib.contextmanager
def rebuild_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index folder's rebuild lock, or raise IndexBusy naming the holder.

    flock is released by the kernel when its holder dies, so a crash never leaves a
    stale lock behind."""
    index_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(index_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _try_lock(fd):
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise IndexBusy(
                f"another rebuild-index (pid {holder}) is running on {index_dir}; "
                "wait for it to finish and try again"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        _held.append(fd)
        yield
    finally:
        if fd in _held:
            _held.remove(fd)
        os.close(fd)  # closing the descriptor releases the flock


# Forked workers inherit the lock's descriptor. If the build is killed, a worker still
# holding it would keep the lock until it noticed; so workers close it at once.
_held: list[int] = []


def _forget_lock_in_child() -> None:
    for fd in _held:
        with contextlib.suppress(OSError):
            os.close(fd)
    _held.clear()


os.register_at_fork(after_in_child=_forget_lock_in_child)

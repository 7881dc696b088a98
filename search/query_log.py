"""The query log: a bounded, rotating local record of the searches a server answers,
for `search stats --queries` (what people look for, what finds nothing, what is slow).

What a line holds (JSON, one search): when (UTC), where it came from (`page` or `api`),
the query text and every parameter that shapes the answer (filters, dates as given,
sort, match, mode, grouping, like, recency, page), the number of results, the time
taken, whether the answer was cached, and the index generation. Never the client's
address, cookies, headers or user agent.

Writing never slows a request: `record` only appends to an in-memory queue (bounded:
past MAX_PENDING entries waiting, new ones are dropped and counted); a thread writes
them out in batches every FLUSH_SECONDS. Files are size-capped and rotated: the current
`queries.jsonl`, renamed `queries-<time>-<pid>.jsonl` when the next line would pass
`file_bytes` or a new UTC day begins, and at most `files` files in all, the oldest
deleted first, as is any file last written more than `max_age` ago. Several worker
processes may share one folder: each appends whole lines with one write per batch.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from search.request import SearchRequest
from search.results import Filters, SearchResult

FILES = 10  # files kept, the current one included
FILE_BYTES = 10 * 1024 * 1024  # a file is rotated before it passes this: 100 MB in all
MAX_AGE = timedelta(days=30)  # a file last written longer ago than this is deleted
FLUSH_SECONDS = 1.0  # how long an entry may wait in memory before it is written
MAX_PENDING = 10_000  # entries waiting to be written; past this, new ones are dropped
PRUNE_SECONDS = 60.0  # how often an idle writer still deletes expired files
CURRENT = "queries.jsonl"
ROTATED = "queries-*.jsonl"


def default_folder(index_dir: Path) -> Path:
    """Return where the query log goes unless the operator says: beside the index
    (`index` -> `index-queries`), never inside a generation."""
    return index_dir.with_name(f"{index_dir.name}-queries")


def log_entry(
    request: SearchRequest, result: SearchResult, source: str, took_ms: float, cached: bool
) -> dict[str, Any]:
    """Return the log line of one search (without its time, which `record` adds)."""
    given = Filters.of(request)
    return {
        "source": source,
        "q": request.q,
        "filters": dict(request.filters),
        "from": given.from_,
        "to": given.to,
        "sort": result.sort,
        "match": request.match,
        "mode": result.mode,
        "group": request.group,
        "like": request.like,
        "recency": request.recency,
        "page": request.page,
        "per_page": request.per_page,
        "total": result.total,
        "took_ms": round(took_ms, 3),
        "cached": cached,
        "generation": result.generation,
    }


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class QueryLog:
    """A writer thread appending recorded searches to size-capped, rotated files."""

    def __init__(
        self,
        folder: Path,
        *,
        files: int = FILES,
        file_bytes: int = FILE_BYTES,
        max_age: timedelta = MAX_AGE,
        flush_seconds: float = FLUSH_SECONDS,
    ) -> None:
        self.folder = folder
        self.files, self.file_bytes, self.max_age = max(1, files), file_bytes, max_age
        self.flush_seconds = flush_seconds
        self.dropped = 0  # entries dropped because the queue was full
        self._pending: deque[dict[str, Any]] = deque()
        self._wake = threading.Event()
        self._closing = False
        self._lock = threading.Lock()  # one flush at a time (the thread, or close)
        self._pruned = 0.0
        self._rotations = 0  # in the file names: two rotations never share one
        self._thread = threading.Thread(target=self._run, name="query-log", daemon=True)

    def start(self) -> QueryLog:
        """Create the folder, delete expired files and start the writer; return self."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.prune()
        self._thread.start()
        return self

    def record(self, entry: Mapping[str, Any]) -> None:
        """Queue one search for writing (cheap: no I/O, no encoding, safe from any thread)."""
        if len(self._pending) >= MAX_PENDING:
            self.dropped += 1
            return
        self._pending.append({"ts": _now().isoformat(timespec="milliseconds") + "Z", **entry})

    def close(self) -> None:
        """Write what is queued and stop the writer."""
        self._closing = True
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self.flush()

    def _run(self) -> None:
        while not self._closing:
            self._wake.wait(self.flush_seconds)
            self.flush()
            if time.monotonic() - self._pruned > PRUNE_SECONDS:
                self.prune()

    def flush(self) -> int:
        """Write every queued entry, rotating files as they fill; return how many."""
        with self._lock:
            lines = []
            while self._pending:
                entry = self._pending.popleft()
                # The line json.dumps(ensure_ascii=False, separators=(",", ":")) writes, in
                # a tenth of the time (this thread holds the GIL the searches need).
                lines.append(orjson.dumps(entry).decode() + "\n")
            if lines:
                self._write(lines)
            return len(lines)

    def _write(self, lines: list[str]) -> None:
        current = self.folder / CURRENT
        size = _size(current)
        if size and _first_day(current) != _now().date():  # a new day, a new file
            size = self._rotate()
        chunk: list[str] = []
        for line in lines:
            length = len(line.encode("utf-8"))
            if size and size + length > self.file_bytes:
                _append(current, chunk)
                chunk, size = [], self._rotate()
            chunk.append(line)
            size += length
        _append(current, chunk)

    def _rotate(self) -> int:
        """Rename the current file aside, delete past the caps; return the new size: 0."""
        self._rotations += 1
        name = f"queries-{_now():%Y%m%dT%H%M%S%f}-{os.getpid()}-{self._rotations}.jsonl"
        with contextlib.suppress(FileNotFoundError):  # another worker rotated it first
            (self.folder / CURRENT).replace(self.folder / name)
        self.prune()
        return 0

    def prune(self) -> list[Path]:
        """Delete rotated files past the count cap (oldest first) or the age cap; return
        the files deleted."""
        self._pruned = time.monotonic()
        rotated = sorted(self.folder.glob(ROTATED))  # names sort by rotation time
        expired = time.time() - self.max_age.total_seconds()
        doomed = rotated[: max(0, len(rotated) - (self.files - 1))]
        doomed += [p for p in rotated[len(doomed) :] if _mtime(p) < expired]
        current = self.folder / CURRENT
        if _mtime(current) < expired:
            doomed.append(current)
        for path in doomed:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        return doomed


def _append(path: Path, lines: list[str]) -> None:
    if lines:  # one write of whole lines: workers sharing the file never interleave them
        with path.open("a", encoding="utf-8") as out:
            out.write("".join(lines))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return float("inf")


def _first_day(path: Path) -> date | None:
    """Return the UTC day of a log file's first entry (None if unreadable)."""
    try:
        with path.open(encoding="utf-8") as lines:
            return datetime.fromisoformat(json.loads(lines.readline())["ts"][:10]).date()
    except (OSError, ValueError, KeyError, TypeError):
        return None


def read_entries(folder: Path, since: datetime | None = None) -> Iterator[dict[str, Any]]:
    """Yield the logged searches in `folder` (oldest file first) made at or after `since`
    (naive UTC); lines that are not whole JSON objects (a write cut short) are skipped."""
    cutoff = since.isoformat() if since is not None else ""
    for path in [*sorted(folder.glob(ROTATED)), folder / CURRENT]:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            continue
        for line in text.splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and str(entry.get("ts", "")) >= cutoff:
                yield entry

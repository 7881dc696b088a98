"""The local backend: ranked search with disjunctive facets over Whoosh generations.

    backend = LocalBackend.open(Path("index"))
    result = backend.search(SearchRequest(q="facial recognition", filters={"topic": ["AI"]}))

LocalBackend follows the index folder's CURRENT pointer, opens a newly published
generation beside the old one and switches over when it is ready, so it never reads a
half-built index and needs no restart. Servers call watch(): a background thread then
looks at CURRENT twice a second and does the opening, so no request waits for it;
without it, the request path looks at most once a second. Every answer comes from one
Snapshot from start to end and names it. It is safe to call from many threads, and it
keeps no answers: caching is the web layer's (one cache, whatever the backend).
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from search.errors import DocumentNotFound, IndexCorrupt, IndexMissing
from search.local.searching.hits import document_detail
from search.local.searching.run import run_search
from search.local.searching.snapshot import Snapshot
from search.local.searching.suggest import suggest_for
from search.local.store import checksums, generations
from search.lookup_results import DocumentDetail, Health, Suggestions
from search.request import SearchRequest
from search.results import SearchResult

_ID = re.compile(r"[0-9a-f]{16}")  # search.identity.doc_id's form
CHECK_INTERVAL = 1.0  # seconds between looks at CURRENT from the request path
WATCH_INTERVAL = 0.5  # seconds between looks by the watcher thread (servers)


class LocalBackend:
    """Searches the current generation of one index folder."""

    in_process = True  # computed here, from files: its time is its own (Backend)

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self._snapshot: Snapshot | None = None
        self._checked = 0.0
        self._pointer: str | None = None
        self._switch = threading.Lock()
        self._watcher: threading.Thread | None = None
        self._stop = threading.Event()
        self._damaged: dict[str, list[str]] = {}  # generations whose checksums failed
        self._fully_checked: set[str] = set()

    @classmethod
    def open(cls, index_dir: Path) -> LocalBackend:
        """Return a backend for `index_dir`; a missing index is not an error until a search."""
        engine = cls(index_dir)
        with contextlib.suppress(IndexMissing, IndexCorrupt):  # said by requests (503)
            engine._current()
        return engine

    def _current(self) -> Snapshot:
        """Return the snapshot of the current generation, switching if a new one appeared."""
        snapshot = self._snapshot
        if snapshot is not None and (
            self._watcher is not None or time.monotonic() - self._checked < CHECK_INTERVAL
        ):
            return snapshot
        return self._refresh(blocking=snapshot is None)

    def _refresh(self, blocking: bool, warm: bool = False) -> Snapshot:
        """Open the generation CURRENT names if it is new (and `warm` it before switching
        to it, when replacing one); return the snapshot in use."""
        if not self._switch.acquire(blocking=blocking):
            return self._snapshot  # type: ignore[return-value]  # another thread is switching
        try:
            self._checked = time.monotonic()
            folder = generations.current_generation(self.index_dir)
            if folder is None:
                if self._snapshot is None:
                    raise IndexMissing(self.index_dir)
                return self._snapshot
            if self._snapshot is None or folder.name != self._snapshot.name:
                try:
                    fresh = self._open(folder, full=warm)
                except IndexCorrupt as exc:  # keep the old one, or fall back to the previous
                    if self._snapshot is not None:
                        return self._snapshot
                    fresh = self._fallback(exc)
                except Exception as exc:  # deleted under us or unreadable: keep the old one
                    if self._snapshot is None:
                        raise IndexMissing(self.index_dir) from exc
                    return self._snapshot
                if warm and self._snapshot is not None:  # the old generation serves meanwhile
                    with contextlib.suppress(Exception):  # only an optimisation: never fatal
                        fresh.warm(self._stop.is_set)
                old, self._snapshot = self._snapshot, fresh
                if old is not None:
                    old.retire()
            return self._snapshot
        finally:
            self._switch.release()

    def _open(self, folder: Path, full: bool) -> Snapshot:
        """Return a snapshot of `folder` once its checksums hold: sizes and small files
        always, every byte when `full` (servers, off the request path). Raises
        IndexCorrupt, remembered so a damaged generation is checked once."""
        # A fresh exception each time: re-raising one object would grow its traceback.
        known = self._damaged.get(folder.name)
        if known is not None:
            raise IndexCorrupt(folder.name, known)
        problems = checksums.verify(folder, full=full)
        if problems:
            self._damaged[folder.name] = problems
            raise IndexCorrupt(folder.name, problems)
        if full:
            self._fully_checked.add(folder.name)
        return Snapshot(folder)

    def _fallback(self, damaged: IndexCorrupt) -> Snapshot:
        """Return a snapshot of the previous generation, sound, in place of the damaged
        current one; raise `damaged` when there is none."""
        previous = generations.previous_generation(self.index_dir)
        if previous is None or previous.name == damaged.generation:
            raise damaged
        try:
            return self._open(previous, full=True)
        except Exception:
            raise damaged from None

    def _verify_served(self) -> None:
        """Hash every file of the generation in use, once (servers, before serving it):
        damaged, it is replaced by the previous generation, or by nothing (503s)."""
        with self._switch:
            snapshot = self._snapshot
            if snapshot is None or snapshot.name in self._fully_checked:
                return
            problems = checksums.verify(snapshot.folder, full=True)
            self._fully_checked.add(snapshot.name)
            if not problems:
                return
            self._damaged[snapshot.name] = problems
            damaged = IndexCorrupt(snapshot.name, problems)
            try:
                self._snapshot = self._fallback(damaged)
            except IndexCorrupt:
                self._snapshot = None
            snapshot.retire()

    def warm(self) -> int:
        """Read the commonest words' postings of the current generation now, rather than
        in the first searches that need them (servers, before serving); return how many
        terms were read (0 without an index). Every file of the generation is checked
        against its checksums first."""
        with contextlib.suppress(IndexMissing, IndexCorrupt):
            self._current()
            self._verify_served()
        with contextlib.suppress(IndexMissing, IndexCorrupt), self.snapshot() as snapshot:
            return snapshot.warm(self._stop.is_set)
        return 0

    def watch(self, interval: float = WATCH_INTERVAL) -> None:
        """Open (and warm) new generations in a background thread, so no request waits
        for one."""
        if self._watcher is not None:
            return

        def loop() -> None:
            while not self._stop.is_set():
                with contextlib.suppress(IndexMissing):
                    self._refresh(blocking=True, warm=True)
                self._stop.wait(interval)

        self._watcher = threading.Thread(target=loop, name="generation-watcher", daemon=True)
        self._watcher.start()

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """Yield the current snapshot, kept open until the block ends."""
        snapshot = self._current()
        while not snapshot.acquire():  # retired since we looked: take the new one
            snapshot = self._current()
        try:
            yield snapshot
        finally:
            snapshot.release()

    def search(self, request: SearchRequest) -> SearchResult:
        """Return the result of `request` (raises IndexMissing, BadQuery, SearchTimeout)."""
        started = time.perf_counter()
        with self.snapshot() as snapshot:
            return run_search(snapshot, request, started)

    def suggest(self, prefix: str, limit: int = 8) -> Suggestions:
        """Return search-as-you-type completions for `prefix`."""
        with self.snapshot() as snapshot:
            found = suggest_for(snapshot, prefix, limit)
            return Suggestions(prefix, found, snapshot.name)

    def document(self, doc_id: str) -> DocumentDetail:
        """Return one document and its story's coverage (raises DocumentNotFound)."""
        with self.snapshot() as snapshot:
            number = snapshot.number_of(doc_id) if _ID.fullmatch(doc_id) else None
            if number is None:
                raise DocumentNotFound(f"no document with id {doc_id[:40]!r}")
            return document_detail(snapshot, number)

    def health(self) -> Health:
        """Return what is served (raises IndexMissing when there is no index)."""
        with self.snapshot() as snapshot:
            built = snapshot.meta.get("built_at")
            current = generations.current_generation(self.index_dir)
            problems = self._damaged.get(current.name) if current is not None else None
            damaged = IndexCorrupt(current.name, problems) if current and problems else None
            return Health(
                "ok",
                snapshot.documents,
                snapshot.name,
                str(built) if built else None,
                vectors=snapshot.vectors is not None,
                problem=str(damaged) if damaged and damaged.generation != snapshot.name else None,
            )

    def verify(self) -> dict[str, list[str] | None]:
        """Hash every file of the current and previous generations against their
        checksums; return {generation: problems} (an empty list: sound; None: built
        without checksums, so it cannot be checked)."""
        found: dict[str, list[str] | None] = {}
        for folder in (
            generations.current_generation(self.index_dir),
            generations.previous_generation(self.index_dir),
        ):
            if folder is None:
                continue
            if not checksums.has_checksums(folder):
                found[folder.name] = None
                continue
            found[folder.name] = checksums.verify(folder, full=True)
        if not found:
            raise IndexMissing(self.index_dir)
        return found

    def generation(self) -> str | None:
        """Return the name of the generation in use (None before one is open); cheap."""
        snapshot = self._snapshot
        return snapshot.name if snapshot is not None else None

    def stats(self) -> dict[str, object]:
        """Return the current generation's build metadata, its size on disk and path."""
        current = generations.current_generation(self.index_dir)
        if current is None:
            raise IndexMissing(self.index_dir)
        meta: dict[str, object] = generations.read_meta(current)
        meta["size_bytes"] = sum(p.stat().st_size for p in current.iterdir() if p.is_file())
        meta["path"] = str(current)
        return meta

    def close(self) -> None:
        """Stop watching and close the open generation."""
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join()
            self._watcher = None
        with self._switch:
            if self._snapshot is not None:
                self._snapshot.retire()
                self._snapshot = None

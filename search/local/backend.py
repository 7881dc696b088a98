"""The search engine: ranked search with disjunctive facets, filters, highlights, suggestions.

    engine = Engine.open(Path("index"))
    result = engine.search(SearchRequest(q="facial recognition", topics=("AI",)))

Engine follows the index folder's CURRENT pointer, opens a newly published generation
beside the old one and switches over when it is ready, so it never reads a half-built
index and needs no restart. Servers call watch(): a background thread then looks at
CURRENT twice a second and does the opening, so no request waits for it; without it,
the request path looks at most once a second. Every search runs
against one Snapshot from start to end. It is safe to call from many threads.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from search.errors import IndexMissing, SearchError
from search.local.searching.hits import document_detail
from search.local.searching.run import run_search, suggest_for
from search.local.searching.snapshot import Snapshot
from search.local.store import generations
from search.results import DocumentDetail, SearchRequest, SearchResult, Suggestion

_ID = re.compile(r"[0-9a-f]{16}")  # search.identity.doc_id's form
CHECK_INTERVAL = 1.0  # seconds between looks at CURRENT from the request path
WATCH_INTERVAL = 0.5  # seconds between looks by the watcher thread (servers)
RESULT_CACHE = 2048  # answers kept per engine; keyed by generation and normalised request


class DocumentNotFound(SearchError):
    """No document has the requested id."""

    status_code = 404
    code = "not_found"


class Engine:
    """Searches the current generation of one index folder."""

    def __init__(self, index_dir: Path, *, cache: bool = True) -> None:
        self.index_dir = index_dir
        self.cache_enabled = cache
        self._snapshot: Snapshot | None = None
        self._checked = 0.0
        self._pointer: str | None = None
        self._switch = threading.Lock()
        self._cache: OrderedDict[tuple[str, SearchRequest], SearchResult] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._watcher: threading.Thread | None = None
        self._stop = threading.Event()

    @classmethod
    def open(cls, index_dir: Path, *, cache: bool = True) -> Engine:
        """Return an engine for `index_dir`; a missing index is not an error until a search."""
        engine = cls(index_dir, cache=cache)
        with contextlib.suppress(IndexMissing):
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
                    fresh = Snapshot(folder)
                except Exception as exc:  # deleted under us or damaged: keep the old one
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

    def warm(self) -> int:
        """Read the commonest words' postings of the current generation now, rather than
        in the first searches that need them (servers, before serving); return how many
        terms were read (0 without an index)."""
        with contextlib.suppress(IndexMissing), self.snapshot() as snapshot:
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
        while True:
            snapshot = self._current()
            snapshot.acquire()
            if not snapshot._retired:
                break
            snapshot.release()  # switched between the two lines above: take the new one
        try:
            yield snapshot
        finally:
            snapshot.release()

    def search(self, request: SearchRequest) -> SearchResult:
        """Return the result of `request` (raises IndexMissing, BadQuery)."""
        started = time.perf_counter()
        with self.snapshot() as snapshot:
            key = (snapshot.name, request)
            if self.cache_enabled:
                cached = self._cache.get(key)
                if cached is not None:
                    took = round((time.perf_counter() - started) * 1000, 3)
                    return replace(cached, took_ms=took)
            result = run_search(snapshot, request, started)
        if self.cache_enabled:
            with self._cache_lock:
                self._cache[key] = result
                while len(self._cache) > RESULT_CACHE:
                    self._cache.popitem(last=False)
        return result

    def suggest(
        self, prefix: str, limit: int = 8, *, snapshot: Snapshot | None = None
    ) -> list[Suggestion]:
        """Return search-as-you-type completions for `prefix` (from `snapshot` if given,
        so a caller holding one answers from one generation throughout)."""
        with self._using(snapshot) as current:
            return suggest_for(current, prefix, limit)

    def document(self, doc_id: str, *, snapshot: Snapshot | None = None) -> DocumentDetail:
        """Return one document and its story's coverage (raises DocumentNotFound)."""
        with self._using(snapshot) as current:
            number = current.number_of(doc_id) if _ID.fullmatch(doc_id) else None
            if number is None:
                raise DocumentNotFound(f"no document with id {doc_id[:40]!r}")
            return document_detail(current, number)

    @contextlib.contextmanager
    def _using(self, snapshot: Snapshot | None) -> Iterator[Snapshot]:
        if snapshot is not None:
            yield snapshot
        else:
            with self.snapshot() as current:
                yield current

    def health(self) -> dict[str, object]:
        """Return the /healthz body (raises IndexMissing when there is no index)."""
        with self.snapshot() as snapshot:
            return {
                "status": "ok",
                "documents": snapshot.documents,
                "generation": snapshot.name,
                "built_at": snapshot.meta.get("built_at"),
            }

    def generation_name(self) -> str | None:
        """Return the name of the generation in use (None before one is open); cheap."""
        snapshot = self._snapshot
        return snapshot.name if snapshot is not None else None

    def clear_cache(self) -> None:
        """Forget every cached answer."""
        with self._cache_lock:
            self._cache.clear()

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

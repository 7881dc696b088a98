"""The OpenSearch backend: the Backend protocol over an alias on a cluster.

    backend = OpenSearchBackend.open(Cluster.from_env("http://127.0.0.1:9200"))
    backend.search(SearchRequest(q="facial recognition"))

The alias (default "news") names the index in service; each build makes a new index
and moves the alias (search.opensearch.indexer). A search reads the concrete index the
alias pointed to when it started, so its answer names one index (the generation) from
start to end, even while a rebuild swaps the alias. The cluster unreachable, or unable
to answer, is a 503 naming the backend; the backend recovers by itself when it returns.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from opensearchpy import exceptions as os_errors

from search.errors import BackendUnavailable, BadQuery, DocumentNotFound, IndexMissing
from search.lookup_results import DocumentDetail, Health, StoryCoverage, Suggestions
from search.opensearch import searching
from search.opensearch.connection import (
    PARTIAL_PAUSE_S,
    PARTIAL_RETRIES,
    UNAVAILABLE,
    Cluster,
    failed_shards,
    unavailable,
)
from search.opensearch.index_meta import IndexMeta
from search.opensearch.likeness import LIKE_FIELDS, like_text
from search.opensearch.strategy import Strategy
from search.opensearch.suggestions import did_you_mean, suggestions
from search.opensearch.text_query import Unit, explicit_query, plan_text
from search.request import SearchRequest
from search.results import Hit, SearchResult

CHECK_INTERVAL = 1.0  # seconds between looks at the alias from the request path
WATCH_INTERVAL = 0.5  # seconds between looks by the watcher thread (servers)
SUGGEST_BELOW = 3  # did-you-mean when fewer documents hold the words (as locally)
COVERAGE_LIMIT = 100
T = TypeVar("T")
LOG = logging.getLogger(__name__)


class OpenSearchBackend:
    """Searches the index an alias names on an OpenSearch cluster."""

    in_process = False  # each search waits on the cluster: never run on an event loop

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.client = cluster.client()
        self._index: str | None = None
        self._checked = 0.0
        self._metas: dict[str, IndexMeta] = {}
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None
        self._stop = threading.Event()

    @classmethod
    def open(cls, cluster: Cluster) -> OpenSearchBackend:
        """Return a backend for `cluster`; a missing index or an unreachable cluster is not
        an error until a request needs them (the server starts and answers 503)."""
        backend = cls(cluster)
        with contextlib.suppress(Exception):
            backend._current()
        return backend

    # --- the index in service -----------------------------------------------------------

    def _call(self, action: Callable[[], T]) -> T:
        """Return `action()`, turning an unreachable cluster into BackendUnavailable; an
        answer some shards failed to give is asked again (never returned short)."""
        for attempt in range(1, PARTIAL_RETRIES + 2):
            try:
                found = action()
            except UNAVAILABLE as exc:
                raise unavailable(self.cluster, exc) from exc
            except os_errors.RequestError as exc:  # our DSL refused: too many clauses, say
                raise BadQuery(f"the query could not be run ({exc.error})", param="q") from exc
            except os_errors.TransportError as exc:
                if isinstance(exc.status_code, int) and exc.status_code >= 500:
                    raise unavailable(self.cluster, exc) from exc
                raise
            failed = failed_shards(found)
            if not failed:
                return found
            LOG.warning("%d shard(s) failed to answer (try %d); asking again", failed, attempt)
            time.sleep(PARTIAL_PAUSE_S * attempt)
        raise BackendUnavailable(
            f"the search backend (OpenSearch at {self.cluster.shown()}) answered only in part "
            f"({failed} shard(s) failed {PARTIAL_RETRIES + 1} times); try again shortly"
        )

    def _current(self, force: bool = False) -> str:
        """Return the concrete index the alias names (looked up at most once a second)."""
        index = self._index
        fresh = self._watcher is not None or time.monotonic() - self._checked < CHECK_INTERVAL
        if index is not None and fresh and not force:
            return index
        try:
            found = self._call(lambda: self.client.indices.get_alias(name=self.cluster.alias))
        except os_errors.NotFoundError:
            raise IndexMissing(self.cluster.alias) from None
        names = sorted(found)
        if not names:
            raise IndexMissing(self.cluster.alias)
        index = str(names[-1])
        self._index, self._checked = index, time.monotonic()
        return index

    def _meta(self, index: str) -> IndexMeta:
        meta = self._metas.get(index)
        if meta is None:
            mapping = self._call(lambda: self.client.indices.get_mapping(index=index))
            count = self._call(lambda: self.client.count(index=index))["count"]
            meta = IndexMeta.of(mapping[index]["mappings"].get("_meta") or {}, int(count))
            with self._lock:
                self._metas = {index: meta}  # one index serves at a time: drop the old one
        return meta

    def _retrying(self, action: Callable[[str], T]) -> T:
        """Return `action(index)`; if a rebuild removed that index meanwhile, look the
        alias up again and run it once more."""
        index = self._current()
        try:
            return action(index)
        except (os_errors.NotFoundError, BackendUnavailable, BadQuery):
            # Deleted or closing under us (its shards fail while a rebuild removes it, as a
            # 404, a 503 or a 400 search_phase_execution_exception): if the alias has moved
            # on, the new index answers (a query truly refused is refused there too); else
            # the error stands.
            moved = self._current(force=True)
            if moved == index:
                raise
            return action(moved)

    # --- the protocol -------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResult:
        """Return the result of `request` (raises IndexMissing, BadQuery, BackendUnavailable)."""
        return self._retrying(lambda index: self._search(index, request))

    def _search(self, index: str, request: SearchRequest) -> SearchResult:
        started = time.perf_counter()
        meta = self._meta(index)
        clauses = searching.filter_clauses(request)
        text, matching = request.q, None
        query: dict[str, Any]
        exclude: list[str] = []
        if request.like is not None:
            text = self._like(index, meta, request.like)
            exclude = [request.like]
        strategy = Strategy(self.client, index, self._call)
        if not text.strip():
            query = {"match_none": {}} if request.like is not None else {"match_all": {}}
        else:
            planned = plan_text(text, meta.synonyms, lambda units: self._frequencies(index, units))
            if planned is None:
                query, _ = explicit_query(text)
            else:
                query, matching = strategy.match(planned, request.match)
        if exclude:
            query = {"bool": {"must": [query], "must_not": [{"ids": {"values": exclude}}]}}
        if request.recency and request.effective_sort == "relevance" and text.strip():
            origin = self._newest(index, query, clauses) or meta.newest
            query = searching.with_recency(query, request.recency, origin)
        start = (request.page - 1) * request.per_page
        facet_response = None
        relaxed = matching is not None and matching.required < matching.words
        try:
            if request.group:
                body = searching.grouped_body(request, query, clauses, start)
                if relaxed:  # counted in the same request rather than one more
                    body["aggs"]["every_word"] = strategy.every_word(clauses)
                if request.facets:
                    facets = {"size": 0, "query": query, "track_total_hits": False}
                    facets["aggs"] = searching.facet_aggregations(request, clauses)
                    both = self._call(
                        lambda: self.client.msearch(
                            body=[{"index": index}, body, {"index": index}, facets]
                        )
                    )["responses"]
                    for part in both:
                        _raise_for(part)
                    response, facet_response = both
                else:
                    response = self._call(lambda: self.client.search(index=index, body=body))
            else:
                body = searching.search_body(request, query, clauses, start)
                if relaxed:
                    body.setdefault("aggs", {})["every_word"] = strategy.every_word(clauses)
                response = self._call(lambda: self.client.search(index=index, body=body))
        except os_errors.RequestError as exc:
            raise BadQuery(f"the query could not be run ({exc.error})", param="q") from exc
        suggestion = None
        if request.like is None and text.strip():
            held = int(response["hits"]["total"]["value"])
            if relaxed:
                held = int(response["aggregations"]["every_word"]["doc_count"])
            if held < SUGGEST_BELOW:
                suggestion = did_you_mean(self.client, index, text, clauses, held, self._call)
        return searching.result_of(
            request,
            response,
            facet_response,
            query_text=text,
            index=index,
            display=meta.display,
            matching=matching,
            took_ms=round((time.perf_counter() - started) * 1000, 3),
            suggestion=suggestion,
            daily=lambda first, last: self._daily(index, query, clauses, first, last),
        )

    def _daily(
        self, index: str, query: dict[str, Any], clauses: dict[str, Any], first: int, last: int
    ) -> dict[int, int]:
        """Return {day number: documents} over days first..last for the timeline, under
        every filter but the dates (as the date facets count)."""
        chosen = [c for name, c in clauses.items() if c is not None and name != "date"]
        day = 24 * 60 * 60 * 1000
        bounds = {"gte": first * day, "lt": (last + 1) * day, "format": "epoch_millis"}
        chosen.append({"range": {"published": bounds}})
        histogram = {"field": "published", "calendar_interval": "day", "min_doc_count": 1}
        body = {
            "size": 0,
            "track_total_hits": False,
            "query": {"bool": {"must": [query], "filter": chosen}},
            "aggs": {"days": {"date_histogram": histogram}},
        }
        found = self._call(lambda: self.client.search(index=index, body=body))
        buckets = found["aggregations"]["days"]["buckets"]
        return {int(b["key"]) // day: int(b["doc_count"]) for b in buckets}

    def _newest(self, index: str, query: dict[str, Any], clauses: dict[str, Any]) -> str | None:
        """Return the newest publication date among the matches (recency's origin, as
        locally: the newest keeps its score), or None when none is dated."""
        chosen = [c for c in clauses.values() if c is not None]
        body = {
            "size": 0,
            "track_total_hits": False,
            "query": {"bool": {"must": [query], "filter": chosen}},
            "aggs": {"newest": {"max": {"field": "published", "format": "strict_date_time"}}},
        }
        found = self._call(lambda: self.client.search(index=index, body=body))
        newest = found["aggregations"]["newest"]
        return str(newest["value_as_string"]) if newest.get("value") is not None else None

    def _frequencies(self, index: str, units: list[Unit]) -> list[int]:
        """Return how many documents hold each unit's words (one multi-search)."""
        bodies: list[dict[str, Any]] = []
        for unit in units:
            words = " ".join(unit.words)
            match = {"multi_match": {"query": words, "fields": ["title", "excerpt", "body"]}}
            bodies += [{"index": index}, {"size": 0, "query": match, "track_total_hits": True}]
        found = self._call(lambda: self.client.msearch(body=bodies))["responses"]
        return [int(r.get("hits", {}).get("total", {}).get("value", 0)) for r in found]

    def _like(self, index: str, meta: IndexMeta, doc_id: str) -> str:
        """Return the "more like this" query text of a document ("" when there is none)."""
        try:
            source = self._call(
                lambda: self.client.get(index=index, id=doc_id, _source_includes=list(LIKE_FIELDS))
            )["_source"]
            # An artificial document holding the title and excerpt in both fields: the
            # statistics then cover every word in either field, as the local max() does.
            both = " ".join(str(source.get(name) or "") for name in LIKE_FIELDS)
            body = {
                "doc": dict.fromkeys(LIKE_FIELDS, both),
                "fields": list(LIKE_FIELDS),
                "term_statistics": True,
                "field_statistics": False,
                "positions": False,
                "offsets": False,
            }
            vectors = self._call(lambda: self.client.termvectors(index=index, body=body))
        except os_errors.NotFoundError:
            return ""
        return like_text(source, vectors, meta.documents)

    def suggest(self, prefix: str, limit: int = 8) -> Suggestions:
        """Return search-as-you-type completions for `prefix`."""

        def run(index: str) -> Suggestions:
            found = suggestions(self.client, index, self._meta(index), prefix, limit, self._call)
            return Suggestions(prefix, found, index)

        return self._retrying(run)

    def document(self, doc_id: str) -> DocumentDetail:
        """Return one document and its story's coverage (raises DocumentNotFound)."""
        return self._retrying(lambda index: self._document(index, doc_id))

    def _document(self, index: str, doc_id: str) -> DocumentDetail:
        missing = DocumentNotFound(f"no document with id {doc_id[:40]!r}")
        if not searching.ID.fullmatch(doc_id):
            raise missing
        try:
            raw = self._call(lambda: self.client.get(index=index, id=doc_id))
        except os_errors.NotFoundError:
            raise missing from None
        source = raw["_source"]
        hit = searching.make_hit(raw, relaxed=False)
        related: list[Hit] = []
        wanted = [r for r in (source.get("related") or [])[:COVERAGE_LIMIT] if r != doc_id]
        if wanted:
            found = self._call(lambda: self.client.mget(index=index, body={"ids": wanted}))
            related = [searching.make_hit(d, False) for d in found["docs"] if d.get("found")]
        coverage_body = {
            "query": {
                "bool": {
                    "filter": [{"term": {"story": source["story"]}}],
                    "must_not": [{"ids": {"values": [doc_id]}}],
                }
            },
            "size": COVERAGE_LIMIT,
            "sort": searching.sort_of("newest"),
            "_source": searching.HIT_FIELDS,
        }
        members = self._call(lambda: self.client.search(index=index, body=coverage_body))
        story = StoryCoverage(
            id=source["story"],
            size=int(source.get("story_size") or 1),
            coverage=[searching.make_hit(h, False) for h in members["hits"]["hits"]],
        )
        return DocumentDetail.of(
            hit, source, [replace(h, score=0.0) for h in related], story, index
        )

    def health(self) -> Health:
        """Return what is served (raises IndexMissing, BackendUnavailable)."""

        def run(index: str) -> Health:
            # Asked of the cluster every time (the alias and metadata are cached): a
            # health check must fail when the cluster does.
            documents = self._call(lambda: self.client.count(index=index))["count"]
            built_at = self._meta(index).built_at
            return Health("ok", int(documents), index, built_at, vectors=False)

        return self._retrying(run)

    def generation(self) -> str | None:
        """Return the index the alias named at the last look (None before one)."""
        return self._index

    def stats(self) -> dict[str, object]:
        """Return the index's build metadata, size and where it is."""
        index = self._current(force=True)
        meta = self._meta(index)
        stats = self._call(lambda: self.client.indices.stats(index=index, metric="store,docs"))
        total = stats["indices"][index]["primaries"]
        return {
            **meta.build,
            "generation": index,
            "documents": meta.documents,
            "size_bytes": int(total["store"]["size_in_bytes"]),
            "path": f"{self.cluster.shown()} alias {self.cluster.alias}",
            "backend": "opensearch",
        }

    def warm(self) -> int:
        """Look the alias and its index's metadata up now; return 1 if there is an index."""
        with contextlib.suppress(Exception):
            self._meta(self._current(force=True))
            return 1
        return 0

    def watch(self, interval: float = WATCH_INTERVAL) -> None:
        """Follow the alias in a background thread, so no request waits for the look-up."""
        if self._watcher is not None:
            return

        def loop() -> None:
            while not self._stop.is_set():
                with contextlib.suppress(Exception):  # unreachable: requests say so (503)
                    self._meta(self._current(force=True))
                self._stop.wait(interval)

        self._watcher = threading.Thread(target=loop, name="alias-watcher", daemon=True)
        self._watcher.start()

    def close(self) -> None:
        """Stop watching and close the connections."""
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join()
            self._watcher = None
        with contextlib.suppress(Exception):
            self.client.close()


def _raise_for(part: dict[str, Any]) -> None:
    """Raise the error one answer of a multi-search carries, as the client would."""
    error = part.get("error")
    if error is None:
        return
    status = int(part.get("status") or 500)
    kind = error.get("type", "error") if isinstance(error, dict) else str(error)
    if status == 404:
        raise os_errors.NotFoundError(status, kind, error)
    if status == 400:
        raise os_errors.RequestError(status, kind, error)
    raise os_errors.TransportError(status, kind, error)

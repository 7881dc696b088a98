"""The Backend protocol: what the web layer and the CLI may ask of a search engine.

Two implementations stand behind it: the embedded default (`search.local`, Whoosh
generations in a folder) and, for clusters, OpenSearch. Every answer names the
generation (or index version) it came from, so one HTTP response never mixes two:
the ETag, `X-Index-Generation` and the body all come from the same answer object.

    backend = open_backend(Settings(index_dir=Path("index")))
    result = backend.search(SearchRequest(q="facial recognition"))
    result.generation  # the generation that answered
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from search.config import BACKENDS, Settings
from search.errors import BuildError, SearchError
from search.lookup_results import DocumentDetail, Health, Suggestions
from search.model import IndexReport
from search.request import SearchRequest
from search.results import SearchResult

Progress = Callable[[int, int], None]  # (done, total) while a build reads or writes


class Backend(Protocol):
    """A search engine serving one index; safe to call from many threads."""

    # True when a search is computed in this process and waits on nothing else, so its
    # time last time tells its time now (a server runs the quick ones on its event
    # loop: search.web.turns); False when it waits on another server.
    in_process: bool

    def search(self, request: SearchRequest) -> SearchResult:
        """Return the answer to `request` (raises BadQuery, IndexMissing, SearchTimeout)."""
        ...

    def suggest(self, prefix: str, limit: int = 8) -> Suggestions:
        """Return search-as-you-type completions for `prefix`."""
        ...

    def document(self, doc_id: str) -> DocumentDetail:
        """Return one document with its coverage (raises DocumentNotFound)."""
        ...

    def health(self) -> Health:
        """Return what is served (raises IndexMissing when nothing is)."""
        ...

    def generation(self) -> str | None:
        """Return the name of the generation in use, cheaply (None before one is open)."""
        ...

    def stats(self) -> dict[str, object]:
        """Return what the index holds: documents, facets' sizes, build metadata."""
        ...

    def warm(self) -> int:
        """Prepare the index for fast first searches; return how many items were warmed."""
        ...

    def watch(self) -> None:
        """Follow newly published generations in the background (servers)."""
        ...

    def close(self) -> None:
        """Release everything the backend holds open."""
        ...


def open_backend(settings: Settings) -> Backend:
    """Return the backend `settings` name, opened on its index (raises SearchError for
    an unknown backend or an OpenSearch backend without an address)."""
    backend: Backend
    if settings.backend == "opensearch":
        from search.opensearch import OpenSearchBackend
        from search.opensearch.connection import Cluster

        cluster = Cluster.from_env(settings.opensearch_url, settings.opensearch_index)
        backend = OpenSearchBackend.open(cluster)
        return backend
    if settings.backend != "local":
        raise SearchError(f"unknown backend {settings.backend!r} (known: {', '.join(BACKENDS)})")
    from search.local import LocalBackend  # imported here: the core never loads Whoosh itself

    backend = LocalBackend.open(settings.index_dir)
    return backend


def verify_index(index_dir: Path) -> dict[str, list[str] | None]:
    """Check every file of the current and previous local generations against their
    checksums; return {generation: problems}, the current one first ([]: sound; None:
    built without checksums). Raises IndexMissing."""
    from search.local import LocalBackend

    return LocalBackend(index_dir).verify()


def build_index(
    seeds_dir: Path,
    index_dir: Path,
    *,
    incremental: bool = False,
    strict: bool = False,
    progress: bool | None = None,
    synonyms: Path | None = None,
    embeddings: bool = False,
    settings: Settings | None = None,
) -> IndexReport:
    """Build an index from the seed files in `seeds_dir` and publish it; return the report.

    `progress`: show a progress bar (None: when standard error is a terminal);
    `synonyms`: the synonyms file the index keeps (None: the default list);
    `embeddings`: embed every document for semantic and hybrid search;
    `settings`: which backend builds (None or "local": a generation in `index_dir`)."""
    if settings is not None and settings.backend == "opensearch":
        from search.opensearch.connection import Cluster
        from search.opensearch.indexer import build_opensearch

        if embeddings:
            raise BuildError("--embeddings: the opensearch backend searches by keyword only")
        cluster = Cluster.from_env(settings.opensearch_url, settings.opensearch_index)
        return build_opensearch(
            seeds_dir,
            cluster,
            incremental=incremental,
            strict=strict,
            progress=progress,
            synonyms=synonyms,
        )
    from search.local.store.build import build_index as build_local

    return build_local(
        seeds_dir,
        index_dir,
        incremental=incremental,
        strict=strict,
        progress=progress,
        synonyms=synonyms,
        embeddings=embeddings,
    )

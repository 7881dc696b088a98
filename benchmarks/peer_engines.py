"""The engines of the search benchmark, built once per corpus size and opened by name.

- ours: LocalBackend in process with match=all and the query followed by a space: every
  word required, each as a whole word, as the peers (without the space, ours also
  matches the last word as a prefix, as a reader types);
- ours-most: the same backend as the API calls it by default (match=most: relax when few
  documents hold every word; the last word also a prefix), an extra row: its matches are
  not the peers';
- tantivy, sqlite-fts5, textbook-whoosh: benchmarks.tantivy_peer, .fts5, .baselines.

Each runs a logged query under a workload: top10 (top 10 and the total), facets (plus the
four facets), filtered (plus the query's topic and two-year range, facets disjunctive).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from benchmarks.answers import Answer, Filters, ours
from benchmarks.baselines import TextbookWhoosh, build_textbook
from benchmarks.build import corpus
from benchmarks.fts5 import SqliteFts, build_sqlite
from benchmarks.querylog import LoggedQuery
from benchmarks.realistic_log import write_vocabulary
from benchmarks.tantivy_peer import TantivySearch, build_tantivy
from search.ingest.corpus import discover, merge, parse_files
from search.local import LocalBackend
from search.local.store.build import build_index
from search.model import Article, ParsedFile
from search.request import SearchRequest
from search.results import SearchResult

WORKLOADS = ("top10", "facets", "filtered")
ENGINES = ("ours", "tantivy", "sqlite-fts5", "textbook-whoosh", "ours-most")
PEERS_VERSION = 2  # bump when a peer's index changes shape: prepare() then rebuilds them
Search = Callable[[LoggedQuery, str], object]


def _documents(seeds: Path) -> list[Article]:
    files, _ = discover(seeds)
    return merge(r for r in parse_files(files) if isinstance(r, ParsedFile)).documents


def prepare(workdir: Path, size: int) -> dict[str, Path]:
    """Build (once) our index, the peers' indexes and the corpus vocabulary for `size`;
    return their paths by name."""
    seeds = corpus(workdir, size)
    v = PEERS_VERSION
    paths = {
        "ours": workdir / f"ours-{size}",
        "tantivy": workdir / f"tantivy-v{v}-{size}",
        "sqlite": workdir / f"fts5-v{v}-{size}.sqlite",
        "textbook": workdir / f"textbook-v{v}-{size}",
        "vocabulary": workdir / f"vocabulary-v{v}-{size}.json",
    }
    if not (paths["ours"] / "CURRENT").exists():
        build_index(seeds, paths["ours"], progress=False)
    done = workdir / f".peers-v{v}-{size}"
    if not done.exists():
        documents = _documents(seeds)
        build_tantivy(documents, paths["tantivy"])
        build_sqlite(documents, paths["sqlite"], labels=True)
        write_vocabulary(documents, paths["vocabulary"])
        build_textbook(documents, paths["textbook"])
        done.touch()
    return paths


def request(entry: LoggedQuery, workload: str, match: str = "all") -> SearchRequest:
    """Return our SearchRequest for `entry` under `workload`: with match=all, whole words
    only (a trailing space: the last word is not also a prefix)."""
    q = f"{entry.q} " if match == "all" else entry.q
    if workload == "filtered":
        return SearchRequest(
            q=q,
            filters={"topic": (entry.topic,)},
            date_from=entry.date_from,
            date_to=entry.date_to,
            match=match,
        )
    return SearchRequest(q=q, facets=workload != "top10", match=match)


def filters(entry: LoggedQuery, workload: str) -> Filters:
    """Return the peers' filters for `entry` under `workload`."""
    if workload == "filtered":
        return Filters(entry.topic, entry.date_from, entry.date_to)
    return Filters()


def open_engine(name: str, paths: dict[str, Path]) -> tuple[Search, Callable[[], None]]:
    """Return (search, close) for engine `name`: search(entry, workload) gives its raw
    answer (as_answer makes it comparable)."""
    if name in ("ours", "ours-most"):
        backend = LocalBackend.open(paths["ours"])
        match = "all" if name == "ours" else "most"
        return lambda e, w: backend.search(request(e, w, match)), backend.close
    peer: TantivySearch | SqliteFts | TextbookWhoosh
    if name == "tantivy":
        peer = TantivySearch(paths["tantivy"])
    elif name == "sqlite-fts5":
        peer = SqliteFts(paths["sqlite"])
    elif name == "textbook-whoosh":
        peer = TextbookWhoosh(paths["textbook"])
    else:
        raise ValueError(f"unknown engine {name!r}; expected one of: {', '.join(ENGINES)}")
    return lambda e, w: peer.search(e.q, w != "top10", filters(e, w)), peer.close


def as_answer(raw: object) -> Answer:
    """Return an engine's raw answer as an Answer (ours are SearchResults)."""
    if isinstance(raw, SearchResult):
        return ours(raw)
    assert isinstance(raw, Answer)
    return raw

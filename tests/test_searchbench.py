"""The search benchmark compares like with like: at a small generated corpus, ours (every
word required), tantivy and SQLite FTS5 find the same documents and count the same
facets, unfiltered and under the filtered workload's disjunctive filters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.answers import Answer, listed
from benchmarks.peer_engines import WORKLOADS, as_answer, open_engine, prepare
from benchmarks.querylog import LoggedQuery, query_log
from benchmarks.realistic_log import realistic_log
from benchmarks.search_report import BUCKETS, bucket_of, format_search
from benchmarks.searchbench import bench_search
from search.facets import LIST_LIMIT

SIZE = 300  # seed files: 375 documents, built by every engine in a few seconds
COMPARED = ("ours", "tantivy", "sqlite-fts5")


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return prepare(tmp_path_factory.mktemp("searchbench"), SIZE)


def _sample(paths: dict[str, Path]) -> list[LoggedQuery]:
    """Eight queries of the realistic log and four of the Zipf log (one a phrase)."""
    current = query_log(200)
    phrase = next(e for e in current if e.q.startswith('"'))
    words = [e for e in current if not e.q.startswith('"')]
    return [*realistic_log(paths["vocabulary"], 8), *words[:3], phrase]


def _comparable(answer: Answer) -> tuple[int, dict[str, dict[str, int]], list[str] | None]:
    """Return the total, the facets as ours lists them (at most LIST_LIMIT keyword
    values) and, when every match is in the top 10, the ids (ranking orders differ)."""
    facets = {
        name: listed(counts, LIST_LIMIT) if name in ("topic", "provider", "type") else counts
        for name, counts in answer.facets.items()
        if counts  # no match: ours lists nothing, the peers empty dicts
    }
    ids = sorted(answer.ids) if answer.total <= 10 else None
    return answer.total, facets, ids


def test_every_engine_finds_and_counts_the_same(paths: dict[str, Path]) -> None:
    sample = _sample(paths)
    engines = {name: open_engine(name, paths) for name in COMPARED}
    try:
        for entry in sample:
            for workload in WORKLOADS:
                answers = {
                    name: _comparable(as_answer(search(entry, workload)))
                    for name, (search, _) in engines.items()
                }
                assert answers["tantivy"] == answers["ours"], (entry.q, workload)
                assert answers["sqlite-fts5"] == answers["ours"], (entry.q, workload)
        # The sample is worth comparing: it spans the buckets, and facets have values.
        search = engines["ours"][0]
        found = [as_answer(search(entry, "facets")) for entry in sample]
        assert {bucket_of(a.total) for a in found} >= {"1-10", "11-100", "101-1,000"}
        assert all(a.facets["topic"] and a.facets["month"] for a in found if a.total)
        filtered = [as_answer(search(entry, "filtered")) for entry in sample]
        assert sum(a.total > 0 for a in filtered) >= 3
    finally:
        for _, close in engines.values():
            close()


def test_the_realistic_log_asks_for_words_the_corpus_holds_together(
    paths: dict[str, Path],
) -> None:
    log = realistic_log(paths["vocabulary"], 200)
    assert log == realistic_log(paths["vocabulary"], 200)  # seeded
    sizes = [len(e.q.split()) for e in log]
    assert set(sizes) == {1, 2, 3}
    assert 90 <= sizes.count(1) <= 130  # 55% one word: 110 expected, binomial sd 7
    search = open_engine("ours", paths)[0]
    totals = [as_answer(search(e, "top10")).total for e in log[:40]]
    assert min(totals) >= 1  # every word of a query comes from one document
    df = json.loads(paths["vocabulary"].read_text())["df"]
    rarest = [min(df[w] for w in e.q.split()) for e in log]
    # The first word is rare (2 to 30 documents) in 45% of draws; at 375 documents no
    # word is common (over 1,000), so those 15% are drawn again: 53% expected, 106 of
    # 200 (sd 7), and context words only make a query's rarest word rarer.
    assert sum(2 <= n <= 30 for n in rarest) >= 90


def test_buckets() -> None:
    assert [bucket_of(n) for n in (0, 1, 10, 11, 100, 101, 1000, 1001)] == [
        "0",
        "1-10",
        "1-10",
        "11-100",
        "11-100",
        "101-1,000",
        "101-1,000",
        "over 1,000",
    ]


def test_the_command_reports_every_engine_per_bucket(paths: dict[str, Path]) -> None:
    workdir = paths["ours"].parent
    result = bench_search(workdir, SIZE, queries=12, textbook_queries=4, memory=False)
    assert list(result["logs"]) == ["realistic", "current"]
    table = result["logs"]["realistic"]["workloads"]["filtered"]
    assert list(table) == ["all", *BUCKETS]
    counted = {name: row["queries"] for name, row in table["all"].items()}
    assert counted == {
        "ours": 12,
        "tantivy": 12,
        "sqlite-fts5": 12,
        "textbook-whoosh": 4,
        "ours-most": 12,
    }
    assert sum(table[b]["ours"]["queries"] for b in BUCKETS) == 12
    assert set(result["index_mb"]) == {"ours", "tantivy", "sqlite-fts5", "textbook-whoosh"}
    text = format_search(result)
    assert "log realistic: 12 queries" in text and "log current: 12 queries" in text
    assert "ours/tantivy median" in text

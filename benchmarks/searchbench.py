"""Search latency benchmark: ours against tantivy, SQLite FTS5 and textbook Whoosh, in process.

Two query logs (benchmarks.realistic_log: mostly rare and mid-frequency words drawn from
the corpus; benchmarks.querylog: the Zipf log, mostly near-universal words), three
workloads each (benchmarks.peer_engines). Every engine requires every word and computes
the same disjunctive facets (benchmarks.answers). Every engine answers every query of a
workload in turn (rotating who goes first), after one warm-up pass, so machine noise
falls on all of them alike; no engine keeps answers (ours has no result cache below the
web layer). Times are reported over the whole log and per match-count bucket (by the
documents the query matches, ours with match=all, unfiltered).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.engine_memory import index_megabytes, measure_memory
from benchmarks.measure import median
from benchmarks.peer_engines import (
    ENGINES,
    WORKLOADS,
    Search,
    as_answer,
    open_engine,
    prepare,
)
from benchmarks.querylog import LoggedQuery, query_log
from benchmarks.realistic_log import realistic_log
from benchmarks.search_report import bucket_of, summarise

__all__ = ["LOGS", "bench_search", "prepare", "query_logs"]
LOGS = ("realistic", "current")
WARM_UP = 100  # queries per workload answered by every engine before timing
SLOW = "textbook-whoosh"  # up to seconds a query at 100,000 documents
SLOW_WARM_UP = 10  # its warm-up queries: its time goes to computing, not to cold reads


def query_logs(paths: dict[str, Path], queries: int, chosen: tuple[str, ...]) -> dict[str, Any]:
    """Return the chosen logs of `queries` queries each, by name."""
    made = {
        "realistic": lambda: realistic_log(paths["vocabulary"], queries),
        "current": lambda: query_log(queries),
    }
    return {name: made[name]() for name in chosen}


def _matches(engines: dict[str, Search], log: list[LoggedQuery]) -> dict[str, Any]:
    """Return every query's match count (ours, match=all, no filters) and how often the
    peers' totals agree with ours (untimed)."""
    totals: dict[str, dict[str, int]] = {}
    for entry in log:
        if entry.q not in totals:
            totals[entry.q] = {
                name: as_answer(engines[name](entry, "top10")).total
                for name in ("ours", "tantivy", "sqlite-fts5")
            }
    agree = {
        peer: sum(t["ours"] == t[peer] for t in totals.values())
        for peer in ("tantivy", "sqlite-fts5")
    }
    per_query = [totals[e.q]["ours"] for e in log]
    return {
        "per_query": per_query,
        "median": median([float(n) for n in per_query]),
        "distinct_queries": len(totals),
        "totals_agree_with_ours": agree,
    }


def _run_log(
    engines: dict[str, Search], log: list[LoggedQuery], slow_limit: int, label: str
) -> dict[str, Any]:
    print(f"{label}: counting matches", file=sys.stderr, flush=True)  # noqa: T201
    matches = _matches(engines, log)
    for workload in WORKLOADS:  # warm-up: OS page cache, SQLite cache, our postings cache
        print(f"{label} {workload}: warming up", file=sys.stderr, flush=True)  # noqa: T201
        for number, entry in enumerate(log[:WARM_UP]):
            for name, search in engines.items():
                if name != SLOW or number < min(slow_limit, SLOW_WARM_UP):
                    search(entry, workload)
    names = list(engines)
    times: dict[str, dict[str, dict[int, float]]] = {w: {n: {} for n in names} for w in WORKLOADS}
    for workload in WORKLOADS:
        for number, entry in enumerate(log):
            if number % 100 == 0:
                print(f"{label} {workload}: {number}/{len(log)}", file=sys.stderr, flush=True)  # noqa: T201
            turn = number % len(names)
            for name in names[turn:] + names[:turn]:
                if name == SLOW and number >= slow_limit:
                    continue
                started = time.perf_counter()
                engines[name](entry, workload)
                times[workload][name][number] = (time.perf_counter() - started) * 1000
    buckets = [bucket_of(m) for m in matches.pop("per_query")]
    return {"queries": len(log), "matches": matches, **summarise(times, buckets)}


def bench_search(
    workdir: Path,
    size: int,
    queries: int,
    textbook_queries: int | None = None,
    logs: tuple[str, ...] = LOGS,
    memory: bool = True,
) -> dict[str, Any]:
    """Return medians and percentiles (ms) per log, workload, engine and match-count
    bucket, the ratios, index sizes and (with `memory`) each engine's memory.

    Textbook Whoosh may run on only the first `textbook_queries` of each log; its
    figures are then over those queries."""
    slow_limit = queries if textbook_queries is None else min(queries, textbook_queries)
    paths = prepare(workdir, size)
    chosen = query_logs(paths, queries, logs)
    opened = {name: open_engine(name, paths) for name in ENGINES}
    engines = {name: search for name, (search, _) in opened.items()}
    try:
        results = {name: _run_log(engines, log, slow_limit, name) for name, log in chosen.items()}
    finally:
        for _, close in opened.values():
            close()
    result: dict[str, Any] = {
        "size": size,
        "queries": queries,
        "textbook_queries": slow_limit,
        "logs": results,
        "index_mb": index_megabytes(paths),
    }
    if memory:
        first = next(iter(chosen.values()))
        result["memory"] = measure_memory(paths, first, min(len(first), 200), slow_limit)
    return result

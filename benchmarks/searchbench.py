"""Search latency benchmark: our engine against textbook Whoosh and SQLite FTS5, in process.

Three workloads over the same replayed query log: top-10; top-10 plus the four facets;
top-10 plus facets plus a topic filter and a two-year date range. Every engine answers
every query of a workload in turn (rotating who goes first), after one warm-up pass,
so machine noise falls on all of them alike.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.baselines import SqliteFts, TextbookWhoosh, build_sqlite, build_textbook
from benchmarks.build import corpus
from benchmarks.measure import median, percentile
from benchmarks.querylog import LoggedQuery, query_log
from search.ingest.corpus import discover, merge, parse_files
from search.local import LocalBackend
from search.local.store.build import build_index
from search.model import Article, ParsedFile
from search.request import SearchRequest

WORKLOADS = ("top10", "facets", "filtered")
Runner = Callable[[LoggedQuery, str], object]


def _documents(seeds: Path) -> list[Article]:
    files, _ = discover(seeds)
    return merge(r for r in parse_files(files) if isinstance(r, ParsedFile)).documents


def prepare(workdir: Path, size: int) -> dict[str, Path]:
    """Build (once) our index, the textbook index and the SQLite database for `size`."""
    seeds = corpus(workdir, size)
    paths = {
        "ours": workdir / f"ours-{size}",
        "textbook": workdir / f"textbook-{size}",
        "sqlite": workdir / f"fts5-{size}.sqlite",
    }
    if not (paths["ours"] / "CURRENT").exists():
        build_index(seeds, paths["ours"], progress=False)
    done = workdir / f".baselines-{size}"
    if not done.exists():
        documents = _documents(seeds)
        build_textbook(documents, paths["textbook"])
        build_sqlite(documents, paths["sqlite"])
        done.touch()
    return paths


def _request(entry: LoggedQuery, workload: str) -> SearchRequest:
    if workload == "filtered":
        return SearchRequest(
            q=entry.q,
            filters={"topic": (entry.topic,)},
            date_from=entry.date_from,
            date_to=entry.date_to,
        )
    return SearchRequest(q=entry.q, facets=workload != "top10")


def _filters(entry: LoggedQuery, workload: str) -> tuple[str | None, date | None, date | None]:
    if workload == "filtered":
        return entry.topic, entry.date_from, entry.date_to
    return None, None, None


def bench_search(
    workdir: Path, size: int, queries: int, textbook_queries: int | None = None
) -> dict[str, Any]:
    """Return medians and percentiles (ms) per engine and workload, and the ratios.

    Textbook Whoosh takes up to a second a query at 100,000 documents, so it may run on
    only the first `textbook_queries` of the log; its ratio is then taken against our
    times on those same queries."""
    slow_limit = queries if textbook_queries is None else min(queries, textbook_queries)
    paths = prepare(workdir, size)
    log = query_log(queries)
    plain = LocalBackend.open(paths["ours"])
    textbook = TextbookWhoosh(paths["textbook"])
    sqlite = SqliteFts(paths["sqlite"])
    runners: dict[str, Runner] = {
        "ours": lambda e, w: plain.search(_request(e, w)),
        "textbook-whoosh": lambda e, w: textbook.search(e.q, w != "top10", *_filters(e, w)),
        "sqlite-fts5": lambda e, w: sqlite.search(e.q, w != "top10", *_filters(e, w)),
    }
    for workload in WORKLOADS:  # warm-up: OS page cache, SQLite cache, our postings cache
        for entry in log[: min(len(log), 100)]:
            for runner in runners.values():
                runner(entry, workload)
    times: dict[str, dict[str, list[float]]] = {w: {n: [] for n in runners} for w in WORKLOADS}
    names = list(runners)
    for workload in WORKLOADS:
        for number, entry in enumerate(log):
            if number % 100 == 0:
                print(f"{workload}: {number}/{len(log)}", file=sys.stderr, flush=True)  # noqa: T201
            for name in names[number % len(names) :] + names[: number % len(names)]:
                if name == "textbook-whoosh" and number >= slow_limit:
                    continue
                started = time.perf_counter()
                runners[name](entry, workload)
                times[workload][name].append((time.perf_counter() - started) * 1000)
    plain.close()
    textbook.close()
    sqlite.close()
    table: dict[str, Any] = {}
    for workload, per_engine in times.items():
        table[workload] = {
            name: {
                "median_ms": round(median(values), 3),
                "p95_ms": round(percentile(values, 0.95), 3),
                "p99_ms": round(percentile(values, 0.99), 3),
            }
            for name, values in per_engine.items()
        }
    f = table["filtered"]
    ratios = {
        "filtered: ours / sqlite (target <= 3)": f["ours"]["median_ms"]
        / f["sqlite-fts5"]["median_ms"],
        "filtered: textbook / ours (target >= 10)": f["textbook-whoosh"]["median_ms"]
        / f["ours"]["median_ms"],
        "ours: filtered / top10 (target <= 1.5)": f["ours"]["median_ms"]
        / table["top10"]["ours"]["median_ms"],
    }
    return {
        "size": size,
        "queries": len(log),
        "workloads": table,
        "ratios": {k: round(v, 2) for k, v in ratios.items()},
    }


def format_search(result: dict[str, Any]) -> str:
    """Return the search benchmark as a text table."""
    lines = [
        f"search latency, {result['size']} documents, {result['queries']} logged queries",
        f"{'workload':<10} {'engine':<16} {'median ms':>10} {'p95 ms':>9} {'p99 ms':>9}",
    ]
    for workload, per_engine in result["workloads"].items():
        for name, row in per_engine.items():
            lines.append(
                f"{workload:<10} {name:<16} {row['median_ms']:>10.3f} "
                f"{row['p95_ms']:>9.3f} {row['p99_ms']:>9.3f}"
            )
    lines += [f"{name}: {value:.2f}" for name, value in result["ratios"].items()]
    return "\n".join(lines)

"""Search speed per mode and matching strategy on one built index, in process.

    python -m benchmarks.modesbench --index DIR [--queries 1000] [--json PATH]

Replays the query log (benchmarks.querylog: what readers type, head queries repeating),
half of it with a topic filter and a date range, with the four facets, the result cache
off; the configurations take turns query by query so machine noise hits them alike.
Reports p50/p95/p99 in ms per configuration, plus pasted-headline queries (the long-text
bound, each embedded afresh), what embedding a query costs alone, and the process's
memory (peak and resident; anonymous, i.e. per worker, and file-backed, i.e. shared).
"""

from __future__ import annotations

import os

# As `search serve` does: one BLAS thread (query embeddings are small matrix products).
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from benchmarks.querylog import query_log  # noqa: E402
from search.local import LocalBackend  # noqa: E402
from search.local.searching import semantic  # noqa: E402
from search.request import SearchRequest  # noqa: E402

CONFIGS = {
    "keyword all": {"match": "all", "mode": "keyword"},
    "keyword most": {"match": "most", "mode": "keyword"},
    "hybrid most": {"match": "most", "mode": "hybrid"},
    "semantic": {"match": "most", "mode": "semantic"},
}


def percentile(values: list[float], share: float) -> float:
    """Return the `share` percentile of `values` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def memory() -> dict[str, float]:
    """Return this process's memory in MB: peak and current resident set, and of the
    resident set the anonymous part (this worker's own: the model, sign bits, caches)
    and the file-backed rest (index and vector pages, shared by every worker through the
    page cache), from /proc/self/smaps_rollup where Linux has it."""
    found = {"peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    rollup = Path("/proc/self/smaps_rollup")
    if rollup.exists():
        fields = {}
        for line in rollup.read_text(encoding="ascii").splitlines()[1:]:
            name, _, rest = line.partition(":")
            fields[name] = int(rest.split()[0]) / 1024
        found["rss"] = fields["Rss"]
        found["anonymous"] = fields["Anonymous"]
        found["file_backed"] = fields["Rss"] - fields["Anonymous"]
    return {name: round(value, 1) for name, value in found.items()}


def main() -> None:
    """Run the benchmark and print a table (and JSON when asked)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    backend = LocalBackend.open(args.index)
    vectors = backend.health().vectors
    configs = {k: v for k, v in CONFIGS.items() if vectors or v["mode"] == "keyword"}
    log = query_log(args.queries)
    requests = []
    for n, entry in enumerate(log):
        if n % 2:
            requests.append(
                {
                    "q": entry.q,
                    "filters": {"topic": (entry.topic,)},
                    "date_from": entry.date_from,
                    "date_to": entry.date_to,
                }
            )
        else:
            requests.append({"q": entry.q})
    backend.warm()
    for request in requests[:100]:  # warm-up: page cache, postings, the model
        for config in configs.values():
            backend.search(SearchRequest(**request, **config))  # type: ignore[arg-type]
    times: dict[str, list[float]] = {name: [] for name in configs}
    names = list(configs)
    for n, request in enumerate(requests):
        for name in names[n % len(names) :] + names[: n % len(names)]:
            started = time.perf_counter()
            backend.search(SearchRequest(**request, **configs[name]))  # type: ignore[arg-type]
            times[name].append((time.perf_counter() - started) * 1000)
    # Pasted headlines: whole titles of 100 documents, the long-text path (16-word bound),
    # configurations rotating as above; a pasted headline is seldom asked twice, so each
    # hybrid or semantic search of one embeds it afresh (its cached vector is dropped).
    titles = [h.title for h in backend.search(SearchRequest(per_page=100)).hits]
    for n, title in enumerate(titles):
        for name in names[n % len(names) :] + names[: n % len(names)]:
            semantic.forget(title)
            started = time.perf_counter()
            backend.search(SearchRequest(q=title, **configs[name]))  # type: ignore[arg-type]
            times.setdefault(f"{name} (headline)", []).append(
                (time.perf_counter() - started) * 1000
            )
    if vectors:  # what embedding a query costs alone, uncached: logged texts, headlines
        logged = {str(r["q"]) for r in requests}
        for label, texts in (("logged", sorted(logged)), ("headline", titles)):
            for text in texts:
                semantic.forget(text)
                started = time.perf_counter()
                semantic.query_vector(text)
                times.setdefault(f"embed query ({label})", []).append(
                    (time.perf_counter() - started) * 1000
                )
    result: dict[str, dict[str, float]] = {
        name: {
            "p50": round(percentile(values, 0.5), 3),
            "p95": round(percentile(values, 0.95), 3),
            "p99": round(percentile(values, 0.99), 3),
        }
        for name, values in times.items()
    }
    result["memory_mb"] = memory()
    result["queries"] = {"logged": len(requests), "distinct texts": len({r["q"] for r in requests})}
    for name, row in result.items():
        print(f"{name:26} " + "  ".join(f"{k} {v:8.2f}" for k, v in row.items()))  # noqa: T201
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

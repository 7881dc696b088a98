"""Keyword search speed of an older commit of the engine against this one, in process.

    git worktree add --detach /tmp/old 39ba2db
    python -m benchmarks.searchbench_versions --old-tree /tmp/old --old-index OLD \
        --new-index NEW [--before-tree TREE] [--pairs 3] [--queries 1000] [--json PATH]

Each configuration (the old engine; this one with match=all and with match=most; and,
with --before-tree, another commit of this engine reading the same index, both ways)
runs in its own fresh process, one after another, repeated `--pairs` times, so the
machine's noise falls on all of them alike and no process shares caches with another.
Every process opens its index, warms it as a server does, answers the first 100
queries of the log once untimed, then times the whole log: the benchmarks' query log
(benchmarks.querylog), every other query with a topic filter and a two-year range, the
four facets on, no result cache (neither engine caches answers below the web layer).
Each index must be built by its own engine (the old one stems with Porter). Reports
p50/p95/p99 in ms per process and pooled per configuration, with the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.measure import percentile
from benchmarks.querylog import query_log

# Runs with PYTHONPATH set to the tree under test; reads the index, the requests and
# the configuration as JSON on stdin, prints the times (ms) as JSON.
_CHILD = """
import json, sys, time
from datetime import date
job = json.load(sys.stdin)
if job["engine"] == "old":
    from search.engine import Engine
    from search.results import SearchRequest
    backend = Engine.open(__import__("pathlib").Path(job["index"]), cache=False)
    def request(r):
        return SearchRequest(q=r["q"], topics=tuple(r.get("topic", ())),
                             date_from=r.get("from"), date_to=r.get("to"))
else:
    from search.local import LocalBackend
    from search.request import SearchRequest
    backend = LocalBackend.open(__import__("pathlib").Path(job["index"]))
    def request(r):
        return SearchRequest(q=r["q"], filters={"topic": tuple(r.get("topic", ()))},
                             date_from=r.get("from"), date_to=r.get("to"),
                             match=job["match"], mode="keyword")
for r in job["requests"]:
    for key in ("from", "to"):
        if key in r:
            r[key] = date.fromisoformat(r[key])
requests = [request(r) for r in job["requests"]]
backend.warm()
for r in requests[:100]:
    backend.search(r)
times, cpu = [], []
for r in requests:
    started, used = time.perf_counter(), time.process_time()
    backend.search(r)
    times.append((time.perf_counter() - started) * 1000)
    cpu.append((time.process_time() - used) * 1000)
print(json.dumps({"wall": times, "cpu": cpu}))
"""

CONFIGS = {"old": ("old", ""), "now all": ("new", "all"), "now most": ("new", "most")}
BEFORE = {"before all": ("before", "all"), "before most": ("before", "most")}


def requests(count: int) -> list[dict[str, Any]]:
    """Return the logged queries as plain data, every other one filtered."""
    out: list[dict[str, Any]] = []
    for n, entry in enumerate(query_log(count)):
        row: dict[str, Any] = {"q": entry.q}
        if n % 2:
            row |= {
                "topic": [entry.topic],
                "from": entry.date_from.isoformat(),
                "to": entry.date_to.isoformat(),
            }
        out.append(row)
    return out


def run_one(
    tree: Path, engine: str, index: Path, match: str, rows: list[dict[str, Any]]
) -> dict[str, list[float]]:
    """Return the wall-clock and CPU times (ms per query) of one fresh process of
    `engine` from `tree` over `rows`."""
    job = json.dumps({"engine": engine, "index": str(index), "match": match, "requests": rows})
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD],
        input=job,
        capture_output=True,
        text=True,
        env=env,
        cwd=tree,  # `-c` puts the working directory first on sys.path
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"{engine} child failed: {done.stderr[-2000:]}")
    times: dict[str, list[float]] = json.loads(done.stdout.strip().splitlines()[-1])
    return times


def summary(times: list[float]) -> dict[str, float]:
    """Return p50/p95/p99 (ms) of `times`."""
    return {f"p{round(q * 100)}": round(percentile(times, q), 3) for q in (0.5, 0.95, 0.99)}


def _line(label: str, times: dict[str, list[float]]) -> str:
    wall, cpu = summary(times["wall"]), summary(times["cpu"])
    return (
        f"{label:<28}"
        + "".join(f" {v:7.2f}" for v in wall.values())
        + "   cpu"
        + "".join(f" {v:7.2f}" for v in cpu.values())
    )


def main() -> None:
    """Run the configurations in turn, `--pairs` rounds; print per-run and pooled rows."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--old-tree", type=Path, required=True)
    parser.add_argument("--old-index", type=Path, required=True)
    parser.add_argument("--new-tree", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--new-index", type=Path, required=True)
    parser.add_argument(
        "--before-tree", type=Path, help="A third tree (of this engine's format) to time too."
    )
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rows = requests(args.queries)
    configs = CONFIGS | (BEFORE if args.before_tree else {})
    trees = {"old": args.old_tree, "new": args.new_tree, "before": args.before_tree}
    runs: list[dict[str, Any]] = []
    print(f"{'ms per query':<28}{'p50':>8}{'p95':>8}{'p99':>8}   cpu{'p50':>8}{'p95':>8}{'p99':>8}")  # noqa: T201
    for round_number in range(args.pairs):
        for name, (engine, match) in configs.items():
            index = args.old_index if engine == "old" else args.new_index
            kind = "old" if engine == "old" else "new"
            times = run_one(trees[engine], kind, index, match, rows)
            load = os.getloadavg()[0]
            runs.append({"round": round_number, "config": name, "load": round(load, 2)} | times)
            print(_line(f"{round_number} {name} (load {load:.1f})", times), flush=True)  # noqa: T201
    pooled = {
        name: {
            kind: [t for run in runs if run["config"] == name for t in run[kind]]
            for kind in ("wall", "cpu")
        }
        for name in configs
    }
    for name, times in pooled.items():
        print(_line(f"pooled {name}", times))  # noqa: T201
    if args.json:
        result = {
            "runs": [
                {k: run[k] for k in ("round", "config", "load")}
                | {kind: summary(run[kind]) for kind in ("wall", "cpu")}
                for run in runs
            ],
            "pooled": {
                name: {kind: summary(values) for kind, values in times.items()}
                for name, times in pooled.items()
            },
        }
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

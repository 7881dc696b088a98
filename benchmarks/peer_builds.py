"""Builds side by side: ours, tantivy and SQLite FTS5 from the same seeds folder.

    python -m benchmarks.peer_builds --seeds SEEDS --workdir DIR [--pairs 2] [--json PATH]

Each build runs in a fresh interpreter, the engines taking turns (`--pairs` rounds, the
order rotating), so the machine's noise falls on all alike. Every engine reads the
seed files with our parser (forked, on every core, as `search rebuild-index` does):

- **ours**: `build_index` of the folder, as `search rebuild-index --no-embeddings`
  runs it (parse, merge, forked segment writers, records, columns, stories, checksums);
- **tantivy**: parse and merge, then `benchmarks.tantivy_peer.build_tantivy` (the
  search benchmark's index: text fields, fast fields for the facets, one writer thread,
  as the Python binding's default writer is used there);
- **sqlite-fts5**: parse and merge, then `benchmarks.fts5.build_sqlite` (porter
  tokenizer, the same columns, facet tables).

Reported per engine (median of the rounds): wall seconds end to end and for the
index alone (after parsing), documents per second for both, CPU seconds of the process
tree, peak memory of the process tree (summed RSS, and summed PSS: pages a forked child
shares with its parent counted once), and the index's size on disk.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path
from typing import Any

from benchmarks.measure import median, run_child

ENGINES = ("ours", "tantivy", "sqlite-fts5")

_CHILD = """
import sys
sys.path[:] = [sys.argv[4], *(p for p in sys.path if p not in ("", "."))]  # the tree's code
import json, os, resource, time
from pathlib import Path
engine, seeds, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
started = time.perf_counter()
if engine == "ours":
    from search.local.store.build import build_index
    report = build_index(seeds, out, progress=False)
    documents, parsed_at, folder = report.documents, started, out / report.generation
else:
    from search.ingest.corpus import discover, merge, parse_files
    from search.model import ParsedFile
    files, _ = discover(seeds)
    docs = merge(r for r in parse_files(files) if isinstance(r, ParsedFile)).documents
    documents, parsed_at, folder = len(docs), time.perf_counter(), out
    if engine == "tantivy":
        from benchmarks.tantivy_peer import build_tantivy
        build_tantivy(docs, out)
    else:
        from benchmarks.fts5 import build_sqlite
        out.mkdir(parents=True)
        folder = out / "fts5.sqlite"
        build_sqlite(docs, folder, labels=True)
finished = time.perf_counter()
paths = [folder] if folder.is_file() else [p for p in folder.rglob("*") if p.is_file()]
cpu = sum(
    usage.ru_utime + usage.ru_stime
    for usage in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
)
print(json.dumps({
    "documents": documents,
    "seconds": finished - started,
    "index_seconds": finished - parsed_at if engine != "ours" else None,
    "cpu": cpu,
    "bytes": sum(p.stat().st_size for p in paths),
}))
"""


TREE = Path(__file__).resolve().parents[1]  # the source tree whose code is measured


def build_once(engine: str, seeds: Path, out: Path) -> dict[str, Any]:
    """Build `seeds` with `engine` into `out` (emptied first); return what was measured."""
    shutil.rmtree(out, ignore_errors=True)
    load = os.getloadavg()[0]
    run = run_child(_CHILD, engine, str(seeds), str(out), str(TREE), track_pss=True)
    documents = int(run.output["documents"])  # type: ignore[call-overload]
    seconds = float(run.output["seconds"])  # type: ignore[arg-type]
    index_seconds = run.output["index_seconds"]
    measured: dict[str, Any] = {
        "documents": documents,
        "seconds": round(seconds, 2),
        "docs_per_s": round(documents / seconds),
        "index_seconds": None if index_seconds is None else round(float(index_seconds), 2),  # type: ignore[arg-type]
        "index_docs_per_s": None
        if index_seconds is None
        else round(documents / float(index_seconds)),  # type: ignore[arg-type]
        "cpu_s": round(float(run.output["cpu"]), 1),  # type: ignore[arg-type]
        "peak_mb": round(run.peak_mb),
        "peak_pss_mb": round(run.peak_pss_mb),
        "index_mb": round(int(run.output["bytes"]) / 1e6, 1),  # type: ignore[call-overload]
        "load_1min": round(load, 2),
    }
    return measured


def compare(seeds: Path, workdir: Path, pairs: int) -> dict[str, Any]:
    """Build with every engine in turn, `pairs` rounds; return every run and the medians."""
    runs: dict[str, list[dict[str, Any]]] = {engine: [] for engine in ENGINES}
    for round_number in range(pairs):
        shift = round_number % len(ENGINES)
        for engine in ENGINES[shift:] + ENGINES[:shift]:
            runs[engine].append(build_once(engine, seeds, workdir / f"build-{engine}"))
            print(engine, json.dumps(runs[engine][-1]), flush=True)  # noqa: T201
    keys = ("seconds", "docs_per_s", "index_docs_per_s", "cpu_s", "peak_mb", "peak_pss_mb")
    summary = {
        engine: {
            key: median([float(r[key]) for r in measured if r[key] is not None])
            for key in (*keys, "index_mb")
        }
        for engine, measured in runs.items()
    }
    return {"runs": runs, "median": summary}


def main() -> None:
    """Parse the command line, run the builds, print (and save) the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=Path, required=True)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    result = compare(args.seeds, args.workdir, args.pairs)
    print(json.dumps(result["median"], indent=2))  # noqa: T201
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

"""Memory and disk of each engine of the search benchmark.

Memory is measured in a fresh interpreter per engine, which imports every engine's
modules first (so imports weigh alike), then reads its own RSS from /proc/self/status
before opening the engine, after opening it, and after answering the first queries of
a log under the facets workload. Reported: the growth over the first reading.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.measure import run_child
from benchmarks.peer_engines import ENGINES
from benchmarks.querylog import LoggedQuery

_CHILD = """
import json, sys
from datetime import date
from pathlib import Path
from benchmarks.peer_engines import open_engine
from benchmarks.querylog import LoggedQuery

def rss():
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return {k: int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "RssAnon")}

name, paths, log = sys.argv[1], json.loads(sys.argv[2]), json.loads(Path(sys.argv[3]).read_text())
day = date.fromisoformat
entries = [LoggedQuery(q, t, day(a), day(b), False) for q, t, a, b in log]
before = rss()
search, close = open_engine(name, {k: Path(v) for k, v in paths.items()})
opened = rss()
for entry in entries:
    search(entry, "facets")
after = rss()
close()
print(json.dumps({"before": before, "opened": opened, "after": after}))
"""


def measure_memory(
    paths: dict[str, Path], log: list[LoggedQuery], queries: int, slow_queries: int
) -> dict[str, dict[str, Any]]:
    """Return per engine the RSS growth (MB) after open and after `queries` queries of
    `log` (textbook Whoosh: `slow_queries`), all and anonymous (private) memory."""
    found: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for name in ENGINES:
            if name == "ours-most":
                continue  # the same engine as ours
            count = min(queries, slow_queries) if name == "textbook-whoosh" else queries
            entries = [
                (e.q, e.topic, e.date_from.isoformat(), e.date_to.isoformat()) for e in log[:count]
            ]
            log_file = Path(folder) / "log.json"
            log_file.write_text(json.dumps(entries))
            text_paths = json.dumps({k: str(v) for k, v in paths.items()})
            run = run_child(_CHILD, name, text_paths, str(log_file))
            output = run.output
            before, opened, after = (output[k] for k in ("before", "opened", "after"))
            assert isinstance(before, dict) and isinstance(opened, dict)
            assert isinstance(after, dict)
            found[name] = {
                "queries": count,
                "open_mb": round(opened["VmRSS"] - before["VmRSS"], 1),
                "queries_mb": round(after["VmRSS"] - before["VmRSS"], 1),
                "open_anon_mb": round(opened["RssAnon"] - before["RssAnon"], 1),
                "queries_anon_mb": round(after["RssAnon"] - before["RssAnon"], 1),
                "peak_process_mb": round(run.peak_mb, 1),
            }
    return found


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def index_megabytes(paths: dict[str, Path]) -> dict[str, float]:
    """Return each engine's index size on disk in MB (ours: the current generation)."""
    current = (paths["ours"] / "CURRENT").read_text().strip()
    sizes = {
        "ours": _size(paths["ours"] / current),
        "tantivy": _size(paths["tantivy"]),
        "sqlite-fts5": _size(paths["sqlite"]),
        "textbook-whoosh": _size(paths["textbook"]),
    }
    return {name: round(size / 1_000_000, 1) for name, size in sizes.items()}

"""End-to-end build speed, peak memory and index size of another tree against this one.

    git worktree add --detach /tmp/before e523bd5
    python -m benchmarks.build_versions --before-tree /tmp/before --seeds SEEDS \
        --workdir DIR [--pairs 2] [--json PATH]

Each build (`build_index` of the whole seeds folder, as `search rebuild-index` runs it)
runs in a fresh process with PYTHONPATH set to its tree, before and after taking
turns, `--pairs` times, so the machine's noise falls on both alike. Reported per run:
wall seconds, CPU seconds of the whole process tree (steadier than wall time on a
shared machine), documents per second, the peak memory of the whole process tree (the
parent and its forked workers, sampled every 50 ms) as summed RSS (pages a forked child
shares with its parent counted in both) and as summed PSS (counted once), the load
average when it started, and the generation's size on disk by kind of file.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path
from typing import Any

from benchmarks.measure import Run, median, run_child

_CHILD = """
import sys
sys.path[:] = [p for p in sys.path if p not in ("", ".")]  # `search` from PYTHONPATH, not cwd
import json, resource, time
from pathlib import Path
from search.local.store.build import build_index
seeds, out = Path(sys.argv[1]), Path(sys.argv[2])
started = time.perf_counter()
report = build_index(seeds, out, progress=False)
seconds = time.perf_counter() - started
folder = out / report.generation
sizes = {}
for path in folder.iterdir():
    kind = path.suffix if path.name.startswith(("MAIN_", "_MAIN_")) else path.name
    sizes[kind] = sizes.get(kind, 0) + path.stat().st_size
cpu = sum(
    usage.ru_utime + usage.ru_stime
    for usage in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
)
print(json.dumps({"documents": report.documents, "seconds": seconds, "cpu": cpu, "sizes": sizes}))
"""


def run_build(tree: Path, seeds: Path, out: Path) -> tuple[Run, float]:
    """Build `seeds` into `out` (emptied first) with the code in `tree`; return the run
    and the 1-minute load average when it started."""
    shutil.rmtree(out, ignore_errors=True)
    load = os.getloadavg()[0]
    previous = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(tree)
    try:
        return run_child(_CHILD, str(seeds), str(out), track_pss=True), load
    finally:
        if previous is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = previous


def compare(before: Path, after: Path, seeds: Path, workdir: Path, pairs: int) -> dict[str, Any]:
    """Build with each tree in turn, `pairs` times; return every run and the medians."""
    runs: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
    for _ in range(pairs):
        for name, tree in (("before", before), ("after", after)):
            run, load = run_build(tree, seeds, workdir / f"index-{name}")
            documents = int(run.output["documents"])  # type: ignore[call-overload]
            seconds = float(run.output["seconds"])  # type: ignore[arg-type]
            sizes: dict[str, int] = run.output["sizes"]  # type: ignore[assignment]
            runs[name].append(
                {
                    "documents": documents,
                    "seconds": round(seconds, 2),
                    "docs_per_s": round(documents / seconds),
                    "cpu_s": round(float(run.output["cpu"]), 1),  # type: ignore[arg-type]
                    "peak_mb": round(run.peak_mb),
                    "peak_pss_mb": round(run.peak_pss_mb),
                    "load_1min": round(load, 2),
                    "index_mb": round(sum(sizes.values()) / 1e6, 1),
                    "sizes_mb": {k: round(v / 1e6, 2) for k, v in sorted(sizes.items())},
                }
            )
            print(name, json.dumps(runs[name][-1]), flush=True)  # noqa: T201
    summary = {
        name: {
            key: median([float(r[key]) for r in measured])
            for key in ("seconds", "cpu_s", "docs_per_s", "peak_mb", "peak_pss_mb", "index_mb")
        }
        for name, measured in runs.items()
    }
    summary["ratio"] = {
        "docs_per_s": round(summary["after"]["docs_per_s"] / summary["before"]["docs_per_s"], 2),
        "index_mb": round(summary["after"]["index_mb"] / summary["before"]["index_mb"], 2),
    }
    return {"runs": runs, "median": summary}


def main() -> None:
    """Parse the command line, run the comparison, print (and save) the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before-tree", type=Path, required=True)
    parser.add_argument("--after-tree", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--seeds", type=Path, required=True)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    result = compare(args.before_tree, args.after_tree, args.seeds, args.workdir, args.pairs)
    print(json.dumps(result["median"], indent=2))  # noqa: T201
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

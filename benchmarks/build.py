"""Index build benchmark: our build against the textbook single-writer Whoosh build."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from benchmarks.generator import write_corpus
from benchmarks.measure import Run, median, run_child

# Each variant runs in a fresh interpreter and prints {"documents": n, "seconds": s},
# timing only its own work (parsing is untimed for the index-only variants).
_CHILD = """
import json, shutil, sys, time
from pathlib import Path
variant, seeds, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
shutil.rmtree(out, ignore_errors=True)
if variant.endswith("-index"):
    from search.ingest.corpus import discover, merge, parse_files
    from search.model import ParsedFile
    files, _ = discover(seeds)
    docs = merge(r for r in parse_files(files) if isinstance(r, ParsedFile)).documents
started = time.perf_counter()
if variant == "ours-e2e":
    from search.local.store.build import build_index
    count = build_index(seeds, out, progress=False).documents
elif variant == "textbook-e2e":
    from benchmarks.textbook import textbook_build_files
    count = textbook_build_files(seeds, out)
elif variant == "ours-index":
    from search.local.store import segments as writers
    out.mkdir(parents=True)
    writers.write_all(out, docs, progress=False, checkpoint=lambda stage: None)
    count = len(docs)
else:
    from benchmarks.textbook import textbook_build_articles
    count = textbook_build_articles(docs, out)
print(json.dumps({"documents": count, "seconds": time.perf_counter() - started}))
"""

VARIANTS = ("textbook-e2e", "ours-e2e", "textbook-index", "ours-index")


def corpus(workdir: Path, size: int, seed: int = 42) -> Path:
    """Return a generated seed corpus of `size` files, generating it once."""
    folder = workdir / f"corpus-{size}-{seed}"
    marker = folder / ".complete"
    if not marker.exists():
        shutil.rmtree(folder, ignore_errors=True)
        write_corpus(folder, size, seed)
        marker.touch()
    return folder


def bench_build(workdir: Path, sizes: list[int], repeats: int) -> list[dict[str, Any]]:
    """Measure every variant `repeats` times per size, interleaved; return one row per size."""
    rows = []
    for size in sizes:
        seeds = corpus(workdir, size)
        runs: dict[str, list[Run]] = {v: [] for v in VARIANTS}
        for _ in range(repeats):
            for variant in VARIANTS:
                out = workdir / f"index-{variant}-{size}"
                runs[variant].append(run_child(_CHILD, variant, str(seeds), str(out)))
                shutil.rmtree(out, ignore_errors=True)
        row: dict[str, Any] = {"size": size, "repeats": repeats}
        for variant, measured in runs.items():
            seconds = median([float(r.output["seconds"]) for r in measured])  # type: ignore[arg-type]
            documents = int(measured[0].output["documents"])  # type: ignore[call-overload]
            row[variant] = {
                "documents": documents,
                "seconds": round(seconds, 3),
                "docs_per_s": round(documents / seconds, 1),
                "peak_mb": round(median([r.peak_mb for r in measured]), 1),
            }
        row["ratio_e2e"] = round(
            row["ours-e2e"]["docs_per_s"] / row["textbook-e2e"]["docs_per_s"], 2
        )
        row["ratio_index"] = round(
            row["ours-index"]["docs_per_s"] / row["textbook-index"]["docs_per_s"], 2
        )
        rows.append(row)
    return rows


def format_build(rows: list[dict[str, Any]]) -> str:
    """Return the build results as a text table."""
    lines = [
        f"{'size':>8} {'variant':<15} {'documents':>9} {'seconds':>8} {'docs/s':>9} {'peak MB':>8}"
    ]
    for row in rows:
        for variant in VARIANTS:
            v = row[variant]
            lines.append(
                f"{row['size']:>8} {variant:<15} {v['documents']:>9} {v['seconds']:>8.2f} "
                f"{v['docs_per_s']:>9.0f} {v['peak_mb']:>8.0f}"
            )
        lines.append(
            f"{'':>8} ours/textbook docs/s: end to end {row['ratio_e2e']:.2f}x, "
            f"index only {row['ratio_index']:.2f}x (median of {row['repeats']})"
        )
    return "\n".join(lines)


def to_json(rows: list[dict[str, Any]]) -> str:
    """Return the rows as JSON text."""
    return json.dumps(rows, indent=2)

"""Recency in relevance ordering, measured on the judged queries (docs/RELEVANCE.md,
"Recency"): nDCG@10, recall@10 and MRR of our engine (match most, keyword and hybrid)
with `recency` off and at several half-lives, on the tuning and held-out splits, in
one run over one index. The half-life to try as a default is the best on the tuning
split; the held-out split says whether it holds.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.judgments import HELD_OUT, TUNING, load_documents, load_queries
from benchmarks.relevance import (
    ALL,
    OVERALL,
    build_ours,
    engine_state,
    ours_runner,
    run_queries,
    tables,
)
from search.local import LocalBackend

HALF_LIVES = ("off", "7d", "30d", "13w", "52w", "156w", "520w")  # a week to ten years
MODES = ("keyword", "hybrid")
SHOWN = ("ndcg@10", "recall@10", "mrr")


def system_name(mode: str, half_life: str) -> str:
    """Return the report's name of one configuration."""
    return f"{mode}:recency={half_life}"


def bench_recency(corpus: Path, half_lives: Sequence[str] = HALF_LIVES) -> dict[str, Any]:
    """Return {tables, vectors, seconds, engine}: every configuration on every judged query."""
    started = time.perf_counter()
    documents = load_documents(corpus)
    with tempfile.TemporaryDirectory() as folder:
        vectors = build_ours(corpus, Path(folder) / "ours", embeddings=True)
        built = time.perf_counter()
        engine = LocalBackend.open(Path(folder) / "ours")
        try:
            runners = {
                system_name(mode, h): ours_runner(engine, "most", mode, h)
                for mode in MODES
                for h in half_lives
            }
            rows = run_queries(load_queries(documents), runners)
        finally:
            engine.close()
    return {
        "engine": engine_state(),
        "documents": len(documents),
        "vectors": vectors,
        "seconds": {
            "build": round(built - started, 1),
            "queries": round(time.perf_counter() - built, 1),
        },
        "half_lives": list(half_lives),
        "tables": tables(rows, list(runners)),
    }


def format_recency(result: dict[str, Any]) -> str:
    """Return the overall table: one line per configuration, tuning | held-out | all."""
    splits = (TUNING, HELD_OUT, ALL)
    lines = [
        f"recency: {result['documents']} documents; vectors {result['vectors']}; built in "
        f"{result['seconds']['build']} s, queried in {result['seconds']['queries']} s",
        f"engine: {result['engine']}",
        f"{'configuration':<24}" + "".join(f" | {split:<25}" for split in splits),
        f"{'':<24}" + " | nDCG@10  recall@10  MRR   " * len(splits),
    ]
    for mode in MODES:
        for half_life in result["half_lives"]:
            name = system_name(mode, half_life)
            cells = []
            for split in splits:
                row = result["tables"][split][OVERALL][name]
                cells.append(" | " + " ".join(f"{row[m]:<8.4f}" for m in SHOWN))
            lines.append(f"{name:<24}" + "".join(cells))
    return "\n".join(lines) + "\n"

"""Choosing hybrid search's fusion knobs on the tuning half of the judged set only.

    python -m benchmarks.relevance_hybrid [--corpus DIR] [--rounds 3] [--json PATH]

Builds our index with document vectors from the real corpus once, then runs coordinate
ascent over HYBRID_GRID (search.local.searching.semantic's module values), starting from
the values hybrid search had before it was tuned (BEFORE): each knob in turn, each value
tried, a value kept only when it raises the tuning half's mean nDCG@10 by MIN_GAIN, in
rounds until nothing changes. Only tuning queries are ever run here, so nothing chosen
has seen the held-out half; `python -m benchmarks relevance` measures that half once the
chosen values are in the module. The report has every step, the chosen values, the
tuning half's nDCG@10 per query type before and after, and each knob's sensitivity (one
value changed at a time from the chosen ones, tuning half only).
"""

from __future__ import annotations

import argparse
import contextlib
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from benchmarks.judgments import KINDS, TUNING, Query, default_corpus, load_queries
from benchmarks.relevance import (
    MIN_GAIN,
    OVERALL,
    built,
    coordinate_ascent,
    ours_runner,
    run_queries,
    summarise,
)
from search.local import LocalBackend
from search.local.searching import semantic

# knob -> values tried; every knob is a module value of search.local.searching.semantic
HYBRID_GRID: dict[str, tuple[float, ...]] = {
    "TIER_WORDS": (0, 1, 2, 3),
    "FEEDBACK": (0.0, 0.25, 0.5, 1.0, 2.0),
    "WEIGHT_UNMATCHED": (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 100.0),
    "WEIGHT_MATCHED": (0.5, 1.0, 1.5, 2.0),
    "WEIGHT_LONG": (0.0, 0.1, 0.25, 0.5, 1.0, 1.5),
    "LONG_WORDS": (5, 6, 8, 10, 12),
    "RRF_K": (10, 30, 60, 100),
    "MIN_SIMILARITY": (0.2, 0.25, 0.3, 0.35, 0.4),
    "WORD_FEEDBACK": (0.0, 0.5, 1.0, 2.0, 3.0, 5.0),
    "WORD_FEEDBACK_WORDS": (2, 3, 4, 6),
}
# Hybrid search before this tuning: plain reciprocal rank fusion, both lists weighted 1.
BEFORE: dict[str, float] = {
    "TIER_WORDS": 0,
    "FEEDBACK": 0.0,
    "WEIGHT_UNMATCHED": 1.0,
    "WEIGHT_MATCHED": 1.0,
    "WEIGHT_LONG": 1.0,
    "LONG_WORDS": 8,
    "RRF_K": 60,
    "MIN_SIMILARITY": 0.3,
    "WORD_FEEDBACK": 0.0,
    "WORD_FEEDBACK_WORDS": 3,
}


def current() -> dict[str, float]:
    """Return the knob values the module holds now (the product's)."""
    return {name: getattr(semantic, name) for name in HYBRID_GRID}


@contextlib.contextmanager
def applied(knobs: Mapping[str, float]) -> Iterator[None]:
    """Set the knobs in search.local.searching.semantic for the block; restore after."""
    saved = current()
    try:
        for name, value in knobs.items():
            if name not in HYBRID_GRID:
                raise ValueError(f"unknown knob {name!r}")
            setattr(semantic, name, type(saved[name])(value))
        yield
    finally:
        for name, value in saved.items():
            setattr(semantic, name, value)


def by_type(
    engine: LocalBackend, queries: Sequence[Query], knobs: Mapping[str, float]
) -> dict[str, float]:
    """Return hybrid's mean nDCG@10 per query type and overall on `queries` under `knobs`."""
    with applied(knobs):
        rows = run_queries(queries, {"hybrid": ours_runner(engine, "most", "hybrid")})
    scores = {
        kind: float(summarise(part, "hybrid")["ndcg@10"] or 0.0)
        for kind in KINDS
        if (part := [r for r in rows if r["kind"] == kind])
    }
    scores[OVERALL] = float(summarise(rows, "hybrid")["ndcg@10"] or 0.0)
    return scores


def tune_hybrid(corpus: Path, rounds: int = 3, min_gain: float = MIN_GAIN) -> dict[str, Any]:
    """Coordinate ascent over HYBRID_GRID on the tuning half; return the report."""
    with built(corpus, embeddings=True) as (folder, documents, vectors):
        if vectors != "built":
            raise RuntimeError(f"hybrid tuning needs document vectors: {vectors}")
        tuning = [q for q in load_queries(documents) if q.split == TUNING]
        engine = LocalBackend.open(folder / "ours")
        try:
            start = by_type(engine, tuning, BEFORE)

            def overall(knobs: Mapping[str, float]) -> float:
                return by_type(engine, tuning, knobs)[OVERALL]

            best, _, steps = coordinate_ascent(HYBRID_GRID, BEFORE, overall, rounds, min_gain)
            sensitivity = {
                name: [
                    {
                        "value": value,
                        "tuning ndcg@10": by_type(engine, tuning, {**best, name: value})[OVERALL],
                    }
                    for value in values
                ]
                for name, values in HYBRID_GRID.items()
            }
            return {
                "queries": len(tuning),
                "min_gain": min_gain,
                "before": BEFORE,
                "chosen": best,
                "steps": steps,
                "tuning before": start,
                "tuning after": by_type(engine, tuning, best),
                "product": current(),
                "sensitivity": sensitivity,
            }
        finally:
            engine.close()


def format_hybrid_tuning(outcome: Mapping[str, Any]) -> str:
    """Return the tuning report as text."""
    lines = [
        f"hybrid tuning: coordinate ascent on the tuning half ({outcome['queries']} queries) "
        f"only, min gain {outcome['min_gain']}",
    ]
    for step in outcome["steps"]:
        lines.append(
            f"  round {step['round']}: {step['knob']} {step['from']:g} -> {step['to']:g} "
            f"(tuning nDCG@10 {step['tuning ndcg@10']:.4f})"
        )
    chosen = ", ".join(f"{k} {v:g}" for k, v in outcome["chosen"].items())
    lines.append(f"chosen: {chosen}")
    differs = {k: v for k, v in outcome["product"].items() if v != outcome["chosen"][k]}
    if differs:
        lines.append(f"NOTE: the module holds other values: {differs}")
    kinds = list(outcome["tuning after"])
    lines.append(f"{'tuning nDCG@10':<15}" + "".join(f"{k[:11]:>12}" for k in kinds))
    for label in ("before", "after"):
        row = outcome[f"tuning {label}"]
        lines.append(f"{label:<15}" + "".join(f"{row[k]:>12.3f}" for k in kinds))
    lines.append("sensitivity (tuning nDCG@10, one knob changed from the chosen values):")
    for name, trials in outcome["sensitivity"].items():
        cells = "  ".join(f"{t['value']:g}: {t['tuning ndcg@10']:.4f}" for t in trials)
        lines.append(f"  {name:<17}{cells}")
    return "\n".join(lines)


def main() -> None:
    """Run the tuning and print it (and write JSON when asked)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    outcome = tune_hybrid(args.corpus or default_corpus(), args.rounds)
    print(format_hybrid_tuning(outcome))  # noqa: T201
    if args.json:
        args.json.write_text(json.dumps(outcome, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

"""Relevance evaluation: nDCG@10, recall@10 and MRR of our engine, SQLite FTS5 and textbook
Whoosh on the judged queries of the real corpus (benchmarks.judgments, docs/RELEVANCE.md).

All three index the same merged documents and answer the same query texts in one run:

- ours: LocalBackend.search as the API runs it (words AND-ed over title, excerpt, body, topics
  and provider; field weights, per-field BM25, proximity re-ranking).
- sqlite-fts5: bm25 over title, excerpt and body (porter tokenizer), with the column
  weights of the latency benchmark's baseline (FTS5_WEIGHTS); words AND-ed, quoted
  phrases kept as phrases.
- textbook-whoosh: MultifieldParser over title, excerpt and body with Whoosh's defaults
  (AndGroup, BM25F, every field weight 1) on the benchmark's textbook schema.

One rule for all: when the AND query finds nothing, the same words are searched OR-ed,
as a reader would retry; the table counts how often that happened (`fallback`) and how
often even that found nothing (`empty`).

`tune()` searches the ranking knobs (field weights, BM25 K1 and B, proximity bonuses) on
the tuning split, in process, restoring every module value afterwards.
"""

from __future__ import annotations

import contextlib
import math
import re
import sqlite3
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh import qparser

from benchmarks.baselines import build_sqlite, build_textbook
from benchmarks.judgments import (
    HELD_OUT,
    KINDS,
    SPLITS,
    TUNING,
    Query,
    load_documents,
    load_queries,
)
from benchmarks.measure import machine
from search.local import LocalBackend
from search.local.searching import postings
from search.local.searching import ranking as proximity
from search.local.store import schema
from search.local.store.build import build_index
from search.model import Article
from search.results import SearchRequest

K = 10  # every metric is over the first page of ten
SYSTEMS = ("ours", "ours+suggestion", "sqlite-fts5", "textbook-whoosh")
FTS5_WEIGHTS = (3.0, 1.5, 1.0)  # title, excerpt, body: as SqliteFts in benchmarks.baselines
METRICS = ("ndcg@10", "recall@10", "mrr")
_PART = re.compile(r'"[^"]*"|[^\s"]+')  # a quoted phrase, or a run of other characters
_WORD = re.compile(r"\w+")

Ranker = Callable[[str], list[str]]  # query text -> ids of the first page, best first
Run = tuple[list[str], bool]  # (first-page ids, whether the OR retry was needed)


# --- metrics ---------------------------------------------------------------------------


def dcg(grades: Sequence[int]) -> float:
    """Return the DCG of grades in rank order: the sum of (2^grade - 1) / log2(rank + 1)."""
    return float(sum((2**g - 1) / math.log2(rank + 1) for rank, g in enumerate(grades, 1)))


def ndcg_at(ranked: Sequence[str], grades: Mapping[str, int], k: int = K) -> float:
    """Return nDCG@k: the DCG of the first k results over that of the best possible order."""
    ideal = dcg(sorted((g for g in grades.values() if g > 0), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([grades.get(doc, 0) for doc in ranked[:k]]) / ideal


def recall_at(ranked: Sequence[str], grades: Mapping[str, int], k: int = K) -> float:
    """Return the share of the relevant documents (grade >= 1) found in the first k."""
    relevant = {doc for doc, grade in grades.items() if grade > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def reciprocal_rank(ranked: Sequence[str], grades: Mapping[str, int], k: int = K) -> float:
    """Return 1 / rank of the first relevant document in the first k, or 0 if there is none."""
    for rank, doc in enumerate(ranked[:k], 1):
        if grades.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


def score_query(ranked: Sequence[str], grades: Mapping[str, int]) -> dict[str, float]:
    """Return the three metrics of one ranked list."""
    return {
        "ndcg@10": ndcg_at(ranked, grades),
        "recall@10": recall_at(ranked, grades),
        "mrr": reciprocal_rank(ranked, grades),
    }


# --- query forms -----------------------------------------------------------------------


def or_query(q: str) -> str:
    """Return the Whoosh-syntax retry of `q`: its words and quoted phrases OR-ed."""
    return " OR ".join(_PART.findall(q))


def fts5_match(q: str, any_word: bool = False) -> str:
    """Return the FTS5 MATCH text of `q`: quoted words, phrases kept, AND-ed (or OR-ed)."""
    terms: list[str] = []
    for part in _PART.findall(q):
        words = _WORD.findall(part)
        if part.startswith('"') and words:
            terms.append('"' + " ".join(words) + '"')
        else:
            terms.extend(f'"{w}"' for w in words)
    return (" OR " if any_word else " ").join(terms) or '""'


# --- the three systems -----------------------------------------------------------------


def ours_runner(engine: LocalBackend, follow_suggestion: bool = False) -> Callable[[str], Run]:
    """Return our engine under the AND-then-OR rule; with `follow_suggestion`, an empty
    first page is retried with the engine's "did you mean" first, as a reader would."""

    def search(text: str) -> tuple[list[str], str | None]:
        result = engine.search(SearchRequest(q=text, per_page=K, facets=False))
        return [hit.id for hit in result.hits], result.suggestion

    def run(text: str) -> Run:
        ranked, suggestion = search(text)
        if ranked:
            return ranked, False
        if follow_suggestion and suggestion:
            ranked, _ = search(suggestion)
            if ranked:
                return ranked, True
        return search(or_query(text))[0], True

    return run


class TextbookRanker:
    """Textbook Whoosh: MultifieldParser over title, excerpt and body, default scoring."""

    def __init__(self, folder: Path) -> None:
        self.ix = whoosh_index.open_dir(str(folder))
        self.searcher = self.ix.searcher()
        self.parser = qparser.MultifieldParser(["title", "excerpt", "body"], self.ix.schema)

    def __call__(self, text: str) -> list[str]:
        """Return the first-page ids for `text` in Whoosh query syntax."""
        results = self.searcher.search(self.parser.parse(text), limit=K)
        return [str(hit["id"]) for hit in results]

    def close(self) -> None:
        """Close the searcher and the index."""
        self.searcher.close()
        self.ix.close()


class Fts5Ranker:
    """SQLite FTS5: bm25 with FTS5_WEIGHTS over the database of build_sqlite."""

    def __init__(self, path: Path, documents: Sequence[Article]) -> None:
        self.db = sqlite3.connect(path)
        self.ids = [d.id for d in documents]  # build_sqlite numbers rows from 1 in this order

    def __call__(self, match: str) -> list[str]:
        """Return the first-page ids for an FTS5 MATCH expression."""
        rows = self.db.execute(
            "SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY bm25(fts, ?, ?, ?), rowid LIMIT ?",
            (match, *FTS5_WEIGHTS, K),
        )
        return [self.ids[row - 1] for (row,) in rows]

    def close(self) -> None:
        """Close the database."""
        self.db.close()


def with_retry(first: Ranker, retry_form: Callable[[str], str]) -> Callable[[str], Run]:
    """Return a function giving (ids, fell back) under the shared AND-then-OR rule."""

    def run(text: str) -> Run:
        ranked = first(text)
        if ranked:
            return ranked, False
        return first(retry_form(text)), True

    return run


# --- evaluation ------------------------------------------------------------------------


def summarise(rows: Sequence[dict[str, Any]], system: str) -> dict[str, Any]:
    """Return the mean metrics of `system` over `rows` (per-query results) and its counts."""
    mine = [row["systems"][system] for row in rows]
    summary: dict[str, Any] = {"queries": len(mine)}
    for metric in METRICS:
        summary[metric] = round(sum(r[metric] for r in mine) / len(mine), 4) if mine else 0.0
    summary["fallback"] = sum(1 for r in mine if r["fallback"])
    summary["empty"] = sum(1 for r in mine if not r["top"])
    return summary


def run_queries(
    queries: Sequence[Query], runners: Mapping[str, Callable[[str], Run]]
) -> list[dict[str, Any]]:
    """Return one row per query: its split, and each system's first page and metrics."""
    rows: list[dict[str, Any]] = []
    for query in queries:
        results: dict[str, Any] = {}
        for system, run in runners.items():
            ranked, fell_back = run(query.q)
            results[system] = {
                **{m: round(v, 4) for m, v in score_query(ranked, query.grades).items()},
                "fallback": fell_back,
                "top": ranked,
            }
        rows.append(
            {
                "name": query.name,
                "kind": query.kind,
                "q": query.q,
                "split": query.split,
                "relevant": len(query.grades),
                "systems": results,
            }
        )
    return rows


def tables(rows: Sequence[dict[str, Any]], systems: Sequence[str]) -> dict[str, Any]:
    """Return {split: {system: summary}} for tuning, held-out and all."""
    parts = {split: [r for r in rows if r["split"] == split] for split in SPLITS}
    parts["all"] = list(rows)
    return {split: {s: summarise(part, s) for s in systems} for split, part in parts.items()}


@contextlib.contextmanager
def built(corpus: Path, workdir: Path | None = None) -> Iterator[tuple[Path, list[Article]]]:
    """Yield (folder, documents): our index, the textbook index and the FTS5 database
    built from `corpus` in a temporary folder (or `workdir`)."""
    with contextlib.ExitStack() as stack:
        folder = workdir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        documents = load_documents(corpus)
        build_index(corpus, folder / "ours", progress=False)
        build_textbook(documents, folder / "textbook")
        build_sqlite(documents, folder / "fts5.sqlite")
        yield folder, documents


def evaluate(corpus: Path, workdir: Path | None = None) -> dict[str, Any]:
    """Build the three systems from `corpus`, run every judged query; return the report."""
    with built(corpus, workdir) as (folder, documents):
        queries = load_queries(documents)
        engine = LocalBackend.open(folder / "ours")
        textbook = TextbookRanker(folder / "textbook")
        fts5 = Fts5Ranker(folder / "fts5.sqlite", documents)
        try:
            runners = {
                "ours": ours_runner(engine),
                "ours+suggestion": ours_runner(engine, follow_suggestion=True),
                "sqlite-fts5": _fts5_runner(fts5),
                "textbook-whoosh": with_retry(textbook, or_query),
            }
            rows = run_queries(queries, runners)
        finally:
            engine.close()
            textbook.close()
            fts5.close()
    return report(rows, SYSTEMS, len(documents), corpus)


def _fts5_runner(fts5: Fts5Ranker) -> Callable[[str], Run]:
    def run(text: str) -> Run:
        ranked = fts5(fts5_match(text))
        if ranked:
            return ranked, False
        return fts5(fts5_match(text, any_word=True)), True

    return run


def report(
    rows: Sequence[dict[str, Any]], systems: Sequence[str], documents: int, corpus: Path
) -> dict[str, Any]:
    """Return the JSON report: machine, sizes, the per-split tables and per-query rows."""
    return {
        "machine": machine(),
        "corpus": str(corpus),
        "documents": documents,
        "queries": {split: sum(1 for r in rows if r["split"] == split) for split in SPLITS},
        "tables": tables(rows, systems),
        "by_kind": {
            kind: {s: summarise([r for r in rows if r["kind"] == kind], s) for s in systems}
            for kind in KINDS
        },
        "per_query": list(rows),
    }


def format_relevance(result: Mapping[str, Any]) -> str:
    """Return the report as text tables, one block per split."""
    counts = result["queries"]
    lines = [
        f"relevance, {result['documents']} documents, "
        f"{counts[TUNING] + counts[HELD_OUT]} judged queries "
        f"({counts[TUNING]} tuning, {counts[HELD_OUT]} held-out)",
        f"{'split':<9} {'system':<16} {'queries':>7} {'nDCG@10':>8} {'recall@10':>9} "
        f"{'MRR':>6} {'fallback':>8} {'empty':>5}",
    ]
    for split, per_system in result["tables"].items():
        for system, row in per_system.items():
            lines.append(
                f"{split:<9} {system:<16} {row['queries']:>7} {row['ndcg@10']:>8.3f} "
                f"{row['recall@10']:>9.3f} {row['mrr']:>6.3f} {row['fallback']:>8} "
                f"{row['empty']:>5}"
            )
    systems = list(result["tables"]["all"])
    lines.append("nDCG@10 by kind of query (all splits):")
    lines.append(f"{'kind':<12} {'queries':>7} " + " ".join(f"{s:>16}" for s in systems))
    for kind, per_system in result["by_kind"].items():
        count = next(iter(per_system.values()))["queries"]
        values = " ".join(f"{per_system[s]['ndcg@10']:>16.3f}" for s in systems)
        lines.append(f"{kind:<12} {count:>7} {values}")
    return "\n".join(lines)


# --- tuning ----------------------------------------------------------------------------

# Each knob: where it lives and the values tried. Bodies are empty in the real corpus,
# so the body weight and body B cannot change anything there and are not searched.
GRID: dict[str, tuple[float, ...]] = {
    "weight.title": (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0),
    "weight.excerpt": (0.5, 1.0, 1.5, 2.0, 3.0),
    "weight.topic": (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0),
    "weight.provider": (0.25, 0.5, 1.0, 1.5, 2.0, 3.0),
    "k1": (0.6, 0.9, 1.2, 1.5, 2.0),
    "b.title": (0.0, 0.25, 0.5, 0.75, 1.0),
    "b.default": (0.25, 0.5, 0.75, 1.0),
    "b.topic": (0.0, 0.3, 0.6, 0.9),
    "b.provider": (0.0, 0.3, 0.6, 0.9),
    "bonus.title": (0.0, 0.3, 0.6, 1.0, 1.5),
    "bonus.excerpt": (0.0, 0.2, 0.4, 0.8),
    "recency.bonus": (0.0, 0.05, 0.1, 0.2, 0.4),
    "recency.half_life": (30.0, 180.0, 365.0, 1095.0),
}
MIN_GAIN = 0.002  # a change must raise tuning nDCG@10 by this much to be kept (~1/3 of
# one query's swap of two results: smaller gains are ties broken by chance)


def current_knobs() -> dict[str, float]:
    """Return the knob values in force now (the product's, unless inside `applied`)."""
    knobs = {f"weight.{f}": float(w) for f, w in schema.FIELD_WEIGHTS.items()}
    knobs["k1"] = postings.K1
    knobs["b.default"] = postings.B_DEFAULT
    knobs.update({f"b.{f}": float(b) for f, b in postings.B.items()})
    knobs["bonus.title"] = proximity.TITLE_BONUS
    knobs["bonus.excerpt"] = proximity.EXCERPT_BONUS
    knobs["recency.bonus"] = proximity.RECENCY_BONUS
    knobs["recency.half_life"] = proximity.RECENCY_HALF_LIFE
    return knobs


@contextlib.contextmanager
def applied(knobs: Mapping[str, float]) -> Iterator[None]:
    """Set the knobs in their modules for the block (engines opened inside see them);
    restore every value on the way out."""
    weights, bs = dict(schema.FIELD_WEIGHTS), dict(postings.B)
    saved = (postings.K1, postings.B_DEFAULT, proximity.TITLE_BONUS, proximity.EXCERPT_BONUS)
    recency = (proximity.RECENCY_BONUS, proximity.RECENCY_HALF_LIFE)
    try:
        for name, value in knobs.items():
            group, _, field = name.partition(".")
            if group == "weight":
                schema.FIELD_WEIGHTS[field] = value  # the parser's fieldboosts: same dict
            elif name == "k1":
                postings.K1 = value
            elif name == "b.default":
                postings.B_DEFAULT = value
            elif group == "b":
                postings.B[field] = value
            elif name == "bonus.title":
                proximity.TITLE_BONUS = value
            elif name == "bonus.excerpt":
                proximity.EXCERPT_BONUS = value
            elif name == "recency.bonus":
                proximity.RECENCY_BONUS = value
            elif name == "recency.half_life":
                proximity.RECENCY_HALF_LIFE = value
            else:
                raise ValueError(f"unknown knob {name!r}")
        yield
    finally:
        schema.FIELD_WEIGHTS.clear()
        schema.FIELD_WEIGHTS.update(weights)
        postings.B.clear()
        postings.B.update(bs)
        postings.K1, postings.B_DEFAULT, proximity.TITLE_BONUS, proximity.EXCERPT_BONUS = saved
        proximity.RECENCY_BONUS, proximity.RECENCY_HALF_LIFE = recency


def _ours_rows(
    index_dir: Path, queries: Sequence[Query], knobs: Mapping[str, float]
) -> list[dict[str, Any]]:
    """Return per-query rows of our engine with `knobs` (a fresh engine: fresh BM25 cache)."""
    with applied(knobs):
        engine = LocalBackend.open(index_dir)
        try:
            return run_queries(queries, {"ours": ours_runner(engine)})
        finally:
            engine.close()


def tune(corpus: Path, rounds: int = 3, min_gain: float = MIN_GAIN) -> dict[str, Any]:
    """Coordinate ascent over GRID on the tuning split's nDCG@10; report both splits.

    Knobs are tried one at a time in GRID order, each value in turn, keeping a value only
    if it beats the best so far by `min_gain`; rounds repeat until nothing changes. The
    report also has each knob's sensitivity: every value with the others at the product's
    values, on both splits (only the tuning split ever chooses anything)."""
    with built(corpus) as (folder, documents):
        queries = load_queries(documents)
        tuning = [q for q in queries if q.split == TUNING]
        index_dir = folder / "ours"

        def tuned_score(knobs: Mapping[str, float]) -> float:
            rows = _ours_rows(index_dir, tuning, knobs)
            return float(summarise(rows, "ours")["ndcg@10"])

        before = current_knobs()
        best = dict(before)
        best_score = tuned_score(best)
        steps: list[dict[str, Any]] = []
        for round_number in range(1, rounds + 1):
            changed = False
            for name, values in GRID.items():
                for value in values:
                    if value == best[name]:
                        continue
                    trial = {**best, name: value}
                    score = tuned_score(trial)
                    if score > best_score + min_gain:
                        steps.append(
                            {
                                "round": round_number,
                                "knob": name,
                                "from": best[name],
                                "to": value,
                                "tuning ndcg@10": score,
                            }
                        )
                        best, best_score, changed = trial, score, True
            if not changed:
                break
        outcome: dict[str, Any] = {
            "min_gain": min_gain,
            "before": before,
            "after": best,
            "steps": steps,
        }
        for label, knobs in (("before", before), ("after", best)):
            rows = _ours_rows(index_dir, queries, knobs)
            outcome[f"tables {label}"] = {
                split: summary["ours"] for split, summary in tables(rows, ["ours"]).items()
            }
        outcome["changed"] = {k: (before[k], v) for k, v in best.items() if before[k] != v}
        sensitivity: dict[str, list[dict[str, float]]] = {}
        for name, values in GRID.items():
            sensitivity[name] = []
            for value in values:
                per_split = tables(
                    _ours_rows(index_dir, queries, {**before, name: value}), ["ours"]
                )
                sensitivity[name].append(
                    {"value": value, **{s: per_split[s]["ours"]["ndcg@10"] for s in SPLITS}}
                )
        outcome["sensitivity"] = sensitivity
        return outcome


def format_tuning(outcome: Mapping[str, Any]) -> str:
    """Return the tuning result: changed knobs, ours before/after per split, sensitivity."""
    lines = [
        "tuning (ours; knobs chosen on the tuning split only, min gain "
        f"{outcome['min_gain']}; nothing is applied):"
    ]
    for name, (old, new) in outcome["changed"].items():
        lines.append(f"  {name}: {old} -> {new}")
    if not outcome["changed"]:
        lines.append("  no change beat the current values")
    lines.append(f"{'split':<9} {'knobs':<7} {'nDCG@10':>8} {'recall@10':>9} {'MRR':>6}")
    for split in (*SPLITS, "all"):
        for label in ("before", "after"):
            row = outcome[f"tables {label}"][split]
            lines.append(
                f"{split:<9} {label:<7} {row['ndcg@10']:>8.3f} {row['recall@10']:>9.3f} "
                f"{row['mrr']:>6.3f}"
            )
    lines.append("sensitivity: nDCG@10 tuning/held-out, one knob changed at a time")
    for name, trials in outcome["sensitivity"].items():
        cells = "  ".join(f"{t['value']:g}: {t[TUNING]:.3f}/{t[HELD_OUT]:.3f}" for t in trials)
        lines.append(f"  {name:<15} {cells}")
    return "\n".join(lines)

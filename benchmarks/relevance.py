"""Relevance evaluation: nDCG@10, recall@10, coverage@10 and MRR of our engine, SQLite
FTS5 and textbook Whoosh on the judged queries of the real corpus (benchmarks.judgments,
docs/RELEVANCE.md), per query type and split.

All systems index the same merged documents and answer the same query texts in one run:

- ours:<match> and ours:<mode>: LocalBackend.search on the request the API would make
  (search.params.search_request: q, match, mode; facets off), in `OURS` settings:
  match all, most and any in keyword mode, and match most in hybrid and semantic mode.
- fts5:and and fts5:or: bm25 with the column weights of the latency benchmark's
  baseline (FTS5_WEIGHTS) over title, excerpt and body, porter tokenizer; every word
  quoted (so no pasted text is FTS5 syntax), AND-ed or OR-ed; quoted phrases kept.
  fts5:best is, per query type, whichever of the two has the higher held-out nDCG@10.
- textbook: MultifieldParser over title, excerpt and body with Whoosh's defaults
  (AndGroup, BM25F, every field weight 1) on the benchmark's textbook schema.

One rule for all: when the first page is empty, the same words are searched OR-ed, as a
reader would retry (fts5:or is already that). The tables count how often that happened
(`fallback`), how often even that found nothing (`empty`), and how often a system
refused the text (`errors`: our engine's BadQuery for too many words, say); a refused
search counts as an empty page.

`tune()` searches the ranking knobs (field weights, BM25 K1 and B, proximity bonuses) on
the tuning split, in process, restoring every module value afterwards.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import math
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from whoosh import index as whoosh_index
from whoosh import qparser

from benchmarks.baselines import build_textbook
from benchmarks.fts5 import build_sqlite
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
from search.errors import SearchError
from search.local import LocalBackend
from search.local.searching import postings
from search.local.searching import ranking as proximity
from search.local.store import schema
from search.local.store.build import build_index
from search.model import Article
from search.params import search_request

K = 10  # every metric is over the first page of ten
OURS: dict[str, tuple[str, str]] = {  # system -> (match, mode)
    "ours:all": ("all", "keyword"),
    "ours:most": ("most", "keyword"),
    "ours:any": ("any", "keyword"),
    "ours:hybrid": ("most", "hybrid"),
    "ours:semantic": ("most", "semantic"),
}
FTS5_SYSTEMS = ("fts5:and", "fts5:or")
BEST_FTS5 = "fts5:best"
TEXTBOOK = "textbook"
SYSTEMS = (*OURS, *FTS5_SYSTEMS, TEXTBOOK)  # run; BEST_FTS5 is chosen from FTS5_SYSTEMS
REPORTED = (*SYSTEMS, BEST_FTS5)
FTS5_WEIGHTS = (3.0, 1.5, 1.0)  # title, excerpt, body: as SqliteFts in benchmarks.baselines
METRICS = ("ndcg@10", "recall@10", "coverage@10", "mrr")
ALL = "all"  # the whole set, both halves
SPLIT_NAMES = {"tuning": TUNING, "heldout": HELD_OUT, "all": ALL}  # --split -> key
OVERALL = "overall"  # every query type together
REPOSITORY = Path(__file__).resolve().parents[1]
_PART = re.compile(r'"[^"]*"|[^\s"]+')  # a quoted phrase, or a run of other characters
_WORD = re.compile(r"\w+")
_OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"})  # Whoosh's
_TERM = re.compile(r"\w+(?:[-'\u2019]\w+)*")  # a word, hyphenated or with an apostrophe


class Run(NamedTuple):
    """One system's answer to one query."""

    top: list[str]  # ids of the first page, best first
    fallback: bool  # the first page was empty and the OR retry ran
    error: str | None  # the system refused the text (first error), else None
    mode: str | None = None  # our engine: the mode that ran (keyword without vectors)


Runner = Callable[[str], Run]


class Built(NamedTuple):
    """The indexes of one run."""

    folder: Path  # ours/, textbook/ and fts5.sqlite
    documents: list[Article]  # in build order (FTS5 row numbers)
    vectors: str  # what became of our index's document vectors (build_ours)


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


def coverage_at(ranked: Sequence[str], coverage: frozenset[str], k: int = K) -> float | None:
    """Return the share of a story's related coverage (the article itself excluded) found
    in the first k; None for a query without coverage (not a story type)."""
    if not coverage:
        return None
    return len(coverage.intersection(ranked[:k])) / len(coverage)


def reciprocal_rank(ranked: Sequence[str], grades: Mapping[str, int], k: int = K) -> float:
    """Return 1 / rank of the first relevant document in the first k, or 0 if there is none."""
    for rank, doc in enumerate(ranked[:k], 1):
        if grades.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


def score_query(ranked: Sequence[str], query: Query) -> dict[str, float | None]:
    """Return the metrics of one ranked list (coverage@10 None outside story types)."""
    return {
        "ndcg@10": ndcg_at(ranked, query.grades),
        "recall@10": recall_at(ranked, query.grades),
        "coverage@10": coverage_at(ranked, query.coverage),
        "mrr": reciprocal_rank(ranked, query.grades),
    }


# --- query forms -----------------------------------------------------------------------


def or_query(q: str) -> str:
    """Return the Whoosh-syntax retry of `q`: its words and quoted phrases OR-ed.

    Punctuation around and between words is dropped (a pasted headline's `Revealed:` or
    `|` is no syntax), and so is the operator sense of AND, OR, NOT, ...; hyphenated
    words and words with an apostrophe stay whole."""
    terms: list[str] = []
    for part in _PART.findall(q):
        if part.startswith('"'):
            words = _WORD.findall(part)
            if words:
                terms.append('"' + " ".join(words) + '"')
        else:  # Whoosh's operators, lowercased, are plain words
            terms.extend(t.lower() if t in _OPERATORS else t for t in _TERM.findall(part))
    return " OR ".join(terms)


def fts5_match(q: str, any_word: bool = False) -> str:
    """Return the FTS5 MATCH text of `q`: quoted words, phrases kept, AND-ed (or OR-ed).

    Every word is quoted, so no text is FTS5 syntax: a pasted headline never errors."""
    terms: list[str] = []
    for part in _PART.findall(q):
        words = _WORD.findall(part)
        if part.startswith('"') and words:
            terms.append('"' + " ".join(words) + '"')
        else:
            terms.extend(f'"{w}"' for w in words)
    return (" OR " if any_word else " ").join(terms) or '""'


# --- the systems -----------------------------------------------------------------------


def ours_runner(
    engine: LocalBackend, match: str = "most", mode: str = "keyword", recency: str | None = None
) -> Runner:
    """Return our engine with `match`, `mode` and `recency` (a half-life, off, or None for
    the default) under the shared empty-page-OR rule."""

    def search(text: str) -> Run:
        try:
            request = search_request(
                q=text, per_page=str(K), match=match, mode=mode, recency=recency
            )
            result = engine.search(dataclasses.replace(request, facets=False))
        except SearchError as error:
            return Run([], False, f"{type(error).__name__}: {error}")
        ran = str(getattr(result, "mode", "keyword"))  # engines before modes: keyword
        return Run([hit.id for hit in result.hits], False, None, ran)

    def run(text: str) -> Run:
        first = search(text)
        if first.top:
            return first
        retry = search(or_query(text))
        return Run(retry.top, True, first.error or retry.error, retry.mode or first.mode)

    return run


class TextbookRanker:
    """Textbook Whoosh: MultifieldParser over title, excerpt and body, default scoring."""

    def __init__(self, folder: Path) -> None:
        self.ix = whoosh_index.open_dir(str(folder))
        self.searcher = self.ix.searcher()
        self.parser = qparser.MultifieldParser(["title", "excerpt", "body"], self.ix.schema)

    def __call__(self, text: str) -> list[str]:
        """Return the first-page ids for `text` in Whoosh query syntax (its words alone if
        the parser rejects it)."""
        try:
            query = self.parser.parse(text)
        except Exception:  # Whoosh's parser raises assorted errors on odd input
            query = self.parser.parse(" ".join(_WORD.findall(text)))
        results = self.searcher.search(query, limit=K)
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
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(fts)")}
        sql = self.db.execute("SELECT sql FROM sqlite_master WHERE name = 'fts'").fetchone()[0]
        if "porter" not in sql or not {"title", "excerpt", "body"} <= columns:
            raise RuntimeError(
                f"the FTS5 baseline is not the porter title/excerpt/body table: {sql}"
            )

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


def fts5_runner(fts5: Fts5Ranker, any_word: bool) -> Runner:
    """Return FTS5 with every word AND-ed (then the OR retry) or OR-ed."""

    def run(text: str) -> Run:
        ranked = fts5(fts5_match(text, any_word))
        if ranked or any_word:
            return Run(ranked, False, None)
        return Run(fts5(fts5_match(text, any_word=True)), True, None)

    return run


def textbook_runner(textbook: TextbookRanker) -> Runner:
    """Return textbook Whoosh under the shared empty-page-OR rule."""

    def run(text: str) -> Run:
        ranked = textbook(text)
        if ranked:
            return Run(ranked, False, None)
        return Run(textbook(or_query(text)), True, None)

    return run


# --- evaluation ------------------------------------------------------------------------


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def summarise(rows: Sequence[dict[str, Any]], system: str) -> dict[str, Any]:
    """Return the mean metrics of `system` over `rows` (per-query results) and its counts.
    coverage@10 is the mean over the rows that have coverage (None if none has)."""
    mine = [row["systems"][system] for row in rows]
    summary: dict[str, Any] = {"queries": len(mine)}
    for metric in METRICS:
        values = [r[metric] for r in mine if r[metric] is not None]
        summary[metric] = _mean(values) if mine else None
    summary["fallback"] = sum(1 for r in mine if r["fallback"])
    summary["empty"] = sum(1 for r in mine if not r["top"])
    summary["errors"] = sum(1 for r in mine if r["error"])
    modes = Counter(r["mode"] for r in mine if r.get("mode"))
    if modes:
        summary["modes"] = dict(sorted(modes.items()))  # our engine: the modes that ran
    return summary


def run_queries(queries: Sequence[Query], runners: Mapping[str, Runner]) -> list[dict[str, Any]]:
    """Return one row per query: its type, split, and each system's first page and metrics."""
    rows: list[dict[str, Any]] = []
    for query in queries:
        results: dict[str, Any] = {}
        for system, runner in runners.items():
            run = runner(query.q)
            scores = score_query(run.top, query)
            results[system] = {
                **{m: None if v is None else round(v, 4) for m, v in scores.items()},
                "fallback": run.fallback,
                "error": run.error,
                "mode": run.mode,
                "top": run.top,
            }
        rows.append(
            {
                "name": query.name,
                "kind": query.kind,
                "q": query.q,
                "split": query.split,
                "relevant": len(query.grades),
                "coverage": len(query.coverage),
                "systems": results,
            }
        )
    return rows


def split_rows(rows: Sequence[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Return {tuning, held-out, all: rows of that part}."""
    parts = {split: [r for r in rows if r["split"] == split] for split in SPLITS}
    parts[ALL] = list(rows)
    return parts


def tables(rows: Sequence[dict[str, Any]], systems: Sequence[str]) -> dict[str, Any]:
    """Return {split: {query type or "overall": {system: summary}}} for tuning, held-out
    and all (types without queries are left out)."""
    out: dict[str, Any] = {}
    for split, part in split_rows(rows).items():
        by_kind = {kind: [r for r in part if r["kind"] == kind] for kind in KINDS}
        out[split] = {
            kind: {s: summarise(kind_rows, s) for s in systems}
            for kind, kind_rows in by_kind.items()
            if kind_rows
        }
        out[split][OVERALL] = {s: summarise(part, s) for s in systems}
    return out


def choose_best_fts5(rows: list[dict[str, Any]]) -> dict[str, str]:
    """Return {query type: the FTS5 configuration with the highest held-out nDCG@10}, and
    add that configuration's answers to each row as BEST_FTS5.

    A tie on the held-out half goes to the higher nDCG@10 on the whole set, then to the
    first in FTS5_SYSTEMS: where it matters at all, the bar is put where FTS5 is strongest."""
    chosen: dict[str, str] = {}
    for kind in KINDS:
        of_kind = [r for r in rows if r["kind"] == kind]
        if not of_kind:
            continue
        held = [r for r in of_kind if r["split"] == HELD_OUT]
        keys = {
            system: (
                summarise(held, system)["ndcg@10"] or 0.0,
                summarise(of_kind, system)["ndcg@10"] or 0.0,
                -FTS5_SYSTEMS.index(system),
            )
            for system in FTS5_SYSTEMS
        }
        chosen[kind] = max(FTS5_SYSTEMS, key=keys.__getitem__)
    for row in rows:
        row["systems"][BEST_FTS5] = {
            **row["systems"][chosen[row["kind"]]],
            "config": chosen[row["kind"]],
        }
    return chosen


@contextlib.contextmanager
def built(corpus: Path, workdir: Path | None = None, embeddings: bool = False) -> Iterator[Built]:
    """Yield (folder, documents, vectors): our index, the textbook index and the FTS5
    database built from `corpus` in a temporary folder (or `workdir`). With `embeddings`,
    our index also gets document vectors where the engine can make them; `vectors` says
    what became of them (build_ours)."""
    with contextlib.ExitStack() as stack:
        folder = workdir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        documents = load_documents(corpus)
        vectors = build_ours(corpus, folder / "ours", embeddings)
        build_textbook(documents, folder / "textbook")
        build_sqlite(documents, folder / "fts5.sqlite")
        yield Built(folder, documents, vectors)


def build_ours(corpus: Path, index_dir: Path, embeddings: bool) -> str:
    """Build our index as the product does; return what became of the vectors.

    Hybrid and semantic search need document vectors, made at build time when
    build_index(embeddings=True) exists (an engine without it builds keyword only). If
    making them fails, the index is built without them, and the report says why: hybrid
    and semantic then run as keyword (the per-query `mode` field shows what ran)."""
    if not embeddings:
        build_index(corpus, index_dir, progress=False)
        return "not asked for"
    if "embeddings" not in inspect.signature(build_index).parameters:
        build_index(corpus, index_dir, progress=False)
        return "this engine cannot make them"
    options: dict[str, Any] = {"embeddings": True}
    try:
        build_index(corpus, index_dir, progress=False, **options)
    except Exception as error:  # a missing model, or an engine mid-change: say so, go on
        shutil.rmtree(index_dir, ignore_errors=True)
        build_index(corpus, index_dir, progress=False)
        return f"failed ({type(error).__name__}: {error}); built without"
    return "built"


@contextlib.contextmanager
def opened(folder: Path, documents: Sequence[Article]) -> Iterator[dict[str, Runner]]:
    """Yield {system: runner} for every system in SYSTEMS over the indexes in `folder`."""
    engine = LocalBackend.open(folder / "ours")
    textbook = TextbookRanker(folder / "textbook")
    fts5 = Fts5Ranker(folder / "fts5.sqlite", documents)
    try:
        runners = {s: ours_runner(engine, match, mode) for s, (match, mode) in OURS.items()}
        runners["fts5:and"] = fts5_runner(fts5, any_word=False)
        runners["fts5:or"] = fts5_runner(fts5, any_word=True)
        runners[TEXTBOOK] = textbook_runner(textbook)
        yield runners
    finally:
        engine.close()
        textbook.close()
        fts5.close()


def evaluate(
    corpus: Path,
    workdir: Path | None = None,
    select: Callable[[Query], bool] | None = None,
    embeddings: bool = True,
) -> dict[str, Any]:
    """Build every system from `corpus` (our index with vectors if `embeddings`), run every
    judged query (or those `select` keeps); return the report."""
    started = time.perf_counter()
    with built(corpus, workdir, embeddings) as (folder, documents, vectors):
        queries = [q for q in load_queries(documents) if select is None or select(q)]
        indexed = time.perf_counter()
        with opened(folder, documents) as runners:
            rows = run_queries(queries, runners)
    finished = time.perf_counter()
    result = report(rows, len(documents), corpus)
    result["vectors"] = vectors
    result["seconds"] = {
        "build": round(indexed - started, 2),
        "queries": round(finished - indexed, 2),
    }
    return result


def engine_state(root: Path = REPOSITORY) -> dict[str, Any]:
    """Return the repository's commit and the files under search/ that differ from it,
    so a report names the engine it measured (read-only git; {} where git is missing)."""

    def git(*args: str) -> str | None:
        command = ["git", "--no-optional-locks", "-C", str(root), *args]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout if done.returncode == 0 else None

    commit = git("rev-parse", "--short", "HEAD")
    changed = git("diff", "--name-only", "HEAD", "--", "search")
    untracked = git("ls-files", "--others", "--exclude-standard", "--", "search")
    if commit is None or changed is None or untracked is None:
        return {}
    return {"commit": commit.strip(), "changed": sorted((changed + untracked).split())}


def report(rows: list[dict[str, Any]], documents: int, corpus: Path) -> dict[str, Any]:
    """Return the JSON report: machine, sizes, the chosen fts5:best, the tables
    ({split: {type: {system: summary}}}) and the per-query rows."""
    chosen = choose_best_fts5(rows)
    return {
        "machine": machine(),
        "engine": engine_state(),
        "corpus": str(corpus),
        "documents": documents,
        "queries": {
            split: {
                **{kind: sum(1 for r in part if r["kind"] == kind) for kind in KINDS},
                OVERALL: len(part),
            }
            for split, part in split_rows(rows).items()
        },
        "systems": {s: _describe(s) for s in REPORTED},
        "fts5_best": chosen,
        "tables": tables(rows, REPORTED),
        "per_query": rows,
    }


def _describe(system: str) -> str:
    if system in OURS:
        match, mode = OURS[system]
        return f"our engine, match={match}, mode={mode}"
    return {
        "fts5:and": "SQLite FTS5 bm25, porter, every word AND-ed",
        "fts5:or": "SQLite FTS5 bm25, porter, every word OR-ed",
        BEST_FTS5: "per type, the FTS5 configuration with the higher held-out nDCG@10",
        TEXTBOOK: "textbook Whoosh: MultifieldParser, AndGroup, BM25F",
    }[system]


# --- text tables -----------------------------------------------------------------------

_LABELS = {"ndcg@10": "nDCG@10", "recall@10": "recall@10", "coverage@10": "cover@10", "mrr": "MRR"}


def _cell(value: float | None, width: int) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}.3f}"


def format_relevance(result: Mapping[str, Any], splits: Sequence[str] = (HELD_OUT, ALL)) -> str:
    """Return the report as text: per query type, one table of every system with each
    metric for each of `splits` (keys of result["tables"]), then nDCG@10 by type."""
    counts = result["queries"]
    lines = [
        f"relevance: {result['documents']} documents, {counts[ALL][OVERALL]} judged queries "
        f"({counts[TUNING][OVERALL]} tuning, {counts[HELD_OUT][OVERALL]} held-out)",
    ]
    if "seconds" in result:
        seconds = result["seconds"]
        lines[0] += f"; built in {seconds['build']:.1f} s, queried in {seconds['queries']:.1f} s"
    engine = result.get("engine")
    if engine:
        changed = engine["changed"]
        lines.append(
            f"engine: commit {engine['commit']}"
            + (f" with uncommitted search/ files: {', '.join(changed)}" if changed else "")
        )
    if "vectors" in result:
        lines.append(f"document vectors for hybrid and semantic: {result['vectors']}")
    whole = result["tables"][ALL][OVERALL]
    ran = [
        f"{s} {', '.join(f'{m} {n}' for m, n in whole[s]['modes'].items())}"
        for s, (_, mode) in OURS.items()
        if mode != "keyword" and "modes" in whole[s]
    ]
    if ran:
        lines.append(f"modes that ran (all queries): {'; '.join(ran)}")
    lines.append(
        "cover@10: share of the story's related coverage (the article itself excluded) in "
        "the first 10; fallback/empty/errors count all queries of the type"
    )
    group = 8 + 10 * (len(METRICS) - 1)
    lines.append("")
    top = f"{'':<14}" + "".join(f" | {_short(split):<{group}}" for split in splits)
    top += f" | {'all queries':<20}"
    header = f"{'system':<14}" + "".join(
        f" | {_LABELS[METRICS[0]]:>8}" + "".join(f"{_LABELS[m]:>10}" for m in METRICS[1:])
        for _ in splits
    )
    header += f" | {'fallback':>8} {'empty':>5} {'errors':>6}"
    for kind in (*KINDS, OVERALL):
        if kind not in result["tables"][ALL]:
            continue
        best = result["fts5_best"].get(kind, "each type's choice")
        label = kind if kind != OVERALL else "overall (all types)"
        lines.append(
            f"{label}: {counts[ALL][kind]} queries ({counts[TUNING][kind]} tuning, "
            f"{counts[HELD_OUT][kind]} held-out); {BEST_FTS5} = {best}"
        )
        lines += [top, header]
        for system in REPORTED:
            cells = []
            for split in splits:
                row = result["tables"][split].get(kind, {}).get(system)
                values = [row[m] if row else None for m in METRICS]
                cells.append(
                    f" | {_cell(values[0], 8)}" + "".join(_cell(v, 10) for v in values[1:])
                )
            whole = result["tables"][ALL][kind][system]
            counted = f" | {whole['fallback']:>8} {whole['empty']:>5} {whole['errors']:>6}"
            lines.append(f"{system:<14}" + "".join(cells) + counted)
        lines.append("")
    for split in splits:
        lines.append(f"nDCG@10 by query type, {_short(split)}:")
        lines.append(f"{'type':<12} {'n':>3} " + " ".join(f"{s:>13}" for s in REPORTED))
        for kind, per_system in result["tables"][split].items():
            count = per_system[REPORTED[0]]["queries"]
            ndcgs = " ".join(_cell(per_system[s]["ndcg@10"], 13) for s in REPORTED)
            lines.append(f"{kind:<12} {count:>3} {ndcgs}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _short(split: str) -> str:
    return {TUNING: "tuning", HELD_OUT: "held-out", ALL: "all"}[split]


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
            return run_queries(queries, {"ours": ours_runner(engine, "most", "keyword")})
        finally:
            engine.close()


def coordinate_ascent(
    grid: Mapping[str, Sequence[float]],
    start: Mapping[str, float],
    score: Callable[[Mapping[str, float]], float],
    rounds: int,
    min_gain: float,
) -> tuple[dict[str, float], float, list[dict[str, Any]]]:
    """Return the best knobs, their score and the steps that led there: knobs tried one
    at a time in `grid` order, each value in turn, a value kept only if it beats the best
    so far by `min_gain`; rounds repeat (at most `rounds`) until nothing changes."""
    best = dict(start)
    best_score = score(best)
    steps: list[dict[str, Any]] = []
    for round_number in range(1, rounds + 1):
        changed = False
        for name, values in grid.items():
            for value in values:
                if value == best[name]:
                    continue
                trial = {**best, name: value}
                trial_score = score(trial)
                if trial_score > best_score + min_gain:
                    steps.append(
                        {
                            "round": round_number,
                            "knob": name,
                            "from": best[name],
                            "to": value,
                            "tuning ndcg@10": round(trial_score, 4),
                        }
                    )
                    best, best_score, changed = trial, trial_score, True
        if not changed:
            break
    return best, best_score, steps


def tune(corpus: Path, rounds: int = 3, min_gain: float = MIN_GAIN) -> dict[str, Any]:
    """Coordinate ascent over GRID on the tuning split's nDCG@10; report both splits.

    Knobs are tried one at a time in GRID order, each value in turn, keeping a value only
    if it beats the best so far by `min_gain`; rounds repeat until nothing changes. The
    report also has each knob's sensitivity: every value with the others at the product's
    values, on both splits (only the tuning split ever chooses anything)."""
    with built(corpus) as (folder, documents, _):
        queries = load_queries(documents)
        tuning = [q for q in queries if q.split == TUNING]
        index_dir = folder / "ours"

        def tuned_score(knobs: Mapping[str, float]) -> float:
            rows = _ours_rows(index_dir, tuning, knobs)
            return float(summarise(rows, "ours")["ndcg@10"] or 0.0)

        before = current_knobs()
        best, _, steps = coordinate_ascent(GRID, before, tuned_score, rounds, min_gain)
        outcome: dict[str, Any] = {
            "min_gain": min_gain,
            "before": before,
            "after": best,
            "steps": steps,
        }
        for label, knobs in (("before", before), ("after", best)):
            rows = _ours_rows(index_dir, queries, knobs)
            outcome[f"tables {label}"] = {
                split: summary[OVERALL]["ours"] for split, summary in tables(rows, ["ours"]).items()
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
                    {
                        "value": value,
                        **{s: per_split[s][OVERALL]["ours"]["ndcg@10"] for s in SPLITS},
                    }
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

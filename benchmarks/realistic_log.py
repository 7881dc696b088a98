"""A second query log, shaped like real searches: mostly rare and mid-frequency words.

benchmarks.querylog draws words Zipf-wise from the generator's vocabulary, so most of its
queries are near-universal words matching thousands of documents. Real readers mostly
type the specific: a name, a product, a rare term, with a word or two of context.

This log is drawn from the corpus itself, seeded: `vocabulary` records every word's
document frequency and the words of a sample of documents; each query takes one
sampled document and picks its first word by a band of document frequency (rare 45%,
mid 40%, common 15%), then, for two- and three-word queries, more words of the same
document from the mid and common bands, as a reader adds context. Every word of a query
thus occurs in one document together, so queries that require every word still match.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from whoosh.analysis import STOP_WORDS

from benchmarks.generator import TOPICS
from benchmarks.querylog import LoggedQuery
from search.local.store.schema import TOKEN
from search.model import Article

SAMPLE = 4_000  # documents whose words the log draws from
BANDS = {"rare": (2, 30), "mid": (31, 1_000), "common": (1_001, 10**9)}  # document frequency
FIRST_WORD = {"rare": 0.45, "mid": 0.40, "common": 0.15}
WORDS = ((1, 0.55), (2, 0.30), (3, 0.15))  # words per query


def _words(article: Article) -> set[str]:
    text = " ".join((article.title, article.excerpt, article.body))
    found = {m.group().lower() for m in TOKEN.finditer(text)}
    return {w for w in found if w.isalpha() and w.isascii() and len(w) > 2 and w not in STOP_WORDS}


def vocabulary(articles: Iterable[Article], seed: int = 11) -> dict[str, object]:
    """Return {"df": word -> documents holding it, "documents": sampled word lists}."""
    df: Counter[str] = Counter()
    kept: list[list[str]] = []
    rng = random.Random(seed)
    for number, article in enumerate(articles):
        words = _words(article)
        df.update(words)
        if len(kept) < SAMPLE:  # reservoir sampling: every document equally likely
            kept.append(sorted(words))
        elif (slot := rng.randrange(number + 1)) < SAMPLE:
            kept[slot] = sorted(words)
    return {"df": dict(df), "documents": kept}


def write_vocabulary(articles: Iterable[Article], path: Path) -> None:
    """Write `vocabulary(articles)` as JSON to `path`."""
    path.write_text(json.dumps(vocabulary(articles)))


def _band(df: int) -> str:
    return next(name for name, (low, high) in BANDS.items() if low <= df <= high)


def realistic_log(vocabulary_path: Path, count: int = 1000, seed: int = 5) -> list[LoggedQuery]:
    """Return `count` queries drawn from the corpus vocabulary written at `vocabulary_path`
    (each with a topic and a two-year range for the filtered workload, as query_log)."""
    data = json.loads(vocabulary_path.read_text())
    df: dict[str, int] = data["df"]
    documents: list[list[str]] = [d for d in data["documents"] if d]
    rng = random.Random(seed)
    log: list[LoggedQuery] = []
    while len(log) < count:
        words = [w for w in rng.choice(documents) if df[w] >= BANDS["rare"][0]]
        by_band: dict[str, list[str]] = {name: [] for name in BANDS}
        for word in words:
            by_band[_band(df[word])].append(word)
        first_band = rng.choices(list(FIRST_WORD), weights=list(FIRST_WORD.values()))[0]
        if not by_band[first_band]:
            continue  # this document has no word of that band: draw another
        chosen = [rng.choice(by_band[first_band])]
        size = rng.choices([n for n, _ in WORDS], weights=[w for _, w in WORDS])[0]
        context = [w for w in by_band["mid"] + by_band["common"] if w not in chosen]
        chosen += rng.sample(context, min(size - 1, len(context)))
        start_year = rng.randint(2015, 2024)
        log.append(
            LoggedQuery(
                q=" ".join(chosen),
                topic=rng.choice(TOPICS[:12]),
                date_from=date(start_year, 1, 1),
                date_to=date(start_year + 1, 12, 31),
                filtered=rng.random() < 0.3,
            )
        )
    return log

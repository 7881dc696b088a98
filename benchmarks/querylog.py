"""A replayable query log: what readers of a news archive type, with head queries repeating."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from whoosh.analysis import STOP_WORDS

from benchmarks.generator import TOPICS, CorpusGenerator


@dataclass(frozen=True)
class LoggedQuery:
    """One logged query, with the filter a reader might add to it."""

    q: str
    topic: str
    date_from: date
    date_to: date
    filtered: bool  # whether this reader used filters (a realistic share do)


def _misspell(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # swap two letters


def query_log(count: int = 1000, seed: int = 7, corpus_seed: int = 42) -> list[LoggedQuery]:
    """Return `count` queries: about half one word, a third two words, some three-word
    queries, some phrases and misspellings, drawn Zipf-wise from a pool so head queries
    repeat as in a real log."""
    rng = random.Random(seed)
    generator = CorpusGenerator(corpus_seed)
    generator.rng = random.Random(seed + 1)  # same vocabulary, own draws

    def words(n: int) -> list[str]:
        chosen: list[str] = []
        while len(chosen) < n:
            word = generator.words(1)[0]
            if word not in STOP_WORDS and len(word) > 2 and word not in chosen:
                chosen.append(word)
        return chosen

    pool: list[LoggedQuery] = []
    for _ in range(max(50, count // 3)):
        roll = rng.random()
        if roll < 0.5:
            text = words(1)[0]
        elif roll < 0.83:
            text = " ".join(words(2))
        elif roll < 0.93:
            text = " ".join(words(3))
        else:
            text = '"' + " ".join(words(2)) + '"'
        if rng.random() < 0.04:
            parts = text.split()
            parts[-1] = _misspell(parts[-1], rng)
            text = " ".join(parts)
        start_year = rng.randint(2015, 2024)
        pool.append(
            LoggedQuery(  # a repeated query repeats whole, filters included
                q=text,
                topic=rng.choice(TOPICS[:12]),
                date_from=date(start_year, 1, 1),
                date_to=date(start_year + 1, 12, 31),
                filtered=rng.random() < 0.3,
            )
        )
    weights = [1.0 / (rank**0.9) for rank in range(1, len(pool) + 1)]
    return rng.choices(pool, weights=weights, k=count)

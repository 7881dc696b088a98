"""The words of a generation (unstemmed, with counts): "did you mean" and completions.

Saved as words.json in each generation. Corrections look words up through an index of
single-character deletions (the SymSpell idea), built on first use: a query word and
a known word within one or two edits share a deletion form, so no edit enumeration
over the alphabet is needed.
"""

from __future__ import annotations

import bisect
import json
import re
import threading
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from whoosh.analysis import STOP_WORDS

from search.model import Article

WORDS = "words.json"
_WORD = re.compile(r"[^\W\d_]{2,30}")  # letters only: numbers and codes are not misspelt
MIN_CORRECTION_RATIO = 3  # a correction must be this many times commoner than the word typed


def count_words(documents: Iterable[Article]) -> Counter[str]:
    """Return how often each lowercase word occurs in titles, excerpts, topics, providers."""
    counts: Counter[str] = Counter()
    for document in documents:
        text = " ".join(
            (
                document.title,
                document.excerpt,
                " ".join(document.topics),
                document.provider_name or "",
            )
        )
        counts.update(_WORD.findall(text.lower()))
    return counts


def write_words(folder: Path, counts: Counter[str]) -> None:
    """Save the word counts of a generation."""
    (folder / WORDS).write_text(json.dumps(dict(counts), ensure_ascii=False), encoding="utf-8")


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Return the Damerau-Levenshtein distance of a and b (limit + 1 when larger)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


class Vocabulary:
    """Word counts of one generation, with spelling correction and prefix completion."""

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts
        self.sorted_words = sorted(counts)
        self._deletions: dict[str, tuple[str, ...]] | None = None
        self._lock = threading.Lock()

    @classmethod
    def load(cls, folder: Path) -> Vocabulary:
        """Return the vocabulary saved in a generation folder (empty if there is none)."""
        try:
            data = json.loads((folder / WORDS).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        return cls({str(k): int(v) for k, v in data.items()})

    def prepare(self) -> None:
        """Build the correction index now rather than at the first correction."""
        self._deletion_index()

    def _deletion_index(self) -> dict[str, tuple[str, ...]]:
        with self._lock:
            if self._deletions is None:
                index: dict[str, list[str]] = {}
                for word in self.counts:
                    index.setdefault(word, []).append(word)
                    for form in _deletes(word):
                        index.setdefault(form, []).append(word)
                # Tuples of strings, unlike lists, drop out of the garbage collector's
                # view: 120,000 lists made every full collection ~50 ms longer.
                self._deletions = {form: tuple(words) for form, words in index.items()}
            return self._deletions

    def correct(self, word: str) -> str | None:
        """Return a much commoner word within two edits of `word`, or None."""
        word = word.lower()
        if len(word) < 3 or word in STOP_WORDS or not _WORD.fullmatch(word):
            return None
        own = self.counts.get(word, 0)
        index = self._deletion_index()
        candidates: set[str] = set()
        for form in {word} | _deletes(word):
            candidates.update(index.get(form, ()))
        best: tuple[int, int, str] | None = None
        for candidate in candidates:
            if candidate == word:
                continue
            count = self.counts[candidate]
            if count < max(1, own) * MIN_CORRECTION_RATIO:
                continue
            distance = edit_distance(word, candidate)
            if distance > 2:
                continue
            key = (-distance, count, candidate)
            if best is None or key > best:
                best = key
        return best[2] if best else None

    def complete(self, prefix: str, limit: int) -> list[tuple[str, int]]:
        """Return up to `limit` (word, count) starting with `prefix`, commonest first."""
        prefix = prefix.lower()
        if not prefix:
            return []
        start = bisect.bisect_left(self.sorted_words, prefix)
        found: list[tuple[str, int]] = []
        for word in self.sorted_words[start : start + 5000]:
            if not word.startswith(prefix):
                break
            found.append((word, self.counts[word]))
        found.sort(key=lambda item: (-item[1], item[0]))
        return found[:limit]

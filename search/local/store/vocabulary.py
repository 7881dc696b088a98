"""The words of a generation (unstemmed, with counts): "did you mean" and completions.

Saved as words.json in each generation. A word is corrected to the commonest known word
one edit away (a letter inserted, deleted or replaced, or two neighbours swapped), or
two edits away for long words; short words, words the index holds and words glued to
digits or hyphens (GPT-3, COVID-19) are left alone. Candidates are found through
deletion forms (the SymSpell idea): a typed word and a known word within the allowed
edits share a form made by deleting up to one letter (two, for long words) from each,
so nothing is enumerated over the alphabet. The forms are kept as sorted 64-bit hashes
in NumPy arrays, built on first use, for at most MAX_TARGETS of the commonest words.
"""

from __future__ import annotations

import bisect
import json
import re
import threading
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import numpy.typing as npt
from whoosh.analysis import STOP_WORDS

from search.model import Article

WORDS = "words.json"
_LONGEST = 30  # letters in a word: a longer run of letters is cut into words this long
_WORD = re.compile(rf"[^\W\d_]{{2,{_LONGEST}}}")  # letters only: numbers, codes not misspelt
MIN_CORRECTED = 5  # letters: shorter words are too near each other (gpt, gpu) to correct
TWO_EDITS = 8  # letters: a word at least this long may be corrected by two edits
MAX_TARGETS = 50_000  # commonest words a correction may give: bounds the index (~20 MB)
_JOINERS = "-\u2010\u2011_./+#@&"  # inside a token, these glue words to what follows


def count_words(documents: Iterable[Article]) -> Counter[str]:
    """Return how often each lowercase word occurs in titles, excerpts, topics, providers:
    every match of _WORD in each document's lowercased text."""
    # A match never spans whitespace (no space is a letter), so the text's matches are
    # its whitespace-separated pieces' matches: the pieces are counted at C speed and
    # the regular expression (most of the time when run over every text) runs once per
    # distinct piece, about twice as fast in all
    pieces: Counter[str] = Counter()
    for document in documents:
        text = " ".join(
            (
                document.title,
                document.excerpt,
                " ".join(document.topics),
                document.provider_name or "",
            )
        )
        pieces.update(text.lower().split())
    counts: Counter[str] = Counter()
    for piece, times in pieces.items():
        if len(piece) <= _LONGEST and piece.isalpha():  # the piece is one word (if 2+ long)
            if len(piece) > 1:
                counts[piece] += times
            continue
        for word in _WORD.findall(piece):
            counts[word] += times
    return counts


def write_words(folder: Path, counts: Counter[str]) -> None:
    """Save the word counts of a generation."""
    (folder / WORDS).write_text(json.dumps(dict(counts), ensure_ascii=False), encoding="utf-8")


def _forms(word: str, deletions: int) -> set[str]:
    """Return `word` and every string made by deleting up to `deletions` letters of it."""
    size = len(word)
    forms = {word}
    forms.update([word[:i] + word[i + 1 :] for i in range(size)])
    if deletions > 1:
        forms.update(
            [
                word[:i] + word[i + 1 : j] + word[j + 1 :]
                for i in range(size)
                for j in range(i + 1, size)
            ]
        )
    return forms


def glued(text: str, start: int, end: int) -> bool:
    """Return True when the word text[start:end] is part of a longer token (GPT-3,
    COVID-19, self-driving, node.js, x86): such a token is a name, not a misspelling."""
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    if before.isalnum() or after.isalnum():
        return True
    if before in _JOINERS and start > 1 and text[start - 2].isalnum():
        return True
    return after in _JOINERS and end + 1 < len(text) and text[end + 1].isalnum()


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
        # Correction index: the hash of each deletion form, sorted, and beside it the
        # rank (commonest first) of the word it came from in self._targets.
        self._targets: list[str] = []
        self._keys: npt.NDArray[np.int64] | None = None
        self._ranks: npt.NDArray[np.int32] = np.zeros(0, np.int32)
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
        self._index()

    def _index(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]:
        with self._lock:
            if self._keys is None:
                usable = [
                    (word, count)
                    for word, count in self.counts.items()
                    if len(word) >= MIN_CORRECTED - 1 and word not in STOP_WORDS
                ]
                usable.sort(key=lambda item: (-item[1], item[0]))
                targets = [word for word, _ in usable[:MAX_TARGETS]]
                keys, ranks = array("q"), array("i")  # compact while building
                for rank, word in enumerate(targets):
                    forms = _forms(word, 2 if len(word) >= TWO_EDITS else 1)
                    keys.extend(map(hash, forms))
                    ranks.extend([rank] * len(forms))
                hashes = np.frombuffer(keys, np.int64) if keys else np.zeros(0, np.int64)
                order = np.argsort(hashes, kind="stable")
                self._ranks = np.frombuffer(ranks, np.int32)[order] if ranks else self._ranks
                self._targets = targets
                self._keys = hashes[order]
            return self._keys, self._ranks

    def correct(self, word: str) -> str | None:
        """Return the commonest known word one edit from `word` (two for long words:
        then one edit away is preferred), or None for a known or short word."""
        word = word.lower()
        if len(word) < MIN_CORRECTED or word in self.counts or not _WORD.fullmatch(word):
            return None
        limit = 2 if len(word) >= TWO_EDITS else 1
        keys, ranks = self._index()
        wanted = np.fromiter((hash(form) for form in _forms(word, limit)), np.int64)
        low = np.searchsorted(keys, wanted, "left")
        high = np.searchsorted(keys, wanted, "right")
        found = [ranks[a:b] for a, b in zip(low.tolist(), high.tolist(), strict=True) if b > a]
        if not found:
            return None
        best: str | None = None
        for rank in np.unique(np.concatenate(found)).tolist():  # commonest first
            candidate: str = self._targets[rank]
            distance = edit_distance(word, candidate, limit)
            if distance == 1:
                return candidate
            if distance <= limit and best is None:
                best = candidate
        return best

    def correct_text(
        self, text: str, words: Iterable[tuple[int, int, str]], held: Callable[[str], bool]
    ) -> str:
        """Return `text` with its misspelt `words` ((start, end, word) in it) corrected.

        A word glued to digits or other words (GPT-3) is left alone, and so is any word
        `held` says the index has (in any field, not just those counted here)."""
        corrected = text
        for start, end, word in sorted(words, reverse=True):
            if glued(text, start, end):
                continue
            better = self.correct(word)
            if better is not None and not held(word):
                corrected = corrected[:start] + better + corrected[end:]
        return corrected

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

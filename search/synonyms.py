"""Synonyms: an operator-editable list of words and phrases that mean the same thing.

The file format (search/data/synonyms.txt holds the default list, and says it again):
`a, b, c` makes the entries equivalent; `a => b, c` is one-way (a finds b and c).
Entries are matched case-insensitively against the words of a plain query, longest
first, so "artificial intelligence" is one entry, not two words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from search.errors import SearchError

SYNONYMS = "synonyms.txt"  # the list a generation was built with, kept in its folder
MAX_ENTRIES = 10_000  # lines; a longer file is a mistake, and each is looked at per query
MAX_WORDS = 5  # words in one entry
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def words_of(text: str) -> tuple[str, ...]:
    """Return the lowercase words of `text`, as synonyms match them."""
    return tuple(w.casefold() for w in _WORD.findall(text))


@dataclass(frozen=True)
class Synonyms:
    """Alternatives by entry (a tuple of words): what a query saying it also searches."""

    alternatives: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    longest: int = 0  # words in the longest entry

    @classmethod
    def parse(cls, text: str, source: str = "synonyms") -> Synonyms:
        """Return the synonyms a file's text defines; raise SearchError naming a bad line."""
        found: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        lines = [line.strip() for line in text.splitlines()]
        entries = [(n, line) for n, line in enumerate(lines, 1) if line and line[0] != "#"]
        if len(entries) > MAX_ENTRIES:
            raise SearchError(f"{source}: more than {MAX_ENTRIES} entries")
        for number, line in entries:
            left, arrow, right = line.partition("=>")
            sides = [left, right] if arrow else [left]
            groups = [[words_of(part) for part in side.split(",")] for side in sides]
            if any(not entry or len(entry) > MAX_WORDS for side in groups for entry in side):
                raise SearchError(
                    f"{source}, line {number}: every entry needs 1 to {MAX_WORDS} words"
                )
            sources, targets = (groups[0], groups[1]) if arrow else (groups[0], groups[0])
            for entry in sources:
                listed = found.setdefault(entry, [])
                listed += [t for t in targets if t != entry and t not in listed]
        alternatives = {k: tuple(v) for k, v in found.items() if v}
        return cls(alternatives, max((len(k) for k in alternatives), default=0))

    @classmethod
    def load(cls, path: Path | None) -> Synonyms:
        """Return the synonyms of the file at `path`, or the default list when None."""
        if path is None:
            text = resources.files("search").joinpath("data/synonyms.txt").read_text("utf-8")
            return cls.parse(text, "the default synonyms")
        return cls.parse(path.read_text(encoding="utf-8"), str(path))

    def spans(self, words: list[str]) -> list[tuple[int, int, tuple[tuple[str, ...], ...]]]:
        """Return (start, end, alternatives) for each entry found in `words` (lowercase),
        longest match first, left to right, not overlapping."""
        found = []
        i = 0
        while i < len(words):
            for size in range(min(self.longest, len(words) - i), 0, -1):
                alternatives = self.alternatives.get(tuple(words[i : i + size]))
                if alternatives:
                    found.append((i, i + size, alternatives))
                    i += size
                    break
            else:
                i += 1
        return found


def file_text(path: Path | None) -> str:
    """Return the text of the synonyms file at `path` (the default list when None),
    checked by parsing it; raise SearchError when it cannot be read or parsed."""
    try:
        if path is None:
            text = resources.files("search").joinpath("data/synonyms.txt").read_text("utf-8")
        else:
            text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SearchError(f"cannot read {path}: {exc}") from exc
    Synonyms.parse(text, str(path or "default synonyms"))
    return text

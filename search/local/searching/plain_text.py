"""Plain text as a list of slots: one per word (or synonym entry) the search scores.

A query without explicit syntax (quotes, parentheses, AND/OR/NOT, +/-word, field:,
wildcards) is plain text: typed words, a pasted headline or a paragraph. It becomes
slots, one per distinct word in the order written, each a query tree over the text
fields. A word with synonyms (search.synonyms) becomes one slot holding the word and
its alternatives, so "driverless" and "self-driving" count as the same word. The
matching strategy (run.py) then asks how many slots a document must match.

Long text is bounded: at most MAX_SCORED_WORDS slots are scored, the rarest words
kept (the commonest say least about which story it is), so a 1,000-character paragraph
costs about as much as a 16-word query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from whoosh import query as wq
from whoosh.analysis import STOP_WORDS

from search.local.store.schema import stem_word
from search.synonyms import Synonyms

if TYPE_CHECKING:
    from search.local.searching.snapshot import Snapshot

MAX_SCORED_WORDS = 16  # slots scored for one query: the cost bound of long pasted text
_FIELDS = "title|excerpt|body|topic|topics|provider|providers|source"  # the parser's fields
_EXPLICIT = re.compile(
    rf'["()*~]|(?:^|\s)[+-]\w|\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE)\b|\b(?:{_FIELDS}):',
)
_WORD = re.compile(r"[^\W_]+(?:[.'\u2019][^\W_]+)*", re.UNICODE)
_RARITY_FIELDS = ("title", "excerpt", "body")


@dataclass
class Plan:
    """What plain text searches for: one query tree per slot, and what changed."""

    slots: list[Any]
    labels: list[str]  # each slot's words, as written
    synonyms: list[tuple[str, list[str]]] = field(default_factory=list)  # (said, also found)
    dropped: list[str] = field(default_factory=list)  # common words left out (long text)


def is_plain(text: str) -> bool:
    """Return True when `text` uses no query syntax (its words are just words)."""
    return not _EXPLICIT.search(text)


def plan(snapshot: Snapshot, text: str, synonyms: Synonyms) -> Plan | None:
    """Return the slots of plain `text`, or None when it has explicit syntax (then the
    query parser's strict reading applies) or no searchable word."""
    if not is_plain(text):
        return None
    words = _WORD.findall(text)
    lowered = [w.casefold() for w in words]
    spans = {start: (end, alts) for start, end, alts in synonyms.spans(lowered)}
    units: list[tuple[list[str], tuple[tuple[str, ...], ...], int]] = []
    i = 0
    while i < len(words):
        end, alternatives = spans.get(i, (i + 1, ()))
        units.append((words[i:end], alternatives, end))
        i = end
    seen: set[tuple[str, ...]] = set()
    kept: list[tuple[list[str], tuple[tuple[str, ...], ...], tuple[str, ...]]] = []
    ends_with_unit = False  # whether the text's last word is a kept word (typing it)
    for unit_words, alternatives, end in units:
        folded = [w.casefold() for w in unit_words]
        key = tuple(stem_word(w) for w in folded if w not in STOP_WORDS and len(w) > 1)
        if key and key not in seen:
            seen.add(key)
            kept.append((unit_words, alternatives, key))
            ends_with_unit = end == len(words)
    if not kept:
        return None
    dropped: list[str] = []
    if len(kept) > MAX_SCORED_WORDS:
        # Rarest first, words with synonyms kept; a word no document holds cannot
        # bring anything back, so it goes last.
        frequencies = [0 if alts else _frequency(snapshot, key) for _, alts, key in kept]
        rarity = [(f == 0 and not kept[n][1], f, n) for n, f in enumerate(frequencies)]
        chosen = {n for _, _, n in sorted(rarity)[:MAX_SCORED_WORDS]}
        dropped = [" ".join(kept[n][0]) for n in range(len(kept)) if n not in chosen]
        kept = [unit for n, unit in enumerate(kept) if n in chosen]
    # The last word of a short typed query also matches as a prefix (search as you type),
    # unless a space after it says it is finished.
    typing_last = ends_with_unit and not dropped and not text.endswith((" ", "\t"))
    result = Plan([], [])
    for n, (unit_words, alternatives, _) in enumerate(kept):
        said = " ".join(unit_words)
        last = typing_last and n == len(kept) - 1 and len(unit_words) == 1 and not alternatives
        # As typed: every word of the entry (a trailing space: no prefix); the synonyms'
        # alternatives are phrases, since their words only mean it together.
        original = snapshot.parse(said if last else f"{said} ")
        if alternatives:
            also = [" ".join(a) for a in alternatives]
            trees = [snapshot.parse(a if len(a.split()) == 1 else f'"{a}"') for a in also]
            result.slots.append(wq.Or([original, *trees]))
            result.synonyms.append((said, also))
        else:
            result.slots.append(original)
        result.labels.append(said)
    result.dropped = dropped
    return result


def _frequency(snapshot: Snapshot, key: tuple[str, ...]) -> int:
    """Return how many documents hold the unit's commonest-field term (summed over the
    title, excerpt and body): a rarity order, not an exact count."""
    postings = snapshot.postings
    return max(sum(postings.doc_frequency(f, term) for f in _RARITY_FIELDS) for term in key)

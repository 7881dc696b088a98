"""Highlights: matched words wrapped in <mark>, every other character HTML-escaped.

A word is matched when its indexed form (its lowercase stem, by the stemmer of the
generation being searched: schema.stemmer_in_use) is among the query's terms. The
output is safe to insert into a page as HTML: nothing from the document reaches it
unescaped.

Stemming a word not stemmed before costs ~6 us in Python, most of a new result page's
highlighting. Both stemmers in use only ever change a word's end, so a word's stem
starts with the word's own first letter (tests/test_local_highlight.py checks every
word of the real corpus and of the generator): a word is stemmed only once a query has
a term starting with its letter, and the other words of a text wait, unstemmed.
"""

from __future__ import annotations

import html
import threading
from collections import OrderedDict
from collections.abc import Collection

from whoosh.analysis import STOP_WORDS

from search.local.store.schema import TOKENS, stemmer_in_use

ANALYSED_TEXTS = 8192  # titles and excerpts whose words are kept by stem (result pages repeat)
MARKED_KEPT = 8  # highlighted forms kept per text (one per set of its words a query matched)
FIRST_LETTERS_KEPT = 64  # term sets whose first letters are kept (one per search showing a page)
Place = tuple[int, int]
Spans = dict[str, tuple[Place, ...]]


class _Analysed:
    """A text's words by stem (those stemmed so far), the words not stemmed yet by their
    first letter, and the highlighted forms made of it so far."""

    __slots__ = ("marked", "pending", "spans")

    def __init__(self, spans: Spans, pending: dict[str, dict[str, list[Place]]]) -> None:
        self.spans = spans
        self.pending = pending
        self.marked: dict[tuple[str, ...], str] = {}


_analysed: OrderedDict[tuple[str, str], _Analysed] = OrderedDict()  # by (stemmer, text)
_first_letters: dict[frozenset[str], frozenset[str]] = {}
_lock = threading.Lock()


def highlight(text: str, terms: Collection[str]) -> str:
    """Return `text` escaped, with words whose stem is in `terms` wrapped in <mark>."""
    if not terms:
        return html.escape(text, quote=True)
    wanted = terms if isinstance(terms, frozenset | set) else set(terms)
    analysed = _analyse(text)
    if analysed.pending:
        _stem_pending(analysed, _letters(wanted))
    spans = analysed.spans
    if len(wanted) <= len(spans):  # a prefix's expansions can be hundreds of terms
        matched = tuple(sorted(term for term in wanted if term in spans))
    else:
        matched = tuple(sorted(stem for stem in spans if stem in wanted))
    done = analysed.marked.get(matched)  # the same words of a text mark the same way
    if done is None:
        done = _marked(text, sorted(span for term in matched for span in spans[term]))
        if len(analysed.marked) >= MARKED_KEPT:
            analysed.marked.clear()
        analysed.marked[matched] = done
    return done


def _letters(terms: frozenset[str] | set[str]) -> frozenset[str]:
    """Return the first letters of `terms` (kept for a frozenset: a page's hits share it)."""
    if not isinstance(terms, frozenset):
        return frozenset(term[:1] for term in terms)
    found = _first_letters.get(terms)
    if found is None:
        found = frozenset(term[:1] for term in terms)
        if len(_first_letters) >= FIRST_LETTERS_KEPT:
            _first_letters.clear()
        _first_letters[terms] = found
    return found


def _stem_pending(analysed: _Analysed, letters: frozenset[str]) -> None:
    """Stem the words of `analysed` waiting under any of `letters`, adding their places
    to its spans: every word a term starting with one of them can match is then there."""
    if letters.isdisjoint(analysed.pending):
        return
    stemmer = stemmer_in_use()
    with _lock:
        pending = analysed.pending
        chosen = letters.intersection(pending)
        if not chosen:  # another search stemmed them meanwhile
            return
        spans = dict(analysed.spans)
        for letter in chosen:
            for word, places in pending[letter].items():
                stem = stemmer(word)
                spans[stem] = (*spans.get(stem, ()), *places)
        # The spans first, then what is left: a search that sees the words gone sees
        # their places (one that sees them waiting takes the lock and waits).
        analysed.spans = spans
        analysed.pending = {k: v for k, v in pending.items() if k not in chosen}


def _marked(text: str, marked: list[tuple[int, int]]) -> str:
    """Return `text` escaped with the (sorted) spans `marked` wrapped in <mark>."""
    parts: list[str] = []
    last = 0
    for start, end in marked:
        parts.append(html.escape(text[last:start], quote=True))
        parts.append(f"<mark>{html.escape(text[start:end], quote=True)}</mark>")
        last = end
    parts.append(html.escape(text[last:], quote=True))
    return "".join(parts)


def _analyse(text: str) -> _Analysed:
    """Return the places of the words of `text` by stem (the words stemmed before) and,
    the others, by first letter and word (cached: the words of a text are found once, not
    once per search that shows it), with the highlighted forms made of it."""
    stemmer = stemmer_in_use()
    key = (stemmer.name, text)
    analysed = _analysed.get(key)
    if analysed is None:
        found: dict[str, list[Place]] = {}
        pending: dict[str, dict[str, list[Place]]] = {}
        known = stemmer.cache.get  # most words are stemmed already: skip a call for them
        find = text.find
        end = 0
        # The tokens as strings (no match objects: a third of the cost), each found after
        # the one before: what lies between two tokens has no character a token starts
        # with (the pattern would have matched there), so find() gives the token's start.
        for token in TOKENS.findall(text):
            start = find(token, end)
            end = start + len(token)
            lowered = token.lower()
            if len(lowered) >= 2 and lowered not in STOP_WORDS:
                stem = known(lowered)
                if stem is None:  # stemmed once a query has a term with its first letter
                    pending.setdefault(lowered[0], {}).setdefault(lowered, []).append((start, end))
                else:
                    found.setdefault(stem, []).append((start, end))
        # Tuples, not lists: the garbage collector stops tracking them (and the dict).
        analysed = _Analysed({stem: tuple(places) for stem, places in found.items()}, pending)
        with _lock:
            _analysed[key] = analysed
            if len(_analysed) > ANALYSED_TEXTS:
                _analysed.popitem(last=False)
    return analysed

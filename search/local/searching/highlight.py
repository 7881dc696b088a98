"""Highlights: matched words wrapped in <mark>, every other character HTML-escaped.

A word is matched when its indexed form (its lowercase stem, by the stemmer of the
generation being searched: schema.stemmer_in_use) is among the query's terms. The
output is safe to insert into a page as HTML: nothing from the document reaches it
unescaped.
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
Spans = dict[str, tuple[tuple[int, int], ...]]


class _Analysed:
    """A text's words by stem, and the highlighted forms made of it so far."""

    __slots__ = ("marked", "spans")

    def __init__(self, spans: Spans) -> None:
        self.spans = spans
        self.marked: dict[tuple[str, ...], str] = {}


_analysed: OrderedDict[tuple[str, str], _Analysed] = OrderedDict()  # by (stemmer, text)
_lock = threading.Lock()


def highlight(text: str, terms: Collection[str]) -> str:
    """Return `text` escaped, with words whose stem is in `terms` wrapped in <mark>."""
    if not terms:
        return html.escape(text, quote=True)
    analysed = _analyse(text)
    spans = analysed.spans
    matched = tuple(sorted(term for term in set(terms) if term in spans))
    done = analysed.marked.get(matched)  # the same words of a text mark the same way
    if done is None:
        done = _marked(text, sorted(span for term in matched for span in spans[term]))
        if len(analysed.marked) >= MARKED_KEPT:
            analysed.marked.clear()
        analysed.marked[matched] = done
    return done


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
    """Return {stem: [(start, end) of each word with that stem]} of `text` (cached: the
    words of a text are stemmed once, not once per search that shows it), with the
    highlighted forms made of it."""
    stemmer = stemmer_in_use()
    key = (stemmer.name, text)
    analysed = _analysed.get(key)
    if analysed is None:
        found: dict[str, list[tuple[int, int]]] = {}
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
                if stem is None:
                    stem = stemmer(lowered)
                found.setdefault(stem, []).append((start, end))
        # Tuples, not lists: the garbage collector stops tracking them (and the dict).
        analysed = _Analysed({stem: tuple(places) for stem, places in found.items()})
        with _lock:
            _analysed[key] = analysed
            if len(_analysed) > ANALYSED_TEXTS:
                _analysed.popitem(last=False)
    return analysed

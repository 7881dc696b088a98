""" "More like this": a query made of a document's most telling words.

As in Elasticsearch's more_like_this: the words of the title (counted twice) and
excerpt are weighted by how rare they are in the generation (tf * idf), and the best
few are OR-ed into an ordinary query, so the search that follows ranks, filters and
facets like any other and the reader can see and edit what was searched.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from whoosh.analysis import STOP_WORDS

from search.local.searching.snapshot import Snapshot

LIKE_TERMS = 8  # words in a "more like this" query
_WORD = re.compile(r"[^\W\d_]{3,}")  # words of letters: numbers and short words say little


def like_query(snapshot: Snapshot, number: int) -> str:
    """Return the "more like this" query text for document `number` ("" if it has no
    word that any other document shares)."""
    stored = snapshot.stored(number)
    title, excerpt = stored.get("title") or "", stored.get("excerpt") or ""
    analyzer = snapshot.index.schema["title"].analyzer
    weights: Counter[str] = Counter()
    surface: dict[str, str] = {}  # stem -> the first word that gave it
    for text, weight in ((title, 2), (excerpt, 1)):
        for word in _WORD.findall(text.casefold()):
            if word in STOP_WORDS:
                continue
            stems = [token.text for token in analyzer(word)]
            if len(stems) != 1:
                continue
            weights[stems[0]] += weight
            surface.setdefault(stems[0], word)
    total = max(snapshot.documents, 1)
    scored: list[tuple[float, str]] = []
    with snapshot.postings.lock:  # a Whoosh reader is not thread-safe
        for stem, weight in weights.items():
            frequency = max(
                snapshot.reader.doc_frequency(field, stem) for field in ("title", "excerpt")
            )
            if frequency > 1:  # a word only this document has finds nothing else
                scored.append((weight * math.log(1 + total / frequency), stem))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return " OR ".join(surface[stem] for _, stem in scored[:LIKE_TERMS])

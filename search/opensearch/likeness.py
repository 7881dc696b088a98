""" "More like this" on OpenSearch: the local backend's query text, from term vectors.

As locally (search.local.searching.more_like_this): the title's words (counted twice)
and the excerpt's, weighted by tf * idf, the best LIKE_TERMS OR-ed into an ordinary
query the reader can see and edit. Document frequencies come from the document's term
vectors (exact with one shard; per shard otherwise).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from typing import Any

from whoosh.analysis import STOP_WORDS

from search.local.searching.more_like_this import _WORD, LIKE_TERMS
from search.local.store.schema import SNOWBALL, STEMMERS

LIKE_FIELDS = ("title", "excerpt")
_STEM = STEMMERS[SNOWBALL]


def like_text(source: Mapping[str, Any], vectors: Mapping[str, Any], documents: int) -> str:
    """Return "word OR word ..." for a document's telling words ("" when no other
    document shares any)."""
    weights: Counter[str] = Counter()
    surface: dict[str, str] = {}
    for name, weight in (("title", 2), ("excerpt", 1)):
        for word in _WORD.findall(str(source.get(name) or "").casefold()):
            if word in STOP_WORDS:
                continue
            stem = _STEM(word)
            weights[stem] += weight
            surface.setdefault(stem, word)
    frequency: dict[str, int] = {}
    for name in LIKE_FIELDS:
        terms = vectors.get("term_vectors", {}).get(name, {}).get("terms", {})
        for term, info in terms.items():
            frequency[term] = max(frequency.get(term, 0), int(info.get("doc_freq", 0)))
    total = max(documents, 1)
    scored = [
        (weight * math.log(1 + total / frequency[stem]), stem)
        for stem, weight in weights.items()
        if frequency.get(stem, 0) > 1  # a word only this document has finds nothing else
    ]
    scored.sort(key=lambda item: (-item[0], item[1]))
    return " OR ".join(surface[stem] for _, stem in scored[:LIKE_TERMS])

"""Highlights: matched words wrapped in <mark>, every other character HTML-escaped.

A word is matched when its indexed form (lowercase Porter stem, as schema.analyze
makes it) is among the query's terms for that field. The output is safe to insert
into a page as HTML: nothing from the document reaches it unescaped.
"""

from __future__ import annotations

import html
from collections.abc import Collection

from whoosh.analysis import STOP_WORDS

from search.schema import TOKEN, stem_word


def highlight(text: str, terms: Collection[str]) -> str:
    """Return `text` escaped, with words whose stem is in `terms` wrapped in <mark>."""
    if not terms:
        return html.escape(text, quote=True)
    parts: list[str] = []
    last = 0
    for match in TOKEN.finditer(text):
        word = match.group()
        lowered = word.lower()
        if len(lowered) < 2 or lowered in STOP_WORDS or stem_word(lowered) not in terms:
            continue
        parts.append(html.escape(text[last : match.start()], quote=True))
        parts.append(f"<mark>{html.escape(word, quote=True)}</mark>")
        last = match.end()
    parts.append(html.escape(text[last:], quote=True))
    return "".join(parts)

"""Completions and did-you-mean on OpenSearch.

Completions, as locally: topic and provider names starting the typed text (from the
index's metadata), the commonest words completing the last word (from the index's
companion vocabulary index, `<index>-words`), then titles whose words start with it.
Did-you-mean asks a term suggester over the
unstemmed `spell` field for words the index does not hold, and offers the corrected
text only when it finds more documents, as locally.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opensearchpy import exceptions as os_errors

from search.local.searching.query_parser import plain_words
from search.local.searching.suggest import SUGGESTED, _starts_a_word
from search.lookup_results import Suggestion
from search.opensearch.index_meta import IndexMeta
from search.opensearch.searching import HIT_FIELDS
from search.opensearch.text_query import Query, explicit_query

Call = Callable[[Callable[[], Any]], Any]


def suggestions(
    client: Any, index: str, meta: IndexMeta, prefix: str, limit: int, call: Call
) -> list[Suggestion]:
    """Return completions for what a reader has typed, most useful first."""
    typed = " ".join(prefix.split())
    if not typed:
        return []
    folded = typed.casefold()
    found: list[Suggestion] = []
    for kind in SUGGESTED:
        counts = meta.counts.get(kind, {})
        matches = sorted(
            ((n, name) for name, n in counts.items() if _starts_a_word(name.casefold(), folded)),
            key=lambda item: (-item[0], item[1]),
        )
        found += [Suggestion(name, kind) for _, name in matches[:3]]
    head, _, last = typed.rpartition(" ")
    for word in _completions(client, index, last, limit, call):
        text = f"{head} {word}".strip()
        if text.casefold() != folded or word.casefold() == last.casefold():
            found.append(Suggestion(text, "query"))
    words = [w for w in typed.split() if w.isalnum()]
    if words:
        must: list[Query] = [{"match": {"title": w}} for w in words[:-1]]
        must.append({"prefix": {"title": words[-1].casefold()}})
        body = {"query": {"bool": {"must": must}}, "size": 3, "_source": HIT_FIELDS}
        hits = call(lambda: client.search(index=index, body=body))["hits"]["hits"]
        found += [Suggestion(h["_source"]["title"], "title") for h in hits]
    unique: dict[tuple[str, str], Suggestion] = {}
    for suggestion in found:
        unique.setdefault((suggestion.kind, suggestion.text.casefold()), suggestion)
    return list(unique.values())[:limit]


def _completions(client: Any, index: str, last: str, limit: int, call: Call) -> list[str]:
    """Return up to `limit` words of the vocabulary starting with `last`, commonest first."""
    from search.opensearch.indexer import words_index

    prefix = last.lower()
    if not prefix:
        return []
    body = {
        "query": {"prefix": {"word": prefix}},
        "sort": [{"count": "desc"}, {"word": "asc"}],
        "size": limit,
        "_source": ["word"],
    }
    try:
        hits = call(lambda: client.search(index=words_index(index), body=body))["hits"]["hits"]
    except os_errors.NotFoundError:  # an index built without one: no word completions
        return []
    return [str(h["_source"]["word"]) for h in hits]


def did_you_mean(
    client: Any, index: str, text: str, filters: dict[str, Query | None], held: int, call: Call
) -> str | None:
    """Return `text` with misspelt words corrected, if that finds more than `held`
    documents under `filters`; else None."""
    spans = plain_words(text)
    if not spans:
        return None
    suggest = {
        f"w{n}": {
            "text": word.casefold(),
            "term": {
                "field": "spell",
                "suggest_mode": "missing",
                "max_edits": 2,
                "min_word_length": 4,
            },
        }
        for n, (_, _, word) in enumerate(spans)
    }
    answer = call(lambda: client.search(index=index, body={"size": 0, "suggest": suggest}))
    corrected, last = [], 0
    for n, (start, end, _) in enumerate(spans):
        options = answer["suggest"][f"w{n}"][0]["options"] if answer["suggest"][f"w{n}"] else []
        if options:
            corrected += [text[last:start], options[0]["text"]]
            last = end
    if not corrected:
        return None
    fixed = "".join(corrected) + text[last:]
    try:
        query, _ = explicit_query(fixed)
    except Exception:  # a correction is a nicety: never fail the search over it
        return None
    chosen = [c for c in filters.values() if c is not None]
    body = {"query": {"bool": {"must": [query], "filter": chosen}}}
    found = int(call(lambda: client.count(index=index, body=body))["count"])
    return fixed if found > held else None

"""Search-as-you-type completions: facet names, words of the vocabulary, titles."""

from __future__ import annotations

from search.facets import KEYWORD_FACETS
from search.local.searching.hits import make_hit
from search.local.searching.matching import Evaluation
from search.local.searching.ranking import ranked
from search.local.searching.snapshot import Snapshot
from search.lookup_results import Suggestion
from search.results import Hit

SUGGESTED = tuple(f.name for f in KEYWORD_FACETS if f.suggest)  # facets offered as completions


def suggest_for(snapshot: Snapshot, prefix: str, limit: int) -> list[Suggestion]:
    """Return completions for what a reader has typed so far, most useful first.

    Topics and providers whose names start with the text come first (they become
    filters), then the commonest words completing the last word, then titles."""
    typed = " ".join(prefix.split())
    if not typed:
        return []
    folded = typed.casefold()
    found: list[Suggestion] = []
    columns = snapshot.columns
    for kind in SUGGESTED:
        names, counts = columns.keywords[kind].names, snapshot.name_counts[kind]
        matches = [
            (int(counts[i]), name)
            for i, name in enumerate(names)
            if _starts_a_word(name.casefold(), folded)
        ]
        matches.sort(key=lambda item: (-item[0], item[1]))
        found += [Suggestion(name, kind) for _, name in matches[:3]]
    head, _, last = typed.rpartition(" ")
    for word, _count in snapshot.vocabulary.complete(last, limit):
        text = f"{head} {word}".strip()
        if text.casefold() != folded or word.casefold() == last.casefold():
            found.append(Suggestion(text, "query"))
    found += _title_suggestions(snapshot, typed, limit)
    unique: dict[tuple[str, str], Suggestion] = {}
    for suggestion in found:
        unique.setdefault((suggestion.kind, suggestion.text.casefold()), suggestion)
    return list(unique.values())[:limit]


def _starts_a_word(name: str, typed: str) -> bool:
    return name.startswith(typed) or f" {typed}" in f" {name}"


def _title_suggestions(snapshot: Snapshot, typed: str, limit: int) -> list[Suggestion]:
    words = [w for w in typed.split() if w.isalnum()]
    if not words:
        return []
    query = " ".join(f"title:{w}" for w in words[:-1]) + f" title:{words[-1]}*"
    info = Evaluation()
    try:
        match = snapshot.evaluator.evaluate(snapshot.parse(query), info)
    except Exception:  # a completion is a nicety: never fail the keystroke
        return []
    numbers, _ = ranked(snapshot, match.mask, match, "relevance", 3)
    titles: list[Hit] = [make_hit(snapshot.stored(int(n)), 0.0, ()) for n in numbers]
    return [Suggestion(hit.title, "title") for hit in titles][:limit]

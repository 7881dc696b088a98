"""The `q` text as OpenSearch query DSL, built clause by clause: never a `query_string`.

Plain text (no quotes, operators or fields) becomes one slot per distinct word, or per
synonym entry, exactly as the local backend plans it (search.local.searching.plain_text):
a slot matches its word in any text field with the local field weights, the last word of
a short typed query also as a prefix, and a word with synonyms matches the word or any
alternative (a phrase). The matching strategy then says how many slots a document needs.

Text with explicit syntax is parsed by the same Whoosh query parser the local backend
uses (over unstemmed fields, so OpenSearch's analyzer does the stemming) and its tree is
translated node by node; a node with no translation is a 400 naming `q`. User text only
ever reaches `match`, `match_phrase`, `prefix`, `wildcard`, `fuzzy` and `range` values,
never a query string, a regular expression or a script.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from whoosh import fields as wf
from whoosh import query as wq
from whoosh.analysis import STOP_WORDS, StandardAnalyzer

from search.errors import BadQuery
from search.local.searching.plain_text import MAX_SCORED_WORDS, is_plain
from search.local.searching.query_parser import PREFIX_MIN, build_parser, parse
from search.local.store.schema import SNOWBALL, STEMMERS
from search.opensearch.mapping import TEXT_FIELDS
from search.synonyms import Synonyms

Query = dict[str, Any]
_WORD = re.compile(r"[^\W_]+(?:[.'\u2019][^\W_]+)*", re.UNICODE)  # plain_text._WORD
_STEM = STEMMERS[SNOWBALL]


@dataclass
class Unit:
    """One slot of plain text: the words as written, their searchable words, synonyms."""

    said: str
    words: list[str]  # casefolded, without stop words and one-letter words
    alternatives: tuple[tuple[str, ...], ...]
    key: tuple[str, ...]  # the stems: two units with one key are one slot


@dataclass
class Planned:
    """Plain text's slots as queries, and what the answer's `matching` says of them."""

    slots: list[Query]
    labels: list[str]
    synonyms: list[tuple[str, list[str]]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)


def units_of(text: str, synonyms: Synonyms) -> tuple[list[Unit], bool]:
    """Return the distinct units of plain `text` in order, and whether its last word is
    the last kept unit (the reader may still be typing it)."""
    words = _WORD.findall(text)
    lowered = [w.casefold() for w in words]
    spans = {start: (end, alts) for start, end, alts in synonyms.spans(lowered)}
    seen: set[tuple[str, ...]] = set()
    kept: list[Unit] = []
    ends_with_unit = False
    i = 0
    while i < len(words):
        end, alternatives = spans.get(i, (i + 1, ()))
        folded = [w for w in lowered[i:end] if w not in STOP_WORDS and len(w) > 1]
        key = tuple(_STEM(w) for w in folded)
        if key and key not in seen:
            seen.add(key)
            kept.append(Unit(" ".join(words[i:end]), folded, alternatives, key))
            ends_with_unit = end == len(words)
        i = end
    return kept, ends_with_unit


def plan_text(
    text: str, synonyms: Synonyms, frequency: Callable[[list[Unit]], list[int]]
) -> Planned | None:
    """Return the slots of plain `text` (None: it has explicit syntax or no word).

    `frequency` gives each unit's document frequency, asked only for text with more than
    MAX_SCORED_WORDS units: the rarest are kept, words no document holds last."""
    if not is_plain(text):
        return None
    kept, ends_with_unit = units_of(text, synonyms)
    if not kept:
        return None
    dropped: list[str] = []
    if len(kept) > MAX_SCORED_WORDS:
        counts = frequency(kept)
        frequencies = [0 if unit.alternatives else n for unit, n in zip(kept, counts, strict=True)]
        rarity = [(f == 0 and not kept[n].alternatives, f, n) for n, f in enumerate(frequencies)]
        chosen = {n for _, _, n in sorted(rarity)[:MAX_SCORED_WORDS]}
        dropped = [kept[n].said for n in range(len(kept)) if n not in chosen]
        kept = [unit for n, unit in enumerate(kept) if n in chosen]
    typing_last = ends_with_unit and not dropped and not text.endswith((" ", "\t"))
    planned = Planned([], [], dropped=dropped)
    for n, unit in enumerate(kept):
        last = typing_last and n == len(kept) - 1 and len(unit.words) == 1 and not unit.alternatives
        original = _all_of([_word(w, prefix=last) for w in unit.words])
        if unit.alternatives:
            also = [" ".join(a) for a in unit.alternatives]
            slot = _any_of([original, *(_phrase_anywhere(a) for a in also)])
            planned.synonyms.append((unit.said, also))
        else:
            slot = original
        planned.slots.append(slot)
        planned.labels.append(unit.said)
        planned.words += unit.said.split()
    return planned


def _word(word: str, prefix: bool = False) -> Query:
    """Return a query for one word in any text field, weighted as the local ranking is
    (and, for a word still being typed, as a prefix of an indexed term too)."""
    clauses: list[Query] = [
        {"match": {name: {"query": word, "boost": weight, "operator": "and"}}}
        for name, weight in TEXT_FIELDS.items()
    ]
    if prefix and len(word) >= PREFIX_MIN and word.isalnum():
        # Whoosh's parser stems a prefix as it stems a word ("cars*" is "car*"): the same
        # here, so both backends count the same documents.
        stem = _STEM(word.casefold())
        clauses += [
            {"prefix": {name: {"value": stem, "boost": weight}}}
            for name, weight in TEXT_FIELDS.items()
        ]
    return _any_of(clauses)


def _phrase_anywhere(text: str) -> Query:
    if len(text.split()) == 1:
        return _word(text)
    return _any_of(
        [
            {"match_phrase": {name: {"query": text, "boost": weight}}}
            for name, weight in TEXT_FIELDS.items()
        ]
    )


def _all_of(clauses: list[Query]) -> Query:
    return clauses[0] if len(clauses) == 1 else {"bool": {"must": clauses}}


def _any_of(clauses: list[Query]) -> Query:
    if len(clauses) == 1:
        return clauses[0]
    return {"bool": {"should": clauses, "minimum_should_match": 1}}


# --- explicit syntax -------------------------------------------------------------------

_FIELD_NAMES = {"topic": "topic", "provider": "provider"}
_local = threading.local()  # a Whoosh parser per thread: parsing keeps state on it


def _parser() -> Any:
    parser = getattr(_local, "parser", None)
    if parser is None:
        analyzer = StandardAnalyzer()  # the local tokenizer, lowercase, stop words; no stems
        schema = wf.Schema(**{name: wf.TEXT(analyzer=analyzer) for name in TEXT_FIELDS})
        parser = _local.parser = build_parser(schema)
    return parser


def explicit_query(text: str) -> tuple[Query, list[str]]:
    """Return the DSL of `text` read with its syntax, and its words (for proximity);
    raise BadQuery naming `q` for syntax OpenSearch is not given."""
    tree = parse(_parser(), text)
    words = [t for _, t in tree.iter_all_terms()] if tree is not wq.NullQuery else []
    return translate(tree), [w for w in words if isinstance(w, str)]


def translate(node: Any) -> Query:
    """Return the DSL for one Whoosh query node and everything under it."""
    boost = float(getattr(node, "boost", 1.0) or 1.0)
    if node is wq.NullQuery or isinstance(node, wq.NullQuery.__class__):
        return {"match_none": {}}
    if isinstance(node, wq.Every):
        return {"match_all": {}}
    if isinstance(node, wq.And):
        return _boosted({"bool": {"must": [translate(n) for n in node.subqueries]}}, boost)
    if isinstance(node, wq.DisjunctionMax):
        return {"dis_max": {"queries": [translate(n) for n in node.subqueries], "boost": boost}}
    if isinstance(node, wq.Or):
        should = [translate(n) for n in node.subqueries]
        return _boosted({"bool": {"should": should, "minimum_should_match": 1}}, boost)
    if isinstance(node, wq.AndNot):
        must, must_not = translate(node.a), translate(node.b)
        return _boosted({"bool": {"must": [must], "must_not": [must_not]}}, boost)
    if isinstance(node, wq.AndMaybe):
        required, optional = translate(node.a), translate(node.b)
        return _boosted({"bool": {"must": [required], "should": [optional]}}, boost)
    if isinstance(node, wq.Not):
        return {"bool": {"must": [{"match_all": {}}], "must_not": [translate(node.query)]}}
    name = _field(getattr(node, "fieldname", None))
    if isinstance(node, wq.Phrase):
        phrase = " ".join(str(w) for w in node.words)
        slop = max(0, int(node.slop) - 1)  # Whoosh counts adjacent words as slop 1
        return {"match_phrase": {name: {"query": phrase, "slop": slop, "boost": boost}}}
    if isinstance(node, wq.FuzzyTerm):
        return {
            "fuzzy": {
                name: {
                    "value": str(node.text),
                    "fuzziness": min(int(node.maxdist), 2),
                    "prefix_length": int(node.prefixlength),
                    "boost": boost,
                }
            }
        }
    if isinstance(node, wq.Prefix):
        return {"prefix": {name: {"value": str(node.text), "boost": boost}}}
    if isinstance(node, wq.Wildcard):
        return {"wildcard": {name: {"value": str(node.text), "boost": boost}}}
    if isinstance(node, wq.TermRange):
        bounds: dict[str, Any] = {"boost": boost}
        if node.start is not None:
            bounds["gt" if node.startexcl else "gte"] = str(node.start)
        if node.end is not None:
            bounds["lt" if node.endexcl else "lte"] = str(node.end)
        return {"range": {name: bounds}}
    if isinstance(node, wq.Term):
        return {"match": {name: {"query": str(node.text), "boost": boost, "operator": "and"}}}
    raise BadQuery(f"this query syntax is not supported ({type(node).__name__})", param="q")


def _field(name: str | None) -> str:
    if name not in TEXT_FIELDS:
        raise BadQuery(f"unknown field {name!r} in the query", param="q")
    return name


def _boosted(query: Query, boost: float) -> Query:
    if boost != 1.0:
        query["bool"]["boost"] = boost
    return query

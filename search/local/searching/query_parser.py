"""Turning the `q` text into a Whoosh query tree: the parser, its fallbacks and limits."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from whoosh import qparser
from whoosh import query as wq
from whoosh.analysis import STOP_WORDS
from whoosh.fields import Schema

from search.errors import BadQuery
from search.local.store.schema import FIELD_WEIGHTS, TEXT_FIELDS

MAX_QUERY_TERMS = 64  # leaves of a parsed query; longer ones are abuse, not searches
_WORDS = re.compile(r"\w+")
_PLAIN_WORD = re.compile(r"(?<![\w:])([^\W\d_]{3,30})(?![\w:*~])")
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}


def build_parser(schema: Any) -> Any:
    """Return the query parser: words AND-ed over the text fields, title weighted highest.

    The parser sees only the text fields a reader may name (`title:`, `excerpt:`, `body:`,
    `topic:`, `provider:` and their aliases): `kind:article`, `id:...` or `url:...` are
    read as plain words, as any unknown field is, never as the index's internal fields
    (whose terms are not what a reader means, or not indexed at all)."""
    readable = Schema(**{name: schema[name] for name in TEXT_FIELDS if name in schema})
    parser = qparser.MultifieldParser(list(TEXT_FIELDS), readable, fieldboosts=FIELD_WEIGHTS)
    parser.add_plugin(qparser.FuzzyTermPlugin())
    parser.add_plugin(
        qparser.FieldAliasPlugin({"topic": ["topics"], "provider": ["providers", "source"]})
    )
    return parser


_PLAIN_QUERY = re.compile(r"[^\W_]+(?:[ '\u2019.-]+[^\W_]+)*", re.UNICODE)
PREFIX_MIN = 3  # a last word this long also matches as a prefix: "facial rec" finds recognition


def with_prefix(text: str) -> str:
    """Return plain-word text with its last word also searched as a prefix.

    Readers type the last word unfinished, as search engines have taught them to; a
    query with any syntax (quotes, operators, fields) is taken exactly as written."""
    stripped = text.strip()
    if text != text.rstrip() or not _PLAIN_QUERY.fullmatch(stripped):
        return text  # a trailing space means the last word is finished
    head, _, last = stripped.rpartition(" ")
    if len(last) < PREFIX_MIN or not last.isalnum() or last.upper() in _OPERATORS:
        return text
    return f"{head} ({last} OR {last}*)".strip()


_ONE_WORD = re.compile(r"([A-Za-z]{2,30})( ?)")  # what word_tree builds without the parser


def word_tree(text: str, stem: Callable[[str], str]) -> Any | None:
    """Return parse()'s tree of one plain ASCII word as plain text plans it ("word "
    for the whole word, "word" for it also as a prefix), built directly; None for any
    other text (a stop word, an operator, digits, other letters, more words): parse it.

    Whoosh's parser takes 0.7 to 3 ms a word and every new query meets it; this gives
    the same tree (tests/test_word_trees.py compares them over whole vocabularies): the
    word lowercased and stemmed (`stem`: the generation's stemmer) in every text field
    with its weight, then, unless a space follows, the same stem as a prefix in each."""
    found = _ONE_WORD.fullmatch(text)
    if found is None:
        return None
    word, space = found.groups()
    lowered = word.lower()
    if lowered in STOP_WORDS or word.upper() in _OPERATORS:
        return None
    term = stem(lowered)
    leaves: list[Any] = [wq.Term(f, term, boost=FIELD_WEIGHTS[f]) for f in TEXT_FIELDS]
    if not space and len(word) >= PREFIX_MIN:
        leaves += [wq.Prefix(f, term, boost=FIELD_WEIGHTS[f]) for f in TEXT_FIELDS]
    return wq.Or(leaves)


_EMPTY_FIELD = re.compile(r"\b\w+:(?=\s|$)")  # `title:` with no term after it


def parse(parser: Any, text: str) -> Any:
    """Return the query tree for `text`; text Whoosh cannot parse is searched as plain words."""
    text = _EMPTY_FIELD.sub(" ", text)
    try:
        tree = parser.parse(with_prefix(text))
    except Exception:  # the parser raises assorted errors on odd input; any of them means:
        tree = None  # search the words instead
    if tree is None or (_leaf_count(tree) == 0 and _WORDS.search(text)):
        words = " ".join(_WORDS.findall(text))
        tree = parser.parse(words) if words else wq.NullQuery
    if _leaf_count(tree) > MAX_QUERY_TERMS:
        raise BadQuery(
            f"the query has too many terms (limit {MAX_QUERY_TERMS // len(TEXT_FIELDS)} words)",
            param="q",
        )
    return tree


def _leaf_count(tree: Any) -> int:
    if tree is wq.NullQuery:
        return 0
    return sum(1 for _ in tree.leaves())


def plain_words(text: str) -> list[tuple[int, int, str]]:
    """Return (start, end, word) of the words of `text` that a speller may correct."""
    return [
        (m.start(1), m.end(1), m.group(1))
        for m in _PLAIN_WORD.finditer(text)
        if m.group(1) not in _OPERATORS
    ]

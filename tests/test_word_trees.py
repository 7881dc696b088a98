"""query_parser.word_tree: a plain word's query tree built without Whoosh's parser is
the parser's own, for every word of the real corpus and the generator's vocabulary, in
every form plain text plans (whole word, typed last word, capitalised, upper case)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from api_contract import BuiltIndex
from whoosh.analysis import STOP_WORDS

from benchmarks.generator import ENGLISH, TECH
from search.local.searching.query_parser import parse, word_tree
from search.local.searching.snapshot import Snapshot
from search.local.store.generations import current_generation

ODD = [  # stems that are not prefixes, stop words, operators, two letters, non-ASCII
    *("running", "happily", "skies", "dying", "news", "generously", "organization"),
    *("the", "and", "not", "to", "AND", "OR", "NOT", "TO", "ANDNOT", "ANDMAYBE", "andmaybe"),
    *("ai", "us", "x", "gpt3", "café", "naïve", "don't", "self-driving", "a" * 31),
]


@pytest.fixture(scope="module")
def snapshot(corpus_index: BuiltIndex) -> Iterator[Snapshot]:
    generation = current_generation(corpus_index.folder)
    assert generation is not None
    opened = Snapshot(generation)
    try:
        yield opened
    finally:
        opened.retire()


def forms(word: str) -> list[str]:
    """Return the texts plain_text.plan parses for a word: typed last (no space) or
    whole (a space after it), as written, capitalised and in upper case."""
    shapes = {word, word.capitalize(), word.upper()}
    return [text for shape in sorted(shapes) for text in (shape, f"{shape} ")]


def parsed(snapshot: Snapshot, text: str) -> Any:
    """Return the parser's tree of `text` (the long way)."""
    return parse(snapshot.parser, text)


def test_every_word_gives_the_parsers_tree(snapshot: Snapshot) -> None:
    words = sorted({*snapshot.vocabulary.counts, *ENGLISH, *TECH, *ODD})
    assert len(words) > 1_000
    built = tried = 0
    for word in words:
        for text in forms(word):
            tried += 1
            tree = word_tree(text, snapshot.stemmer)
            if tree is None:
                continue
            built += 1
            expected = parsed(snapshot, text)
            assert tree == expected, text
            assert repr(tree) == repr(expected), text  # the OR cache keys nodes by repr
    assert built > 0.9 * tried  # the shortcut is the common case


def test_what_it_leaves_to_the_parser(snapshot: Snapshot) -> None:
    left = [w for w in ODD for text in forms(w) if word_tree(text, snapshot.stemmer) is None]
    assert sorted(set(left)) == sorted(
        {w for w in ODD if w.lower() in STOP_WORDS or w.upper() in ("AND", "OR", "NOT", "TO")}
        | {"ANDNOT", "ANDMAYBE", "andmaybe", "x", "gpt3", "café", "naïve", "don't"}
        | {"self-driving", "a" * 31}
    )
    assert word_tree("facial recognition", snapshot.stemmer) is None  # two words: the parser
    assert repr(word_tree("Running", snapshot.stemmer)) == repr(parsed(snapshot, "Running"))
    assert "Prefix('title', 'run', boost=3.0)" in repr(word_tree("Running", snapshot.stemmer))
    assert "Prefix" not in repr(word_tree("ai", snapshot.stemmer))  # under PREFIX_MIN letters

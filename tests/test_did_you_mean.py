"""Did-you-mean: Damerau corrections to the commonest known word, never of a word the
index holds or of a token glued to digits or hyphens (GPT-3)."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_contract import BuiltIndex

from search.ingest.corpus import discover, merge, parse_files
from search.local import LocalBackend
from search.local.searching.query_parser import plain_words
from search.local.store import vocabulary
from search.local.store.build import build_index
from search.local.store.vocabulary import Vocabulary, edit_distance, glued
from search.model import Article, ParsedFile
from search.request import SearchRequest


@pytest.fixture(scope="module")
def corpus_engine(corpus_index: BuiltIndex) -> Iterator[LocalBackend]:
    engine = LocalBackend.open(corpus_index.folder)
    yield engine
    engine.close()


# --- on the real corpus --------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "suggestion"),
    [
        ("orwelian", "orwellian"),  # a letter left out ("Orwellian" is in two titles)
        ("chatgtp", "chatgpt"),  # two letters swapped
        ("nvidea", "nvidia"),  # a letter replaced
    ],
)
def test_corrections_on_the_corpus(corpus_engine: LocalBackend, q: str, suggestion: str) -> None:
    result = corpus_engine.search(SearchRequest(q=q))
    assert result.total == 0
    assert result.suggestion == suggestion
    assert corpus_engine.search(SearchRequest(q=suggestion)).total > 0


@pytest.mark.parametrize("q", ["GPT-3", "GPT-4", "gpt-3", "GPT", "chatgpt", "Orwellian"])
def test_known_words_and_glued_tokens_are_left_alone(corpus_engine: LocalBackend, q: str) -> None:
    assert corpus_engine.search(SearchRequest(q=q)).suggestion is None


def test_only_the_misspelt_word_of_a_query_is_corrected(corpus_engine: LocalBackend) -> None:
    with corpus_engine.snapshot() as snapshot:
        text = "GPT-3 orwelian GPT chatgtp"
        corrected = snapshot.vocabulary.correct_text(text, plain_words(text), snapshot.holds)
        kept = [snapshot.corrected(text), snapshot.corrected(text)]  # made, then kept
    assert corrected == "GPT-3 orwellian GPT chatgpt"
    assert kept == [corrected, corrected]


def test_corrections_are_fast(corpus_engine: LocalBackend) -> None:
    with corpus_engine.snapshot() as snapshot:
        snapshot.vocabulary.prepare()
        started = time.perf_counter()
        for word in ["orwelian", "chatgtp", "nvidea", "alzhiemer", "recogniton", "qwxzvbnmlk"] * 20:
            snapshot.vocabulary.correct(word)
        assert (time.perf_counter() - started) / 120 < 0.005  # well under 5 ms a word


# --- a word only a body holds --------------------------------------------------------


def test_a_word_the_index_holds_in_any_field_is_never_corrected(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    articles = {f"k{n}": (f"Kubernetes release {n}", "", "") for n in range(5)}
    articles["typo"] = ("Cluster notes", "An operator's log.", "We upgraded kubrenetes today.")
    for name, (title, excerpt, body) in articles.items():
        front = {"title": title, "webUrl": f"https://example.com/{name}"}
        if excerpt:
            front["excerpt"] = excerpt
        lines = ["---", *(f"{k}: {json.dumps(v)}" for k, v in front.items()), "---", body]
        (seeds / f"{name}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    build_index(seeds, tmp_path / "index", progress=False)
    engine = LocalBackend.open(tmp_path / "index")
    try:
        held = engine.search(SearchRequest(q="kubrenetes"))  # only in a body: not in words.json
        assert held.total == 1
        assert held.suggestion is None
        typo = engine.search(SearchRequest(q="kuberentes"))
        assert typo.total == 0
        assert typo.suggestion == "kubernetes"
    finally:
        engine.close()


# --- the vocabulary on its own -------------------------------------------------------

COUNTS = {
    "models": 50,
    "modems": 5,
    "pipeline": 3,
    "pipelines": 100,
    "accommodation": 4,
    "intelligence": 9,
    "recognition": 7,
    "facial": 6,
    "gpu": 40,
    "gpt": 1,
    "nvidia": 2,
}


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("modeks", "models"),  # one edit from models (50) and modems (5): the commonest
        ("pipelien", "pipeline"),  # one edit beats two, however common (pipelines)
        ("facail", "facial"),  # adjacent letters swapped: one edit
        ("nvidea", "nvidia"),  # replaced
        ("nvida", "nvidia"),  # left out
        ("nviddia", "nvidia"),  # doubled
        ("acomodation", "accommodation"),  # two left out: long words allow two edits
        ("inteligense", "intelligence"),  # left out and replaced
        ("recogintoin", "recognition"),  # two swaps
        ("facaiil", None),  # two edits on a short word: too far
        ("gpx", None),  # shorter than five letters: never corrected
        ("gput", None),
        ("models", None),  # known
        ("Models", None),
        ("zzzzzzzz", None),
    ],
)
def test_correct(word: str, expected: str | None) -> None:
    assert Vocabulary(COUNTS).correct(word) == expected


def test_corrections_go_only_to_the_commonest_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vocabulary, "MAX_TARGETS", 3)
    words = Vocabulary(COUNTS)
    assert words.correct("modeks") == "models"
    assert words.correct("nvidea") is None  # nvidia is too rare to be a target
    assert len(set(words._ranks.tolist())) == 3


def test_an_empty_vocabulary_corrects_nothing() -> None:
    assert Vocabulary({}).correct("orwelian") is None


@pytest.mark.parametrize(
    ("text", "word", "expected"),
    [
        ("GPT-3", "GPT", True),
        ("COVID-19 cases", "COVID", True),
        ("self-drving cars", "drving", True),
        ("node.js", "node", True),
        ("x86", "x", True),
        ("chatgtp", "chatgtp", False),
        ("the chatgtp app", "chatgtp", False),
        ("chatgtp?", "chatgtp", False),
        ("chatgtp.", "chatgtp", False),  # a full stop ends a sentence, it glues nothing
        ("-chatgtp", "chatgtp", False),  # NOT, not a hyphen
        ("+chatgtp", "chatgtp", False),
        ("(chatgtp OR x)", "chatgtp", False),
    ],
)
def test_glued(text: str, word: str, expected: bool) -> None:
    start = text.index(word)
    assert glued(text, start, start + len(word)) is expected


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("chatgtp", "chatgpt", 1),
        ("orwelian", "orwellian", 1),
        ("acomodation", "accommodation", 2),
        ("recogintoin", "recognition", 2),
        ("abc", "xyz", 3),  # more than the limit of 2: limit + 1
    ],
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b) == distance


# --- the words a build counts ------------------------------------------------------------


def _words_by_definition(documents: list[Article]) -> Counter[str]:
    """The vocabulary's definition: every match of its pattern in each lowercased text."""
    counts: Counter[str] = Counter()
    for d in documents:
        text = " ".join((d.title, d.excerpt, " ".join(d.topics), d.provider_name or ""))
        counts.update(re.findall(r"[^\W\d_]{2,30}", text.lower()))
    return counts


def test_counted_words_follow_the_definition_on_the_corpus(corpus_dir: Path) -> None:
    files, _ = discover(corpus_dir)
    documents = merge(r for r in parse_files(files) if isinstance(r, ParsedFile)).documents
    counts = vocabulary.count_words(documents)
    assert counts == _words_by_definition(documents)
    assert len(counts) > 2_000  # the corpus's words, not an empty count equal to another


def test_counted_words_follow_the_definition_on_hostile_text() -> None:
    long_run = "a" * 65  # cut into 30 + 30 + 5 letters
    titles = [
        f"{long_run} {'b' * 61} x",  # 61: 30 + 30 and a lone letter dropped
        "snake_case GPT-3 covid19 A1B2 ½x ²²",  # underscores, digits and numerals split words
        "ΟΔΟΣ ΟΔΟΣ. İstanbul ǅemal",  # final sigma, a dotted capital, a title-case letter
        "tab\tsep\x1cfile\u2028line\u3000wide\xa0nbsp",  # every kind of whitespace
        "naïve café — «quoted» it's 'x' y",
    ]
    documents = [
        Article(key=f"k{n}", kind="article", title=t, source="s.md", excerpt=t[::-1])
        for n, t in enumerate(titles)
    ]
    counts = vocabulary.count_words(documents)
    assert counts == _words_by_definition(documents)
    assert counts["a" * 30] == 4 and counts["aaaaa"] == 2 and counts["b" * 30] == 4

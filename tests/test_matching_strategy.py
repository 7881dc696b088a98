"""Matching strategies (match=all|most|any), long pasted text and synonyms, on a tiny
literal corpus whose answers can be listed by hand, and on the real corpus."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from search.errors import BadQuery, BuildError
from search.local import LocalBackend
from search.local.searching.plain_text import MAX_SCORED_WORDS, is_plain
from search.local.searching.strategy import RELAX_BELOW
from search.local.store.build import build_index
from search.params import search_request
from search.request import SearchRequest

# Twelve documents: "alpha beta gamma" in two, two of the three words in four, one word
# in six. Every word is rare enough to matter and none is a stop word.
DOCS = {
    "all-1": "alpha beta gamma report",
    "all-2": "gamma beta alpha digest",
    "ab-1": "alpha beta notes",
    "ab-2": "alpha beta memo",
    "bg-1": "beta gamma notes",
    "ag-1": "alpha gamma memo",
    "a-1": "alpha only",
    "a-2": "alpha again",
    "b-1": "beta only",
    "b-2": "beta again",
    "g-1": "gamma only",
    "g-2": "gamma again",
}


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> LocalBackend:
    seeds = tmp_path_factory.mktemp("strategy-seeds")
    for name, title in DOCS.items():
        (seeds / f"{name}.md").write_text(
            f"---\ntitle: {title}\nurl: https://example.com/{name}\n"
            f"publishedDateTime: 2024-01-0{1 + len(name) % 9}T00:00:00Z\n---\n",
            encoding="utf-8",
        )
    index = tmp_path_factory.mktemp("strategy-index") / "index"
    build_index(seeds, index, progress=False)
    return LocalBackend.open(index)


def titles(backend: LocalBackend, **request: object) -> list[str]:
    result = backend.search(SearchRequest(per_page=50, **request))  # type: ignore[arg-type]
    return [hit.title for hit in result.hits]


def test_all_requires_every_word(backend: LocalBackend) -> None:
    found = titles(backend, q="alpha beta gamma ", match="all")
    assert sorted(found) == ["alpha beta gamma report", "gamma beta alpha digest"]


def test_most_relaxes_until_a_page_matches_and_ranks_every_word_first(
    backend: LocalBackend,
) -> None:
    result = backend.search(SearchRequest(q="alpha beta gamma ", per_page=50))
    # 2 documents hold all three words (< RELAX_BELOW = 10); 2 + 4 hold two or more
    # (< 10): so one word is required and all 12 documents match.
    assert RELAX_BELOW == 10
    assert result.total == 12
    assert result.matching is not None
    assert (result.matching.words, result.matching.required) == (3, 1)
    first_two = {hit.title for hit in result.hits[:2]}
    assert first_two == {"alpha beta gamma report", "gamma beta alpha digest"}
    assert result.as_json()["matching"] == {
        "strategy": "most",
        "words": 3,
        "required": 1,
        "synonyms": [],
        "dropped": [],
    }


def test_most_stops_relaxing_once_enough_match(backend: LocalBackend) -> None:
    # Under a filter-free search of two words "alpha beta": 4 hold both; relaxing to one
    # gives 2 + 2 + 4 + 1 + 2 + ... documents holding alpha or beta.
    result = backend.search(SearchRequest(q="alpha beta ", match="most", per_page=50))
    holding = [t for t in DOCS.values() if "alpha" in t or "beta" in t]
    assert result.total == len(holding) == 10
    both = {t for t in DOCS.values() if "alpha" in t and "beta" in t}
    assert {hit.title for hit in result.hits[: len(both)]} == both


def test_any_matches_one_word_and_still_ranks_every_word_first(backend: LocalBackend) -> None:
    result = backend.search(SearchRequest(q="alpha gamma ", match="any", per_page=50))
    holding = {t for t in DOCS.values() if "alpha" in t or "gamma" in t}
    assert {hit.title for hit in result.hits} == holding
    both = {t for t in DOCS.values() if "alpha" in t and "gamma" in t}
    assert {hit.title for hit in result.hits[: len(both)]} == both


def test_facets_and_total_count_the_same_documents(backend: LocalBackend) -> None:
    for strategy in ("all", "most", "any"):
        result = backend.search(SearchRequest(q="alpha beta ", match=strategy, per_page=50))
        years = sum(v.count for v in result.facets["year"])
        assert years == result.total == len(result.hits), strategy


def test_explicit_syntax_keeps_its_strict_meaning(backend: LocalBackend) -> None:
    for q in ('"alpha beta"', "alpha AND beta", "title:alpha beta", "alph*"):
        assert not is_plain(q)
        result = backend.search(SearchRequest(q=q, match="any", per_page=50))
        assert result.matching is None, q
    # the phrase, not the words: three titles hold "alpha beta" side by side
    assert sorted(titles(backend, q='"alpha beta"', match="any")) == [
        "alpha beta gamma report",
        "alpha beta memo",
        "alpha beta notes",
    ]


def test_single_word_needs_no_strategy(backend: LocalBackend) -> None:
    result = backend.search(SearchRequest(q="alpha "))
    assert result.total == sum("alpha" in title for title in DOCS.values()) == 7
    assert result.as_json().get("matching") is None


def test_match_is_validated() -> None:
    assert search_request("x", match="any").match == "any"
    assert search_request("x").match == "most"
    with pytest.raises(BadQuery) as caught:
        search_request("x", match="some")
    assert caught.value.param == "match"


# --- the real corpus -------------------------------------------------------------------

HEADLINE = (
    "Facial recognition technology labelled 'Orwellian' as government eyes wider use by "
    "police and security agencies"
)


@pytest.fixture(scope="module")
def corpus(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> LocalBackend:
    index = tmp_path_factory.mktemp("strategy-corpus") / "index"
    build_index(corpus_dir, index, progress=False)
    return LocalBackend.open(index)


def test_a_pasted_headline_finds_its_article_first(corpus: LocalBackend) -> None:
    result = corpus.search(SearchRequest(q=HEADLINE))
    assert result.hits[0].title == HEADLINE
    assert result.total >= 10  # relaxed: other coverage follows


def test_a_long_paragraph_is_bounded_not_refused(corpus: LocalBackend) -> None:
    paragraph = (HEADLINE + " ") * 8 + " ".join(f"word{n}" for n in range(120))
    q = paragraph[:1000]
    result = corpus.search(SearchRequest(q=q))
    assert result.matching is not None
    assert result.matching.words == MAX_SCORED_WORDS
    assert len(result.matching.dropped) > 0
    assert result.hits[0].title == HEADLINE


def test_synonyms_find_other_words_for_the_same_thing(corpus: LocalBackend) -> None:
    driverless = corpus.search(SearchRequest(q="driverless ", per_page=100))
    self_driving = corpus.search(SearchRequest(q="self-driving ", per_page=100))
    # each finds what the other says: "self-driving" titles for driverless, and back
    assert any("self-driving" in h.title.lower() for h in driverless.hits)
    assert any("driverless" in h.title.lower() for h in self_driving.hits)
    plain = corpus.search(SearchRequest(q="driverless ", match="all", per_page=100))
    assert len(driverless.hits) > len([h for h in plain.hits if "driverless" in h.title.lower()])
    assert driverless.matching is not None
    assert driverless.matching.synonyms[0][0] == "driverless"
    face = corpus.search(SearchRequest(q="face recognition police", match="all"))
    assert face.total >= 10  # "facial recognition" counts as "face recognition"


def test_synonyms_are_kept_with_the_generation(corpus_dir: Path, tmp_path: Path) -> None:
    custom = tmp_path / "synonyms.txt"
    custom.write_text("# ours\nzeppelin => facial recognition\n", encoding="utf-8")
    index = tmp_path / "index"
    seeds = tmp_path / "seeds"
    shutil.copytree(corpus_dir, seeds)
    build_index(seeds, index, progress=False, synonyms=custom)
    backend = LocalBackend.open(index)
    assert backend.search(SearchRequest(q="zeppelin ")).total >= 10
    plain = backend.search(SearchRequest(q="driverless ", match="all"))
    assert "matching" not in plain.as_json()  # the custom list has no entry for it
    custom.write_text("broken => \n", encoding="utf-8")
    with pytest.raises(BuildError, match="line 1"):
        build_index(seeds, index, progress=False, synonyms=custom)

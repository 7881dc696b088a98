"""Highlights: every set of matched words marks a text as a plain re-computation does,
whether the text's analysis and its highlighted forms were kept from before or not, and
its words stemmed before or not."""

from __future__ import annotations

import html
import itertools
import random
import re
from pathlib import Path

import pytest
from whoosh.analysis import STOP_WORDS

from benchmarks.generator import CorpusGenerator
from search.local.searching import highlight as module
from search.local.searching.highlight import MARKED_KEPT, highlight
from search.local.store.schema import STEMMERS, TOKENS, snowball_stem, stemmer_in_use

TEXT = 'Running <b>"runners"</b> ran & run: AI\'s run-off, running again'


def reference(text: str, terms: set[str]) -> str:
    """Mark every word whose Snowball stem is in `terms`; escape everything else."""
    out, last = [], 0
    for match in re.finditer(r"[\w\*]+(\.?[\w\*]+)*", text):
        word = match.group().lower()
        if len(word) >= 2 and snowball_stem(word) in terms and word not in STOP_WORDS:
            out.append(html.escape(text[last : match.start()], quote=True))
            out.append(f"<mark>{html.escape(match.group(), quote=True)}</mark>")
            last = match.end()
    out.append(html.escape(text[last:], quote=True))
    return "".join(out)


def test_each_set_of_terms_marks_the_text_as_computed_afresh() -> None:
    module._analysed.clear()
    words = ["run", "runner", "ran", "ai", "off", "absent"]
    sets = [set(c) for n in range(1, 4) for c in itertools.combinations(words, n)]
    assert len(sets) > MARKED_KEPT  # the kept forms are dropped and made again
    for _ in range(2):
        for terms in sets:
            assert highlight(TEXT, terms) == reference(TEXT, terms), terms
    assert highlight(TEXT, {"run"}) == (
        "<mark>Running</mark> &lt;b&gt;&quot;runners&quot;&lt;/b&gt; ran &amp; "
        "<mark>run</mark>: AI&#x27;s <mark>run</mark>-off, <mark>running</mark> again"
    )
    assert highlight(TEXT, {"absent"}) == html.escape(TEXT, quote=True)
    assert highlight(TEXT, set()) == html.escape(TEXT, quote=True)


def test_words_are_found_where_the_token_pattern_finds_them() -> None:
    """Seeded random text of word characters, stars, dots and other marks: every word's
    place is the token pattern's own (highlight finds tokens as strings, then their
    places one after the other), so marking every word marks what reference() marks."""
    module._analysed.clear()
    rng = random.Random(7)
    pieces = ["run", "Runs", "ü", "ß", "İ", "*", ".", "..", " ", "-", "'", "<", "&", "1", "_", "é"]
    for _ in range(2_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 25)))
        words = {m.group().lower() for m in re.finditer(r"[\w\*]+(\.?[\w\*]+)*", text)}
        terms = {snowball_stem(w) for w in words} | {"run"}
        assert highlight(text, terms) == reference(text, terms), text


def test_a_stem_starts_with_its_words_first_letter(corpus_dir: Path) -> None:
    """What highlight() relies on to leave words unstemmed until a query has a term
    with their first letter: both stemmers in use keep a word's first letter, over every
    word of the real corpus and of the generator, and each in common suffixed forms."""
    words: set[str] = set(CorpusGenerator(tail_words=2_000).vocabulary)
    for path in sorted(corpus_dir.rglob("*.md")):
        words.update(w.lower() for w in TOKENS.findall(path.read_text(encoding="utf-8")))
    suffixed = {w + s for w in sorted(words)[:3_000] for s in ("ies", "ying", "ed", "ly", "ation")}
    words |= suffixed | {"dying", "lying", "tying", "skies", "ugly", "yes", "ies"}
    assert len(words) > 20_000
    for name, stemmer in STEMMERS.items():
        differ = [w for w in words if stemmer.function(w)[:1] != w[:1]]
        assert differ == [], name


def test_words_not_stemmed_yet_mark_as_computed_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no word of the texts stemmed before, each text's words wait for a query
    with their first letter; term sets of other letters, then of theirs, then a mix,
    mark every text as reference() does, on first sight and kept."""
    module._analysed.clear()
    in_use = stemmer_in_use()
    monkeypatch.setattr(in_use, "cache", {})
    rng = random.Random(11)
    vocabulary = [
        "run",
        "runners",
        "ran",
        "rain",
        "zebra",
        "zebras",
        "Apple",
        "apples",
        "applied",
        "cities",
        "city",
        "ugly",
        "dying",
        "data",
        "Data",
    ]
    texts = [
        " ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 12))) + ", <b>&"
        for _ in range(300)
    ]
    term_sets = [
        {"zebra"},
        {"run", "rain"},
        {"appl", "citi"},
        {"die", "ugli", "data", "ran"},
        {"absent"},
        frozenset({"zebra", "run"}),
    ]
    for terms in term_sets:
        for text in texts:
            assert highlight(text, terms) == reference(text, set(terms)), (text, terms)
    assert all(not module._analyse(text).pending for text in texts[:50])  # all stemmed now

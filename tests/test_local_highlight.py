"""Highlights: every set of matched words marks a text as a plain re-computation does,
whether the text's analysis and its highlighted forms were kept from before or not."""

from __future__ import annotations

import html
import itertools
import random
import re

from whoosh.analysis import STOP_WORDS

from search.local.searching import highlight as module
from search.local.searching.highlight import MARKED_KEPT, highlight
from search.local.store.schema import snowball_stem

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

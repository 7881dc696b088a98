"""search.web.cards: excerpts cut at a word, times with their relative form, and the
card of a hit (placeholder, outlets of its story)."""

from __future__ import annotations

from datetime import datetime

import pytest

from search.results import Highlights, Hit, Provider, StoryGroup
from search.web.cards import EXCERPT_CHARS, When, ago, card, cut_excerpt, when

NOW = datetime(2026, 12, 6, 12, 0)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 12, 6, 11, 59, 30), "just now"),
        (datetime(2026, 12, 6, 11, 59), "1 minute ago"),
        (datetime(2026, 12, 6, 9, 30), "2 hours ago"),
        (datetime(2026, 12, 5, 12, 0), "1 day ago"),
        (datetime(2026, 12, 3, 8, 0), "3 days ago"),
        (datetime(2026, 11, 20, 12, 0), "2 weeks ago"),
        (datetime(2026, 9, 1), "3 months ago"),
        (datetime(2023, 8, 30, 4, 18), "3 years ago"),
        (datetime(2026, 12, 6, 15, 0), "in 3 hours"),  # generated data may run ahead
    ],
    ids=["seconds", "minute", "hours", "day", "days", "weeks", "months", "years", "future"],
)
def test_ago_says_the_largest_whole_unit(moment: datetime, expected: str) -> None:
    assert ago(moment, NOW) == expected


def test_when_reads_the_iso_value_and_keeps_it() -> None:
    assert when("2023-08-30T04:18:00Z", NOW) == When(
        "2023-08-30T04:18:00Z", "30 Aug 2023, 04:18 UTC", "3 years ago"
    )
    assert when("2026-12-06T09:05:00+02:00", NOW) == When(
        "2026-12-06T09:05:00+02:00", "6 Dec 2026, 07:05 UTC", "4 hours ago"
    )
    assert when(None, NOW) is None
    assert when("not a date", NOW) is None


LONG = (
    "Facial recognition is a tool to identify or confirm an individual's identity in a "
    "photograph, video footage or in real time, and the police of several countries "
    "have used it for years, often without telling anyone and without the consent of "
    "the people whose faces were compared against the watch lists"
)


@pytest.mark.parametrize(
    ("marked", "expected"),
    [
        ("A whole sentence.", "A whole sentence."),
        ("The source cut this ...", "The source cut this…"),
        ("The source cut this...", "The source cut this…"),
        ("Stops mid-sentence with no mark", "Stops mid-sentence with no mark…"),
        ("A list, ...", "A list…"),  # no dangling comma before the ellipsis
        (
            "Says &quot;hi&quot; &amp; <mark>waves</mark> ...",
            "Says &#34;hi&#34; &amp; <mark>waves</mark>…",
        ),
        ("Lists: one; two:", "Lists: one; two:"),
    ],
    ids=["sentence", "spaced-dots", "dots", "unfinished", "comma", "entities", "colon"],
)
def test_short_excerpts_are_kept_and_marked_when_cut(marked: str, expected: str) -> None:
    assert str(cut_excerpt(marked)) == expected


def test_a_long_excerpt_is_cut_after_a_whole_word() -> None:
    marked = LONG.replace("police", "<mark>police</mark>").replace("'", "&#x27;")
    cut = str(cut_excerpt(marked))
    plain = cut.replace("<mark>", "").replace("</mark>", "").replace("&#39;", "'")
    assert plain.endswith("…")
    kept = plain.removesuffix("…")
    assert len(kept) <= EXCERPT_CHARS
    assert LONG.startswith(kept)
    assert LONG[len(kept)] == " "  # the next character starts a new word
    assert kept == LONG[: LONG.rfind(" ", 0, EXCERPT_CHARS + 1)]
    assert "<mark>police</mark>" in cut


def test_a_cut_that_lands_on_a_sentence_end_needs_no_ellipsis() -> None:
    text = "First sentence ends here. " + "word " * 60
    assert str(cut_excerpt(text, limit=28)) == "First sentence ends here."


def test_one_endless_word_is_cut_inside_it() -> None:
    assert str(cut_excerpt("x" * 500, limit=10)) == "x" * 10 + "…"


def _hit(doc_id: str, provider: str, image: str | None = None, **extra: object) -> Hit:
    return Hit(
        id=doc_id,
        kind="article",
        url=f"https://{provider.lower()}.example/{doc_id}",
        title=f"Title {doc_id}",
        excerpt="An excerpt.",
        published="2026-12-03T12:00:00Z",
        provider=Provider(provider, f"{provider.lower()}.example"),
        topics=["AI"],
        image=image,
        score=1.0,
        highlights=Highlights(f"Title <mark>{doc_id}</mark>", "An excerpt."),
        **extra,  # type: ignore[arg-type]
    )


def test_a_card_names_the_other_outlets_once_each() -> None:
    others = [
        _hit("b", "Beta"),
        _hit("c", "Gamma"),
        _hit("d", "Beta"),  # a second article of one outlet: one name
        _hit("e", "Alpha"),  # the hit's own outlet: not another one
        _hit("f", "Delta"),
        _hit("g", "Epsilon"),
        _hit("h", "Zeta"),
    ]
    story = StoryGroup(id="a", size=9, more_count=8, more=others)
    shown = card(_hit("a", "Alpha", image="javascript:alert(1)", story=story), NOW, "/?like=a")
    assert shown.outlets == ["Beta", "Gamma", "Delta", "Epsilon"]
    assert shown.more_outlets == 1
    assert [o.name for o in shown.coverage] == [
        "Beta",
        "Gamma",
        "Beta",
        "Alpha",
        "Delta",
        "Epsilon",
        "Zeta",
    ]
    assert shown.image is None  # only web addresses become an <img src>
    assert shown.initial == "A"
    assert shown.when == When("2026-12-03T12:00:00Z", "3 Dec 2026, 12:00 UTC", "3 days ago")
    assert str(shown.title) == "Title <mark>a</mark>"
    assert shown.like == "/?like=a"
    same = card(_hit("z", "alpha", image="https://img.example/z.jpg"), NOW, "/?like=z")
    assert same.tone == shown.tone  # an outlet keeps its placeholder colour
    assert same.image == "https://img.example/z.jpg"
    assert same.outlets == [] and same.more_outlets == 0 and same.coverage == []

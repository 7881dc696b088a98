"""The synonyms file: its format, equivalent and one-way entries, longest match first."""

from __future__ import annotations

import pytest

from search.errors import SearchError
from search.synonyms import Synonyms, words_of


def test_equivalent_entries_find_each_other() -> None:
    synonyms = Synonyms.parse("driverless, self-driving, autonomous car\n")
    assert synonyms.alternatives == {
        ("driverless",): (("self", "driving"), ("autonomous", "car")),
        ("self", "driving"): (("driverless",), ("autonomous", "car")),
        ("autonomous", "car"): (("driverless",), ("self", "driving")),
    }
    assert synonyms.longest == 2


def test_one_way_entries_go_one_way() -> None:
    synonyms = Synonyms.parse("# comment\n\nrobot => robotics, automation\n")
    assert synonyms.alternatives == {("robot",): (("robotics",), ("automation",))}


def test_spans_take_the_longest_entry_left_to_right() -> None:
    synonyms = Synonyms.parse("ai, artificial intelligence\nartificial, fake\nus, united states\n")
    words = list(words_of("Artificial intelligence in the United States"))
    assert synonyms.spans(words) == [
        (0, 2, (("ai",),)),
        (4, 6, (("us",),)),
    ]


@pytest.mark.parametrize(
    ("text", "line"),
    [("a, b\n => x\n", 2), ("a =>\n", 1), ("one two three four five six, x\n", 1)],
    ids=["empty-left", "empty-right", "too-long"],
)
def test_bad_lines_are_named(text: str, line: int) -> None:
    with pytest.raises(SearchError, match=f"line {line}"):
        Synonyms.parse(text, "syn.txt")


def test_the_default_list_loads() -> None:
    synonyms = Synonyms.load(None)
    assert ("facial", "recognition") in synonyms.alternatives[("face", "recognition")]
    assert ("self", "driving") in synonyms.alternatives[("driverless",)]

"""Stored fields pickled as compact rows (search/local/store/stored_rows.py): any pickle
loader, Whoosh's reader included, gets back exactly the dict that was stored."""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime
from typing import Any

import pytest

from search.identity import doc_id
from search.local.store.stored_rows import FIELDS, PROTOCOL, _Row, row_pickle

FULL = {
    "id": "3e08ea33eb6f2a38",
    "kind": "article",
    "title": "World leader",
    "excerpt": "Dramilin house",
    "body": "Body text.",
    "published": datetime(2026, 7, 22, 15, 26, 7, 123456),
    "topics": ["Machine Learning", "AI"],
    "provider_name": "Torfen Daily 132",
    "provider_domain": "torfen132.example.com",
    "url": "https://www.torfen132.example.com/news/0",
    "image": "https://img.torfen132.example.com/0.jpg",
    "category": "news",
    "type": "article",
    "quality": 0,
    "source": "0000/0000000.md",
    "key": "https://www.torfen132.example.com/news/0",
    "related": ["aa", "bb"],
}
MINIMAL = {"id": "x", "kind": "related", "title": "", "key": "k", "source": "s", "topics": []}
OTHER_ID = {**FULL, "id": "0123456789abcdef"}  # not the one its key gives


@pytest.mark.parametrize(
    "fields",
    [
        FULL,
        MINIMAL,
        {**FULL, "url": "https://elsewhere.example.com/"},
        {**FULL, "published": datetime(1950, 1, 1)},
        {**FULL, "published": datetime(2024, 1, 2, tzinfo=UTC)},
        {**FULL, "published": date(2024, 1, 2)},
        {**FULL, "topics": ("AI",)},
        {**FULL, "extra": 1},
        {**FULL, "url": 0},
        OTHER_ID,
        {**MINIMAL, "id": doc_id("k")},
        {name: value for name, value in FULL.items() if name != "id"},
        {**FULL, "key": 7},
    ],
    ids=[
        "full",
        "minimal",
        "url-not-key",
        "before-1970",
        "aware-date",
        "date",
        "tuple-topics",
        "extra-field",
        "number-url",
        "other-id",
        "minimal-derived-id",
        "no-id",
        "number-key",
    ],
)
def test_a_row_loads_as_the_stored_dict(fields: dict[str, Any]) -> None:
    loaded = pickle.loads(row_pickle(fields))
    assert loaded == fields
    assert [type(v) for v in loaded.values()] == [type(fields[k]) for k in loaded]


def test_a_row_is_smaller_than_the_dict_whoosh_pickles() -> None:
    assert len(row_pickle(FULL)) < len(pickle.dumps(FULL, 2)) - 200
    assert b"provider_domain" not in row_pickle(FULL)
    assert b"provider_domain" in row_pickle({**FULL, "extra": 1})  # the plain dict


def test_an_id_derived_from_the_key_is_left_out() -> None:
    assert FULL["id"] == doc_id("https://www.torfen132.example.com/news/0")  # its key's
    assert b"3e08ea33eb6f2a38" not in row_pickle(FULL)
    assert b"0123456789abcdef" in row_pickle(OTHER_ID)  # another id is kept as it is
    assert len(row_pickle(FULL)) <= len(row_pickle(OTHER_ID)) - 16


def test_rows_written_with_their_id_still_load() -> None:
    # Generations of schema version 3 and before wrote every id into its row
    for fields in (FULL, OTHER_ID):
        old = pickle.dumps(_Row(tuple(fields.get(name) for name in FIELDS)), PROTOCOL)
        assert pickle.loads(old)["id"] == fields["id"]

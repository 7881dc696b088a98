"""A document's stored fields pickled as one compact row: a call of `row` on a tuple.

Whoosh keeps each document's stored fields as a pickled dict, compressed on its own, so
every document pays again for the field names and for pickle's spelling of a datetime.
Here the pickle is `row((values...))` instead: the values in the fixed order of FIELDS
(None for a field the document does not store), the date as microseconds since 1970,
the URL left out when it repeats the key, and the id left out when it is the one
derived from the key (identity.doc_id, as every Article's is). Loading it, through any pickle loader
(Whoosh's own reader included), calls `row` and gives back exactly the dict Whoosh's
writer would have stored. A dict this cannot express (a field outside FIELDS, a date
with a time zone) is pickled as the plain dict.

`row` is named inside every generation written this way: never rename or move it, or
those generations can no longer be read.
"""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta
from typing import Any

from search.identity import doc_id

FIELDS = (
    "id",
    "kind",
    "title",
    "excerpt",
    "body",
    "published",
    "topics",
    "provider_name",
    "provider_domain",
    "url",
    "image",
    "category",
    "type",
    "quality",
    "source",
    "key",
    "related",
)
_AS_LISTS = ("topics", "related")
_ID = FIELDS.index("id")
_PUBLISHED = FIELDS.index("published")
_URL = FIELDS.index("url")
_KEY = FIELDS.index("key")
_LISTS = tuple(FIELDS.index(name) for name in _AS_LISTS)
_SAME_AS_KEY = 0  # the url value of a row whose url is its key
EPOCH = datetime(1970, 1, 1)
PROTOCOL = 5


def row(values: tuple[Any, ...]) -> dict[str, Any]:
    """Return the stored fields a row holds (what `row_pickle` was given)."""
    values_list = list(values)
    if values_list[_ID] is None and values_list[_KEY] is not None:  # row_pickle left it out
        values_list[_ID] = doc_id(values_list[_KEY])
    published = values_list[_PUBLISHED]
    if isinstance(published, int):
        values_list[_PUBLISHED] = EPOCH + timedelta(microseconds=published)
    if isinstance(values_list[_URL], int):  # _SAME_AS_KEY: a stored url is text
        values_list[_URL] = values_list[_KEY]
    for index in _LISTS:
        if values_list[index] is not None:
            values_list[index] = list(values_list[index])
    return {
        name: value for name, value in zip(FIELDS, values_list, strict=True) if value is not None
    }


class _Row:
    """Pickles as a call of `row` on its values."""

    def __init__(self, values: tuple[Any, ...]) -> None:
        self.values = values

    def __reduce__(self) -> tuple[Any, tuple[tuple[Any, ...]]]:
        return row, (self.values,)


def row_pickle(fields: dict[str, Any]) -> bytes:
    """Return the pickle of one document's stored fields (None values must be left out)."""
    values = [fields.get(name) for name in FIELDS]
    published = values[_PUBLISHED]
    compact = len(fields) == sum(value is not None for value in values)
    if isinstance(published, datetime):
        if published.tzinfo is None:
            values[_PUBLISHED] = (published - EPOCH) // timedelta(microseconds=1)
        else:
            compact = False
    elif published is not None:
        compact = False
    key = values[_KEY]
    if isinstance(key, str) and values[_ID] == doc_id(key):
        values[_ID] = None
    elif values[_ID] is None and key is not None:
        compact = False  # row() would give it the derived id
    if values[_URL] is not None and values[_URL] == values[_KEY]:
        values[_URL] = _SAME_AS_KEY
    elif isinstance(values[_URL], int):
        compact = False
    for index in _LISTS:
        listed = values[index]
        if isinstance(listed, list):
            values[index] = tuple(listed)
        elif values[index] is not None:
            compact = False
    if not compact:
        return pickle.dumps(fields, PROTOCOL)
    return pickle.dumps(_Row(tuple(values)), PROTOCOL)

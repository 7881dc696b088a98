"""Finding a document's number by its public id, without an `id` term in the index.

Generations of schema version 4 on keep each document's id as a number in the columns
(array "ids" of columns.npz: row i is document i's id, its 16 hex digits read as a
uint64; 0 for a deleted one), instead of indexing it as a Whoosh term: 125,691 unique
terms cost about 11 MB of terms index, where the array costs 8 bytes a document. A
lookup is a binary search over the live documents' ids. Older generations have no
such array and find ids through their `id` postings (Snapshot.number_of).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from search.identity import ID_BYTES

IDS = "ids"  # the array's name in columns.npz
_ID = re.compile(f"[0-9a-f]{{{2 * ID_BYTES}}}")  # search.identity.doc_id's form, exactly
_NONE = 0  # the value of a deleted document's row
UInt64s = npt.NDArray[np.uint64]


def id_value(doc_id: str) -> int | None:
    """Return the number an id is kept as, or None for a string that is not an id."""
    return int(doc_id, 16) if _ID.fullmatch(doc_id) else None


def id_values(ids: Iterable[str | None]) -> UInt64s:
    """Return the "ids" array of documents' ids in document order (None: deleted);
    raise ValueError for an id not of doc_id's form."""
    values = []
    for doc_id in ids:
        value = _NONE if doc_id is None else id_value(doc_id)
        if value is None:
            raise ValueError(f"not a document id: {doc_id!r}")
        values.append(value)
    return np.array(values, dtype=np.uint64)


class DocumentIds:
    """The live documents of a generation, by id."""

    def __init__(self, ids: UInt64s, alive: npt.NDArray[np.bool_]) -> None:
        live = np.flatnonzero(alive)
        by_id = np.argsort(ids[live], kind="stable")
        self._numbers = live[by_id]  # document numbers in id order
        self._sorted = ids[self._numbers]

    def number_of(self, doc_id: str) -> int | None:
        """Return the number of the live document with id `doc_id`, or None."""
        value = id_value(doc_id)
        if value is None:
            return None
        key = np.uint64(value)
        at = int(np.searchsorted(self._sorted, key))
        if at < len(self._sorted) and self._sorted[at] == key:
            return int(self._numbers[at])
        return None

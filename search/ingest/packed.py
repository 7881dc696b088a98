"""Records packed into a few bytes objects, for the processes of a full build.

A forked child shares its parent's memory page by page until either of them writes
to a page, and merely reading a Python object writes to it (its reference count). If
the parent held every parsed document as objects while its forked writers read their
share and the parent itself wrote the other files, most pages of documents would end
up copied, once per process that reads them. So a full build packs the documents (and
the file records) into pickled chunks before the writers fork, drops the objects, and
each process unpickles one chunk at a time as it goes: the packed bytes are only ever
read, so every process shares the one copy.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Sequence
from typing import Generic, TypeVar, overload

Item = TypeVar("Item")
CHUNK = 1_000  # records per pickled chunk: what one process unpacks at a time


class Packed(Sequence[Item], Generic[Item]):
    """A read-only sequence of picklable records, held as pickled chunks of CHUNK."""

    __slots__ = ("_chunks", "_count")

    def __init__(self, items: Sequence[Item]) -> None:
        self._chunks = [
            pickle.dumps(list(items[start : start + CHUNK]), pickle.HIGHEST_PROTOCOL)
            for start in range(0, len(items), CHUNK)
        ]
        self._count = len(items)

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Item]:
        for chunk in self._chunks:
            yield from pickle.loads(chunk)  # noqa: S301 (packed by this build)

    def chunk(self, number: int) -> list[Item]:
        """Return the records of chunk `number` (records number * CHUNK onwards), unpacked."""
        records: list[Item] = pickle.loads(self._chunks[number])  # noqa: S301
        return records

    @overload
    def __getitem__(self, index: int) -> Item: ...

    @overload
    def __getitem__(self, index: slice) -> list[Item]: ...

    def __getitem__(self, index: int | slice) -> Item | list[Item]:
        """Return one record (unpacking its chunk), or a list of them for a slice."""
        if isinstance(index, slice):
            return [self[number] for number in range(*index.indices(self._count))]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError("packed index out of range")
        return self.chunk(index // CHUNK)[index % CHUNK]

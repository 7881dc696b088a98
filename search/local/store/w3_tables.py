"""The terms index and the per-document columns of a whoosh3 segment, written whole.

The terms index (.trm) is Whoosh's OrderedHashWriter file (filedb/filetables.py):
a header, every (key, value) record in key order, 256 open-addressing hash tables of
(md5 hash, record position), their directory, a pickled dict of extras and the array
of record positions that ordered lookups bisect. The columns are NumericColumn("B")
field lengths and the PickleColumn(CompressedBytesColumn()) of stored fields (see
whoosh/columns.py). Each is laid out here from arrays instead of record by record;
tests/test_segment_files.py reads them back with Whoosh's own readers.
"""

from __future__ import annotations

import hashlib
import pickle
import struct
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh.util.numeric import length_to_byte

from search.local.store.postings_encoding import WINDOW_BITS
from search.local.store.stored_rows import row_pickle

HASH_MAGIC = b"HSH3"
STORED_COMPRESSION = 3  # zlib level of Whoosh's CompressedBytesColumn
OFFSETS_FROM = 2**15  # VarBytesColumn writes its offsets array above this many rows
_LENGTH_LIMIT = 106374  # length_to_byte gives 255 from here on
_BYTE_OF = np.array([length_to_byte(n) for n in range(_LENGTH_LIMIT + 1)], np.uint8)
_RECORD = struct.Struct("!ii")
_SLOT = np.dtype([("hash", ">u4"), ("position", ">i8")])
_DIRECTORY = np.dtype([("position", ">i8"), ("slots", ">i4")])


def length_bytes(lengths: npt.NDArray[np.int64]) -> npt.NDArray[np.uint8]:
    """Return Whoosh's one-byte approximation of each field length."""
    return _BYTE_OF[np.minimum(lengths, _LENGTH_LIMIT)]


def length_column(lengths: npt.NDArray[np.int64]) -> bytes | None:
    """Return a NumericColumn("B") file of the length bytes (None when all are zero:
    Whoosh writes no column then). Like Whoosh's writer, trailing zeros are left out."""
    encoded = length_bytes(lengths)
    nonzero = np.flatnonzero(encoded)
    if not len(nonzero):
        return None
    return encoded[: nonzero[-1] + 1].tobytes()


def _typecode(largest: int) -> str:
    """Return the array typecode GrowableArray grows to for values up to `largest`."""
    if largest < 2**8:
        return "B"
    if largest < 2**16:
        return "H"
    return "i" if largest < 2**31 else "I"


def stored_blob(fields: dict[str, Any]) -> bytes:
    """Return one document's entry in the stored-fields column: its stored fields as a
    compact row (stored_rows), compressed."""
    if not fields:
        return b""
    return zlib.compress(row_pickle(fields), STORED_COMPRESSION, WINDOW_BITS)


def stored_column_tail(sizes: npt.NDArray[np.int64]) -> bytes:
    """Return what follows the rows of the "_stored" column (stored_blob of each document,
    end to end): their lengths and, for many rows, offsets arrays, then the typecodes."""
    offsets = np.cumsum(sizes) - sizes
    size_code = _typecode(int(sizes.max(initial=0)))
    parts = [sizes.astype(">" + size_code).tobytes()]
    trailer = size_code.encode()
    if len(sizes) > OFFSETS_FROM:
        offset_code = _typecode(int(offsets.max(initial=0)))
        parts.append(offsets.astype(">" + offset_code).tobytes())
        trailer += offset_code.encode() + b"X"
    return b"".join([*parts, trailer])


def terms_file(keys: Sequence[bytes], values: Sequence[bytes], fieldmap: dict[str, int]) -> bytes:
    """Return an OrderedHashWriter file of `keys` (strictly increasing) and `values`."""
    header = HASH_MAGIC + b"\x00" + struct.pack("!ii", 0, 0)
    records = [
        b"".join((_RECORD.pack(len(k), len(v)), k, v)) for k, v in zip(keys, values, strict=True)
    ]
    sizes = np.fromiter(map(len, records), np.int64, len(records))
    positions = len(header) + np.cumsum(sizes) - sizes
    hashes = np.fromiter(
        (int.from_bytes(hashlib.md5(k, usedforsecurity=False).digest()[-4:], "big") for k in keys),
        np.uint64,
        len(keys),
    )
    tables, directory = _hash_tables(hashes, positions, len(header) + int(sizes.sum()))
    index_code = _typecode(int(positions.max(initial=0)))
    if index_code == "B":
        index_code = "H"  # GrowableArray("H") starts at H
    extras = pickle.dumps(
        {"fieldmap": fieldmap, "indextype": index_code, "indexlen": len(keys)}, -1
    )
    index = positions.astype(">" + index_code).tobytes()
    tail = extras + index
    return b"".join([header, *records, tables, directory, tail, struct.pack("!i", len(tail))])


def _hash_tables(
    hashes: npt.NDArray[np.uint64], positions: npt.NDArray[np.int64], start: int
) -> tuple[bytes, bytes]:
    """Return the 256 hash tables (starting at file offset `start`) and their directory.

    A key goes to table hash & 255, slot (hash >> 8) % slots, or the next free slot
    after it: the reader probes forward from the same slot until it finds the key."""
    bucket = (hashes & 255).astype(np.int64)
    counts = np.bincount(bucket, minlength=256)
    slots = 2 * counts
    table_starts = np.cumsum(slots) - slots
    table = np.zeros(int(slots.sum()), _SLOT)
    taken = np.zeros(len(table), np.bool_)
    want = (hashes >> np.uint64(8)).astype(np.int64) % np.maximum(slots[bucket], 1)
    pending = np.arange(len(hashes))
    while len(pending):
        where = table_starts[bucket[pending]] + want[pending]
        free = ~taken[where]
        # of several keys wanting one free slot, the first takes it
        _, first = np.unique(where, return_index=True)
        winner = np.zeros(len(pending), np.bool_)
        winner[first] = True
        winner &= free
        placed = pending[winner]
        table["hash"][where[winner]] = hashes[placed]
        table["position"][where[winner]] = positions[placed]
        taken[where[winner]] = True
        pending = pending[~winner]
        want[pending] = (want[pending] + 1) % slots[bucket[pending]]
    directory = np.zeros(256, _DIRECTORY)
    directory["position"] = start + table_starts * _SLOT.itemsize
    directory["slots"] = slots
    return table.tobytes(), directory.tobytes()

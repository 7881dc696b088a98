"""Every read of a private Whoosh attribute, in one module.

For speed the engine reaches past Whoosh's public API in a few places: it decodes
posting blocks whole, reads the field-length columns in one go, and serves segment
files straight from memory maps. Those reads depend on names Whoosh never promised to
keep (anything starting with `_`) and on the exact layout behind them, so they all
live here, each behind a small typed function that tests/test_whoosh_compat.py checks
against a real index: an upgrade of whoosh3 fails loudly in one place, instead of
quietly wherever an internal moved. Nothing else in the package may read a private
Whoosh name; public Whoosh API is used directly where it is needed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any, Final, cast

import numpy as np
import numpy.typing as npt
import whoosh
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, _lenfield
from whoosh.system import _INT_SIZE

TESTED_WHOOSH: Final = "3.54.0"  # the whoosh3 release everything below was checked against
INSTALLED_WHOOSH: Final[str] = str(whoosh.versionstring())
WHOOSH_IS_TESTED: Final[bool] = INSTALLED_WHOOSH == TESTED_WHOOSH

if not WHOOSH_IS_TESTED:  # only logged: tests/test_whoosh_compat.py is what fails
    logging.getLogger(__name__).warning(
        "whoosh %s is installed but search.local.whoosh_compat was tested with %s: "
        "run tests/test_whoosh_compat.py before trusting this index",
        INSTALLED_WHOOSH,
        TESTED_WHOOSH,
    )

INT_SIZE: Final[int] = int(_INT_SIZE)  # bytes of whoosh.system.pack_uint's output: 4
BLOCK_LIMIT: Final[int] = int(W3Codec()._blocklimit)  # postings per block Whoosh writes: 128

# A posting block of W3LeafMatcher, as raw_blocks yields it: (deltas, weights, values).
# Deltas are the block's document numbers delta-coded from zero (the first is a document
# number, each next one the gap from the one before). Weights hold one float per posting
# (Whoosh stores a block of all 1.0 as None and of one repeated weight as that float;
# raw_blocks expands both). Values are Whoosh's minified values, unchanged: for a format
# of variable-size values (FastPositions) a tuple of each posting's bytes as the format
# encoded them; for fixed-size formats None (size 0) or all the values joined in one bytes.
RawBlock = tuple[Sequence[int], Sequence[float], Any]

_BLOCKWISE: Final = ("_read_data", "_next_block", "_data", "_blocklength", "_byteids")


def reads_blocks(matcher: Any) -> bool:
    """Return whether `matcher` is a W3LeafMatcher of document numbers (raw_blocks reads it)."""
    return all(hasattr(matcher, name) for name in _BLOCKWISE) and not matcher._byteids


def raw_blocks(matcher: Any) -> Iterator[RawBlock]:
    """Return the matcher's remaining posting blocks as RawBlocks, consuming the matcher."""
    while matcher.is_active():
        if matcher._data is None:
            matcher._read_data()
        ids, weights, values = matcher._data
        if weights is None:
            weights = [1.0] * len(ids)
        elif isinstance(weights, float):
            weights = [weights] * len(ids)
        yield ids, weights, values
        matcher._next_block()


def length_bytes(segment: Any, fieldname: str) -> npt.NDArray[np.uint8] | None:
    """Return a W3 segment reader's length byte per document of a field, None if it has none."""
    # Decode with whoosh.util.numeric.byte_to_length. A reader of another codec raises
    # AttributeError, TypeError or ValueError here.
    column = segment._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return None
    return np.frombuffer(column.load().tobytes(), dtype=np.uint8)


def expanded_terms(query: Any, reader: Any) -> Iterator[bytes | str]:
    """Return the indexed terms a Prefix/Wildcard/FuzzyTerm/Regex query expands to in reader."""
    # Bytes, except FuzzyTerm's, which come from reader.terms_within as str.
    return cast(Iterator[bytes | str], iter(query._btexts(reader)))


def index_segments(ix: Any) -> list[Any]:
    """Return the segments named by the latest table of contents of a Whoosh FileIndex."""
    return list(ix._segments())


def storage_path(storage: Any, name: str) -> str:
    """Return the path on disk of file `name` of a Whoosh FileStorage."""
    return cast(str, storage._fpath(name))


def file_name(structfile: Any) -> str | None:
    """Return the name a Whoosh StructFile (or BufferFile) was opened with, if any."""
    return cast("str | None", structfile._name)


def drop_buffer(bufferfile: Any) -> None:
    """Return None once a BufferFile's private buffer is emptied (close() still reads it)."""
    bufferfile._buf = None


def length_column_name(fieldname: str) -> str:
    """Return the name of the W3 codec's column of a field's length bytes."""
    return cast(str, _lenfield(fieldname))


def set_field_lengths(segment: Any, totals: dict[str, int]) -> None:
    """Record a W3Segment's total length per field (what its writer's close() records)."""
    segment._fieldlengths = totals

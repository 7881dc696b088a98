"""One whoosh3 segment written straight from documents, without Whoosh's writer.

Whoosh's writer pools every posting as a Python tuple, sorts the pool, and encodes
postings, term infos and columns one value at a time: most of a build's time. Here
the documents are analysed once into flat arrays (inverting), and the segment's files
are laid out with NumPy (postings_encoding, w3_tables) in the format Whoosh's codec
reads: postings (.pst), terms index (.trm), field lengths and stored fields (.col),
inside one compound segment file (.seg), as Whoosh's writer leaves them. Whoosh's own
searcher opens the result like any segment it wrote (tests/test_segment_files.py
compares the two writers' indexes).
"""

from __future__ import annotations

import pickle
import struct
import time
from array import array
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import fields
from whoosh.codec.whoosh3 import W3Codec, W3Segment
from whoosh.system import pack_ushort

from search.local.store.inverting import Inverter
from search.local.store.postings_encoding import encode_field
from search.local.store.schema import article_fields
from search.local.store.w3_tables import (
    length_bytes,
    length_column,
    stored_blob,
    stored_column_tail,
    terms_file,
)
from search.local.whoosh_compat import length_column_name, set_field_lengths
from search.model import Article

_HEADER = struct.Struct("!qi")  # a compound file's directory position and length
INDEX_NAME = "MAIN"  # whoosh.index._DEF_INDEX_NAME: the name every generation uses


def write_segment(
    folder: Path,
    documents: Sequence[Article],
    schema: fields.Schema,
    each_document: Callable[[int], None] = lambda number: None,
) -> W3Segment:
    """Write `documents` as one new segment's files in `folder`; return the segment, for
    a table of contents to name. `each_document` is called with each document's number
    before it is analysed (for progress bars, checkpoints and stopping)."""
    codec = W3Codec()
    segment = W3Segment(codec, INDEX_NAME)
    inverter = Inverter(schema)
    stored_names = {name for name in schema.names() if schema[name].stored}
    keys: list[bytes] = []
    infos: list[bytes] = []
    fieldmap: dict[str, int] = {}
    totals: dict[str, int] = {}
    with _Compound(folder / segment.make_filename(W3Segment.COMPOUND_EXT)) as compound:
        # The stored fields go to the file as each document is read: never all in memory
        compound.start(W3Codec.column_filename(segment, "_stored"))
        sizes = array("q")
        for number, document in enumerate(documents):
            each_document(number)
            values = article_fields(document)
            inverter.add(values)
            blob = stored_blob(
                {
                    name: values[name]
                    for name in sorted(values)
                    if name in stored_names and values[name] is not None
                }
            )
            compound.write((blob,))
            sizes.append(len(blob))
        compound.write((stored_column_tail(np.frombuffer(sizes, np.int64)),))
        compound.finish()
        segment.set_doc_count(len(documents))

        compound.start(segment.make_filename(W3Codec.POSTS_EXT))
        for postings, lengths in inverter.finish():
            field_id = fieldmap[postings.name] = len(fieldmap)
            encoded_lengths = None
            if lengths is not None:
                encoded_lengths = length_bytes(lengths)
                if total := int(lengths.sum()):
                    totals[postings.name] = total
                column = length_column(lengths)
                if column is not None:
                    name = W3Codec.column_filename(segment, length_column_name(postings.name))
                    compound.later(name, column)
            field = schema[postings.name]
            encoded = encode_field(postings, encoded_lengths, compound.tell(), _value_kind(field))
            compound.write(encoded.pieces)
            prefix = pack_ushort(field_id)
            keys += [prefix + term for term in postings.terms]
            record = encoded.term_infos.dtype.itemsize
            raw = encoded.term_infos.tobytes()
            infos += [raw[i : i + record] for i in range(0, len(raw), record)]
            del (
                postings,
                lengths,
                encoded,
                raw,
            )  # before the next field is sorted: the largest arrays
        compound.finish()
        compound.add(segment.make_filename(W3Codec.TERMS_EXT), terms_file(keys, infos, fieldmap))
    segment.compound = True
    set_field_lengths(segment, totals)
    return segment


class _Compound:
    """A compound segment file (whoosh.filedb.compound): a header pointing at the
    directory, the inner files end to end, then the pickled directory and options."""

    def __init__(self, path: Path) -> None:
        self._handle = path.open("wb")
        self._handle.write(b"\0" * _HEADER.size)
        self._directory: dict[str, dict[str, Any]] = {}
        self._pending: list[tuple[str, bytes]] = []
        self._name = ""
        self._start = 0

    def __enter__(self) -> _Compound:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        try:
            if kind is None:
                self._write_directory()
        finally:
            self._handle.close()

    def start(self, name: str) -> None:
        """Begin the inner file `name`, written piece by piece."""
        self._name, self._start = name, self._handle.tell()

    def tell(self) -> int:
        """Return the position in the inner file being written."""
        return self._handle.tell() - self._start

    def write(self, pieces: Iterable[bytes | memoryview]) -> None:
        """Append `pieces` to the inner file being written."""
        self._handle.writelines(pieces)

    def finish(self) -> None:
        """End the inner file being written, then add those deferred with later()."""
        self._directory[self._name] = {
            "offset": self._start,
            "length": self._handle.tell() - self._start,
            "modified": time.time(),
        }
        pending, self._pending = self._pending, []
        for name, data in pending:
            self.add(name, data)

    def later(self, name: str, data: bytes) -> None:
        """Add the inner file `name` after the one being written."""
        self._pending.append((name, data))

    def add(self, name: str, data: bytes) -> None:
        """Add the inner file `name` whole."""
        self.start(name)
        self._handle.write(data)
        self.finish()

    def _write_directory(self) -> None:
        """Write the directory and point the header at it."""
        position = self._handle.tell()
        self._handle.write(pickle.dumps(self._directory, -1) + pickle.dumps({}, -1))
        end = self._handle.tell()
        self._handle.seek(0)
        self._handle.write(_HEADER.pack(position, end - position))


def _value_kind(field: Any) -> str:
    """Return how a field's posting values are encoded (postings_encoding.encode_field)."""
    size = field.format.fixed_value_size()
    if size is None:
        return "positions"
    if size == 0:
        return "none"
    if size == 4:
        return "frequency"
    raise TypeError(f"field format {type(field.format).__name__} cannot be written here")

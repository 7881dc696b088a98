"""A field's postings encoded as whoosh3 (W3 codec) posting blocks, vectorised.

W3LeafMatcher reads a term's postings as the tag b"W3Bl", then blocks of up to 128
postings: a big-endian int32 length (negative for the term's last block), a pickled
info tuple (count, last document, maximum weight, compression, minimum and maximum
length byte) and a pickled, maybe zlib-compressed, data tuple (delta-coded document
numbers, weights, values). Whoosh writes these one posting at a time through pickle;
here the pickles of every block of a chunk of terms are laid out at once with NumPy
(the shortest int and bytes opcodes for each value, BINFLOAT for weights), which any
pickle loader reads as the same tuples. Only the blocks
that are compressed go through Python one at a time.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC

from search.local.store.inverting import FieldPostings
from search.local.whoosh_compat import BLOCK_LIMIT

BLOCK = BLOCK_LIMIT  # postings per block, as Whoosh's own writer groups them
COMPRESS_AT = 80  # data pickles smaller than this stay uncompressed (Whoosh's own cutoff)
COMPRESSION = 3  # zlib level of Whoosh's writer
# A 1 KB window instead of zlib's 32 KB: a block is rarely longer, and setting up the
# big window costs ten times the compressing of a block. zlib.decompress reads either.
WINDOW_BITS = 10
CHUNK_POSTINGS = 100_000  # postings encoded at once: bounds the scatter arrays' memory

Ints = npt.NDArray[np.int64]
Bytes = npt.NDArray[np.uint8]

# The info tuple: ( J count J last G max-weight K compression K min-length K max-length t .
_INFO = np.dtype(
    [
        ("length", ">i4"),
        ("op_count", "S2"),
        ("count", "<i4"),
        ("op_last", "S1"),
        ("last", "<i4"),
        ("op_weight", "S1"),
        ("weight", ">f8"),
        ("op_comp", "S1"),
        ("comp", "u1"),
        ("op_min", "S1"),
        ("min_length", "u1"),
        ("op_max", "S1"),
        ("max_length", "u1"),
        ("end", "S2"),
    ]
)
INFO_SIZE = _INFO.itemsize - 4  # the info pickle, after the block length

# W3TermInfo: struct "!BfIBBfII", then the postings' offset ("!q") and length ("!i").
TERM_INFO = np.dtype(
    [
        ("flags", "u1"),
        ("weight", ">f4"),
        ("df", ">u4"),
        ("min_length", "u1"),
        ("max_length", "u1"),
        ("max_weight", ">f4"),
        ("min_id", ">u4"),
        ("max_id", ">u4"),
        ("offset", ">i8"),
        ("length", ">i4"),
    ]
)


@dataclass
class EncodedField:
    """A field's postings file bytes (in pieces) and the term info of each term."""

    pieces: list[bytes | memoryview]
    term_infos: npt.NDArray[np.void]  # TERM_INFO records, one per term


def encode_field(
    postings: FieldPostings, length_bytes: Bytes | None, base: int, values: str
) -> EncodedField:
    """Return the W3 postings of every term of a field, the first starting at file
    offset `base`. `length_bytes` holds each document's length byte in the field (None
    for a field without lengths); `values` is "positions", "frequency" or "none"."""
    pieces: list[bytes | memoryview] = []
    infos = np.zeros(len(postings.terms), TERM_INFO)
    offset = base
    for first, last in _chunks(postings.starts):
        chunk_pieces, chunk_infos = _encode_terms(postings, first, last, length_bytes, values)
        chunk_infos["offset"] += offset
        offset += sum(len(p) for p in chunk_pieces)
        infos[first:last] = chunk_infos
        pieces += chunk_pieces
    return EncodedField(pieces, infos)


def _chunks(starts: Ints) -> Iterator[tuple[int, int]]:
    """Return ranges of terms holding about CHUNK_POSTINGS postings each (at least one term)."""
    count = len(starts) - 1
    first = 0
    while first < count:
        last = int(np.searchsorted(starts, starts[first] + CHUNK_POSTINGS, side="right")) - 1
        last = min(max(last, first + 1), count)
        yield first, last
        first = last


def _segment_sums(values: npt.NDArray[Any], starts: Ints) -> npt.NDArray[Any]:
    """Return the sums of `values` from each of `starts` to the next."""
    return np.add.reduceat(values, starts) if len(values) else values[:0]


@dataclass
class _Blocks:
    """How a chunk of postings falls into terms and blocks."""

    term_starts: Ints  # per term, its first posting (and the end, last)
    term_blocks: Ints  # per term, its first block
    last_block: npt.NDArray[np.bool_]  # per block: the last of its term
    starts: Ints  # per block, its first posting
    sizes: Ints  # per block, its postings
    of: Ints  # per posting, its block
    rank: Ints  # per posting, its place in its block

    @classmethod
    def of_terms(cls, term_starts: Ints) -> _Blocks:
        """Return the blocks of terms whose postings start at `term_starts`."""
        count = int(term_starts[-1])
        per_term = np.diff(term_starts)
        term_of = np.repeat(np.arange(len(per_term)), per_term)
        blocks_per_term = -(-per_term // BLOCK)
        term_blocks = np.cumsum(blocks_per_term) - blocks_per_term
        block_of = term_blocks[term_of] + (np.arange(count) - term_starts[:-1][term_of]) // BLOCK
        blocks = int(blocks_per_term.sum())
        starts = np.searchsorted(block_of, np.arange(blocks))
        last_block = np.zeros(blocks, np.bool_)
        last_block[term_blocks + blocks_per_term - 1] = True
        return cls(
            term_starts=term_starts,
            term_blocks=term_blocks,
            last_block=last_block,
            starts=starts,
            sizes=np.diff(np.append(starts, count)),
            of=block_of,
            rank=np.arange(count) - starts[block_of],
        )


def _encode_terms(
    postings: FieldPostings, first: int, last: int, length_bytes: Bytes | None, values: str
) -> tuple[list[bytes | memoryview], npt.NDArray[np.void]]:
    """Encode terms first..last-1; offsets in the returned infos start from 0."""
    lo, hi = int(postings.starts[first]), int(postings.starts[last])
    blocks = _Blocks.of_terms(postings.starts[first : last + 1] - lo)
    docs = postings.docs[lo:hi]
    weights = postings.weights[lo:hi]
    lengths = np.zeros(hi - lo, np.int64) if length_bytes is None else length_bytes[docs]
    min_length = np.minimum.reduceat(np.where(lengths > 0, lengths, 256), blocks.starts)
    min_length[min_length == 256] = 0  # no lengths (a field that is not scorable)
    max_length = np.maximum.reduceat(lengths, blocks.starts)
    max_weight = np.maximum.reduceat(weights, blocks.starts)

    out, offsets = _data_pickles(postings, lo, hi, blocks, values)
    data, compressed = _compress(out, offsets)
    stored_sizes = np.fromiter(map(len, data), np.int64, len(data))

    info = np.zeros(len(data), _INFO)
    info["length"] = np.where(blocks.last_block, -1, 1) * (INFO_SIZE + stored_sizes)
    info["op_count"], info["op_last"], info["op_weight"] = b"(J", b"J", b"G"
    info["op_comp"], info["op_min"], info["op_max"], info["end"] = b"K", b"K", b"K", b"t."
    info["count"] = blocks.sizes
    info["last"] = docs[blocks.starts + blocks.sizes - 1]
    info["weight"] = max_weight
    info["comp"] = np.where(compressed, COMPRESSION, 0)
    info["min_length"] = min_length
    info["max_length"] = max_length
    headers = info.tobytes()
    size = _INFO.itemsize
    term_first = np.zeros(len(data), np.bool_)
    term_first[blocks.term_blocks] = True
    pieces: list[bytes | memoryview] = []
    for block, is_first in enumerate(term_first.tolist()):
        if is_first:
            pieces.append(WHOOSH3_HEADER_MAGIC)
        pieces.append(headers[block * size : (block + 1) * size])
        pieces.append(data[block])

    term_bytes = len(WHOOSH3_HEADER_MAGIC) + _segment_sums(size + stored_sizes, blocks.term_blocks)
    starts, ends = blocks.term_starts[:-1], blocks.term_starts[1:]
    infos = np.zeros(len(starts), TERM_INFO)
    infos["weight"] = _segment_sums(weights, starts)
    infos["df"] = ends - starts
    term_min = np.minimum.reduceat(np.where(min_length > 0, min_length, 256), blocks.term_blocks)
    infos["min_length"] = np.where(term_min == 256, 0, term_min)
    infos["max_length"] = np.maximum.reduceat(max_length, blocks.term_blocks)
    infos["max_weight"] = np.maximum.reduceat(max_weight, blocks.term_blocks)
    infos["min_id"] = docs[starts]
    infos["max_id"] = docs[ends - 1]
    infos["offset"] = np.cumsum(term_bytes) - term_bytes
    infos["length"] = term_bytes
    return pieces, infos


def _data_pickles(
    postings: FieldPostings, lo: int, hi: int, blocks: _Blocks, values: str
) -> tuple[Bytes, Ints]:
    """Return every block's data pickle, ((ids) weights values), laid end to end, and
    where each starts (with the end of the last)."""
    docs = postings.docs[lo:hi]
    frequencies = postings.frequencies[lo:hi]
    weights = postings.weights[lo:hi]
    sizes, block_of, rank = blocks.sizes, blocks.of, blocks.rank
    deltas = docs.copy()  # each block's ids are delta-coded from zero
    later = np.flatnonzero(rank > 0)
    deltas[later] = docs[later] - docs[later - 1]
    id_sizes = np.where(deltas < 256, 2, np.where(deltas < 65536, 3, 5))  # K, M or J
    ids_size = _segment_sums(id_sizes, blocks.starts)
    # Whoosh's _mini_weights: None when all are 1.0, one float when all are equal
    top = np.maximum.reduceat(weights, blocks.starts)
    bottom = np.minimum.reduceat(weights, blocks.starts)
    mode = np.where((top == 1.0) & (bottom == 1.0), 0, np.where(top == bottom, 1, 2))
    weight_size = np.choose(mode, [1, 9, 0]) + (mode == 2) * (2 + 9 * sizes)
    if values == "positions":
        value_lengths = 4 + 4 * frequencies
        value_sizes = value_lengths + np.where(value_lengths < 256, 2, 5)  # C or B
        values_size = 2 + _segment_sums(value_sizes, blocks.starts)
    elif values == "frequency":
        values_size = 4 * sizes + np.where(4 * sizes < 256, 2, 5)
    else:
        values_size = np.ones(len(sizes), np.int64)
    data_sizes = 2 + ids_size + 1 + weight_size + values_size + 2
    offsets = np.concatenate([[0], np.cumsum(data_sizes)])
    starts = offsets[:-1]
    out = np.empty(int(offsets[-1]), np.uint8)

    out[starts] = out[starts + 1] = ord("(")
    _put_sized(out, starts[block_of] + 2 + _within(id_sizes, blocks), deltas, id_sizes)
    after_ids = starts + 2 + ids_size
    out[after_ids] = ord("t")
    weights_at = after_ids + 1
    out[weights_at[mode == 0]] = ord("N")
    single = np.flatnonzero(mode == 1)
    _put(out, weights_at[single], b"G", top[single].astype(">f8"))
    listed = mode == 2
    out[weights_at[listed]] = ord("(")
    out[weights_at[listed] + 1 + 9 * sizes[listed]] = ord("t")
    each = np.flatnonzero(listed[block_of])
    weight_at = weights_at[block_of[each]] + 1 + 9 * rank[each]
    _put(out, weight_at, b"G", weights[each].astype(">f8"))

    values_at = weights_at + weight_size
    if values == "positions":
        out[values_at] = ord("(")
        value_at = values_at[block_of] + 1 + _within(value_sizes, blocks)
        count_at = _put_length(out, value_at, value_lengths)
        # FastPositions' value: big-endian count, then the positions little-endian
        _put(out, count_at - 1, b"", frequencies.astype(">u4"))
        assert postings.positions is not None and postings.position_starts is not None
        first = int(postings.position_starts[lo])
        flat = postings.positions[first : first + int(frequencies.sum())]
        spans = postings.position_starts[lo:hi] - first
        index = np.arange(len(flat)) - np.repeat(spans, frequencies)
        _put(out, np.repeat(count_at + 4, frequencies) + 4 * index - 1, b"", flat.astype("<u4"))
        out[values_at + values_size - 1] = ord("t")
    elif values == "frequency":
        first_at = _put_length(out, values_at, 4 * sizes)
        _put(out, first_at[block_of] + 4 * rank - 1, b"", frequencies.astype(">u4"))
    else:
        out[values_at] = ord("N")
    out[offsets[1:] - 2] = ord("t")
    out[offsets[1:] - 1] = ord(".")
    return out, offsets


def _within(item_sizes: Ints, blocks: _Blocks) -> Ints:
    """Return where each posting's item starts within its block's run of such items."""
    before = np.cumsum(item_sizes) - item_sizes
    return before - before[blocks.starts][blocks.of]


def _put_sized(out: Bytes, at: Ints, numbers: Ints, sizes: Ints) -> None:
    """Write each number as the pickle int opcode of its size (K: 2, M: 3, J: 5 bytes)."""
    for size, opcode, dtype in ((2, b"K", "u1"), (3, b"M", "<u2"), (5, b"J", "<i4")):
        chosen = np.flatnonzero(sizes == size)
        _put(out, at[chosen], opcode, numbers[chosen].astype(dtype))


def _put_length(out: Bytes, at: Ints, lengths: Ints) -> Ints:
    """Write the header of a bytes object of each length (C: 1-byte length, B: 4-byte);
    return where each object's bytes start."""
    short = lengths < 256
    _put(out, at[short], b"C", lengths[short].astype("u1"))
    _put(out, at[~short], b"B", lengths[~short].astype("<u4"))
    return at + np.where(short, 2, 5)


def _compress(out: Bytes, offsets: Ints) -> tuple[list[bytes | memoryview], npt.NDArray[np.bool_]]:
    """Return each block's data (compressed from COMPRESS_AT bytes), and which are."""
    view = memoryview(out)  # type: ignore[arg-type]
    bounds = offsets.tolist()
    data: list[bytes | memoryview] = []
    compressed = np.diff(offsets) >= COMPRESS_AT
    for start, end, squeeze in zip(bounds, bounds[1:], compressed.tolist(), strict=False):
        piece = view[start:end]
        data.append(zlib.compress(piece, COMPRESSION, WINDOW_BITS) if squeeze else piece)
    return data, compressed


def _put(out: Bytes, at: Ints, opcode: bytes, numbers: npt.NDArray[Any]) -> None:
    """Write `opcode` (one byte or none) at each of `at`, then the bytes of the matching
    number (so the number starts at at + 1)."""
    if opcode:
        out[at] = opcode[0]
    width = numbers.dtype.itemsize
    out[(at + 1)[:, None] + np.arange(width)] = numbers.view(np.uint8).reshape(-1, width)

"""Each private Whoosh read of search.local.whoosh_compat, checked against a real index.

Every test builds a tiny Whoosh index on disk with the project's schema and asserts
that the private attribute behind one compat function still exists and still has the
type, shape and meaning the engine relies on. After upgrading whoosh3, a failure here
names the function to rewrite; nothing else in the package reads Whoosh internals.
"""

from __future__ import annotations

import io
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import whoosh
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile, StructFile
from whoosh.matching import ListMatcher, NullMatcher
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length

from search.local import whoosh_compat as compat
from search.local.store.schema import FastPositions, build_schema
from search.local.store.storage import MappedStorage, _MapSlice

DOCUMENTS = 300  # two posting blocks (of up to 128) for each of the common terms
ALPHA = [n for n in range(DOCUMENTS) if n % 2 == 0]  # 150 postings: blocks of 128 and 22


def title(number: int) -> str:
    """Return the title of document `number` (its length in terms is title_length)."""
    if number == 7:
        return "gamma omega"  # omega: a term of one document
    if number % 4 == 0:
        return "alpha alpha beta delta delta"  # alpha weighs 2 here, 1 in other even documents
    if number % 2 == 0:
        return "alpha beta delta delta alpine"
    return "gamma"


def title_length(number: int) -> int:
    return len(title(number).split())


def write_index(folder: Path, commits: int = 1) -> None:
    """Write documents 0..DOCUMENTS-1 into a new index, in `commits` segments."""
    ix = whoosh_index.create_in(str(folder), build_schema())
    share = -(-DOCUMENTS // commits)
    for start in range(0, DOCUMENTS, share):
        writer = ix.writer()
        for number in range(start, min(start + share, DOCUMENTS)):
            writer.add_document(id=f"doc-{number}", kind="article", title=title(number))
        writer.commit(merge=False)
    ix.close()


@pytest.fixture
def index(tmp_path: Path) -> Iterator[Any]:
    """Return the tiny index, opened the way the engine opens it (MappedStorage)."""
    write_index(tmp_path)
    ix = MappedStorage(str(tmp_path)).open_index()
    yield ix
    ix.close()


@pytest.fixture
def segment(index: Any) -> Iterator[Any]:
    """Return the one segment reader of the tiny index."""
    reader = index.reader()
    leaves = list(reader.leaf_readers())
    assert len(leaves) == 1
    yield leaves[0][0]
    reader.close()


def public_postings(segment: Any, term: str) -> list[tuple[int, float, bytes]]:
    """Return (document, weight, value) of each posting, read through the public API."""
    matcher = segment.postings("title", term)
    found = []
    while matcher.is_active():
        found.append((matcher.id(), matcher.weight(), matcher.value()))
        matcher.next()
    return found


def test_installed_whoosh_is_the_tested_one() -> None:
    assert whoosh.versionstring() == compat.INSTALLED_WHOOSH
    assert compat.INSTALLED_WHOOSH == compat.TESTED_WHOOSH, (
        f"whoosh {compat.INSTALLED_WHOOSH} is installed, but search/local/whoosh_compat.py "
        f"was checked against {compat.TESTED_WHOOSH}. Re-check every function there against "
        "the new Whoosh source (W3LeafMatcher's _data/_read_data/_next_block/_byteids and "
        "block layout, W3PerDocReader._cached_reader and _lenfield, MultiTerm._btexts, "
        "FileIndex._segments, FileStorage._fpath, StructFile._name, BufferFile._buf, "
        "system._INT_SIZE, and that CompoundStorage still calls subset() on files of a "
        "storage without mmap); when this whole file passes, update TESTED_WHOOSH."
    )
    assert compat.WHOOSH_IS_TESTED


def test_int_size_is_the_four_byte_count_of_fastpositions() -> None:
    # blocks.Postings.position_keys drops one uint32 word per value as its count.
    assert isinstance(compat.INT_SIZE, int)
    assert compat.INT_SIZE == 4 == len(pack_uint(7))
    positions = FastPositions(field_boost=1.0)
    value = positions.encode([3, 9, 70000])
    assert len(value) == compat.INT_SIZE + 3 * 4
    assert positions.decode_positions(value) == [3, 9, 70000]


def test_reads_blocks_only_for_block_matchers(segment: Any) -> None:
    assert compat.reads_blocks(segment.postings("title", "alpha"))
    assert compat.reads_blocks(segment.postings("title", "omega"))  # one posting: one block
    assert compat.reads_blocks(segment.postings("kind", "article"))  # ID fields: blocks too
    # Other matchers are read through the public interface.
    assert not compat.reads_blocks(ListMatcher([1, 2, 3]))
    assert not compat.reads_blocks(NullMatcher())


def test_raw_blocks_decode_to_the_known_postings(segment: Any) -> None:
    blocks = list(compat.raw_blocks(segment.postings("title", "alpha")))
    assert [len(ids) for ids, _, _ in blocks] == [128, 22]
    # Ids are delta-coded from zero within each block.
    documents = [int(n) for ids, _, _ in blocks for n in np.cumsum(ids)]
    assert documents == ALPHA
    expected = public_postings(segment, "alpha")
    weights = [float(w) for _, block, _ in blocks for w in block]
    assert weights == [w for _, w, _ in expected]
    assert weights[:4] == [2.0, 1.0, 2.0, 1.0]  # mixed weights: stored per posting
    values = [v for _, _, block in blocks for v in block]
    assert values == [v for _, _, v in expected]
    assert all(isinstance(v, bytes) for v in values)
    assert FastPositions(field_boost=1.0).decode_positions(values[0]) == [0, 1]
    # Minified weights come out as one float per posting: all 1.0 (stored as None)...
    beta = list(compat.raw_blocks(segment.postings("title", "beta")))
    assert [list(w) for _, w, _ in beta] == [[1.0] * 128, [1.0] * 22]
    # ...and all one other weight (stored as that float).
    delta = list(compat.raw_blocks(segment.postings("title", "delta")))
    assert [list(w) for _, w, _ in delta] == [[2.0] * 128, [2.0] * 22]


def test_raw_blocks_consume_the_matcher(segment: Any) -> None:
    matcher = segment.postings("title", "gamma")
    documents = np.concatenate([np.cumsum(ids) for ids, _, _ in compat.raw_blocks(matcher)])
    assert documents.tolist() == [n for n in range(DOCUMENTS) if n % 2 == 1]
    assert not matcher.is_active()


def test_length_bytes_are_one_byte_per_document(segment: Any) -> None:
    raw = compat.length_bytes(segment, "title")
    assert raw is not None
    assert raw.dtype == np.uint8
    assert raw.shape == (segment.doc_count_all(),) == (DOCUMENTS,)
    lengths = [byte_to_length(int(b)) for b in raw]
    assert lengths == [title_length(n) for n in range(DOCUMENTS)]
    assert lengths[:3] == [segment.doc_field_length(n, "title") for n in range(3)]
    assert compat.length_bytes(segment, "body") is None  # no document has a body


def test_length_bytes_fail_loudly_for_another_reader() -> None:
    # postings.field_lengths falls back to the public, slow way on these errors.
    with pytest.raises(AttributeError):
        compat.length_bytes(object(), "title")


def test_expanded_terms_of_multi_term_queries(index: Any) -> None:
    with index.reader() as reader:

        def expand(q: Any) -> list[bytes | str]:
            return list(compat.expanded_terms(q, reader))

        # Terms come as bytes (stems, in index order), but FuzzyTerm's as str.
        assert expand(wq.Prefix("title", "al")) == [b"alpha", b"alpin"]
        assert expand(wq.Wildcard("title", "*mm*")) == [b"gamma"]
        assert expand(wq.Regex("title", "^om")) == [b"omega"]
        assert expand(wq.FuzzyTerm("title", "gamna")) == ["gamma"]
        assert expand(wq.Prefix("title", "zz")) == []


def test_index_segments_lists_every_segment(tmp_path: Path) -> None:
    write_index(tmp_path, commits=3)
    ix = whoosh_index.open_dir(str(tmp_path))
    try:
        segments = compat.index_segments(ix)
        assert isinstance(segments, list)
        assert len(segments) == 3
        assert [s.doc_count_all() for s in segments] == [100, 100, 100]
        ids = [s.segment_id() for s in segments]
        assert all(isinstance(i, str) for i in ids)
        assert len(set(ids)) == 3
        # segments.py moves each segment's files by this prefix.
        names = {p.name for p in tmp_path.iterdir()}
        assert all(any(n.startswith(f"{i}.") for n in names) for i in ids)
    finally:
        ix.close()


def test_storage_path_is_the_file_on_disk(tmp_path: Path) -> None:
    write_index(tmp_path)
    for storage in (FileStorage(str(tmp_path)), MappedStorage(str(tmp_path))):
        toc = next(p.name for p in tmp_path.iterdir() if p.suffix == ".toc")
        path = compat.storage_path(storage, toc)
        assert isinstance(path, str)
        assert Path(path) == (tmp_path / toc).resolve()
        assert Path(path).is_file()


def test_file_name_of_whoosh_files(index: Any) -> None:
    assert compat.file_name(BufferFile(b"abc", name="a.pst")) == "a.pst"
    assert compat.file_name(StructFile(io.BytesIO(), name="b.trm")) == "b.trm"
    assert compat.file_name(BufferFile(b"abc")) is None
    # MappedStorage relies on CompoundStorage calling subset() on its files (no mmap of
    # its own), and each inner file takes its name from there.
    segment = compat.index_segments(index)[0]
    assert segment.is_compound()
    compound = segment.open_compound_file(index.storage)
    name = sorted(compound.list())[0]
    inner = compound.open_file(name)
    assert isinstance(inner, _MapSlice)
    assert compat.file_name(inner) == name
    assert compat.file_name(inner.subset(0, 1)) == name
    compound.close()


def test_drop_buffer_empties_a_buffer_file(tmp_path: Path) -> None:
    buffered = BufferFile(b"abc", name="a")
    assert buffered._buf == b"abc"
    compat.drop_buffer(buffered)
    assert buffered._buf is None
    buffered.close()  # BufferFile.close() reads the buffer: it must still exist
    (tmp_path / "data").write_bytes(b"\x00\x00\x00\x05hello")
    mapped = MappedStorage(str(tmp_path)).open_file("data")
    assert mapped._buf is None
    assert mapped.read_int() == 5
    assert mapped.get(4, 5) == b"hello"
    assert array("B", mapped.get(0, 4)).tolist() == [0, 0, 0, 5]
    mapped.close()


def test_block_limit_is_how_many_postings_whoosh_puts_in_a_block(index: Any) -> None:
    with index.reader() as reader:
        matcher = reader.postings("title", "alpha")
        assert compat.reads_blocks(matcher)
        sizes = [len(ids) for ids, _, _ in compat.raw_blocks(matcher)]
    assert compat.BLOCK_LIMIT == 128
    assert sizes == [compat.BLOCK_LIMIT, len(ALPHA) - compat.BLOCK_LIMIT]


def test_length_column_name_names_the_columns_of_field_lengths(index: Any) -> None:
    segment = compat.index_segments(index)[0]
    compound = segment.open_compound_file(index.storage)
    names = set(compound.list())
    compound.close()
    prefix = segment.segment_id()
    assert f"{prefix}.{compat.length_column_name('title')}.col" in names
    assert f"{prefix}.{compat.length_column_name('excerpt')}.col" not in names  # none indexed


def test_set_field_lengths_gives_the_totals_readers_report(tmp_path: Path) -> None:
    write_index(tmp_path)
    ix = whoosh_index.open_dir(str(tmp_path))
    try:
        segment = compat.index_segments(ix)[0]
        with ix.reader() as reader:
            assert reader.field_length("title") == sum(map(title_length, range(DOCUMENTS)))
        compat.set_field_lengths(segment, {"title": 7})
        per_document = segment.codec().per_document_reader(ix.storage, segment)
        assert per_document.field_length("title") == 7
        assert per_document.field_length("excerpt") == 0
    finally:
        ix.close()

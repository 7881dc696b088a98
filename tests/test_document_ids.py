"""Finding documents by id (search/local/store/document_ids.py): from the ids the columns
keep in generations of schema version 4 on, which index no `id` term, and from the `id`
postings of older generations, which keep serving."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from indexer_support import current, looked_up, stored_documents
from whoosh import fields
from whoosh import index as whoosh_index

from search.errors import DocumentNotFound
from search.identity import doc_id
from search.local.backend import LocalBackend
from search.local.store import generations, segments
from search.local.store.build import SCHEMA_VERSION, build_index
from search.local.store.checksums import write_checksums
from search.local.store.column_files import ARRAYS
from search.local.store.document_ids import IDS, DocumentIds, id_value, id_values
from search.local.store.schema import build_schema

A, B, C = doc_id("a"), doc_id("b"), doc_id("c")
NOT_IDS = ["", A.upper(), A[:-1], f"{A}0", " " + A[1:], "g" * 16, "0x" + A[2:]]


def test_the_live_document_of_an_id_is_found() -> None:
    # document 0 is the deleted old version of B, document 3 its new version
    ids = id_values([B, A, None, B, C])
    alive = np.array([False, True, False, True, True])
    found = DocumentIds(ids, alive)
    assert {i: found.number_of(i) for i in (A, B, C, doc_id("d"))} == {
        A: 1,
        B: 3,
        C: 4,
        doc_id("d"): None,
    }


@pytest.mark.parametrize("text", NOT_IDS)
def test_only_doc_ids_own_form_is_an_id(text: str) -> None:
    assert id_value(text) is None
    assert DocumentIds(id_values([A]), np.array([True])).number_of(text) is None
    with pytest.raises(ValueError, match="not a document id"):
        id_values([A, text])


def test_ids_are_kept_as_their_hex_digits() -> None:
    assert id_values([A, None]).tolist() == [int(A, 16), 0]
    assert id_value("ffffffffffffffff") == 2**64 - 1


def test_a_generation_finds_every_document_without_id_terms(
    literal_seeds: Path, index_dir: Path
) -> None:
    build_index(literal_seeds, index_dir, progress=False)
    folder = current(index_dir)
    docs = stored_documents(folder)
    assert len(docs) == 5
    assert looked_up(folder, [*docs, B, *NOT_IDS]) == {
        **docs,
        B: None,
        **dict.fromkeys(NOT_IDS),
    }
    ix = whoosh_index.open_dir(str(folder))
    try:
        assert not ix.schema["id"].indexed
        with ix.reader() as reader:
            assert "id" not in reader.indexed_field_names()
    finally:
        ix.close()
    with np.load(folder / ARRAYS) as saved:
        assert sorted(saved[IDS].tolist()) == sorted(int(i, 16) for i in docs)


def _schema_3() -> fields.Schema:
    """Return the schema of generations of version 3: ids indexed as unique terms."""
    schema = build_schema()
    schema.remove("id")
    schema.add("id", fields.ID(stored=True, unique=True))
    return schema


def _make_schema_3(seeds: Path, index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Build a generation as schema version 3 wrote it: `id` terms, no ids in the columns."""
    with monkeypatch.context() as patch:
        patch.setattr(segments, "build_schema", _schema_3)
        build_index(seeds, index_dir, progress=False)
    folder = current(index_dir)
    with np.load(folder / ARRAYS) as saved:
        arrays = {name: saved[name] for name in saved.files if name != IDS}
    np.savez(folder / ARRAYS, **arrays)
    meta = generations.read_meta(folder)
    (folder / generations.META).write_text(json.dumps({**meta, "schema_version": 3}), "utf-8")
    write_checksums(folder)
    return folder


def test_an_older_generation_finds_documents_by_its_id_postings(
    literal_seeds: Path, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = _make_schema_3(literal_seeds, index_dir, monkeypatch)
    docs = stored_documents(old)
    ix = whoosh_index.open_dir(str(old))
    try:
        with ix.reader() as reader:
            assert sorted(reader.lexicon("id")) == sorted(i.encode() for i in docs)
    finally:
        ix.close()
    assert looked_up(old, [*docs, B, *NOT_IDS]) == {**docs, B: None, **dict.fromkeys(NOT_IDS)}

    backend = LocalBackend.open(index_dir)
    try:
        assert {i: backend.document(i).id for i in docs} == {i: i for i in docs}
        with pytest.raises(DocumentNotFound):
            backend.document(B)
    finally:
        backend.close()

    report = build_index(literal_seeds, index_dir, incremental=True, progress=False)
    assert report.incremental is False
    assert report.notes == [
        f"incremental build not possible (it was built with another schema version (3, "
        f"snowball-english stems; this build writes {SCHEMA_VERSION}, snowball-english "
        "stems)); built in full"
    ]
    assert looked_up(current(index_dir), list(docs)) == docs

"""A generation's per-file records (search/local/store/manifest.py): compressed, read back
exactly, damage found; generations with the plain records.jsonl of earlier versions still
build incrementally; an incremental build changes none of the previous generation's files."""

from __future__ import annotations

import gzip
import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from build_support import stored_documents
from indexer_support import current

from search.local.backend import LocalBackend
from search.local.store.build import build_index
from search.local.store.checksums import CHECKSUMS
from search.local.store.manifest import (
    PLAIN_RECORDS,
    RECORDS,
    FileRecord,
    compressed_records,
    read_records,
    write_record_members,
    write_records,
)
from search.model import Article, ParsedFile

RECORD = FileRecord(
    "_news/a.md",
    1234,
    1_700_000_000_123_456_789,
    ParsedFile(
        Article(
            key="https://example.com/a",
            kind="article",
            title='Caf\u00e9 \u201cquotes\u201d \\ and "escapes"',
            source="_news/a.md",
            excerpt="Line one\nline two",
            body="# Body\n\ntext",
            topics=("AI", "Computer Vision"),
            provider_name="Example",
            provider_domain="example.com",
            published=datetime(2023, 9, 3, 12, 36, 0, 250_000),
            url="https://example.com/a?x=1&y=2",
            image="https://img.example.com/a.jpg",
            category="news",
            type="article",
            quality=-3,
            related=("https://example.com/b",),
        ),
        [Article(key="https://example.com/b", kind="related", title="B", source="_news/a.md")],
        ["_news/a.md: quality is not an integer; dropped"],
    ),
)
BARE = FileRecord("b.md", 1, 2, ParsedFile(Article("path:b.md", "article", "B", "b.md")))


def test_records_read_back_exactly(tmp_path: Path) -> None:
    write_records(tmp_path / RECORDS, [RECORD, BARE])
    assert read_records(tmp_path) == {"_news/a.md": RECORD, "b.md": BARE}
    with gzip.open(tmp_path / RECORDS, "rt", encoding="utf-8") as handle:
        assert json.loads(handle.readline())["format"] == 2
        assert len(handle.readlines()) == 2


def test_records_compressed_in_shares_read_back_as_one(tmp_path: Path) -> None:
    """A full build's records: gzip members end to end, the same lines as one stream."""
    members = [compressed_records([RECORD]), compressed_records([]), compressed_records([BARE])]
    write_record_members(tmp_path / RECORDS, members)
    assert read_records(tmp_path) == {"_news/a.md": RECORD, "b.md": BARE}
    whole = tmp_path / "whole"
    whole.mkdir()
    write_records(whole / RECORDS, [RECORD, BARE])
    assert gzip.decompress((tmp_path / RECORDS).read_bytes()) == gzip.decompress(
        (whole / RECORDS).read_bytes()
    )


def test_no_records_read_back_as_none(tmp_path: Path) -> None:
    write_records(tmp_path / RECORDS, [])
    assert read_records(tmp_path) == {}


def _plain_line(record: FileRecord) -> dict[str, Any]:
    """Return a record as the records.jsonl of earlier versions held it."""

    def article(a: Article) -> dict[str, Any]:
        data = asdict(a)
        data["published"] = a.published.isoformat() if a.published else None
        return data

    return {
        "path": record.relative,
        "size": record.size,
        "mtime_ns": record.mtime_ns,
        "article": article(record.parsed.article),
        "related": [article(r) for r in record.parsed.related],
        "warnings": record.parsed.warnings,
    }


def _write_plain(path: Path, records: list[FileRecord]) -> None:
    lines = [json.dumps(_plain_line(r), ensure_ascii=False) + "\n" for r in records]
    path.write_text("".join(lines), encoding="utf-8")


def test_plain_records_of_earlier_versions_are_read(tmp_path: Path) -> None:
    _write_plain(tmp_path / PLAIN_RECORDS, [RECORD, BARE])
    assert read_records(tmp_path) == {"_news/a.md": RECORD, "b.md": BARE}


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (lambda raw: raw[: len(raw) // 2], "Compressed file ended"),
        (lambda raw: raw[:-8] + bytes(8), "CRC check failed"),
        (lambda raw: b"not gzip" + raw, "Not a gzipped file"),
        (lambda raw: gzip.compress(b'{"format": 1}\n'), "written by another version"),
        (lambda raw: gzip.compress(b""), "Expecting value"),
    ],
    ids=["truncated", "flipped_checksum", "not_gzip", "old_format", "empty"],
)
def test_damaged_records_are_refused_by_name(tmp_path: Path, damage: Any, problem: str) -> None:
    write_records(tmp_path / RECORDS, [RECORD, BARE] * 200)
    path = tmp_path / RECORDS
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(ValueError, match=f"^unreadable {RECORDS}: .*{problem}"):
        read_records(tmp_path)


@pytest.fixture
def built(literal_seeds: Path, tmp_path: Path) -> tuple[Path, Path]:
    """Return (index folder, its generation) after a full build of the literal seeds."""
    build_index(literal_seeds, tmp_path / "index", progress=False)
    return tmp_path / "index", current(tmp_path / "index")


def test_a_generation_with_plain_records_builds_incrementally(
    literal_seeds: Path, tmp_path: Path, built: tuple[Path, Path]
) -> None:
    index, old = built
    records = list(read_records(old).values())
    (old / RECORDS).unlink()  # now as an earlier version left it
    _write_plain(old / PLAIN_RECORDS, records)
    (literal_seeds / "b.md").unlink()

    report = build_index(literal_seeds, index, incremental=True, progress=False)

    # only the bad file is read again (it has no record); b.md's article was a duplicate
    # that won its merge, so the record it beat (held only in the records) now wins
    assert (report.incremental, report.notes, report.files_read) == (True, [], 1)
    assert (report.added, report.updated, report.deleted) == (0, 1, 0)
    new = current(index)
    assert sorted(p.name for p in new.iterdir() if "records" in p.name) == [RECORDS]
    listed = json.loads((new / CHECKSUMS).read_text(encoding="utf-8"))["files"]
    assert RECORDS in listed and PLAIN_RECORDS not in listed
    assert read_records(new) == {r.relative: r for r in records if r.relative != "b.md"}
    full = tmp_path / "full"
    build_index(literal_seeds, full, progress=False)
    assert sorted(stored_documents(index), key=lambda d: d["id"]) == sorted(
        stored_documents(full), key=lambda d: d["id"]
    )


def test_an_incremental_build_changes_no_file_of_the_previous_generation(
    literal_seeds: Path, tmp_path: Path, built: tuple[Path, Path]
) -> None:
    index, old = built
    before = {p.name: p.read_bytes() for p in old.iterdir()}
    synonyms = tmp_path / "synonyms.txt"
    synonyms.write_text("robot, automaton\n", encoding="utf-8")
    (literal_seeds / "b.md").unlink()

    report = build_index(literal_seeds, index, incremental=True, progress=False, synonyms=synonyms)

    assert report.incremental is True
    assert {p.name: p.read_bytes() for p in old.iterdir()} == before
    assert (current(index) / "synonyms.txt").read_text(encoding="utf-8") == "robot, automaton\n"
    assert list(LocalBackend(index).verify().values()) == [[], []]

"""The per-file record of a generation, which `--incremental` diffs against.

One entry per seed file that gave a document: its path, size and mtime, its warnings and
the records it yielded (its article, then its related items). With it, an incremental
build re-reads only new or changed files and can still merge duplicates exactly as a full
build would, which needs every record, the losers of a merge included (the index holds
only the winners).

`records.jsonl.gz` is gzip-compressed JSON lines: a header naming the format and the
Article fields, then per file `[path, size, mtime_ns, warnings, article, *related]`, each
record the list of its fields in the header's order. Lists instead of objects, and gzip
over them, make it about a fifth of the plain `records.jsonl` (one JSON object per line)
of generations built before, which is still read. A full build writes the lines as
several gzip members end to end (one per share of the seed files, compressed where
that share was parsed), which gzip readers read as one stream.
"""

from __future__ import annotations

import gzip
import io
import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from search.model import Article, ParsedFile

RECORDS = "records.jsonl.gz"
PLAIN_RECORDS = "records.jsonl"  # generations built before the records were compressed
FORMAT = 2
LEVEL = 3  # gzip: 10% smaller than level 1 for half again its time; 6 takes three times as long
_BATCH = 2_000  # lines compressed per write


@dataclass(frozen=True, slots=True)
class FileRecord:
    """A seed file as last indexed: what identifies its version, and what it gave."""

    relative: str
    size: int
    mtime_ns: int
    parsed: ParsedFile


_FIELDS = tuple(f.name for f in fields(Article))
_PUBLISHED = _FIELDS.index("published")
_TUPLES = tuple(_FIELDS.index(name) for name in ("topics", "related"))


def _row(article: Article) -> list[Any]:
    row = [getattr(article, name) for name in _FIELDS]  # asdict() deep-copies: slow
    if article.published is not None:
        row[_PUBLISHED] = article.published.isoformat()
    return row


def _article(row: list[Any]) -> Article:
    if len(row) != len(_FIELDS):
        raise ValueError(f"a record has {len(row)} fields, not {len(_FIELDS)}")
    if row[_PUBLISHED] is not None:
        row[_PUBLISHED] = datetime.fromisoformat(row[_PUBLISHED])
    for index in _TUPLES:
        row[index] = tuple(row[index])
    return Article(*row)


def write_records(path: Path, records: Iterable[FileRecord]) -> None:
    """Write the records of a generation to `path` (compressed; see the module docstring)."""
    write_record_members(path, [compressed_records(records)])


def compressed_records(records: Iterable[FileRecord]) -> bytes:
    """Return the lines of `records` as one gzip member. A full build makes one per
    share of the seed files, where that share is parsed; write_record_members lays them
    end to end (a gzip reader reads several members as one stream)."""
    lines: list[str] = []
    with io.BytesIO() as raw:
        with gzip.GzipFile("", "wb", LEVEL, raw, mtime=0) as handle:
            for record in records:
                parsed = record.parsed
                line = [record.relative, record.size, record.mtime_ns, parsed.warnings]
                line.append(_row(parsed.article))
                line.extend(_row(r) for r in parsed.related)
                lines.append(json.dumps(line, ensure_ascii=False, separators=(",", ":")))
                if len(lines) == _BATCH:
                    handle.write(("\n".join(lines) + "\n").encode("utf-8"))
                    lines.clear()
            handle.write(("\n".join(lines) + "\n").encode("utf-8") if lines else b"")
        return raw.getvalue()


def write_record_members(path: Path, members: Iterable[bytes]) -> None:
    """Write the header, then records compressed by compressed_records, in order."""
    header = json.dumps({"format": FORMAT, "fields": _FIELDS}) + "\n"
    with path.open("wb") as raw:
        raw.write(gzip.compress(header.encode("utf-8"), LEVEL, mtime=0))
        for member in members:
            raw.write(member)


def read_records(folder: Path) -> dict[str, FileRecord]:
    """Return {relative path: FileRecord} from a generation's records (either format);
    raise ValueError naming the file if it is missing, damaged or of another format."""
    path = folder / RECORDS
    if not path.exists() and (folder / PLAIN_RECORDS).exists():
        return _read_plain(folder / PLAIN_RECORDS)
    records: dict[str, FileRecord] = {}
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            header = json.loads(handle.readline())
            if header.get("format") != FORMAT or tuple(header.get("fields", ())) != _FIELDS:
                raise ValueError("written by another version (format or Article fields differ)")
            for line in handle:
                relative, size, mtime_ns, warnings, article, *related = json.loads(line)
                parsed = ParsedFile(_article(article), [_article(r) for r in related], warnings)
                records[relative] = FileRecord(relative, size, mtime_ns, parsed)
    except (OSError, EOFError, zlib.error, AttributeError, TypeError, ValueError) as exc:
        raise ValueError(f"unreadable {path.name}: {exc}") from None
    return records


def _read_plain(path: Path) -> dict[str, FileRecord]:
    """Return the records of a generation built before they were compressed."""
    records: dict[str, FileRecord] = {}

    def article(data: dict[str, Any]) -> Article:
        return _article([data[name] for name in _FIELDS])

    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                data = json.loads(line)
                parsed = ParsedFile(
                    article(data["article"]),
                    [article(r) for r in data["related"]],
                    list(data["warnings"]),
                )
                records[data["path"]] = FileRecord(
                    data["path"], data["size"], data["mtime_ns"], parsed
                )
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"unreadable {path.name}: {exc}") from None
    return records

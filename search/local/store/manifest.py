"""The per-file record of a generation (records.jsonl), which `--incremental` diffs against.

One JSON line per seed file that gave a document: its path, size and mtime, and the
records it yielded. With it, an incremental build re-reads only new or changed files
and can still merge duplicates exactly as a full build would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from search.model import Article, ParsedFile

RECORDS = "records.jsonl"


@dataclass(frozen=True)
class FileRecord:
    """A seed file as last indexed: what identifies its version, and what it gave."""

    relative: str
    size: int
    mtime_ns: int
    parsed: ParsedFile


_FIELDS = tuple(f.name for f in fields(Article))


def _article_json(article: Article) -> dict[str, Any]:
    data = {name: getattr(article, name) for name in _FIELDS}  # asdict() deep-copies: slow
    data["published"] = article.published.isoformat() if article.published else None
    return data


def _article(data: dict[str, Any]) -> Article:
    published = data.pop("published")
    data["published"] = datetime.fromisoformat(published) if published else None
    data["topics"] = tuple(data["topics"])
    data["related"] = tuple(data["related"])
    return Article(**data)


def write_records(path: Path, records: list[FileRecord]) -> None:
    """Write the records of a generation to `path`."""
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            line = {
                "path": record.relative,
                "size": record.size,
                "mtime_ns": record.mtime_ns,
                "article": _article_json(record.parsed.article),
                "related": [_article_json(r) for r in record.parsed.related],
                "warnings": record.parsed.warnings,
            }
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")


def read_records(path: Path) -> dict[str, FileRecord]:
    """Return {relative path: FileRecord} from a records file; raise ValueError if corrupt."""
    records: dict[str, FileRecord] = {}
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                data = json.loads(line)
                parsed = ParsedFile(
                    _article(data["article"]),
                    [_article(r) for r in data["related"]],
                    list(data["warnings"]),
                )
                records[data["path"]] = FileRecord(
                    data["path"], data["size"], data["mtime_ns"], parsed
                )
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"unreadable {path.name}: {exc}") from None
    return records

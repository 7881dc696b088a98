"""The baselines: what a developer following Whoosh's documentation would write."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from whoosh import fields, index
from whoosh.analysis import StemmingAnalyzer

from search.ingest.frontmatter import parse_datetime
from search.model import Article


def textbook_schema() -> Any:
    """Return the schema of the textbook build (Whoosh's tutorial shape, stemmed text)."""
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(stored=True, analyzer=StemmingAnalyzer()),
        excerpt=fields.TEXT(stored=True, analyzer=StemmingAnalyzer()),
        body=fields.TEXT(analyzer=StemmingAnalyzer()),
        topics=fields.KEYWORD(stored=True, commas=True, lowercase=True, scorable=True),
        provider=fields.ID(stored=True, sortable=True),
        published=fields.DATETIME(stored=True, sortable=True),
        url=fields.STORED(),
    )


def _fields(record: dict[str, Any], fallback_id: str) -> dict[str, Any] | None:
    title = record.get("title") or record.get("name")
    if not isinstance(title, str):
        return None
    provider = record.get("provider")
    values: dict[str, Any] = {
        "id": str(record.get("webUrl") or fallback_id),
        "title": title,
        "excerpt": str(record.get("excerpt") or ""),
        "topics": ",".join(str(t) for t in record.get("topics") or []),
        "provider": str(provider.get("name") if isinstance(provider, dict) else provider or ""),
        "url": record.get("webUrl"),
    }
    when = record.get("publishedDateTime")
    if when:
        values["published"] = parse_datetime(str(when))
    return values


def textbook_build_files(seeds: Path, folder: Path) -> int:
    """Build from seed files the textbook way (yaml.safe_load, one writer); return documents."""
    folder.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(folder), textbook_schema())
    writer = ix.writer()
    count = 0
    for path in sorted(seeds.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        _, front, body = text.split("---\n", 2)
        data = yaml.safe_load(front)
        for number, record in enumerate([data, *(data.get("related") or [])]):
            values = _fields(record, f"{path}#{number}")
            if values is None:
                continue
            if number == 0:
                values["body"] = body
            writer.add_document(**values)
            count += 1
    writer.commit()
    return count


def textbook_build_articles(articles: list[Article], folder: Path) -> int:
    """Build from already parsed articles with one writer (the index-only baseline)."""
    folder.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(folder), textbook_schema())
    writer = ix.writer()
    for article in articles:
        values: dict[str, Any] = {
            "id": article.id,
            "title": article.title,
            "excerpt": article.excerpt,
            "body": article.body,
            "topics": ",".join(article.topics),
            "provider": article.provider_name or "",
            "url": article.url,
        }
        if article.published:
            values["published"] = article.published
        writer.add_document(**values)
    writer.commit()
    return len(articles)

"""Textbook Whoosh, the baseline of the search benchmark (SQLite FTS5 is benchmarks.fts5).

One `searcher.search` with `groupedby` facets (counts) and filters as Whoosh queries, on a
schema a Whoosh user would write (with year and month as keyword fields, the cheap way
to facet dates; DateRangeFacet is far slower). The filtered workload's facets are
disjunctive as ours are (benchmarks.answers): three searches, each with the filters
its facets are counted under.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from whoosh import fields, index, qparser, sorting
from whoosh import query as wq
from whoosh.analysis import StemmingAnalyzer

from benchmarks.answers import Answer, Counts, Filters, with_years
from benchmarks.fts5 import build_sqlite
from search.model import Article

__all__ = ["TextbookWhoosh", "build_sqlite", "build_textbook", "textbook_schema_with_dates"]
_FIELDS = {"topic": "topics", "provider": "provider", "type": "type", "month": "month"}


def textbook_schema_with_dates() -> Any:
    """Return the textbook schema, with year and month keyword fields for faceting."""
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(stored=True, analyzer=StemmingAnalyzer()),
        excerpt=fields.TEXT(stored=True, analyzer=StemmingAnalyzer()),
        body=fields.TEXT(analyzer=StemmingAnalyzer()),
        topics=fields.KEYWORD(stored=True, commas=True, scorable=True),
        provider=fields.ID(stored=True, sortable=True),
        type=fields.ID(sortable=True),
        published=fields.DATETIME(stored=True, sortable=True),
        year=fields.ID(sortable=True),
        month=fields.ID(sortable=True),
    )


def build_textbook(articles: Sequence[Article], folder: Path) -> None:
    """Write the textbook index of `articles` into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(folder), textbook_schema_with_dates())
    writer = ix.writer(limitmb=256)
    for a in articles:
        values: dict[str, Any] = {
            "id": a.id,
            "title": a.title,
            "excerpt": a.excerpt,
            "body": a.body,
            "topics": ",".join(a.topics),
            "provider": a.provider_name or "",
            "type": a.type or "",
        }
        if a.published:
            values.update(
                published=a.published, year=f"{a.published:%Y}", month=f"{a.published:%Y-%m}"
            )
        writer.add_document(**values)
    writer.commit()


class TextbookWhoosh:
    """Searches the textbook index the way Whoosh's documentation shows."""

    def __init__(self, folder: Path) -> None:
        self.ix = index.open_dir(str(folder))
        self.searcher = self.ix.searcher()
        self.parser = qparser.MultifieldParser(["title", "excerpt", "body"], self.ix.schema)

    def _search(
        self, query: Any, limit: int, facets: Sequence[str], filters: list[Any]
    ) -> tuple[Any, Counts]:
        groupedby = {
            name: sorting.FieldFacet(_FIELDS[name], allow_overlap=name == "topic")
            for name in facets
        }
        results = self.searcher.search(
            query,
            limit=limit,
            groupedby=groupedby or None,
            maptype=sorting.Count,
            filter=wq.And(filters) if filters else None,
        )
        counts = {name: {k: v for k, v in results.groups(name).items() if k} for name in facets}
        return results, counts

    def search(self, q: str, facets: bool, filters: Filters) -> Answer:
        """Return the Answer to `q`: top 10, total and (if asked) the facet counts."""
        query = self.parser.parse(q)
        topic: list[Any] = []
        dates: list[Any] = []
        if filters.active and filters.start and filters.end:
            topic = [wq.Term("topics", filters.topic)]
            start, end = filters.start, filters.end
            dates = [
                wq.DateRange(
                    "published",
                    datetime(start.year, start.month, start.day),
                    datetime(end.year, end.month, end.day, 23, 59, 59),
                )
            ]
        if not facets:
            results, counts = self._search(query, 10, (), topic + dates)
        elif not filters.active:
            results, counts = self._search(query, 10, ("topic", "provider", "type", "month"), [])
        else:  # disjunctive: each facet counted without its own filter
            results, counts = self._search(query, 10, ("provider", "type"), topic + dates)
            counts["topic"] = self._search(query, 1, ("topic",), dates)[1]["topic"]
            counts["month"] = self._search(query, 1, ("month",), topic)[1]["month"]
        ids = [hit["id"] for hit in results[:10]]
        return Answer(len(results), ids, with_years(counts) if facets else {})

    def close(self) -> None:
        """Close the searcher."""
        self.searcher.close()

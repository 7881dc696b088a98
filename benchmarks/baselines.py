"""The two baselines of the search benchmark, on the same documents and queries.

Textbook Whoosh: one `searcher.search` with `groupedby` facets and filters as Whoosh
queries, on a schema a Whoosh user would write (with year and month as keyword fields,
the cheap way to facet dates; DateRangeFacet is far slower). SQLite FTS5: bm25 top-10
plus GROUP BY counts for the four facets, with Python's own sqlite3.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from whoosh import fields, index, qparser, sorting
from whoosh import query as wq
from whoosh.analysis import StemmingAnalyzer

from search.model import Article

_WORD = re.compile(r"\w+")


def textbook_schema_with_dates() -> Any:
    """Return the textbook schema, with year and month keyword fields for faceting."""
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(stored=True, analyzer=StemmingAnalyzer()),
        excerpt=fields.TEXT(stored=True, analyzer=StemmingAnalyzer()),
        body=fields.TEXT(analyzer=StemmingAnalyzer()),
        topics=fields.KEYWORD(stored=True, commas=True, scorable=True),
        provider=fields.ID(stored=True, sortable=True),
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

    def search(
        self, q: str, facets: bool, topic: str | None, start: date | None, end: date | None
    ) -> int:
        """Run one search; return the number of hits (so work cannot be skipped)."""
        groupedby = None
        if facets:
            groupedby = {
                "topic": sorting.FieldFacet("topics", allow_overlap=True),
                "provider": sorting.FieldFacet("provider"),
                "year": sorting.FieldFacet("year"),
                "month": sorting.FieldFacet("month"),
            }
        filter_ = None
        if topic is not None and start is not None and end is not None:
            filter_ = wq.And(
                [
                    wq.Term("topics", topic),
                    wq.DateRange(
                        "published",
                        datetime(start.year, start.month, start.day),
                        datetime(end.year, end.month, end.day, 23, 59, 59),
                    ),
                ]
            )
        results = self.searcher.search(
            self.parser.parse(q), limit=10, groupedby=groupedby, filter=filter_
        )
        if facets:
            for name in ("topic", "provider", "year", "month"):
                results.groups(name)
        return len(results[:10])

    def close(self) -> None:
        """Close the searcher."""
        self.searcher.close()


def build_sqlite(articles: Sequence[Article], path: Path) -> None:
    """Write an SQLite database with an FTS5 table and facet tables for `articles`."""
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE VIRTUAL TABLE fts USING fts5(title, excerpt, body, tokenize='porter unicode61');
        CREATE TABLE meta(id INTEGER PRIMARY KEY, provider TEXT, day TEXT, year TEXT, month TEXT);
        CREATE TABLE topics(id INTEGER, topic TEXT);
    """)
    for number, a in enumerate(articles, start=1):
        db.execute(
            "INSERT INTO fts(rowid, title, excerpt, body) VALUES (?, ?, ?, ?)",
            (number, a.title, a.excerpt, a.body),
        )
        day = a.published.date().isoformat() if a.published else None
        db.execute(
            "INSERT INTO meta VALUES (?, ?, ?, ?, ?)",
            (number, a.provider_name, day, day and day[:4], day and day[:7]),
        )
        db.executemany("INSERT INTO topics VALUES (?, ?)", [(number, t) for t in a.topics])
    db.executescript("""
        CREATE INDEX topics_topic ON topics(topic, id);
        CREATE INDEX topics_id ON topics(id);
        CREATE INDEX meta_day ON meta(day);
    """)
    db.commit()
    db.close()


def fts5_query(q: str) -> str:
    """Return the FTS5 form of a logged query: quoted words (AND-ed), or one phrase."""
    words = _WORD.findall(q)
    if q.startswith('"'):
        return '"' + " ".join(words) + '"'
    return " ".join(f'"{w}"' for w in words) or '""'


class SqliteFts:
    """bm25 top-10 and GROUP BY facet counts over SQLite FTS5."""

    FACETS = (
        "SELECT topic, count(*) FROM topics JOIN m ON topics.id = m.rowid GROUP BY topic",
        "SELECT provider, count(*) FROM meta JOIN m ON meta.id = m.rowid GROUP BY provider",
        "SELECT year, count(*) FROM meta JOIN m ON meta.id = m.rowid WHERE year IS NOT NULL "
        "GROUP BY year",
        "SELECT month, count(*) FROM meta JOIN m ON meta.id = m.rowid WHERE month IS NOT NULL "
        "GROUP BY month",
    )

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, check_same_thread=False)

    def search(
        self, q: str, facets: bool, topic: str | None, start: date | None, end: date | None
    ) -> int:
        """Run one search; return the number of hits fetched."""
        # Joins, not `rowid IN (subquery)`: SQLite's planner answers them ~40x faster.
        match = "SELECT f.rowid AS rowid FROM fts f WHERE fts MATCH ?"
        params: list[Any] = [fts5_query(q)]
        if topic is not None and start is not None and end is not None:
            match = (
                "SELECT f.rowid AS rowid FROM fts f JOIN topics t ON t.id = f.rowid "
                "JOIN meta d ON d.id = f.rowid "
                "WHERE fts MATCH ? AND t.topic = ? AND d.day BETWEEN ? AND ?"
            )
            params += [topic, start.isoformat(), end.isoformat()]
        top = self.db.execute(
            match.replace(
                "SELECT f.rowid AS rowid", "SELECT f.rowid, bm25(fts, 3.0, 1.5, 1.0) AS r"
            )
            + " ORDER BY r LIMIT 10",
            params,
        ).fetchall()
        if facets:
            for sql in self.FACETS:
                self.db.execute(f"WITH m AS ({match}) {sql}", params).fetchall()
        return len(top)

    def close(self) -> None:
        """Close the database."""
        self.db.close()

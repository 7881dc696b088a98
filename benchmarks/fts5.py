"""SQLite FTS5 as a peer of the search benchmark, with Python's own sqlite3.

bm25 top-10 over an FTS5 table (porter stemming), the total, and the facets as GROUP BY
counts over the match in one statement (the match materialised once, then joined with
the facet tables). The filtered workload's facets are disjunctive as ours are (see
benchmarks.answers), so that statement materialises the match under the dates, under
the topic and under both.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.answers import Answer, Filters, pairs_to_counts
from search.model import Article

_WORD = re.compile(r"\w+")
# As search.local.store.schema.FIELD_WEIGHTS: title, excerpt, body (then topic, provider)
WEIGHTS = (3.0, 1.5, 1.0)
LABEL_WEIGHTS = (1.5, 1.0)


def build_sqlite(articles: Sequence[Article], path: Path, labels: bool = False) -> None:
    """Write an SQLite database with an FTS5 table and facet tables for `articles`.

    With `labels`, the FTS5 table also holds each document's topics and provider as text,
    as our index does, so a word naming a topic or an outlet matches the same documents."""
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    columns = "title, excerpt, body, topic, provider" if labels else "title, excerpt, body"
    db.executescript(f"""
        CREATE VIRTUAL TABLE fts USING fts5({columns}, tokenize='porter unicode61');
        CREATE TABLE meta(id INTEGER PRIMARY KEY, doc TEXT, provider TEXT, type TEXT, day TEXT,
                          year TEXT, month TEXT);
        CREATE TABLE topics(id INTEGER, topic TEXT);
    """)
    for number, a in enumerate(articles, start=1):
        text = [a.title, a.excerpt, a.body]
        if labels:
            text += [" ".join(a.topics), a.provider_name or ""]
        marks = ", ".join("?" * len(text))
        insert = f"INSERT INTO fts(rowid, {columns}) VALUES (?, {marks})"  # noqa: S608 (ours)
        db.execute(insert, (number, *text))
        day = a.published.date().isoformat() if a.published else None
        db.execute(
            "INSERT INTO meta VALUES (?, ?, ?, ?, ?, ?, ?)",
            (number, a.id, a.provider_name, a.type, day, day and day[:4], day and day[:7]),
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


_MATCH = "SELECT rowid AS id FROM fts WHERE fts MATCH :q"
_DATES = (
    "SELECT {0}.id FROM {0} CROSS JOIN meta ON meta.id = {0}.id WHERE day BETWEEN :start AND :end"
)
_TOPIC = "SELECT {0}.id FROM {0} CROSS JOIN topics ON topics.id = {0}.id WHERE topic = :topic"


def _facet_sql(topic_set: str, meta_set: str, month_set: str) -> str:
    """Return the UNION of the total and the four GROUP BYs, each over its named set.

    CROSS JOIN keeps the matched set as the outer loop (SQLite does not reorder it):
    without it the planner may scan a whole facet table and probe the set."""
    return f"""
        SELECT 'total', NULL, count(*) FROM {meta_set}
        UNION ALL SELECT 'topic', topic, count(*)
            FROM {topic_set} CROSS JOIN topics ON topics.id = {topic_set}.id GROUP BY topic
        UNION ALL SELECT 'provider', provider, count(*)
            FROM {meta_set} CROSS JOIN meta ON meta.id = {meta_set}.id GROUP BY provider
        UNION ALL SELECT 'type', type, count(*)
            FROM {meta_set} CROSS JOIN meta ON meta.id = {meta_set}.id GROUP BY type
        UNION ALL SELECT 'month', month, count(*)
            FROM {month_set} CROSS JOIN meta ON meta.id = {month_set}.id GROUP BY month"""  # noqa: S608 (table names of ours, values are parameters)


FACETS_PLAIN = f"WITH m AS MATERIALIZED ({_MATCH}) {_facet_sql('m', 'm', 'm')}"
FACETS_FILTERED = (
    f"WITH q AS MATERIALIZED ({_MATCH}), d AS MATERIALIZED ({_DATES.format('q')}), "
    f"t AS MATERIALIZED ({_TOPIC.format('q')}), m AS MATERIALIZED ({_TOPIC.format('d')}) "
    + _facet_sql("d", "m", "t")
)

COUNT_FILTERED = (  # constant pieces: the values are parameters
    f"WITH q AS ({_MATCH}), d AS ({_DATES.format('q')}) "  # noqa: S608
    f"SELECT count(*) FROM ({_TOPIC.format('d')})"
)


class SqliteFts:
    """bm25 top-10, the total and GROUP BY facet counts over SQLite FTS5."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, check_same_thread=False)
        columns = [row[1] for row in self.db.execute("PRAGMA table_info(fts)")]
        weights = WEIGHTS + (LABEL_WEIGHTS if "topic" in columns else ())
        rank = f"bm25(fts, {', '.join(str(w) for w in weights)})"
        # Joins, not `rowid IN (subquery)`: SQLite's planner answers them ~40x faster.
        self.top_plain = (
            "SELECT meta.doc FROM fts JOIN meta ON meta.id = fts.rowid WHERE fts MATCH :q "  # noqa: S608
            f"ORDER BY {rank} LIMIT 10"
        )
        self.top_filtered = (
            "SELECT meta.doc FROM fts JOIN topics ON topics.id = fts.rowid "  # noqa: S608
            "JOIN meta ON meta.id = fts.rowid WHERE fts MATCH :q AND topics.topic = :topic "
            f"AND meta.day BETWEEN :start AND :end ORDER BY {rank} LIMIT 10"
        )

    def search(self, q: str, facets: bool, filters: Filters) -> Answer:
        """Return the Answer to `q`: top 10, total and (if asked) the facet counts."""
        params: dict[str, Any] = {"q": fts5_query(q)}
        if filters.active:
            params.update(
                topic=filters.topic,
                start=filters.start and filters.start.isoformat(),
                end=filters.end and filters.end.isoformat(),
            )
        top = self.top_filtered if filters.active else self.top_plain
        ids = [doc for (doc,) in self.db.execute(top, params)]
        if not facets:
            count = (
                COUNT_FILTERED if filters.active else "SELECT count(*) FROM fts WHERE fts MATCH :q"
            )
            return Answer(self.db.execute(count, params).fetchone()[0], ids)
        rows = self.db.execute(FACETS_FILTERED if filters.active else FACETS_PLAIN, params)
        total, counted = 0, []
        for name, value, count in rows:
            if name == "total":
                total = count
            else:
                counted.append((name, value, count))
        return Answer(total, ids, pairs_to_counts(counted))

    def close(self) -> None:
        """Close the database."""
        self.db.close()

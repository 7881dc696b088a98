"""tantivy (Rust, through its Python binding) as the reference engine of the search benchmark.

The same documents as our index: title, excerpt and body, plus topics and provider as
text (our index matches words against those too), through an analyzer like ours:
Whoosh's default token pattern, lowercase, Whoosh's stop words and one-letter words
dropped, Snowball English stems (ours is Snowball English too). Stored: the document id.
Fast fields for the facets: topic (multi-valued), provider, type, month (YYYY-MM) and
the publication date (indexed, for the range filter).

A search is what the binding's documentation shows: `parse_query` with every word
required (conjunction_by_default) over the text fields with our field weights as
boosts, `searcher.search` for the top 10 and the count, `searcher.doc` for their ids,
and `searcher.aggregate` (terms aggregations over the fast fields) for the facets,
once per filter set the disjunctive counts need (benchmarks.answers).
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from datetime import datetime, time
from pathlib import Path
from typing import Any

import tantivy
from whoosh.analysis import STOP_WORDS

from benchmarks.answers import Answer, Counts, Filters, with_years
from search.local.store.schema import FIELD_WEIGHTS, TOKEN
from search.model import Article

ANALYZER = "news_en"
TEXT = ("title", "excerpt", "body", "topic_text", "provider_text")
BOOSTS = {name: FIELD_WEIGHTS[name.removesuffix("_text")] for name in TEXT}
FACET_FIELDS = ("topic", "provider", "type", "month")
TERMS_SIZE = 65_535  # every value: exact counts (a smaller size makes per-segment top-n)
WRITER_HEAP = 256_000_000  # bytes; as our writers' posting pools


def analyzer() -> Any:
    """Return the text analyzer: Whoosh's token pattern, lowercase, stop words and
    one-character words out, Snowball English stems."""
    dropped = sorted(STOP_WORDS | set(string.ascii_lowercase + string.digits))
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(TOKEN.pattern))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.custom_stopword(dropped))
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


def schema() -> Any:
    """Return the tantivy schema of the benchmark's documents."""
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    for name in TEXT:
        builder.add_text_field(name, tokenizer_name=ANALYZER)
    for name in FACET_FIELDS:
        builder.add_text_field(name, fast=True, tokenizer_name="raw")
    builder.add_date_field("published", indexed=True, fast=True)
    return builder.build()


def _open(folder: Path) -> Any:
    ix = tantivy.Index(schema(), path=str(folder), reuse=True)
    ix.register_tokenizer(ANALYZER, analyzer())
    return ix


def build_tantivy(articles: Sequence[Article], folder: Path) -> None:
    """Write the tantivy index of `articles` into `folder` (replacing what is there)."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    ix = _open(folder)
    writer = ix.writer(heap_size=WRITER_HEAP, num_threads=1)
    for a in articles:
        doc = tantivy.Document()
        doc.add_text("id", a.id)
        doc.add_text("title", a.title)
        doc.add_text("excerpt", a.excerpt)
        doc.add_text("body", a.body)
        doc.add_text("topic_text", " ".join(a.topics))
        for topic in a.topics:
            doc.add_text("topic", topic)
        if a.provider_name:
            doc.add_text("provider_text", a.provider_name)
            doc.add_text("provider", a.provider_name)
        if a.type:
            doc.add_text("type", a.type)
        if a.published:
            doc.add_text("month", f"{a.published:%Y-%m}")
            doc.add_date("published", a.published)
        writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()


def _terms(names: Sequence[str]) -> dict[str, Any]:
    return {name: {"terms": {"field": name, "size": TERMS_SIZE}} for name in names}


class TantivySearch:
    """Top 10, count and facet aggregations over one tantivy index."""

    def __init__(self, folder: Path) -> None:
        self.ix = _open(folder)
        self.schema = self.ix.schema
        self.searcher = self.ix.searcher()

    def _and(self, *queries: Any) -> Any:
        if len(queries) == 1:
            return queries[0]
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in queries])

    def _count(self, query: Any, names: Sequence[str]) -> Counts:
        found = self.searcher.aggregate(query, _terms(names))
        return {name: {b["key"]: b["doc_count"] for b in found[name]["buckets"]} for name in names}

    def search(self, q: str, facets: bool, filters: Filters) -> Answer:
        """Return the Answer to `q`: top 10, total and (if asked) the facet counts."""
        text = self.ix.parse_query(q, list(TEXT), BOOSTS, conjunction_by_default=True)
        topic = dates = None
        if filters.active and filters.start and filters.end:
            topic = tantivy.Query.term_query(self.schema, "topic", filters.topic)
            dates = tantivy.Query.range_query(
                self.schema,
                "published",
                tantivy.FieldType.Date,
                datetime.combine(filters.start, time.min),
                datetime.combine(filters.end, time.max),
            )
        every = self._and(text, *(f for f in (topic, dates) if f is not None))
        found = self.searcher.search(every, 10)
        ids = [self.searcher.doc(address)["id"][0] for _, address in found.hits]
        if not facets:
            return Answer(found.count, ids)
        if topic is None or dates is None:
            counts = self._count(text, FACET_FIELDS)
        else:  # disjunctive: each facet counted without its own filter
            counts = self._count(every, ("provider", "type"))
            counts |= self._count(self._and(text, dates), ("topic",))
            counts |= self._count(self._and(text, topic), ("month",))
        return Answer(found.count, ids, with_years(counts))

    def close(self) -> None:
        """Drop the searcher (the binding closes files when they are collected)."""
        del self.searcher

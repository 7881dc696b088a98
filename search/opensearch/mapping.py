"""The index's explicit mapping, and an Article as the document OpenSearch stores.

Text analysis matches the local backend's (search.local.store.schema): the same token
pattern as Whoosh's tokenizer, lowercase, Whoosh's stop words and its two-character
minimum, then Snowball English stems, so `running` and `run` meet in both backends and
the matching strategies count the same documents. Keyword facets are stored twice: as
written (`topics`, ...) and casefolded (`topics_key`, ...), the form filters and
counts use; the display name of each casefolded value (the commonest spelling, as the
local columns choose) travels in the index's `_meta`.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

from whoosh.analysis import STOP_WORDS

from search.facets import KEYWORD_FACETS
from search.identity import doc_id
from search.model import Article

# Field weights of the local ranking (search.local.store.schema.FIELD_WEIGHTS).
TEXT_FIELDS = {"title": 3.0, "excerpt": 1.5, "body": 1.0, "topic": 1.5, "provider": 1.0}
TOKEN_PATTERN = r"[\w\*]+(\.?[\w\*]+)*"  # noqa: S105 - whoosh's default_pattern, not a secret
# A whole token (TOKEN_PATTERN's, so not part of "U.S" or "x*") that is a stop word or
# a single character: what Whoosh's StopFilter drops.
DROPPED_TOKEN = (
    r"(?<![\w*])(?<![\w*]\.)(?:"
    + "|".join(sorted(STOP_WORDS, key=len, reverse=True))
    + r"|\w)(?![\w*])(?!\.[\w*])"
)
KEY_SUFFIX = "_key"  # the casefolded copy of a keyword facet's field
MAX_RESULT_WINDOW = 10_000  # search.params.RESULT_WINDOW: deeper pages are refused first


def key_field(facet_field: str) -> str:
    """Return the casefolded keyword field that filters and counts `facet_field`."""
    return facet_field + KEY_SUFFIX


def index_body(shards: int, replicas: int, meta: dict[str, Any]) -> dict[str, Any]:
    """Return the settings and mappings of a new index (replicas are added after the
    bulk load, when copying the finished segments is cheaper than indexing twice)."""
    text = {"type": "text", "analyzer": "news_text"}
    keyword = {"type": "keyword"}
    properties: dict[str, Any] = {
        "id": keyword,
        "kind": keyword,
        "title": text,
        "excerpt": text,
        "body": text,
        "topic": text,  # the topics' words, searchable (`topic:` in a query)
        "provider": text,  # the provider's name and domain, searchable
        "spell": {"type": "text", "analyzer": "news_spell"},  # did-you-mean: unstemmed words
        "published": {"type": "date", "format": "strict_date_optional_time"},
        "url": {"type": "keyword", "index": False},
        "image": {"type": "keyword", "index": False},
        "provider_domain": {"type": "keyword", "index": False},
        "category": {"type": "keyword", "index": False},
        "quality": {"type": "integer", "index": False},
        "related": {"type": "keyword", "index": False},
        "source": {"type": "keyword", "index": False},
        "story": keyword,  # the id of the story's member with the smallest id
        "story_size": {"type": "integer", "index": False},
        "fingerprint": {"type": "keyword", "index": False},  # --incremental compares it
    }
    for facet in KEYWORD_FACETS:
        properties[facet.field] = keyword
        properties[key_field(facet.field)] = keyword
    return {
        "settings": {
            "index": {
                "number_of_shards": shards,
                "number_of_replicas": 0,
                "refresh_interval": "-1",
                "max_result_window": MAX_RESULT_WINDOW,
            },
            "analysis": {
                "tokenizer": {
                    "news_words": {
                        "type": "pattern",
                        "pattern": TOKEN_PATTERN,
                        "group": 0,
                        "flags": "UNICODE_CHARACTER_CLASS",
                    }
                },
                "char_filter": {
                    # Whoosh's StopFilter renumbers positions after it drops a stop word
                    # or a one-letter word, so "neural in networks" holds the phrase
                    # "neural networks"; Lucene's keeps the gap. Dropping those words
                    # from the text before tokenising closes it the same way (the
                    # character offsets, and so highlights, are corrected by Lucene).
                    "news_drop_stops": {
                        "type": "pattern_replace",
                        "pattern": DROPPED_TOKEN,
                        "replacement": "",
                        "flags": "CASE_INSENSITIVE|UNICODE_CASE|UNICODE_CHARACTER_CLASS",
                    }
                },
                "filter": {
                    "news_stop": {"type": "stop", "stopwords": sorted(STOP_WORDS)},
                    "news_min2": {"type": "length", "min": 2},
                    "news_stem": {"type": "snowball", "language": "English"},
                },
                "analyzer": {
                    "news_text": {
                        "type": "custom",
                        "char_filter": ["news_drop_stops"],
                        "tokenizer": "news_words",
                        "filter": ["lowercase", "news_stop", "news_min2", "news_stem"],
                    },
                    "news_spell": {
                        "type": "custom",
                        "tokenizer": "news_words",
                        "filter": ["lowercase", "news_min2"],
                    },
                },
            },
        },
        "mappings": {"dynamic": "strict", "_meta": meta, "properties": properties},
    }


def display_names(documents: Iterable[Article]) -> dict[str, dict[str, str]]:
    """Return {facet: {casefolded value: display name}}: the commonest spelling wins,
    as in the local columns."""
    spellings: dict[str, dict[str, Counter[str]]] = {f.name: {} for f in KEYWORD_FACETS}
    for document in documents:
        for facet in KEYWORD_FACETS:
            for value in facet.values(document):
                spellings[facet.name].setdefault(value.casefold(), Counter())[value] += 1
    return {
        name: {key: counter.most_common(1)[0][0] for key, counter in sorted(found.items())}
        for name, found in spellings.items()
    }


def source_of(article: Article, story: str, story_size: int) -> dict[str, Any]:
    """Return the stored document for `article` in story `story` (of `story_size`)."""
    published = article.published.strftime("%Y-%m-%dT%H:%M:%SZ") if article.published else None
    body: dict[str, Any] = {
        "id": article.id,
        "kind": article.kind,
        "title": article.title,
        "excerpt": article.excerpt,
        "body": article.body,
        "topic": " ".join(article.topics),
        "provider": " ".join(p for p in (article.provider_name, article.provider_domain) if p),
        "spell": " ".join((article.title, article.excerpt, article.body, *article.topics)),
        "published": published,
        "url": article.url,
        "image": article.image,
        "provider_domain": article.provider_domain,
        "category": article.category,
        "quality": article.quality,
        "related": [doc_id(key) for key in article.related],
        "source": article.source,
        "story": story,
        "story_size": story_size,
    }
    for facet in KEYWORD_FACETS:
        values = facet.values(article)
        body[facet.field] = list(values) if facet.multi else (values[0] if values else None)
        body[key_field(facet.field)] = [v.casefold() for v in values]
    body["fingerprint"] = fingerprint(body)
    return body


def fingerprint(source: dict[str, Any]) -> str:
    """Return a digest of a stored document's own fields (not its story, which other
    documents change), so an incremental build can tell a changed document."""
    own = {k: v for k, v in source.items() if k not in {"fingerprint", "story", "story_size"}}
    text = json.dumps(own, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

"""Atom 1.0 (RFC 4287) documents of search hits, for GET /feed.atom.

Built with ElementTree, which escapes every text and attribute value; characters that
XML 1.0 cannot carry at all (most control characters) are dropped first, since no
escape exists for them. A link goes out only when it is an http(s) URL.

    feed_xml(FeedHead(...), result.hits, fallback=built_at)  # -> bytes, UTF-8
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # builds XML only: nothing untrusted is parsed
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from search import __version__
from search.identity import is_web_url
from search.results import Hit

ATOM = "http://www.w3.org/2005/Atom"
# Everything XML 1.0 allows in a document (its Char production); all else is dropped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_HOST = re.compile(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")  # a provider's domain, as a site's host


def xml_text(value: str) -> str:
    """Return `value` without the characters no XML 1.0 document may hold."""
    return _NOT_XML.sub("", value)


def entry_id(doc_id: str) -> str:
    """Return the permanent Atom id of a document (its id is stable across rebuilds)."""
    return f"urn:news-search:document:{doc_id}"


def parse_time(value: str | None) -> datetime | None:
    """Return an ISO 8601 timestamp as an aware UTC datetime (None if absent or unreadable)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def atom_time(moment: datetime) -> str:
    """Return an RFC 3339 timestamp in UTC, to the second (Atom's date construct)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class FeedHead:
    """What a feed says about itself."""

    id: str  # a permanent URI
    title: str
    self_url: str  # this feed (absolute)
    page_url: str  # the search page of the same search (absolute)
    documents_url: str  # absolute prefix of /api/documents/, for hits without a web URL


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attributes.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _entry(feed: ET.Element, head: FeedHead, hit: Hit, fallback: datetime) -> None:
    entry = _add(feed, "entry")
    _add(entry, "id", entry_id(hit.id))
    _add(entry, "title", hit.title or hit.url or hit.id, type="text")
    if hit.url and is_web_url(hit.url):
        _add(entry, "link", rel="alternate", type="text/html", href=hit.url.strip())
    else:  # Atom wants an alternate link when there is no content: the document's API
        _add(entry, "link", rel="alternate", href=head.documents_url + hit.id)
    published = parse_time(hit.published)
    _add(entry, "updated", atom_time(published or fallback))
    if published is not None:
        _add(entry, "published", atom_time(published))
    name = hit.provider.name or hit.provider.domain
    if name:
        author = _add(entry, "author")
        _add(author, "name", name)
        domain = (hit.provider.domain or "").strip()
        if _HOST.fullmatch(domain):
            _add(author, "uri", f"https://{domain}")
    for topic in hit.topics:
        _add(entry, "category", term=topic)
    if hit.excerpt:
        _add(entry, "summary", hit.excerpt, type="text")


def newest(hits: Sequence[Hit]) -> datetime | None:
    """Return the latest publication time among `hits` (None when none is dated)."""
    times = [moment for hit in hits if (moment := parse_time(hit.published))]
    return max(times, default=None)


def feed_xml(head: FeedHead, hits: Sequence[Hit], fallback: datetime) -> bytes:
    """Return the Atom document of `hits`, UTF-8 with an XML declaration.

    The feed's `updated` is the newest entry's publication time; `fallback` (when the
    index was built) stands in for it, and for the time of an undated entry."""
    feed = ET.Element("feed", {"xmlns": ATOM})
    _add(feed, "id", head.id)
    _add(feed, "title", head.title, type="text")
    _add(feed, "updated", atom_time(newest(hits) or fallback))
    _add(feed, "link", rel="self", type="application/atom+xml", href=head.self_url)
    _add(feed, "link", rel="alternate", type="text/html", href=head.page_url)
    author = _add(feed, "author")  # for entries without a provider
    _add(author, "name", "News search")
    _add(feed, "generator", "news-search", version=__version__)
    for hit in hits:
        _entry(feed, head, hit, fallback)
    document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document

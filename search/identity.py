"""Document identity: canonical URLs (DESIGN.md 2.5) and the public ids derived from them."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that only track where a reader came from; they never change the article.
TRACKING_PARAMS = frozenset({"ref", "fbclid", "gclid", "mc_cid", "mc_eid"})
ID_BYTES = 8  # 64 bits: collisions are negligible below billions of documents
# The shape nearly every seed URL has: lowercase http(s) scheme and host, and a path of
# plain characters, nothing else. It is its own canonical form (given a path not ending
# in "/"), so it is answered without urlsplit: a sixth of the time parsing a seed file.
_PLAIN_URL = re.compile(r"https?://[a-z0-9][a-z0-9.-]*(/[A-Za-z0-9._~%/-]*)?")


def is_web_url(value: str) -> bool:
    """Return True for an absolute http(s) URL with a host (never javascript:, data:, ...)."""
    if _PLAIN_URL.fullmatch(value):
        return True
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def canonical_url(url: str) -> str:
    """Return the identity form of a URL: lowercase scheme and host, no fragment,
    no tracking parameters, and no single trailing slash on a non-root path."""
    plain = _PLAIN_URL.fullmatch(url)
    if plain:
        path = plain.group(1)
        if path is None:
            return url + "/"  # https://example.com and https://example.com/ are one page
        if path == "/" or not path.endswith("/"):
            return url
    return _canonical_parts(url)


def _canonical_parts(url: str) -> str:
    """canonical_url for any URL, through urlsplit."""
    parts = urlsplit(url.strip())
    query = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if name.lower() not in TRACKING_PARAMS and not name.lower().startswith("utm_")
    ]
    path = parts.path or "/"  # https://example.com and https://example.com/ are one page
    if path.endswith("/") and path != "/":
        path = path[:-1]
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, urlencode(query), ""))


def path_key(relative_path: str) -> str:
    """Return the key of a document that has no URL: its seed path, marked as such."""
    return f"path:{relative_path}"


def doc_id(key: str) -> str:
    """Return the public id of a document: URL-safe hex, stable for the same key."""
    return hashlib.blake2b(key.encode("utf-8"), digest_size=ID_BYTES).hexdigest()

"""Document identity (DESIGN.md 2.5): canonical URLs, path keys and public ids."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from urllib.parse import quote, urlsplit

import pytest

from search.identity import _canonical_parts, canonical_url, doc_id, is_web_url, path_key
from search.model import Article

HEX16 = re.compile(r"[0-9a-f]{16}")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # scheme and host are lowercased; the path keeps its case
        ("HTTPS://News.Example.COM/Story/One", "https://news.example.com/Story/One"),
        ("Http://EXAMPLE.com/a", "http://example.com/a"),
        # the fragment is dropped
        ("https://example.com/a#comments", "https://example.com/a"),
        ("https://example.com/a?x=1#top", "https://example.com/a?x=1"),
        # every tracking parameter is dropped, other parameters stay in their order
        ("https://example.com/a?ref=upstract.com", "https://example.com/a"),
        ("https://example.com/a?fbclid=IwAR0", "https://example.com/a"),
        ("https://example.com/a?gclid=Cj0K", "https://example.com/a"),
        ("https://example.com/a?mc_cid=abc&mc_eid=def", "https://example.com/a"),
        ("https://example.com/a?utm_source=tw&utm_medium=social", "https://example.com/a"),
        ("https://example.com/a?utm_campaign=x&utm_content=y&utm_term=z", "https://example.com/a"),
        (
            "https://example.com/a?b=2&ref=x&a=1&utm_source=s&fbclid=f&c=3&gclid=g&mc_cid=m",
            "https://example.com/a?b=2&a=1&c=3",
        ),
        ("https://example.com/a?z=1&y=2&x=3", "https://example.com/a?z=1&y=2&x=3"),
        ("https://example.com/a?x=1&x=2", "https://example.com/a?x=1&x=2"),
        # names that only look like tracking parameters are kept
        (
            "https://example.com/a?refresh=1&xref=2&utm=3&preference=4&fbclid2=5",
            "https://example.com/a?refresh=1&xref=2&utm=3&preference=4&fbclid2=5",
        ),
        # one trailing slash is dropped from a non-root path; the root path is kept
        ("https://example.com/a/", "https://example.com/a"),
        ("https://example.com/a/b/", "https://example.com/a/b"),
        ("https://example.com/", "https://example.com/"),
        ("https://example.com/?ref=home", "https://example.com/"),
        ("https://example.com/a/?ref=x#y", "https://example.com/a"),
        # surrounding blanks are not part of the URL
        ("  https://example.com/a \n", "https://example.com/a"),
        # ports stay
        ("https://Example.com:8443/a/", "https://example.com:8443/a"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected
    # the canonical form is a fixed point
    assert canonical_url(expected) == expected


def test_only_one_trailing_slash_is_dropped() -> None:
    # DESIGN.md 2.5 says "one trailing `/`", so a doubled slash keeps one
    assert canonical_url("https://example.com/a//") == "https://example.com/a/"


SPELLINGS = [
    "https://news.example.com/story/1",
    "https://news.example.com/story/1?ref=x",
    "https://news.example.com/story/1?utm_source=newsletter&utm_medium=email",
    "https://news.example.com/story/1/",
    "https://NEWS.Example.COM/story/1",
    "HTTPS://news.example.com/story/1#comments",
    "https://news.example.com/story/1/?fbclid=abc#x",
]


def test_spellings_of_one_url_share_one_key_and_id() -> None:
    keys = {canonical_url(url) for url in SPELLINGS}
    assert keys == {"https://news.example.com/story/1"}
    assert len({doc_id(canonical_url(url)) for url in SPELLINGS}) == 1


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/a", True),
        ("http://example.com", True),
        ("HTTPS://EXAMPLE.COM/a", True),
        ("  https://example.com/a  ", True),
        ("javascript:alert(1)", False),
        ("JavaScript:alert(document.cookie)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("vbscript:msgbox(1)", False),
        ("ftp://example.com/file", False),
        ("mailto:someone@example.com", False),
        ("file:///etc/passwd", False),
        ("/assets/img/logo.png", False),
        ("//cdn.example.com/a.png", False),
        ("https:///no-host", False),
        ("http://", False),
        ("http://[::1", False),  # urlsplit raises ValueError: invalid IPv6 URL
        ("example.com/a", False),
        ("", False),
    ],
)
def test_is_web_url(url: str, expected: bool) -> None:
    assert is_web_url(url) is expected


def test_path_key_marks_the_seed_path() -> None:
    assert path_key("_news/2021-01-01-a.md") == "path:_news/2021-01-01-a.md"
    assert path_key("a.md") != path_key("b.md")


KEYS = [
    "https://example.com/a",
    "https://example.com/b",
    "https://example.com/a?x=1",
    "path:_news/a.md",
    "path:über/ä.md",
    "",
    "https://example.com/" + "x" * 5000,
]


@pytest.mark.parametrize("key", KEYS)
def test_doc_id_is_16_lowercase_hex_and_url_safe(key: str) -> None:
    value = doc_id(key)
    assert HEX16.fullmatch(value), value
    assert quote(value, safe="") == value
    assert doc_id(key) == value  # same key, same id (within a process)


def test_doc_id_distinguishes_keys() -> None:
    keys = [f"https://example.com/story/{n}" for n in range(20_000)] + KEYS
    ids = {doc_id(key) for key in keys}
    assert len(ids) == len(set(keys))
    # near-identical keys still differ
    assert doc_id("https://example.com/a") != doc_id("https://example.com/a/")
    assert doc_id("https://example.com/a") != doc_id("https://example.com/A")


def test_doc_id_pinned_value() -> None:
    # One literal, computed once: an id must never change between releases, or every
    # shared /api/documents/{id} link breaks. Also checked against BLAKE2b-64 directly.
    key = "https://www.techdigest.tv/2023/09/tech-digest-daily-roundup.html"
    assert doc_id(key) == hashlib.blake2b(key.encode(), digest_size=8).hexdigest()
    assert doc_id("https://example.com/a") == "f24a9deb5f47e5a4"


def test_doc_id_is_stable_across_processes() -> None:
    """Rebuilds run in new processes: the id must not depend on hash randomisation."""
    code = (
        "import sys; from search.identity import doc_id; "
        "print(' '.join(doc_id(k) for k in sys.argv[1:]))"
    )
    keys = ["https://example.com/a", "path:_news/a.md", "https://example.com/über"]
    outputs = set()
    for seed in ("1", "2", "random"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", code, *keys], env=env, capture_output=True, text=True, check=True
        )
        outputs.add(result.stdout.strip())
    assert outputs == {" ".join(doc_id(k) for k in keys)}


def test_article_id_is_derived_from_its_key() -> None:
    one = Article(key="https://example.com/a", kind="article", title="One", source="a.md")
    same_key = Article(key="https://example.com/a", kind="related", title="Two", source="b.md")
    other = Article(key="https://example.com/b", kind="article", title="One", source="a.md")
    assert one.id == doc_id("https://example.com/a")
    assert one.id == same_key.id
    assert one.id != other.id


def test_empty_path_and_root_path_are_one_key() -> None:
    assert canonical_url("https://Example.com") == canonical_url("https://example.com/")


PLAIN_AND_NEAR_PLAIN = [
    "https://example.com",
    "https://example.com/",
    "http://example.com/a",
    "https://example.com/a/",
    "https://example.com/a//",
    "https://www.news-site.co.uk/World/2024/01/a-b_c.d~e%20f",
    "http://1.2.3.4/x",
    "https://example.com:8080/a",
    "https://EXAMPLE.com/a",
    "HTTPS://example.com/a",
    "https://example.com/a?x=1",
    "https://example.com/a#top",
    " https://example.com/a ",
    "https://example.com/a b",
    "https://-example.com/a",
    "https://example.com/ä",
    "https://user@example.com/a",
    "https://example.com\t/a",
]


@pytest.mark.parametrize("url", PLAIN_AND_NEAR_PLAIN)
def test_plain_urls_take_the_quick_path_to_the_same_answers(url: str) -> None:
    """The regular-expression path for plain URLs answers what urlsplit answers."""
    assert canonical_url(url) == _canonical_parts(url)
    try:
        parts = urlsplit(url.strip())
        expected = parts.scheme.lower() in ("http", "https") and bool(parts.netloc)
    except ValueError:
        expected = False
    assert is_web_url(url) is expected

"""Seed files that must parse to exactly a ParsedFile (DESIGN.md 2.2 to 2.4): odd but
usable values, line ends, dates in UTC, a full record with related items."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import datetime

import pytest
from build_support import fm
from frontmatter_support import GOOD, article, parse

from search.model import Article, ParsedFile


@pytest.mark.parametrize(("name", "raw", "expected"), GOOD, ids=[case[0] for case in GOOD])
def test_usable_file_parses_to_exactly(name: str, raw: bytes, expected: ParsedFile) -> None:
    assert parse(raw) == expected


def test_crlf_file_parses_like_lf() -> None:
    text = (
        "---\n"
        'title: "Line ends"\n'
        "webUrl: https://example.com/crlf\n"
        "publishedDateTime: 2021-03-01T12:00:00Z\n"
        "topics:\n  - AI\n  - Computer Vision\n"
        "provider:\n  name: Example\n  domain: example.com\n"
        "---\n"
        "First line\nSecond line\n"
    )
    lf = parse(text.encode())
    crlf = parse(text.replace("\n", "\r\n").encode())
    expected = ParsedFile(
        article(
            key="https://example.com/crlf",
            url="https://example.com/crlf",
            title="Line ends",
            topics=("AI", "Computer Vision"),
            provider_name="Example",
            provider_domain="example.com",
            published=datetime(2021, 3, 1, 12, 0),
            body="First line\nSecond line",
        )
    )
    assert lf == expected
    normalised = replace(crlf.article, body=crlf.article.body.replace("\r\n", "\n"))
    assert ParsedFile(normalised, crlf.related, crlf.warnings) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-12-31T23:30:00-08:00", datetime(2022, 1, 1, 7, 30)),
        ("'2021-12-31T23:30:00-08:00'", datetime(2022, 1, 1, 7, 30)),
        ("2021-06-01T10:00:00+05:30", datetime(2021, 6, 1, 4, 30)),
        ("2023-09-03T12:36:00Z", datetime(2023, 9, 3, 12, 36)),
        ("2023-09-03T12:36:00z", datetime(2023, 9, 3, 12, 36)),
        ("2023-09-03T12:36:00+00:00", datetime(2023, 9, 3, 12, 36)),
        # no offset means UTC: the value is kept as it is
        ("2023-09-03T12:36:00", datetime(2023, 9, 3, 12, 36)),
        ("2023-09-03 12:36:00", datetime(2023, 9, 3, 12, 36)),
        ("2023-09-03", datetime(2023, 9, 3)),
        ("2023-09-03T12:36:00.250Z", datetime(2023, 9, 3, 12, 36, 0, 250_000)),
    ],
)
def test_published_is_naive_utc(value: str, expected: datetime) -> None:
    parsed = parse(fm(f"title: T\npublishedDateTime: {value}\n"))
    assert parsed == ParsedFile(article(title="T", published=expected))
    assert parsed.article.published is not None
    assert parsed.article.published.tzinfo is None


def test_full_record_with_related_items() -> None:
    raw = fm(
        "category: news\n"
        'title: "Tech Digest daily roundup"\n'
        'excerpt: "Senior officials lobbied"\n'
        "publishedDateTime: 2023-09-03T12:36:00Z\n"
        'originalUrl: "https://www.techdigest.tv/roundup.html"\n'
        'webUrl: "https://www.techdigest.tv/roundup.html?utm_source=feed"\n'
        "type: article\nquality: 26\nheat: -1\npublished: false\n"
        "provider:\n  name: Tech Digest\n  domain: techdigest.tv\n"
        "images:\n  - url: /assets/relative.png\n  - url: https://img.example.com/a.jpg\n"
        "    width: 620\n"
        "topics:\n  - Computer Vision\n  - AI\n"
        "related:\n"
        '  - title: "Revealed: Home Office lobbied"\n'
        "    excerpt: Officials reflected\n"
        "    publishedDateTime: 2023-09-02T16:03:00Z\n"
        '    webUrl: "https://www.theguardian.com/technology/x?ref=upstract.com"\n'
        "    provider:\n      name: The Guardian\n      domain: theguardian.com\n"
        "    quality: 57\n"
        '    secured: "RELATED-SECRET"\n'
        "  - title: No URL here\n"
        "  - title: Script\n    webUrl: 'javascript:void(0)'\n"
        "  - just a string\n"
        "  - title: Self\n    webUrl: https://www.techdigest.tv/roundup.html#again\n"
        'secured: "TOP-SECRET+/=="\n',
        "\n",
    )
    parsed = parse(raw)
    guardian = "https://www.theguardian.com/technology/x"
    own_key = "https://www.techdigest.tv/roundup.html"
    expected_related = [
        Article(
            key=guardian,
            kind="related",
            title="Revealed: Home Office lobbied",
            source="x.md",
            excerpt="Officials reflected",
            provider_name="The Guardian",
            provider_domain="theguardian.com",
            published=datetime(2023, 9, 2, 16, 3),
            url="https://www.theguardian.com/technology/x?ref=upstract.com",
            quality=57,
        ),
        Article(
            key=own_key,
            kind="related",
            title="Self",
            source="x.md",
            url="https://www.techdigest.tv/roundup.html#again",
        ),
    ]
    assert parsed == ParsedFile(
        Article(
            key=own_key,
            kind="article",
            title="Tech Digest daily roundup",
            source="x.md",
            excerpt="Senior officials lobbied",
            topics=("Computer Vision", "AI"),
            provider_name="Tech Digest",
            provider_domain="techdigest.tv",
            published=datetime(2023, 9, 3, 12, 36),
            url="https://www.techdigest.tv/roundup.html?utm_source=feed",
            image="https://img.example.com/a.jpg",
            category="news",
            type="article",
            quality=26,
            related=(guardian,),  # its own key is not its own related coverage
        ),
        expected_related,
        [
            "x.md: related[1] has no usable title and webUrl; ignored",
            "x.md: related[2].webUrl is not an http(s) URL; dropped",
            "x.md: related[2] has no usable title and webUrl; ignored",
            "x.md: related[3] is not a mapping; ignored",
        ],
    )
    assert "secured" not in {f.name for f in fields(Article)}
    for secret in ("TOP-SECRET", "RELATED-SECRET"):
        assert secret not in repr(parsed)


# --- Bugs found while writing these tests (see the report) ---------------------------


@pytest.mark.parametrize("quality", ["'--5'", "'²'", "'-²'"])
def test_odd_quality_string_is_dropped_not_raised(quality: str) -> None:
    assert parse(fm(f"title: T\nquality: {quality}\n")) == ParsedFile(
        article(title="T"), warnings=["x.md: quality is not an integer; dropped"]
    )


def test_url_query_is_not_html_unescaped() -> None:
    url = "https://example.com/news?id=1&region=eu&copy=2&para=3"
    assert parse(fm(f"title: T\nwebUrl: '{url}'\n")) == ParsedFile(
        article(title="T", key=url, url=url)
    )


@pytest.mark.parametrize(("value", "title"), [("Yes", "Yes"), ("10:30", "10:30"), ("017", "017")])
def test_plain_scalar_title_keeps_its_text(value: str, title: str) -> None:
    assert parse(fm(f"title: {value}\n")) == ParsedFile(article(title=title))

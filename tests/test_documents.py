"""What a seed file becomes (DESIGN.md 2.2 to 2.4), and how bad input is reported.

Every bad-input case is checked twice: through `parse_seed_bytes` (the exact reason),
and all together through a full `build_index` over one folder, which must index
every usable file, report every other one with its path and reason, and not crash.
"""

from __future__ import annotations

import time
import tracemalloc
from dataclasses import fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.errors import SeedError
from search.ingest.corpus import discover, merge, parse_files
from search.ingest.frontmatter import (
    MAX_EXCERPT_CHARS,
    MAX_FILE_BYTES,
    MAX_TITLE_CHARS,
    parse_seed_bytes,
)
from search.local.store import generations
from search.local.store.build import build_index
from search.model import Article, ParsedFile, SkippedFile

MIB = 1024 * 1024
MARKER = b"@MARKER@"  # replaced by a path under tmp_path: the file a YAML exploit would create


class StartsWith(str):
    """A string that equals any string starting with it (for YAML parser messages,
    whose wording belongs to libyaml, not to this project)."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and other.startswith(str(self))

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return f"StartsWith({str(self)!r})"


NOT_YAML = StartsWith("front matter is not valid YAML: ")
NO_TITLE = "no usable title (neither 'title' nor 'name')"


def fm(front_matter: str, body: str = "") -> bytes:
    """Return the bytes of a seed file with this front matter and body."""
    return f"---\n{front_matter}---\n{body}".encode()


def article(**values: Any) -> Article:
    """Return the Article expected from x.md (the name every parse test uses)."""
    values.setdefault("key", "path:x.md")
    values.setdefault("kind", "article")
    values.setdefault("source", "x.md")
    return Article(**values)


def parse(raw: bytes) -> ParsedFile:
    return parse_seed_bytes(raw, "x.md")


def billion_laughs(levels: int = 9) -> str:
    """Return YAML where each of `levels` anchors lists the previous one 9 times."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


LAUGHS = billion_laughs()
LATIN1 = "---\ntitle: Café crème\n---\n".encode("latin-1")
LATIN1_BODY = b"---\ntitle: ok\n---\nna\xefve\n"
BIG = fm("title: Big\n", "x" * (6 * MIB))

# (name, raw bytes, reason): files that must be skipped, with exactly this reason
BAD: list[tuple[str, bytes, str]] = [
    ("empty", b"", "empty file"),
    ("blank", b"  \n\r\n\t\n", "empty file"),
    ("binary", b"---\ntitle: x\x00\x01\x02\n---\n", "binary file (contains NUL bytes)"),
    ("utf16", "---\ntitle: x\n---\n".encode("utf-16"), "binary file (contains NUL bytes)"),
    ("latin1", LATIN1, f"not UTF-8 (byte {LATIN1.index(0xE9)})"),
    ("latin1_body", LATIN1_BODY, f"not UTF-8 (byte {LATIN1_BODY.index(0xEF)})"),
    ("readme", b"# Read me\n\nNot a seed file.\n", "no front matter: the first line is not '---'"),
    (
        "unclosed",
        b"---\ntitle: Never closed\nexcerpt: x\n",
        "front matter is not closed by a '---' line",
    ),
    ("only_opening", b"---\n", "front matter is not closed by a '---' line"),
    ("list", fm("- a\n- b\n"), "front matter is a list, not a mapping"),
    ("scalar", fm("just a sentence\n"), "front matter is a str, not a mapping"),
    ("number", fm("2024\n"), "front matter is an int, not a mapping"),
    ("null", fm(""), "front matter is a NoneType, not a mapping"),
    ("syntax", fm('title: "unclosed\nexcerpt: [1, 2\n'), NOT_YAML),
    ("tab_indent", fm("title: x\nprovider:\n\tname: y\n"), NOT_YAML),
    ("unhashable_key", fm("? [a, b]\n: 1\ntitle: x\n"), NOT_YAML),
    ("undefined_alias", fm("title: *nowhere\n"), NOT_YAML),
    (
        "python_apply",
        fm(f'title: pwned\nx: !!python/object/apply:os.system ["touch {MARKER.decode()}"]\n'),
        NOT_YAML,
    ),
    (
        "python_new",
        fm(f'title: pwned\nx: !!python/object/new:os.system ["touch {MARKER.decode()}"]\n'),
        NOT_YAML,
    ),
    (
        "python_apply_only",
        fm(f'!!python/object/apply:os.system ["touch {MARKER.decode()}"]\n'),
        NOT_YAML,
    ),
    ("python_name", fm("title: x\nx: !!python/name:os.system\n"), NOT_YAML),
    ("no_title", fm("excerpt: An excerpt but no title\n"), NO_TITLE),
    ("blank_title", fm('title: "   "\nexcerpt: x\n'), NO_TITLE),
    ("list_title", fm("title: [a, b]\n"), NO_TITLE),
    ("laughs_title", fm(LAUGHS + "title: *l8\n"), NO_TITLE),
    ("too_large", BIG, f"too large: {len(BIG)} bytes (limit {MAX_FILE_BYTES})"),
]


@pytest.mark.parametrize(("name", "raw", "reason"), BAD, ids=[case[0] for case in BAD])
def test_bad_file_is_refused_with_its_reason(
    name: str, raw: bytes, reason: str, tmp_path: Path
) -> None:
    marker = tmp_path / "exploited"
    raw = raw.replace(MARKER, str(marker).encode())
    with pytest.raises(SeedError) as caught:
        parse_seed_bytes(raw, f"_news/{name}.md")
    assert (caught.value.path, caught.value.reason) == (f"_news/{name}.md", reason)
    assert not marker.exists(), "a YAML tag ran code"


@pytest.mark.parametrize("tag", ["object/apply", "object/new"])
def test_exploit_payloads_are_live(tag: str, tmp_path: Path) -> None:
    """Control: the payloads above do run code under an unsafe loader, so the
    marker checks of the other tests mean something."""
    marker = tmp_path / "exploited"
    yaml.unsafe_load(f'x: !!python/{tag}:os.system ["touch {marker}"]\n')
    assert marker.exists()


def test_yaml_error_reason_names_the_problem() -> None:
    with pytest.raises(SeedError) as caught:
        parse(fm('title: "unclosed\n'))
    reason = caught.value.reason
    assert reason.startswith("front matter is not valid YAML: ")
    assert len(reason) > len("front matter is not valid YAML: ")  # libyaml's message follows
    assert "\n" not in reason  # one line in the report


def test_billion_laughs_is_fast_and_small() -> None:
    raw = fm(
        LAUGHS
        + "title: Laughs\ntopics: *l8\nexcerpt: *l8\nprovider: *l8\nimages: *l8\n"
        + "related: *l8\nwebUrl: *l8\npublishedDateTime: *l8\ncategory: *l8\nquality: *l8\n"
    )
    tracemalloc.start()
    started = time.monotonic()
    try:
        result: ParsedFile | SeedError = parse(raw)
    except SeedError as exc:
        result = exc
    elapsed = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 2.0
    assert peak < 50 * MIB
    # Leniency (DESIGN.md 2.3): the title is fine, every other value is unusable
    assert isinstance(result, ParsedFile)
    assert result.article == article(title="Laughs")
    assert result.related == []
    assert result.warnings == [
        "x.md: webUrl is a list; dropped",
        "x.md: provider is a list; dropped",
        "x.md: excerpt is a list; dropped",
        *["x.md: topics has a list item; dropped"] * 9,
        "x.md: publishedDateTime list is not an ISO 8601 date; dropped",
        "x.md: images has no http(s) image URL; dropped",
        "x.md: category is a list; dropped",
        "x.md: quality is not an integer; dropped",
        *[f"x.md: related[{n}] is not a mapping; ignored" for n in range(9)],
    ]


# (name, raw bytes, expected ParsedFile from x.md): files that must parse to exactly this
GOOD: list[tuple[str, bytes, ParsedFile]] = [
    (
        "bom",
        "\ufeff---\ntitle: Byte order mark\n---\nBody text\n".encode(),
        ParsedFile(article(title="Byte order mark", body="Body text")),
    ),
    (
        "bom_crlf",
        "\ufeff---\r\ntitle: Both\r\n---\r\n".encode(),
        ParsedFile(article(title="Both")),
    ),
    (
        "number_title",
        fm("title: 2024\nexcerpt: 3.5\ncategory: 7\n"),
        ParsedFile(article(title="2024", excerpt="3.5", category="7")),
    ),
    (
        "date_title",
        fm("title: 2021-01-02\n"),
        ParsedFile(article(title="2021-01-02")),
    ),
    (
        "string_topics",
        fm("title: T\ntopics: AI\n"),
        ParsedFile(article(title="T", topics=("AI",))),
    ),
    (
        "topics_collapse_case",
        fm("title: T\ntopics: [AI, ai, Computer Vision, 2024, ' ', null]\n"),
        ParsedFile(article(title="T", topics=("AI", "Computer Vision", "2024"))),
    ),
    (
        "bad_topic_item",
        fm("title: T\ntopics: [AI, {a: 1}]\n"),
        ParsedFile(
            article(title="T", topics=("AI",)), warnings=["x.md: topics has a dict item; dropped"]
        ),
    ),
    (
        "string_provider",
        fm("title: T\nprovider: Reuters\n"),
        ParsedFile(article(title="T", provider_name="Reuters")),
    ),
    (
        "mapping_provider",
        fm("title: T\nprovider:\n  name: The Guardian\n  domain: TheGuardian.com\n"),
        ParsedFile(
            article(title="T", provider_name="The Guardian", provider_domain="theguardian.com")
        ),
    ),
    (
        "list_excerpt",
        fm("title: T\nexcerpt: [one, two]\n"),
        ParsedFile(article(title="T"), warnings=["x.md: excerpt is a list; dropped"]),
    ),
    (
        "unparseable_date",
        fm("title: T\npublishedDateTime: yesterday\n"),
        ParsedFile(
            article(title="T"),
            warnings=["x.md: publishedDateTime 'yesterday' is not an ISO 8601 date; dropped"],
        ),
    ),
    (
        "impossible_date",
        fm("title: T\nwebUrl: https://example.com/t\npublishedDateTime: 2021-02-30T10:00:00Z\n"),
        ParsedFile(
            article(
                title="T", key="https://example.com/t", url="https://example.com/t", published=None
            ),
            warnings=[
                "x.md: publishedDateTime '2021-02-30T10:00:00Z' is not an ISO 8601 date; dropped"
            ],
        ),
    ),
    (
        "impossible_bare_date",
        fm("title: T\npublishedDateTime: 2021-02-30\n"),
        ParsedFile(
            article(title="T"),
            warnings=["x.md: publishedDateTime '2021-02-30' is not an ISO 8601 date; dropped"],
        ),
    ),
    (
        "number_url",
        fm("title: T\nwebUrl: 42\n"),
        ParsedFile(article(title="T"), warnings=["x.md: webUrl is an int; dropped"]),
    ),
    (
        "mapping_url",
        fm("title: T\nwebUrl: {href: 'https://example.com/a'}\n"),
        ParsedFile(article(title="T"), warnings=["x.md: webUrl is a dict; dropped"]),
    ),
    (
        "javascript_url",
        fm("title: T\nwebUrl: 'javascript:alert(document.cookie)'\n"),
        ParsedFile(article(title="T"), warnings=["x.md: webUrl is not an http(s) URL; dropped"]),
    ),
    (
        "javascript_url_original_fallback",
        fm("title: T\nwebUrl: 'JavaScript:alert(1)'\noriginalUrl: https://Example.com/a/?ref=x\n"),
        ParsedFile(
            article(title="T", key="https://example.com/a", url="https://Example.com/a/?ref=x"),
            warnings=["x.md: webUrl is not an http(s) URL; dropped"],
        ),
    ),
    (
        "name_instead_of_title",
        fm("name: NeurIPS 2019\ntype: conference\n"),
        ParsedFile(article(title="NeurIPS 2019", type="conference")),
    ),
    (
        "empty_title_then_name",
        fm("title: ''\nname: Power Apps Community\n"),
        ParsedFile(article(title="Power Apps Community")),
    ),
    (
        "html_entities",
        fm('title: "AT&amp;T &quot;wins&quot; &#8217;big&#8217; &lt;b&gt;"\n'),
        ParsedFile(article(title='AT&T "wins" \u2019big\u2019 <b>')),
    ),
    (
        "long_title",
        fm(f"title: {'t' * (MAX_TITLE_CHARS + 5)}\n"),
        ParsedFile(
            article(title="t" * MAX_TITLE_CHARS),
            warnings=[
                f"x.md: title truncated from {MAX_TITLE_CHARS + 5} to {MAX_TITLE_CHARS} characters"
            ],
        ),
    ),
    (
        "huge_excerpt",
        fm(f"title: T\nexcerpt: {'e' * (2 * MIB)}\n"),
        ParsedFile(
            article(title="T", excerpt="e" * MAX_EXCERPT_CHARS),
            warnings=[f"x.md: excerpt truncated from {2 * MIB} to {MAX_EXCERPT_CHARS} characters"],
        ),
    ),
    (
        "secured_dropped",
        fm('title: T\nsecured: "S3CR3T-VALUE+/=="\n'),
        ParsedFile(article(title="T")),
    ),
    (
        "quality_string",
        fm("title: T\nquality: '12'\n"),
        ParsedFile(article(title="T", quality=12)),
    ),
    (
        "whitespace_collapsed",
        fm('title: "  Two\\n\\tlines  "\n'),
        ParsedFile(article(title="Two lines")),
    ),
    (
        "markdown_body",
        fm("title: T\n", "\n# Heading\n\nSome *Markdown* body.\n"),
        ParsedFile(article(title="T", body="# Heading\n\nSome *Markdown* body.")),
    ),
]


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


# --- The same cases through a full build ------------------------------------------


def stored_documents(index_dir: Path) -> list[dict[str, Any]]:
    """Return the stored fields of every document in the published generation."""
    from whoosh import index as whoosh_index

    folder = generations.current_generation(index_dir)
    assert folder is not None
    ix = whoosh_index.open_dir(str(folder))
    try:
        with ix.searcher() as searcher:
            return [dict(stored) for stored in searcher.all_stored_fields()]
    finally:
        ix.close()


def test_build_over_every_bad_and_good_file(seeds_dir: Path, tmp_path: Path) -> None:
    marker = tmp_path / "exploited"
    for name, raw, _ in BAD:
        (seeds_dir / f"{name}.md").write_bytes(raw.replace(MARKER, str(marker).encode()))
    (seeds_dir / "_news").mkdir()
    for name, raw, _ in GOOD:
        (seeds_dir / "_news" / f"{name}.md").write_bytes(raw)
    (seeds_dir / "laughs.md").write_bytes(fm(LAUGHS + "title: Laughs\ntopics: *l8\n"))

    started = time.monotonic()
    report = build_index(seeds_dir, tmp_path / "index")
    assert time.monotonic() - started < 20

    assert not marker.exists(), "a YAML tag ran code"
    expected_skipped = sorted(
        (SkippedFile(f"{name}.md", reason) for name, _, reason in BAD), key=lambda s: s.path
    )
    assert report.files_skipped == expected_skipped
    # the 6 MB file is refused from its size, before it is read
    assert report.files_read == len(BAD) - 1 + len(GOOD) + 1
    # every usable file is one document; keys: path keys, plus the two with a URL
    assert report.kinds == {"article": len(GOOD) + 1, "related": 0}
    assert report.documents == len(GOOD) + 1
    assert report.duplicates_merged == 0

    def rename(warning: str, name: str) -> str:
        return warning.replace("x.md: ", f"_news/{name}.md: ", 1)

    expected_warnings = [
        rename(w, name)
        for name, _, parsed in sorted(GOOD, key=lambda case: f"_news/{case[0]}.md")
        for w in parsed.warnings
    ] + ["laughs.md: topics has a list item; dropped"] * 9
    assert report.warnings == expected_warnings

    # exactly the articles parse_seed_bytes gave, now named by their seed paths
    expected = {
        f"_news/{name}.md": replace(
            parsed.article,
            source=f"_news/{name}.md",
            key=parsed.article.key.replace("path:x.md", f"path:_news/{name}.md"),
        )
        for name, _, parsed in GOOD
    }
    expected["laughs.md"] = Article(
        key="path:laughs.md", kind="article", title="Laughs", source="laughs.md"
    )
    files, _ = discover(seeds_dir)
    parsed_files = [r for r in parse_files(files, progress=False) if isinstance(r, ParsedFile)]
    assert {d.source: d for d in merge(parsed_files).documents} == expected

    stored = stored_documents(tmp_path / "index")
    assert {d["source"]: (d["id"], d["key"], d["title"]) for d in stored} == {
        source: (a.id, a.key, a.title) for source, a in expected.items()
    }
    for document in stored:
        assert "secured" not in document
        assert "S3CR3T" not in repr(document)
    generation = generations.current_generation(tmp_path / "index")
    assert generation is not None
    for path in generation.iterdir():
        assert b"S3CR3T" not in path.read_bytes(), path.name


def test_build_survives_odd_quality(seeds_dir: Path, tmp_path: Path) -> None:
    (seeds_dir / "good.md").write_bytes(fm("title: Good\n"))
    (seeds_dir / "odd.md").write_bytes(fm("title: Odd\nquality: '--5'\n"))
    report = build_index(seeds_dir, tmp_path / "index")
    assert report.documents == 2
    assert report.warnings == ["odd.md: quality is not an integer; dropped"]


# --- Random input ------------------------------------------------------------------

FIELDS = [
    "title", "name", "excerpt", "topics", "provider", "webUrl", "originalUrl",
    "publishedDateTime", "images", "quality", "related", "category", "type", "secured",
    "url", "domain",
]  # fmt: skip

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(
        [
            "https://example.com/a?ref=x",
            "javascript:alert(1)",
            "2021-02-30T10:00:00Z",
            "2021-12-31T23:30:00-08:00",
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-01:00",
            "&amp;&#0;&#x110000;",
        ]
    )
    | st.datetimes()
    | st.dates()
)
keys = st.sampled_from(FIELDS) | st.text(max_size=10)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
    max_leaves=20,
)
urls = st.sampled_from(
    [
        "https://example.com/a",
        "https://Example.com/a/?ref=x#f",
        "http://example.com/a?utm_source=s&b=1",
        "https://example.com/",
        "javascript:alert(1)",
        "/relative/path",
    ]
) | st.builds("https://example.com/{}".format, st.text(max_size=10))
records = st.fixed_dictionaries(
    {"title": st.text(min_size=1, max_size=30) | scalars, "webUrl": urls | values},
    optional={name: values for name in FIELDS if name not in ("title", "webUrl")},
)
front_matters = (
    st.fixed_dictionaries(
        {"title": st.text(min_size=1, max_size=30) | scalars},
        optional={
            **{name: values for name in FIELDS if name not in ("title", "related", "webUrl")},
            "webUrl": urls | values,
            "related": st.lists(records, max_size=3) | values,
        },
    )
    | st.dictionaries(keys, values, max_size=8)
    | values
)
encodings = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"])


def check_parse(raw: bytes) -> None:
    try:
        result = parse_seed_bytes(raw, "random.md")
    except SeedError as exc:
        assert exc.path == "random.md"
        assert exc.reason
        return
    assert isinstance(result, ParsedFile)
    assert result.article.title
    assert all(isinstance(w, str) and w.startswith("random.md: ") for w in result.warnings)


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    data=front_matters,
    body=st.text(max_size=50),
    encoding=encodings,
    crlf=st.booleans(),
    noise=st.binary(max_size=200),
    mode=st.sampled_from(["yaml", "yaml", "yaml", "bytes", "prefixed_bytes"]),
)
def test_random_input_parses_or_is_refused(
    data: object, body: str, encoding: str, crlf: bool, noise: bytes, mode: str
) -> None:
    if mode == "bytes":
        check_parse(noise)
        return
    if mode == "prefixed_bytes":
        check_parse(b"---\n" + noise + b"\n---\n")
        return
    dumped = yaml.safe_dump(data, allow_unicode=True, default_flow_style=None)
    text = f"---\n{dumped}---\n{body}"
    if crlf:
        text = text.replace("\n", "\r\n")
    check_parse(text.encode(encoding, errors="replace"))

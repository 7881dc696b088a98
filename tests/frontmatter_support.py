"""The front-matter tests' shared cases (tests/test_frontmatter_*.py): what a seed file
becomes (DESIGN.md 2.2 to 2.4), and how bad input is reported.

Every bad-input case is checked twice: through `parse_seed_bytes` (the exact reason,
test_frontmatter_refused.py), and all together through a full `build_index` over one
folder (test_frontmatter_build.py), which must index every usable file, report every
other one with its path and reason, and not crash.
"""

from __future__ import annotations

from typing import Any

from build_support import MIB, fm

from search.ingest.frontmatter import (
    MAX_EXCERPT_CHARS,
    MAX_FILE_BYTES,
    MAX_TITLE_CHARS,
    parse_seed_bytes,
)
from search.model import Article, ParsedFile

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

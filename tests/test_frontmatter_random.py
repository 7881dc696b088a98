"""Random front matter, encodings and bytes (Hypothesis): every input parses to a titled
ParsedFile or is refused with a reason, never an exception."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.errors import SeedError
from search.ingest.frontmatter import parse_seed_bytes
from search.model import ParsedFile

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

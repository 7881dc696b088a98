"""GET /api/export, in process: every hit of a search as CSV (read back with the csv
module) or JSON lines, row for row the JSON API's hits; formula injection defused; the
cap and its headers; 400s naming the parameter. Elsewhere: an export that meets a new
index generation (tests/test_export_interrupted.py), `search export`
(tests/test_export_cli.py), and a corpus of 3,000 documents streamed over a real socket
(tests/test_export_stream.py).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_contract import BuiltIndex, app_client, check_error, ok_json

from search.export import EXPORT_LIMIT, csv_cell, encode, header
from search.local.store.build import build_index
from search.results import Highlights, Hit, Provider
from search.web import export as web_export

WriteSeed = Callable[..., Path]
COLUMNS = [
    "id",
    "kind",
    "url",
    "title",
    "excerpt",
    "published",
    "provider_name",
    "provider_domain",
    "topics",
    "score",
]
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(value: str) -> str:
    """Return a value as the export writes it into a CSV cell (formula-safe)."""
    return "'" + value if value.startswith(FORMULA) else value


def expected_row(hit: dict[str, Any]) -> list[str]:
    """Return the CSV row the export has for an /api/search hit."""
    values = [
        hit["id"],
        hit["kind"],
        hit["url"] or "",
        hit["title"],
        hit["excerpt"],
        hit["published"] or "",
        hit["provider"]["name"] or "",
        hit["provider"]["domain"] or "",
        "; ".join(hit["topics"]),
        json.dumps(hit["score"]),
    ]
    return [cell(value) for value in values]


def expected_line(hit: dict[str, Any]) -> dict[str, Any]:
    """Return the JSON line the export has for an /api/search hit."""
    return {k: v for k, v in hit.items() if k not in ("highlights", "image", "story")}


def api_hits(client: httpx.Client, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Return every hit of a search through the JSON API, page by page."""
    hits: list[dict[str, Any]] = []
    page = 1
    while True:
        body = ok_json(
            client.get("/api/search", params={**params, "per_page": "100", "page": str(page)})
        )
        hits += body["hits"]
        if page >= body["pages"]:
            return hits
        page += 1


def read_csv(response: httpx.Response) -> list[list[str]]:
    """Return the rows of a CSV export (after its header, which is checked)."""
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="search-export.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"), newline="")))
    assert rows[0] == COLUMNS
    return rows[1:]


EXPORT_CASES: dict[str, dict[str, Any]] = {
    "browse-every-document": {},  # three pages of the backend's
    "words": {"q": "facial recognition"},
    "topic-oldest": {"topic": "AI", "sort": "oldest"},
    "two-types": {"type": ["video", "course"]},
    "grouped": {"group": "story", "q": "ai"},
    "any-word": {"q": "cloud data security", "match": "any"},
}


@pytest.mark.parametrize("params", EXPORT_CASES.values(), ids=EXPORT_CASES.keys())
def test_csv_rows_are_the_api_hits(corpus_app: httpx.Client, params: dict[str, Any]) -> None:
    response = corpus_app.get("/api/export", params=params)  # csv is the default
    hits = api_hits(corpus_app, params)
    assert hits, "a case with no hits proves nothing"
    assert read_csv(response) == [expected_row(hit) for hit in hits]
    assert response.headers["x-export-limit"] == str(EXPORT_LIMIT)
    assert response.headers["x-export-rows"] == str(len(hits))
    assert "x-export-truncated" not in response.headers
    assert response.headers["cache-control"] == "no-store"
    generation = corpus_app.get("/healthz").json()["generation"]
    assert response.headers["x-index-generation"] == generation


@pytest.mark.parametrize("params", EXPORT_CASES.values(), ids=EXPORT_CASES.keys())
def test_jsonl_lines_are_the_api_hits(corpus_app: httpx.Client, params: dict[str, Any]) -> None:
    response = corpus_app.get("/api/export", params={**params, "format": "jsonl"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.headers["content-disposition"] == ('attachment; filename="search-export.jsonl"')
    text = response.content.decode("utf-8")
    assert text.endswith("\n")
    lines = [json.loads(line) for line in text.split("\n")[:-1]]
    assert lines == [expected_line(hit) for hit in api_hits(corpus_app, params)]


def test_every_document_is_exported_once(
    corpus_app: httpx.Client, corpus_index: BuiltIndex
) -> None:
    rows = read_csv(corpus_app.get("/api/export"))
    assert len(rows) == len({row[0] for row in rows}) == corpus_index.documents


def test_paging_parameters_are_checked_then_ignored(corpus_app: httpx.Client) -> None:
    whole = corpus_app.get("/api/export", params={"q": "data"}).content
    assert corpus_app.get(
        "/api/export", params={"q": "data", "page": 3, "per_page": 7}
    ).content == (whole)
    check_error(corpus_app.get("/api/export?per_page=101"), 400, "bad_parameter", "per_page")


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"format": "xml"}, "format"),
        ({"format": "CSV"}, "format"),
        ({"format": ["csv", "jsonl"]}, "format"),
        ({"sort": "bogus"}, "sort"),
        ({"topics": "AI"}, "topics"),
        ({"from": "2024-02-02", "to": "2024-01-01"}, "from"),
        ({"q": "x" * 1001}, "q"),
    ],
    ids=["format", "format-case", "format-twice", "sort", "unknown", "dates", "long-q"],
)
def test_bad_export_parameters_are_a_400_naming_them(
    corpus_app: httpx.Client, params: dict[str, Any], param: str
) -> None:
    check_error(corpus_app.get("/api/export", params=params), 400, "bad_parameter", param)


def test_export_is_cut_at_the_limit_and_says_so(
    corpus_app: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web_export, "EXPORT_LIMIT", 150)  # 10,000 in earnest
    response = corpus_app.get("/api/export", params={"format": "csv"})
    rows = read_csv(response)
    hits = api_hits(corpus_app, {})
    assert len(hits) > 150
    assert rows == [expected_row(hit) for hit in hits[:150]]
    assert response.headers["x-export-truncated"] == "true"
    assert response.headers["x-export-limit"] == "150"
    assert response.headers["x-export-rows"] == "150"
    head = corpus_app.head("/api/export")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["x-export-truncated"] == "true"


FORMULAS = (
    'title: "=HYPERLINK(\\"https://evil.example\\", \\"click\\")"\n'
    "excerpt: \"+1+cmd|' /C calc'!A0\"\n"
    'webUrl: "https://example.com/formula"\n'
    'topics: ["-2+3", "@SUM(A1)", "safe"]\n'
    'provider: {name: "=Evil", domain: "evil.example"}\n'
    'publishedDateTime: "2024-03-01T10:00:00Z"\n'
)


def test_csv_cells_cannot_run_as_formulas(tmp_path: Path, write_seed: WriteSeed) -> None:
    write_seed("formula.md", FORMULAS, "Body.\n")
    write_seed(
        "plain.md",
        'title: "A plain, \\"quoted\\" title"\n'
        'excerpt: "- a list item"\nwebUrl: "https://example.com/plain"\n'
        'publishedDateTime: "2024-03-02T10:00:00Z"\n',
    )
    index = tmp_path / "index"
    build_index(tmp_path / "seeds", index, progress=False)
    with app_client(index) as http:
        rows = read_csv(http.get("/api/export", params={"sort": "oldest"}))
        hits = api_hits(http, {"sort": "oldest"})
        assert rows == [expected_row(hit) for hit in hits]
    formula, plain = (dict(zip(COLUMNS, row, strict=True)) for row in rows)
    assert formula["title"] == '\'=HYPERLINK("https://evil.example", "click")'
    assert formula["excerpt"].startswith("'+1+cmd")
    assert formula["provider_name"] == "'=Evil"
    assert formula["topics"] == "'-2+3; @SUM(A1); safe"  # the cell starts with -
    assert plain["title"] == 'A plain, "quoted" title'  # quoted in the file, read back whole
    assert plain["excerpt"] == "'- a list item"
    for row in rows:
        assert not any(value.startswith(FORMULA) for value in row), row
    # Text from seed files arrives stripped; a tab or CR first would be defused as well.
    assert [csv_cell(v) for v in ("\tx", "\rx", "x=1", "'=1", "")] == [
        "'\tx",
        "'\rx",
        "x=1",
        "'=1",
        "",
    ]


def test_csv_and_json_lines_keep_any_text_whole() -> None:
    """Line breaks, quotes, separators and Unicode line separators inside a value stay
    inside its cell, or its line."""
    text = 'one, "two"\r\nthree\nfour\u2028five\u2029six\x85seven'
    hit = Hit(
        id="0123456789abcdef",
        kind="article",
        url=None,
        title=text,
        excerpt="=" + text,
        published=None,
        provider=Provider(None, "example.com"),
        topics=["a;b", "c"],
        image=None,
        score=0.5,
        highlights=Highlights("", ""),
    )
    rows = list(
        csv.reader(io.StringIO((header("csv") + encode([hit, hit], "csv")).decode(), newline=""))
    )
    assert (
        rows[1:]
        == [
            [
                "0123456789abcdef",
                "article",
                "",
                text,
                "'=" + text,
                "",
                "",
                "example.com",
                "a;b; c",
                "0.5",
            ]
        ]
        * 2
    )
    lines = encode([hit, hit], "jsonl").decode().split("\n")
    assert len(lines) == 3 and lines[2] == ""
    assert [json.loads(line)["title"] for line in lines[:2]] == [text, text]
    assert all(len(line.splitlines()) == 1 for line in lines[:2])

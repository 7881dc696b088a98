"""Every document a search matches, as CSV or JSON lines (GET /api/export, `search export`).

An export pages through `Backend.search` (EXPORT_PAGE hits a page, no facets), so it
holds one page at a time however many rows it sends, up to EXPORT_LIMIT rows. What it
will send is known from the first page (its `total`), before any row is written: an
HTTP response says so in its headers.

All rows come from one index generation, the first page's. A backend answers each page
from the generation current at the time, so when a new one is published during an
export, the next page names another generation: the export stops there with
ExportInterrupted (rows already sent cannot be taken back, and pages of two generations
may skip or repeat documents). Over HTTP the body then ends without its last chunk, an
error every client reports (no trailer row a spreadsheet would take for data); the CLI
exits 1 and removes the file it was writing. Running the export again gives a whole one.

    plan = ExportPlan.start(backend.search, request)
    for chunk in plan.chunks(backend.search, "csv"):
        sys.stdout.buffer.write(chunk)
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from search.errors import ExportInterrupted
from search.request import SearchRequest
from search.results import Hit, SearchResult

EXPORT_LIMIT = 10_000  # rows at most; the same bound as paging (params.RESULT_WINDOW)
EXPORT_PAGE = 100  # hits asked of the backend at a time
CSV_COLUMNS = (
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
)
TOPIC_SEPARATOR = "; "
# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
# Line breaks to str.splitlines() that json.dumps leaves raw: escaped, so one row is one line.
_LINE_BREAKS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"})

Search = Callable[[SearchRequest], SearchResult]


def csv_cell(value: str) -> str:
    """Return `value` safe to open in a spreadsheet: a leading ' when it starts a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_row(hit: Hit) -> list[str]:
    """Return the CSV cells of a hit, in CSV_COLUMNS order (None as an empty cell)."""
    cells = [
        hit.id,
        hit.kind,
        hit.url or "",
        hit.title,
        hit.excerpt,
        hit.published or "",
        hit.provider.name or "",
        hit.provider.domain or "",
        TOPIC_SEPARATOR.join(hit.topics),
        repr(hit.score),  # as JSON writes it
    ]
    return [csv_cell(cell) for cell in cells]


def json_row(hit: Hit) -> dict[str, object]:
    """Return the JSON object of a hit: /api/search's, without highlights, image and story."""
    return {
        "id": hit.id,
        "kind": hit.kind,
        "url": hit.url,
        "title": hit.title,
        "excerpt": hit.excerpt,
        "published": hit.published,
        "provider": {"name": hit.provider.name, "domain": hit.provider.domain},
        "topics": hit.topics,
        "score": hit.score,
    }


def encode(hits: list[Hit], export_format: str) -> bytes:
    """Return the rows of `hits` in `export_format` ("csv" or "jsonl"), UTF-8."""
    if export_format == "csv":
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows(csv_row(hit) for hit in hits)
        return buffer.getvalue().encode("utf-8")
    lines = (json.dumps(json_row(hit), ensure_ascii=False).translate(_LINE_BREAKS) for hit in hits)
    return "".join(line + "\n" for line in lines).encode("utf-8")


def header(export_format: str) -> bytes:
    """Return what comes before the rows: the CSV header row (nothing for JSON lines)."""
    if export_format != "csv":
        return b""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(CSV_COLUMNS)
    return buffer.getvalue().encode("utf-8")


def page_request(request: SearchRequest, page: int) -> SearchRequest:
    """Return page `page` of `request` as an export asks for it (no facets)."""
    return replace(request, page=page, per_page=EXPORT_PAGE, facets=False)


@dataclass(frozen=True)
class ExportPlan:
    """An export known from its first page: how many rows, cut or not, which generation."""

    request: SearchRequest
    first: SearchResult
    limit: int = EXPORT_LIMIT

    @classmethod
    def start(cls, search: Search, request: SearchRequest, limit: int = EXPORT_LIMIT) -> ExportPlan:
        """Search the first page of `request` and return the plan."""
        return cls(request, search(page_request(request, 1)), limit)

    @property
    def rows(self) -> int:
        """Return how many rows the export will have."""
        return min(self.first.total, self.limit)

    @property
    def truncated(self) -> bool:
        """Return True when the search matches more than the limit."""
        return self.first.total > self.limit

    @property
    def generation(self) -> str:
        """Return the generation every row comes from."""
        return self.first.generation

    def later_pages(self) -> range:
        """Return the page numbers to ask for after the first."""
        return range(2, -(-self.rows // EXPORT_PAGE) + 1)

    def hits(self, page: int, result: SearchResult) -> list[Hit]:
        """Return the hits of page `page` that belong in the export (the limit applies);
        raise ExportInterrupted if it comes from another generation than the first."""
        done = (page - 1) * EXPORT_PAGE
        if result.generation != self.generation:
            raise ExportInterrupted(self.generation, result.generation, done)
        return result.hits[: max(0, self.rows - done)]

    def chunks(self, search: Search, export_format: str) -> Iterator[bytes]:
        """Yield the export, page by page, searching the later pages with `search`."""
        yield header(export_format) + encode(self.hits(1, self.first), export_format)
        for page in self.later_pages():
            result = search(page_request(self.request, page))
            yield encode(self.hits(page, result), export_format)


def write_file(path: Path, chunks: Iterable[bytes]) -> None:
    """Write an export to `path` through a temporary file beside it, so a file that is
    there is whole: an export that fails midway leaves what was at `path` before."""
    partial = path.with_name(path.name + ".part")
    try:
        with partial.open("wb") as handle:
            handle.writelines(chunks)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)

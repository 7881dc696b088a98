"""The server-rendered search page (/), in process: the same hits as the API, working
links, friendly error pages, and escaping of reflected queries and document markup.
The page in a real browser is tests/test_page_*.py."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from api_contract import BuiltIndex, app_client, check_error, ok_json

from search.local.store.build import build_index

WriteSeed = Callable[..., Path]


class HitTitles(HTMLParser):
    """Collects the text of each result title (`<li class="hit">` ... `<h3>`) of the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.titles: list[str] = []
        self._in_hit = False
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "li":
            self._in_hit = "hit" in classes
        elif tag == "h3" and self._in_hit:
            self._in_title = True
            self.titles.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "h3":
            self._in_title = False
        elif tag == "li":
            self._in_hit = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.titles[-1] += data


def page_titles(page: str) -> list[str]:
    """Return the result titles of a search page, as text (markup and escapes undone)."""
    parser = HitTitles()
    parser.feed(page)
    parser.close()
    return parser.titles


def page_total(page: str) -> int:
    """Return the result count the page states."""
    found = re.search(r"<strong>([\d,]+)</strong> (?:results?|stor(?:y|ies))", page)
    assert found, "the page states no result count"
    return int(found.group(1).replace(",", ""))


PAGE_CASES: dict[str, dict[str, str | list[str]]] = {
    "words-and-topic": {"q": "facial recognition", "topic": "AI"},
    "second-page": {"q": "facial recognition", "topic": "AI", "page": "2", "per_page": "3"},
    "every-article": {"q": "facial recognition", "group": "none"},
    "browse": {},
    "oldest-25": {"topic": "AI", "sort": "oldest", "per_page": "25"},
    "dates": {"from": "2023-06-01", "to": "2023-09-30"},
    "type": {"type": "video"},
    "two-types-oldest": {"type": ["video", "course"], "sort": "oldest"},
}


@pytest.mark.parametrize("params", PAGE_CASES.values(), ids=PAGE_CASES.keys())
def test_page_shows_the_same_hits_as_the_api(
    corpus_app: httpx.Client, params: dict[str, str | list[str]]
) -> None:
    # The page groups coverage of one story unless told not to; the API when asked.
    api = ok_json(corpus_app.get("/api/search", params={"group": "story", **params}))
    page = corpus_app.get("/", params=params)
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert api["hits"], "a case with no hits proves nothing"
    assert page_titles(page.text) == [hit["title"] for hit in api["hits"]]
    assert page_total(page.text) == api["total"]


def test_page_ignores_unknown_parameters_like_tracking_tags(corpus_app: httpx.Client) -> None:
    # The page groups coverage of one story unless told not to; the API when asked.
    api = ok_json(corpus_app.get("/api/search", params={"q": "ai", "group": "story"}))
    page = corpus_app.get("/", params={"q": "ai", "utm_source": "newsletter", "fbclid": "x"})
    assert page.status_code == 200
    assert page_titles(page.text) == [hit["title"] for hit in api["hits"]]


@pytest.mark.parametrize(
    "start",
    [
        "/?q=facial+recognition&topic=AI",
        "/?topic=AI&from=2023-01-01&to=2023-12-31&page=2",
        "/?q=power+apps&type=video&type=forum",
    ],
    ids=["words-and-topic", "dated-second-page", "two-types"],
)
def test_every_link_on_the_page_works(corpus_app: httpx.Client, start: str) -> None:
    """Facet toggles, chips, sorts, pager and timeline bars are all URLs of working pages."""
    page = corpus_app.get(start)
    assert page.status_code == 200
    links = {html.unescape(h) for h in re.findall(r'href="([^"]*)"', page.text)}
    local = sorted(link for link in links if link.startswith("/"))
    assert len(local) > 10, local
    broken = [
        (link, status) for link in local if (status := corpus_app.get(link).status_code) != 200
    ]
    assert broken == []


@pytest.mark.parametrize(
    "params",
    [
        {"page": "0"},
        {"sort": "bogus"},
        {"from": "2023-13-45"},
        {"per_page": "101"},
        {"page": "1001", "per_page": "10"},
        {"from": "2024-02-02", "to": "2024-01-01"},
        {"q": "x" * 1001},
        {"topic": "t" * 300},
        {"sort": "<script>alert(1)</script>"},
    ],
    ids=[
        "page-0",
        "sort",
        "date",
        "per-page",
        "window",
        "from-after-to",
        "long-q",
        "long-topic",
        "script-sort",
    ],
)
def test_bad_parameters_give_a_friendly_400_page(
    corpus_app: httpx.Client, params: dict[str, str]
) -> None:
    api_error = check_error(
        corpus_app.get("/api/search", params=params), 400, "bad_parameter", next(iter(params))
    )
    page = corpus_app.get("/", params=params)
    assert page.status_code == 400
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "That search could not be run" in page.text
    assert api_error["message"] in html.unescape(page.text)
    assert "<script>alert" not in page.text
    assert "Traceback" not in page.text


def test_page_escapes_a_reflected_query(corpus_app: httpx.Client) -> None:
    q = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    page = corpus_app.get("/", params={"q": q})
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert "<img src=x" not in page.text
    assert "&lt;script&gt;" in page.text


@pytest.fixture
def hostile_seeds(write_seed: WriteSeed, seeds_dir: Path) -> Path:
    """Return seeds whose titles and links try to inject markup and script."""
    write_seed(
        "script.md",
        "title: \"<script>alert('title')</script> Breaking news\"\n"
        'excerpt: "An <img src=x onerror=alert(1)> excerpt & <b>bold</b> claims"\n'
        'webUrl: "https://example.com/script"\n'
        "topics: [\"<script>alert('topic')</script>\"]\n"
        'provider: {name: "<b>Evil</b> Media", domain: "evil.example"}\n'
        'publishedDateTime: "2024-03-01T10:00:00Z"\n',
        "Body with <script>alert('body')</script> breaking text.\n",
    )
    write_seed(
        "link.md",
        'title: "Breaking links"\n'
        'webUrl: "javascript:alert(document.cookie)"\n'
        'images: ["javascript:alert(2)"]\n'
        'publishedDateTime: "2024-03-02T10:00:00Z"\n',
    )
    return seeds_dir


def test_page_escapes_document_markup(tmp_path: Path, hostile_seeds: Path) -> None:
    index = tmp_path / "index"
    report = build_index(hostile_seeds, index, progress=False)
    assert report.documents == 2
    with app_client(index) as http:
        api = ok_json(http.get("/api/search", params={"q": "breaking"}))
        titles = sorted(hit["title"] for hit in api["hits"])
        assert titles == ["<script>alert('title')</script> Breaking news", "Breaking links"]
        for params in ({"q": "breaking"}, {}, {"q": "script"}):
            page = http.get("/", params=params)
            assert page.status_code == 200
            text = page.text
            assert "<script>alert" not in text
            assert "<img src=x" not in text and "<b>" not in text
            assert "&lt;script&gt;" in text
            assert 'href="javascript:' not in text.lower()
            assert 'src="javascript:' not in text.lower()
            # Only the page's own script tag.
            assert re.findall(r"<script[^>]*>", text) == ['<script src="/static/search.js" defer>']
        page = http.get("/", params={"q": "breaking"})
        assert sorted(page_titles(page.text)) == titles


def test_the_page_says_how_long_a_search_took_or_that_it_was_kept(
    corpus_app: httpx.Client,
) -> None:
    params = {"q": "neural network chips", "topic": "AI", "per_page": "7"}  # asked once here
    took = re.compile(r'<span class="took">· ([^<]*)</span>')
    first = took.findall(corpus_app.get("/", params=params).text)
    assert len(first) == 1 and re.fullmatch(r"\d+(\.\d)? ms|under 0\.1 ms", first[0]), first
    assert first[0] not in ("0 ms", "0.0 ms")
    assert took.findall(corpus_app.get("/", params=params).text) == ["cached"]


def test_the_operators_notice_is_on_every_page(corpus_index: BuiltIndex) -> None:
    """`search serve --notice` (make demo-large: generated data) labels every page, the
    error pages too, as text; without one, no banner."""
    notice = "Generated data: <b>made-up</b> articles & outlets"
    banner = re.compile(r'<p class="notice" role="note"><strong>Demo</strong> ([^<]*)</p>')
    with app_client(corpus_index.folder, notice=notice) as http:
        for path in ("/", "/?q=robot", "/?q=zzyzx", "/?page=0"):
            assert [html.unescape(t) for t in banner.findall(http.get(path).text)] == [notice], path
    with app_client(corpus_index.folder) as http:
        assert banner.findall(http.get("/").text) == []
        assert 'class="notice"' not in http.get("/").text

"""Dates the way people ask (issue 16 item 3): relative from/to (now, now-7d) resolved
against the request time, echoed as given, keyed by the resolved range in the answer
cache; and the adaptive timeline (days, months or years, by the range shown)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from api_contract import app_client, check_error, ok_json
from starlette.datastructures import QueryParams

from search.date_math import resolve
from search.errors import BadQuery
from search.local.searching.timeline import MONTHS, timeline
from search.local.store.build import build_index
from search.local.store.column_files import EPOCH, NO_DATE
from search.params import parse_search, search_request
from search.results import Filters, SearchResult, Timeline, TimelineBucket
from search.web.answers import Answers

WriteSeed = Callable[..., Path]
NOW = datetime(2024, 3, 31, 15, 7)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", NOW),
        ("now-36h", datetime(2024, 3, 30, 3, 7)),
        ("now-7d", datetime(2024, 3, 24, 15, 7)),
        ("now-2w", datetime(2024, 3, 17, 15, 7)),
        ("now-1M", datetime(2024, 2, 29, 15, 7)),  # 31 March: clamped to February's end
        ("now-13M", datetime(2023, 2, 28, 15, 7)),
        ("now-1y", datetime(2023, 3, 31, 15, 7)),
        ("now-1000y", datetime(1024, 3, 31, 15, 7)),
    ],
    ids=["now", "hours", "days", "weeks", "month-clamped", "months-over-a-year", "year", "max"],
)
def test_relative_dates_resolve_as_elasticsearch_does(text: str, expected: datetime) -> None:
    assert resolve(text, NOW) == expected


def test_leap_day_minus_a_year_is_the_last_day_of_february() -> None:
    assert resolve("now-1y", datetime(2024, 2, 29, 0, 0)) == datetime(2023, 2, 28, 0, 0)


def test_a_relative_range_is_resolved_to_the_minute_and_echoed_as_given() -> None:
    request = search_request(
        "x", date_from=" now-1M", date_to="now", now=datetime(2024, 3, 31, 15, 7, 59, tzinfo=UTC)
    )
    assert (request.date_from, request.date_to) == (datetime(2024, 2, 29, 15, 7), NOW)
    assert request.relative_dates == ("now-1M", "now")
    mixed = search_request("x", date_from="2024-03-01", date_to="now-1d", now=NOW)
    assert (mixed.date_from, mixed.date_to) == (date(2024, 3, 1), datetime(2024, 3, 30, 15, 7))
    assert mixed.relative_dates == (None, "now-1d")


def test_relative_bounds_out_of_order_name_from_with_both_instants() -> None:
    with pytest.raises(BadQuery) as caught:
        search_request("x", date_from="now", date_to="now-1h", now=NOW)
    assert (str(caught.value), caught.value.param) == (
        "from (now = 2024-03-31 15:07:00) is after to (now-1h = 2024-03-31 14:07:00)",
        "from",
    )
    # A day and an instant compare as the day's first minute: the same day is fine.
    assert search_request("x", date_from="2024-03-31", date_to="now", now=NOW).date_to == NOW


def test_the_answer_cache_key_is_the_resolved_range() -> None:
    params = QueryParams("q=robot&from=now-7d")
    today = parse_search(params, strict=True, now=NOW)
    same_minute = parse_search(params, strict=True, now=NOW + timedelta(seconds=40))
    tomorrow = parse_search(params, strict=True, now=NOW + timedelta(days=1))
    answers = Answers()
    result = SearchResult("robot", 0, 1, 10, 0, "relevance", 1.0, [], {}, Filters.of(today))
    answers.put(today, result)
    assert answers.get("", same_minute) is not None
    assert answers.get("", tomorrow) is None  # a day later: searched again, not served stale


# --- the timeline's buckets, from literal minute stamps ------------------------------------


def _stamps(*moments: datetime | None) -> np.ndarray[Any, np.dtype[np.int64]]:
    return np.array(
        [NO_DATE if m is None else int((m - EPOCH).total_seconds() // 60) for m in moments],
        dtype=np.int64,
    )


def _buckets(*rows: tuple[str, str, int, str, str, bool]) -> list[TimelineBucket]:
    return [TimelineBucket(*row) for row in rows]


def test_timeline_days_within_a_month_and_a_half_with_empty_days() -> None:
    stamps = _stamps(
        datetime(2024, 3, 1, 23, 59), datetime(2024, 3, 3, 0, 0), datetime(2024, 3, 3, 9), None
    )
    assert timeline(stamps, date(2024, 3, 1), date(2024, 3, 4)) == Timeline(
        "day",
        _buckets(
            ("2024-03-01", "1 Mar 2024", 1, "2024-03-01", "2024-03-01", False),
            ("2024-03-02", "2 Mar 2024", 0, "2024-03-02", "2024-03-02", False),
            ("2024-03-03", "3 Mar 2024", 2, "2024-03-03", "2024-03-03", False),
            ("2024-03-04", "4 Mar 2024", 0, "2024-03-04", "2024-03-04", False),
        ),
    )


def test_timeline_months_counting_whole_edge_months_and_flagging_the_selected_one() -> None:
    stamps = _stamps(datetime(2023, 12, 31), datetime(2024, 1, 5), datetime(2024, 2, 20))
    assert timeline(stamps, date(2024, 1, 1), date(2024, 1, 31)).interval == "day"
    assert timeline(stamps, date(2023, 12, 15), date(2024, 2, 10)) == Timeline(
        "month",
        _buckets(
            ("2023-12", "Dec 2023", 1, "2023-12-01", "2023-12-31", False),
            ("2024-01", "Jan 2024", 1, "2024-01-01", "2024-01-31", False),
            ("2024-02", "Feb 2024", 1, "2024-02-01", "2024-02-29", False),
        ),
    )


def test_timeline_years_over_the_documents_when_no_range_is_given() -> None:
    stamps = _stamps(datetime(2019, 5, 1), datetime(2021, 1, 1), datetime(2021, 7, 1), None)
    assert timeline(stamps, None, None) == Timeline(
        "year",
        _buckets(
            ("2019", "2019", 1, "2019-01-01", "2019-12-31", False),
            ("2020", "2020", 0, "2020-01-01", "2020-12-31", False),
            ("2021", "2021", 2, "2021-01-01", "2021-12-31", False),
        ),
    )
    selected = timeline(stamps, date(2019, 1, 1), date(2021, 12, 31)).buckets
    assert [b.selected for b in selected] == [False, False, False]  # three years: none is it
    assert timeline(stamps, date(2021, 7, 1), date(2021, 7, 1)).buckets == _buckets(
        ("2021-07-01", "1 Jul 2021", 1, "2021-07-01", "2021-07-01", True)
    )


def test_timeline_open_ends_and_nothing_dated() -> None:
    stamps = _stamps(datetime(2024, 3, 10, 12))
    after = timeline(stamps, date(2024, 3, 20), None)  # from after every document
    assert after == Timeline(
        "day", _buckets(("2024-03-20", "20 Mar 2024", 0, "2024-03-20", "2024-03-20", False))
    )
    before = timeline(stamps, None, datetime(2024, 3, 8, 10, 0))  # to=now-... before them all
    assert [b.key for b in before.buckets] == ["2024-03-08"]
    assert timeline(_stamps(None), None, None) == Timeline("year", [])


# --- over HTTP: presets against the documents' dates -------------------------------------

AGES = {  # document -> its age when the index is built
    "two-hours": timedelta(hours=2),
    "thirty-hours": timedelta(hours=30),
    "three-days": timedelta(days=3),
    "ten-days": timedelta(days=10),
    "forty-days": timedelta(days=40),
    "two-hundred-days": timedelta(days=200),
    "eight-hundred-days": timedelta(days=800),
}


@pytest.fixture(scope="module")
def dated_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, datetime]]:
    """Return an index of documents published at AGES before now, and their dates."""
    folder = tmp_path_factory.mktemp("dated")
    seeds = folder / "seeds"
    seeds.mkdir()
    now = datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0)
    published = {name: now - age for name, age in AGES.items()}
    for name, when in published.items():
        (seeds / f"{name}.md").write_text(
            f'---\ntitle: "Report {name}"\nwebUrl: "https://example.com/{name}"\n'
            f'publishedDateTime: "{when.isoformat()}Z"\n---\n',
            encoding="utf-8",
        )
    (seeds / "undated.md").write_text('---\ntitle: "Report undated"\n---\n', encoding="utf-8")
    build_index(seeds, folder / "index", progress=False)
    return folder / "index", published


@pytest.fixture(scope="module", params=["local", "opensearch"])
def dated_app(
    dated_index: tuple[Path, dict[str, datetime]], request: pytest.FixtureRequest
) -> Iterator[httpx.Client]:
    """Yield the app over the dated documents, served by each backend in turn."""
    if request.param == "local":
        with app_client(dated_index[0]) as client:
            yield client
        return
    from search.opensearch.connection import Cluster
    from search.opensearch.indexer import build_opensearch

    node: str = request.getfixturevalue("opensearch_node")
    build_opensearch(dated_index[0].parent / "seeds", Cluster((node,), "dated"), progress=False)
    settings = {"backend": "opensearch", "opensearch_url": node, "opensearch_index": "dated"}
    with app_client(dated_index[0], **settings) as client:
        yield client


def _titles(body: dict[str, Any]) -> set[str]:
    return {hit["title"].removeprefix("Report ") for hit in body["hits"]}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"from": "now-24h"}, {"two-hours"}),
        ({"from": "now-7d"}, {"two-hours", "thirty-hours", "three-days"}),
        ({"from": "now-1M", "to": "now-1w"}, {"ten-days"}),
        ({"from": "now-1y"}, set(AGES) - {"eight-hundred-days"}),
        ({"to": "now-1y"}, {"eight-hundred-days"}),
        ({"from": "now-2d", "to": "now"}, {"two-hours", "thirty-hours"}),
    ],
    ids=["day", "week", "month-to-week", "year", "before-a-year", "two-days"],
)
def test_presets_find_the_documents_of_their_period(
    dated_app: httpx.Client, params: dict[str, str], expected: set[str]
) -> None:
    body = ok_json(dated_app.get("/api/search", params={**params, "per_page": "100"}))
    assert _titles(body) == expected
    assert (body["filters"]["from"], body["filters"]["to"]) == (
        params.get("from"),
        params.get("to"),
    )


def test_the_timeline_of_a_week_is_its_days(
    dated_app: httpx.Client, dated_index: tuple[Path, dict[str, datetime]]
) -> None:
    body = ok_json(dated_app.get("/api/search", params={"from": "now-7d", "to": "now"}))
    today = datetime.now(UTC).date()
    days = [today - timedelta(days=n) for n in range(7, -1, -1)]
    published = [when.date() for when in dated_index[1].values()]
    assert body["timeline"] == {
        "interval": "day",
        "buckets": [
            {
                "key": day.isoformat(),
                "label": f"{day.day} {MONTHS[day.month - 1]} {day.year}",
                "count": published.count(day),
                "from": day.isoformat(),
                "to": day.isoformat(),
                "selected": False,
            }
            for day in days
        ],
    }


def test_the_timeline_without_dates_spans_the_documents_years(
    dated_app: httpx.Client, dated_index: tuple[Path, dict[str, datetime]]
) -> None:
    body = ok_json(dated_app.get("/api/search"))
    years = [when.year for when in dated_index[1].values()]
    assert body["timeline"]["interval"] == "year"
    assert [(b["key"], b["count"]) for b in body["timeline"]["buckets"]] == [
        (f"{year}", years.count(year)) for year in range(min(years), max(years) + 1)
    ]


def test_a_feed_of_a_relative_range_stays_relative(dated_app: httpx.Client) -> None:
    response = dated_app.get("/feed.atom", params={"from": "now-7d"})
    assert response.status_code == 200
    assert "now-7d to …" in response.text
    assert "from=now-7d" in response.text  # the links to itself and the page


def test_bad_relative_values_name_their_parameter(dated_app: httpx.Client) -> None:
    check_error(
        dated_app.get("/api/search", params={"from": "now-1m"}), 400, "bad_parameter", "from"
    )
    check_error(dated_app.get("/api/search", params={"to": "now-0d"}), 400, "bad_parameter", "to")
    check_error(dated_app.get("/feed.atom", params={"to": "NOW"}), 400, "bad_parameter", "to")

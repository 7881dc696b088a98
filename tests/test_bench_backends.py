"""The backends benchmark measures one workload two ways: its HTTP paths must ask what
its in-process requests ask (facets on, every other query filtered)."""

from __future__ import annotations

from starlette.datastructures import QueryParams

from benchmarks.backend_searches import path_for, request_for
from benchmarks.querylog import query_log
from search.params import parse_search
from search.request import SearchRequest


def _asked(request: SearchRequest) -> tuple[object, ...]:
    return (request.q, dict(request.filters), request.date_from, request.date_to, request.facets)


def test_http_paths_ask_what_the_in_process_requests_ask() -> None:
    log = query_log(40)
    over_http = [
        _asked(parse_search(QueryParams(path_for(n, e).split("?", 1)[1]), strict=True))
        for n, e in enumerate(log)
    ]
    in_process = [_asked(request_for(n, e)) for n, e in enumerate(log)]
    assert over_http == in_process
    assert [bool(asked[1]) for asked in in_process] == [n % 2 == 1 for n in range(40)]
    assert all(asked[4] for asked in in_process)  # facets on throughout

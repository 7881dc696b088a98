"""Load while rebuilding (issue #7): 8 clients query a real server while `rebuild-index`
runs twice in full and once `--incremental`; no request fails, and every answer comes
whole from the generation its `X-Index-Generation` header names.

Each rebuild changes the seed files (files added, a folder removed, files added and
deleted), so every generation answers the same requests with different totals, and an
answer mixing two generations, or labelled with the wrong one, cannot pass. The totals
each generation owes are computed once per generation, with no load, by the library
reading that generation through the same parameter parsing as the server.
"""

from __future__ import annotations

import itertools
import shutil
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from http_support import Server, rebuild_index, running_server
from starlette.datastructures import QueryParams

from benchmarks.generator import write_corpus
from search.local import LocalBackend
from search.params import parse_search

CLIENTS = 8
MAX_ROUNDS = 2_000  # per client: the loop is bounded even if `stop` were never set
PICKUP_TIMEOUT = 10.0  # seconds for the server to serve a new generation (contract: 1 s)
# What the clients ask, by name: path and parameters. "health" answers the document count.
REQUESTS: dict[str, tuple[str, dict[str, str]]] = {
    "browse": ("/api/search", {"per_page": "1"}),
    "word": ("/api/search", {"q": "market"}),
    "topic": ("/api/search", {"q": "cloud OR data", "topic": "AI", "sort": "oldest"}),
    "dates": ("/api/search", {"from": "2019-01-01", "to": "2021-12-31", "per_page": "5"}),
    "provider-facet": ("/api/search", {"topic": "Space", "page": "2"}),
    "health": ("/healthz", {}),
}


@dataclass(frozen=True)
class Answer:
    """One answer seen by a client: when it was asked, who answered, and the total."""

    started: float
    generation: str
    what: str
    total: int


def expected_totals(index: Path, generation: str) -> dict[str, int]:
    """Return each request's total as the current generation (which must be `generation`)
    answers it, computed in this process with no load."""
    engine = LocalBackend(index)
    try:
        totals: dict[str, int] = {}
        for what, (path, params) in REQUESTS.items():
            if path == "/healthz":
                continue
            result = engine.search(parse_search(QueryParams(params), strict=True))
            assert result.generation == generation, "another build published meanwhile"
            totals[what] = result.total
        with engine.snapshot() as snapshot:
            totals["health"] = snapshot.documents
    finally:
        engine.close()
    return totals


def load_client(
    server: Server, answers: list[Answer], failures: list[str], stop: threading.Event
) -> None:
    """Ask every request in turn until `stop` (or MAX_ROUNDS); record answers and failures."""
    with server.client(timeout=15.0) as http:
        for _round in range(MAX_ROUNDS):
            if stop.is_set():
                return
            for what, (path, params) in REQUESTS.items():
                started = time.monotonic()
                try:
                    response = http.get(path, params=params)
                    if response.status_code != 200:
                        failures.append(f"{what}: {response.status_code} {response.text[:200]}")
                        continue
                    body = response.json()
                    header = response.headers["x-index-generation"]
                    if what == "health":
                        # healthz names the generation in its body too: they must agree
                        if body["generation"] != header:
                            failures.append(f"health: body {body['generation']} vs {header}")
                        answers.append(Answer(started, header, what, body["documents"]))
                    else:
                        answers.append(Answer(started, header, what, body["total"]))
                except (httpx.HTTPError, KeyError, ValueError) as exc:  # asserted below
                    failures.append(f"{what}: {exc!r}")
            stop.wait(0.01)  # a steady stream, not a flood: the builder needs the CPU


def wait_until_served(answers: list[Answer], generation: str) -> None:
    """Block until some client has been answered by `generation`."""
    deadline = time.monotonic() + PICKUP_TIMEOUT
    while not any(a.generation == generation for a in answers[-200:]):
        assert time.monotonic() < deadline, f"{generation} not served in {PICKUP_TIMEOUT} s"
        time.sleep(0.05)


def test_eight_clients_during_full_and_incremental_rebuilds(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    write_corpus(seeds / "base", 400, seed=71)
    write_corpus(seeds / "dropped", 150, seed=72)
    reports = [rebuild_index(seeds, index)]
    expected = {reports[0]["generation"]: expected_totals(index, reports[0]["generation"])}

    # The three changes the rebuilds publish: grow, shrink, then grow and shrink at once.
    def grow() -> None:
        write_corpus(seeds / "more", 120, seed=73)

    def shrink() -> None:
        shutil.rmtree(seeds / "dropped")

    def churn() -> None:
        write_corpus(seeds / "late", 60, seed=74)
        for path in sorted((seeds / "base").rglob("*.md"))[:40]:
            path.unlink()

    changes = [(grow, False), (shrink, False), (churn, True)]
    answers: list[Answer] = []
    failures: list[str] = []
    windows: list[tuple[float, float]] = []  # when each rebuild ran
    stop = threading.Event()
    with running_server(index, tmp_path / "server.log") as server:
        threads = [
            threading.Thread(target=load_client, args=(server, answers, failures, stop))
            for _ in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        try:
            wait_until_served(answers, reports[0]["generation"])
            for change, incremental in changes:
                change()
                started = time.monotonic()
                reports.append(rebuild_index(seeds, index, incremental=incremental))
                windows.append((started, time.monotonic()))
                generation = reports[-1]["generation"]
                expected[generation] = expected_totals(index, generation)
                wait_until_served(answers, generation)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)
        log = server.log()

    assert failures == [], failures[:10]
    assert "Traceback" not in log, log[-2000:]
    generations = [report["generation"] for report in reports]
    assert [report["incremental"] for report in reports] == [False, False, False, True]
    assert len(set(generations)) == 4
    # Every request's total changes from one generation to the next, so an answer that is
    # not whole, or names the wrong generation, is caught by the comparison below.
    for older, newer in itertools.pairwise(generations):
        changed = {what for what in REQUESTS if expected[older][what] != expected[newer][what]}
        assert changed == set(REQUESTS), (older, newer, expected[older], expected[newer])
    for generation, report in zip(generations, reports, strict=True):
        assert expected[generation]["health"] == report["documents"]

    wrong = [a for a in answers if a.total != expected[a.generation][a.what]]
    assert wrong == [], wrong[:5]
    assert {a.generation for a in answers} == set(generations)
    during = [a for a in answers if any(start <= a.started <= end for start, end in windows)]
    per_request = Counter(a.what for a in during)
    assert min(per_request[what] for what in REQUESTS) >= 10, per_request
    # The figures, for reports (junit XML properties; not record_property, which warns
    # under the default xunit2 format, and warnings are errors here).
    request.node.user_properties += [
        ("answers", len(answers)),
        ("answers_during_rebuilds", len(during)),
    ]

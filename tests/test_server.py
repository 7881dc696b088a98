"""`search serve` as a real subprocess on a loopback port, spoken to with httpx: what
needs sockets and a real server (tests/http_support.py). The rest of the HTTP contract
runs in process (tests/test_api_*.py, tests/test_http_*.py).

Here: starting without an index and serving once one is built, new generations picked
up under load, several workers, CORS configured through the environment, request
targets the server itself decodes (encoded traversals), a request line too long to
serve, and the caching and security headers as they arrive over the wire.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_contract import (
    REBUILD_HINT,
    BuiltIndex,
    check_error,
    check_search_body,
    check_security_headers,
    ok_json,
    raw_get,
    validate_response,
)
from http_support import Server, rebuild_index, running_server

from benchmarks.generator import write_corpus


@pytest.fixture(scope="module")
def server(corpus_index: BuiltIndex, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Run one server over the session's corpus index for the whole module."""
    log = tmp_path_factory.mktemp("corpus-server") / "server.log"
    with running_server(corpus_index.folder, log) as running:
        yield running
        # Whatever the module sent, the server never failed inside (no 500 hidden by a retry).
        printed = running.log()
        assert "Traceback" not in printed and '" 500 ' not in printed, printed[-5000:]


@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[httpx.Client]:
    """Return an HTTP client of the corpus server."""
    with server.client() as http:
        yield http


@pytest.fixture(scope="module")
def openapi_doc(corpus_app: httpx.Client) -> dict[str, Any]:
    """Return the OpenAPI document the app serves."""
    doc: dict[str, Any] = ok_json(corpus_app.get("/openapi.json"))
    return doc


# --- headers, long request lines and encoded paths over the wire -------------------------


def test_headers_over_the_wire(client: httpx.Client, corpus_index: BuiltIndex) -> None:
    """What the in-process tests check of headers, once through uvicorn's own writer."""
    first = client.get("/api/search", params={"q": "facial recognition", "type": "article"})
    assert ok_json(first)["total"] > 0
    assert first.headers["x-index-generation"] == corpus_index.generation
    assert first.headers["cache-control"] == "public, no-cache"
    check_security_headers(first)
    again = client.get(
        "/api/search",
        params={"q": "facial recognition", "type": "article"},
        headers={"If-None-Match": first.headers["etag"]},
    )
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["etag"] == first.headers["etag"]
    check_security_headers(again)
    for response in (client.get("/nope"), client.get("/api/nope"), client.get("/?page=0")):
        assert response.status_code in (400, 404)
        check_security_headers(response)


def test_a_10000_character_q_is_refused_as_json(client: httpx.Client) -> None:
    response = client.get("/api/search", params={"q": "x" * 10_000})
    assert response.status_code in (400, 414)
    if response.status_code == 400:
        check_error(response, 400, "bad_parameter", "q")
    else:
        check_error(response, 414, "uri_too_long")


TRAVERSALS = [
    b"/api/documents/..%2F..%2Fetc%2Fpasswd",
    b"/api/documents/..%2f..%2f..%2f..%2fetc%2fpasswd",
    b"/api/documents/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    b"/api/documents/%2e%2e/%2e%2e/etc/passwd",
    b"/api/documents/../../etc/passwd",
    b"/api/documents/..%252F..%252Fetc%252Fpasswd",
    b"/api/documents/..%5c..%5cetc%5cpasswd",
    b"/api/documents/..\\..\\etc\\passwd",
    b"/api/documents/....//....//etc/passwd",
    b"/api/documents/%2Fetc%2Fpasswd",
    b"/api/documents/%00",
    b"/api/documents/..%00",
    b"/api/documents/%c0%ae%c0%ae%c0%af%c0%ae%c0%ae%c0%afetc%c0%afpasswd",
    b"/api/documents/..%2F..%2F..%2Fwork%2Fmain%2Fpyproject.toml",
    b"/api/documents/CURRENT",
]


@pytest.mark.parametrize("target", TRAVERSALS, ids=[t.decode() for t in TRAVERSALS])
def test_encoded_traversal_ids_are_404_never_file_content(
    client: httpx.Client, target: bytes
) -> None:
    response = raw_get(client, target)
    check_error(response, 404, "not_found")
    assert "root:" not in response.text and "[project]" not in response.text


def test_encoded_traversal_out_of_static_is_a_404_page(client: httpx.Client) -> None:
    response = raw_get(client, b"/static/..%2F..%2Fapp.py")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Nothing here" in response.text
    assert "import" not in response.text


# --- no index yet -----------------------------------------------------------------------


@pytest.mark.parametrize("folder_exists", [True, False], ids=["empty-folder", "missing-folder"])
def test_server_without_index_answers_503_then_serves_once_built(
    tmp_path: Path,
    corpus_dir: Path,
    folder_exists: bool,
    openapi_doc: dict[str, Any],
) -> None:
    index = tmp_path / "index"
    if folder_exists:
        index.mkdir()
    with running_server(index, tmp_path / "server.log") as server, server.client() as http:
        health = http.get("/healthz")
        assert health.status_code == 503
        message = "no search index has been built yet: run `search rebuild-index`"
        assert health.json() == {
            "status": "unavailable",
            "error": {"status": 503, "code": "index_missing", "message": message, "param": None},
        }
        validate_response(openapi_doc, "/healthz", health)
        for path in ("/api/search", "/api/search?q=ai", "/api/suggest?q=a", "/api/documents/x"):
            error = check_error(http.get(path), 503, "index_missing")
            assert REBUILD_HINT in error["message"]
        validate_response(openapi_doc, "/api/search", http.get("/api/search"))
        page = http.get("/")
        assert page.status_code == 503
        assert page.headers["content-type"].startswith("text/html")
        assert not page.text.lstrip().startswith("{")
        assert "The search index is not ready yet" in page.text
        assert "search rebuild-index" in page.text
        check_security_headers(page)
        # A bad parameter is still the client's fault, index or not.
        check_error(http.get("/api/search?page=0"), 400, "bad_parameter", "page")

        report = rebuild_index(corpus_dir, index)
        deadline = time.monotonic() + 5.0
        while (health := http.get("/healthz")).status_code != 200:
            assert time.monotonic() < deadline, f"still {health.status_code}:\n{server.log()}"
            time.sleep(0.1)
        assert health.json()["generation"] == report["generation"]
        body = ok_json(http.get("/api/search"))
        assert body["total"] == report["documents"]
        assert http.get("/").status_code == 200


# --- new generations picked up under load ----------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One answer seen by a load client."""

    started: float
    ended: float
    generation: str
    what: str  # which request: "browse", "market", "ai-topic" or "health"
    total: int


LOAD_REQUESTS: dict[str, tuple[str, dict[str, str]]] = {
    "browse": ("/api/search", {"per_page": "1"}),
    "market": ("/api/search", {"q": "market"}),
    "ai-topic": ("/api/search", {"q": "cloud OR data", "topic": "AI", "sort": "oldest"}),
    "health": ("/healthz", {}),
}


def load_client(
    server: Server, answers: list[Answer], failures: list[str], stop: threading.Event
) -> None:
    """Send a steady stream of requests until `stop`; record every answer and failure."""
    with server.client(timeout=10.0) as http:
        while not stop.is_set():
            for what, (path, params) in LOAD_REQUESTS.items():
                started = time.monotonic()
                try:
                    response = http.get(path, params=params)
                    ended = time.monotonic()
                    if response.status_code != 200:
                        failures.append(f"{what}: {response.status_code} {response.text[:200]}")
                        continue
                    body = response.json()
                    if what == "health":
                        generation, total = body["generation"], body["documents"]
                    else:
                        generation, total = response.headers["x-index-generation"], body["total"]
                    answers.append(Answer(started, ended, generation, what, total))
                except Exception as exc:  # every failure is collected and asserted
                    failures.append(f"{what}: {exc!r}")
                stop.wait(0.005)  # a steady stream, not a flood: the builder needs the CPU


def test_new_generations_are_picked_up_under_load(tmp_path: Path) -> None:
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    write_corpus(seeds / "base", 500, seed=7)
    reports = [rebuild_index(seeds, index)]
    answers: list[Answer] = []
    failures: list[str] = []
    stop = threading.Event()
    published: list[float] = []  # when each rebuild after the first had returned
    with running_server(index, tmp_path / "server.log") as server, server.client() as http:
        etags = [http.get("/api/search", params={"q": "market"}).headers["etag"]]
        threads = [
            threading.Thread(target=load_client, args=(server, answers, failures, stop))
            for _ in range(3)
        ]
        for thread in threads:
            thread.start()
        try:
            time.sleep(0.5)
            for round_ in range(2):
                write_corpus(seeds / f"more-{round_}", 60, seed=100 + round_)
                reports.append(rebuild_index(seeds, index))
                published.append(time.monotonic())
                generation = reports[-1]["generation"]
                deadline = time.monotonic() + 4.0
                while not any(a.generation == generation for a in answers):
                    assert time.monotonic() < deadline, f"{generation} never served"
                    time.sleep(0.05)
                time.sleep(0.5)
                etags.append(http.get("/api/search", params={"q": "market"}).headers["etag"])
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        stale = http.get("/api/search", params={"q": "market"}, headers={"If-None-Match": etags[0]})
        assert stale.status_code == 200 and stale.headers["etag"] == etags[-1]

    assert failures == [], failures[:10]
    generations = [r["generation"] for r in reports]
    documents = {r["generation"]: r["documents"] for r in reports}
    assert len(set(generations)) == 3
    assert documents[generations[0]] < documents[generations[1]] < documents[generations[2]]
    assert len(set(etags)) == 3, "the ETag changes with the generation"
    assert {a.generation for a in answers} == set(generations)

    for number, generation in enumerate(generations[1:]):
        first_seen = min(a.ended for a in answers if a.generation == generation)
        assert first_seen - published[number] <= 2.0, "picked up more than 2 s after publish"
        # Once served, never an older generation again (one process, one engine).
        older = set(generations[: number + 1])
        late = [a for a in answers if a.started > first_seen and a.generation in older]
        assert late == [], late[:3]
        settled = published[number] + 2.0
        assert all(a.generation not in older for a in answers if a.started > settled)

    totals: dict[tuple[str, str], set[int]] = {}
    for answer in answers:
        totals.setdefault((answer.generation, answer.what), set()).add(answer.total)
    for (generation, what), seen in totals.items():
        assert len(seen) == 1, f"{what} answered {seen} within {generation}"
        if what in ("browse", "health"):
            assert seen == {documents[generation]}, (generation, what)
    counts = {what: len([a for a in answers if a.what == what]) for what in LOAD_REQUESTS}
    assert min(counts.values()) >= 20, counts


# --- CORS configured, several workers ---------------------------------------------------


def test_cors_when_configured(tmp_path: Path, corpus_index: BuiltIndex) -> None:
    env = {"SEARCH_CORS_ORIGINS": "https://example.org"}
    with (
        running_server(corpus_index.folder, tmp_path / "server.log", env=env) as server,
        server.client() as http,
    ):
        allowed = http.get("/api/search?q=ai", headers={"Origin": "https://example.org"})
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://example.org"
        assert "origin" in allowed.headers.get("vary", "").lower(), "public answers vary by Origin"
        exposed = {
            h.strip().lower() for h in allowed.headers["access-control-expose-headers"].split(",")
        }
        assert {"etag", "x-index-generation"} <= exposed
        other = http.get("/api/search?q=ai", headers={"Origin": "https://evil.example"})
        assert other.status_code == 200
        assert "access-control-allow-origin" not in other.headers
        preflight = http.options(
            "/api/search",
            headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"},
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://example.org"
        assert "GET" in preflight.headers["access-control-allow-methods"]
        refused = http.options(
            "/api/search",
            headers={"Origin": "https://example.org", "Access-Control-Request-Method": "DELETE"},
        )
        assert refused.status_code == 400


def test_serve_with_two_workers(tmp_path: Path, corpus_index: BuiltIndex) -> None:
    log = tmp_path / "server.log"
    with running_server(corpus_index.folder, log, workers=2) as server, server.client() as http:
        for params in ({"q": "ai"}, {}, {"topic": "AI"}, {"q": "facial recognition"}) * 2:
            check_search_body(ok_json(http.get("/api/search", params=params)), params)
        health = ok_json(http.get("/healthz"))
        assert health["generation"] == corpus_index.generation
        deadline = time.monotonic() + 10.0
        while server.log().count("Application startup complete") < 2:
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.1)
    assert server.process.returncode == 0, server.log()
    assert not server.leftovers, "a worker outlived the server it belongs to"

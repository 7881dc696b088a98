"""search.web.stack over real sockets: on the default stack (httptools), each answer's
head and body leave in one send; on both, answers of every kind arrive whole.

The limits both stacks hold are tests/test_limits.py's."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from http_support import Server, rebuild_index, running_server

from benchmarks.generator import write_corpus
from search.config import HTTP_STACKS


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return an index of a small generated corpus."""
    folder = tmp_path_factory.mktemp("stack")
    write_corpus(folder / "seeds", 100, seed=3)
    rebuild_index(folder / "seeds", folder / "index")
    return folder / "index"


@pytest.fixture(scope="module", params=HTTP_STACKS)
def server(
    request: pytest.FixtureRequest, index: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Server]]:
    """Yield each HTTP stack in turn and a real server on it."""
    log_path = tmp_path_factory.mktemp(f"stack-{request.param}") / "server.log"
    with running_server(index, log_path, options=("--http", request.param)) as running:
        yield request.param, running


def first_read(sock: socket.socket, target: str) -> bytes:
    """Send a GET of `target` and return what the first read brings."""
    sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    return sock.recv(1 << 20)


def complete(data: bytes) -> bool:
    """Return True if `data` is one whole response (its body as long as it says)."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")[1:]
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
    return len(body) == int(headers.get("content-length", "0"))


# Answers made in memory (a file or a stream is read in pieces, so its head goes first).
TARGETS = ["/api/search?q=market", "/healthz", "/api/nope", "/?q=market"]


def test_each_answer_arrives_in_one_piece_on_httptools(server: tuple[str, Server]) -> None:
    stack, running = server
    if stack != "httptools":
        pytest.skip("h11 writes a head and its body apart")
    host, port = running.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        # One send per answer: the first read holds the whole response, every time.
        reads = [first_read(sock, target) for target in TARGETS * 5]
    assert [complete(data) for data in reads] == [True] * len(reads)
    assert [data.split(b" ", 2)[1] for data in reads[:4]] == [b"200", b"200", b"404", b"200"]


def test_a_revalidated_answer_has_a_head_and_no_body(server: tuple[str, Server]) -> None:
    with server[1].client() as http:
        first = http.get("/api/search", params={"q": "market"})
        again = http.get(
            "/api/search", params={"q": "market"}, headers={"If-None-Match": first.headers["etag"]}
        )
    assert (first.status_code, again.status_code, again.content) == (200, 304, b"")

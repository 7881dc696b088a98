"""Resource limits of `search serve` (issue #7), probed with real sockets against a real
server: slow clients, idle connections, bodies nobody asked for, oversized headers.

Every check runs against each HTTP stack `search serve --http` offers (search.web.stack):
h11, which limits a request head itself, and httptools, which is given the same limit.
Only what the server guarantees is tested. uvicorn has no timeout for reading a
request's line and headers, so a slow client is not cut off: what is guaranteed, and
tested, is that it does not keep anyone else waiting.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from http_support import Server, rebuild_index, running_server

from benchmarks.generator import write_corpus
from search.config import HTTP_STACKS
from search.web.stack import HEAD_LIMIT, TIMEOUT_KEEP_ALIVE

PROMPT = 5.0  # seconds: a generous bound on "served promptly", never a benchmark
KEEP_ALIVE = float(TIMEOUT_KEEP_ALIVE)
HEADER_LIMIT = HEAD_LIMIT


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return an index of a small generated corpus."""
    folder = tmp_path_factory.mktemp("limits")
    write_corpus(folder / "seeds", 200, seed=5)
    rebuild_index(folder / "seeds", folder / "index")
    return folder / "index"


@pytest.fixture(scope="module", params=HTTP_STACKS)
def server(
    request: pytest.FixtureRequest, index: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """Yield a real server over the small corpus, on each HTTP stack in turn."""
    log_path = tmp_path_factory.mktemp(f"limits-{request.param}") / "server.log"
    with running_server(index, log_path, options=("--http", request.param)) as running:
        yield running
        log = running.log()
    assert "Traceback" not in log, log[-2000:]


@contextlib.contextmanager
def connection(server: Server, timeout: float = PROMPT) -> Iterator[socket.socket]:
    """Yield a raw TCP connection to the server (closed at the end)."""
    host, port = server.base_url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=timeout)
    try:
        yield sock
    finally:
        sock.close()


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Read one response (status, lower-cased headers, body by Content-Length) from `sock`."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {data[:200]!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed in the middle of a body"
        body += chunk
    return int(status_line.split()[1]), headers, body[:length]


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """Return True if the server closes `sock` within `seconds` (reading anything else)."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            if sock.recv(65536) == b"":
                return True
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True
    return False


def served_promptly(server: Server, path: str = "/api/search?q=market") -> None:
    """A new client is answered 200 within PROMPT seconds."""
    with httpx.Client(base_url=server.base_url, timeout=PROMPT) as http:
        started = time.monotonic()
        response = http.get(path)
        assert response.status_code == 200, response.text[:200]
        assert time.monotonic() - started < PROMPT


def test_slow_clients_do_not_keep_others_waiting(server: Server) -> None:
    stop = threading.Event()
    sent = [0] * 16  # bytes each slow client got out

    def trickle(number: int, sock: socket.socket, head: bytes) -> None:
        """Send a request line and headers a byte at a time, never finishing them."""
        with contextlib.suppress(OSError):
            for byte in head:
                if stop.wait(0.1):
                    return
                sock.sendall(bytes([byte]))
                sent[number] += 1

    head = b"GET /api/search?q=" + b"a" * 200 + b" HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"b" * 500
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(connection(server)) for _ in sent]
        threads = [
            threading.Thread(target=trickle, args=(n, s, head)) for n, s in enumerate(sockets)
        ]
        for thread in threads:
            thread.start()
        try:
            time.sleep(0.5)  # every slow client is connected and sending
            for _ in range(20):
                served_promptly(server)
            served_promptly(server, "/healthz")
        finally:
            stop.set()
            for thread in threads:
                thread.join()
    assert min(sent) >= 3  # every slow client was really at it meanwhile


def test_an_idle_connection_is_closed_after_the_keep_alive_timeout(server: Server) -> None:
    with connection(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        status, headers, _ = read_response(sock)
        assert status == 200
        assert headers.get("connection", "keep-alive") != "close"  # kept open, for now
        assert closed_within(sock, KEEP_ALIVE + PROMPT)


def test_a_body_sent_with_a_get_is_not_read(server: Server) -> None:
    with connection(server) as sock:
        # A gigabyte announced, 64 KiB sent, then nothing: the answer must not wait for it.
        sock.sendall(
            b"GET /api/search?q=market HTTP/1.1\r\nHost: x\r\n"
            b"Content-Length: 1000000000\r\n\r\n" + b"x" * 65536
        )
        status, headers, body = read_response(sock)
        assert status == 200
        assert headers["content-type"] == "application/json"
        assert b'"total"' in body
        # The rest of that body is never waited for: once the client is quiet for the
        # keep-alive timeout, the server closes the connection.
        assert closed_within(sock, KEEP_ALIVE + PROMPT)
    served_promptly(server)


def send_in_pieces(sock: socket.socket, data: bytes, piece: int, pause: float) -> None:
    """Send `data` `piece` bytes at a time, pausing between pieces, until all is sent or
    the server stops listening."""
    with contextlib.suppress(ConnectionResetError, BrokenPipeError):
        for start in range(0, len(data), piece):
            sock.sendall(data[start : start + piece])
            time.sleep(pause)


@pytest.mark.parametrize(
    ("head", "piece", "pause"),
    [
        # What is buffered of a head not yet complete is limited: one arriving in
        # pieces is refused once it passes the limit, whatever its pace.
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 4 * HEADER_LIMIT, 4096, 0.02),
        (
            b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
            + b"".join(b"X-H%d: %s\r\n" % (n, b"v" * 100) for n in range(600)),
            4096,
            0.02,
        ),
        (b"GET /api/search?q=" + b"a" * 4 * HEADER_LIMIT, 4096, 0.02),
        # a megabyte sent at once cannot arrive in one read either
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 2**20, 2**20, 0.0),
    ],
    ids=["one-huge-header", "many-headers", "huge-request-line", "megabyte-at-once"],
)
def test_oversized_request_heads_are_refused_not_served(
    server: Server, head: bytes, piece: int, pause: float
) -> None:
    with connection(server) as sock:
        send_in_pieces(sock, head + b"\r\n\r\n", piece, pause)
        try:
            status, headers, body = read_response(sock)
        except (ConnectionResetError, AssertionError):  # refused by closing: also fine
            status, headers, body = 0, {"connection": "close"}, b""
        assert (status, headers.get("connection")) in ((400, "close"), (0, "close")), body[:200]
        assert closed_within(sock, PROMPT)
    served_promptly(server)


def test_a_head_just_under_the_limit_is_served(server: Server) -> None:
    # The limit refuses abuse only: a request with a few KB of headers is answered.
    with connection(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 8000 + b"\r\n\r\n")
        status, _, body = read_response(sock)
    assert status == 200, body[:200]


def test_the_limit_is_per_request_on_a_kept_alive_connection(server: Server) -> None:
    # Heads of 10 KB each: under the limit one by one, over it together. Three in a
    # row on one connection, then two pipelined in one send, are all answered.
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 10_000 + b"\r\n\r\n"
    with connection(server) as sock:
        for _ in range(3):
            sock.sendall(head)
            assert read_response(sock)[0] == 200
        sock.sendall(head + head)
        assert read_statuses(sock, 2) == [200, 200]


def read_statuses(sock: socket.socket, count: int) -> list[int]:
    """Read `count` responses in a row from `sock` (bodies by Content-Length, so
    pipelined answers arriving together are told apart); return their statuses."""
    statuses = []
    with sock.makefile("rb") as stream:
        for _ in range(count):
            statuses.append(int(stream.readline().split()[1]))
            length = 0
            while (line := stream.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            stream.read(length)
    return statuses

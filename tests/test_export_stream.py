"""GET /api/export over real sockets, on a generated corpus of 3,000 seed files.

`search serve` streams it (chunked, read here line by line as it comes), row for row the
JSON API's hits. And the rows are searched as they are sent, not built up front: a
reader that stops reading holds the server back, so a new generation published
meanwhile reaches the rest of the export, which is then refused rather than mixed in,
as an incomplete download (search/export.py). That one runs uvicorn in this process, on
a socket with a small send buffer, so the kernel cannot soak up the whole export.
"""

from __future__ import annotations

import contextlib
import csv
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from http_support import Server, running_server
from test_export import COLUMNS, api_hits, expected_row

from benchmarks.generator import write_corpus
from search.config import HTTP_STACKS, Settings
from search.local.store.build import build_index
from search.web.app import create_app
from search.web.stack import server_options

SEED_FILES = 3_000


@dataclass
class Exporting:
    """A server over a generated index, and where its seeds and index are."""

    server: Server
    seeds: Path
    index: Path
    documents: int


@pytest.fixture(scope="module")
def exporting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exporting]:
    """Yield a real server over an index of SEED_FILES generated seed files."""
    folder = tmp_path_factory.mktemp("export-stream")
    write_corpus(folder / "seeds", SEED_FILES, seed=1)
    report = build_index(folder / "seeds", folder / "index", progress=False)
    with running_server(folder / "index", folder / "server.log") as server:
        yield Exporting(server, folder / "seeds", folder / "index", report.documents)
        log = server.log()
    assert "Traceback" not in log, log[-2000:]


def lines_of(chunks: Iterator[str]) -> Iterator[str]:
    """Yield the lines of a text stream as they complete, line endings kept (csv wants
    them, to read a quoted cell holding a line break)."""
    pending = ""
    for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split("\n")
        yield from (line + "\n" for line in complete)
    if pending:
        yield pending


def test_a_large_export_streams_row_for_row(exporting: Exporting) -> None:
    with exporting.server.client(timeout=60) as client:
        expected = [expected_row(hit) for hit in api_hits(client, {})]
        assert len(expected) == exporting.documents > 3_000
        with client.stream("GET", "/api/export") as response:
            assert response.status_code == 200
            assert response.headers["transfer-encoding"] == "chunked"
            assert "content-length" not in response.headers
            assert response.headers["x-export-rows"] == str(exporting.documents)
            reader = csv.reader(lines_of(response.iter_text()))
            assert next(reader) == COLUMNS
            rows = 0
            for row in reader:  # compared as each arrives
                assert row == expected[rows], rows
                rows += 1
        assert rows == exporting.documents


@contextlib.contextmanager
def narrow_server(index: Path) -> Iterator[str]:
    """Serve the app over `index` with uvicorn, in a thread of this process, on a socket
    whose send buffer is small and fixed (accepted connections inherit it): the kernel
    then holds a few dozen KB of a response for a reader who stops reading, not the
    megabytes its buffer autotuning would grant. Yield the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 32_768)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    app = create_app(Settings(index_dir=index))  # watching CURRENT, as `search serve` does
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", **server_options(HTTP_STACKS[0]))
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def test_pages_are_searched_while_sending_so_a_new_generation_stops_the_export(
    exporting: Exporting, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        narrow_server(exporting.index) as base_url,
        httpx.Client(base_url=base_url, timeout=60) as client,
        httpx.Client(base_url=base_url, timeout=60) as other,
    ):
        before = other.get("/healthz").json()["generation"]
        with client.stream("GET", "/api/export", params={"format": "jsonl"}) as response:
            assert response.headers["x-index-generation"] == before
            total = int(response.headers["x-export-rows"])
            chunks = response.iter_bytes()
            received = next(chunks)
            # Stop reading: the server fills the socket's buffers, then waits for room.
            # Meanwhile a rebuild publishes a new generation, and the server takes it up.
            report = build_index(exporting.seeds, exporting.index, incremental=True, progress=False)
            assert report.generation != before
            wait_for_generation(other, report.generation)
            with pytest.raises(httpx.RemoteProtocolError):  # the body ends incomplete
                for chunk in chunks:
                    received += chunk
        rows = received.decode("utf-8").splitlines()
        assert 0 < len(rows) < total / 2, "rows searched after the switch were not sent"
        # Running it again gives a whole export, of the new generation.
        again = client.get("/api/export", params={"format": "jsonl"})
        assert again.headers["x-index-generation"] == report.generation
        assert len(again.content.decode("utf-8").splitlines()) == total
    stopped = [r.getMessage() for r in caplog.records if r.name == "search.export"]
    assert len(stopped) == 1 and "the index changed during the export" in stopped[0]


def wait_for_generation(client: httpx.Client, generation: str, timeout: float = 30) -> None:
    """Wait until the server answers from `generation`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        health: dict[str, Any] = client.get("/healthz").json()
        if health["generation"] == generation:
            return
        time.sleep(0.05)
    raise AssertionError(f"the server did not take up {generation} in {timeout} s")

"""Real servers for the HTTP tests: `search serve` as a subprocess on a free loopback port.

Nothing here is mocked: the server is the installed console script run the way an
operator runs it, and indexes are built with `search rebuild-index`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

START_TIMEOUT = 30.0  # seconds for a server to answer /healthz; 2 cores, cold imports
STOP_TIMEOUT = 10.0  # seconds between SIGTERM and SIGKILL
# Variables of the outer shell that would change what a server does.
OUTER_SETTINGS = (
    "SEARCH_INDEX",
    "SEARCH_SEEDS",
    "SEARCH_CORS_ORIGINS",
    "SEARCH_QUERY_LOG",
    "SEARCH_QUERY_LOG_DIR",
)


def search_command() -> list[str]:
    """Return the command that runs the installed `search` console script."""
    script = Path(sys.executable).parent / "search"
    return [str(script)] if script.exists() else [sys.executable, "-m", "search"]


def clean_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return this process's environment without search settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in OUTER_SETTINGS}
    env.update(extra or {})
    return env


def free_port() -> int:
    """Return a loopback port that was free a moment ago (bind to 0, read, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def rebuild_index(seeds: Path, index: Path, *, incremental: bool = False) -> dict[str, Any]:
    """Run `search rebuild-index --json` and return its report (fails the test on exit != 0)."""
    done = subprocess.run(
        [
            *search_command(),
            "rebuild-index",
            "--seeds",
            str(seeds),
            "--index",
            str(index),
            "--json",
            *(["--incremental"] if incremental else []),
        ],
        capture_output=True,
        text=True,
        env=clean_environment(),
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"rebuild-index failed:\n{done.stdout}\n{done.stderr}"
    report: dict[str, Any] = json.loads(done.stdout)
    return report


@dataclass
class Server:
    """One running `search serve` process and where to reach it."""

    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path
    log_file: IO[bytes]
    leftovers: bool = False  # processes of its group outlived it (killed at stop)

    def log(self) -> str:
        """Return what the server printed so far (for failure messages)."""
        self.log_file.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def client(self, timeout: float = 15.0) -> httpx.Client:
        """Return a new HTTP client for this server (close it, or use it in a `with`)."""
        return httpx.Client(base_url=self.base_url, timeout=timeout)

    def stop(self) -> int:
        """Terminate the server (SIGTERM, then SIGKILL) and everything in its process
        group (uvicorn's workers); return the server's exit status."""
        process = self.process
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(STOP_TIMEOUT)
        # The group is the server's own (start_new_session): what is left are its workers.
        self.leftovers = not _group_gone(process.pid, STOP_TIMEOUT)
        if self.leftovers:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        self.log_file.close()
        return process.returncode


def _group_gone(group: int, timeout: float) -> bool:
    """Return True once no process of `group` is left (False after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def _wait_until_answering(server: Server) -> bool:
    """Return True once /healthz answers 200 or 503; False if the process died."""
    deadline = time.monotonic() + START_TIMEOUT
    with server.client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                return False
            try:
                if client.get("/healthz").status_code in (200, 503):
                    return True
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    raise AssertionError(f"server did not answer /healthz in {START_TIMEOUT} s:\n{server.log()}")


def start_server(
    index: Path,
    log_path: Path,
    *,
    workers: int = 1,
    env: Mapping[str, str] | None = None,
    options: Sequence[str] = (),
) -> Server:
    """Start `search serve --index INDEX --port <free port> [options]` and return it once
    it answers.

    The port is picked by binding to port 0 and closing the socket, so another process
    may take it in between: a server that dies at start is retried on a new port."""
    command = [
        *search_command(),
        *("serve", "--index", str(index), "--workers", str(workers), *options),
    ]
    for _attempt in range(3):
        port = free_port()
        log_file = log_path.open("wb")
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=clean_environment(env),
            cwd=log_path.parent,
            start_new_session=True,  # its own process group: workers are stopped with it
        )
        server = Server(process, f"http://127.0.0.1:{port}", log_path, log_file)
        if _wait_until_answering(server):
            return server
        log = server.log()
        server.stop()
        if "address already in use" not in log.lower():
            raise AssertionError(f"server exited at start:\n{log}")
    raise AssertionError("no free port for the server after 3 attempts")


@contextlib.contextmanager
def running_server(
    index: Path,
    log_path: Path,
    *,
    workers: int = 1,
    env: Mapping[str, str] | None = None,
    options: Sequence[str] = (),
) -> Iterator[Server]:
    """Run a server for the duration of the block; stop it whatever happens."""
    server = start_server(index, log_path, workers=workers, env=env, options=options)
    try:
        yield server
    finally:
        server.stop()


# The keys of the /api/search body (DESIGN.md 5), for the tests that check its shape.
SEARCH_KEYS = {
    "query",
    "total",
    "page",
    "per_page",
    "pages",
    "sort",
    "took_ms",
    "hits",
    "facets",
    "filters",
    "suggestion",
    "timeline",
}

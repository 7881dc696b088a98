"""Real servers and a real browser for the page tests (tests/test_page_*.py).

The server is the installed `search serve` console script on a free loopback port; the
browser is Debian's Chromium driven by Playwright. Nothing is mocked except the
internet: requests to any host but 127.0.0.1 get a 1x1 PNG, so external thumbnails
neither fail nor slow the tests down.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode, urlsplit

import httpx
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Page,
    Route,
    ViewportSize,
)

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START_TIMEOUT = 30.0  # seconds for `search serve` to answer; a loaded 2-core machine
STOP_TIMEOUT = 10.0
OUTER_SETTINGS = ("SEARCH_INDEX", "SEARCH_SEEDS", "SEARCH_CORS_ORIGINS")
# A transparent 1x1 PNG: the answer to every request for another host.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)

Pairs = list[tuple[str, str]]


def search_command() -> list[str]:
    """Return the command running the project's `search` console script."""
    for script in (ROOT / ".venv" / "bin" / "search", Path(sys.executable).parent / "search"):
        if script.exists():
            return [str(script)]
    return [sys.executable, "-m", "search"]


def free_port() -> int:
    """Return a loopback port that was free a moment ago (bind to 0, read, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@dataclass
class Server:
    """One running `search serve` process and its base URL."""

    process: subprocess.Popen[bytes]
    base: str
    log_path: Path
    log_file: IO[bytes]

    def log(self) -> str:
        """Return what the server printed so far."""
        self.log_file.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def api(self, pairs: Pairs) -> dict[str, Any]:
        """Return the /api/search body the page shows for query-string pairs (empty values
        dropped): grouped by story, as the page is, unless the pairs say otherwise."""
        kept = [(k, v) for k, v in pairs if v != ""]
        if not any(k == "group" for k, _ in kept):
            kept.append(("group", "story"))
        query = urlencode(kept)
        response = httpx.get(f"{self.base}/api/search?{query}", timeout=15.0)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def stop(self) -> None:
        """Stop the server: SIGTERM, then SIGKILL to its own process group."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # its own group (start_new_session)
        self.log_file.close()


def _answering(server: Server, port: int) -> bool:
    """Wait until this very process listens and /healthz answers; False if it died.

    The log line proves the port is ours: a port taken by another process between
    free_port() and the bind would otherwise let a stranger answer /healthz."""
    running = f"running on http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        if running in server.log():
            try:
                if httpx.get(f"{server.base}/healthz", timeout=2.0).status_code in (200, 503):
                    return True
            except httpx.TransportError:
                pass
        time.sleep(0.05)
    server.stop()
    raise AssertionError(f"`search serve` did not answer in {START_TIMEOUT} s:\n{server.log()}")


@contextlib.contextmanager
def running_server(index: Path, log_path: Path) -> Iterator[Server]:
    """Run `search serve --index INDEX --port <free port>` for the block's duration."""
    env = {k: v for k, v in os.environ.items() if k not in OUTER_SETTINGS}
    server: Server | None = None
    for _attempt in range(3):
        port = free_port()
        log_file = log_path.open("wb")
        process = subprocess.Popen(
            [*search_command(), "serve", "--index", str(index), "--port", str(port)],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        candidate = Server(process, f"http://127.0.0.1:{port}", log_path, log_file)
        if _answering(candidate, port):
            server = candidate
            break
        log = candidate.log()
        candidate.stop()
        if "address already in use" not in log.lower():
            raise AssertionError(f"`search serve` exited at start:\n{log}")
    if server is None:
        raise AssertionError("no free port for `search serve` after 3 attempts")
    try:
        yield server
    finally:
        server.stop()


def offline(route: Route) -> None:
    """Answer a request for another host with the 1x1 PNG."""
    route.fulfill(status=200, content_type="image/png", body=PIXEL)


def is_external(url: str) -> bool:
    """Return True for a URL whose host is not the loopback test server."""
    return urlsplit(url).hostname != "127.0.0.1"


@dataclass
class Tab:
    """A fresh browser context with one page, and what went wrong in it."""

    context: BrowserContext
    page: Page
    base: str
    errors: list[str] = field(default_factory=list)  # console errors and page errors
    dialogs: list[str] = field(default_factory=list)  # alert/confirm/prompt messages

    def goto(self, path: str) -> None:
        """Load `path` of the server (returns after the load event: search.js is wired)."""
        self.page.goto(self.base + path)

    @property
    def path(self) -> str:
        """Return the current URL without scheme and host ("/?q=...")."""
        parts = urlsplit(self.page.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")


def open_tab(
    browser: Browser,
    base: str,
    *,
    javascript: bool = True,
    viewport: ViewportSize | None = None,
) -> Tab:
    """Open a new context and page that record console errors, page errors and dialogs."""
    context = browser.new_context(
        java_script_enabled=javascript,
        viewport=viewport or {"width": 1280, "height": 900},
        service_workers="block",
    )
    context.set_default_timeout(15_000)
    context.route(is_external, offline)
    page = context.new_page()
    tab = Tab(context, page, base)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            tab.errors.append(f"console: {message.text} ({message.location.get('url', '')})")

    def on_page_error(error: Exception) -> None:
        tab.errors.append(f"pageerror: {error}")

    def on_dialog(dialog: Dialog) -> None:
        tab.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.on("dialog", on_dialog)
    return tab

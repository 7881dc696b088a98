"""The HTTP stack under `search serve`, and the limits it holds whichever is chosen.

Two stacks are selectable (`search serve --http`):

- `httptools` (the default): uvicorn's httptools parser (llhttp, in C) on uvloop, each
  answer's head and body written in one send (OneSendTransport): less CPU per request
  than the other (docs/BENCHMARKS.md, "Over HTTP").
- `h11`: uvicorn's pure-Python parser on asyncio's own loop, as served before.

What a slow or greedy client may hold is the same on both (README "Security";
tests/test_limits.py runs every check against each):

- a request line and headers past HEAD_LIMIT bytes: 400 and the connection closed. h11
  enforces it itself (`h11_max_incomplete_event_size`); httptools has no such limit (it
  would buffer a header value of any length), so `BoundedHttpToolsProtocol` counts the
  bytes of a head still incomplete and refuses it the same way;
- an idle connection is closed TIMEOUT_KEEP_ALIVE seconds after its last answer, and a
  body nobody reads (a GET with a gigabyte announced) is never waited for: both stacks'
  own behaviour, unchanged;
- at most LIMIT_CONCURRENCY connections and tasks; beyond, a 503 at once.

Neither has a timeout for reading a head: a client that never finishes one stays
connected (cheaply: one coroutine, no worker) until it leaves, keeping no one waiting.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from search.config import HTTP_STACKS

HEAD_LIMIT = 16 * 1024  # bytes of request line + headers; past it: 400, close
TIMEOUT_KEEP_ALIVE = 5  # seconds an idle connection stays open after an answer
LIMIT_CONCURRENCY = 256  # connections + tasks; beyond this, 503 at once, no queue
TIMEOUT_GRACEFUL_SHUTDOWN = 10  # seconds SIGTERM waits for requests in flight


HELD_HEAD = 8 * 1024  # bytes: a response head up to this size waits for its body
JOINED_BODY = 256 * 1024  # bytes: a body up to this size is joined to its head


class OneSendTransport:
    """A connection's transport that holds a response head back until the body follows
    in the same turn of the loop, and writes both at once.

    uvicorn writes a head and then its body; each write is a send() on a free socket,
    so every answer took two system calls and woke its client twice. A head is held
    at most until the loop's next turn (a response that streams sends it then)."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Write `data`, holding a response head back for its body."""
        held, self.held = self.held, None
        if held is not None and len(data) <= JOINED_BODY:
            self.transport.write(held + bytes(data))
            return
        if held is not None:
            self.transport.write(held)
        if held is None and len(data) <= HELD_HEAD and bytes(data[:5]) == b"HTTP/":
            self.held = bytes(data)
            asyncio.get_running_loop().call_soon(self.flush)
            return
        self.transport.write(data)

    def flush(self) -> None:
        """Write a head still held."""
        held, self.held = self.held, None
        if held is not None:
            self.transport.write(held)

    def close(self) -> None:
        """Write what is held, then close."""
        self.flush()
        self.transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing a request head longer than HEAD_LIMIT
    bytes with a 400 and closing the connection, as h11 does; each answer's head and
    body leave in one send (OneSendTransport)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Take the connection, writing through a OneSendTransport."""
        super().connection_made(OneSendTransport(transport))  # type: ignore[arg-type]

    # Bytes received since the current head began (or the last message ended) while
    # no head was complete: every byte a head may take, wherever llhttp buffers it.
    head_bytes = 0
    reading_head = True

    def data_received(self, data: bytes) -> None:
        """Parse `data`, refusing a head that grows past HEAD_LIMIT bytes."""
        if self.reading_head:
            self.head_bytes += len(data)
        super().data_received(data)
        if self.reading_head and self.head_bytes > HEAD_LIMIT and not self.transport.is_closing():
            self.logger.warning("Request head larger than %d bytes refused.", HEAD_LIMIT)
            self.send_400_response("Request head too large.")

    def on_headers_complete(self) -> None:
        """Count the next head from zero, then start answering this request."""
        self.reading_head, self.head_bytes = False, 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        """What arrives next is the next request's head."""
        self.reading_head = True
        super().on_message_complete()


def server_options(stack: str) -> dict[str, Any]:
    """Return uvicorn's options for `stack` (one of HTTP_STACKS): parser, loop and limits."""
    limits: dict[str, Any] = {
        "timeout_keep_alive": TIMEOUT_KEEP_ALIVE,
        "limit_concurrency": LIMIT_CONCURRENCY,
        "timeout_graceful_shutdown": TIMEOUT_GRACEFUL_SHUTDOWN,
    }
    if stack == "h11":
        return {
            **limits,
            "http": "h11",
            "loop": "asyncio",
            "h11_max_incomplete_event_size": HEAD_LIMIT,
        }
    if stack == "httptools":
        # By import path: a pool's workers are spawned and load it themselves.
        return {**limits, "http": f"{__name__}:BoundedHttpToolsProtocol", "loop": "uvloop"}
    raise ValueError(f"unknown HTTP stack {stack!r}; expected one of: {', '.join(HTTP_STACKS)}")

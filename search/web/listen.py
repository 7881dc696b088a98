"""The listening socket for a pool of server workers, with TCP_NODELAY.

uvicorn binds the socket of a worker pool itself with socket.socket(family), whose
protocol number is 0, and asyncio only sets TCP_NODELAY on connections of sockets
made with IPPROTO_TCP. Responses are written in two parts (head, then body), so
without it Nagle's algorithm held every body back until the client's delayed ACK:
~40 ms per request. A listening socket's TCP_NODELAY is inherited by the connections
it accepts, so binding it here and handing uvicorn the descriptor fixes every worker.
"""

from __future__ import annotations

import socket


def listening_socket(host: str, port: int) -> socket.socket:
    """Return a socket bound to host:port and listening, with TCP_NODELAY, inheritable
    by worker processes (raises OSError when the address is taken)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock

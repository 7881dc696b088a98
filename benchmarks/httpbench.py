"""HTTP benchmark: /api/search under uvicorn at 8 concurrent clients, against a no-op
Starlette endpoint in the same server (the ceiling of the HTTP stack on this machine).

The load comes from wrk (Debian package `wrk`) when it is installed; without it, from
an asyncio httpx client, which is itself slow enough to cap both figures (the output
says which was used).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from benchmarks.querylog import LoggedQuery, query_log
from benchmarks.searchbench import prepare
from search.web.app import create_app
from search.web.listen import listening_socket


async def _noop(request: Request) -> Response:
    return JSONResponse({"ok": True})


def create_bench_app() -> Starlette:
    """Return the real app with a no-op JSON endpoint at /noop (uvicorn --factory)."""
    app = create_app()
    app.router.routes.insert(0, Route("/noop", _noop))
    return app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _path(entry: LoggedQuery) -> str:
    params = {
        "q": entry.q,
        "topic": entry.topic,
        "from": entry.date_from.isoformat(),
        "to": entry.date_to.isoformat(),
    }
    return "/api/search?" + urlencode(params)


def _rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Return a memory figure of `pid` in MB: VmRSS (all resident pages, including the
    index files' pages mapped from the page cache, which workers share) or RssAnon (the
    process's own memory)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


# Runs the bench app under uvicorn with `search serve`'s HTTP stack and limits
# (argv: stack, workers, then --fd N or --port N), its access log off.
_RUNNER = """
import sys, uvicorn
from search.web.stack import server_options
stack, workers, how, where = sys.argv[1:5]
uvicorn.run("benchmarks.httpbench:create_bench_app", factory=True, host="127.0.0.1",
            workers=int(workers), access_log=False, log_level="warning", server_header=False,
            **{how.lstrip("-"): int(where)}, **server_options(stack))
"""


class Server:
    """A uvicorn process serving the bench app over an index, on the HTTP stack `stack`
    (search.web.stack) as `search serve --http` would."""

    def __init__(
        self, index: Path, cache: bool, workers: int = 1, stack: str = "httptools"
    ) -> None:
        self.workers = workers
        env = {
            **os.environ,
            "SEARCH_INDEX": str(index),
            "SEARCH_RESULT_CACHE": "1" if cache else "0",
        }
        # A pool listens on a socket made here, as `search serve` does: uvicorn's own
        # lacks TCP_NODELAY, which costs every request ~40 ms (search.web.listen).
        self.socket = listening_socket("127.0.0.1", 0) if workers > 1 else None
        self.port = self.socket.getsockname()[1] if self.socket else _free_port()
        where = ["--fd", str(self.socket.fileno())] if self.socket else ["--port", str(self.port)]
        self.process = subprocess.Popen(
            [sys.executable, "-c", _RUNNER, stack, str(workers), *where],
            env=env,
            pass_fds=[self.socket.fileno()] if self.socket else [],
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("the benchmark server did not start")

    @property
    def base(self) -> str:
        """Return the server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def rss_mb(self, field: str = "VmRSS") -> float:
        """Return a memory figure of the (largest) serving process in MB."""
        if self.workers == 1:
            return _rss_mb(self.process.pid, field)
        children = [
            int(p.name)
            for p in Path("/proc").iterdir()
            if p.name.isdigit() and _parent(int(p.name)) == self.process.pid
        ]
        return max((_rss_mb(pid, field) for pid in children), default=float("nan"))

    def stop(self) -> None:
        """Stop the server."""
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        if self.socket:
            self.socket.close()


def _wrk(base: str, paths: list[str], seconds: int, connections: int) -> dict[str, float]:
    lines = ",\n".join(f'  "{p}"' for p in paths)
    script = (
        f"local paths = {{\n{lines}\n}}\nlocal i = 0\n"
        "request = function()\n  i = i + 1\n"
        '  return wrk.format("GET", paths[(i % #paths) + 1])\nend\n'
        "done = function(summary, latency, requests)\n"
        '  io.write(string.format("RESULT %d %d %d %f %f %f %f\\n", summary.requests,\n'
        "    summary.errors.status + summary.errors.connect + summary.errors.read\n"
        "    + summary.errors.write + summary.errors.timeout, summary.duration,\n"
        "    latency:percentile(50), latency:percentile(95), latency:percentile(99),\n"
        "    latency.max))\nend\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        out = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", handle.name, base],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        Path(handle.name).unlink()
    match = re.search(r"RESULT (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+)", out)
    if not match:
        raise RuntimeError(f"unexpected wrk output: {out}")
    requests, errors, micros = (int(match.group(i)) for i in (1, 2, 3))
    p50, p95, p99, worst = (float(match.group(i)) / 1000 for i in (4, 5, 6, 7))
    return {
        "rps": requests / (micros / 1e6),
        "requests": requests,
        "errors": errors,
        "p50_ms": p50,
        "p95_ms": p95,
        "p99_ms": p99,
        "max_ms": worst,
    }


async def _python_load(base: str, paths: list[str], seconds: int, clients: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    stop_at = time.monotonic() + seconds
    counter = iter(range(10**9))

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.monotonic() < stop_at:
            path = paths[next(counter) % len(paths)]
            started = time.perf_counter()
            response = await http.get(path)
            latencies.append((time.perf_counter() - started) * 1000)
            errors += response.status_code != 200

    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        started = time.monotonic()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        elapsed = time.monotonic() - started
    latencies.sort()

    def pct(f: float) -> float:
        return latencies[min(len(latencies) - 1, int(f * len(latencies)))]

    return {
        "rps": len(latencies) / elapsed,
        "requests": len(latencies),
        "errors": errors,
        "p50_ms": pct(0.5),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "max_ms": latencies[-1],
    }


def load(base: str, paths: list[str], seconds: int, connections: int = 8) -> dict[str, Any]:
    """Return throughput and latency of `paths` replayed round-robin for `seconds`."""
    if shutil.which("wrk"):
        return {"tool": "wrk", **_wrk(base, paths, seconds, connections)}
    return {"tool": "httpx", **asyncio.run(_python_load(base, paths, seconds, connections))}


def bench_http(
    workdir: Path,
    size: int,
    seconds: int,
    queries: int,
    workers: int = 1,
    stack: str = "httptools",
    index: Path | None = None,
) -> dict[str, Any]:
    """Measure no-op, cached and uncached /api/search over HTTP on `stack`; return the
    figures. `index`: an index of the size's corpus already built (else built here)."""
    index = index or prepare(workdir, size)["ours"]
    log_paths = [_path(e) for e in query_log(queries)]
    result: dict[str, Any] = {
        "size": size,
        "seconds": seconds,
        "connections": 8,
        "workers": workers,
        "stack": stack,
    }
    server = Server(index, cache=True, workers=workers, stack=stack)
    try:
        for path in dict.fromkeys(log_paths):  # warm: every distinct request answered once
            httpx.get(server.base + path, timeout=60)
        result["noop"] = load(server.base, ["/noop"], seconds)
        result["cached"] = load(server.base, log_paths, seconds)
        result["rss_mb_cached_server"] = round(server.rss_mb(), 1)
        result["private_mb_cached_server"] = round(server.rss_mb("RssAnon"), 1)
    finally:
        server.stop()
    server = Server(index, cache=False, workers=workers, stack=stack)
    try:
        for path in log_paths[:100]:  # warm the postings, not answers (the cache is off)
            httpx.get(server.base + path, timeout=60)
        result["uncached"] = load(server.base, log_paths, seconds)
        result["rss_mb_uncached_server"] = round(server.rss_mb(), 1)
        result["private_mb_uncached_server"] = round(server.rss_mb("RssAnon"), 1)
    finally:
        server.stop()
    result["cached_vs_noop"] = round(result["cached"]["rps"] / result["noop"]["rps"], 3)
    return result


def format_http(result: dict[str, Any]) -> str:
    """Return the HTTP benchmark as text."""
    lines = [
        f"HTTP ({result.get('stack', 'h11')}), {result['size']} seed files, "
        f"{result['workers']} worker(s), "
        f"{result['connections']} connections, "
        f"{result['seconds']} s each (load: {result['noop']['tool']})",
        f"{'endpoint':<22} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}",
    ]
    for name in ("noop", "cached", "uncached"):
        row = result[name]
        lines.append(
            f"{name:<22} {row['rps']:>8.0f} {row['p50_ms']:>8.2f} {row['p95_ms']:>8.2f} "
            f"{row['p99_ms']:>8.2f} {row['errors']:>7}"
        )
    lines.append(
        f"cached /api/search vs no-op: {result['cached_vs_noop']:.1%} of its req/s (target >= 40%)"
    )
    lines.append(f"uncached p99: {result['uncached']['p99_ms']:.1f} ms (target < 100 ms)")
    lines.append(
        f"server memory: {result['rss_mb_cached_server']:.0f} MB with cache, "
        f"{result['rss_mb_uncached_server']:.0f} MB without (target < 500 MB per worker)"
    )
    lines.append(
        f"  of which private (not shared index pages): {result['private_mb_cached_server']:.0f} "
        f"MB and {result['private_mb_uncached_server']:.0f} MB"
    )
    if result["workers"] > 1:
        lines.append("(each worker keeps its own answer cache, and memory is per worker)")
    return "\n".join(lines)

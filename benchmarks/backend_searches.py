"""The filters-and-facets workload against both backends: the benchmarks' query log
with facets on and every other query filtered by a topic and a two-year range, no answer
cache anywhere; in process through Backend.search and over HTTP through one `search
serve` worker per backend (benchmarks.backends runs it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from benchmarks.httpbench import _free_port, _rss_mb, load
from benchmarks.measure import median, percentile
from benchmarks.querylog import LoggedQuery
from search.backend import Backend
from search.request import SearchRequest

WARMUP = 100  # queries answered before timing: postings, caches, the JVM's JIT


def load_average() -> float:
    """Return the one-minute load average (2 cores: above 2, work waits for a core)."""
    return round(os.getloadavg()[0], 1)


def memory(pid: int) -> dict[str, float]:
    """Return the process's resident memory in MB: all of it and its own (anonymous)."""
    return {"rss_mb": round(_rss_mb(pid), 1), "private_mb": round(_rss_mb(pid, "RssAnon"), 1)}


def request_for(number: int, entry: LoggedQuery) -> SearchRequest:
    """Return the workload's request: facets on, every other query filtered."""
    if number % 2:
        return SearchRequest(
            q=entry.q,
            filters={"topic": (entry.topic,)},
            date_from=entry.date_from,
            date_to=entry.date_to,
        )
    return SearchRequest(q=entry.q)


def path_for(number: int, entry: LoggedQuery) -> str:
    """Return the workload's request as an /api/search path."""
    params = {"q": entry.q}
    if number % 2:
        params |= {
            "topic": entry.topic,
            "from": entry.date_from.isoformat(),
            "to": entry.date_to.isoformat(),
        }
    return "/api/search?" + urlencode(params)


def summarise(times: list[float]) -> dict[str, float]:
    """Return the median, p95 and p99 (nearest rank) of `times` in ms."""
    return {
        "p50_ms": round(median(times), 2),
        "p95_ms": round(percentile(times, 0.95), 2),
        "p99_ms": round(percentile(times, 0.99), 2),
    }


def bench_in_process(backends: dict[str, Backend], log: list[LoggedQuery]) -> dict[str, Any]:
    """Answer every query with every backend in turn; return latencies and agreement."""
    for backend in backends.values():
        backend.warm()
    for number, entry in enumerate(log[:WARMUP]):
        for backend in backends.values():
            backend.search(request_for(number, entry))
    names = list(backends)
    times: dict[str, list[float]] = {name: [] for name in names}
    differ: list[dict[str, Any]] = []
    before = load_average()
    for number, entry in enumerate(log):
        request = request_for(number, entry)
        totals = {}
        for name in names[number % len(names) :] + names[: number % len(names)]:
            started = time.perf_counter()
            totals[name] = backends[name].search(request).total
            times[name].append((time.perf_counter() - started) * 1000)
        if len(set(totals.values())) > 1:
            differ.append({"number": number, "q": entry.q, "totals": totals})
    result: dict[str, Any] = {name: summarise(values) for name, values in times.items()}
    result |= {"queries": len(log), "same_total": len(log) - len(differ), "differ": differ}
    result["load"] = [before, load_average()]
    return result


class Serve:
    """One `search serve` worker with the answer cache off, for one backend."""

    def __init__(self, backend: str, index: Path, url: str, slots: int = 1) -> None:
        self.port = _free_port()
        where = ["--index", str(index), "--port", str(self.port), "--workers", "1"]
        options = ["--backend", backend, *(["--opensearch-url", url] if url else [])]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "search", "serve", *where, *options],
            env={**os.environ, "SEARCH_RESULT_CACHE": "0", "SEARCH_SLOTS": str(slots)},
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"search serve --backend {backend} did not become healthy")

    @property
    def base(self) -> str:
        """Return the server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL)."""
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def bench_http(
    index: Path,
    url: str,
    log: list[LoggedQuery],
    seconds: int,
    rounds: int,
    jvm: int | None,
    slots: int = 1,
) -> dict[str, Any]:
    """Load each backend's server in turn, `rounds` times; return per-round figures,
    their medians and each server's memory afterwards. With `slots` > 1, a third server
    lets that many OpenSearch searches run at once (SEARCH_SLOTS): a worker waiting on
    the cluster holds no core, unlike a local search."""
    paths = [path_for(number, entry) for number, entry in enumerate(log)]
    servers = {"local": Serve("local", index, ""), "opensearch": Serve("opensearch", index, url)}
    if slots > 1:
        servers[f"opensearch-slots{slots}"] = Serve("opensearch", index, url, slots)
    result: dict[str, Any] = {"seconds": seconds, "connections": 8, "rounds": {}}
    try:
        for server in servers.values():
            for path in paths[:WARMUP]:
                httpx.get(server.base + path, timeout=60)
        names = list(servers)
        for round_number in range(rounds):
            turn = round_number % len(names)
            order = names[turn:] + names[:turn]
            for name in order:
                before = load_average()
                figures = load(servers[name].base, paths, seconds)
                figures["load"] = [before, load_average()]
                result["rounds"].setdefault(name, []).append(figures)
                print(name, json.dumps(figures), file=sys.stderr, flush=True)  # noqa: T201
        for name, server in servers.items():
            runs = result["rounds"][name]
            result[name] = {
                key: round(median([r[key] for r in runs]), 2)
                for key in ("rps", "p50_ms", "p95_ms", "p99_ms")
            } | {"errors": sum(r["errors"] for r in runs), "tool": runs[0]["tool"]}
            result[name]["server"] = memory(server.process.pid)
        if jvm is not None:
            result["jvm"] = memory(jvm)
    finally:
        for server in servers.values():
            server.stop()
    return result

"""HTTP servers side by side: `search serve` from several source trees or with several
options, uncached /api/search at 8 connections, runs interleaved round by round.

    python -m benchmarks.httpstacks --index DIR \\
        --server 'before=/tmp/old-tree without:uvloop' --server 'after=.' \\
        --server 'after, h11=. --http h11' [--workers 1] [--rounds 3] [--seconds 10] \\
        [--queries 1000] [--json PATH]

A server is `NAME=TREE [serve options] [without:MODULE ...]`: `search serve` run with
PYTHONPATH=TREE (so each tree's own web layer and engine answer), its extra options,
and the named modules made unimportable (`without:uvloop`: a tree that lets uvicorn
pick its loop gets asyncio's, as before uvloop was installed). Every server runs
at once over the same index, each with `SEARCH_RESULT_CACHE=0`, its query log and
access log on (as in production) into a scratch folder; each answers the first 100
logged requests untimed, then wrk loads one server at a time for `--seconds`, the order
rotating each round, so the machine's noise falls on all alike. The load is the
benchmarks' query log (benchmarks.querylog) as /api/search with q, topic, from and to,
round-robin, as `bench http` replays it. Reports the median of the rounds per server
(and the range), the ratio to the first server, the server's CPU time per request
(user + system, all its processes: less swayed by the machine's other work than
requests per second), and the load average of each run.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks.httpbench import _free_port, _path, load
from benchmarks.measure import machine, median
from benchmarks.querylog import query_log

# Runs `search serve` with some modules unimportable (argv[1]: comma-separated names).
_RUNNER = """
import sys
for name in filter(None, sys.argv.pop(1).split(",")):
    sys.modules[name] = None
from search.cli import main
sys.argv[0] = "search"
main()
"""
START_TIMEOUT = 180.0  # seconds: opening and warming a 100,000-file index on a busy machine


@dataclass
class Spec:
    """One server to compare: its name, source tree, serve options and hidden modules."""

    name: str
    tree: Path
    options: list[str]
    without: list[str]

    @classmethod
    def parse(cls, text: str) -> Spec:
        """Return the spec of `NAME=TREE [options] [without:MODULE ...]`."""
        name, _, rest = text.partition("=")
        tree, *words = shlex.split(rest)
        without = [w.removeprefix("without:") for w in words if w.startswith("without:")]
        options = [w for w in words if not w.startswith("without:")]
        return cls(name.strip(), Path(tree).resolve(), options, without)


class Served:
    """A `search serve` process started from a Spec, on its own port."""

    def __init__(self, spec: Spec, index: Path, workers: int, scratch: Path) -> None:
        self.spec = spec
        port = _free_port()
        self.base = f"http://127.0.0.1:{port}"
        folder = scratch / spec.name.replace(" ", "_").replace(",", "")
        folder.mkdir()
        env = {
            **os.environ,
            "PYTHONPATH": str(spec.tree),
            "SEARCH_RESULT_CACHE": "0",
            "SEARCH_QUERY_LOG_DIR": str(folder / "queries"),
        }
        self.log = (folder / "server.log").open("wb")
        command = [sys.executable, "-c", _RUNNER, ",".join(spec.without), "serve"]
        command += ["--index", str(index), "--port", str(port), "--workers", str(workers)]
        self.process = subprocess.Popen(
            [*command, *spec.options],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait(self) -> None:
        """Return once the server answers /healthz with 200 (raise if it died)."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server {self.spec.name!r} exited: see its server.log")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"server {self.spec.name!r} did not start")

    def stop(self) -> None:
        """Stop the server and its workers."""
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def _cpu_seconds(root: int) -> float:
    """Return the CPU time (user + system) used so far by `root` and its descendants."""
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
            used[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    tree, grew = {root}, True
    while grew:
        found = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= found
        grew = bool(found)
    return sum(used.get(pid, 0.0) for pid in tree)


def _load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def compare(
    specs: list[Spec], index: Path, workers: int, rounds: int, seconds: int, queries: int
) -> dict[str, Any]:
    """Run every server, load each in turn `rounds` times; return runs and medians."""
    paths = [_path(entry) for entry in query_log(queries)]
    runs: dict[str, list[dict[str, Any]]] = {spec.name: [] for spec in specs}
    with tempfile.TemporaryDirectory(prefix="httpstacks-") as scratch:
        servers = [Served(spec, index, workers, Path(scratch)) for spec in specs]
        try:
            for server in servers:
                server.wait()
                with httpx.Client(base_url=server.base, timeout=60) as http:
                    for path in paths[:100]:  # warm the postings, not answers
                        http.get(path)
            for number in range(rounds):
                turn = number % len(servers)
                for server in servers[turn:] + servers[:turn]:
                    before, cpu = _load_average(), _cpu_seconds(server.process.pid)
                    row = load(server.base, paths, seconds)
                    cpu = _cpu_seconds(server.process.pid) - cpu
                    row["cpu_ms_per_request"] = 1000 * cpu / max(1, int(row["requests"]))
                    runs[server.spec.name].append({**row, "load_before": before})
        finally:
            for server in servers:
                server.stop()
    first = specs[0].name
    summary = {name: _summary(rows) for name, rows in runs.items()}
    for row in summary.values():
        row["rps_vs_first"] = round(row["rps"] / summary[first]["rps"], 3)
    return {
        "machine": machine(),
        "index": str(index),
        "workers": workers,
        "connections": 8,
        "seconds": seconds,
        "rounds": rounds,
        "servers": {
            s.name: {"tree": str(s.tree), "options": s.options, "without": s.without} for s in specs
        },
        "summary": summary,
        "runs": runs,
    }


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("rps", "cpu_ms_per_request", "p50_ms", "p95_ms", "p99_ms", "max_ms"):
        values = [float(row[key]) for row in rows]
        out[key] = round(median(values), 2)
        out[f"{key}_range"] = [round(min(values), 2), round(max(values), 2)]
    out["errors"] = sum(int(row["errors"]) for row in rows)
    return out


def format_compare(result: dict[str, Any]) -> str:
    """Return the comparison as a text table."""
    loads = [row["load_before"] for rows in result["runs"].values() for row in rows]
    lines = [
        f"uncached /api/search, {result['workers']} worker(s), {result['connections']} "
        f"connections, {result['rounds']} rounds of {result['seconds']} s per server, "
        f"interleaved (load average {min(loads):.1f} to {max(loads):.1f})",
        f"{'server':<22} {'req/s':>8} {'range':>13} {'vs first':>9} {'CPU ms/req':>10} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'p99 range':>15} {'errors':>6}",
    ]
    for name, row in result["summary"].items():
        low, high = row["rps_range"]
        p99_low, p99_high = row["p99_ms_range"]
        lines.append(
            f"{name:<22} {row['rps']:>8.0f} {f'{low:.0f}-{high:.0f}':>13} "
            f"{row['rps_vs_first']:>8.2f}x {row['cpu_ms_per_request']:>10.2f} "
            f"{row['p50_ms']:>8.2f} {row['p95_ms']:>8.2f} "
            f"{row['p99_ms']:>8.2f} {f'{p99_low:.1f}-{p99_high:.1f}':>15} {row['errors']:>6}"
        )
    return "\n".join(lines)


def main() -> None:
    """Parse the command line, compare, print the table, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--server", action="append", required=True, type=Spec.parse)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    result = compare(args.server, args.index, args.workers, args.rounds, args.seconds, args.queries)
    print(format_compare(result))  # noqa: T201 - the report
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

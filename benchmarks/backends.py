"""Both backends side by side on one machine: the build, the filters-and-facets workload
in process and over HTTP, and memory.

    python -m benchmarks.backends --seeds DIR --workdir DIR [--heap 1g]
        [--builds local,opensearch:500,opensearch:2000] [--no-searches]

The local backend builds a generation in the work folder; the OpenSearch backend builds
on a real node this harness starts from Maven Central's jars (.ci/opensearch/launch.py,
one node, the heap given) unless --opensearch-url names a running one. Builds run end to
end in a fresh interpreter each (reading, merging, stories, writing), one after the other
in each round. The search workload is the benchmarks' query log with facets on and every
other query filtered by a topic and a two-year range; no answer cache anywhere. In
process, each query goes to both backends in turn (rotating who goes first); over HTTP,
each backend has one `search serve` worker and the load tool alternates between them.
The load average is recorded at every step: the figures are only comparable within a
run, and only as far as the machine was equally busy throughout.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import click
import httpx

from benchmarks.backend_searches import bench_http, bench_in_process, load_average
from benchmarks.build import corpus
from benchmarks.httpbench import _rss_mb
from benchmarks.measure import machine, run_child
from benchmarks.querylog import query_log
from search.backend import Backend

ROOT = Path(__file__).resolve().parent.parent
LAUNCHER = ROOT / ".ci" / "opensearch" / "launch.py"
ALIAS = "news"

# One build in a fresh interpreter, as `search rebuild-index` runs it; prints the count.
_BUILD = """
import json, sys
from pathlib import Path
from search.backend import build_index
from search.config import Settings
backend, seeds, index, url, chunk = sys.argv[1:6]
if backend == "opensearch":
    import search.opensearch.indexer as indexer
    indexer.BULK_CHUNK = int(chunk)
settings = Settings(backend=backend, opensearch_url=url or None)
report = build_index(Path(seeds), Path(index), progress=False, settings=settings)
print(json.dumps({"documents": report.documents}))
"""


def _launcher() -> ModuleType:
    """Return .ci/opensearch/launch.py as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("opensearch_launch", LAUNCHER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["opensearch_launch"] = module
    spec.loader.exec_module(module)
    return module


# "g1": OpenSearch's own jvm.options (G1, the full JIT); "serial": the launcher's flags
# for 2-core test machines (serial GC, the C1 compiler only, no compiler threads for C2).
JVM_FLAGS = {
    "g1": ["-XX:+UseG1GC"],
    "serial": ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"],
}


def start_node(folder: Path, heap: str, flags: str) -> Any:
    """Start one OpenSearch node with production JVM flags; return the launcher's Cluster
    (its stop() stops it) once it is healthy."""
    launch = _launcher()
    launch.build()
    cluster = launch.Cluster(folder, size=1, heap=heap)
    node = cluster.nodes[0]
    node.home.mkdir(parents=True, exist_ok=True)
    java = Path(os.environ["JAVA_HOME"]) / "bin" / "java" if "JAVA_HOME" in os.environ else "java"
    command = [str(java), f"-Xms{heap}", f"-Xmx{heap}", *JVM_FLAGS[flags]]
    command += ["-Djava.awt.headless=true", "-Dlog4j2.disable.jmx=true"]
    command += ["-cp", f"{launch.JAR}{os.pathsep}{launch.LIB}/*", "dev.newssearch.DevNode"]
    with (node.home / "out.log").open("ab") as log:
        node.process = subprocess.Popen(
            command + cluster.settings(node), stdout=log, stderr=subprocess.STDOUT
        )
    cluster.wait()
    return cluster


@contextmanager
def peak_rss(pid: int | None) -> Iterator[dict[str, float]]:
    """Sample `pid`'s RSS every 0.2 s while the block runs; yield {"peak_mb": ...}."""
    found = {"peak_mb": 0.0}
    done = threading.Event()

    def sample() -> None:
        while pid is not None and not done.is_set():
            found["peak_mb"] = max(found["peak_mb"], round(_rss_mb(pid), 1))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield found
    finally:
        done.set()
        sampler.join()


def parse_builds(text: str) -> list[tuple[str, int]]:
    """Return the builds "local,opensearch:500,..." names: (backend, bulk chunk or 0)."""
    variants = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        backend, _, chunk = item.partition(":")
        if backend not in ("local", "opensearch") or (backend == "local") != (not chunk):
            raise click.BadParameter(f"{item!r}: expected local or opensearch:CHUNK")
        variants.append((backend, int(chunk or 0)))
    return variants


def bench_builds(
    seeds: Path,
    folder: Path,
    url: str,
    variants: list[tuple[str, int]],
    rounds: int,
    jvm: int | None,
) -> list[dict[str, Any]]:
    """Run each build (OpenSearch's with its bulk chunk size) `rounds` times, one after
    the other in each round; return one row per build."""
    rows = []
    for round_number in range(rounds):
        for backend, chunk in variants:
            index = folder / "index-local"
            if backend == "local":
                shutil.rmtree(index, ignore_errors=True)
            before = load_average()
            with peak_rss(jvm if backend == "opensearch" else None) as node:
                run = run_child(_BUILD, backend, str(seeds), str(index), url, str(chunk))
            documents = int(run.output["documents"])  # type: ignore[call-overload]
            row = {
                "round": round_number + 1,
                "backend": backend,
                "bulk_chunk": chunk or None,
                "documents": documents,
                "seconds": round(run.seconds, 1),
                "docs_per_s": round(documents / run.seconds, 1),
                "builder_peak_mb": round(run.peak_mb, 1),
                "jvm_peak_mb": node["peak_mb"] if backend == "opensearch" else None,
                "load": [before, load_average()],
            }
            print(json.dumps(row), file=sys.stderr, flush=True)  # noqa: T201
            rows.append(row)
    return rows


def index_sizes(index: Path, url: str) -> dict[str, float]:
    """Return each backend's index on disk in MB (OpenSearch: the primaries' store)."""
    local = sum(f.stat().st_size for f in index.rglob("*") if f.is_file()) / 2**20
    stats = httpx.get(f"{url}/{ALIAS}/_stats/store", timeout=30).json()
    remote = stats["_all"]["primaries"]["store"]["size_in_bytes"] / 2**20
    return {"local_mb": round(local, 1), "opensearch_mb": round(remote, 1)}


def format_report(report: dict[str, Any]) -> str:
    """Return the report as text tables."""
    lines = [f"machine: {report['machine']}", "build, end to end (a fresh interpreter each)"]
    lines.append(
        f"{'backend':<11} {'chunk':>6} {'docs':>7} {'seconds':>8} {'docs/s':>7} "
        f"{'builder MB':>10} {'JVM MB':>7} {'load':>10}"
    )
    for row in report.get("build", []):
        lines.append(
            f"{row['backend']:<11} {row['bulk_chunk'] or '':>6} {row['documents']:>7} "
            f"{row['seconds']:>8.1f} {row['docs_per_s']:>7.0f} {row['builder_peak_mb']:>10.0f} "
            f"{row['jvm_peak_mb'] or '':>7} {'-'.join(map(str, row['load'])):>10}"
        )
    if "in_process" in report:
        found = report["in_process"]
        lines.append(
            f"in process, {found['queries']} queries (facets on, every other filtered), "
            f"load {'-'.join(map(str, found['load']))}; same total: {found['same_total']}"
        )
        for name in ("local", "opensearch"):
            row = found[name]
            lines.append(
                f"  {name:<11} p50 {row['p50_ms']:>7.2f}  p95 {row['p95_ms']:>7.2f}  "
                f"p99 {row['p99_ms']:>7.2f} ms"
            )
    if "http" in report:
        found = report["http"]
        lines.append(
            f"HTTP, one worker each, {found['connections']} connections, {found['seconds']} s "
            f"per round, median of rounds (load: {found['local']['tool']})"
        )
        for name in found["rounds"]:
            row = found[name]
            loads = ", ".join("-".join(map(str, r["load"])) for r in found["rounds"][name])
            lines.append(
                f"  {name:<19} {row['rps']:>6.1f} req/s  p50 {row['p50_ms']:>7.1f}  "
                f"p95 {row['p95_ms']:>7.1f}  p99 {row['p99_ms']:>7.1f} ms  "
                f"errors {row['errors']}  server RSS {row['server']['rss_mb']:.0f} MB "
                f"(private {row['server']['private_mb']:.0f})  load {loads}"
            )
        if "jvm" in found:
            jvm = found["jvm"]
            lines.append(
                f"  OpenSearch JVM RSS {jvm['rss_mb']:.0f} MB (private {jvm['private_mb']:.0f})"
            )
    if "index_mb" in report:
        sizes = report["index_mb"]
        lines.append(
            f"index on disk: local {sizes['local_mb']:.0f} MB, "
            f"OpenSearch {sizes['opensearch_mb']:.0f} MB"
        )
    return "\n".join(lines)


@click.command()
@click.option(
    "--seeds",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="A generated corpus (default: generate --size files in the work folder).",
)
@click.option("--size", default=100000, show_default=True, help="Files to generate.")
@click.option(
    "--workdir",
    "folder",
    type=click.Path(path_type=Path),
    required=True,
    help="Where the local index, the node's data and a generated corpus go.",
)
@click.option("--heap", default="1g", show_default=True, help="The node's JVM heap.")
@click.option(
    "--jvm",
    "jvm_flags",
    type=click.Choice(list(JVM_FLAGS)),
    default="serial",
    show_default=True,
    help="The node's GC and JIT: serial (2 cores) or g1 (OpenSearch's default).",
)
@click.option("--opensearch-url", default=None, help="A running cluster (default: start one).")
@click.option(
    "--builds",
    default="local,opensearch:500",
    show_default=True,
    help="Builds to time, in order; opensearch:N sends N documents per bulk request. "
    "Empty: search what the work folder holds from last time.",
)
@click.option("--build-rounds", default=1, show_default=True, help="Builds per variant.")
@click.option("--searches/--no-searches", default=True, help="Run the search workload.")
@click.option("--queries", default=1000, show_default=True, help="Logged queries replayed.")
@click.option("--seconds", default=20, show_default=True, help="HTTP load per round.")
@click.option("--http-rounds", default=3, show_default=True, help="Load runs per server.")
@click.option("--slots", default=8, show_default=True, help="SEARCH_SLOTS of a third server.")
@click.option(
    "--json", "json_path", type=click.Path(path_type=Path), default=None, help="Write the report."
)
def main(
    seeds: Path | None,
    size: int,
    folder: Path,
    heap: str,
    jvm_flags: str,
    opensearch_url: str | None,
    builds: str,
    build_rounds: int,
    searches: bool,
    queries: int,
    seconds: int,
    http_rounds: int,
    slots: int,
    json_path: Path | None,
) -> None:
    """Local and OpenSearch backends side by side: build docs/s, the filters-and-facets
    workload in process and over HTTP (p50/p95/p99), memory."""
    from search.local import LocalBackend
    from search.opensearch import OpenSearchBackend
    from search.opensearch.connection import Cluster

    folder.mkdir(parents=True, exist_ok=True)
    seeds = seeds or corpus(folder, size)
    index = folder / "index-local"
    variants = parse_builds(builds)
    node = None
    if opensearch_url is None:
        if any(backend == "opensearch" for backend, _ in variants):  # else reuse its data
            shutil.rmtree(folder / "opensearch", ignore_errors=True)
        node = start_node(folder / "opensearch", heap, jvm_flags)
        opensearch_url = str(node.url)
    jvm = node.nodes[0].process.pid if node else None
    report: dict[str, Any] = {
        "machine": machine() | {"heap": heap, "jvm": jvm_flags},
        "seeds": str(seeds),
    }
    try:
        if variants:
            report["build"] = bench_builds(
                seeds, folder, opensearch_url, variants, build_rounds, jvm
            )
        if not searches:
            return
        log = query_log(queries)
        backends: dict[str, Backend] = {
            "local": LocalBackend.open(index),
            "opensearch": OpenSearchBackend.open(Cluster((opensearch_url,))),
        }
        try:
            report["in_process"] = bench_in_process(backends, log)
        finally:
            for backend in backends.values():
                backend.close()
        report["http"] = bench_http(index, opensearch_url, log, seconds, http_rounds, jvm, slots)
        report["index_mb"] = index_sizes(index, opensearch_url)
    finally:
        if node is not None:
            node.stop()
        click.echo(format_report(report))
        if json_path:
            json_path.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

"""Start and stop a development OpenSearch node or 3-node cluster on loopback.

OpenSearch's tarballs and images cannot be downloaded on the project's machines, but its
jars are on Maven Central: Maven resolves them (pom.xml beside this file) and DevNode.java
runs each node in a JVM of its own, so a test can SIGKILL one node of a cluster.

    python .ci/opensearch/launch.py start [--nodes 3] [--dir DIR] [--port 9200]

runs until Ctrl-C (what `make opensearch` does) and prints the URL once the cluster is
yellow or green. Tests import this file and use `Cluster` directly. For tests and trying
the service out only: users point the service at their own cluster.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
JAR = HERE / "target" / "opensearch-devnode-1.0.jar"
LIB = HERE / "target" / "lib"
SOURCES = [HERE / "pom.xml", HERE / "src" / "main" / "java" / "dev" / "newssearch" / "DevNode.java"]


def build(quiet: bool = True) -> None:
    """Resolve the jars and compile DevNode with Maven unless the build is up to date."""
    if JAR.is_file() and LIB.is_dir():
        built = JAR.stat().st_mtime
        if all(source.stat().st_mtime <= built for source in SOURCES):
            return
    command = ["mvn", "-B", "-f", str(HERE / "pom.xml"), "package", "-DskipTests"]
    if quiet:
        command.insert(1, "-q")
    subprocess.run(command, check=True)


def free_port() -> int:
    """Return a loopback TCP port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Node:
    """One node's settings and, while it runs, its process."""

    name: str
    home: Path
    http_port: int
    transport_port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"


@dataclass
class Cluster:
    """A loopback cluster of `size` nodes, each in its own JVM under `base`."""

    base: Path
    size: int = 1
    heap: str = "512m"
    http_port: int | None = None
    name: str = "news-search-dev"
    nodes: list[Node] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.nodes:
            for i in range(self.size):
                http = self.http_port + i if self.http_port else free_port()
                self.nodes.append(
                    Node(f"node-{i + 1}", self.base / f"node-{i + 1}", http, free_port())
                )

    @property
    def url(self) -> str:
        """Return the first node's HTTP address."""
        return self.nodes[0].url

    @property
    def urls(self) -> list[str]:
        """Return every node's HTTP address (a client may list them all)."""
        return [node.url for node in self.nodes]

    def settings(self, node: Node) -> list[str]:
        """Return the node's settings as DevNode's key=value arguments."""
        values = {
            "cluster.name": self.name,
            "node.name": node.name,
            "path.home": str(node.home),
            "network.host": "127.0.0.1",
            "http.port": str(node.http_port),
            "transport.port": str(node.transport_port),
            # A nearly full disk must not turn the test cluster read-only.
            "cluster.routing.allocation.disk.threshold_enabled": "false",
            "action.auto_create_index": "false",
        }
        if self.size == 1:
            values["discovery.type"] = "single-node"
        else:
            values["discovery.seed_hosts"] = ",".join(
                f"127.0.0.1:{other.transport_port}" for other in self.nodes
            )
            values["cluster.initial_cluster_manager_nodes"] = ",".join(n.name for n in self.nodes)
        return [f"{key}={value}" for key, value in values.items()]

    def start_node(self, node: Node) -> None:
        """Start one node's JVM (its own process group, output to home/out.log)."""
        node.home.mkdir(parents=True, exist_ok=True)
        java = (
            str(Path(os.environ["JAVA_HOME"]) / "bin" / "java")
            if "JAVA_HOME" in os.environ
            else "java"
        )
        command = [
            java,
            f"-Xms{self.heap}",
            f"-Xmx{self.heap}",
            "-XX:+UseSerialGC",  # two cores: fewer GC threads
            "-XX:TieredStopAtLevel=1",  # quicker start; these nodes are for tests
            "-Djava.awt.headless=true",
            "-Dlog4j2.disable.jmx=true",
            "-cp",
            f"{JAR}{os.pathsep}{LIB}/*",
            "dev.newssearch.DevNode",
            *self.settings(node),
        ]
        log = (node.home / "out.log").open("ab")
        node.process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()

    def start(self, timeout: float = 180.0) -> Cluster:
        """Build if needed, start every node and wait for yellow or green health."""
        build()
        for node in self.nodes:
            self.start_node(node)
        self.wait(timeout)
        return self

    def health(self, node: Node | None = None) -> dict[str, object] | None:
        """Return the cluster health as one node reports it, or None if it cannot answer."""
        for candidate in [node] if node else self.nodes:
            if candidate.process is None or candidate.process.poll() is not None:
                continue
            try:
                with urllib.request.urlopen(candidate.url + "/_cluster/health", timeout=5) as r:
                    return dict(json.load(r))
            except (OSError, ValueError):
                continue
        return None

    def wait(self, timeout: float = 180.0, statuses: tuple[str, ...] = ("yellow", "green")) -> None:
        """Wait until every node is in the cluster and its health is one of `statuses`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for node in self.nodes:
                if node.process is not None and node.process.poll() is not None:
                    tail = (node.home / "out.log").read_text(errors="replace")[-3000:]
                    raise RuntimeError(
                        f"{node.name} exited with {node.process.returncode}:\n{tail}"
                    )
            health = self.health()
            running = sum(1 for n in self.nodes if n.process and n.process.poll() is None)
            if (
                health
                and health.get("status") in statuses
                and health.get("number_of_nodes") == running
            ):
                return
            time.sleep(0.5)
        raise TimeoutError(
            f"cluster not {'/'.join(statuses)} after {timeout:.0f} s: {self.health()}"
        )

    def kill(self, node: Node, sig: int = signal.SIGKILL) -> None:
        """Send `sig` to one node's JVM and wait for it to exit."""
        if node.process is not None and node.process.poll() is None:
            node.process.send_signal(sig)
            node.process.wait(timeout=60)

    def stop(self) -> None:
        """Stop every node: SIGTERM (the node closes cleanly), SIGKILL after 30 s."""
        for node in self.nodes:
            if node.process is not None and node.process.poll() is None:
                node.process.send_signal(signal.SIGTERM)
        for node in self.nodes:
            if node.process is not None:
                try:
                    node.process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    node.process.kill()
                    node.process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="start a node or cluster and run until Ctrl-C")
    start.add_argument("--nodes", type=int, choices=(1, 3), default=1)
    start.add_argument("--port", type=int, default=9200, help="first node's HTTP port")
    start.add_argument(
        "--dir", type=Path, default=None, help="data folder (default: a temporary one)"
    )
    start.add_argument("--heap", default="512m")
    sub.add_parser("build", help="resolve the jars with Maven and compile the launcher")
    args = parser.parse_args(argv)
    if args.command == "build":
        build(quiet=False)
        return 0
    base = args.dir or Path(tempfile.mkdtemp(prefix="opensearch-"))
    cluster = Cluster(base, size=args.nodes, heap=args.heap, http_port=args.port)
    stop = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        cluster.start()
        print(
            f"OpenSearch {len(cluster.nodes)} node(s) ready: {' '.join(cluster.urls)}", flush=True
        )
        print(f"  data and logs in {base}; Ctrl-C stops", flush=True)
        while not stop:
            time.sleep(0.5)
    finally:
        cluster.stop()
        if args.dir is None:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())

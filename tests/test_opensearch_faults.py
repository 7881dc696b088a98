"""Faults on a real 3-node OpenSearch cluster (issue 15, item 4): clients search through
the HTTP app while a node is SIGKILLed and restarted, and while a rebuild swaps the alias.

Every answer must be a 200 with the total, facet counts and number of hits the healthy
cluster gave before the fault (the corpus does not change, so neither do they), after the
client's retries (opensearch-py tries the next node on a connection error; the backend
retries an answer some shards failed to give). The default run holds a few seconds of
load per fault; the slow ones (--run-slow) load longer, kill the elected cluster manager,
and kill a node in the middle of a rebuild.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import re
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from api_contract import app_client
from opensearch_support import launcher

from search.errors import SearchError
from search.opensearch.connection import Cluster
from search.opensearch.indexer import build_opensearch

if TYPE_CHECKING:
    from starlette.testclient import TestClient

ALIAS = "faults"
SHARDS, REPLICAS = 3, 1
CLIENTS = 8
GREEN_WITHIN_S = 180.0  # a restarted JVM on two busy cores joins and recovers in 20-40 s
TARGETS = (  # queries, filters, facets, pages, grouping, the strategies, dates; suggest
    "/api/search",
    "/api/search?q=facial+recognition",
    "/api/search?q=computer+vision&topic=AI&page=2",
    "/api/search?topic=Computer+Vision&topic=Machine+Learning&sort=oldest",
    "/api/search?provider=AWS&per_page=5&page=2",
    "/api/search?q=robots&group=story",
    "/api/search?q=cloud+OR+security&from=2020-01-01",
    "/api/search?q=aws+machine+learning+azure&match=any&page=3",
    '/api/search?q="machine+learning"&topic=AI&topic=AWS+AI&group=story&page=2',
    "/api/search?q=robtos",
    "/api/suggest?q=mach",
    "/healthz",
)


@dataclass(frozen=True)
class Answer:
    """What must not change under a fault: the status and what the corpus decides."""

    status: int
    content: str  # JSON: total, facets and the number of hits (a suggest body whole)


def answer_of(response: httpx.Response) -> Answer:
    """Return the part of a response a fault must leave unchanged (not the index name,
    which a rebuild changes, nor times)."""
    body = response.json()
    if "total" in body:
        kept = {"total": body["total"], "facets": body["facets"], "hits": len(body["hits"])}
    elif "documents" in body:
        kept = {"status": body["status"], "documents": body["documents"]}
    else:
        kept = body
    return Answer(response.status_code, json.dumps(kept, sort_keys=True))


@dataclass
class Outcome:
    """What the clients saw while a fault happened."""

    requests: int = 0
    wrong: list[str] = field(default_factory=list)  # failed or changed answers
    slowest_s: float = 0.0
    retries: int = 0  # failed attempts the client or the backend logged, then retried


RETRIED = re.compile(r"\[status:(N/A|5\d\d) ")  # opensearch-py's log of an attempt it retries
LOG = logging.getLogger(__name__)


class Attempts(logging.Handler):
    """Counts the failed attempts opensearch-py and the backend log before retrying."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if RETRIED.search(record.getMessage()) or record.name.startswith("search."):
            self.count += 1


@contextlib.contextmanager
def searching(
    app: TestClient, expected: dict[str, Answer], clients: int = CLIENTS
) -> Iterator[Outcome]:
    """Run `clients` threads sending TARGETS (each its own seeded order) until the block
    ends; yield the Outcome, complete once the block has ended."""
    outcome = Outcome()
    stop = threading.Event()
    lock = threading.Lock()
    attempts = Attempts()
    loggers = [logging.getLogger("opensearch"), logging.getLogger("search.opensearch")]

    def client(number: int) -> None:
        order = list(TARGETS)
        random.Random(number).shuffle(order)
        for target in iter_until(stop, order):
            started = time.monotonic()
            try:
                got = answer_of(app.get(target))
            except Exception as exc:  # a failure: what the test counts
                got = Answer(0, repr(exc))
            elapsed = time.monotonic() - started
            with lock:
                outcome.requests += 1
                outcome.slowest_s = max(outcome.slowest_s, elapsed)
                if got != expected[target]:
                    outcome.wrong.append(f"{target}: {got.status} {got.content[:600]}")

    for logger in loggers:
        logger.addHandler(attempts)
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    try:
        yield outcome
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        for logger in loggers:
            logger.removeHandler(attempts)
        outcome.retries = attempts.count


def iter_until(stop: threading.Event, targets: list[str]) -> Iterator[str]:
    """Yield `targets` round and round until `stop` is set."""
    while True:
        for target in targets:
            if stop.is_set():
                return
            yield target


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Start a real 3-node cluster (.ci/opensearch/launch.py) for this module; yield the
    launcher's Cluster, which kills and restarts its nodes."""
    cluster = launcher().Cluster(tmp_path_factory.mktemp("opensearch3"), size=3)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def target(nodes: Any, corpus_dir: Path) -> Cluster:
    """Return the backend's view of the cluster, every node listed, with the corpus built
    into 3 shards and 1 replica, once the cluster is green."""
    cluster = Cluster(tuple(nodes.urls), ALIAS, shards=SHARDS, replicas=REPLICAS)
    build_opensearch(corpus_dir, cluster, progress=False)
    nodes.wait(GREEN_WITHIN_S, statuses=("green",))
    return cluster


@pytest.fixture(scope="module")
def app(target: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """Yield the HTTP app serving the alias from all three nodes."""
    with app_client(
        tmp_path_factory.mktemp("unused"),
        backend="opensearch",
        opensearch_url=",".join(target.urls),
        opensearch_index=target.alias,
    ) as client:
        yield client


@pytest.fixture(scope="module")
def expected(app: TestClient) -> dict[str, Answer]:
    """Return every target's answer on the healthy cluster, before any fault."""
    answers = {t: answer_of(app.get(t)) for t in TARGETS}
    assert {a.status for a in answers.values()} == {200}
    return answers


def manager_of(nodes: Any) -> Any:
    """Return the launcher's node that is the elected cluster manager now."""
    live = next(n for n in nodes.nodes if n.process is not None and n.process.poll() is None)
    (row,) = httpx.get(live.url + "/_cat/cluster_manager?format=json", timeout=10).json()
    (node,) = [n for n in nodes.nodes if n.name == row["node"]]
    return node


def kill_and_restart(
    nodes: Any, node: Any, app: TestClient, expected: dict[str, Answer], load_s: float
) -> Outcome:
    """SIGKILL `node` under load, keep the load up for `load_s`, restart the node from
    its data folder and wait for green; return what the clients saw."""
    with searching(app, expected) as outcome:
        time.sleep(load_s / 4)
        nodes.kill(node, signal.SIGKILL)
        time.sleep(load_s)
    assert node.process.returncode == -signal.SIGKILL
    nodes.start_node(node)
    started = time.monotonic()
    nodes.wait(GREEN_WITHIN_S, statuses=("green",))
    waited = time.monotonic() - started
    LOG.info("%s killed: %s; green %.1f s after the restart", node.name, outcome, waited)
    return outcome


def test_a_node_killed_under_load_costs_no_request(
    nodes: Any, app: TestClient, expected: dict[str, Answer]
) -> None:
    victim = next(n for n in nodes.nodes if n is not manager_of(nodes))
    outcome = kill_and_restart(nodes, victim, app, expected, load_s=4.0)
    assert outcome.wrong == []
    assert outcome.requests > 4 * CLIENTS  # the clients were busy through the fault
    assert outcome.retries > 0  # some request did meet the dead node and was retried
    assert {t: answer_of(app.get(t)) for t in TARGETS} == expected  # green: all as before


def test_a_rebuild_under_load_costs_no_request(
    nodes: Any, target: Cluster, app: TestClient, expected: dict[str, Answer], corpus_dir: Path
) -> None:
    before = app.get("/healthz").json()["generation"]
    with searching(app, expected) as outcome:
        build_opensearch(corpus_dir, target, progress=False)
    assert outcome.wrong == []
    assert outcome.requests > CLIENTS
    assert app.get("/healthz").json()["generation"] != before


@pytest.mark.slow
@pytest.mark.parametrize("which", ["manager", "data"])
def test_longer_kills_under_more_load(
    nodes: Any, app: TestClient, expected: dict[str, Answer], which: str
) -> None:
    for _ in range(2):  # the manager: the one elected, then the one elected after it
        manager = manager_of(nodes)
        victim = manager if which == "manager" else next(n for n in nodes.nodes if n is not manager)
        outcome = kill_and_restart(nodes, victim, app, expected, load_s=20.0)
        assert outcome.wrong == []
        assert outcome.retries > 0


@pytest.mark.slow
def test_a_node_killed_during_a_rebuild(
    nodes: Any, target: Cluster, app: TestClient, expected: dict[str, Answer], corpus_dir: Path
) -> None:
    """The build may fail (its new index lost a shard) or finish once the node is back;
    either way the alias names a whole index and no search fails; the next build runs."""
    victim = manager_of(nodes)
    outcome_of_build: list[str] = []

    def rebuild() -> None:
        try:
            build_opensearch(corpus_dir, target, progress=False)
            outcome_of_build.append("built")
        except SearchError as exc:
            outcome_of_build.append(f"refused: {exc}")

    with searching(app, expected, clients=2 * CLIENTS) as outcome:
        builder = threading.Thread(target=rebuild)
        builder.start()
        time.sleep(3.0)  # parsing done, the new index being loaded
        nodes.kill(victim, signal.SIGKILL)
        time.sleep(5.0)
        nodes.start_node(victim)
        builder.join()
        nodes.wait(GREEN_WITHIN_S, statuses=("green",))
    assert outcome.wrong == []
    assert len(outcome_of_build) == 1
    build_opensearch(corpus_dir, target, progress=False)  # unaided, whatever came before
    nodes.wait(GREEN_WITHIN_S, statuses=("green",))
    assert {t: answer_of(app.get(t)) for t in TARGETS} == expected

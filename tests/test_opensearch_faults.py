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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from api_contract import app_client
from opensearch_support import launcher

from search.errors import BackendUnavailable, SearchError
from search.opensearch.backend import OpenSearchBackend
from search.opensearch.connection import Cluster, failed_shards
from search.opensearch.indexer import build_opensearch
from search.request import SearchRequest

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
    retries: int = 0  # attempts that failed on a node, retried by the client on the next
    reasked: int = 0  # answers some shards failed to give, asked again by the backend


RETRIED = re.compile(r"\[status:(N/A|5\d\d) ")  # opensearch-py's log of an attempt it retries
LOG = logging.getLogger(__name__)


class Attempts(logging.Handler):
    """Counts the failed attempts opensearch-py logs (it retries them on the next node)
    and the partial answers the backend logs (it asks again)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.retries = 0
        self.reasked = 0

    def emit(self, record: logging.LogRecord) -> None:  # called under the handler's lock
        if record.name.startswith("search."):
            self.reasked += 1
        elif RETRIED.search(record.getMessage()):
            self.retries += 1


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
        outcome.retries, outcome.reasked = attempts.retries, attempts.reasked


def iter_until(stop: threading.Event, targets: list[str]) -> Iterator[str]:
    """Yield `targets` round and round until `stop` is set."""
    while True:
        for target in targets:
            if stop.is_set():
                return
            yield target


SHARDS_OK = {"total": 3, "successful": 3, "skipped": 0, "failed": 0}


@pytest.mark.parametrize(
    ("answer", "failed"),
    [
        ({"hits": {}, "_shards": SHARDS_OK}, 0),
        ({"hits": {}, "_shards": {**SHARDS_OK, "successful": 2, "failed": 1}}, 1),
        ({"hits": {}, "_shards": {**SHARDS_OK, "successful": 2}}, 1),
        ({"count": 9, "_shards": {**SHARDS_OK, "successful": 1}}, 2),
        ({"responses": [{"hits": {}, "_shards": SHARDS_OK}, {"error": {}, "status": 503}]}, 1),
        ({"responses": [{"error": {"type": "index_not_found_exception"}, "status": 404}]}, 0),
        ({"indices": {}, "_shards": {"total": 6, "successful": 3, "failed": 0}}, 0),
    ],
    ids=["whole", "failed", "no-copy-left", "count", "msearch-5xx", "msearch-404", "stats"],
)
def test_failed_shards_counts_what_a_short_answer_lacks(answer: Any, failed: int) -> None:
    assert failed_shards(answer) == failed


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


def holders(nodes: Any, alias: str) -> list[Any]:
    """Return the launcher's nodes holding a shard of the index `alias` names."""
    live = next(n for n in nodes.nodes if n.process is not None and n.process.poll() is None)
    rows = httpx.get(f"{live.url}/_cat/shards/{alias}?format=json", timeout=10).json()
    names = {row["node"] for row in rows}
    return [n for n in nodes.nodes if n.name in names]


def kill_and_restart(
    nodes: Any,
    node: Any,
    app: TestClient,
    expected: dict[str, Answer],
    load_s: float,
    while_down: Callable[[], None] = lambda: None,
) -> Outcome:
    """SIGKILL `node` under load, keep the load up for `load_s`, call `while_down`,
    restart the node from its data folder and wait for green; return what the clients
    saw."""
    try:
        with searching(app, expected) as outcome:
            time.sleep(load_s / 4)
            nodes.kill(node, signal.SIGKILL)
            time.sleep(load_s)
        while_down()
    finally:  # the next test needs all three nodes, whatever happened here
        killed = node.process.poll()
        if killed is not None:
            nodes.start_node(node)
        started = time.monotonic()
        nodes.wait(GREEN_WITHIN_S, statuses=("green",))
    waited = time.monotonic() - started
    assert killed == -signal.SIGKILL
    LOG.info("%s killed: %s; green %.1f s after the restart", node.name, outcome, waited)
    return outcome


def test_a_node_killed_under_load_costs_no_request(
    nodes: Any, app: TestClient, expected: dict[str, Answer], literal_seeds: Path
) -> None:
    # Beside the corpus, a small index without replicas: the killed node's shard of it
    # has no other copy, so OpenSearch answers 200 with the other shards' hits only.
    bare = Cluster(tuple(nodes.urls), "unreplicated", shards=SHARDS, replicas=0)
    documents = build_opensearch(literal_seeds, bare, progress=False).documents
    backend = OpenSearchBackend.open(bare)
    manager = manager_of(nodes)
    victim = next(n for n in holders(nodes, bare.alias) if n is not manager)
    refused: list[str] = []

    def search_bare() -> None:
        with pytest.raises(BackendUnavailable) as caught:
            backend.search(SearchRequest())  # a short total would be a wrong answer
        refused.append(str(caught.value))

    outcome = kill_and_restart(nodes, victim, app, expected, load_s=4.0, while_down=search_bare)
    assert outcome.wrong == []
    assert outcome.requests > 4 * CLIENTS  # the clients were busy through the fault
    assert outcome.retries > 0  # some request did meet the dead node and was retried
    assert {t: answer_of(app.get(t)) for t in TARGETS} == expected  # green: all as before
    assert "answered only in part" in refused[0]
    assert backend.search(SearchRequest()).total == documents  # its shard is back
    backend.close()


def test_a_rebuild_under_load_costs_no_request(
    nodes: Any, target: Cluster, app: TestClient, expected: dict[str, Answer], corpus_dir: Path
) -> None:
    before = app.get("/healthz").json()["generation"]
    with searching(app, expected) as outcome:
        report = build_opensearch(corpus_dir, target, progress=False)
    LOG.info("rebuilt in %.1f s: %s", report.duration_s, outcome)
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
    LOG.info("%s killed mid-rebuild: %s; the build %s", victim.name, outcome, outcome_of_build)
    assert outcome.wrong == []
    assert len(outcome_of_build) == 1
    build_opensearch(corpus_dir, target, progress=False)  # unaided, whatever came before
    nodes.wait(GREEN_WITHIN_S, statuses=("green",))
    assert {t: answer_of(app.get(t)) for t in TARGETS} == expected

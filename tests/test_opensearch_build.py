"""Building on a real OpenSearch node: the report as locally, the alias swap, a build
killed at every step, incremental builds, searches during a rebuild, and an unreachable
cluster answered with 503 and recovered from without a restart."""

from __future__ import annotations

import itertools
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from opensearchpy import OpenSearch

from search.backend import open_backend
from search.config import Settings
from search.errors import SearchError
from search.local.store.build import build_index
from search.model import IndexReport
from search.opensearch.connection import Cluster
from search.opensearch.indexer import build_opensearch, generation_prefix, words_index
from search.request import SearchRequest

if TYPE_CHECKING:
    from conftest import WriteSeed

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def alias() -> str:
    """Return an alias of this test's own on the session's node."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def client(opensearch_node: str) -> Iterator[OpenSearch]:
    found = OpenSearch([opensearch_node])
    yield found
    found.close()


def _comparable(report: IndexReport) -> dict[str, Any]:
    """Return the report without what differs by nature (names, times, notes)."""
    return {
        k: v for k, v in asdict(report).items() if k not in {"generation", "duration_s", "notes"}
    }


def _ours(client: OpenSearch, alias: str) -> set[str]:
    return set(client.indices.get(index=generation_prefix(alias) + "*"))


def _target(client: OpenSearch, alias: str) -> str:
    (name,) = client.indices.get_alias(name=alias)
    return str(name)


def test_report_is_the_local_one(
    literal_seeds: Path, tmp_path: Path, opensearch_node: str, alias: str
) -> None:
    local = build_index(literal_seeds, tmp_path / "index", progress=False)
    remote = build_opensearch(literal_seeds, Cluster((opensearch_node,), alias), progress=False)
    assert _comparable(remote) == _comparable(local)
    assert remote.generation.startswith(generation_prefix(alias))


def test_rebuild_moves_the_alias_and_removes_the_old_index(
    literal_seeds: Path, opensearch_node: str, alias: str, client: OpenSearch
) -> None:
    cluster = Cluster((opensearch_node,), alias)
    first = build_opensearch(literal_seeds, cluster, progress=False).generation
    backend = open_backend(
        Settings(backend="opensearch", opensearch_url=opensearch_node, opensearch_index=alias)
    )
    assert backend.health().generation == first
    second = build_opensearch(literal_seeds, cluster, progress=False).generation
    assert second != first
    assert _target(client, alias) == second
    assert _ours(client, alias) == {second, words_index(second)}
    result = backend.search(SearchRequest(q="alpha"))  # the old index is gone: looks again
    assert (result.generation, result.total) == (second, 2)
    backend.close()


KILL_AT = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from search.opensearch.connection import Cluster
    from search.opensearch.indexer import build_opensearch

    stage, seeds, url, alias = sys.argv[1:5]

    def checkpoint(reached: str) -> None:
        if reached == stage:
            os.kill(os.getpid(), signal.SIGKILL)

    build_opensearch(Path(seeds), Cluster((url,), alias), progress=False, checkpoint=checkpoint)
    """
)


@pytest.mark.parametrize("stage", ["created", "half-indexed", "indexed"])
def test_a_killed_build_leaves_the_previous_index_serving(
    corpus_dir: Path, opensearch_node: str, alias: str, client: OpenSearch, stage: str
) -> None:
    cluster = Cluster((opensearch_node,), alias)
    first = build_opensearch(corpus_dir, cluster, progress=False)
    done = subprocess.run(
        [sys.executable, "-c", KILL_AT, stage, str(corpus_dir), opensearch_node, alias],
        cwd=ROOT,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
    assert _target(client, alias) == first.generation
    backend = open_backend(
        Settings(backend="opensearch", opensearch_url=opensearch_node, opensearch_index=alias)
    )
    assert backend.search(SearchRequest(q="")).total == first.documents
    assert len(_ours(client, alias)) > 2  # the killed build's index is still there
    third = build_opensearch(corpus_dir, cluster, progress=False)  # unaided
    assert _ours(client, alias) == {third.generation, words_index(third.generation)}
    assert backend.search(SearchRequest(q="")).total == third.documents == first.documents
    backend.close()


def test_incremental_build_counts_what_changed_as_locally(
    write_seed: WriteSeed, seeds_dir: Path, tmp_path: Path, opensearch_node: str, alias: str
) -> None:
    for n in range(6):
        write_seed(f"n{n}.md", f'title: "Note {n} about rivers"\nwebUrl: "https://e.org/{n}"\n')
    cluster = Cluster((opensearch_node,), alias)
    build_index(seeds_dir, tmp_path / "index", progress=False)
    build_opensearch(seeds_dir, cluster, progress=False)
    write_seed("n1.md", 'title: "Note 1 about lakes"\nwebUrl: "https://e.org/1"\n')
    (seeds_dir / "n2.md").unlink()
    write_seed("n9.md", 'title: "Note 9 about rivers"\nwebUrl: "https://e.org/9"\n')
    local = build_index(seeds_dir, tmp_path / "index", incremental=True, progress=False)
    remote = build_opensearch(seeds_dir, cluster, incremental=True, progress=False)
    assert (remote.added, remote.updated, remote.deleted) == (1, 1, 1)
    assert (remote.added, remote.updated, remote.deleted, remote.incremental) == (
        local.added,
        local.updated,
        local.deleted,
        local.incremental,
    )
    backend = open_backend(
        Settings(backend="opensearch", opensearch_url=opensearch_node, opensearch_index=alias)
    )
    assert [h.title for h in backend.search(SearchRequest(q="lakes")).hits] == [
        "Note 1 about lakes"
    ]
    assert backend.search(SearchRequest(q="rivers")).total == 5
    unchanged = build_opensearch(seeds_dir, cluster, incremental=True, progress=False)
    assert (unchanged.added, unchanged.updated, unchanged.deleted) == (0, 0, 0)
    backend.close()


def test_searches_never_fail_while_the_alias_moves(
    corpus_dir: Path, opensearch_node: str, alias: str
) -> None:
    cluster = Cluster((opensearch_node,), alias)
    expected = build_opensearch(corpus_dir, cluster, progress=False).documents
    backend = open_backend(
        Settings(backend="opensearch", opensearch_url=opensearch_node, opensearch_index=alias)
    )
    stop = threading.Event()
    failures: list[str] = []
    totals: set[int] = set()
    generations: set[str] = set()

    def search(n: int) -> None:
        for q in itertools.cycle(["", "facial recognition", "google", "robots"]):
            if stop.is_set():
                return
            try:
                result = backend.search(SearchRequest(q=q, page=1 + n % 2))
                if not q:
                    totals.add(result.total)
                generations.add(result.generation)
            except SearchError as exc:  # pragma: no cover - what the test must not see
                failures.append(repr(exc))

    threads = [threading.Thread(target=search, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(2):
            build_opensearch(corpus_dir, cluster, progress=False)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    backend.close()
    assert failures == []
    assert totals == {expected}
    assert len(generations) >= 2  # the searches did see the alias move


def test_unreachable_cluster_is_a_503_and_is_recovered_from(
    literal_seeds: Path, tmp_path: Path
) -> None:
    from api_contract import app_client
    from opensearch_support import launcher

    launch = launcher()
    port = launch.free_port()
    url = f"http://127.0.0.1:{port}"
    with app_client(
        tmp_path, backend="opensearch", opensearch_url=url, opensearch_index="news"
    ) as app:
        for target in ("/healthz", "/api/search?q=alpha", "/api/suggest?q=al"):
            answer = app.get(target)
            assert answer.status_code == 503, answer.text
            assert "OpenSearch" in answer.text and "Traceback" not in answer.text
        assert app.get("/api/search?q=alpha").json()["error"]["code"] == "backend_unavailable"
        node = launch.Cluster(tmp_path / "node", size=1, http_port=port)
        try:
            node.start()
            build_opensearch(literal_seeds, Cluster((url,), "news"), progress=False)
            assert app.get("/api/search?q=alpha").json()["total"] == 2  # no restart needed
            node.kill(node.nodes[0], signal.SIGKILL)  # mid-run
            assert app.get("/api/search?q=beta&page=2").status_code == 503
            assert app.get("/healthz").status_code == 503
            node.start_node(node.nodes[0])  # the same data folder: the index comes back
            node.wait()
            assert app.get("/api/search?q=beta&page=2").status_code == 200
            assert app.get("/healthz").json()["status"] == "ok"
        finally:
            node.stop()
            shutil.rmtree(tmp_path / "node", ignore_errors=True)

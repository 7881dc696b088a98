"""Shared fixtures: the real corpus, seed-file writers, the --run-slow switch, the web app
in process over an index of the corpus, and tiny literal indexes for the engine."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import subprocess

    from api_contract import BuiltIndex
    from browser_support import Server, Tab
    from page_support import Chromium, TabFactory
    from starlette.testclient import TestClient

    from benchmarks.judgments import Query
    from search.model import Article

ROOT = Path(__file__).resolve().parent.parent
# The shared corpus sits beside the repository (../shared/corpus); SEARCH_CORPUS overrides.
CORPUS = Path(os.environ.get("SEARCH_CORPUS") or ROOT.parent / "shared" / "corpus")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-slow",
        action="store_true",
        default=False,
        help="also run the long tests marked slow (or set SEARCH_SLOW=1)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow") or os.environ.get("SEARCH_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: run with --run-slow or SEARCH_SLOW=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """Return the shared real corpus (read-only: copy it before changing anything)."""
    if not (CORPUS / "MANIFEST.md").is_file():
        pytest.fail(f"the shared corpus is missing at {CORPUS} (set SEARCH_CORPUS)")
    return CORPUS


WriteSeed = Callable[..., Path]


@pytest.fixture
def seeds_dir(tmp_path: Path) -> Path:
    """Return an empty seeds folder."""
    folder = tmp_path / "seeds"
    folder.mkdir()
    return folder


@pytest.fixture
def write_seed(seeds_dir: Path) -> WriteSeed:
    """Return a function writing one seed file (front matter text or raw bytes)."""

    def write(
        name: str, front_matter: str | None = None, body: str = "", *, raw: bytes | None = None
    ) -> Path:
        path = seeds_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if raw is not None:
            path.write_bytes(raw)
        else:
            path.write_text(f"---\n{front_matter or ''}---\n{body}", encoding="utf-8")
        return path

    return write


# --- the web app over the shared corpus, in process ---------------------------------------
# Imports are inside the fixtures: only the tests that use them pay for them.


@pytest.fixture(scope="session")
def corpus_index(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> BuiltIndex:
    """Return an index of the shared corpus, built once per session (read-only: a test
    that changes an index builds its own)."""
    from api_contract import BuiltIndex

    from search.local.store.build import build_index

    folder = tmp_path_factory.mktemp("corpus-index") / "index"
    report = build_index(corpus_dir, folder, progress=False)
    return BuiltIndex(folder, report.generation, report.documents)


@pytest.fixture(scope="session")
def opensearch_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start one real OpenSearch node for the session (.ci/opensearch/launch.py); yield
    its address."""
    from opensearch_support import launcher

    cluster = launcher().Cluster(tmp_path_factory.mktemp("opensearch"), size=1)
    try:
        cluster.start()
        yield cluster.url
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def opensearch_corpus(
    opensearch_node: str, corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> BuiltIndex:
    """Return the shared corpus built into `opensearch_node` under the alias "corpus"
    (read-only, as corpus_index). Its index folder is an empty temporary one: apps made
    from it keep their query log beside it, never in the working directory."""
    from api_contract import BuiltIndex

    from search.opensearch.connection import Cluster
    from search.opensearch.indexer import build_opensearch

    report = build_opensearch(corpus_dir, Cluster((opensearch_node,), "corpus"), progress=False)
    unused = tmp_path_factory.mktemp("opensearch-unused") / "index"
    return BuiltIndex(unused, report.generation, report.documents, opensearch_node)


@pytest.fixture(scope="module", params=["local", "opensearch"])
def served_index(request: pytest.FixtureRequest) -> BuiltIndex:
    """Return the shared corpus as each backend serves it: the HTTP contract tests that
    take it (through corpus_app) run once per backend."""
    name = "corpus_index" if request.param == "local" else "opensearch_corpus"
    built: BuiltIndex = request.getfixturevalue(name)
    return built


@pytest.fixture(scope="module")
def corpus_app(served_index: BuiltIndex) -> Iterator[TestClient]:
    """Yield Starlette's TestClient of the web app over `served_index` (each backend in
    turn), in process (tests/api_contract.py app_client). Per module: the client runs the
    app on a thread of its own, which should not outlive the tests that use it (other
    modules fork)."""
    from api_contract import app_client

    with app_client(served_index.folder, **served_index.settings()) as client:
        yield client


@pytest.fixture(scope="module")
def corpus_hits(corpus_app: TestClient) -> list[dict[str, Any]]:
    """Return every document of `corpus_index` as a hit of /api/search (all pages)."""
    from api_contract import fetch_all_hits

    return fetch_all_hits(corpus_app)


# --- tiny literal indexes for the engine's internals (tests/engine_support.py) -------------


@pytest.fixture(scope="session")
def tiny_generation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the generation folder of engine_support.SEEDS (five articles, one segment)."""
    from engine_support import SEEDS, build

    return build(tmp_path_factory.mktemp("tiny"), SEEDS)


@pytest.fixture(scope="session")
def notes_generation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the generation folder of engine_support.NOTES generated notes (postings of
    several blocks)."""
    from engine_support import NOTES, build, note

    return build(tmp_path_factory.mktemp("notes"), {f"note-{n:03d}": note(n) for n in range(NOTES)})


@pytest.fixture(scope="session")
def two_segment_generation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the generation folder of engine_support.build_two_segments (two segments,
    one deleted document)."""
    from engine_support import build_two_segments

    return build_two_segments(tmp_path_factory.mktemp("two-segments"))


# --- builds of small seed folders (tests/test_indexer_*.py, tests/indexer_support.py) ------


@pytest.fixture
def literal_seeds(write_seed: WriteSeed, seeds_dir: Path) -> Path:
    """Return a seeds folder with related items, duplicates, a warning and a bad file
    (indexer_support.write_literal_seeds)."""
    from indexer_support import write_literal_seeds

    write_literal_seeds(write_seed)
    return seeds_dir


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    """Return an index folder that does not exist yet (a module may define its own)."""
    return tmp_path / "index"


# --- processes that must not outlive a test (tests/test_crash_*.py, tests/crash_support.py)


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Collect started processes; kill any still running (and their groups) at teardown."""
    from crash_support import group_members

    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        for member in group_members(proc.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(member, signal.SIGKILL)


# --- the relevance judgments over the shared corpus (tests/test_relevance_*.py) ----------


@pytest.fixture(scope="session")
def documents(corpus_dir: Path) -> list[Article]:
    """Return the shared corpus's documents as the judgments see them, once per session
    (read-only)."""
    from benchmarks.judgments import load_documents

    return load_documents(corpus_dir)


@pytest.fixture(scope="session")
def queries(documents: list[Article]) -> list[Query]:
    """Return the judged queries over `documents`, once per session (read-only)."""
    from benchmarks.judgments import load_queries

    return load_queries(documents)


# --- the search page in a real browser (tests/test_page_*.py, tests/page_support.py) -------


@pytest.fixture(scope="session")
def page_server(
    corpus_index: BuiltIndex, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """Serve `corpus_index` with `search serve` on a free port, once per session for every
    page module (read-only: the page tests only read it; one that needs other documents
    runs a server of its own)."""
    from browser_support import running_server

    log = tmp_path_factory.mktemp("page") / "server.log"
    with running_server(corpus_index.folder, log) as running:
        yield running


@pytest.fixture(scope="module")
def chromium() -> Iterator[Chromium]:
    """Return Debian's Chromium for one module, launched at its first tab. Per module, not
    per session: while Playwright's sync API is started, asyncio.run() fails in the same
    thread ("cannot be called from a running event loop"), and other modules use it."""
    from page_support import Chromium

    holder = Chromium()
    try:
        yield holder
    finally:
        holder.close()


@pytest.fixture
def tabs(
    chromium: Chromium, page_server: Server, request: pytest.FixtureRequest
) -> Iterator[TabFactory]:
    """Return a function opening fresh contexts (closed after the test)."""
    from browser_support import open_tab
    from page_support import OPENED

    mine: list[Tab] = []

    def new(base: str | None = None, *, checked: bool = True, **options: Any) -> Tab:
        """Open a tab; `checked=False` keeps its errors out of test_page_tour.py (a test
        that provokes a known bug checks its own)."""
        tab = open_tab(chromium.get(), base or page_server.base, **options)
        mine.append(tab)
        if checked:
            OPENED.append((request.node.name, tab))
        return tab

    yield new
    for tab in mine:
        tab.context.close()

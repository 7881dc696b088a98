"""Shared fixtures: the real corpus, seed-file writers, the --run-slow switch, the web app
in process over an index of the corpus, and tiny literal indexes for the engine."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from api_contract import BuiltIndex
    from starlette.testclient import TestClient

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


@pytest.fixture(scope="module")
def corpus_app(corpus_index: BuiltIndex) -> Iterator[TestClient]:
    """Yield Starlette's TestClient of the web app over `corpus_index`, in process
    (tests/api_contract.py app_client). Per module: the client runs the app on a thread
    of its own, which should not outlive the tests that use it (other modules fork)."""
    from api_contract import app_client

    with app_client(corpus_index.folder) as client:
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

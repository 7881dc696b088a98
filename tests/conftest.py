"""Shared fixtures: the real corpus, seed-file writers, and the --run-slow switch."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

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

"""Checksummed generations: a flipped byte or a truncated file in any kind of file of a new
generation keeps the previous one serving and /healthz says why; a damaged current
generation with nothing to fall back to answers 503, never wrong answers; `search verify`
checks every byte."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from search.cli import cli
from search.errors import IndexCorrupt
from search.local import LocalBackend
from search.local.store import generations
from search.local.store.build import build_index
from search.local.store.checksums import CHECKSUMS
from search.request import SearchRequest

# Every kind of file a generation holds (vectors.npy only with --embeddings: the same
# code path as the other NumPy files), by how to find it in the folder.
KINDS = [
    "MAIN_*.seg",
    "_MAIN_*.toc",
    "columns.json",
    "columns.npz",
    "meta.json",
    "records.jsonl.gz",
    "stories.npy",
    "synonyms.txt",
    "words.json",
    CHECKSUMS,
]


@pytest.fixture(scope="module")
def two_generations(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return an index folder with two sound generations of the corpus (read-only)."""
    folder = tmp_path_factory.mktemp("two") / "index"
    build_index(corpus_dir, folder, progress=False)
    build_index(corpus_dir, folder, progress=False)
    return folder


def _copy(index: Path, tmp_path: Path) -> tuple[Path, str, str]:
    copy = tmp_path / "index"
    shutil.copytree(index, copy)
    current, previous = (copy / "CURRENT").read_text().split()
    return copy, current, previous


def _flip(path: Path) -> None:
    """Flip one bit of the byte in the middle of `path`."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _file(folder: Path, pattern: str) -> Path:
    (found,) = folder.glob(pattern)
    return found


@pytest.mark.parametrize("kind", KINDS)
def test_a_flipped_byte_keeps_the_previous_generation_serving(
    two_generations: Path, tmp_path: Path, kind: str
) -> None:
    index, current, previous = _copy(two_generations, tmp_path)
    damaged = _file(index / current, kind)
    _flip(damaged)
    backend = LocalBackend.open(index)
    backend.warm()  # what a server does before serving: every byte checked
    health = backend.health()
    assert health.generation == previous
    assert health.problem is not None
    assert current in health.problem
    assert f"{damaged.name} does not match" in health.problem
    assert backend.search(SearchRequest(q="facial recognition")).total > 0
    backend.close()


@pytest.mark.parametrize("kind", ["MAIN_*.seg", "columns.npz", "records.jsonl.gz"])
def test_a_truncated_file_is_found_on_the_request_path(
    two_generations: Path, tmp_path: Path, kind: str
) -> None:
    index, current, previous = _copy(two_generations, tmp_path)
    damaged = _file(index / current, kind)
    damaged.write_bytes(damaged.read_bytes()[:-100])
    backend = LocalBackend.open(index)  # no warm(): the CLI's way, sizes checked only
    result = backend.search(SearchRequest(q="google"))
    assert result.generation == previous
    assert f"{damaged.name} has" in str(backend.health().problem)
    backend.close()


def test_a_damaged_generation_with_nothing_to_fall_back_to_is_not_served(
    two_generations: Path, tmp_path: Path
) -> None:
    from api_contract import app_client

    index, current, previous = _copy(two_generations, tmp_path)
    shutil.rmtree(index / previous)
    seg = _file(index / current, "MAIN_*.seg")
    _flip(seg)
    backend = LocalBackend.open(index)
    backend.warm()  # a server's start: the flipped byte is found, and nothing else is sound
    with pytest.raises(IndexCorrupt, match=current):
        backend.search(SearchRequest(q="google"))
    backend.close()
    seg.write_bytes(seg.read_bytes()[:-10])  # what the request path itself sees: sizes
    with app_client(index) as app:
        for target in ("/api/search?q=google", "/healthz"):
            answer = app.get(target)
            assert answer.status_code == 503
            error = answer.json()["error"]
            assert error["code"] == "index_corrupt"
            assert f"{seg.name} has" in error["message"] and str(index) not in error["message"]


def test_a_damaged_new_generation_is_not_switched_to(
    two_generations: Path, tmp_path: Path, corpus_dir: Path
) -> None:
    index, current, _ = _copy(two_generations, tmp_path)
    backend = LocalBackend.open(index)
    backend.watch(interval=0.05)
    staging = tmp_path / "staging"
    build_index(corpus_dir, staging, progress=False)
    fresh = generations.current_generation(staging)
    assert fresh is not None
    _flip(_file(fresh, "records.jsonl.gz"))
    moved = index / fresh.name
    shutil.move(str(fresh), moved)
    generations.publish(index, moved)
    deadline = time.monotonic() + 20
    while backend.health().problem is None and time.monotonic() < deadline:
        time.sleep(0.05)
    health = backend.health()
    assert health.generation == current
    assert f"{moved.name} is damaged" in str(health.problem)
    assert "records.jsonl.gz does not match its checksum" in str(health.problem)
    backend.close()


def test_verify_command(two_generations: Path, tmp_path: Path) -> None:
    index, current, previous = _copy(two_generations, tmp_path)
    runner = CliRunner()
    sound = runner.invoke(cli, ["verify", "--index", str(index), "--json"])
    assert sound.exit_code == 0, sound.output
    assert json.loads(sound.output) == {
        "current": current,
        "generations": {current: [], previous: []},
    }
    _flip(_file(index / current, "MAIN_*.seg"))
    damaged = runner.invoke(cli, ["verify", "--index", str(index)])
    assert damaged.exit_code == 1
    seg = _file(index / current, "MAIN_*.seg").name
    assert damaged.output.splitlines() == [
        f"{current} (current): DAMAGED",
        f"  {seg} does not match its checksum (damaged on disk)",
        f"{previous} (previous): every file matches its checksum",
    ]


def test_an_incremental_build_leaves_the_previous_checksums_alone(
    literal_seeds: Path, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    build_index(literal_seeds, index, progress=False)
    (literal_seeds / "b.md").unlink()
    build_index(literal_seeds, index, incremental=True, progress=False)
    found = LocalBackend(index).verify()
    assert list(found.values()) == [[], []]

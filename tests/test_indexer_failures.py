"""build_index (DESIGN.md 3): checkpoints come in order; a build that fails at any
of them (an exception, an OS error, a failing forked child, a missing seeds folder)
publishes nothing and keeps the current generation."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from indexer_support import current, folders, stored_documents

from search.errors import BuildError
from search.ingest import corpus
from search.local.store import segments as writers
from search.local.store.build import build_index

STAGES = ["locked", "parsed", "half-indexed", "indexed", "synced", "published"]


def test_checkpoints_of_a_full_build_come_in_order(literal_seeds: Path, index_dir: Path) -> None:
    seen: list[str] = []
    build_index(literal_seeds, index_dir, progress=False, checkpoint=seen.append)
    assert seen == STAGES


def test_checkpoints_of_an_incremental_build(literal_seeds: Path, index_dir: Path) -> None:
    build_index(literal_seeds, index_dir, progress=False)
    seen: list[str] = []
    build_index(literal_seeds, index_dir, incremental=True, progress=False, checkpoint=seen.append)
    assert [s for s in STAGES if s in seen] == seen  # a subsequence, in order
    assert {"locked", "parsed", "indexed", "synced", "published"} <= set(seen)


@pytest.mark.parametrize("stage", STAGES[:-1])
@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_a_failing_build_publishes_nothing(
    literal_seeds: Path, index_dir: Path, stage: str, error: type[BaseException]
) -> None:
    first = build_index(literal_seeds, index_dir, progress=False)
    pointer_before = (index_dir / "CURRENT").read_bytes()
    (literal_seeds / "new.md").write_text('---\ntitle: "New"\n---\n', encoding="utf-8")

    def fail(reached: str) -> None:
        if reached == stage:
            raise error(stage)

    with pytest.raises(error):
        build_index(literal_seeds, index_dir, progress=False, checkpoint=fail)

    assert (index_dir / "CURRENT").read_bytes() == pointer_before
    assert folders(index_dir) == {first.generation}  # the failed generation was removed
    assert len(stored_documents(current(index_dir))) == 5
    retry = build_index(literal_seeds, index_dir, progress=False)  # the lock was released
    assert retry.documents == 6


@pytest.mark.parametrize("stage", ["locked", "half-indexed", "indexed", "synced"])
def test_an_os_error_becomes_build_error(literal_seeds: Path, index_dir: Path, stage: str) -> None:
    first = build_index(literal_seeds, index_dir, progress=False)

    def disk_full(reached: str) -> None:
        if reached == stage:
            raise OSError(28, "No space left on device")

    with pytest.raises(BuildError) as caught:
        build_index(literal_seeds, index_dir, progress=False, checkpoint=disk_full)
    message = str(caught.value)
    assert str(index_dir) in message
    assert "No space left on device" in message
    assert "still serving" in message
    assert current(index_dir).name == first.generation
    assert folders(index_dir) == {first.generation}


needs_two_cores = pytest.mark.skipif(
    (os.cpu_count() or 1) < 2 or not hasattr(os, "fork"), reason="forked workers need 2 cores"
)


@needs_two_cores
def test_a_failing_writer_child_raises_build_error(
    literal_seeds: Path, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = build_index(literal_seeds, index_dir, progress=False)

    def broken(job: object) -> list[object]:
        raise MemoryError("simulated")

    monkeypatch.setattr(writers, "PARALLEL_MIN_DOCUMENTS", 2)
    monkeypatch.setattr(writers, "_index_part", broken)
    with pytest.raises(BuildError, match="MemoryError: simulated"):
        build_index(literal_seeds, index_dir, progress=False)
    assert current(index_dir).name == first.generation
    assert folders(index_dir) == {first.generation}


@needs_two_cores
def test_a_failing_parser_child_raises_build_error(
    literal_seeds: Path, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = build_index(literal_seeds, index_dir, progress=False)
    parent = os.getpid()
    parse_part = corpus._parse_part

    def broken(job: Any) -> Any:
        if os.getpid() != parent:
            raise MemoryError("simulated")
        return parse_part(job)

    monkeypatch.setattr(corpus, "PARALLEL_MIN_FILES", 2)
    monkeypatch.setattr(corpus, "_parse_part", broken)
    try:
        with pytest.raises(BuildError, match="MemoryError: simulated"):
            build_index(literal_seeds, index_dir, progress=False)
    finally:
        assert current(index_dir).name == first.generation
        assert folders(index_dir) == {first.generation}


def test_missing_seeds_folder_raises_build_error(tmp_path: Path, index_dir: Path) -> None:
    with pytest.raises(BuildError, match="does not exist"):
        build_index(tmp_path / "nowhere", index_dir, progress=False)
    assert not index_dir.exists()
    (tmp_path / "file.md").write_text("---\ntitle: x\n---\n", encoding="utf-8")
    with pytest.raises(BuildError, match="not a folder"):
        build_index(tmp_path / "file.md", index_dir, progress=False)


def test_missing_seeds_folder_keeps_current(literal_seeds: Path, index_dir: Path) -> None:
    first = build_index(literal_seeds, index_dir, progress=False)
    shutil.rmtree(literal_seeds)
    with pytest.raises(BuildError):
        build_index(literal_seeds, index_dir, incremental=True, progress=False)
    assert current(index_dir).name == first.generation

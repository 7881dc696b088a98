"""build_index --strict (DESIGN.md 3): any skipped seed file fails the build and
publishes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from indexer_support import WriteSeed, folders

from search.errors import BuildError
from search.local.store import generations
from search.local.store.build import build_index


def test_strict_with_a_bad_file_publishes_nothing(literal_seeds: Path, index_dir: Path) -> None:
    first = build_index(literal_seeds, index_dir, progress=False)
    pointer_before = (index_dir / "CURRENT").read_bytes()
    with pytest.raises(BuildError, match=r"--strict: 1 seed file\(s\) skipped.*bad\.md"):
        build_index(literal_seeds, index_dir, strict=True, progress=False)
    with pytest.raises(BuildError, match="--strict"):
        build_index(literal_seeds, index_dir, strict=True, incremental=True, progress=False)
    assert (index_dir / "CURRENT").read_bytes() == pointer_before
    assert folders(index_dir) == {first.generation}


def test_strict_with_a_bad_file_and_no_index(literal_seeds: Path, index_dir: Path) -> None:
    with pytest.raises(BuildError, match="--strict"):
        build_index(literal_seeds, index_dir, strict=True, progress=False)
    assert generations.current_generation(index_dir) is None
    assert not (index_dir / "CURRENT").exists()
    assert folders(index_dir) == set()


def test_strict_with_clean_seeds_builds(literal_seeds: Path, index_dir: Path) -> None:
    (literal_seeds / "bad.md").unlink()
    report = build_index(literal_seeds, index_dir, strict=True, progress=False)
    assert report.documents == 5
    assert report.files_skipped == []


def test_strict_counts_files_skipped_before_reading(
    write_seed: WriteSeed, seeds_dir: Path, index_dir: Path
) -> None:
    write_seed("ok.md", 'title: "Fine"\n')
    (seeds_dir / "link.md").symlink_to(seeds_dir / "ok.md")
    with pytest.raises(BuildError, match=r"link\.md"):
        build_index(seeds_dir, index_dir, strict=True, progress=False)
    assert generations.current_generation(index_dir) is None

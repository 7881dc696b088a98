"""build_index --incremental (DESIGN.md 3): every kind of change gives the index and
the report a full build gives, and the cases that fall back to a full build."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from indexer_support import WriteSeed, current, looked_up, search_ids, stored_documents

from benchmarks.generator import write_corpus
from search.errors import BuildError
from search.identity import doc_id
from search.local.store import generations
from search.local.store.build import SCHEMA_VERSION, build_index


def touch_later(path: Path) -> None:
    """Move a file's mtime well past its last one, so a rewrite is always seen as a change."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))


RELATED_FILE = """title: "Listing article"
webUrl: "https://listing.example/story"
publishedDateTime: "2022-05-05T05:05:05Z"
topics: [Energy]
related:
  - title: "Coverage one"
    webUrl: "https://cover.example/one"
  - title: "Coverage two"
    webUrl: "https://cover.example/two"
"""


@pytest.fixture
def incremental_seeds(write_seed: WriteSeed, seeds_dir: Path) -> Path:
    """Return a generated corpus plus a file listing related coverage and a bad file."""
    write_corpus(seeds_dir / "gen", 40, seed=11)
    write_seed("listing.md", RELATED_FILE)
    write_seed("own.md", 'title: "Coverage one, own file"\nwebUrl: "https://cover.example/one"\n')
    write_seed("zz-bad.md", raw=b"no front matter\n")
    return seeds_dir


def plain_generated_file(seeds_dir: Path) -> Path:
    """Return a generated seed file that lists no related coverage."""
    for path in sorted((seeds_dir / "gen").rglob("*.md")):
        if '"related"' not in path.read_text(encoding="utf-8") and "related:" not in (
            path.read_text(encoding="utf-8")
        ):
            return path
    raise AssertionError("no plain generated file")


def rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    touch_later(path)


def change_modify(seeds: Path) -> None:
    rewrite(plain_generated_file(seeds), 'title: "', 'title: "Edited ')


def change_modify_same_size(seeds: Path) -> None:
    path = plain_generated_file(seeds)
    text = path.read_text(encoding="utf-8")
    title = re.search(r'title: "(.)', text)
    assert title is not None
    replacement = "Q" if title.group(1) != "Q" else "Z"
    rewrite(path, f'title: "{title.group(1)}', f'title: "{replacement}')


def change_modify_listing(seeds: Path) -> None:
    rewrite(seeds / "listing.md", "topics: [Energy]", "topics: [Energy, Climate]")


def change_add(seeds: Path) -> None:
    (seeds / "new").mkdir()
    (seeds / "new" / "added.md").write_text(
        '---\ntitle: "Added"\nwebUrl: "https://added.example/x"\n'
        "related:\n"
        '  - {title: "Added coverage", webUrl: "https://added.example/y"}\n---\nBody.\n',
        encoding="utf-8",
    )


def change_add_duplicate(seeds: Path) -> None:
    # a newer copy of the listing article from another file replaces it
    (seeds / "dup.md").write_text(
        '---\ntitle: "Listing, newer"\nwebUrl: "https://listing.example/story/"\n'
        'publishedDateTime: "2023-01-01T00:00:00Z"\n---\n',
        encoding="utf-8",
    )


def change_add_tie(seeds: Path) -> None:
    # same key and date as listing.md, earlier in seed-path order: it wins the tie
    (seeds / "aaa.md").write_text(
        '---\ntitle: "Tie winner"\nwebUrl: "https://listing.example/story"\n'
        'publishedDateTime: "2022-05-05T05:05:05Z"\n---\n',
        encoding="utf-8",
    )


def change_url(seeds: Path) -> None:
    rewrite(plain_generated_file(seeds), 'webUrl: "https://', 'webUrl: "https://moved.')


def change_touch(seeds: Path) -> None:
    touch_later(plain_generated_file(seeds))


def change_delete_own(seeds: Path) -> None:
    # the item listed as related coverage loses its own file: it becomes the related record
    (seeds / "own.md").unlink()


def change_delete(seeds: Path) -> None:
    plain_generated_file(seeds).unlink()


def change_delete_listing(seeds: Path) -> None:
    (seeds / "listing.md").unlink()


def change_break(seeds: Path) -> None:
    path = plain_generated_file(seeds)
    path.write_text("now broken", encoding="utf-8")
    touch_later(path)


def change_fix(seeds: Path) -> None:
    path = seeds / "zz-bad.md"
    path.write_text('---\ntitle: "Fixed"\n---\n', encoding="utf-8")
    touch_later(path)


def change_nothing(seeds: Path) -> None:
    return None


# (change, added, updated, deleted, files read, files skipped): the bad file is always re-read
CHANGES: list[tuple[Callable[[Path], None], int, int, int, int, int]] = [
    (change_modify, 0, 1, 0, 2, 1),
    (change_modify_same_size, 0, 1, 0, 2, 1),
    (change_modify_listing, 0, 2, 0, 2, 1),  # "Coverage two" takes the listing's topics
    (change_url, 1, 0, 1, 2, 1),
    (change_touch, 0, 0, 0, 2, 1),
    (change_add, 2, 0, 0, 2, 1),
    (change_add_duplicate, 0, 1, 0, 2, 1),
    (change_add_tie, 0, 1, 0, 2, 1),
    (change_delete, 0, 0, 1, 1, 1),
    (change_delete_listing, 0, 0, 2, 1, 1),  # "Coverage one" keeps its own file
    (change_delete_own, 0, 1, 0, 1, 1),
    (change_break, 0, 0, 1, 2, 2),
    (change_fix, 1, 0, 0, 1, 0),
    (change_nothing, 0, 0, 0, 1, 1),
]


def incremental_ids() -> Iterator[str]:
    for change, *_ in CHANGES:
        yield change.__name__.removeprefix("change_")


@pytest.mark.parametrize(
    ("change", "added", "updated", "deleted", "read", "skipped"),
    CHANGES,
    ids=list(incremental_ids()),
)
def test_incremental_build(
    incremental_seeds: Path,
    tmp_path: Path,
    change: Callable[[Path], None],
    added: int,
    updated: int,
    deleted: int,
    read: int,
    skipped: int,
) -> None:
    index_dir = tmp_path / "index"
    base = build_index(incremental_seeds, index_dir, progress=False)
    base_docs = stored_documents(current(index_dir))

    change(incremental_seeds)
    report = build_index(incremental_seeds, index_dir, incremental=True, progress=False)

    assert report.incremental is True
    assert report.notes == []
    assert (report.added, report.updated, report.deleted) == (added, updated, deleted)
    assert report.files_read == read  # skipped files have no record: always re-read
    assert len(report.files_skipped) == skipped
    assert report.generation != base.generation
    assert current(index_dir).name == report.generation
    assert generations.read_meta(current(index_dir))["incremental"] is True

    # the same index, and the same report, as a full build of the same seeds
    full = build_index(incremental_seeds, tmp_path / "full", progress=False)
    docs = stored_documents(current(index_dir))
    assert docs == stored_documents(current(tmp_path / "full"))
    assert report.documents == full.documents == len(docs)
    assert report.kinds == full.kinds
    assert report.files_skipped == full.files_skipped
    assert report.warnings == full.warnings
    assert report.duplicates_merged == full.duplicates_merged
    assert len(docs) == len(base_docs) + added - deleted
    # every live document is found by its id (a changed one: its new version), a deleted one not
    gone = sorted(set(base_docs) - set(docs))
    assert looked_up(current(index_dir), [*docs, *gone]) == {**docs, **dict.fromkeys(gone)}

    # the previous generation, which shares files with the new one, still serves as it was
    assert stored_documents(index_dir / base.generation) == base_docs

    # and a further incremental build with no change is a no-op on the content
    again = build_index(incremental_seeds, index_dir, incremental=True, progress=False)
    assert (again.added, again.updated, again.deleted, again.files_read) == (0, 0, 0, skipped)
    assert stored_documents(current(index_dir)) == docs


def test_incremental_search_sees_changes(incremental_seeds: Path, index_dir: Path) -> None:
    build_index(incremental_seeds, index_dir, progress=False)
    rewrite(incremental_seeds / "listing.md", 'title: "Listing article"', 'title: "Zyxwv story"')
    build_index(incremental_seeds, index_dir, incremental=True, progress=False)
    listing = doc_id("https://listing.example/story")
    assert search_ids(current(index_dir), "zyxwv") == [listing]
    assert search_ids(current(index_dir), "listing") == []


def test_incremental_chain_equals_full_build(incremental_seeds: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    build_index(incremental_seeds, index_dir, progress=False)
    for change in (change_modify, change_add, change_delete_listing, change_fix, change_delete):
        change(incremental_seeds)
        report = build_index(incremental_seeds, index_dir, incremental=True, progress=False)
        assert report.incremental is True
    build_index(incremental_seeds, tmp_path / "full", progress=False)
    assert stored_documents(current(index_dir)) == stored_documents(current(tmp_path / "full"))


def test_incremental_without_an_index_builds_in_full(
    incremental_seeds: Path, index_dir: Path
) -> None:
    report = build_index(incremental_seeds, index_dir, incremental=True, progress=False)
    assert report.incremental is False
    assert report.notes == ["no current generation to update; built in full"]
    assert report.files_read == 43
    assert report.added == report.documents
    assert len(stored_documents(current(index_dir))) == report.documents
    assert generations.read_meta(current(index_dir))["incremental"] is False


def test_incremental_after_a_schema_change_builds_in_full(
    incremental_seeds: Path, index_dir: Path
) -> None:
    build_index(incremental_seeds, index_dir, progress=False)
    meta_path = current(index_dir) / generations.META
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["schema_version"] = SCHEMA_VERSION + 1
    meta_path.write_text(json.dumps(meta), encoding="utf-8")

    report = build_index(incremental_seeds, index_dir, incremental=True, progress=False)

    assert report.incremental is False
    assert len(report.notes) == 1
    assert "schema version" in report.notes[0]
    assert "built in full" in report.notes[0]
    assert report.files_read == 43


def test_incremental_with_unreadable_records_builds_in_full(
    incremental_seeds: Path, index_dir: Path
) -> None:
    build_index(incremental_seeds, index_dir, progress=False)
    (current(index_dir) / "records.jsonl.gz").write_text("{not json\n", encoding="utf-8")
    report = build_index(incremental_seeds, index_dir, incremental=True, progress=False)
    assert report.incremental is False
    assert "unreadable records.jsonl.gz: Not a gzipped file" in report.notes[0]
    assert report.files_read == 43


def test_incremental_on_a_damaged_generation_fails_cleanly(
    incremental_seeds: Path, index_dir: Path
) -> None:
    first = build_index(incremental_seeds, index_dir, progress=False)
    for toc in current(index_dir).glob("_MAIN_*.toc"):
        toc.unlink()
    try:
        report = build_index(incremental_seeds, index_dir, incremental=True, progress=False)
    except BuildError:
        assert current(index_dir).name == first.generation
    else:
        assert report.incremental is False
        assert report.notes != []
        assert len(stored_documents(current(index_dir))) == report.documents

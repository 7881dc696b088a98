"""build_index (DESIGN.md 3): full and incremental builds, the report, and what the index holds."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as whoosh_index
from whoosh.qparser import QueryParser

from benchmarks.generator import write_corpus
from search.errors import BuildError
from search.identity import doc_id
from search.ingest import corpus
from search.ingest.corpus import PARALLEL_MIN_FILES, discover, merge, parse_files
from search.local.store import generations
from search.local.store import segments as writers
from search.local.store.build import SCHEMA_VERSION, build_index
from search.local.store.schema import build_schema
from search.local.whoosh_compat import index_segments
from search.model import Article, IndexReport, ParsedFile, SkippedFile

WriteSeed = Callable[..., Path]
ROOT = Path(__file__).resolve().parent.parent
StoredDocs = dict[str, dict[str, Any]]

STAGES = ["locked", "parsed", "half-indexed", "indexed", "synced", "published"]


# --- helpers -----------------------------------------------------------------------------


def stored_documents(generation: Path) -> StoredDocs:
    """Return {id: stored fields} of every live document of a generation's Whoosh index."""
    ix = whoosh_index.open_dir(str(generation))
    try:
        with ix.searcher() as searcher:
            docs = [dict(d) for d in searcher.all_stored_fields()]
            assert searcher.doc_count() == len(docs)
    finally:
        ix.close()
    by_id = {d["id"]: d for d in docs}
    assert len(by_id) == len(docs), "duplicate ids in the index"
    return by_id


def ids_by_number(folder: Path) -> list[str]:
    """Return the stored ids in Whoosh document-number order."""
    ix = whoosh_index.open_dir(str(folder))
    try:
        with ix.reader() as reader:
            return [reader.stored_fields(n)["id"] for n in range(reader.doc_count_all())]
    finally:
        ix.close()


def search_ids(generation: Path, text: str, limit: int | None = 20) -> list[str]:
    """Return the ids of the top hits for a query over title and excerpt, in rank order."""
    ix = whoosh_index.open_dir(str(generation))
    try:
        with ix.searcher() as searcher:
            query = QueryParser("title", ix.schema).parse(text)
            return [hit["id"] for hit in searcher.search(query, limit=limit)]
    finally:
        ix.close()


def current(index_dir: Path) -> Path:
    """Return the current generation folder, failing if there is none."""
    folder = generations.current_generation(index_dir)
    assert folder is not None
    return folder


def merged_documents(seeds_dir: Path) -> list[Article]:
    """Return the documents a build of `seeds_dir` should index (DESIGN.md 2.6, 2.7)."""
    files, _ = discover(seeds_dir)
    parsed = [p for p in parse_files(files, progress=False) if isinstance(p, ParsedFile)]
    return merge(parsed).documents


def summary(docs: StoredDocs) -> set[tuple[str, str, str, str]]:
    """Return {(id, key, title, kind)} of stored documents."""
    return {(d["id"], d["key"], d["title"], d["kind"]) for d in docs.values()}


def folders(index_dir: Path) -> set[str]:
    return {p.name for p in index_dir.iterdir() if generations.is_generation_name(p.name)}


def touch_later(path: Path) -> None:
    """Move a file's mtime well past its last one, so a rewrite is always seen as a change."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))


# --- a small literal corpus --------------------------------------------------------------

ALPHA = """title: "Alpha launch"
excerpt: "The alpha rocket launch went well."
webUrl: "https://Example.com/alpha/?utm_source=feed"
publishedDateTime: "2024-01-02T03:04:05Z"
topics: [AI, Space]
provider: {name: Example News, domain: example.com}
related:
  - title: "Alpha coverage"
    webUrl: "https://other.org/cov-1"
    publishedDateTime: "2024-01-03T00:00:00Z"
  - title: "Beta as related"
    webUrl: "https://example.com/beta"
"""
BETA = 'title: "Beta"\nwebUrl: "https://example.com/beta"\npublishedDateTime: "2024-02-01"\n'
GAMMA_OLD = (
    'title: "Gamma older"\nwebUrl: "https://example.com/gamma"\n'
    'publishedDateTime: "2023-01-01T00:00:00Z"\n'
)
GAMMA_NEW = (
    'title: "Gamma newer"\nwebUrl: "https://example.com/gamma#section"\n'
    'publishedDateTime: "2023-06-01T00:00:00Z"\n'
)
LOCAL = 'title: "Local note"\npublishedDateTime: "nonsense"\n'

EXPECTED = {
    ("https://example.com/alpha", "Alpha launch", "article"),
    ("https://other.org/cov-1", "Alpha coverage", "related"),
    ("https://example.com/beta", "Beta", "article"),
    ("https://example.com/gamma", "Gamma newer", "article"),
    ("path:e.md", "Local note", "article"),
}


@pytest.fixture
def literal_seeds(write_seed: WriteSeed, seeds_dir: Path) -> Path:
    """Return a seeds folder with related items, duplicates, a warning and a bad file."""
    write_seed("a.md", ALPHA, "Alpha body text about propulsion.\n")
    write_seed("b.md", BETA)
    write_seed("c.md", GAMMA_OLD)
    write_seed("sub/d.md", GAMMA_NEW)
    write_seed("e.md", LOCAL)
    write_seed("bad.md", raw=b"---\ntitle: [unclosed\n---\n")
    write_seed("notes/readme.rst", "title: not a seed\n")
    write_seed(".hidden/x.md", "title: hidden\n")
    return seeds_dir


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


# --- full builds -------------------------------------------------------------------------


def test_full_build_report(literal_seeds: Path, index_dir: Path) -> None:
    report = build_index(literal_seeds, index_dir, progress=False)

    assert report.documents == 5
    assert report.kinds == {"article": 4, "related": 1}
    assert report.files_read == 6  # a, b, c, sub/d, e and bad; not .rst, not hidden
    assert [s.path for s in report.files_skipped] == ["bad.md"]
    assert report.files_skipped[0].reason.startswith("front matter is not valid YAML")
    assert len(report.warnings) == 1
    assert report.warnings[0].startswith("e.md: ")
    assert "publishedDateTime" in report.warnings[0]
    assert report.duplicates_merged == 2  # beta (own file beats related) and gamma (newer wins)
    assert report.incremental is False
    assert report.notes == []
    assert (report.added, report.updated, report.deleted) == (5, 0, 0)
    assert report.duration_s >= 0
    assert generations.is_generation_name(report.generation)
    assert current(index_dir).name == report.generation


def test_full_build_index_holds_exactly_the_documents(literal_seeds: Path, index_dir: Path) -> None:
    report = build_index(literal_seeds, index_dir, progress=False)
    docs = stored_documents(current(index_dir))

    assert summary(docs) == {(doc_id(key), key, title, kind) for key, title, kind in EXPECTED}
    assert len(docs) == report.documents
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", i) for i in docs)
    alpha = docs[doc_id("https://example.com/alpha")]
    assert alpha["topics"] == ["AI", "Space"]
    assert alpha["source"] == "a.md"
    assert alpha["provider_name"] == "Example News"
    assert sorted(alpha["related"]) == sorted(
        doc_id(k) for k in ("https://other.org/cov-1", "https://example.com/beta")
    )
    coverage = docs[doc_id("https://other.org/cov-1")]
    assert coverage["topics"] == ["AI", "Space"]  # topics of the article that lists it
    assert docs[doc_id("https://example.com/beta")]["source"] == "b.md"
    assert docs[doc_id("https://example.com/gamma")]["source"] == "sub/d.md"
    assert "published" not in docs[doc_id("path:e.md")]
    # and the text is searchable
    assert search_ids(current(index_dir), "rocket") == []  # title field only
    assert search_ids(current(index_dir), "excerpt:rocket") == [alpha["id"]]
    assert search_ids(current(index_dir), "body:propulsion") == [alpha["id"]]


def test_full_build_meta(literal_seeds: Path, index_dir: Path) -> None:
    report = build_index(literal_seeds, index_dir, progress=False)
    meta = generations.read_meta(current(index_dir))
    assert meta["generation"] == report.generation
    assert meta["documents"] == 5
    assert meta["kinds"] == {"article": 4, "related": 1}
    assert meta["schema_version"] == SCHEMA_VERSION
    assert meta["incremental"] is False
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", meta["built_at"])


def test_generated_corpus_index_matches_merged_documents(seeds_dir: Path, index_dir: Path) -> None:
    write_corpus(seeds_dir, 150, seed=5)
    report = build_index(seeds_dir, index_dir, progress=False)
    expected = merged_documents(seeds_dir)
    docs = stored_documents(current(index_dir))
    assert summary(docs) == {(d.id, d.key, d.title, d.kind) for d in expected}
    assert report.documents == len(expected)
    assert report.kinds["related"] > 0
    assert report.files_read == 150
    assert report.files_skipped == []


def test_mid_sized_corpus_parsed_in_process_completes(seeds_dir: Path, tmp_path: Path) -> None:
    # 1,000 to PARALLEL_MIN_FILES - 1 files are parsed in the build's own process; run it in a
    # child, since a parser that thinks its parent died calls os._exit (an earlier bug)
    count = 1_200
    assert count < PARALLEL_MIN_FILES
    write_corpus(seeds_dir, count, seed=3)
    options = ["--json", "--seeds", str(seeds_dir), "--index", str(tmp_path / "index")]
    done = subprocess.run(
        [sys.executable, "-m", "search", "rebuild-index", *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["files_read"] == count
    assert report["documents"] == len(merged_documents(seeds_dir))


def test_same_seeds_give_the_same_ids(literal_seeds: Path, tmp_path: Path) -> None:
    write_corpus(literal_seeds / "gen", 60, seed=9)
    first = build_index(literal_seeds, tmp_path / "index", progress=False)
    ids_first = {i: d["key"] for i, d in stored_documents(current(tmp_path / "index")).items()}
    second = build_index(literal_seeds, tmp_path / "index", progress=False)
    ids_second = {i: d["key"] for i, d in stored_documents(current(tmp_path / "index")).items()}
    elsewhere = build_index(literal_seeds, tmp_path / "other", progress=False)
    ids_elsewhere = {i: d["key"] for i, d in stored_documents(current(tmp_path / "other")).items()}

    assert first.generation != second.generation
    assert ids_first == ids_second == ids_elsewhere
    assert first.documents == second.documents == elsewhere.documents == len(ids_first)


def test_rebuild_keeps_previous_generation(literal_seeds: Path, index_dir: Path) -> None:
    first = build_index(literal_seeds, index_dir, progress=False)
    second = build_index(literal_seeds, index_dir, progress=False)
    third = build_index(literal_seeds, index_dir, progress=False)
    assert folders(index_dir) == {second.generation, third.generation}
    assert first.generation not in folders(index_dir)
    assert (index_dir / "CURRENT").read_text(encoding="utf-8").split() == [
        third.generation,
        second.generation,
    ]


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


def test_empty_seeds_folder_builds_an_empty_index(seeds_dir: Path, index_dir: Path) -> None:
    report = build_index(seeds_dir, index_dir, progress=False)
    assert report.documents == 0
    assert report.kinds == {"article": 0, "related": 0}
    assert stored_documents(current(index_dir)) == {}


# --- incremental builds ------------------------------------------------------------------

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
    (current(index_dir) / "records.jsonl").write_text("{not json\n", encoding="utf-8")
    report = build_index(incremental_seeds, index_dir, incremental=True, progress=False)
    assert report.incremental is False
    assert "records.jsonl" in report.notes[0]
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


# --- the parallel writer -----------------------------------------------------------------


@pytest.fixture(scope="module")
def generated_articles(tmp_path_factory: pytest.TempPathFactory) -> list[Article]:
    seeds = tmp_path_factory.mktemp("parallel") / "seeds"
    write_corpus(seeds, 700, seed=17)
    return merged_documents(seeds)


def write_folder(folder: Path, documents: list[Article], workers: int) -> list[str]:
    """Write `documents` with `workers` writers into `folder`; return the checkpoints seen."""
    folder.mkdir()
    seen: list[str] = []
    writers.write_all(folder, documents, progress=False, checkpoint=seen.append, workers=workers)
    return seen


def test_parallel_writers_give_the_same_documents(
    generated_articles: list[Article], tmp_path: Path
) -> None:
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    assert write_folder(serial, generated_articles, workers=1) == ["half-indexed", "indexed"]
    assert write_folder(parallel, generated_articles, workers=2) == ["half-indexed", "indexed"]

    serial_docs = stored_documents(serial)
    assert serial_docs == stored_documents(parallel)
    # document numbers follow the list, part after part (the per-document columns rely on it)
    in_order = [d.id for d in generated_articles]
    assert ids_by_number(serial) == ids_by_number(parallel) == in_order
    assert len(serial_docs) == len(generated_articles)
    assert set(serial_docs) == {d.id for d in generated_articles}
    for text in ("data", "cloud OR model", "topic:ai", '"machine learning"', "excerpt:market"):
        assert search_ids(serial, text) == search_ids(parallel, text), text
    assert sorted(search_ids(serial, "topic:ai", limit=None)) == sorted(
        d.id for d in generated_articles if any("ai" in t.lower().split() for t in d.topics)
    )

    # the parts were merged into the generation: several segments, no part folders left
    ix = whoosh_index.open_dir(str(parallel))
    try:
        assert len(index_segments(ix)) >= 2
        assert ix.schema.names() == build_schema().names()
    finally:
        ix.close()
    assert [p.name for p in parallel.iterdir() if p.is_dir()] == []


def test_parallel_generation_accepts_incremental_updates(
    generated_articles: list[Article], tmp_path: Path
) -> None:
    parallel = tmp_path / "parallel"
    write_folder(parallel, generated_articles, workers=2)
    updated = tmp_path / "updated"
    updated.mkdir()
    first, last = generated_articles[0], generated_articles[-1]
    changed = Article(key=first.key, kind=first.kind, title="Replaced title", source=first.source)
    writers.update(parallel, updated, [changed], [last.id], lambda stage: None, frozenset())
    docs = stored_documents(updated)
    assert len(docs) == len(generated_articles) - 1
    assert docs[first.id]["title"] == "Replaced title"
    assert last.id not in docs
    assert len(stored_documents(parallel)) == len(generated_articles)  # untouched


def test_report_fields_are_the_documented_ones() -> None:
    assert [f.name for f in fields(IndexReport)] == [
        "generation",
        "documents",
        "kinds",
        "files_read",
        "files_skipped",
        "warnings",
        "duplicates_merged",
        "duration_s",
        "incremental",
        "added",
        "updated",
        "deleted",
        "notes",
    ]
    assert [f.name for f in fields(SkippedFile)] == ["path", "reason"]

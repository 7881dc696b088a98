"""A full build's merge of packed shares (packed_merge) gives what corpus.merge gives:
the same documents, in the same order, with the same counts, however the files are
shared out and whatever the duplicates (strays included)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from search.ingest import packed, packed_merge
from search.ingest.corpus import count_kinds, discover, merge, parse_files
from search.ingest.packed_merge import merge_packed, pack_share
from search.model import Article, ParsedFile, SkippedFile


def _merged_by_shares(
    results: list[ParsedFile | SkippedFile], shares: int
) -> packed_merge.MergedPacks:
    size = -(-len(results) // shares)
    return merge_packed([pack_share(results[n * size : (n + 1) * size]) for n in range(shares)])


def _expect_the_same(results: list[ParsedFile | SkippedFile], shares: int) -> None:
    expected = merge(r for r in results if isinstance(r, ParsedFile))
    merged = _merged_by_shares(results, shares)
    documents = merged.documents
    assert list(documents) == expected.documents
    assert (merged.duplicates, merged.kinds) == (
        expected.duplicates,
        count_kinds(expected.documents),
    )
    # writers' shares: contiguous views that add up to the whole, in order
    for count in (1, 2, 3):
        parts = documents.parts(count)
        assert len(parts) == count
        assert [d for part in parts for d in part] == expected.documents
    assert [documents[0], documents[-1]] == [expected.documents[0], expected.documents[-1]]
    assert list(documents[2:5]) == expected.documents[2:5]


@pytest.mark.parametrize("shares", [1, 2, 3])
def test_the_real_corpus_merges_the_same(corpus_dir: Path, shares: int) -> None:
    files, _ = discover(corpus_dir)
    results = parse_files(files)
    assert any(isinstance(r, SkippedFile) for r in results)  # MANIFEST.md, at least
    _expect_the_same(results, shares)


def _article(rng: random.Random, key: str, kind: str, source: str) -> Article:
    day = rng.choice([None, *range(6)])  # few dates: ties, and records without a date
    published = None if day is None else datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=day)
    topics = tuple(
        rng.sample(["AI", "ai", "Chips", "Policy", "policy", "Space"], rng.randint(0, 3))
    )
    return Article(
        key, kind, f"{kind} {key} from {source}", source, topics=topics, published=published
    )


def _random_results(seed: int, files: int) -> list[ParsedFile | SkippedFile]:
    """Files whose own articles and related items share keys at random (later, newer
    records of earlier keys: strays), and some skipped files between them."""
    rng = random.Random(seed)
    results: list[ParsedFile | SkippedFile] = []
    for number in range(files):
        source = f"f{number:04d}.md"
        if rng.random() < 0.05:
            results.append(SkippedFile(source, "empty file"))
            continue
        own = _article(rng, f"k{rng.randrange(files)}", "article", source)
        related = [
            _article(rng, f"k{rng.randrange(files + files // 2)}", "related", source)
            for _ in range(rng.randint(0, 4))
        ]
        results.append(ParsedFile(own, related, [f"{source}: warning"] * rng.randint(0, 1)))
    return results


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("shares", [1, 2, 3])
def test_duplicates_merge_the_same_across_small_chunks(
    monkeypatch: pytest.MonkeyPatch, seed: int, shares: int
) -> None:
    # chunks of 4 records: references cross chunks and go back in them (strays)
    monkeypatch.setattr(packed, "CHUNK", 4)
    monkeypatch.setattr(packed_merge, "CHUNK", 4)
    results = _random_results(seed, 300)
    merged = _merged_by_shares(results, shares)
    assert len(merged.documents._streams) == 2 * shares + 1  # a stream of strays was made
    _expect_the_same(results, shares)


def test_a_share_keeps_its_skipped_files_and_warnings_in_order() -> None:
    results = _random_results(7, 60)
    share = pack_share(results)
    assert share.skipped == [r for r in results if isinstance(r, SkippedFile)]
    assert share.warnings == [w for r in results if isinstance(r, ParsedFile) for w in r.warnings]
    assert list(share.articles) == [r.article for r in results if isinstance(r, ParsedFile)]


def test_no_documents() -> None:
    merged = merge_packed([pack_share([]), pack_share([SkippedFile("a.md", "empty file")])])
    assert (list(merged.documents), merged.duplicates, merged.kinds) == (
        [],
        0,
        {"article": 0, "related": 0},
    )
    assert [list(part) for part in merged.documents.parts(2)] == [[], []]

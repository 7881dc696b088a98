"""The refused and the usable seed files all together through a full build_index:
every usable file indexed, every other one reported with its path and reason, no crash."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from build_support import fm, stored_documents
from frontmatter_support import BAD, GOOD, LAUGHS, MARKER

from search.ingest.corpus import discover, merge, parse_files
from search.local.store import generations
from search.local.store.build import build_index
from search.model import Article, ParsedFile, SkippedFile


def test_build_over_every_bad_and_good_file(seeds_dir: Path, tmp_path: Path) -> None:
    marker = tmp_path / "exploited"
    for name, raw, _ in BAD:
        (seeds_dir / f"{name}.md").write_bytes(raw.replace(MARKER, str(marker).encode()))
    (seeds_dir / "_news").mkdir()
    for name, raw, _ in GOOD:
        (seeds_dir / "_news" / f"{name}.md").write_bytes(raw)
    (seeds_dir / "laughs.md").write_bytes(fm(LAUGHS + "title: Laughs\ntopics: *l8\n"))

    started = time.monotonic()
    report = build_index(seeds_dir, tmp_path / "index")
    assert time.monotonic() - started < 20

    assert not marker.exists(), "a YAML tag ran code"
    expected_skipped = sorted(
        (SkippedFile(f"{name}.md", reason) for name, _, reason in BAD), key=lambda s: s.path
    )
    assert report.files_skipped == expected_skipped
    # the 6 MB file is refused from its size, before it is read
    assert report.files_read == len(BAD) - 1 + len(GOOD) + 1
    # every usable file is one document; keys: path keys, plus the two with a URL
    assert report.kinds == {"article": len(GOOD) + 1, "related": 0}
    assert report.documents == len(GOOD) + 1
    assert report.duplicates_merged == 0

    def rename(warning: str, name: str) -> str:
        return warning.replace("x.md: ", f"_news/{name}.md: ", 1)

    expected_warnings = [
        rename(w, name)
        for name, _, parsed in sorted(GOOD, key=lambda case: f"_news/{case[0]}.md")
        for w in parsed.warnings
    ] + ["laughs.md: topics has a list item; dropped"] * 9
    assert report.warnings == expected_warnings

    # exactly the articles parse_seed_bytes gave, now named by their seed paths
    expected = {
        f"_news/{name}.md": replace(
            parsed.article,
            source=f"_news/{name}.md",
            key=parsed.article.key.replace("path:x.md", f"path:_news/{name}.md"),
        )
        for name, _, parsed in GOOD
    }
    expected["laughs.md"] = Article(
        key="path:laughs.md", kind="article", title="Laughs", source="laughs.md"
    )
    files, _ = discover(seeds_dir)
    parsed_files = [r for r in parse_files(files, progress=False) if isinstance(r, ParsedFile)]
    assert {d.source: d for d in merge(parsed_files).documents} == expected

    stored = stored_documents(tmp_path / "index")
    assert {d["source"]: (d["id"], d["key"], d["title"]) for d in stored} == {
        source: (a.id, a.key, a.title) for source, a in expected.items()
    }
    for document in stored:
        assert "secured" not in document
        assert "S3CR3T" not in repr(document)
    generation = generations.current_generation(tmp_path / "index")
    assert generation is not None
    for path in generation.iterdir():
        assert b"S3CR3T" not in path.read_bytes(), path.name


def test_build_survives_odd_quality(seeds_dir: Path, tmp_path: Path) -> None:
    (seeds_dir / "good.md").write_bytes(fm("title: Good\n"))
    (seeds_dir / "odd.md").write_bytes(fm("title: Odd\nquality: '--5'\n"))
    report = build_index(seeds_dir, tmp_path / "index")
    assert report.documents == 2
    assert report.warnings == ["odd.md: quality is not an integer; dropped"]

"""build_index (DESIGN.md 3): full builds, their report, and what the index holds
(the literal seeds: conftest.py `literal_seeds`)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

from build_support import ROOT, merged_documents
from indexer_support import EXPECTED, current, folders, search_ids, stored_documents, summary

from benchmarks.generator import write_corpus
from search.identity import doc_id
from search.ingest.corpus import PARALLEL_MIN_FILES
from search.local.store import generations
from search.local.store.build import SCHEMA_VERSION, build_index
from search.model import IndexReport, SkippedFile


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


def test_empty_seeds_folder_builds_an_empty_index(seeds_dir: Path, index_dir: Path) -> None:
    report = build_index(seeds_dir, index_dir, progress=False)
    assert report.documents == 0
    assert report.kinds == {"article": 0, "related": 0}
    assert stored_documents(current(index_dir)) == {}


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

"""Which files are seeds (DESIGN.md 2.1): suffixes, hidden files and folders, size,
symbolic links, special files and undecodable names."""

from __future__ import annotations

import os
from pathlib import Path

from build_support import MIB, stored_documents
from build_support import fm as seed

from search.ingest.corpus import SeedFile, discover
from search.ingest.frontmatter import MAX_FILE_BYTES
from search.local.store.build import build_index
from search.model import SkippedFile


def test_discovery_rules(seeds_dir: Path, tmp_path: Path) -> None:
    files = {
        "_news/2021-01-01-news.md": seed("title: Jekyll collection\n"),
        "_archive/_news/2019-01-01-old.md": seed("title: Nested collection\n"),
        "UPPER.MD": seed("title: Upper-case suffix\n"),
        "long.markdown": seed("title: Markdown suffix\n"),
        "Mixed.MarkDown": seed("title: Mixed-case markdown\n"),
        "plain.txt": seed("title: Text suffix\n"),
        "sub/dir/deep.Txt": seed("title: Deep text\n"),
        "README.md": b"# Seeds\n\nThis folder holds the seed files.\n",
        "big.md": seed("title: Too big\n", "x" * (6 * MIB)),
        # ignored entirely: hidden folders and files, other suffixes
        ".git/HEAD.md": seed("title: Git internals\n"),
        ".git/objects/ab/notes.md": seed("title: Git object\n"),
        "_news/.draft.md": seed("title: Hidden draft\n"),
        ".hidden/visible-name.md": seed("title: In a hidden folder\n"),
        "topics.yaml": seed("title: YAML data\n"),
        "page.html": seed("title: HTML page\n"),
        "backup.md.bak": seed("title: Backup\n"),
        "md": seed("title: No suffix\n"),
        "notes.mdx": seed("title: MDX\n"),
    }
    for relative, raw in files.items():
        path = seeds_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(raw)
    big_size = len(files["big.md"])
    assert big_size > MAX_FILE_BYTES

    found, skipped = discover(seeds_dir)
    assert [f.relative for f in found] == [  # sorted by path
        "Mixed.MarkDown",
        "README.md",
        "UPPER.MD",
        "_archive/_news/2019-01-01-old.md",
        "_news/2021-01-01-news.md",
        "long.markdown",
        "plain.txt",
        "sub/dir/deep.Txt",
    ]
    for found_file in found:
        assert found_file == SeedFile(
            str(seeds_dir / found_file.relative),
            found_file.relative,
            len(files[found_file.relative]),
            (seeds_dir / found_file.relative).stat().st_mtime_ns,
        )
    too_large = SkippedFile("big.md", f"too large: {big_size} bytes (limit {MAX_FILE_BYTES})")
    assert skipped == [too_large]

    report = build_index(seeds_dir, tmp_path / "index")
    assert report.files_skipped == [
        SkippedFile("README.md", "no front matter: the first line is not '---'"),
        too_large,
    ]
    assert report.files_read == 8  # README.md is read (then skipped); big.md never is
    assert report.kinds == {"article": 7, "related": 0}
    assert report.warnings == []
    assert sorted(d["title"] for d in stored_documents(tmp_path / "index")) == sorted(
        [
            "Jekyll collection",
            "Nested collection",
            "Upper-case suffix",
            "Markdown suffix",
            "Mixed-case markdown",
            "Text suffix",
            "Deep text",
        ]
    )


def test_symlinks_and_special_files_are_reported(seeds_dir: Path, tmp_path: Path) -> None:
    (seeds_dir / "good.md").write_bytes(seed("title: Good\n"))
    outside = tmp_path / "outside.md"
    outside.write_bytes(seed("title: Outside the seeds folder\n"))
    (seeds_dir / "link.md").symlink_to(outside)
    (seeds_dir / "dangling.md").symlink_to(tmp_path / "nowhere.md")
    os.mkfifo(seeds_dir / "pipe.md")
    report = build_index(seeds_dir, tmp_path / "index")
    assert report.files_skipped == [
        SkippedFile("dangling.md", "symbolic link (not followed)"),
        SkippedFile("link.md", "symbolic link (not followed)"),
        SkippedFile("pipe.md", "not a regular file"),
    ]
    assert [d["title"] for d in stored_documents(tmp_path / "index")] == ["Good"]


def test_undecodable_file_name_does_not_crash_the_build(seeds_dir: Path, tmp_path: Path) -> None:
    (seeds_dir / "good.md").write_bytes(seed("title: Good\n"))
    # a Latin-1 file name: the byte 0xE9 alone is not UTF-8
    (seeds_dir / os.fsdecode(b"caf\xe9.md")).write_bytes(seed("title: Latin-1 file name\n"))
    report = build_index(seeds_dir, tmp_path / "index")
    assert report.documents == 1
    assert report.files_skipped == [SkippedFile("caf\ufffd.md", "file name is not valid UTF-8")]

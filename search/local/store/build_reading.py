"""What a build reads from the seeds folder: every file, parsed in forked shares that
come back compressed and packed (a full build), or only the new and changed files, the
records of the others reused (an incremental build)."""

from __future__ import annotations

from collections.abc import Sequence

from search.ingest.corpus import SeedFile, parse_files, summarize_files
from search.ingest.packed_merge import PackedShare, pack_share
from search.local.store.manifest import FileRecord, compressed_records
from search.model import ParsedFile, SkippedFile


def read_changed(
    files: list[SeedFile],
    previous: dict[str, FileRecord],
    skipped: list[SkippedFile],
    progress: bool | None,
) -> tuple[list[FileRecord], int]:
    """Return the records of every usable file, reusing those of unchanged files, and
    how many files were read (an incremental build)."""
    unchanged = {
        seed.relative: old
        for seed in files
        if (old := previous.get(seed.relative)) is not None
        and (old.size, old.mtime_ns) == (seed.size, seed.mtime_ns)
    }
    to_read = [seed for seed in files if seed.relative not in unchanged]
    fresh: dict[str, FileRecord] = {}
    for seed, result in zip(to_read, parse_files(to_read, progress), strict=True):
        if isinstance(result, ParsedFile):
            fresh[seed.relative] = _file_record(seed, result)
        else:
            skipped.append(result)
    skipped.sort(key=lambda s: s.path)
    # seed-path order: merge() breaks ties by it
    records = [
        r for seed in files if (r := unchanged.get(seed.relative) or fresh.get(seed.relative))
    ]
    return records, len(to_read)


def read_all(
    files: list[SeedFile], skipped: list[SkippedFile], progress: bool | None
) -> list[tuple[bytes, PackedShare]]:
    """Return, for each share of the files, its records compressed for the generation
    (compressed_records) and packed for the writers (PackedShare), both made where the
    share was parsed (a full build); add the files it skipped to `skipped`."""
    shares = summarize_files(files, _share_of_build, progress)
    skipped.extend(s for _, share in shares for s in share.skipped)
    skipped.sort(key=lambda s: s.path)
    return shares


def _file_record(seed: SeedFile, parsed: ParsedFile) -> FileRecord:
    # the article's own copy of the path: one string, not two equal ones
    return FileRecord(parsed.article.source, seed.size, seed.mtime_ns, parsed)


def _share_of_build(
    seeds: Sequence[SeedFile], results: list[ParsedFile | SkippedFile]
) -> tuple[bytes, PackedShare]:
    """Return a share of the seed files' records compressed (compressed_records), and
    packed with their marks (pack_share)."""
    members = compressed_records(
        _file_record(seed, result)
        for seed, result in zip(seeds, results, strict=True)
        if isinstance(result, ParsedFile)
    )
    return members, pack_share(results)

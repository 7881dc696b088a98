"""Which seed files count (DESIGN.md 2.1) and how their records merge into one document set.

A seed file yields its own article plus the related coverage it lists; records that
share a canonical URL are one document (DESIGN.md 2.7): a record from its own file
beats a related item, and between two files the later publishedDateTime wins.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from stat import S_ISLNK, S_ISREG
from typing import Any, TypeVar

from tqdm import tqdm

from search.errors import SeedError
from search.ingest.forking import fork_map, parent_alive
from search.ingest.frontmatter import MAX_FILE_BYTES, parse_seed
from search.model import KIND_ARTICLE, Article, ParsedFile, SkippedFile

SEED_SUFFIXES = (".md", ".markdown", ".txt")


@dataclass(frozen=True, slots=True)
class SeedFile:
    """A candidate seed file: where it is, and what tells a changed file from the same one."""

    path: str  # a string, not a Path: making 100,000 Paths was a third of discovering them
    relative: str  # POSIX path relative to the seeds folder: the file's name in reports
    size: int
    mtime_ns: int


def discover(seeds_dir: Path) -> tuple[list[SeedFile], list[SkippedFile]]:
    """Return the seed files under `seeds_dir` (sorted) and those skipped before reading."""
    found: list[SeedFile] = []
    skipped: list[SkippedFile] = []
    top = os.fspath(seeds_dir)
    # Paths as strings, one lstat per file: pathlib's per-file work was most of the time
    for folder, dirnames, filenames in os.walk(top, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        within = os.path.relpath(folder, top)
        prefix = "" if within == os.curdir else within.replace(os.sep, "/") + "/"
        for name in filenames:
            if name.startswith(".") or not name.lower().endswith(SEED_SUFFIXES):
                continue
            path = os.path.join(folder, name)  # noqa: PTH118 (a string, as said above)
            relative = prefix + name
            if not relative.isascii() and not _utf8(relative):
                # a byte name from another encoding: say which, readably
                shown = relative.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                skipped.append(SkippedFile(shown, "file name is not valid UTF-8"))
                continue
            try:
                stat = os.lstat(path)
            except OSError as exc:
                skipped.append(SkippedFile(relative, f"cannot stat: {exc.strerror or exc}"))
                continue
            if S_ISLNK(stat.st_mode):
                skipped.append(SkippedFile(relative, "symbolic link (not followed)"))
            elif not S_ISREG(stat.st_mode):
                skipped.append(SkippedFile(relative, "not a regular file"))
            elif stat.st_size > MAX_FILE_BYTES:
                skipped.append(
                    SkippedFile(
                        relative, f"too large: {stat.st_size} bytes (limit {MAX_FILE_BYTES})"
                    )
                )
            else:
                found.append(SeedFile(path, relative, stat.st_size, stat.st_mtime_ns))
    found.sort(key=lambda f: f.relative)
    skipped.sort(key=lambda s: s.path)
    return found, skipped


def _utf8(name: str) -> bool:
    """Return whether `name` (from the file system) is valid UTF-8: no escaped bytes."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


Newest = tuple[bool, datetime]


def newest_first(record: Article) -> Newest:
    """Return what ranks a key's records: the larger, the better (the later published;
    any date beats none)."""
    return record.published is not None, record.published or datetime.min


@dataclass
class Merged:
    """The document set after merging duplicates, in a stable order."""

    documents: list[Article]
    duplicates: int


def merge(parsed: Iterable[ParsedFile]) -> Merged:
    """Return one document per canonical key, following DESIGN.md 2.6 and 2.7."""
    own: dict[str, Article] = {}
    related: dict[str, Article] = {}
    related_topics: dict[str, dict[str, str]] = {}
    records = 0
    for item in parsed:  # in seed-path order, so ties go to the first file
        records += 1 + len(item.related)
        article = item.article
        best = own.get(article.key)
        if best is None or newest_first(article) > newest_first(best):
            own[article.key] = article
        for record in item.related:
            topics = related_topics.setdefault(record.key, {})
            for topic in (*record.topics, *article.topics):
                topics.setdefault(topic.casefold(), topic)
            best = related.get(record.key)
            if best is None or newest_first(record) > newest_first(best):
                related[record.key] = record
    documents = list(own.values())
    for key, record in related.items():
        if key not in own:
            documents.append(replace(record, topics=tuple(related_topics[key].values())))
    return Merged(documents, records - len(documents))


def count_kinds(documents: Iterable[Article]) -> dict[str, int]:
    """Return {"article": n, "related": m}: documents by kind."""
    counts = {KIND_ARTICLE: 0, "related": 0}
    for document in documents:
        counts[document.kind] = counts.get(document.kind, 0) + 1
    return counts


PARALLEL_MIN_FILES = 2_000  # below this, forking costs more than it saves


Parsed = ParsedFile | SkippedFile
Summary = TypeVar("Summary")


def parse_files(files: Sequence[SeedFile], progress: bool | None = None) -> list[Parsed]:
    """Return what each file gives, in order: a ParsedFile, or a SkippedFile with the reason.

    Large sets are parsed on every core, in forked children."""
    return [result for part, _ in _parse_parts(files, progress, None) for result in part]


def summarize_files(
    files: Sequence[SeedFile],
    summarize: Callable[[Sequence[SeedFile], list[Parsed]], Summary],
    progress: bool | None = None,
) -> list[Summary]:
    """Return summarize(share, its results) for each share of the files, in order,
    computed where that share was parsed (its forked child, for a large set): the
    results themselves stay there, and only the summaries cross to this process."""
    return [summary for _, summary in _parse_parts(files, progress, summarize, keep=False)]


Job = tuple[
    Sequence[SeedFile],
    bool | None,
    int,
    Callable[[Sequence[SeedFile], list[Parsed]], Any] | None,
    bool,
]


def _parse_parts(
    files: Sequence[SeedFile],
    progress: bool | None,
    summarize: Callable[[Sequence[SeedFile], list[Parsed]], Any] | None,
    keep: bool = True,
) -> list[tuple[list[Parsed], Any]]:
    workers = min(os.cpu_count() or 1, 4) if hasattr(os, "fork") else 1
    if len(files) < PARALLEL_MIN_FILES or workers < 2:
        return [_parse_part((files, progress, 0, summarize, keep))]  # 0: in-process
    share = -(-len(files) // workers)
    parent = os.getpid()
    jobs: list[Job] = [
        (files[i * share : (i + 1) * share], progress if i == 0 else False, parent, summarize, keep)
        for i in range(workers)
    ]
    return fork_map(_parse_part, jobs)


def _parse_part(job: Job) -> tuple[list[Parsed], Any]:
    """Return the results of parsing the job's files (none unless it says keep them),
    and their summary (if it names a function for it)."""
    files, progress, parent, summarize, keep = job
    results: list[Parsed] = []
    disable = None if progress is None else not progress
    for number, seed in enumerate(tqdm(files, desc="reading", unit="file", disable=disable)):
        if parent and number % 200 == 199 and not parent_alive(parent):
            os._exit(3)  # the build was killed: stop reading for nobody
        try:
            results.append(parse_seed(seed.path, seed.relative))
        except SeedError as exc:
            results.append(SkippedFile(seed.relative, exc.reason))
    summary = None if summarize is None else summarize(files, results)
    return results if keep else [], summary

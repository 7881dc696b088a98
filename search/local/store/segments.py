"""Writing documents into a generation folder with Whoosh: full builds and updates.

A full build of many documents runs one Whoosh writer per core in forked children,
each on its own contiguous share of the documents and in its own folder; the parent
then moves the finished segments into the generation and writes one table of contents
naming them all. Whoosh's own `procs=` writer does the same work but pickles every
document to its children, and its children outlive a killed parent; forked children
inherit the documents for free and exit when their parent is gone.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm
from whoosh import index as whoosh_index
from whoosh.index import TOC

from search.ingest.forking import fork_map, parent_alive
from search.local.store.schema import article_fields, build_schema
from search.local.store.vocabulary import count_words
from search.local.whoosh_compat import index_segments
from search.model import Article

WRITER_MEMORY_MB = 256  # posting pool per writer: fewer spills to temporary runs
PARALLEL_MIN_DOCUMENTS = 4_000  # below this, forking costs more than it saves

Checkpoint = Callable[[str], None]


def worker_count(documents: int) -> int:
    """Return how many writer processes suit `documents` on this machine."""
    if documents < PARALLEL_MIN_DOCUMENTS or not hasattr(os, "fork"):
        return 1
    return max(1, min(os.cpu_count() or 1, 4))


def write_all(
    folder: Path,
    documents: Sequence[Article],
    *,
    progress: bool | None,
    checkpoint: Checkpoint,
    workers: int | None = None,
) -> Counter[str]:
    """Write `documents` as a new Whoosh index in the empty folder `folder`; return the
    word counts of their text (counted by the same workers, for the vocabulary)."""
    workers = worker_count(len(documents)) if workers is None else workers
    ix = whoosh_index.create_in(str(folder), build_schema())
    try:
        if workers <= 1:
            _write_part(ix, documents, progress, checkpoint)
            return count_words(documents)
        share = -(-len(documents) // workers)
        parts = [documents[i * share : (i + 1) * share] for i in range(workers)]
        segments, words = _fork_writers(folder, parts, progress, checkpoint)
        checkpoint("indexed")
        TOC(ix.schema, segments, 1).write(ix.storage, ix.indexname)
        return words
    finally:
        ix.close()


def _write_part(
    ix: Any, documents: Sequence[Article], progress: bool | None, checkpoint: Checkpoint
) -> None:
    writer = ix.writer(limitmb=WRITER_MEMORY_MB)
    try:
        half = len(documents) // 2
        bar = tqdm(documents, desc="indexing", unit="doc", disable=_quiet(progress))
        for number, document in enumerate(bar):
            writer.add_document(**article_fields(document))
            if number == half:
                checkpoint("half-indexed")
        checkpoint("indexed")
        writer.commit(merge=False)
    except BaseException:
        writer.cancel()
        raise


def _fork_writers(
    folder: Path,
    parts: list[Sequence[Article]],
    progress: bool | None,
    checkpoint: Checkpoint,
) -> tuple[list[Any], Counter[str]]:
    """Index each part in a forked child; move its segments into `folder`; return them,
    and the parts' word counts added up."""
    parent = os.getpid()
    jobs = [
        (folder / f"part-{n}", part, progress if n == 0 else False, parent)
        for n, part in enumerate(parts)
    ]
    for job in jobs:
        job[0].mkdir()
    checkpoint("half-indexed")
    results = fork_map(_index_part, jobs)  # ChildFailed is an OSError: BuildError upstream
    segments: list[Any] = []
    words: Counter[str] = Counter()
    for (part_folder, *_), (part_segments, part_words) in zip(jobs, results, strict=True):
        words.update(part_words)
        for segment in part_segments:
            prefix = f"{segment.segment_id()}."
            for path in part_folder.iterdir():
                if path.name.startswith(prefix):
                    path.replace(folder / path.name)
            segments.append(segment)
        shutil.rmtree(part_folder, ignore_errors=True)
    return segments, words


def _index_part(
    job: tuple[Path, Sequence[Article], bool | None, int],
) -> tuple[list[Any], Counter[str]]:
    """Index one share of the documents as its own index; return its segments and words."""
    part_folder, part, progress, parent = job
    ix = whoosh_index.create_in(str(part_folder), build_schema())
    writer = ix.writer(limitmb=WRITER_MEMORY_MB)
    bar = tqdm(part, desc="indexing", unit="doc", disable=_quiet(progress))
    for number, document in enumerate(bar):
        if number % 200 == 0 and not parent_alive(parent):
            os._exit(3)  # the build was killed: nobody will publish this, stop now
        writer.add_document(**article_fields(document))
    bar.close()
    writer.commit(merge=False)
    return index_segments(ix), count_words(part)


def update(
    current: Path,
    folder: Path,
    changed: Sequence[Article],
    deleted: Sequence[str],
    checkpoint: Checkpoint,
    keep: frozenset[str],
) -> None:
    """Copy the index in `current` into `folder` by hard links, then apply the changes.

    Whoosh writes each segment file once and records deletions in a new table of
    contents, so the links are a safe copy: the old generation stays exactly as its
    readers see it. `keep` names our own files, which the caller rewrites."""
    for path in current.iterdir():
        if path.is_file() and path.name not in keep and not path.name.endswith("LOCK"):
            os.link(path, folder / path.name)
    ix = whoosh_index.open_dir(str(folder))
    writer = ix.writer(limitmb=WRITER_MEMORY_MB)
    try:
        for doc_id in deleted:
            writer.delete_by_term("id", doc_id)
        for document in changed:
            writer.update_document(**article_fields(document))
        checkpoint("indexed")
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    finally:
        ix.close()


def _quiet(progress: bool | None) -> bool | None:
    return None if progress is None else not progress  # None: tqdm shows a bar on a terminal

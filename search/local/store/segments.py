"""Writing documents into a generation folder with Whoosh: full builds and updates.

A full build writes each segment's files directly (segment_files, not Whoosh's writer:
about five times faster), one segment per core in forked children, each on its own
contiguous share of the documents and in its own folder; the parent then moves the
finished segments into the generation and writes one table of contents naming them
all. Whoosh's own `procs=` writer would pickle every document to its children, and
its children outlive a killed parent; forked children inherit their share (packed
into pickled chunks before forking, so no process copies the others' pages of
documents: packed.py) and exit when their parent is gone. Updates (incremental
builds) go through Whoosh's writer, which adds a segment and records deletions; the
documents to delete are found by id in the current generation's columns
(document_ids), as ids are not indexed.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm
from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC

from search.ingest.forking import fork_map, parent_alive
from search.ingest.packed import Packed
from search.local.store.column_files import ARRAYS
from search.local.store.document_ids import IDS, DocumentIds, id_values
from search.local.store.schema import article_fields, build_schema
from search.local.store.segment_files import INDEX_NAME, write_segment
from search.local.store.vocabulary import count_words
from search.model import Article

WRITER_MEMORY_MB = 256  # posting pool of Whoosh's writer (updates): fewer spills to temporary runs
PARALLEL_MIN_DOCUMENTS = 4_000  # below this, forking costs more than it saves

Checkpoint = Callable[[str], None]


def worker_count(documents: int) -> int:
    """Return how many writer processes suit `documents` on this machine."""
    if documents < PARALLEL_MIN_DOCUMENTS or not hasattr(os, "fork"):
        return 1
    return max(1, min(os.cpu_count() or 1, 4))


def split(documents: Sequence[Article], workers: int | None = None) -> list[Packed[Article]]:
    """Return `documents` as write_shares takes them: one packed share per writer process
    (worker_count's number unless `workers` is given), in order. Packed (packed.py), so
    the caller can drop the documents before the writers fork."""
    workers = worker_count(len(documents)) if workers is None else workers
    share = -(-len(documents) // workers)
    return [Packed(documents[i * share : (i + 1) * share]) for i in range(workers)]


def write_all(
    folder: Path,
    documents: Sequence[Article],
    *,
    progress: bool | None,
    checkpoint: Checkpoint,
    workers: int | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> Counter[str]:
    """Write `documents` as a new Whoosh index in the empty folder `folder` (write_shares,
    with `workers` writers); return the word counts of their text."""
    workers = worker_count(len(documents)) if workers is None else workers
    shares = [documents] if workers <= 1 else split(documents, workers)
    return write_shares(
        folder, shares, progress=progress, checkpoint=checkpoint, meanwhile=meanwhile
    )


def write_shares(
    folder: Path,
    shares: Sequence[Sequence[Article]],
    *,
    progress: bool | None,
    checkpoint: Checkpoint,
    meanwhile: Callable[[], None] | None = None,
) -> Counter[str]:
    """Write the documents of `shares` (in order) as a new Whoosh index in the empty
    folder `folder`, one segment per share, each by a forked writer when there are
    several; return the word counts of their text (counted by the same writers, for the
    vocabulary).

    `meanwhile` (the build's other files) runs in this process while forked writers
    work, so it costs no wall time of its own on a machine with a core to spare for it;
    without forked writers it runs after the writing."""
    schema = build_schema()
    if len(shares) <= 1:
        documents = shares[0] if shares else []
        segments = [_write_part(folder, schema, documents, progress, checkpoint)]
        words = count_words(documents)
        if meanwhile is not None:
            meanwhile()
    else:
        segments, words = _fork_writers(folder, shares, progress, checkpoint, meanwhile)
    checkpoint("indexed")
    # The one table of contents: Whoosh's index opens the latest, naming these segments
    TOC(schema, segments, 0).write(FileStorage(str(folder)), INDEX_NAME)
    return words


def _write_part(
    folder: Path,
    schema: Any,
    documents: Sequence[Article],
    progress: bool | None,
    checkpoint: Checkpoint,
) -> Any:
    """Write `documents` as one segment in `folder`; return it."""
    half = len(documents) // 2
    with tqdm(total=len(documents), desc="indexing", unit="doc", disable=_quiet(progress)) as bar:

        def each_document(number: int) -> None:
            if number == half:
                checkpoint("half-indexed")
            bar.update()

        return write_segment(folder, documents, schema, each_document)


def _fork_writers(
    folder: Path,
    parts: Sequence[Sequence[Article]],
    progress: bool | None,
    checkpoint: Checkpoint,
    meanwhile: Callable[[], None] | None,
) -> tuple[list[Any], Counter[str]]:
    """Index each part in a forked child (running `meanwhile` here as they work); move
    its segment into `folder`; return the segments, and the parts' word counts added up."""
    parent = os.getpid()
    jobs = [
        (folder / f"part-{n}", part, progress if n == 0 else False, parent)
        for n, part in enumerate(parts)
    ]
    for job in jobs:
        job[0].mkdir()
    checkpoint("half-indexed")
    results = fork_map(_index_part, jobs, meanwhile)  # ChildFailed: an OSError, BuildError upstream
    segments: list[Any] = []
    words: Counter[str] = Counter()
    for (part_folder, *_), (segment, part_words) in zip(jobs, results, strict=True):
        words.update(part_words)
        prefix = f"{segment.segment_id()}."
        for path in part_folder.iterdir():
            if path.name.startswith(prefix):
                path.replace(folder / path.name)
        segments.append(segment)
        shutil.rmtree(part_folder, ignore_errors=True)
    return segments, words


def _index_part(job: tuple[Path, Sequence[Article], bool | None, int]) -> tuple[Any, Counter[str]]:
    """Index one share of the documents as a segment of its own; return it and its words."""
    part_folder, part, progress, parent = job
    with tqdm(total=len(part), desc="indexing", unit="doc", disable=_quiet(progress)) as bar:

        def each_document(number: int) -> None:
            if number % 200 == 0 and not parent_alive(parent):
                os._exit(3)  # the build was killed: nobody will publish this, stop now
            bar.update()

        segment = write_segment(part_folder, part, build_schema(), each_document)
    return segment, count_words(part)


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
        ids = _document_ids(current, writer)
        # A changed document replaces its old version: both are deleted, then added
        for doc_id in [*deleted, *(document.id for document in changed)]:
            number = ids.number_of(doc_id)
            if number is not None:
                writer.delete_document(number)
        for document in changed:
            writer.add_document(**article_fields(document))
        checkpoint("indexed")
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    finally:
        ix.close()


def _document_ids(folder: Path, writer: Any) -> DocumentIds:
    """Return the live documents of the generation in `folder` by id, numbered as
    `writer` (on a copy of it) numbers them: from the ids in its columns, which follow
    Whoosh's numbering, or for a folder without them (the Whoosh files alone, or an
    older schema's) from the stored fields, which is slower."""
    try:
        with np.load(folder / ARRAYS) as saved:
            if IDS in saved.files:
                return DocumentIds(saved[IDS], saved["alive"])
    except FileNotFoundError:
        pass
    with writer.reader() as reader:
        numbers = range(reader.doc_count_all())
        alive = np.array([not reader.is_deleted(n) for n in numbers], dtype=np.bool_)
        ids = id_values(reader.stored_fields(n)["id"] if alive[n] else None for n in numbers)
    return DocumentIds(ids, alive)


def _quiet(progress: bool | None) -> bool | None:
    return None if progress is None else not progress  # None: tqdm shows a bar on a terminal

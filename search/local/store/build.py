"""Build an index generation from a seeds folder and publish it: `search rebuild-index`.

A full build writes every document into a fresh generation. An incremental build
re-reads only new and changed files, copies the current generation by hard links and
applies just the documents that changed. Either way the result is published only if
every step succeeded, so the previous generation keeps serving through any failure.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from search.errors import BuildError, SearchError
from search.ingest.corpus import count_kinds, discover, merge
from search.ingest.forking import fork_map
from search.ingest.packed_merge import PackedShare, merge_packed
from search.local.store import document_tables as tables
from search.local.store import generations
from search.local.store import segments as writers
from search.local.store.build_reading import read_all, read_changed
from search.local.store.checksums import CHECKSUMS, write_checksums
from search.local.store.column_files import ARRAYS, NAMES
from search.local.store.manifest import (
    PLAIN_RECORDS,
    RECORDS,
    FileRecord,
    read_records,
    write_record_members,
    write_records,
)
from search.local.store.schema import PORTER, SNOWBALL
from search.local.store.stories import STORIES
from search.local.store.vectors import VECTORS, embed_generation
from search.local.store.vocabulary import WORDS, count_words, write_words
from search.model import Article, IndexReport
from search.synonyms import SYNONYMS, Synonyms

# Bump when schema.build_schema() or its terms change: --incremental then builds in full.
# 4: ids stored, not indexed, and kept in the columns (document_ids); 3: Snowball English
# stems (meta "stemmer"); 2 and before: whoosh3's Porter.
SCHEMA_VERSION = 4
# Files each build writes itself: an incremental build must not hard-link them from the
# previous generation (writing a linked file would change that generation under it).
_OWN_FILES = frozenset(
    {generations.META, RECORDS, PLAIN_RECORDS, ARRAYS, NAMES, WORDS, STORIES, CHECKSUMS}
    | {SYNONYMS, VECTORS}
)

# A test hook: called with a stage name at each step, so crash tests can stop a build
# exactly there ("locked", "parsed", "half-indexed", "indexed", "synced", "published").
Checkpoint = Callable[[str], None]


def _no_checkpoint(stage: str) -> None:
    return None


def build_index(
    seeds_dir: Path,
    index_dir: Path,
    *,
    incremental: bool = False,
    strict: bool = False,
    progress: bool | None = None,
    checkpoint: Checkpoint = _no_checkpoint,
    synonyms: Path | None = None,
    embeddings: bool = False,
) -> IndexReport:
    """Build a new generation from `seeds_dir`, publish it, and return the report.

    Raises IndexBusy if another build holds the lock, BuildError if the build fails
    (the previous generation then keeps serving)."""
    started = time.monotonic()
    if not seeds_dir.is_dir():
        raise BuildError(f"seeds folder {seeds_dir} does not exist or is not a folder")
    try:
        with generations.rebuild_lock(index_dir):
            generations.clean_up(index_dir)
            checkpoint("locked")
            report = _build(
                seeds_dir,
                index_dir,
                incremental,
                strict,
                progress,
                checkpoint,
                synonyms,
                embeddings,
            )
            checkpoint("published")
            generations.clean_up(index_dir)
    except OSError as exc:
        raise BuildError(
            f"rebuilding the index in {index_dir} failed: {exc.strerror or exc}; "
            "the previous index (if any) is still serving"
        ) from exc
    report.duration_s = round(time.monotonic() - started, 3)
    return report


def _build(
    seeds_dir: Path,
    index_dir: Path,
    incremental: bool,
    strict: bool,
    progress: bool | None,
    checkpoint: Checkpoint,
    synonyms: Path | None = None,
    embeddings: bool = False,
) -> IndexReport:
    current = generations.current_generation(index_dir)
    synonyms_text = _synonyms_text(synonyms)  # checked before any work: a typo fails fast
    notes: list[str] = []
    previous: dict[str, FileRecord] = {}
    if incremental:
        previous, note = _previous_records(current)
        if note:
            notes.append(note)
            incremental = False
    files, skipped = discover(seeds_dir)
    if incremental:
        records, read = read_changed(files, previous, skipped, progress)
        shares: list[tuple[bytes, PackedShare]] = []
    else:
        shares, read = read_all(files, skipped, progress), len(files)
        records = []
    del files  # their paths are not needed past reading
    checkpoint("parsed")
    if strict and skipped:
        raise BuildError(
            f"--strict: {len(skipped)} seed file(s) skipped, nothing published "
            f"(first: {skipped[0].path}: {skipped[0].reason})"
        )
    if incremental:
        merged = merge(r.parsed for r in records)
        documents: Sequence[Article] = merged.documents
        duplicates, kinds = merged.duplicates, count_kinds(documents)
        warnings = [w for r in records for w in r.parsed.warnings]
        del merged
    else:
        packs = merge_packed([share for _, share in shares])
        merged_documents = packs.documents
        documents, duplicates, kinds = merged_documents, packs.duplicates, packs.kinds
        warnings = [w for _, share in shares for w in share.warnings]
        members = [member for member, _ in shares]
        del packs, shares  # the packs stay, held by the documents; the marks go
    folder = generations.new_generation(index_dir)
    texts: list[str | None] = []  # each document number's text to embed
    try:
        if incremental and current is not None:
            counts = _apply_changes(current, folder, previous, list(documents), checkpoint)
            words = count_words(documents)
            write_records(folder / RECORDS, records)
            texts = tables.write_from_index(folder)
        else:
            counts = {"added": len(documents)}
            write_record_members(folder / RECORDS, members)
            # a full build's documents are merged_documents: the writers take views of them
            parts = merged_documents.parts(writers.worker_count(len(merged_documents)))
            del documents, merged_documents

            def other_files() -> None:  # while the forked writers work
                texts.extend(*fork_map(tables.write_from_shares, [(folder, parts, embeddings)]))

            words = writers.write_shares(
                folder, parts, progress=progress, checkpoint=checkpoint, meanwhile=other_files
            )
        if embeddings:
            notes.append(embed_generation(index_dir, folder, texts, progress))
        write_words(folder, words)
        (folder / SYNONYMS).write_text(synonyms_text, encoding="utf-8")
        report = IndexReport(
            generation=folder.name,
            documents=sum(kinds.values()),
            kinds=kinds,
            files_read=read,
            files_skipped=skipped,
            warnings=warnings,
            duplicates_merged=duplicates,
            duration_s=0.0,
            incremental=incremental,
            notes=notes,
            **counts,
        )
        _write_meta(folder, report, seeds_dir)
        write_checksums(folder)
        generations.fsync_tree(folder)
        checkpoint("synced")
        generations.publish(index_dir, folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return report


def _previous_records(current: Path | None) -> tuple[dict[str, FileRecord], str | None]:
    """Return the current generation's file records, or a note saying why there are none."""
    if current is None:
        return {}, "no current generation to update; built in full"
    try:
        meta = generations.read_meta(current)
        if meta.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(
                f"it was built with another schema version ({meta.get('schema_version')}, "
                f"{meta.get('stemmer', PORTER)} stems; this build writes {SCHEMA_VERSION}, "
                f"{SNOWBALL} stems)"
            )
        whoosh_index.open_dir(str(current)).close()  # damaged Whoosh files: build in full
        return read_records(current), None
    except Exception as exc:  # any failure to read it means: rebuild everything
        return {}, f"incremental build not possible ({exc}); built in full"


def _apply_changes(
    current: Path,
    folder: Path,
    previous: dict[str, FileRecord],
    documents: list[Article],
    checkpoint: Checkpoint,
) -> dict[str, int]:
    """Update a copy of `current` from the previous document set to `documents`; return counts."""
    before = {d.id: d for d in merge(r.parsed for r in previous.values()).documents}
    after = {d.id: d for d in documents}
    changed = [d for doc_id, d in after.items() if before.get(doc_id) != d]
    deleted = [doc_id for doc_id in before if doc_id not in after]
    writers.update(current, folder, changed, deleted, checkpoint, keep=_OWN_FILES)
    added = sum(1 for d in changed if d.id not in before)
    return {"added": added, "updated": len(changed) - added, "deleted": len(deleted)}


def _synonyms_text(path: Path | None) -> str:
    """Return the synonyms file's text for the generation (the default list when None);
    raise BuildError when it cannot be read or parsed."""
    try:
        Synonyms.load(path)
        if path is None:
            return resources.files("search").joinpath("data/synonyms.txt").read_text("utf-8")
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, SearchError) as exc:
        raise BuildError(f"synonyms: {exc}") from exc


def _write_meta(folder: Path, report: IndexReport, seeds_dir: Path) -> None:
    meta: dict[str, Any] = {
        "generation": folder.name,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "documents": report.documents,
        "kinds": report.kinds,
        "schema_version": SCHEMA_VERSION,
        "stemmer": SNOWBALL,  # the stems the index holds: Snapshot stems queries to match
        "seeds": str(seeds_dir),
        "incremental": report.incremental,
    }
    (folder / generations.META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

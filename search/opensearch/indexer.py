"""Building on OpenSearch: a new index per build, then an atomic alias swap.

The same code as the local build reads the seeds (search.ingest), merges duplicates and
finds stories (search.local.store.stories); each build then writes a new index named
`<alias>-g-<time>-<random>`, bulk-loads it without replicas or refreshes, adds the
replicas, waits for its health, and moves the alias in one `_aliases` call. Until that
call nothing searches the new index, so a build killed at any moment leaves the alias on
the previous one; the next build deletes the leftover `<alias>-g-*` indexes no alias
names and succeeds unaided. After the swap the previous indexes are deleted.

`--incremental` updates the index in service in place: documents whose stored form
changed (a fingerprint of it) are re-indexed, vanished ones deleted, and `_meta` updated.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from opensearchpy import exceptions as os_errors
from opensearchpy import helpers
from tqdm import tqdm

from search.errors import BuildError, SearchError
from search.facets import KEYWORD_FACETS
from search.identity import doc_id
from search.ingest.corpus import count_kinds, discover, merge, parse_files
from search.local.store.stories import StoryRow, find_stories
from search.local.store.vocabulary import count_words
from search.model import Article, IndexReport, ParsedFile
from search.opensearch.connection import UNAVAILABLE, Cluster, unavailable
from search.opensearch.mapping import display_names, index_body, source_of
from search.synonyms import file_text

# A test hook, as the local build's: called at each step ("created", "half-indexed",
# "indexed", "swapped"), so crash tests can kill a build exactly there.
Checkpoint = Callable[[str], None]


def _no_checkpoint(stage: str) -> None:
    return None


BULK_CHUNK = 500  # documents per bulk request
HEALTH_WAIT_S = 120
HEALTH_TIMEOUT = f"{HEALTH_WAIT_S}s"


def generation_prefix(alias: str) -> str:
    """Return the name prefix of the indexes builds make for `alias`."""
    return f"{alias}-g-"


def build_opensearch(
    seeds_dir: Path,
    cluster: Cluster,
    *,
    incremental: bool = False,
    strict: bool = False,
    progress: bool | None = None,
    synonyms: Path | None = None,
    checkpoint: Checkpoint = _no_checkpoint,
) -> IndexReport:
    """Build the index from `seeds_dir`, publish it under the alias; return the report.

    Raises BuildError (the alias keeps its index) or BackendUnavailable."""
    started = time.monotonic()
    if not seeds_dir.is_dir():
        raise BuildError(f"seeds folder {seeds_dir} does not exist or is not a folder")
    try:
        synonyms_text = file_text(synonyms)
    except SearchError as exc:
        raise BuildError(f"synonyms: {exc}") from exc
    files, skipped = discover(seeds_dir)
    parsed: list[ParsedFile] = []
    for result in parse_files(files, progress):
        if isinstance(result, ParsedFile):
            parsed.append(result)
        else:
            skipped.append(result)
    skipped.sort(key=lambda s: s.path)
    if strict and skipped:
        raise BuildError(
            f"--strict: {len(skipped)} seed file(s) skipped, nothing published "
            f"(first: {skipped[0].path}: {skipped[0].reason})"
        )
    merged = merge(parsed)
    documents = merged.documents
    sources = _sources(documents)
    words = count_words(documents)
    meta = _meta(documents, sources, synonyms_text, seeds_dir, incremental)
    client = cluster.client()
    try:
        if incremental and (live := _alias_targets(client, cluster.alias)):
            name, counts = live[-1], _apply_changes(client, live[-1], sources, meta, progress)
            _write_words(client, words_index(name), words, cluster.replicas)
        else:
            name = _full_build(client, cluster, sources, words, meta, progress, checkpoint)
            counts = {"added": len(sources)}
            incremental = False
    except UNAVAILABLE as exc:
        raise unavailable(cluster, exc) from exc
    except os_errors.TransportError as exc:
        raise BuildError(
            f"OpenSearch refused the build ({exc.status_code} {exc.error}); "
            "the alias still names the previous index"
        ) from exc
    finally:
        client.close()
    return IndexReport(
        generation=name,
        documents=len(documents),
        kinds=count_kinds(documents),
        files_read=len(files),
        files_skipped=skipped,
        warnings=[w for p in parsed for w in p.warnings],
        duplicates_merged=merged.duplicates,
        duration_s=round(time.monotonic() - started, 3),
        incremental=incremental,
        added=counts.get("added", 0),
        updated=counts.get("updated", 0),
        deleted=counts.get("deleted", 0),
    )


def _sources(documents: list[Article]) -> list[dict[str, Any]]:
    """Return every document as OpenSearch stores it, with its story."""
    rows = [
        StoryRow(d.id, d.title, d.provider_name, d.published, [doc_id(k) for k in d.related])
        for d in documents
    ]
    labels = [int(label) for label in find_stories(rows)]
    sizes = Counter(labels)
    return [
        source_of(document, documents[label].id, sizes[label])
        for document, label in zip(documents, labels, strict=True)
    ]


def _meta(
    documents: list[Article],
    sources: list[dict[str, Any]],
    synonyms: str,
    seeds_dir: Path,
    incremental: bool,
) -> dict[str, Any]:
    """Return the index's `_meta`: facet names and counts, synonyms, the build."""
    display = display_names(documents)
    counts: dict[str, Counter[str]] = {name: Counter() for name in display}
    for document in documents:
        for facet in KEYWORD_FACETS:
            for value in {v.casefold() for v in facet.values(document)}:
                counts[facet.name][display[facet.name][value]] += 1
    return {
        "display": display,
        "counts": {name: dict(counter) for name, counter in counts.items()},
        "synonyms": synonyms,
        "build": {
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "documents": len(documents),
            "kinds": count_kinds(documents),
            "seeds": str(seeds_dir),
            "incremental": incremental,
            "stemmer": "snowball-english",
            # recency=: ages count from here (as locally from the newest match), so old
            # archives' decayed scores do not all underflow to 0 against `now`
            "newest": max((s["published"] for s in sources if s["published"]), default=None),
        },
    }


def _alias_targets(client: Any, alias: str) -> list[str]:
    """Return the indexes the alias names now (sorted; empty when it names none)."""
    try:
        return sorted(client.indices.get_alias(name=alias))
    except os_errors.NotFoundError:
        return []


def _full_build(
    client: Any,
    cluster: Cluster,
    sources: list[dict[str, Any]],
    words: Counter[str],
    meta: dict[str, Any],
    progress: bool | None,
    checkpoint: Checkpoint,
) -> str:
    """Write a new index, swap the alias to it, delete the old ones; return its name."""
    prefix = generation_prefix(cluster.alias)
    live = _alias_targets(client, cluster.alias)
    keep = live + [words_index(i) for i in live]
    _delete(client, [i for i in _ours(client, prefix) if i not in keep])  # a killed build's
    stamp = time.strftime("%Y%m%dt%H%M%S", time.gmtime())
    name = f"{prefix}{stamp}-{secrets.token_hex(3)}"
    client.indices.create(index=name, body=index_body(cluster.shards, cluster.replicas, meta))
    checkpoint("created")
    try:
        actions = [{"_index": name, "_id": s["id"], "_source": s} for s in sources]
        half = len(actions) // 2
        with _bar(len(actions), progress) as bar:
            _bulk(client, name, actions[:half], bar)
            checkpoint("half-indexed")
            _bulk(client, name, actions[half:], bar)
        _write_words(client, words_index(name), words, cluster.replicas)
        checkpoint("indexed")
        client.indices.put_settings(
            index=name,
            body={"index": {"refresh_interval": "1s", "number_of_replicas": cluster.replicas}},
        )
        client.indices.refresh(index=name)
        health = client.cluster.health(
            index=name,
            wait_for_status="yellow",
            params={"timeout": HEALTH_TIMEOUT},  # the cluster's wait, not the client's
            request_timeout=HEALTH_WAIT_S + 10,
        )
        if health.get("timed_out"):
            raise BuildError(f"the new index {name} did not become available in {HEALTH_TIMEOUT}")
        swap: list[dict[str, Any]] = [{"add": {"index": name, "alias": cluster.alias}}]
        swap += [{"remove": {"index": old, "alias": cluster.alias}} for old in live]
        client.indices.update_aliases(body={"actions": swap})
        checkpoint("swapped")
    except BaseException:
        _delete(client, [name, words_index(name)])  # best effort; a later build does it too
        raise
    _delete(client, [i for old in live if old.startswith(prefix) for i in (old, words_index(old))])
    return name


def words_index(index: str) -> str:
    """Return the name of the companion index holding `index`'s vocabulary (word counts
    for completions, search.local.store.vocabulary's count_words)."""
    return f"{index}-words"


WORDS_BODY = {
    "mappings": {
        "dynamic": "strict",
        "properties": {"word": {"type": "keyword"}, "count": {"type": "integer"}},
    },
}


def _write_words(client: Any, index: str, words: Counter[str], replicas: int) -> None:
    """Create (or update) the vocabulary index: one document per word, with its count;
    as many replicas as the documents' index (else a node's loss loses completions)."""
    if not client.indices.exists(index=index):
        settings = {"index": {"number_of_shards": 1, "number_of_replicas": replicas}}
        client.indices.create(index=index, body={**WORDS_BODY, "settings": settings})
    else:
        stale = [
            hit["_id"]
            for hit in helpers.scan(client, index=index, query={"_source": False}, size=5000)
            if hit["_id"] not in words
        ]
        _bulk(client, index, [{"_op_type": "delete", "_index": index, "_id": w} for w in stale])
    _bulk(
        client,
        index,
        (
            {"_index": index, "_id": word, "_source": {"word": word, "count": n}}
            for word, n in words.items()
        ),
    )
    client.indices.refresh(index=index)


def _ours(client: Any, prefix: str) -> list[str]:
    found = client.indices.get(index=f"{prefix}*", expand_wildcards="open,closed")
    return sorted(found)


def _delete(client: Any, names: list[str]) -> None:
    for name in names:
        with contextlib.suppress(Exception):  # clean-up only: the next build deletes it too
            client.indices.delete(index=name)


def _bar(total: int, progress: bool | None) -> tqdm[Any]:
    """Return a progress bar (shown when `progress`, or None and stderr is a terminal)."""
    return tqdm(
        total=total, desc="indexing", unit="doc", disable=None if progress is None else not progress
    )


def _bulk(
    client: Any, index: str, actions: Iterable[dict[str, Any]], bar: tqdm[Any] | None = None
) -> None:
    """Send `actions` in bulk requests; raise BuildError naming the first refused one."""
    for ok, item in helpers.streaming_bulk(
        client, actions, chunk_size=BULK_CHUNK, raise_on_error=False, max_retries=3
    ):
        if not ok:
            raise BuildError(f"OpenSearch refused a document of {index}: {item}")
        if bar is not None:
            bar.update(1)


def _apply_changes(
    client: Any,
    index: str,
    sources: list[dict[str, Any]],
    meta: dict[str, Any],
    progress: bool | None,
) -> dict[str, int]:
    """Update the live index to `sources`; return the added, updated, deleted counts."""
    live: dict[str, tuple[str, str, int]] = {}
    fields = ["fingerprint", "story", "story_size"]
    for hit in helpers.scan(client, index=index, query={"_source": fields}, size=2000):
        found = hit["_source"]
        live[hit["_id"]] = (
            found.get("fingerprint", ""),
            found.get("story"),
            found.get("story_size"),
        )
    changed = [s for s in sources if live.get(s["id"], ("",))[0] != s["fingerprint"]]
    # A document whose story changed (another joined or left it) is re-sent too, but it
    # is not "updated": the report counts changed documents, as the local build does.
    moved = [
        s
        for s in sources
        if s["id"] in live
        and live[s["id"]][0] == s["fingerprint"]
        and live[s["id"]][1:] != (s["story"], s["story_size"])
    ]
    wanted = {s["id"] for s in sources}
    deleted = [i for i in live if i not in wanted]
    actions = [{"_index": index, "_id": s["id"], "_source": s} for s in changed + moved]
    actions += [{"_op_type": "delete", "_index": index, "_id": i} for i in deleted]
    with _bar(len(actions), progress) as bar:
        _bulk(client, index, actions, bar)
    client.indices.put_mapping(index=index, body={"_meta": meta})
    client.indices.refresh(index=index)
    added = sum(1 for s in changed if s["id"] not in live)
    return {"added": added, "updated": len(changed) - added, "deleted": len(deleted)}

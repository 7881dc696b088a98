"""A full build's merge (corpus.merge's rules) with the records kept packed throughout.

Each parsing child packs the records of its share of the seed files (packed.py) and
sends them with a mark per record: the few plain values merging looks at (key, kind,
date, topics). The parent merges the marks and never rebuilds or re-packs a record:
the merged document set is a list of references into the children's packs, and each
forked writer unpacks only the chunks its share refers to, one at a time. Unpickling
every parsed file, merging the objects and packing them again was most of the time
the parent spent alone, with a core idle.

A reference is a stream (a share's own articles, or its related items) and a position
in it. In document order each stream's positions mostly rise (own articles come in
file order; a key's first record usually stays the best), so a reader keeps one
unpacked chunk per stream. The rare reference that goes back in its stream (a later,
newer duplicate of an earlier key) is a stray: the parent copies the strays into a
stream of their own, so that no reader ever goes back, whatever the duplicates.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import overload

from search.ingest.corpus import Newest, newest_first
from search.ingest.packed import CHUNK, Packed
from search.model import KIND_ARTICLE, KIND_RELATED, Article, ParsedFile, SkippedFile

ArticleMark = tuple[str, str, Newest, tuple[str, ...]]  # key, kind, newest, topics
RelatedMark = tuple[str, str, Newest, tuple[str, ...], int]  # ... and its lister's number
_POSITION = 32  # bits of a reference that hold the position in its stream
_IN_STREAM = (1 << _POSITION) - 1


@dataclass(slots=True)
class PackedShare:
    """What one share of the seed files gives a full build: its records, packed, and
    their marks; the files skipped, and the warnings, in file order."""

    articles: Packed[Article]
    related: Packed[Article]
    article_marks: list[ArticleMark]
    related_marks: list[RelatedMark]  # the lister: its article's number in this share
    skipped: list[SkippedFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def pack_share(results: Sequence[ParsedFile | SkippedFile]) -> PackedShare:
    """Return the PackedShare of one share's parse results (in file order)."""
    articles: list[Article] = []
    related: list[Article] = []
    article_marks: list[ArticleMark] = []
    related_marks: list[RelatedMark] = []
    skipped: list[SkippedFile] = []
    warnings: list[str] = []
    for result in results:
        if isinstance(result, SkippedFile):
            skipped.append(result)
            continue
        lister = len(articles)
        article = result.article
        articles.append(article)
        article_marks.append((article.key, article.kind, newest_first(article), article.topics))
        for record in result.related:
            related.append(record)
            related_marks.append(
                (record.key, record.kind, newest_first(record), record.topics, lister)
            )
        warnings.extend(result.warnings)
    return PackedShare(
        Packed(articles), Packed(related), article_marks, related_marks, skipped, warnings
    )


@dataclass
class MergedPacks:
    """The merged document set (corpus.Merged), as references into the packs."""

    documents: MergedDocuments
    duplicates: int
    kinds: dict[str, int]


def merge_packed(shares: Sequence[PackedShare]) -> MergedPacks:
    """Return what corpus.merge returns for the shares' parse results (the same
    documents in the same order), found from their marks alone."""
    own: dict[str, tuple[Newest, int]] = {}  # key: the best record's date and reference
    related: dict[str, tuple[Newest, int]] = {}
    related_topics: dict[str, dict[str, str]] = {}
    records = 0
    # corpus.merge reads each file's article, then its related items; own and related
    # records never meet until the end, so taking every article first changes nothing
    for number, share in enumerate(shares):
        stream = 2 * number << _POSITION
        records += len(share.article_marks) + len(share.related_marks)
        for position, (key, _, newest, _) in enumerate(share.article_marks):
            best = own.get(key)
            if best is None or newest > best[0]:
                own[key] = (newest, stream | position)
        stream += 1 << _POSITION
        for position, (key, _, newest, topics, lister) in enumerate(share.related_marks):
            seen = related_topics.setdefault(key, {})
            for topic in (*topics, *share.article_marks[lister][3]):
                seen.setdefault(topic.casefold(), topic)
            best = related.get(key)
            if best is None or newest > best[0]:
                related[key] = (newest, stream | position)
    references = array("Q", (reference for _, reference in own.values()))
    kinds = {KIND_ARTICLE: 0, KIND_RELATED: 0}
    for _, reference in own.values():
        kind = _mark(shares, reference)[1]
        kinds[kind] = kinds.get(kind, 0) + 1
    merged_topics: dict[int, tuple[str, ...]] = {}  # by document number
    for key, (_, reference) in related.items():
        if key not in own:
            merged_topics[len(references)] = tuple(related_topics[key].values())
            references.append(reference)
            kind = _mark(shares, reference)[1]
            kinds[kind] = kinds.get(kind, 0) + 1
    streams = [pack for share in shares for pack in (share.articles, share.related)]
    documents = MergedDocuments(_without_strays(streams, references), references, merged_topics)
    return MergedPacks(documents, records - len(references), kinds)


def _mark(shares: Sequence[PackedShare], reference: int) -> ArticleMark | RelatedMark:
    stream, position = reference >> _POSITION, reference & _IN_STREAM
    share = shares[stream // 2]
    return share.related_marks[position] if stream % 2 else share.article_marks[position]


def _without_strays(
    streams: list[Packed[Article]], references: array[int]
) -> list[Packed[Article]]:
    """Return the streams with one more: the records of the references that go back in
    their stream, which are changed (in place) to refer to it instead."""
    furthest: dict[int, int] = {}
    strays: list[int] = []  # document numbers
    for number, reference in enumerate(references):
        stream = reference >> _POSITION
        if reference < furthest.get(stream, 0):
            strays.append(number)
        else:
            furthest[stream] = reference
    if not strays:
        return streams
    wanted: dict[tuple[int, int], list[int]] = {}  # (stream, chunk): its strays' numbers
    for number in strays:
        reference = references[number]
        chunk = (reference & _IN_STREAM) // CHUNK
        wanted.setdefault((reference >> _POSITION, chunk), []).append(number)
    found: dict[int, Article] = {}
    for (stream, chunk), numbers in wanted.items():  # each chunk unpacked once
        records = streams[stream].chunk(chunk)
        for number in numbers:
            found[number] = records[(references[number] & _IN_STREAM) % CHUNK]
    stray_stream = len(streams) << _POSITION
    for position, number in enumerate(strays):
        references[number] = stray_stream | position
    return [*streams, Packed([found[number] for number in strays])]


class MergedDocuments(Sequence[Article]):
    """The merged documents, in order, unpacked from the children's packs as they are
    read; slicing gives a view (a writer's share) without unpacking anything."""

    __slots__ = ("_references", "_start", "_stop", "_streams", "_topics")

    def __init__(
        self,
        streams: list[Packed[Article]],
        references: array[int],
        topics: dict[int, tuple[str, ...]],  # a related document's merged topics
        start: int = 0,
        stop: int | None = None,
    ) -> None:
        self._streams = streams
        self._references = references
        self._topics = topics
        self._start = start
        self._stop = len(references) if stop is None else stop

    def __len__(self) -> int:
        return self._stop - self._start

    def __iter__(self) -> Iterator[Article]:
        held: dict[int, tuple[int, list[Article]]] = {}  # stream: one unpacked chunk
        references, topics, streams = self._references, self._topics, self._streams
        for number in range(self._start, self._stop):
            reference = references[number]
            stream = reference >> _POSITION
            chunk, offset = divmod(reference & _IN_STREAM, CHUNK)
            chunk_held = held.get(stream)
            if chunk_held is None or chunk_held[0] != chunk:
                chunk_held = held[stream] = (chunk, streams[stream].chunk(chunk))
            record = chunk_held[1][offset]
            merged_topics = topics.get(number)
            yield record if merged_topics is None else replace(record, topics=merged_topics)

    @overload
    def __getitem__(self, index: int) -> Article: ...

    @overload
    def __getitem__(self, index: slice) -> MergedDocuments: ...

    def __getitem__(self, index: int | slice) -> Article | MergedDocuments:
        """Return one document, or a view of a contiguous slice of them."""
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                raise ValueError("merged documents slice only contiguously")
            return MergedDocuments(
                self._streams,
                self._references,
                self._topics,
                self._start + start,
                self._start + max(start, stop),
            )
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("merged documents index out of range")
        return next(iter(self[index : index + 1]))

    def parts(self, count: int) -> list[MergedDocuments]:
        """Return the documents as `count` contiguous views, in order (writers' shares)."""
        share = -(-len(self) // max(count, 1))
        return [self[n * share : (n + 1) * share] for n in range(max(count, 1))]

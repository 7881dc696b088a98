"""One opened generation: its Whoosh reader, columns, postings cache and vocabulary.

Snapshots are immutable views: a search runs entirely against one, so every answer
comes from one whole generation. The engine retires a snapshot when a newer
generation is published and closes it once its last search has finished.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from whoosh.analysis import STOP_WORDS
from whoosh.searching import Searcher

from search.local.searching.matching import Evaluator
from search.local.searching.plain_text import Plan, plan
from search.local.searching.postings import CACHE_POSTINGS, PostingCache
from search.local.searching.query_parser import build_parser, parse, plain_words, word_tree
from search.local.searching.text_matches import TextMatches
from search.local.store.columns import Columns
from search.local.store.document_ids import DocumentIds
from search.local.store.generations import read_meta
from search.local.store.schema import (
    PORTER,
    TEXT_FIELDS,
    pop_stemmer,
    push_stemmer,
    stemmer_named,
)
from search.local.store.storage import MappedStorage
from search.local.store.stories import Stories
from search.local.store.vectors import Vectors
from search.local.store.vocabulary import Vocabulary
from search.results import Hit
from search.synonyms import SYNONYMS, Synonyms

PARSED_CACHE = 2048  # query texts whose parsed tree is kept
STORED_CACHE = 4096  # documents whose stored fields stay in memory (result pages repeat)
WARM_MIN_DOCS = 1_000  # a term in fewer documents reads in about a millisecond: not warmed
STEM_WARM = 200_000  # commonest words stemmed before serving (highlights stem every word)
WARM_BUDGET = CACHE_POSTINGS * 2 // 3  # postings and positions warming may fill


class Snapshot:
    """A generation opened for searching."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.name = folder.name
        self.meta = read_meta(folder)
        # The stems this generation holds (no "stemmer" in meta: built before Snowball, so
        # Porter). Its pickled schema stems for the query parser; this for everything else.
        self.stemmer = stemmer_named(self.meta.get("stemmer", PORTER))
        self.index = MappedStorage(str(folder)).open_index()
        self.reader = self.index.reader()
        try:
            self.columns = Columns.load(folder)
            self.postings = PostingCache(self.reader, self.columns.size)
            self.vocabulary = Vocabulary.load(folder)
            self.evaluator = Evaluator(self.postings, self.columns.alive, self.searcher)
            self.parser = build_parser(self.index.schema)
        except BaseException:
            self.reader.close()
            raise
        self._stored: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self._parsed: OrderedDict[str, Any] = OrderedDict()
        self._plans: OrderedDict[str, Plan | None] = OrderedDict()
        self._corrected: OrderedDict[str, str] = OrderedDict()
        self.hits: OrderedDict[tuple[int, float, frozenset[str]], Hit] = OrderedDict()  # page_hit
        self.matches = TextMatches()  # strategy.text_match
        self._users = 0
        self._retired = False
        self._state = threading.Lock()

    @functools.cached_property
    def name_counts(self) -> dict[str, Any]:
        """Return documents per value id of each keyword facet over the whole generation:
        suggestions rank names by them on every keystroke, so they are counted once."""
        alive = self.columns.alive
        return {name: column.counts(alive) for name, column in self.columns.keywords.items()}

    @functools.cached_property
    def vectors(self) -> Vectors | None:
        """Return the generation's document vectors (None: built without embeddings)."""
        return Vectors.load(self.folder)

    @functools.cached_property
    def synonyms(self) -> Synonyms:
        """Return the synonyms this generation was built with (the default list for a
        generation from before synonyms were kept)."""
        path = self.folder / SYNONYMS
        return Synonyms.load(path if path.exists() else None)

    @functools.cached_property
    def stories(self) -> Stories:
        """Return the generation's stories (loaded on first use: only grouped searches and
        document pages need them)."""
        return Stories.load(self.folder, self.columns.alive)

    def warm(self, stop: Callable[[], bool] = lambda: False) -> int:
        """Read the postings of the commonest words before any search needs them; return
        how many terms were read.

        A common word's postings take tens of milliseconds to read from Whoosh, and a
        server answers one search at a time per core: every search queued behind the
        first one to need them would wait too. Rare words read in about a millisecond."""
        words = sorted(self.vocabulary.counts.items(), key=lambda item: (-item[1], item[0]))

        def terms() -> Iterator[tuple[str, str]]:
            seen: set[str] = set()
            for word, count in words:
                if count < WARM_MIN_DOCS:
                    return  # a word seen this rarely is in fewer documents still
                term = self.stemmer(word)
                if word not in STOP_WORDS and term not in seen:
                    seen.add(term)
                    yield from ((field, term) for field in TEXT_FIELDS)

        self.vocabulary.prepare()  # "did you mean" builds its index on first use
        for word, _ in words[:STEM_WARM]:  # Snowball in Python: ~6 us a word, once each
            if stop():
                break
            self.stemmer(word)
        for column in self.columns.keywords.values():  # built on first use: build them now
            column.rank  # noqa: B018
            if column.doc is not None:
                column.sets  # noqa: B018
                column.starts  # noqa: B018 (few matches count their values through it)
        self.stories  # noqa: B018 (the page groups by story: load them before it asks)
        self.document_ids  # noqa: B018 (document pages and related coverage look ids up)
        self.vectors  # noqa: B018 (their sign bits take a pass over every row: not per request)
        return self.postings.warm(terms(), WARM_MIN_DOCS, WARM_BUDGET, stop)

    @property
    def documents(self) -> int:
        """Return the number of live documents."""
        return int(self.reader.doc_count())

    @contextlib.contextmanager
    def searcher(self) -> Iterator[Any]:
        """Yield a Whoosh searcher over this snapshot's reader, holding the reader's lock."""
        with self.postings.lock:
            yield Searcher(self.reader, closereader=False)

    def parse(self, text: str) -> Any:
        """Return the query tree of `text` (cached: Whoosh's parser takes ~1.5 ms, and
        head queries repeat); a plain word's is built without the parser (word_tree)."""
        tree = self._parsed.get(text)
        if tree is None:
            tree = word_tree(text, self.stemmer)
            if tree is None:
                tree = parse(self.parser, text)
            self._keep(self._parsed, text, tree)
        return tree

    def plan(self, text: str) -> Plan | None:
        """Return the word slots of plain `text` (None: explicit syntax), cached like
        parsed trees: planning stems and parses every word."""
        if text in self._plans:
            return self._plans[text]
        found = plan(self, text, self.synonyms)
        self._keep(self._plans, text, found)
        return found

    def corrected(self, text: str) -> str:
        """Return `text` with its misspelt words corrected (Vocabulary.correct_text; the
        words the index holds left alone), cached like plans: a query finding few
        results asks again each time it is searched, and the answer is the generation's."""
        found = self._corrected.get(text)
        if found is None:
            found = self.vocabulary.correct_text(text, plain_words(text), self.holds)
            self._keep(self._corrected, text, found)
        return found

    def _keep(self, cache: OrderedDict[str, Any], text: str, value: Any) -> None:
        """Keep `value` for query `text` in one of the per-text caches, the oldest
        entries going past PARSED_CACHE (query texts are user input: bounded)."""
        with self._state:
            cache[text] = value
            if len(cache) > PARSED_CACHE:
                cache.popitem(last=False)

    def stored(self, number: int) -> dict[str, Any]:
        """Return the stored fields of document `number` (cached)."""
        fields = self._stored.get(number)
        if fields is None:
            with self.postings.lock:
                fields = dict(self.reader.stored_fields(number))
                self._stored[number] = fields
                if len(self._stored) > STORED_CACHE:
                    self._stored.popitem(last=False)
        return fields

    def holds(self, word: str) -> bool:
        """Return True when a text field of the index has `word` (by this generation's
        stem of it), so a speller should leave it alone."""
        term = self.stemmer(word.lower())
        with self.postings.lock:  # a Whoosh reader is not thread-safe
            return any((field, term) in self.reader for field in TEXT_FIELDS)

    @functools.cached_property
    def document_ids(self) -> DocumentIds | None:
        """Return the live documents by id (None: a generation from before schema 4,
        which indexes ids as terms instead)."""
        ids = self.columns.ids
        return None if ids is None else DocumentIds(ids, self.columns.alive)

    def number_of(self, doc_id: str) -> int | None:
        """Return the live document number with public id `doc_id`, or None."""
        if self.document_ids is not None:
            return self.document_ids.number_of(doc_id)
        with self.postings.lock:  # an older generation: its `id` postings
            for segment, offset in self.reader.leaf_readers():
                if ("id", doc_id) not in segment:
                    continue
                matcher = segment.postings("id", doc_id)
                while matcher.is_active():
                    number: int = int(matcher.id()) + offset
                    if bool(self.columns.alive[number]):
                        return number
                    matcher.next()
        return None

    def acquire(self) -> bool:
        """Count a search using this snapshot; return False (counting nothing) if it has
        been retired meanwhile, so the caller takes the new one. Until release, stem_word
        in this thread stems as this generation does."""
        with self._state:
            if self._retired:
                return False
            self._users += 1
        push_stemmer(self.stemmer)
        return True

    def release(self) -> None:
        """End a search; close the snapshot if it is retired and this was the last one."""
        pop_stemmer()
        with self._state:
            self._users -= 1
            close = self._retired and self._users == 0
        if close:
            self._close()

    def retire(self) -> None:
        """Mark the snapshot replaced; it closes when its last search ends."""
        with self._state:
            self._retired = True
            close = self._users == 0
        if close:
            self._close()

    def _close(self) -> None:
        with self.postings.lock:
            self.postings.closed = True
            self.reader.close()
            self.index.close()

"""Documents turned into the postings of each indexed field, as flat NumPy arrays.

Whoosh's writer hands every posting to a pool as a Python tuple and sorts them, after
analysing each text through a chain of generators. Here a text costs a few calls into
C: its tokens are found with one regular-expression call, lowercased in one call, and
mapped to term ids through a dictionary of every word seen (stop words and short
words map to -1); the ids go into flat arrays, and positions, grouping and sorting by
(term, document) are done once per field with NumPy. The terms, frequencies, weights
and positions are exactly what Whoosh's writer indexes (schema.analyze's rules;
tests/test_segment_files.py compares the two writers field by field).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh import fields, formats

from search.local.store.schema import TOKENS, FastPositions, indexed_term

Ints = npt.NDArray[np.int64]
_find_tokens = TOKENS.findall
_UNSEEN = -2  # a word not in the dictionary yet
REPEATED = frozenset({"topic", "provider"})  # text fields whose values repeat: analysed once
_REPEATED_LIMIT = 100_000  # distinct values remembered per such field


@dataclass
class FieldPostings:
    """The postings of one field in (term, document) order.

    Term t owns postings starts[t]:starts[t + 1]; posting p has its positions at
    positions[position_starts[p]:position_starts[p] + frequencies[p]] (text fields)."""

    name: str
    terms: list[bytes]  # sorted
    starts: Ints  # len(terms) + 1
    docs: Ints
    frequencies: Ints
    weights: npt.NDArray[np.float64]
    positions: npt.NDArray[np.uint32] | None  # FastPositions fields only
    position_starts: Ints | None


class Words:
    """Every lowercase word seen, with the id of the term it is indexed as (-1: dropped);
    shared by the text fields, so each word is stemmed once."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.terms: list[str] = []
        self._term_ids: dict[str, int] = {}

    def of_text(self, text: str) -> list[int]:
        """Return the term id of each token of `text`, in order (-1 for dropped ones)."""
        tokens = _find_tokens(text)
        if not tokens:
            return []
        # one lower() for all: a lowercased token never holds the joining space
        words = " ".join(tokens).lower().split(" ")
        get = self.ids.get
        ids = [get(word, _UNSEEN) for word in words]
        if _UNSEEN in ids:
            ids = [get(word, _UNSEEN) if word in self.ids else self._add(word) for word in words]
        return ids

    def _add(self, word: str) -> int:
        term = indexed_term(word)
        number = -1 if term is None else self._term_ids.setdefault(term, len(self._term_ids))
        if number == len(self.terms):
            self.terms.append(term or "")
        self.ids[word] = number
        return number


class _Field:
    """One field's term ids in document order, as they are found."""

    def __init__(self, name: str, field: Any) -> None:
        self.name = name
        self.field = field
        self.term_ids = array("i")
        self.frequencies = array("i")  # per term id (keyword fields; 1 per token for text)
        self.group_docs = array("i")  # one entry per (document, field) holding terms
        self.group_sizes = array("i")
        self.vocabulary: list[str] = []  # a keyword field's own terms, by id

    def add(self, doc: int, ids: Sequence[int], frequencies: Sequence[int] = ()) -> None:
        """Add a document's term ids (with their frequencies, for a keyword field)."""
        if ids:
            self.term_ids.extend(ids)
            self.frequencies.extend(frequencies)
            self.group_docs.append(doc)
            self.group_sizes.append(len(ids))

    def tokens(self) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32], Ints, Ints]:
        """Return each kept token's (term id, document, position), and each group's
        length (its kept tokens). Arrays of the kept tokens only, 32 bits where that
        holds: a field's tokens are a writer's largest arrays."""
        ids = np.frombuffer(self.term_ids, np.int32)
        sizes = np.frombuffer(self.group_sizes, np.int32)
        group_starts = np.cumsum(sizes, dtype=np.int64) - sizes
        kept = ids >= 0
        lengths = (
            np.add.reduceat(kept, group_starts, dtype=np.int64) if len(sizes) else group_starts
        )
        kept_at = np.flatnonzero(kept)
        del kept
        group_of = np.repeat(np.arange(len(sizes), dtype=np.int32), lengths)
        # StopFilter(renumber=True): the first kept token keeps its place, later ones
        # follow on. Kept token j of a group whose first kept one is kept token `first`
        # is at (that one's index in the group) + (j - first).
        first = np.cumsum(lengths) - lengths
        shift = np.zeros(len(sizes), np.int64)
        has = np.flatnonzero(lengths)
        shift[has] = kept_at[first[has]] - group_starts[has] - first[has]
        positions = shift[group_of]
        del shift, first, has
        positions += np.arange(len(positions))
        docs = np.frombuffer(self.group_docs, np.int32)[group_of]
        return ids[kept_at], docs, positions, lengths

    def finish(self, words: list[str] | None) -> tuple[FieldPostings | None, Ints]:
        """Return the postings sorted by (term bytes, document) (None if the field has
        none), and each group's length."""
        frequencies: Ints | None = None
        if words is not None:
            ids, docs, positions, lengths = self.tokens()
            position_values: npt.NDArray[np.uint32] | None = positions.astype(np.uint32)
            del positions
        else:
            ids = np.frombuffer(self.term_ids, np.int32)
            sizes = np.frombuffer(self.group_sizes, np.int32)
            docs = np.repeat(np.frombuffer(self.group_docs, np.int32), sizes)
            frequencies = np.frombuffer(self.frequencies, np.int32).astype(np.int64)
            starts = np.cumsum(sizes, dtype=np.int64) - sizes
            lengths = np.add.reduceat(frequencies, starts) if len(sizes) else frequencies[:0]
            position_values = None
            words = self.vocabulary
        if not len(ids):
            return None, lengths
        used = np.unique(ids)
        encoded = [words[i].encode("utf-8") for i in used.tolist()]
        by_bytes = sorted(range(len(used)), key=encoded.__getitem__)
        rank = np.zeros(int(used[-1]) + 1, np.int32)
        rank[used[by_bytes]] = np.arange(len(used), dtype=np.int32)
        term_rank = rank[ids]
        del ids
        order = np.argsort(term_rank, kind="stable")  # documents, then positions, stay in order
        term_rank, docs = term_rank[order], docs[order]
        new = np.ones(len(order), np.bool_)
        new[1:] = (term_rank[1:] != term_rank[:-1]) | (docs[1:] != docs[:-1])
        starts = np.flatnonzero(new)
        del new
        if position_values is not None:
            frequencies = np.diff(np.append(starts, len(order)))
            position_values = position_values[order]
        else:
            assert frequencies is not None
            frequencies = frequencies[order][starts]
        del order
        boost = float(self.field.format.field_boost)
        return FieldPostings(
            name=self.name,
            terms=[encoded[i] for i in by_bytes],
            starts=np.searchsorted(term_rank[starts], np.arange(len(used) + 1)).astype(np.int64),
            docs=docs[starts].astype(np.int64),
            frequencies=frequencies,
            weights=frequencies.astype(np.float64) * boost,
            positions=position_values,
            position_starts=None if position_values is None else starts.astype(np.int64),
        ), lengths

    def field_lengths(self, documents: int, lengths: Ints) -> Ints:
        """Return each document's length in this field from each group's."""
        found = np.zeros(documents, np.int64)
        found[np.frombuffer(self.group_docs, np.int32)] = lengths
        return found


class Inverter:
    """Collects the postings of documents numbered 0, 1, 2... for every indexed field."""

    def __init__(self, schema: fields.Schema) -> None:
        self.schema = schema
        self.documents = 0
        self.words = Words()
        self._text: dict[str, _Field] = {}
        self._keyword: dict[str, _Field] = {}
        self._keyword_ids: dict[str, dict[str, int]] = {}
        self._cached: dict[str, dict[str, tuple[list[int], list[int]]]] = {}
        self._texts: dict[str, dict[str, list[int]]] = {}
        for name in schema.names():
            field = schema[name]
            if not field.indexed:
                continue
            if isinstance(field.format, FastPositions):
                self._text[name] = _Field(name, field)
            else:
                self._keyword[name] = _Field(name, field)
                self._keyword_ids[name] = {}
                self._cached[name] = {}

    def add(self, values: dict[str, Any]) -> None:
        """Index one document, given as writer.add_document's keyword arguments."""
        doc = self.documents
        self.documents += 1
        for name, text_field in self._text.items():
            value = values.get(name)
            if value is None:
                continue
            if not isinstance(value, str):
                raise TypeError(f"field {name!r}: only text is indexed here, not {value!r}")
            if name in REPEATED:
                seen = self._texts.setdefault(name, {})
                ids = seen.get(value)
                if ids is None:
                    ids = self.words.of_text(value)
                    if len(seen) < _REPEATED_LIMIT:
                        seen[value] = ids
            else:
                ids = self.words.of_text(value)
            text_field.add(doc, ids)
        for name, keyword_field in self._keyword.items():
            value = values.get(name)
            if value is None:
                continue
            cache = self._cached[name]
            found = cache.get(value)
            if found is None:
                found = cache[value] = self._keyword_terms(name, value)
            keyword_field.add(doc, *found)

    def _keyword_terms(self, name: str, value: Any) -> tuple[list[int], list[int]]:
        """Return (term ids, frequencies) of `value` in a field without positions, as the
        field's own analyzer indexes it."""
        field = self._keyword[name].field
        if not isinstance(field.format, formats.Existence | formats.Frequency):
            raise TypeError(f"no fast indexing for {type(field.format).__name__} fields")
        terms = [(term.decode("utf-8"), count) for term, count, _, _ in field.index(value)]
        ids = self._keyword_ids[name]
        vocabulary = self._keyword[name].vocabulary
        numbers, frequencies = [], []
        for text, frequency in terms:
            number = ids.setdefault(text, len(ids))
            if number == len(vocabulary):
                vocabulary.append(text)
            numbers.append(number)
            frequencies.append(frequency)
        return numbers, frequencies

    def finish(self) -> Iterator[tuple[FieldPostings, Ints | None]]:
        """Return each field's postings with its documents' lengths (None for a field
        that is not scorable), in field-name order, for fields holding any term. One
        field at a time is sorted, and each is dropped once handed out."""
        for name in sorted({**self._text, **self._keyword}):
            field = self._text.pop(name, None) or self._keyword.pop(name)
            postings, group_lengths = field.finish(
                self.words.terms if isinstance(field.field.format, FastPositions) else None
            )
            if postings is None:
                continue
            lengths = field.field_lengths(self.documents, group_lengths)
            yield postings, lengths if field.field.scorable else None
            del postings, lengths  # not held while the next field is sorted

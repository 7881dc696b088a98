"""Evaluate a parsed Whoosh query into dense NumPy arrays: which documents match, and scores.

Terms come from the PostingCache as precomputed BM25 contributions; AND, OR and NOT
are array operations; prefix, wildcard and fuzzy terms expand to at most
MAX_EXPANSION terms. Phrases need positions, so they (and any query type not handled
here) are answered by Whoosh's own matcher, which is exact but slower.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh import query as wq

from search.errors import SearchTimeout
from search.local.searching.or_cache import Entry, OrCache
from search.local.searching.phrases import Adjacency, common, phrase_documents
from search.local.searching.postings import PostingCache
from search.local.whoosh_compat import expanded_terms

MAX_EXPANSION = 256  # terms one wildcard, prefix or fuzzy term may expand to

Mask = npt.NDArray[np.bool_]
Scores = npt.NDArray[np.float32]


@dataclass
class Match:
    """Documents matching a query (mask) and their scores (zero where not matching)."""

    mask: Mask
    scores: Scores
    tiers: npt.NDArray[np.int8] | None = None  # ranked first by tier, then by score
    docs: npt.NDArray[np.int64] | None = None  # the mask's documents, ascending, when known


@dataclass
class Evaluation:
    """What evaluating a query needed: terms to highlight, expansions that were capped;
    and when it must give up (a time.monotonic() deadline)."""

    terms: dict[str, set[str]] = field(default_factory=dict)  # field -> indexed terms
    capped: list[str] = field(default_factory=list)
    deadline: float = math.inf
    limit: float = math.inf

    def check(self) -> None:
        """Raise SearchTimeout once the deadline has passed."""
        if time.monotonic() > self.deadline:
            raise SearchTimeout(self.limit)


class Evaluator:
    """Evaluates query trees against one generation."""

    def __init__(self, postings: PostingCache, alive: Mask, searcher_factory: Any) -> None:
        self.postings = postings
        self.alive = alive
        self.size = int(alive.shape[0])
        self.searcher_factory = searcher_factory  # () -> context manager giving a searcher
        self.ors = OrCache(self.size)
        self.adjacency = Adjacency(postings)  # proximity re-ranking's (ranking.rerank)

    def evaluate(self, q: Any, info: Evaluation) -> Match:
        """Return the Match of query `q`, restricted to live documents."""
        match = self._eval(q, info)
        return Match(match.mask & self.alive, match.scores)

    def _empty(self) -> Match:
        return Match(np.zeros(self.size, np.bool_), np.zeros(self.size, np.float32))

    def _eval(self, q: Any, info: Evaluation) -> Match:
        if isinstance(q, wq.Term):
            return self._terms(q.fieldname, [q.text], q.boost, info)
        if isinstance(q, wq.Every):
            return Match(self.alive.copy(), np.zeros(self.size, np.float32))
        if isinstance(q, type(wq.NullQuery)):
            return self._empty()
        if isinstance(q, wq.Not):
            inner = self._eval(q.query, info)
            return Match(~inner.mask, np.zeros(self.size, np.float32))
        if isinstance(q, wq.AndNot):
            positive, negative = self._eval(q.a, info), self._eval(q.b, Evaluation())
            mask = positive.mask & ~negative.mask
            return Match(mask, np.where(mask, positive.scores, 0).astype(np.float32))
        if isinstance(q, wq.AndMaybe):
            required, optional = self._eval(q.a, info), self._eval(q.b, info)
            total = np.where(required.mask, required.scores + optional.scores, 0)
            return Match(required.mask, total.astype(np.float32))
        if isinstance(q, wq.Require):
            required, filter_ = self._eval(q.a, info), self._eval(q.b, info)
            mask = required.mask & filter_.mask
            return Match(mask, np.where(mask, required.scores, 0).astype(np.float32))
        if isinstance(q, wq.And):
            return self._and(q, info)
        if isinstance(q, wq.Or | wq.DisjunctionMax):
            return self._or(q, info)
        if isinstance(q, wq.Phrase) and q.slop == 1 and q.words:
            return self._phrase(q, info)
        if isinstance(q, wq.Prefix | wq.Wildcard | wq.FuzzyTerm | wq.Regex):
            return self._terms(q.fieldname, self._expand(q, info), q.boost, info)
        return self._whoosh(q, info)

    def _and(self, q: Any, info: Evaluation) -> Match:
        children = q.subqueries
        if children and all(isinstance(c, wq.Or | wq.DisjunctionMax) for c in children):
            return self._and_of_ors([self._or_entry(child, info) for child in children])
        mask = np.ones(self.size, np.bool_)
        scores = np.zeros(self.size, np.float32)
        for child in q.subqueries:
            if isinstance(child, wq.Not):
                mask &= ~self._eval(child.query, Evaluation()).mask
                continue
            match = self._eval(child, info)
            mask &= match.mask
            scores += match.scores
        scores[~mask] = 0
        return Match(mask, scores)

    def _and_of_ors(self, entries: list[Entry]) -> Match:
        """Return the AND of evaluated ORs: what the dense AND gives (the scores summed
        in child order, zero outside the match), by their documents when every one is
        kept as documents, with no pass over every document."""
        if any(entry.docs is None for entry in entries):
            mask = np.ones(self.size, np.bool_)
            scores = np.zeros(self.size, np.float32)
            for entry in entries:
                child_mask, child_scores = self.ors.arrays(entry)
                mask &= child_mask
                scores += child_scores
            scores[~mask] = 0
            return Match(mask, scores)
        docs = min((e.docs for e in entries if e.docs is not None), key=len)
        for entry in entries:
            assert entry.docs is not None
            docs = common(docs, entry.docs)
        summed = np.zeros(len(docs), np.float32)
        for entry in entries:  # in child order: float32 sums as the dense AND's
            assert entry.docs is not None
            summed += entry.scores[np.searchsorted(entry.docs, docs)]
        mask = np.zeros(self.size, np.bool_)
        mask[docs] = True
        scores = np.zeros(self.size, np.float32)
        scores[docs] = summed
        return Match(mask, scores)

    def _or(self, q: Any, info: Evaluation) -> Match:
        return Match(*self.ors.arrays(self._or_entry(q, info)))

    def sparse(self, q: Any, info: Evaluation) -> tuple[npt.NDArray[np.int64], Scores] | None:
        """Return (the live documents matching `q`, ascending; their scores) when `q` is
        an OR kept as documents and scores (few match), else None: evaluate() it."""
        if not isinstance(q, wq.Or | wq.DisjunctionMax):
            return None
        entry = self._or_entry(q, info)
        if entry.docs is None:
            return None
        live = self.alive[entry.docs]
        return entry.docs[live], entry.scores[live]

    def _or_entry(self, q: Any, info: Evaluation) -> Entry:
        """Return the kept evaluation of OR node `q` (evaluating it the first time), its
        terms and capped expansions added to `info`."""
        entry = self.ors.get(q)
        if entry is None:
            # Evaluated once per generation and kept: readers repeat words and phrases.
            part = Evaluation(deadline=info.deadline, limit=info.limit)
            terms = self._flat_terms(q, q.boost, part)
            if terms is not None:
                # The common case: words (and the last word's prefix) over several
                # fields, all added into one pair of arrays, not one pair per term.
                match = self._accumulate(terms, part)
            else:
                match = self._or_children(q, part)
            entry = self.ors.put(q, match.mask, match.scores, part.terms, part.capped)
        for fieldname, found in entry.terms.items():
            info.terms.setdefault(fieldname, set()).update(found)
        info.capped += entry.capped
        return entry

    def _or_children(self, q: Any, info: Evaluation) -> Match:
        mask = np.zeros(self.size, np.bool_)
        scores = np.zeros(self.size, np.float32)
        for child in q.subqueries:
            info.check()
            match = self._eval(child, info)
            mask |= match.mask
            scores += match.scores * q.boost
        return Match(mask, scores)

    def _flat_terms(
        self, q: Any, boost: float, info: Evaluation
    ) -> list[tuple[str, str, float]] | None:
        """Return (field, term, boost) of an OR of terms and expansions, else None."""
        found: list[tuple[str, str, float]] = []
        for child in q.subqueries:
            if isinstance(child, wq.Term):
                found.append((child.fieldname, child.text, boost * child.boost))
            elif isinstance(child, wq.Prefix | wq.Wildcard | wq.FuzzyTerm | wq.Regex):
                weight = boost * child.boost
                found += [(child.fieldname, t, weight) for t in self._expand(child, info)]
            elif isinstance(child, wq.Or) and not isinstance(child, wq.DisjunctionMax):
                inner = self._flat_terms(child, boost * child.boost, info)
                if inner is None:
                    return None
                found += inner
            else:
                return None
        return found

    def _accumulate(self, terms: list[tuple[str, str, float]], info: Evaluation) -> Match:
        scores = np.zeros(self.size, np.float32)
        mask = np.zeros(self.size, np.bool_)
        for fieldname, term, boost in terms:
            info.check()
            docs, contribution = self.postings.get(fieldname, term)
            if len(docs):
                scores[docs] += contribution * boost
                mask[docs] = True
                info.terms.setdefault(fieldname, set()).add(term)
        return Match(mask, scores)

    def _terms(self, fieldname: str, terms: list[str], boost: float, info: Evaluation) -> Match:
        return self._accumulate([(fieldname, term, boost) for term in terms], info)

    def phrase_documents(
        self, fieldname: str, words: list[str], within: npt.NDArray[np.int64] | None = None
    ) -> npt.NDArray[np.int64]:
        """Return the (sorted, unique) documents where `words` follow each other in a
        field; only documents of `within` (sorted) are looked at when it is given."""
        return phrase_documents(self.postings, fieldname, words, within)

    def _phrase(self, q: Any, info: Evaluation) -> Match:
        """Documents where the words follow each other; scored as the sum of the words."""
        words = [str(w) for w in q.words]
        mask = np.zeros(self.size, np.bool_)
        mask[self.phrase_documents(q.fieldname, words)] = True
        words_match = self._terms(q.fieldname, list(dict.fromkeys(words)), q.boost, info)
        return Match(mask, np.where(mask, words_match.scores, 0).astype(np.float32))

    def _expand(self, q: Any, info: Evaluation) -> list[str]:
        terms: list[str] = []
        with self.postings.lock:
            for btext in expanded_terms(q, self.postings.reader):
                if len(terms) >= MAX_EXPANSION:
                    info.capped.append(f"{q.fieldname}:{q.text}")
                    break
                terms.append(btext.decode("utf-8") if isinstance(btext, bytes) else str(btext))
        return terms

    def _whoosh(self, q: Any, info: Evaluation) -> Match:
        """Evaluate with Whoosh's own matcher (phrases and anything else)."""
        scores = np.zeros(self.size, np.float32)
        mask = np.zeros(self.size, np.bool_)
        with self.searcher_factory() as searcher:
            matcher = q.matcher(searcher)
            steps = 0
            while matcher.is_active():
                steps += 1
                if steps % 4096 == 0:
                    info.check()
                number = matcher.id()
                mask[number] = True
                scores[number] += matcher.score()
                matcher.next()
            for fieldname, btext in q.existing_terms(searcher.reader(), phrases=True):
                text = btext.decode("utf-8") if isinstance(btext, bytes) else str(btext)
                info.terms.setdefault(fieldname, set()).add(text)
        return Match(mask, scores)

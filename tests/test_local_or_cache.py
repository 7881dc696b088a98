"""search.local.searching.or_cache: evaluated ORs kept per generation, dense when a
quarter of the documents or more match, else as the matching documents and scores,
within a byte budget; and the Evaluator keeping its ORs there.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from engine_support import make_evaluator, open_reader
from whoosh import query as wq

from search.local.searching.matching import Evaluation
from search.local.searching.or_cache import DENSE_SHARE, OrCache

SIZE = 100


def arrays(matching: list[int], size: int = SIZE) -> tuple[Any, Any]:
    """Return (mask, scores) with `matching` documents scored 1.5, 2.5, ..."""
    mask = np.zeros(size, np.bool_)
    scores = np.zeros(size, np.float32)
    mask[matching] = True
    scores[matching] = np.arange(len(matching), dtype=np.float32) + 1.5
    return mask, scores


def key(*words: str) -> Any:
    return wq.Or([wq.Term("title", w) for w in words])


def test_a_sparse_match_is_kept_as_documents_and_scores() -> None:
    cache = OrCache(SIZE)
    mask, scores = arrays([3, 50, 97])  # 3 of 100: under a quarter
    entry = cache.put(key("a"), mask, scores, {"title": {"a"}}, [])
    assert entry.mask is None and entry.docs is not None
    assert entry.docs.tolist() == [3, 50, 97] and entry.scores.tolist() == [1.5, 2.5, 3.5]
    assert entry.nbytes == 3 * 8 + 3 * 4
    back_mask, back_scores = cache.arrays(entry)
    assert np.array_equal(back_mask, mask) and np.array_equal(back_scores, scores)


def test_a_dense_match_is_kept_as_the_arrays_themselves_read_only() -> None:
    cache = OrCache(SIZE)
    matching = list(range(0, SIZE, DENSE_SHARE))  # exactly a quarter
    mask, scores = arrays(matching)
    entry = cache.put(key("b"), mask, scores, {"title": {"b"}}, [])
    assert entry.docs is None and entry.mask is mask and entry.scores is scores
    assert entry.nbytes == SIZE * 1 + SIZE * 4
    dense_mask, dense_scores = cache.arrays(entry)
    assert dense_mask is mask and dense_scores is scores  # zero-copy
    assert not mask.flags.writeable and not scores.flags.writeable


def test_get_finds_an_equal_query_and_nothing_else() -> None:
    cache = OrCache(SIZE)
    assert cache.get(key("a", "b")) is None
    entry = cache.put(key("a", "b"), *arrays([1]), {"title": {"a", "b"}}, ["title:a*"])
    assert cache.get(key("a", "b")) is entry, "Whoosh queries hash and compare by value"
    assert cache.get(key("b", "a")) is None
    assert cache.get(wq.Or([wq.Term("excerpt", "a"), wq.Term("excerpt", "b")])) is None
    assert entry.terms == {"title": frozenset({"a", "b"})}
    assert entry.capped == ("title:a*",)


def test_the_first_entry_of_a_key_is_kept() -> None:
    cache = OrCache(SIZE)
    first = cache.put(key("a"), *arrays([1]), {}, [])
    second = cache.put(key("a"), *arrays([2]), {}, [])
    assert second.docs is not None and second.docs.tolist() == [2]  # what was asked for
    assert cache.get(key("a")) is first


def test_a_node_that_cannot_be_hashed_is_answered_but_not_kept() -> None:
    cache = OrCache(SIZE)
    unhashable: list[str] = ["not", "a", "query"]
    entry = cache.put(unhashable, *arrays([5]), {}, [])
    assert entry.docs is not None and entry.docs.tolist() == [5]
    assert cache.get(unhashable) is None


def test_the_budget_evicts_the_oldest_entries() -> None:
    per_entry = 10 * 8 + 10 * 4  # ten sparse matches
    cache = OrCache(SIZE, budget=3 * per_entry)
    for word in "abcd":
        cache.put(key(word), *arrays(list(range(10))), {}, [])
    assert cache.get(key("a")) is None, "the oldest went when the fourth came"
    assert all(cache.get(key(word)) is not None for word in "bcd")
    # An entry alone over the budget is still kept: the last one always is.
    small = OrCache(SIZE, budget=1)
    small.put(key("a"), *arrays([1, 2]), {}, [])
    small.put(key("b"), *arrays([1, 2]), {}, [])
    assert small.get(key("a")) is None and small.get(key("b")) is not None


def test_threads_putting_the_same_key_keep_one_entry() -> None:
    per_entry = 3 * 8 + 3 * 4
    # Room for exactly eight entries: a key counted twice would evict one of them.
    cache = OrCache(SIZE, budget=8 * per_entry)
    barrier = threading.Barrier(8)

    def put() -> None:
        barrier.wait()
        for word in "abcdefgh":
            cache.put(key(word), *arrays([1, 2, 3]), {}, [])

    threads = [threading.Thread(target=put) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(cache.get(key(word)) is not None for word in "abcdefgh")


@pytest.fixture(scope="module")
def tiny(tiny_generation: Path) -> Iterator[Any]:
    with open_reader(tiny_generation) as reader:
        yield reader


def test_the_evaluator_keeps_each_or_it_evaluates(tiny: Any) -> None:
    evaluator = make_evaluator(tiny)
    query = wq.Or([wq.Term("title", "robot"), wq.Term("title", "cloud")])
    assert evaluator.ors.get(query) is None
    match = evaluator.evaluate(query, Evaluation())
    entry = evaluator.ors.get(query)
    assert entry is not None and entry.terms == {"title": frozenset({"robot", "cloud"})}
    mask, scores = evaluator.ors.arrays(entry)
    assert np.array_equal(mask, match.mask) and np.array_equal(scores, match.scores)
    # Two documents of five: dense (a quarter or more match).
    assert entry.mask is not None
    # ANDs and single terms are not kept: only ORs are.
    evaluator.evaluate(wq.And([wq.Term("title", "facial"), query]), Evaluation())
    assert evaluator.ors.get(wq.And([wq.Term("title", "facial"), query])) is None
    # A kept entry serves the next evaluation: the same answer, the same entry.
    again = evaluator.evaluate(query, Evaluation())
    assert np.array_equal(again.mask, match.mask) and np.array_equal(again.scores, match.scores)
    assert evaluator.ors.get(query) is entry


def test_ors_whose_whoosh_hashes_collide_are_kept_apart() -> None:
    # Whoosh XORs a node's parts: a word over two fields cancels out of the hash, so
    # these two ORs hash alike; the cache still tells them apart, and finds each by
    # an equal node made afresh (not only by the object it was put with).
    a = wq.Or([wq.Term("title", "alpha"), wq.Term("excerpt", "alpha")])
    b = wq.Or([wq.Term("title", "beta"), wq.Term("excerpt", "beta")])
    assert hash(a) == hash(b)
    cache = OrCache(SIZE)
    first = cache.put(a, *arrays([1]), {"title": {"alpha"}}, [])
    second = cache.put(b, *arrays([2]), {"title": {"beta"}}, [])
    again = wq.Or([wq.Term("title", "alpha"), wq.Term("excerpt", "alpha")])
    assert (cache.get(a), cache.get(b), cache.get(again)) == (first, second, first)
    assert cache.get(wq.Or([wq.Term("title", "gamma"), wq.Term("excerpt", "gamma")])) is None

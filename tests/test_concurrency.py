"""Many threads searching while new generations are published: no errors, whole answers."""

from __future__ import annotations

import threading
from pathlib import Path

from benchmarks.generator import write_corpus
from search.local import LocalBackend
from search.local.store.build import build_index
from search.request import SearchRequest

REQUESTS = [
    SearchRequest(),
    SearchRequest(q="market"),
    SearchRequest(q="cloud security", filters={"topic": ("AI",)}),
    SearchRequest(filters={"topic": ("Cloud", "Space")}, sort="oldest"),
]


def test_threads_search_while_generations_are_published(tmp_path: Path) -> None:
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    write_corpus(seeds, 600, seed=1)
    build_index(seeds, index, progress=False)
    expected: dict[str, dict[SearchRequest, int]] = {}

    def remember() -> None:
        # A new backend each time: one kept open looks at CURRENT at most once a second
        # (CHECK_INTERVAL), and a build can take less than that.
        reference = LocalBackend(index)
        with reference.snapshot() as snapshot:
            name = snapshot.name
        expected[name] = {r: reference.search(r).total for r in REQUESTS}

    remember()
    engine = LocalBackend.open(index)
    answers: list[tuple[str, SearchRequest, int]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def client(number: int) -> None:
        try:
            while not stop.is_set():
                for request in REQUESTS:
                    result = engine.search(request)
                    answers.append((result.generation, request, result.total))
                stop.wait(0.005)  # leave the builder some of the GIL
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    try:
        for round_ in range(3):  # three new generations, each bigger than the last
            write_corpus(seeds / f"more-{round_}", 150, seed=100 + round_)
            build_index(seeds, index, progress=False)
            remember()
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert errors == []
    assert len(expected) == 4
    seen = {generation for generation, _, _ in answers}
    assert len(seen) >= 2  # the engine switched generations while being searched
    for generation, request, total in answers:
        assert total == expected[generation][request], (generation, request)

"""Facet counts and totals against an independent count over the parsed documents.

The expected values are computed here in plain Python from the merged documents
(sets and Counters, no NumPy, no columns), for many filter combinations, on the real
corpus and on a generated one; whole facet lists are compared.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from benchmarks.generator import write_corpus
from search.facets import FACET_NAMES, LIST_LIMIT
from search.ingest.corpus import discover, merge, parse_files
from search.local import LocalBackend
from search.local.store.build import build_index
from search.model import Article, ParsedFile
from search.request import SearchRequest


def documents_of(seeds: Path) -> list[Article]:
    files, _ = discover(seeds)
    return merge(r for r in parse_files(files) if isinstance(r, ParsedFile)).documents


def display(names: list[str]) -> dict[str, str]:
    """Return {casefolded: commonest spelling}, ties to the first in sorted order."""
    spellings: dict[str, Counter[str]] = {}
    for name in names:
        spellings.setdefault(name.casefold(), Counter())[name] += 1
    return {
        key: sorted(c.items(), key=lambda item: (-item[1], item[0]))[0][0]
        for key, c in spellings.items()
    }


# Each keyword facet's values of a document, read here independently of the registry.
KEYWORDS: dict[str, Callable[[Article], tuple[str, ...]]] = {
    "topic": lambda d: d.topics,
    "provider": lambda d: (d.provider_name,) if d.provider_name else (),
    "type": lambda d: (d.type,) if d.type else (),
}


def expected(docs: list[Article], request: SearchRequest) -> dict[str, object]:
    """Return total and facets computed naively from the documents."""
    chosen = {name: {v.casefold() for v in request.selected(name)} for name in KEYWORDS}

    def keyword_ok(d: Article, name: str) -> bool:
        return not chosen[name] or bool(chosen[name] & {v.casefold() for v in KEYWORDS[name](d)})

    def date_ok(d: Article) -> bool:
        if request.date_from is None and request.date_to is None:
            return True
        if d.published is None:
            return False
        day = d.published.date()
        return (request.date_from or date.min) <= day <= (request.date_to or date.max)

    def passes(d: Article, but: str) -> bool:
        keywords = all(keyword_ok(d, name) for name in KEYWORDS if name != but)
        return keywords and (but == "date" or date_ok(d))

    def named(
        counter: Counter[str], names: dict[str, str], selected: set[str]
    ) -> list[tuple[str, int, bool]]:
        values = [(names[k], n, k in selected) for k, n in counter.items() if n]
        values.sort(key=lambda v: (-v[1], v[0].casefold(), v[0]))
        return values[:LIST_LIMIT] + [v for v in values[LIST_LIMIT:] if v[2]]

    want: dict[str, object] = {"total": sum(1 for d in docs if passes(d, ""))}
    for name, values_of in KEYWORDS.items():
        names = display([v for d in docs for v in dict.fromkeys(values_of(d))])
        counter = Counter(
            v for d in docs if passes(d, name) for v in {x.casefold() for x in values_of(d)}
        )
        want[name] = named(counter, names, chosen[name])
    dated = [d.published for d in docs if passes(d, "date") and d.published]
    want["year"] = sorted(Counter(f"{p.year:04d}" for p in dated).items())
    want["month"] = sorted(Counter(f"{p.year:04d}-{p.month:02d}" for p in dated).items())
    return want


def requests(docs: list[Article], count: int, seed: int) -> Iterator[SearchRequest]:
    """Yield seeded filter combinations drawn from the documents' own values."""
    rng = random.Random(seed)
    topics = sorted({t for d in docs for t in d.topics})
    providers = sorted({d.provider_name for d in docs if d.provider_name})
    types = sorted({d.type for d in docs if d.type})
    yield SearchRequest()
    for _ in range(count):
        start = date(rng.randint(2013, 2026), rng.randint(1, 12), rng.randint(1, 28))
        end = start.replace(year=start.year + rng.randint(0, 3))
        yield SearchRequest(
            filters={
                "topic": rng.sample(topics, rng.choice([0, 0, 1, 1, 2])),
                "provider": [
                    p.upper() if rng.random() < 0.3 else p
                    for p in rng.sample(providers, rng.choice([0, 0, 1, 2]))
                ],
                "type": rng.sample(types, min(len(types), rng.choice([0, 0, 0, 1, 2]))),
            },
            date_from=start if rng.random() < 0.5 else None,
            date_to=end if rng.random() < 0.5 else None,
        )


def check(engine: LocalBackend, docs: list[Article], request: SearchRequest) -> None:
    result = engine.search(request)
    want = expected(docs, request)
    # selected values without documents are listed too (to be unticked); the naive count
    # has no row for them, so compare the rows that have documents
    got = {
        "total": result.total,
        **{
            name: [(f.value, f.count, f.selected) for f in result.facets[name] if f.count]
            for name in KEYWORDS
        },
        "year": [(f.value, f.count) for f in result.facets["year"]],
        "month": [(f.value, f.count) for f in result.facets["month"]],
    }
    assert got == want, request


def test_real_corpus_facets_for_many_filter_combinations(corpus_dir: Path, tmp_path: Path) -> None:
    build_index(corpus_dir, tmp_path / "index", progress=False)
    docs = documents_of(corpus_dir)
    engine = LocalBackend.open(tmp_path / "index")
    for request in requests(docs, 150, seed=7):
        check(engine, docs, request)


def test_generated_corpus_facets_for_many_filter_combinations(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    write_corpus(seeds, 1500, seed=3)
    build_index(seeds, tmp_path / "index", progress=False)
    docs = documents_of(seeds)
    engine = LocalBackend.open(tmp_path / "index")
    for request in itertools.islice(requests(docs, 120, seed=11), 121):
        check(engine, docs, request)


def test_hits_of_a_filtered_browse_are_exactly_the_filtered_documents(
    corpus_dir: Path, tmp_path: Path
) -> None:
    build_index(corpus_dir, tmp_path / "index", progress=False)
    docs = documents_of(corpus_dir)
    engine = LocalBackend.open(tmp_path / "index")
    request = SearchRequest(filters={"topic": ("AI in Autos", "computer vision")}, per_page=100)
    want = {
        d.id for d in docs if {"ai in autos", "computer vision"} & {t.casefold() for t in d.topics}
    }
    assert {h.id for h in engine.search(request).hits} == want


@pytest.mark.slow
def test_generated_corpus_facets_long(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    write_corpus(seeds, 20_000, seed=5)
    build_index(seeds, tmp_path / "index", progress=False)
    docs = documents_of(seeds)
    engine = LocalBackend.open(tmp_path / "index")
    for request in requests(docs, 500, seed=13):
        check(engine, docs, request)


def test_generator_writes_the_same_records_as_files_and_json_lines(tmp_path: Path) -> None:
    import json

    import yaml

    from benchmarks.generator import write_jsonl

    write_corpus(tmp_path / "seeds", 40, seed=9)
    write_jsonl(tmp_path / "records.jsonl", 40, seed=9)
    lines = (tmp_path / "records.jsonl").read_text(encoding="utf-8").splitlines()
    files = sorted((tmp_path / "seeds").rglob("*.md"))
    assert len(lines) == len(files) == 40
    for line, path in zip(lines, files, strict=True):
        front = path.read_text(encoding="utf-8").split("---\n")[1]
        assert yaml.safe_load(front) == json.loads(line)


def test_the_registry_lists_every_facet_the_answers_carry(corpus_dir: Path, tmp_path: Path) -> None:
    build_index(corpus_dir, tmp_path / "index", progress=False)
    result = LocalBackend.open(tmp_path / "index").search(SearchRequest())
    assert list(result.facets) == list(FACET_NAMES) == [*KEYWORDS, "year", "month"]
    # MANIFEST.md: 179 files of type article, plus the 16 related-only documents (all
    # `type: article` in the related lists that give them); then the files' other types.
    assert [(v.value, v.count) for v in result.facets["type"]] == [
        ("article", 195),
        ("video", 5),
        ("forum", 3),
        ("conference", 2),
        ("course", 2),
        ("book", 1),
        ("collection", 1),
    ]

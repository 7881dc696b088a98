"""Facet counts and totals against an independent count over the parsed documents.

The expected values are computed here in plain Python from the merged documents
(sets and Counters, no NumPy, no columns), for many filter combinations, on the real
corpus and on a generated one; whole facet lists are compared.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from benchmarks.generator import write_corpus
from search.ingest.corpus import discover, merge, parse_files
from search.local.backend import Engine
from search.local.searching.facet_counts import MAX_VALUES
from search.local.store.build import build_index
from search.model import Article, ParsedFile
from search.results import SearchRequest


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


def expected(docs: list[Article], request: SearchRequest) -> dict[str, object]:
    """Return total and facets computed naively from the documents."""
    topics = {t.casefold() for t in request.topics}
    providers = {p.casefold() for p in request.providers}

    def topic_ok(d: Article) -> bool:
        return not topics or bool(topics & {t.casefold() for t in d.topics})

    def provider_ok(d: Article) -> bool:
        return not providers or (d.provider_name or "").casefold() in providers

    def date_ok(d: Article) -> bool:
        if request.date_from is None and request.date_to is None:
            return True
        if d.published is None:
            return False
        day = d.published.date()
        return (request.date_from or date.min) <= day <= (request.date_to or date.max)

    topic_names = display([t for d in docs for t in dict.fromkeys(d.topics)])
    provider_names = display([d.provider_name for d in docs if d.provider_name])

    def named(
        counter: Counter[str], names: dict[str, str], chosen: set[str]
    ) -> list[tuple[str, int, bool]]:
        values = [(names[k], n, k in chosen) for k, n in counter.items() if n]
        values.sort(key=lambda v: (-v[1], v[0].casefold(), v[0]))
        return values[:MAX_VALUES] + [v for v in values[MAX_VALUES:] if v[2]]

    topic_counter: Counter[str] = Counter(
        t for d in docs if provider_ok(d) and date_ok(d) for t in {x.casefold() for x in d.topics}
    )
    provider_counter: Counter[str] = Counter(
        d.provider_name.casefold() for d in docs if topic_ok(d) and date_ok(d) and d.provider_name
    )
    dated = [d.published for d in docs if topic_ok(d) and provider_ok(d) and d.published]
    return {
        "total": sum(1 for d in docs if topic_ok(d) and provider_ok(d) and date_ok(d)),
        "topic": named(topic_counter, topic_names, topics),
        "provider": named(provider_counter, provider_names, providers),
        "year": sorted(Counter(f"{p.year:04d}" for p in dated).items()),
        "month": sorted(Counter(f"{p.year:04d}-{p.month:02d}" for p in dated).items()),
    }


def requests(docs: list[Article], count: int, seed: int) -> Iterator[SearchRequest]:
    """Yield seeded filter combinations drawn from the documents' own values."""
    rng = random.Random(seed)
    topics = sorted({t for d in docs for t in d.topics})
    providers = sorted({d.provider_name for d in docs if d.provider_name})
    yield SearchRequest()
    for _ in range(count):
        start = date(rng.randint(2013, 2026), rng.randint(1, 12), rng.randint(1, 28))
        end = start.replace(year=start.year + rng.randint(0, 3))
        yield SearchRequest(
            topics=tuple(rng.sample(topics, rng.choice([0, 0, 1, 1, 2]))),
            providers=tuple(
                p.upper() if rng.random() < 0.3 else p
                for p in rng.sample(providers, rng.choice([0, 0, 1, 2]))
            ),
            date_from=start if rng.random() < 0.5 else None,
            date_to=end if rng.random() < 0.5 else None,
        )


def check(engine: Engine, docs: list[Article], request: SearchRequest) -> None:
    result = engine.search(request)
    want = expected(docs, request)
    # selected values without documents are listed too (to be unticked); the naive count
    # has no row for them, so compare the rows that have documents
    got = {
        "total": result.total,
        "topic": [(f.value, f.count, f.selected) for f in result.facets["topic"] if f.count],
        "provider": [(f.value, f.count, f.selected) for f in result.facets["provider"] if f.count],
        "year": [(f.value, f.count) for f in result.facets["year"]],
        "month": [(f.value, f.count) for f in result.facets["month"]],
    }
    assert got == want, request


def test_real_corpus_facets_for_many_filter_combinations(corpus_dir: Path, tmp_path: Path) -> None:
    build_index(corpus_dir, tmp_path / "index", progress=False)
    docs = documents_of(corpus_dir)
    engine = Engine.open(tmp_path / "index", cache=False)
    for request in requests(docs, 150, seed=7):
        check(engine, docs, request)


def test_generated_corpus_facets_for_many_filter_combinations(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    write_corpus(seeds, 1500, seed=3)
    build_index(seeds, tmp_path / "index", progress=False)
    docs = documents_of(seeds)
    engine = Engine.open(tmp_path / "index", cache=False)
    for request in itertools.islice(requests(docs, 120, seed=11), 121):
        check(engine, docs, request)


def test_hits_of_a_filtered_browse_are_exactly_the_filtered_documents(
    corpus_dir: Path, tmp_path: Path
) -> None:
    build_index(corpus_dir, tmp_path / "index", progress=False)
    docs = documents_of(corpus_dir)
    engine = Engine.open(tmp_path / "index", cache=False)
    request = SearchRequest(topics=("AI in Autos", "computer vision"), per_page=100)
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
    engine = Engine.open(tmp_path / "index", cache=False)
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

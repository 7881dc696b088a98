"""The real corpus: the build compared with numbers taken from the corpus MANIFEST.md
and with an independent reading of the files (plain yaml.safe_load and a small URL
canonicaliser written here), never with the product's own parsing."""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from build_support import merged_documents, stored_documents

from search.identity import doc_id
from search.local.store import generations
from search.local.store.build import build_index
from search.model import Article, IndexReport, SkippedFile

# MANIFEST.md "Counts": 215 files, of which everyday-ai-topics/ holds the 22 `.yaml`
# taxonomy files (not seeds: wrong suffix). So 171 + 22 = 193 article files, plus
# MANIFEST.md itself (a `.md` without front matter): 194 files read, 1 skipped.
ARTICLE_FILES = 193
FILES_READ = ARTICLE_FILES + 1
# "Front-matter fields": `title` in 169 + 19 = 188 files; `name` only in the 5 files
# listed under "Parse failures and missing fields" as lacking title.
WITH_TITLE = 169 + 19
NAME_ONLY = {
    "everyday-powerapps/microsoft-power-apps-community.md": "Microsoft Power Apps Community",
    "everyday-powerapps/powerapps-stackoverflow.md": "Power Apps in Stack Overflow",
    "everyday-powerapps/facebook-groups-microsoftpowerapps.md": "Power Apps Facebook Group",
    "everyday-ai/2021-10-20-martech-summit-bangkok-2021.md": "MarTech Summit Bangkok 2021",
    "everyday-ai/2019-12-08-neurips-2019.md": "NeurIPS 2019",
}
# "Dates": files per publishedDateTime year (sums to 166 + 17 = 183 dated files)
YEARS = {
    2013: 1, 2014: 1, 2015: 1, 2016: 1, 2017: 4, 2018: 1,
    2019: 65, 2020: 11, 2021: 76, 2022: 5, 2023: 17,
}  # fmt: skip
# "article files lacking title and/or publishedDateTime": all 10 lack the date
UNDATED = {
    *NAME_ONLY,
    "everyday-powerapps/april-dunnam-beginner-power-apps-topics-by-april-dunnam.md",
    "everyday-powerapps/microsoft-learn-intro-power-platform.md",
    "everyday-ai/vas3k-blog-machine-learning-for-everyone.md",
    "everyday-ai/amazon-deep-learning-with-python.md",
    "everyday-ai/coursera-ai-for-everyone.md",
}
# "related": 39 files with a non-empty list, 128 items in all, each with title and webUrl
RELATED_FILES, RELATED_ITEMS = 39, 128
# "Values seen": `topics` values
TOPICS = {
    "AI", "AWS AI", "Computer Vision", "Machine Learning", "Power Apps", "AI in Autos",
    "Microsoft AI", "Facebook AI", "Natural Language Processing", "AI Hardware",
    "AI in Healthcare", "Google AI", "AI in Robotics", "IBM AI", "AI in Finance", "AI Builder",
    "TensorFlow", "AI in Security", "Model-driven apps", "Portals", "Teams integration",
}  # fmt: skip
# "secured": 169 + 19 files carry an encrypted `secured` value
SECURED_FILES = 169 + 19

TRACKING = {"ref", "fbclid", "gclid", "mc_cid", "mc_eid"}


def canonical(url: str) -> str:
    """An independent DESIGN.md 2.5 canonicaliser, by plain string surgery."""
    scheme, _, rest = url.strip().partition("://")
    rest = rest.split("#", 1)[0]
    rest, _, query = rest.partition("?")
    host, slash, path = rest.partition("/")
    path = slash + path
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    kept = [
        pair
        for pair in query.split("&")
        if pair
        and pair.split("=", 1)[0].lower() not in TRACKING
        and not pair.lower().startswith("utm_")
    ]
    return f"{scheme.lower()}://{host.lower()}{path}" + ("?" + "&".join(kept) if kept else "")


def utc(value: Any) -> datetime | None:
    if value is None:
        return None
    assert isinstance(value, datetime), value  # every corpus date is a YAML timestamp
    assert value.tzinfo is not None
    return value.astimezone(UTC).replace(tzinfo=None)


def clean(value: Any) -> str:
    return " ".join(html.unescape(str(value)).split())


@dataclass
class SeedTruth:
    """One corpus file as read here with yaml.safe_load."""

    relative: str
    title: str
    key: str
    published: datetime | None
    topics: list[str]
    related: list[dict[str, Any]]
    secured: str | None


def read_corpus(corpus_dir: Path) -> tuple[list[SeedTruth], list[str]]:
    """Return the corpus seed files (read independently) and the `.md` files without
    front matter."""
    truths: list[SeedTruth] = []
    without: list[str] = []
    for path in sorted(corpus_dir.rglob("*")):
        relative = path.relative_to(corpus_dir).as_posix()
        if not path.is_file() or path.suffix.lower() not in (".md", ".markdown", ".txt"):
            continue
        lines = path.read_text(encoding="utf-8").split("\n")
        if lines[0] != "---":
            without.append(relative)
            continue
        end = lines.index("---", 1)
        data = yaml.safe_load("\n".join(lines[1:end]))
        title = data.get("title") or data.get("name")
        url = data.get("webUrl") or data.get("originalUrl")
        truths.append(
            SeedTruth(
                relative=relative,
                title=clean(title),
                key=canonical(url) if url else f"path:{relative}",
                published=utc(data.get("publishedDateTime")),
                topics=list(data.get("topics") or []),
                related=list(data.get("related") or []),
                secured=data.get("secured"),
            )
        )
    return truths, without


@dataclass
class CorpusBuild:
    report: IndexReport
    documents: list[Article]
    stored: list[dict[str, Any]]
    generation: Path
    truths: list[SeedTruth]
    without_front_matter: list[str]


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        path.relative_to(folder).as_posix(): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in folder.rglob("*")
    }


@pytest.fixture(scope="module")
def corpus_build(
    corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CorpusBuild]:
    before = snapshot(corpus_dir)
    index_dir = tmp_path_factory.mktemp("corpus-index")
    report = build_index(corpus_dir, index_dir, progress=False)
    generation = generations.current_generation(index_dir)
    assert generation is not None
    truths, without = read_corpus(corpus_dir)
    yield CorpusBuild(
        report,
        merged_documents(corpus_dir),
        stored_documents(index_dir),
        generation,
        truths,
        without,
    )
    assert snapshot(corpus_dir) == before, "the build wrote into the shared corpus"


def test_independent_reading_agrees_with_manifest(corpus_build: CorpusBuild) -> None:
    truths = corpus_build.truths
    assert corpus_build.without_front_matter == ["MANIFEST.md"]
    assert len(truths) == ARTICLE_FILES
    assert {t.relative: t.title for t in truths if t.relative in NAME_ONLY} == NAME_ONLY
    assert dict(Counter(t.published.year for t in truths if t.published)) == YEARS
    assert {t.relative for t in truths if t.published is None} == UNDATED
    assert sum(1 for t in truths if t.related) == RELATED_FILES
    assert sum(len(t.related) for t in truths) == RELATED_ITEMS
    assert all(item.get("title") and item.get("webUrl") for t in truths for item in t.related)
    assert {topic for t in truths for topic in t.topics} == TOPICS
    assert sum(1 for t in truths if t.secured) == SECURED_FILES


def test_corpus_report(corpus_build: CorpusBuild) -> None:
    report, truths = corpus_build.report, corpus_build.truths
    article_keys = {t.key for t in truths}
    related_keys = {canonical(item["webUrl"]) for t in truths for item in t.related}
    related_documents = len(related_keys - article_keys)
    records = ARTICLE_FILES + RELATED_ITEMS
    assert len(article_keys) == ARTICLE_FILES  # no two article files share a URL

    assert report.files_read == FILES_READ
    assert report.files_skipped == [
        SkippedFile("MANIFEST.md", "no front matter: the first line is not '---'")
    ]
    assert report.kinds == {"article": ARTICLE_FILES, "related": related_documents}
    assert report.documents == ARTICLE_FILES + related_documents
    assert report.duplicates_merged == records - report.documents
    assert report.warnings == []  # every corpus date is well formed, every URL http(s)
    assert report.incremental is False
    assert len(corpus_build.stored) == report.documents
    assert generations.read_meta(corpus_build.generation)["documents"] == report.documents


def test_corpus_articles(corpus_build: CorpusBuild) -> None:
    articles = {d.source: d for d in corpus_build.documents if d.kind == "article"}
    truths = {t.relative: t for t in corpus_build.truths}
    assert set(articles) == set(truths)
    assert sum(1 for t in truths.values() if t.relative not in NAME_ONLY) == WITH_TITLE
    assert {s: (a.title, a.key, a.published) for s, a in articles.items()} == {
        s: (t.title, t.key, t.published) for s, t in truths.items()
    }
    assert dict(Counter(a.published.year for a in articles.values() if a.published)) == YEARS
    assert {s for s, a in articles.items() if a.published is None} == UNDATED
    assert {s: a.topics for s, a in articles.items()} == {
        s: tuple(t.topics) for s, t in truths.items()
    }
    # the stored index says the same
    stored = {d["source"]: d for d in corpus_build.stored if d["kind"] == "article"}
    assert {s: (d["title"], d.get("published")) for s, d in stored.items()} == {
        s: (t.title, t.published) for s, t in truths.items()
    }


def test_corpus_related_documents(corpus_build: CorpusBuild) -> None:
    truths = corpus_build.truths
    article_keys = {t.key for t in truths}
    topics: dict[str, set[str]] = {}
    newest: dict[str, datetime] = {}
    for truth in truths:
        for item in truth.related:
            key = canonical(item["webUrl"])
            topics.setdefault(key, set()).update(truth.topics)
            published = utc(item["publishedDateTime"])
            assert published is not None
            newest[key] = max(newest.get(key, published), published)
    related = {d.key: d for d in corpus_build.documents if d.kind == "related"}
    assert set(related) == set(topics) - article_keys
    assert {k: set(d.topics) for k, d in related.items()} == {k: topics[k] for k in related}
    assert {k: d.published for k, d in related.items()} == {k: newest[k] for k in related}
    # each article lists the related coverage of its file (but not itself), by id
    stored = {d["source"]: d for d in corpus_build.stored if d["kind"] == "article"}
    for truth in truths:
        keys = [canonical(i["webUrl"]) for i in truth.related]
        expected = list(dict.fromkeys(doc_id(k) for k in keys if k != truth.key))
        assert stored[truth.relative].get("related", []) == expected, truth.relative


def test_corpus_topic_names(corpus_build: CorpusBuild) -> None:
    assert {t for d in corpus_build.documents for t in d.topics} == TOPICS
    assert {t for d in corpus_build.stored for t in d["topics"]} == TOPICS


def test_corpus_ids_are_unique_and_derived_from_keys(corpus_build: CorpusBuild) -> None:
    ids = [d["id"] for d in corpus_build.stored]
    assert len(set(ids)) == len(ids)
    assert {d["id"] for d in corpus_build.stored} == {d.id for d in corpus_build.documents}
    assert all(d["id"] == doc_id(d["key"]) for d in corpus_build.stored)


def test_secured_is_never_stored(corpus_build: CorpusBuild) -> None:
    secrets = [t.secured for t in corpus_build.truths if t.secured]
    assert len(secrets) == SECURED_FILES
    for document in corpus_build.stored:
        assert "secured" not in document
        text = repr(document)
        assert not any(secret in text for secret in secrets)
    # nor anywhere in the generation's files (Whoosh segments, records, meta)
    for path in corpus_build.generation.iterdir():
        data = path.read_bytes()
        assert b"secured" not in data, path.name
        for secret in secrets:
            assert secret.encode() not in data, path.name

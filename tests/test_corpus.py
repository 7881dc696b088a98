"""Which files are seeds (DESIGN.md 2.1), how records merge (2.6, 2.7), and the real corpus.

The real-corpus checks compare the build with numbers taken from the corpus MANIFEST.md
and with an independent reading of the files (plain yaml.safe_load and a small URL
canonicaliser written here), never with the product's own parsing.
"""

from __future__ import annotations

import html
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from search.identity import doc_id
from search.ingest.corpus import SeedFile, discover, merge, parse_files
from search.ingest.frontmatter import MAX_FILE_BYTES
from search.local.store import generations
from search.local.store.build import build_index
from search.model import Article, IndexReport, ParsedFile, SkippedFile

MIB = 1024 * 1024


def seed(front_matter: str, body: str = "") -> bytes:
    return f"---\n{front_matter}---\n{body}".encode()


def merged_documents(seeds_dir: Path) -> list[Article]:
    """Return the documents a build of `seeds_dir` indexes (discover, parse, merge)."""
    files, _ = discover(seeds_dir)
    parsed = [r for r in parse_files(files, progress=False) if isinstance(r, ParsedFile)]
    return merge(parsed).documents


def stored_documents(index_dir: Path) -> list[dict[str, Any]]:
    """Return the stored fields of every document in the published generation."""
    from whoosh import index as whoosh_index

    folder = generations.current_generation(index_dir)
    assert folder is not None
    ix = whoosh_index.open_dir(str(folder))
    try:
        with ix.searcher() as searcher:
            return [dict(stored) for stored in searcher.all_stored_fields()]
    finally:
        ix.close()


# --- Discovery (DESIGN.md 2.1) ------------------------------------------------------


def test_discovery_rules(seeds_dir: Path, tmp_path: Path) -> None:
    files = {
        "_news/2021-01-01-news.md": seed("title: Jekyll collection\n"),
        "_archive/_news/2019-01-01-old.md": seed("title: Nested collection\n"),
        "UPPER.MD": seed("title: Upper-case suffix\n"),
        "long.markdown": seed("title: Markdown suffix\n"),
        "Mixed.MarkDown": seed("title: Mixed-case markdown\n"),
        "plain.txt": seed("title: Text suffix\n"),
        "sub/dir/deep.Txt": seed("title: Deep text\n"),
        "README.md": b"# Seeds\n\nThis folder holds the seed files.\n",
        "big.md": seed("title: Too big\n", "x" * (6 * MIB)),
        # ignored entirely: hidden folders and files, other suffixes
        ".git/HEAD.md": seed("title: Git internals\n"),
        ".git/objects/ab/notes.md": seed("title: Git object\n"),
        "_news/.draft.md": seed("title: Hidden draft\n"),
        ".hidden/visible-name.md": seed("title: In a hidden folder\n"),
        "topics.yaml": seed("title: YAML data\n"),
        "page.html": seed("title: HTML page\n"),
        "backup.md.bak": seed("title: Backup\n"),
        "md": seed("title: No suffix\n"),
        "notes.mdx": seed("title: MDX\n"),
    }
    for relative, raw in files.items():
        path = seeds_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(raw)
    big_size = len(files["big.md"])
    assert big_size > MAX_FILE_BYTES

    found, skipped = discover(seeds_dir)
    assert [f.relative for f in found] == [  # sorted by path
        "Mixed.MarkDown",
        "README.md",
        "UPPER.MD",
        "_archive/_news/2019-01-01-old.md",
        "_news/2021-01-01-news.md",
        "long.markdown",
        "plain.txt",
        "sub/dir/deep.Txt",
    ]
    for found_file in found:
        assert found_file == SeedFile(
            seeds_dir / found_file.relative,
            found_file.relative,
            len(files[found_file.relative]),
            (seeds_dir / found_file.relative).stat().st_mtime_ns,
        )
    too_large = SkippedFile("big.md", f"too large: {big_size} bytes (limit {MAX_FILE_BYTES})")
    assert skipped == [too_large]

    report = build_index(seeds_dir, tmp_path / "index")
    assert report.files_skipped == [
        SkippedFile("README.md", "no front matter: the first line is not '---'"),
        too_large,
    ]
    assert report.files_read == 8  # README.md is read (then skipped); big.md never is
    assert report.kinds == {"article": 7, "related": 0}
    assert report.warnings == []
    assert sorted(d["title"] for d in stored_documents(tmp_path / "index")) == sorted(
        [
            "Jekyll collection",
            "Nested collection",
            "Upper-case suffix",
            "Markdown suffix",
            "Mixed-case markdown",
            "Text suffix",
            "Deep text",
        ]
    )


def test_symlinks_and_special_files_are_reported(seeds_dir: Path, tmp_path: Path) -> None:
    (seeds_dir / "good.md").write_bytes(seed("title: Good\n"))
    outside = tmp_path / "outside.md"
    outside.write_bytes(seed("title: Outside the seeds folder\n"))
    (seeds_dir / "link.md").symlink_to(outside)
    (seeds_dir / "dangling.md").symlink_to(tmp_path / "nowhere.md")
    os.mkfifo(seeds_dir / "pipe.md")
    report = build_index(seeds_dir, tmp_path / "index")
    assert report.files_skipped == [
        SkippedFile("dangling.md", "symbolic link (not followed)"),
        SkippedFile("link.md", "symbolic link (not followed)"),
        SkippedFile("pipe.md", "not a regular file"),
    ]
    assert [d["title"] for d in stored_documents(tmp_path / "index")] == ["Good"]


def test_undecodable_file_name_does_not_crash_the_build(seeds_dir: Path, tmp_path: Path) -> None:
    (seeds_dir / "good.md").write_bytes(seed("title: Good\n"))
    # a Latin-1 file name: the byte 0xE9 alone is not UTF-8
    (seeds_dir / os.fsdecode(b"caf\xe9.md")).write_bytes(seed("title: Latin-1 file name\n"))
    report = build_index(seeds_dir, tmp_path / "index")
    assert report.documents == 1
    assert report.files_skipped == [SkippedFile("caf\ufffd.md", "file name is not valid UTF-8")]


# --- Duplicates and related coverage (DESIGN.md 2.6, 2.7) ---------------------------


def test_url_spellings_merge_and_latest_wins(seeds_dir: Path, tmp_path: Path) -> None:
    spellings = {
        "a.md": ("https://news.example.com/story/1", "2021-01-01T00:00:00Z"),
        "b.md": ("https://news.example.com/story/1?ref=upstract.com", "2021-01-02T00:00:00Z"),
        "c.md": (
            "https://news.example.com/story/1?utm_source=tw&utm_medium=social",
            "2021-01-03T00:00:00Z",
        ),
        "d.md": ("https://news.example.com/story/1/", "2021-01-06T00:00:00Z"),
        "e.md": ("https://NEWS.Example.COM/story/1", "2021-01-04T00:00:00Z"),
        "f.md": ("https://news.example.com/story/1#comments", "2021-01-05T00:00:00Z"),
    }
    for name, (url, date) in spellings.items():
        (seeds_dir / name).write_bytes(
            seed(f"title: From {name}\nwebUrl: '{url}'\npublishedDateTime: {date}\n")
        )
    report = build_index(seeds_dir, tmp_path / "index")
    assert (report.documents, report.duplicates_merged, report.kinds) == (
        1,
        5,
        {"article": 1, "related": 0},
    )
    assert merged_documents(seeds_dir) == [
        Article(
            key="https://news.example.com/story/1",
            kind="article",
            title="From d.md",
            source="d.md",
            published=datetime(2021, 1, 6),
            url="https://news.example.com/story/1/",
        )
    ]
    stored = stored_documents(tmp_path / "index")
    assert [(d["id"], d["title"]) for d in stored] == [
        (doc_id("https://news.example.com/story/1"), "From d.md")
    ]


@pytest.mark.parametrize(
    ("first", "second", "winner"),
    [
        ("2021-06-01T10:00:00Z", "2021-06-01T09:00:00Z", "a.md"),
        ("2021-06-01T09:00:00Z", "2021-06-01T10:00:00Z", "b.md"),
        # compared in UTC: 10:00+05:00 is 05:00Z, earlier than 06:00Z
        ("2021-06-01T10:00:00+05:00", "2021-06-01T06:00:00Z", "b.md"),
        ("2021-06-01T06:00:00Z", "2021-06-01T10:00:00+05:00", "a.md"),
        ("2020-12-31T23:00:00-02:00", "2021-01-01T00:30:00Z", "a.md"),
    ],
)
def test_later_published_wins_between_files(
    first: str, second: str, winner: str, seeds_dir: Path, tmp_path: Path
) -> None:
    for name, date in (("a.md", first), ("b.md", second)):
        (seeds_dir / name).write_bytes(
            seed(
                f"title: Version {name}\nexcerpt: Text of {name}\n"
                f"webUrl: https://example.com/story?id=7\npublishedDateTime: '{date}'\n"
                f"topics: [Topic {name}]\n"
            )
        )
    documents = merged_documents(seeds_dir)
    assert len(documents) == 1
    assert (documents[0].source, documents[0].title, documents[0].topics) == (
        winner,
        f"Version {winner}",
        (f"Topic {winner}",),
    )
    report = build_index(seeds_dir, tmp_path / "index")
    assert (report.documents, report.duplicates_merged) == (1, 1)


@pytest.mark.parametrize("own_name", ["a-own.md", "z-own.md"])
def test_own_file_beats_related_item(own_name: str, seeds_dir: Path, tmp_path: Path) -> None:
    (seeds_dir / "m-lister.md").write_bytes(
        seed(
            "title: Lister\nwebUrl: https://example.com/lister\n"
            "publishedDateTime: 2020-01-01T00:00:00Z\ntopics: [AI]\n"
            "related:\n"
            "  - title: Related copy (newer)\n"
            "    webUrl: https://example.com/shared/?ref=lister\n"
            "    publishedDateTime: 2023-09-10T00:00:00Z\n"
            "    excerpt: Related excerpt\n"
        )
    )
    (seeds_dir / own_name).write_bytes(
        seed(
            "title: Own file (older)\nwebUrl: https://example.com/shared\n"
            "publishedDateTime: 2019-01-01T00:00:00Z\ntopics: [Robotics]\n"
            "excerpt: Own excerpt\n"
        )
    )
    documents = {d.key: d for d in merged_documents(seeds_dir)}
    assert documents["https://example.com/shared"] == Article(
        key="https://example.com/shared",
        kind="article",
        title="Own file (older)",
        source=own_name,
        excerpt="Own excerpt",
        topics=("Robotics",),
        published=datetime(2019, 1, 1),
        url="https://example.com/shared",
    )
    assert documents["https://example.com/lister"].related == ("https://example.com/shared",)
    assert set(documents) == {"https://example.com/shared", "https://example.com/lister"}
    report = build_index(seeds_dir, tmp_path / "index")
    assert (report.documents, report.duplicates_merged, report.kinds) == (
        2,
        1,
        {"article": 2, "related": 0},
    )


def test_related_items_take_the_topics_of_their_listers(seeds_dir: Path, tmp_path: Path) -> None:
    (seeds_dir / "a.md").write_bytes(
        seed(
            "title: A\nwebUrl: https://example.com/a\ntopics: [AI, Computer Vision]\n"
            "related:\n"
            "  - title: Shared (older copy)\n"
            "    webUrl: https://example.com/shared?utm_source=a\n"
            "    publishedDateTime: 2023-01-01T00:00:00Z\n"
            "  - title: Only A\n"
            "    webUrl: https://example.com/only-a\n"
        )
    )
    (seeds_dir / "b.md").write_bytes(
        seed(
            "title: B\nwebUrl: https://example.com/b\ntopics: [AI in Robotics, ai]\n"
            "related:\n"
            "  - title: Shared (newer copy)\n"
            "    webUrl: https://example.com/shared/\n"
            "    publishedDateTime: 2023-02-01T00:00:00Z\n"
            "    provider: {name: Wire, domain: wire.example}\n"
        )
    )
    (seeds_dir / "c.md").write_bytes(
        seed("title: C\nwebUrl: https://example.com/c\ntopics: [AI in Finance]\n")
    )
    documents = {d.key: d for d in merged_documents(seeds_dir)}
    assert set(documents) == {
        "https://example.com/a",
        "https://example.com/b",
        "https://example.com/c",
        "https://example.com/shared",
        "https://example.com/only-a",
    }
    shared = documents["https://example.com/shared"]
    # the union of both listers' topics, "AI" and "ai" being one topic
    assert sorted(shared.topics, key=str.casefold) == ["AI", "AI in Robotics", "Computer Vision"]
    assert replace(shared, topics=()) == Article(
        key="https://example.com/shared",
        kind="related",
        title="Shared (newer copy)",
        source="b.md",
        provider_name="Wire",
        provider_domain="wire.example",
        published=datetime(2023, 2, 1),
        url="https://example.com/shared/",
    )
    assert documents["https://example.com/only-a"] == Article(
        key="https://example.com/only-a",
        kind="related",
        title="Only A",
        source="a.md",
        topics=("AI", "Computer Vision"),
        url="https://example.com/only-a",
    )
    assert documents["https://example.com/a"].related == (
        "https://example.com/shared",
        "https://example.com/only-a",
    )
    report = build_index(seeds_dir, tmp_path / "index")
    # records: 3 articles + 3 related items; documents: 3 articles + 2 related
    assert (report.documents, report.duplicates_merged, report.kinds) == (
        5,
        1,
        {"article": 3, "related": 2},
    )
    stored = {d["key"]: d for d in stored_documents(tmp_path / "index")}
    assert set(stored["https://example.com/shared"]["topics"]) == set(shared.topics)
    assert stored["https://example.com/a"]["related"] == [
        doc_id("https://example.com/shared"),
        doc_id("https://example.com/only-a"),
    ]


# --- The real corpus ----------------------------------------------------------------

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

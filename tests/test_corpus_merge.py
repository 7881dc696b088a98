"""How records merge (DESIGN.md 2.6, 2.7): URL spellings are one document, the later
published wins, an own file beats a related item, related items take their listers' topics."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from build_support import fm as seed
from build_support import merged_documents, stored_documents

from search.identity import doc_id
from search.local.store.build import build_index
from search.model import Article


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

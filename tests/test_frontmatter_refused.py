"""Seed files that must be refused (DESIGN.md 2.2 to 2.4), each with exactly its reason;
YAML tags never run code, and a billion laughs is fast and small."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest
import yaml
from build_support import MIB, fm
from frontmatter_support import BAD, LAUGHS, MARKER, article, parse

from search.errors import SeedError
from search.ingest.frontmatter import parse_seed_bytes
from search.model import ParsedFile


@pytest.mark.parametrize(("name", "raw", "reason"), BAD, ids=[case[0] for case in BAD])
def test_bad_file_is_refused_with_its_reason(
    name: str, raw: bytes, reason: str, tmp_path: Path
) -> None:
    marker = tmp_path / "exploited"
    raw = raw.replace(MARKER, str(marker).encode())
    with pytest.raises(SeedError) as caught:
        parse_seed_bytes(raw, f"_news/{name}.md")
    assert (caught.value.path, caught.value.reason) == (f"_news/{name}.md", reason)
    assert not marker.exists(), "a YAML tag ran code"


@pytest.mark.parametrize("tag", ["object/apply", "object/new"])
def test_exploit_payloads_are_live(tag: str, tmp_path: Path) -> None:
    """Control: the payloads above do run code under an unsafe loader, so the
    marker checks of the other tests mean something."""
    marker = tmp_path / "exploited"
    yaml.unsafe_load(f'x: !!python/{tag}:os.system ["touch {marker}"]\n')
    assert marker.exists()


def test_yaml_error_reason_names_the_problem() -> None:
    with pytest.raises(SeedError) as caught:
        parse(fm('title: "unclosed\n'))
    reason = caught.value.reason
    assert reason.startswith("front matter is not valid YAML: ")
    assert len(reason) > len("front matter is not valid YAML: ")  # libyaml's message follows
    assert "\n" not in reason  # one line in the report


def test_billion_laughs_is_fast_and_small() -> None:
    raw = fm(
        LAUGHS
        + "title: Laughs\ntopics: *l8\nexcerpt: *l8\nprovider: *l8\nimages: *l8\n"
        + "related: *l8\nwebUrl: *l8\npublishedDateTime: *l8\ncategory: *l8\nquality: *l8\n"
    )
    tracemalloc.start()
    started = time.monotonic()
    try:
        result: ParsedFile | SeedError = parse(raw)
    except SeedError as exc:
        result = exc
    elapsed = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 2.0
    assert peak < 50 * MIB
    # Leniency (DESIGN.md 2.3): the title is fine, every other value is unusable
    assert isinstance(result, ParsedFile)
    assert result.article == article(title="Laughs")
    assert result.related == []
    assert result.warnings == [
        "x.md: webUrl is a list; dropped",
        "x.md: provider is a list; dropped",
        "x.md: excerpt is a list; dropped",
        *["x.md: topics has a list item; dropped"] * 9,
        "x.md: publishedDateTime list is not an ISO 8601 date; dropped",
        "x.md: images has no http(s) image URL; dropped",
        "x.md: category is a list; dropped",
        "x.md: quality is not an integer; dropped",
        *[f"x.md: related[{n}] is not a mapping; ignored" for n in range(9)],
    ]

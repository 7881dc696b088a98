"""Recency in ranking (issue 16 item 4): `recency=<half-life>` multiplies each relevance
score by 0.5 ** (age / half-life), age from the newest matching document; off by
default; bad values are a 400 naming the parameter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_contract import app_client, check_error, ok_json

from search.date_math import duration_minutes
from search.local.store.build import build_index
from search.params import RECENCY_DEFAULT, search_request

# (name, date, how often the word "solar" appears): older documents match more strongly.
DOCUMENTS = [
    ("oldest", "2020-01-01T00:00:00Z", 4),
    ("older", "2023-01-01T00:00:00Z", 3),
    ("newest", "2024-01-01T00:00:00Z", 1),
    ("undated", None, 2),
]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    folder = tmp_path_factory.mktemp("recency")
    seeds = folder / "seeds"
    seeds.mkdir()
    for name, published, times in DOCUMENTS:
        dated = f'publishedDateTime: "{published}"\n' if published else ""
        excerpt = " ".join(["solar panels"] * times + ["and other news"] * (5 - times))
        (seeds / f"{name}.md").write_text(
            f'---\ntitle: "Report {name}"\nexcerpt: "{excerpt}"\n{dated}---\n', encoding="utf-8"
        )
    build_index(seeds, folder / "index", progress=False)
    with app_client(folder / "index") as http:
        yield http


def _ranked(client: httpx.Client, **params: str) -> list[tuple[str, float]]:
    body = ok_json(client.get("/api/search", params={"q": "solar", "mode": "keyword", **params}))
    return [(hit["title"].removeprefix("Report "), hit["score"]) for hit in body["hits"]]


def test_recency_is_off_by_default_and_off_is_plain_relevance(client: httpx.Client) -> None:
    assert RECENCY_DEFAULT == "off"
    plain = _ranked(client)
    assert [name for name, _ in plain] == ["oldest", "older", "undated", "newest"]
    assert _ranked(client, recency="off") == plain


@pytest.mark.parametrize(
    ("half_life", "order"),
    [
        ("1000w", ["older", "oldest", "undated", "newest"]),  # 19 years: a year is 4%
        ("156w", ["older", "newest", "oldest", "undated"]),
        ("52w", ["newest", "older", "oldest", "undated"]),
        ("4w", ["newest", "older", "oldest", "undated"]),  # the last two tie at 0: newest first
    ],
)
def test_scores_decay_by_half_lives_from_the_newest_match(
    client: httpx.Client, half_life: str, order: list[str]
) -> None:
    plain = dict(_ranked(client))
    minutes = duration_minutes(half_life)
    ages = {  # minutes before the newest document; undated count as the oldest
        "newest": 0,
        "older": 365 * 24 * 60,
        "oldest": (365 * 4 + 1) * 24 * 60,
        "undated": (365 * 4 + 1) * 24 * 60,
    }
    decayed = _ranked(client, recency=half_life)
    assert [name for name, _ in decayed] == order
    for name, score in decayed:
        expected = plain[name] * 0.5 ** (ages[name] / minutes)
        assert score == pytest.approx(expected, abs=1e-4)  # scores are given to 4 places


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("30", "recency must be off or a half-life: the unit must be one of h, d, w "),
        ("1y", "recency must be off or a half-life: the unit must be one of h, d, w "),
        ("0d", "recency must be off or a half-life: the amount must be a whole number from 1 "),
        ("on", "recency must be off or a half-life: a duration is <N><unit>, such as 30d"),
    ],
)
def test_bad_recency_is_a_400_naming_it(client: httpx.Client, value: str, message: str) -> None:
    response = client.get("/api/search", params={"recency": value})
    assert check_error(response, 400, "bad_parameter", "recency")["message"].startswith(message)


def test_recency_is_parsed_to_minutes() -> None:
    assert [search_request("x", recency=v).recency for v in ("12h", "30d", "2w", "off", "")] == [
        720,
        43_200,
        20_160,
        None,
        None,
    ]


def test_sorting_by_date_ignores_recency(client: httpx.Client) -> None:
    assert _ranked(client, sort="newest", recency="4w")[0][0] == "newest"
    assert _ranked(client, sort="oldest", recency="4w")[0][0] == "oldest"


def test_cli_takes_recency(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from search.cli import cli

    done = CliRunner().invoke(cli, ["query", "x", "--recency", "5y", "--index", str(tmp_path)])
    assert done.exit_code == 2 and "--recency" in done.output

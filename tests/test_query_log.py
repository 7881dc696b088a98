"""The query log (issue 16 item 5): a real server's searches written beside the index
and read back, off when told, rotation and age bounds held, and `search stats
--queries` on a known log compared whole, as tables and as JSON."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from http_support import clean_environment, rebuild_index, running_server, search_command

from search import query_log as query_log_module
from search.cli import cli
from search.query_log import CURRENT, QueryLog, default_folder, read_entries

WriteSeed = Callable[..., Path]
SEEDS = {
    "robots.md": 'title: "Robots at work"\ntopics: [AI]\npublishedDateTime: "2024-01-02"\n',
    "chips.md": 'title: "Chip exports"\ntopics: [Trade]\npublishedDateTime: "2024-02-03"\n',
}


@pytest.fixture
def small_index(write_seed: WriteSeed, seeds_dir: Path, tmp_path: Path) -> Path:
    for name, front_matter in SEEDS.items():
        write_seed(name, front_matter)
    index = tmp_path / "index"
    rebuild_index(seeds_dir, index)
    return index


def _without_timing(entry: dict[str, Any]) -> dict[str, Any]:
    """Return a logged search without what varies from run to run (checked apart)."""
    assert entry["ts"].endswith("Z") and isinstance(entry["took_ms"], float)
    assert entry["generation"].startswith("g-")
    return {k: v for k, v in entry.items() if k not in ("ts", "took_ms", "generation")}


def _logged(source: str, q: str, total: int, cached: bool, **changes: Any) -> dict[str, Any]:
    page = source == "page"
    return {
        "source": source,
        "q": q,
        "filters": {},
        "from": None,
        "to": None,
        "sort": "relevance" if q else "newest",
        "match": "most",
        "mode": "keyword",
        "group": page,  # the page groups coverage by story by default
        "like": None,
        "recency": None,
        "page": 1,
        "per_page": 10,
        "total": total,
        "cached": cached,
        **changes,
    }


def test_a_real_server_logs_page_and_api_searches_beside_the_index(
    small_index: Path, tmp_path: Path
) -> None:
    with running_server(small_index, tmp_path / "server.log") as server, server.client() as http:
        for target in (
            "/api/search?q=robots",
            "/api/search?q=robots",  # the same again: answered from the cache
            "/?q=chip&topic=Trade",
            "/api/search?q=zebra",
            "/?q=zebra",  # a zero-hit page: its probes for alternatives are not logged
            "/api/search?from=now-7d&per_page=5",
            "/feed.atom?q=robots",  # a feed reader's poll: not logged
            "/api/search?sort=bogus",  # refused: no search ran
        ):
            assert http.get(target).status_code in (200, 400), target
    entries = list(read_entries(default_folder(small_index)))
    assert [_without_timing(e) for e in entries] == [
        _logged("api", "robots", 1, cached=False),
        _logged("api", "robots", 1, cached=True),
        _logged("page", "chip", 1, cached=False, filters={"topic": ["Trade"]}),
        _logged("api", "zebra", 0, cached=False),
        _logged("page", "zebra", 0, cached=False),
        _logged("api", "", 0, cached=False, per_page=5, **{"from": "now-7d"}),
    ]
    generation = (small_index / "CURRENT").read_text().split()[0]  # the served generation
    assert {e["generation"] for e in entries} == {generation}
    text = json.dumps(entries)
    assert "127.0.0.1" not in text and "user-agent" not in text.lower()


def test_no_query_log_flag_and_environment_write_nothing(small_index: Path, tmp_path: Path) -> None:
    chosen = tmp_path / "elsewhere"
    with (
        running_server(
            small_index,
            tmp_path / "a.log",
            options=["--no-query-log", "--query-log-dir", str(chosen)],
        ) as server,
        server.client() as http,
    ):
        assert http.get("/api/search?q=robots").status_code == 200
    with (
        running_server(small_index, tmp_path / "b.log", env={"SEARCH_QUERY_LOG": "off"}) as server,
        server.client() as http,
    ):
        assert http.get("/api/search?q=robots").status_code == 200
    assert not chosen.exists() and not default_folder(small_index).exists()


def _entry(n: int) -> dict[str, Any]:
    return {"q": f"query number {n:04d}", "total": n % 3}


def test_rotation_keeps_at_most_the_files_and_bytes_asked_for(tmp_path: Path) -> None:
    log = QueryLog(tmp_path, files=3, file_bytes=1_000)
    for n in range(200):
        log.record(_entry(n))
        if n % 7 == 0:  # batches of several lines, as the writer thread makes them
            log.flush()
    log.flush()
    files = sorted(tmp_path.iterdir())
    assert len(files) == 3
    assert all(path.stat().st_size <= 1_000 for path in files)
    kept = [e["q"] for e in read_entries(tmp_path)]
    # The newest searches, in order, with none lost between the files kept.
    assert kept == [_entry(n)["q"] for n in range(200 - len(kept), 200)]
    assert len(kept) > 2 * 1_000 // 90  # the two full rotated files hold ~11 lines each


def test_files_past_the_age_cap_are_deleted_and_a_new_day_starts_a_file(tmp_path: Path) -> None:
    old, recent = tmp_path / "queries-20240101T000000000000-1.jsonl", tmp_path / CURRENT
    yesterday = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    old.write_text(json.dumps({"ts": "2024-01-01T00:00:00.000Z", "q": "old"}) + "\n")
    recent.write_text(json.dumps({"ts": yesterday, "q": "yesterday"}) + "\n")
    month_ago = time.time() - 31 * 24 * 3600
    os.utime(old, (month_ago, month_ago))
    log = QueryLog(tmp_path, max_age=timedelta(days=30)).start()
    try:
        assert not old.exists()  # deleted when the log starts
        log.record({"q": "today"})
        log.flush()
    finally:
        log.close()
    rotated = sorted(tmp_path.glob("queries-*.jsonl"))
    assert [e["q"] for e in read_entries(tmp_path)] == ["yesterday", "today"]
    assert [json.loads(line)["q"] for line in rotated[0].read_text().splitlines()] == ["yesterday"]
    assert [json.loads(line)["q"] for line in recent.read_text().splitlines()] == ["today"]


def test_recording_never_blocks_when_the_writer_falls_behind(tmp_path: Path) -> None:
    log = QueryLog(tmp_path)
    for n in range(query_log_module.MAX_PENDING + 5):
        log.record(_entry(n))
    assert log.dropped == 5
    assert log.flush() == query_log_module.MAX_PENDING


# --- search stats --queries on a known log ------------------------------------------------


def _known_log(folder: Path) -> datetime:
    """Write a log of known searches (the last 7 days, and two older); return its now."""
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)

    def at(hours: float) -> str:
        return (now - timedelta(hours=hours)).isoformat(timespec="milliseconds") + "Z"

    rows = [
        (240, "robots", 5, 1.0),  # ten days ago: outside --since 7d
        (200, "zebra", 0, 900.0),
        (50, "Robots", 4, 2.0),
        (40, "robots ", 4, 3.5),
        (30, "zebra crossing", 0, 12.0),
        (20, "chip exports", 2, 40.25),
        (10, "zebra  crossing", 0, 8.0),
        (5, "", 100, 1.5),
    ]
    folder.mkdir()
    with (folder / CURRENT).open("w", encoding="utf-8") as out:
        for hours, q, total, took in rows:
            entry = {"ts": at(hours), "source": "api", "q": q, "total": total, "took_ms": took}
            out.write(json.dumps(entry) + "\n")
    with (folder / CURRENT).open("a", encoding="utf-8") as out:
        out.write('{"ts": "cut sho')  # a write cut short: skipped
    return now


def test_stats_queries_table_and_json_on_a_known_log(tmp_path: Path) -> None:
    folder = tmp_path / "log"
    now = _known_log(folder)

    def at(hours: float) -> str:
        return (now - timedelta(hours=hours)).isoformat(timespec="milliseconds") + "Z"

    runner = CliRunner()
    args = ["stats", "--queries", "--since", "7d", "--limit", "2", "--query-log-dir", str(folder)]
    table = runner.invoke(cli, args)
    assert table.exit_code == 0, table.output
    assert table.output == "\n".join(
        [
            f"6 searches, 4 distinct queries, over the past 7d ({at(50)} to {at(5)})",
            "",
            "Top queries:",
            "  query           searches  results",
            "  Robots                 2  4",
            "  zebra crossing         2  0",
            "",
            "Zero-result queries:",
            "  query           searches  last",
            f"  zebra crossing         2  {at(10)}",
            "",
            "Slowest queries:",
            "  query                 ms  at",
            f"  chip exports        40.2  {at(20)}",
            f"  zebra crossing      12.0  {at(30)}",
            "",
        ]
    )
    as_json = runner.invoke(cli, [*args, "--json"])
    assert json.loads(as_json.output) == {
        "since": "7d",
        "searches": 6,
        "queries": 4,
        "first_at": at(50),
        "last_at": at(5),
        "top": [
            _count("Robots", 2, 0, 4, 3.5, at(40), at(40)),
            _count("zebra crossing", 2, 2, 0, 12.0, at(30), at(10)),
        ],
        "zero_results": [_count("zebra crossing", 2, 2, 0, 12.0, at(30), at(10))],
        "slowest": [
            _count("chip exports", 1, 0, 2, 40.25, at(20), at(20)),
            _count("zebra crossing", 2, 2, 0, 12.0, at(30), at(10)),
        ],
    }
    everything = json.loads(
        runner.invoke(cli, [*args[:3], "all", "--query-log-dir", str(folder), "--json"]).output
    )
    assert (everything["searches"], everything["slowest"][0]["query"]) == (8, "zebra")


def _count(
    query: str, searches: int, zero: int, results: int, ms: float, slow_at: str, last: str
) -> dict[str, Any]:
    return {
        "query": query,
        "searches": searches,
        "zero_results": zero,
        "results": results,
        "slowest_ms": ms,
        "slowest_at": slow_at,
        "last_at": last,
    }


def test_stats_queries_refuses_a_bad_period_and_a_missing_log(tmp_path: Path) -> None:
    runner = CliRunner()
    folder = tmp_path / "log"
    folder.mkdir()
    bad = runner.invoke(
        cli, ["stats", "--queries", "--since", "7M", "--query-log-dir", str(folder)]
    )
    assert bad.exit_code == 2 and "--since" in bad.output and "365d for a year" in bad.output
    missing = runner.invoke(cli, ["stats", "--queries", "--index", str(tmp_path / "none")])
    assert missing.exit_code == 1
    assert f"no query log in {tmp_path / 'none-queries'}" in missing.output


def test_stats_queries_runs_as_a_command(tmp_path: Path) -> None:
    folder = tmp_path / "log"
    _known_log(folder)
    done = subprocess.run(
        [*search_command(), "stats", "--queries", "--limit", "1", "--json"],
        capture_output=True,
        text=True,
        env=clean_environment({"SEARCH_QUERY_LOG_DIR": str(folder)}),
        check=True,
    )
    assert json.loads(done.stdout)["top"][0]["query"] == "Robots"


def test_a_line_is_what_the_standard_encoder_writes(tmp_path: Path) -> None:
    entry = {
        "source": "api",
        "q": 'café 東京 😀 "quoted" back\\slash \x00\x01\x1f\x7f \t\n \u2028\u2029',
        "filters": {"topic": ("AI", "Trade")},
        "from": "now-7d",
        "to": None,
        "page": 3,
        "took_ms": 0.001,
        "total": 125_691,
        "cached": False,
        **{f"took_{n}": round(value, 3) for n, value in enumerate([12.3456, 1e-3, 99999.5])},
    }
    log = QueryLog(tmp_path, flush_seconds=3600).start()
    log.record(entry)
    log.close()
    line = (tmp_path / CURRENT).read_text(encoding="utf-8")
    written = json.loads(line)
    stamp = {"ts": written["ts"]}
    assert line == json.dumps({**stamp, **entry}, ensure_ascii=False, separators=(",", ":")) + "\n"

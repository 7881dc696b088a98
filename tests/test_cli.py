"""The command line (DESIGN.md 6): rebuild-index and stats, their output and exit codes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from search.cli import cli
from search.local import LocalBackend
from search.local.store import generations
from search.local.store.build import build_index
from search.model import IndexReport
from search.params import search_request

WriteSeed = Callable[..., Path]
ROOT = Path(__file__).resolve().parent.parent
REPORT_KEYS = {f.name for f in fields(IndexReport)}
STATS_KEYS = {
    "generation",
    "built_at",
    "documents",
    "kinds",
    "schema_version",
    "stemmer",
    "seeds",
    "incremental",
    "size_bytes",
    "path",
}


@pytest.fixture(autouse=True)
def no_search_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep SEARCH_SEEDS / SEARCH_INDEX of the outer shell out of every test."""
    monkeypatch.delenv("SEARCH_SEEDS", raising=False)
    monkeypatch.delenv("SEARCH_INDEX", raising=False)


@pytest.fixture
def seeds(write_seed: WriteSeed, seeds_dir: Path) -> Path:
    """Return seeds giving 3 documents (2 articles, 1 related), 1 warning and 1 skipped file."""
    write_seed(
        "a.md",
        'title: "Alpha"\nwebUrl: "https://example.com/a"\ntopics: AI\n'
        'related:\n  - {title: "Alpha coverage", webUrl: "https://other.example/a"}\n',
    )
    write_seed("b.md", 'title: "Beta"\npublishedDateTime: "not a date"\n')
    write_seed("bad.md", raw=b"plain text, no front matter\n")
    return seeds_dir


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


def run(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    """Run the CLI in-process and return the result (stdout and stderr kept apart)."""
    return CliRunner().invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)


def search_script() -> list[str]:
    """Return the command that runs the installed console script."""
    script = Path(sys.executable).parent / "search"
    return [str(script)] if script.exists() else [sys.executable, "-m", "search"]


# --- rebuild-index -----------------------------------------------------------------------


def test_rebuild_json_is_exactly_the_report(seeds: Path, index_dir: Path) -> None:
    result = run("rebuild-index", "--seeds", seeds, "--index", index_dir, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)

    assert set(report) == REPORT_KEYS
    current = generations.current_generation(index_dir)
    assert current is not None
    assert report["generation"] == current.name
    assert report["documents"] == 3
    assert report["kinds"] == {"article": 2, "related": 1}
    assert report["files_read"] == 3
    assert report["files_skipped"] == [
        {"path": "bad.md", "reason": "no front matter: the first line is not '---'"}
    ]
    assert [set(s) for s in report["files_skipped"]] == [{"path", "reason"}]
    assert len(report["warnings"]) == 1
    assert report["warnings"][0].startswith("b.md: ")
    assert report["duplicates_merged"] == 0
    assert isinstance(report["duration_s"], float)
    assert report["incremental"] is False
    assert (report["added"], report["updated"], report["deleted"]) == (3, 0, 0)
    assert report["notes"] == []


def test_rebuild_json_incremental(seeds: Path, index_dir: Path) -> None:
    run("rebuild-index", "--seeds", seeds, "--index", index_dir)
    (seeds / "c.md").write_text('---\ntitle: "Gamma"\n---\n', encoding="utf-8")
    result = run("rebuild-index", "--seeds", seeds, "--index", index_dir, "--incremental", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) == REPORT_KEYS
    assert report["incremental"] is True
    assert (report["added"], report["updated"], report["deleted"]) == (1, 0, 0)
    assert report["files_read"] == 2  # c.md and the skipped bad.md
    assert report["documents"] == 4


def test_rebuild_human_output(seeds: Path, index_dir: Path) -> None:
    result = run("rebuild-index", "--seeds", seeds, "--index", index_dir)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    generation = generations.current_generation(index_dir)
    assert generation is not None
    assert re.fullmatch(rf"generation {generation.name} \(full build\) in \d+\.\d\d s", lines[0]), (
        lines[0]
    )
    assert lines[1:] == [
        "documents: 3 (2 article, 1 related)",
        "files read: 3; skipped: 1; duplicates merged: 0; warnings: 1",
        "skipped bad.md: no front matter: the first line is not '---'",
        lines[4],
    ]
    assert lines[4].startswith("warning b.md: ")
    assert result.stderr == ""


def test_rebuild_human_output_incremental(seeds: Path, index_dir: Path) -> None:
    first = run("rebuild-index", "--seeds", seeds, "--index", index_dir, "--incremental")
    assert first.exit_code == 0
    assert "(full build)" in first.stdout
    assert "note: no current generation to update; built in full" in first.stdout.splitlines()

    (seeds / "b.md").unlink()
    second = run("rebuild-index", "--seeds", seeds, "--index", index_dir, "--incremental")
    assert second.exit_code == 0
    assert "(incremental build)" in second.stdout.splitlines()[0]
    assert "changes: 0 added, 0 updated, 1 deleted" in second.stdout.splitlines()
    assert not any(line.startswith("note:") for line in second.stdout.splitlines())


def test_rebuild_many_warnings_are_capped(write_seed: WriteSeed, seeds_dir: Path) -> None:
    for number in range(60):
        write_seed(f"w{number:02d}.md", f'title: "W{number}"\npublishedDateTime: "bad"\n')
    result = run("rebuild-index", "--seeds", seeds_dir, "--index", seeds_dir.parent / "index")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert sum(line.startswith("warning ") for line in lines) == 50
    assert lines[-1] == "... and 10 more warnings (see --json)"


def test_strict_with_a_skipped_file_exits_1(seeds: Path, index_dir: Path) -> None:
    run("rebuild-index", "--seeds", seeds, "--index", index_dir)
    before = (index_dir / "CURRENT").read_bytes()

    result = run("rebuild-index", "--seeds", seeds, "--index", index_dir, "--strict")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: --strict: 1 seed file(s) skipped")
    assert "bad.md" in result.stderr

    as_json = run("rebuild-index", "--seeds", seeds, "--index", index_dir, "--strict", "--json")
    assert as_json.exit_code == 1
    error = json.loads(as_json.stdout)
    assert set(error) == {"error"}
    assert error["error"]["code"] == "build_failed"
    assert "--strict" in error["error"]["message"]
    assert (index_dir / "CURRENT").read_bytes() == before


def test_strict_with_clean_seeds_exits_0(seeds: Path, index_dir: Path) -> None:
    (seeds / "bad.md").unlink()
    result = run("rebuild-index", "--seeds", seeds, "--index", index_dir, "--strict")
    assert result.exit_code == 0, result.output


def test_busy_index_exits_1(seeds: Path, index_dir: Path) -> None:
    with generations.rebuild_lock(index_dir):
        result = run("rebuild-index", "--seeds", seeds, "--index", index_dir)
        as_json = run("rebuild-index", "--seeds", seeds, "--index", index_dir, "--json")
    assert result.exit_code == 1
    assert f"another rebuild-index (pid {os.getpid()})" in result.stderr
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["error"]["code"] == "index_busy"
    assert generations.current_generation(index_dir) is None


def test_missing_seeds_folder_exits_2(tmp_path: Path, index_dir: Path) -> None:
    result = run("rebuild-index", "--seeds", tmp_path / "nowhere", "--index", index_dir)
    assert result.exit_code == 2
    assert "nowhere" in result.stderr
    assert "does not exist" in result.stderr
    assert not index_dir.exists()


def test_seeds_that_is_a_file_exits_2(tmp_path: Path, index_dir: Path) -> None:
    (tmp_path / "file.md").write_text("---\ntitle: x\n---\n", encoding="utf-8")
    result = run("rebuild-index", "--seeds", tmp_path / "file.md", "--index", index_dir)
    assert result.exit_code == 2


@pytest.mark.parametrize(
    "args",
    [["rebuild-index", "--bogus"], ["stats", "--bogus"], ["no-such-command"]],
    ids=["rebuild-index", "stats", "command"],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert "Usage:" in result.stderr


def test_environment_variables_are_honoured(
    seeds: Path, index_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./seeds here: the defaults would fail
    env = {"SEARCH_SEEDS": str(seeds), "SEARCH_INDEX": str(index_dir)}
    result = run("rebuild-index", "--json", env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["documents"] == 3
    assert generations.current_generation(index_dir) is not None

    stats = run("stats", "--json", env={"SEARCH_INDEX": str(index_dir)})
    assert stats.exit_code == 0
    assert json.loads(stats.stdout)["documents"] == 3

    # an explicit option beats the environment
    other = tmp_path / "other-index"
    result = run("rebuild-index", "--index", other, env=env)
    assert result.exit_code == 0
    assert generations.current_generation(other) is not None


def test_environment_seeds_folder_that_is_missing_exits_2(tmp_path: Path) -> None:
    result = run("rebuild-index", env={"SEARCH_SEEDS": str(tmp_path / "gone")})
    assert result.exit_code == 2
    assert "gone" in result.stderr


def test_defaults_are_seeds_and_index_in_the_working_folder(
    seeds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert seeds.name == "seeds"
    monkeypatch.chdir(seeds.parent)
    result = run("rebuild-index")
    assert result.exit_code == 0, result.output
    assert generations.current_generation(seeds.parent / "index") is not None
    assert run("stats").exit_code == 0


# --- stats -------------------------------------------------------------------------------


def test_stats_after_a_build(seeds: Path, index_dir: Path) -> None:
    report = build_index(seeds, index_dir, progress=False)
    current = index_dir / report.generation

    as_json = run("stats", "--index", index_dir, "--json")
    assert as_json.exit_code == 0
    stats = json.loads(as_json.stdout)
    assert set(stats) == STATS_KEYS
    assert stats["generation"] == report.generation
    assert stats["documents"] == 3
    assert stats["kinds"] == {"article": 2, "related": 1}
    assert stats["incremental"] is False
    assert stats["path"] == str(current)
    assert stats["size_bytes"] == sum(p.stat().st_size for p in current.iterdir() if p.is_file())
    assert stats["size_bytes"] > 0

    human = run("stats", "--index", index_dir)
    assert human.exit_code == 0
    lines = human.stdout.splitlines()
    assert f"generation: {report.generation}" in lines
    assert "documents: 3" in lines
    assert f"path: {current}" in lines
    assert any(line.startswith("built_at: ") for line in lines)


@pytest.mark.parametrize("state", ["no-folder", "empty-folder", "garbage-pointer"])
def test_stats_without_an_index_exits_1(tmp_path: Path, state: str) -> None:
    index_dir = tmp_path / "index"
    if state != "no-folder":
        index_dir.mkdir()
    if state == "garbage-pointer":
        (index_dir / "CURRENT").write_text("../../etc\n", encoding="utf-8")
    for extra in ([], ["--json"]):
        result = run("stats", "--index", index_dir, *extra)
        assert result.exit_code == 1
        assert "run `search rebuild-index`" in result.stderr
        assert str(index_dir) in result.stderr
        assert result.stdout == ""


# --- real processes ----------------------------------------------------------------------


def test_python_m_search_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "search", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: search ")
    for command in ("rebuild-index", "stats"):
        assert command in done.stdout


def test_console_script_in_a_real_process(seeds: Path, index_dir: Path, tmp_path: Path) -> None:
    env = {**os.environ, "SEARCH_SEEDS": str(seeds), "SEARCH_INDEX": str(index_dir)}
    done = subprocess.run(
        [*search_script(), "rebuild-index", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert set(report) == REPORT_KEYS
    assert report["documents"] == 3
    assert done.stderr == ""  # no progress bar when output is not a terminal

    stats = subprocess.run(
        [*search_script(), "stats", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["generation"] == report["generation"]

    strict = subprocess.run(
        [*search_script(), "rebuild-index", "--strict"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert strict.returncode == 1
    assert "Error: --strict" in strict.stderr


# --- query -------------------------------------------------------------------------------


@pytest.fixture
def story_index(write_seed: WriteSeed, seeds_dir: Path, index_dir: Path) -> Path:
    """Return an index of 3 documents: two outlets covering one story, and another."""
    for name, title, outlet, day in (
        ("a.md", "Home Office seeks facial recognition technology for police", "Alpha", 1),
        ("b.md", "Home Office seeks new facial recognition technology for police", "Beta", 2),
        ("c.md", "Chip export rules tighten again", "Gamma", 3),
    ):
        write_seed(
            name,
            f'title: "{title}"\npublishedDateTime: 2024-03-0{day}T10:00:00Z\n'
            f"webUrl: https://{outlet}.example/{day}\nprovider: {outlet}\n",
        )
    assert run("rebuild-index", "--seeds", seeds_dir, "--index", index_dir).exit_code == 0
    return index_dir


def without_took(body: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in body.items() if k != "took_ms"}


def test_query_json_is_the_api_body(story_index: Path) -> None:
    done = run("query", "facial", "--index", story_index, "--group", "story", "--json")
    assert done.exit_code == 0, done.stderr
    engine = LocalBackend.open(story_index)
    try:
        expected = engine.search(search_request("facial", group="story")).as_json()
    finally:
        engine.close()
    body = json.loads(done.stdout)
    assert without_took(body) == without_took(expected)
    assert (body["total"], body["group"]) == (1, {"by": "story", "documents": 2})


def test_query_human_output_groups_and_likes(story_index: Path) -> None:
    grouped = run("query", "facial", "--index", story_index, "--group", "story")
    assert grouped.exit_code == 0, grouped.stderr
    lines = grouped.stdout.splitlines()
    assert lines[0].startswith("1 story (2 documents) (")
    assert lines[1].startswith("  1. Home Office seeks")
    assert "     + 1 more from other outlets" in lines
    hits = json.loads(run("query", "--index", story_index, "--json").stdout)["hits"]
    alpha = next(hit["id"] for hit in hits if hit["provider"]["name"] == "Alpha")
    like = run("query", "--like", alpha, "--index", story_index)
    assert like.exit_code == 0, like.stderr
    head, _, words = like.stdout.splitlines()[0].partition(": ")
    assert head == f"like {alpha}"
    # the title words the other documents share ("new" and "chip" are in one document only)
    assert set(words.split(" OR ")) == {
        "home", "office", "seeks", "facial", "recognition", "technology", "police"
    }  # fmt: skip
    assert like.stdout.splitlines()[1].startswith("1 result (")
    assert like.stdout.splitlines()[2] == (
        "  1. Home Office seeks new facial recognition technology for police"
    )
    unknown = run("query", "--like", "0123456789abcdef", "--index", story_index)
    assert unknown.exit_code == 0
    assert unknown.stdout.splitlines()[0] == "like 0123456789abcdef: (nothing to search for)"
    assert unknown.stdout.splitlines()[1].startswith("0 results (")


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["x", "--like", "0123456789abcdef"], "--like"),
        (["--like", "../etc"], "--like"),
        (["--group", "outlet"], "--group"),
    ],
)
def test_query_bad_options_exit_2(story_index: Path, args: list[str], hint: str) -> None:
    done = run("query", "--index", story_index, *args)
    assert done.exit_code == 2
    assert hint in done.stderr

"""benchmarks/generator.py: a generated corpus is the same for the same seed, and dated
up to the end it is given (`make demo-large` ends it now, so the date presets find
articles)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.generator import END, CorpusGenerator, write_corpus

ROOT = Path(__file__).resolve().parent.parent


def _records(folder: Path) -> list[dict[str, object]]:
    """Return the front matter of every seed file under `folder`, in file order."""
    found = []
    for path in sorted(folder.rglob("*.md")):
        lines = path.read_text(encoding="utf-8").splitlines()[1:-1]
        found.append({k: json.loads(v) for k, v in (line.split(": ", 1) for line in lines)})
    return found


def _published(record: dict[str, object]) -> datetime:
    return datetime.strptime(str(record["publishedDateTime"]), "%Y-%m-%dT%H:%M:%SZ")


def test_an_end_moves_the_dates_only(tmp_path: Path) -> None:
    end = datetime(2026, 12, 6, 12, 0)
    write_corpus(tmp_path / "a", 60, seed=3, end=end)
    write_corpus(tmp_path / "b", 60, seed=3, end=end)
    write_corpus(tmp_path / "fixed", 60, seed=3)
    ended, again, fixed = (_records(tmp_path / name) for name in ("a", "b", "fixed"))
    assert ended == again  # the same seed and end: the same files
    assert len(ended) == 60
    assert all(datetime(2015, 1, 1) <= _published(r) <= end for r in ended)
    assert max(_published(r) for r in fixed) <= END

    def undated(records: list[dict[str, object]]) -> list[tuple[object, ...]]:
        return [(r["title"], r["excerpt"], r["provider"], r["topics"]) for r in records]

    assert undated(ended) == undated(fixed)  # everything but the dates as before
    assert CorpusGenerator(3).date() != CorpusGenerator(3, end=end).date()


def test_the_corpus_command_dates_articles_up_to_now(tmp_path: Path) -> None:
    before = datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0)
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "corpus", "--count", "200", "--until-now", "out"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("wrote 200 generated seed files to out, up to ")
    records = _records(tmp_path / "out")
    assert len(records) == 200
    latest = max(_published(r) for r in records)
    assert latest <= datetime.now(UTC).replace(tzinfo=None)
    assert (before - latest).days < 365  # the newest articles are recent, not of 2026's end

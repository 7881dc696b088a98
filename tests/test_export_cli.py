"""`search export`: the bytes of GET /api/export, to standard output or to a file that
is replaced only when the export is whole; usage errors (exit 2) and a missing index
(exit 1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_contract import BuiltIndex
from click.testing import CliRunner

from search.cli import cli
from search.errors import ExportInterrupted
from search.export import write_file


def test_cli_export_writes_what_the_api_sends(
    corpus_app: httpx.Client, served_index: BuiltIndex, tmp_path: Path
) -> None:
    runner = CliRunner()
    where = served_index.cli_args()
    for export_format in ("csv", "jsonl"):
        out = tmp_path / f"out.{export_format}"
        arguments = ["export", "ai", "--topic", "AI", "--sort", "newest", "--format"]
        done = runner.invoke(
            cli,
            [*arguments, export_format, *where, "--output", str(out)],
        )
        assert done.exit_code == 0, done.output
        params = {"q": "ai", "topic": "AI", "sort": "newest", "format": export_format}
        assert out.read_bytes() == corpus_app.get("/api/export", params=params).content
        assert not list(tmp_path.glob("*.part"))
    printed = runner.invoke(cli, ["export", *where, "--format", "jsonl"])
    assert printed.exit_code == 0, printed.output
    assert printed.stdout_bytes == corpus_app.get("/api/export?format=jsonl").content
    bad = runner.invoke(cli, ["export", *where, "--from", "2023-13-01"])
    assert bad.exit_code == 2 and "--from" in bad.output
    missing = runner.invoke(cli, ["export", "--index", str(tmp_path / "none")])
    assert missing.exit_code == 1 and "rebuild-index" in missing.output


def test_a_failed_export_leaves_the_previous_file(tmp_path: Path) -> None:
    out = tmp_path / "export.csv"
    out.write_bytes(b"the previous export\n")

    def failing() -> Iterator[bytes]:
        yield b"id\r\n"
        raise ExportInterrupted("g-1", "g-2", 0)

    with pytest.raises(ExportInterrupted, match="run it again"):
        write_file(out, failing())
    assert out.read_bytes() == b"the previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.csv"]
    write_file(out, iter([b"id\r\n", b"1\r\n"]))
    assert out.read_bytes() == b"id\r\n1\r\n"

"""The operator's commands: `rebuild-index`, `stats` and `verify`."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from search.backend import build_index, verify_index
from search.cli.options import (
    INDEX_OPTION,
    QUERY_LOG_DIR_OPTION,
    SEEDS_OPTION,
    backend_options,
    no_index,
    opened_backend,
    query_insights,
    settings_of,
)
from search.errors import IndexMissing, SearchError
from search.model import IndexReport
from search.query_log import default_folder
from search.query_stats import format_stats


@click.command("rebuild-index")
@SEEDS_OPTION
@INDEX_OPTION
@click.option("--incremental", is_flag=True, help="Re-read only new, changed and deleted files.")
@click.option(
    "--strict", is_flag=True, help="Fail (exit 1, publish nothing) if any file is skipped."
)
@click.option(
    "--synonyms",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="SEARCH_SYNONYMS",
    help="Synonyms file the index keeps (default: the built-in news list).",
)
@click.option(
    "--embeddings/--no-embeddings",
    default=False,
    envvar="SEARCH_EMBEDDINGS",
    help="Embed documents for semantic and hybrid search (needs the semantic extra).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@backend_options
def rebuild_index(
    seeds: Path,
    index_dir: Path,
    incremental: bool,
    strict: bool,
    synonyms: Path | None,
    embeddings: bool,
    as_json: bool,
    backend: str,
    opensearch_url: str | None,
    opensearch_index: str,
) -> None:
    """Build a new index generation from the seed files and switch to it atomically."""
    settings = settings_of(index_dir, backend, opensearch_url, opensearch_index)
    try:
        report = build_index(
            seeds,
            index_dir,
            incremental=incremental,
            strict=strict,
            progress=None,
            synonyms=synonyms,
            embeddings=embeddings,
            settings=settings,
        )
    except SearchError as exc:
        if as_json:
            click.echo(json.dumps({"error": {"code": exc.code, "message": str(exc)}}))
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(asdict(report), indent=2, ensure_ascii=False))
    else:
        click.echo(format_report(report))


def format_report(report: IndexReport) -> str:
    """Return the human-readable rebuild report."""
    kinds = ", ".join(f"{count} {kind}" for kind, count in report.kinds.items())
    mode = "incremental" if report.incremental else "full"
    lines = [
        f"generation {report.generation} ({mode} build) in {report.duration_s:.2f} s",
        f"documents: {report.documents} ({kinds})",
        f"files read: {report.files_read}; skipped: {len(report.files_skipped)}; "
        f"duplicates merged: {report.duplicates_merged}; warnings: {len(report.warnings)}",
    ]
    if report.incremental:
        lines.append(
            f"changes: {report.added} added, {report.updated} updated, {report.deleted} deleted"
        )
    lines += [f"note: {note}" for note in report.notes]
    lines += [f"skipped {s.path}: {s.reason}" for s in report.files_skipped]
    shown = report.warnings[:50]
    lines += [f"warning {w}" for w in shown]
    if len(report.warnings) > len(shown):
        lines.append(f"... and {len(report.warnings) - len(shown)} more warnings (see --json)")
    return "\n".join(lines)


@click.command()
@INDEX_OPTION
@click.option("--queries", is_flag=True, help="Query insights from the query log instead.")
@click.option("--since", default="7d", show_default=True, help="With --queries: 12h, 7d, 4w, all.")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 1000))
@QUERY_LOG_DIR_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
@backend_options
def stats(
    index_dir: Path,
    queries: bool,
    since: str,
    limit: int,
    query_log_dir: Path | None,
    as_json: bool,
    backend: str,
    opensearch_url: str | None,
    opensearch_index: str,
) -> None:
    """Show the current generation: documents by kind, when it was built, its size; or
    with --queries, the top, zero-result and slowest queries of the query log."""
    if queries:
        insights = query_insights(query_log_dir or default_folder(index_dir), since, limit)
        click.echo(json.dumps(insights.as_json(), indent=2) if as_json else format_stats(insights))
        return
    with opened_backend(index_dir, backend, opensearch_url, opensearch_index) as engine:
        meta = engine.stats()
    if as_json:
        click.echo(json.dumps(meta, indent=2))
        return
    for name, value in meta.items():
        click.echo(f"{name}: {value}")


@click.command()
@INDEX_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def verify(index_dir: Path, as_json: bool) -> None:
    """Check every file of the current and previous generations against the checksums
    their builds recorded (exit 1 if the current one is damaged)."""
    try:
        found = verify_index(index_dir)
    except IndexMissing:
        raise no_index(index_dir) from None
    current = next(iter(found))
    if as_json:
        click.echo(json.dumps({"current": current, "generations": found}, indent=2))
    else:
        for name, problems in found.items():
            role = "current" if name == current else "previous"
            if problems is None:
                click.echo(f"{name} ({role}): built without checksums, cannot be checked")
            elif not problems:
                click.echo(f"{name} ({role}): every file matches its checksum")
            else:
                click.echo(f"{name} ({role}): DAMAGED")
                for problem in problems:
                    click.echo(f"  {problem}")
    if found[current]:
        raise SystemExit(1)

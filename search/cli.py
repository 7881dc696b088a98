"""The command line: a thin shell around the library (`search --help`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from search import __version__
from search.backend import build_index, open_backend, verify_index
from search.config import BACKENDS, DEFAULT_INDEX, DEFAULT_SEEDS, HTTP_STACKS, Settings
from search.errors import BadQuery, IndexMissing, SearchError
from search.export import ExportPlan, write_file
from search.facets import FILTER_PARAMS, KEYWORD_FACETS
from search.feed_params import EXPORT_FORMATS
from search.model import IndexReport
from search.params import search_request
from search.query_log import default_folder
from search.query_stats import QueryStats, format_stats, insights
from search.request import MATCHES, MODES, SORTS, SearchRequest
from search.results import SearchResult

SEEDS_OPTION = click.option(
    "--seeds",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=DEFAULT_SEEDS,
    envvar="SEARCH_SEEDS",
    show_default=True,
    help="Folder of seed files (env SEARCH_SEEDS).",
)
INDEX_OPTION = click.option(
    "--index",
    "index_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_INDEX,
    envvar="SEARCH_INDEX",
    show_default=True,
    help="Index folder (env SEARCH_INDEX).",
)


def backend_options(command: Callable[..., None]) -> Callable[..., None]:
    """Add --backend, --opensearch-url and --opensearch-index (each with its env var)."""
    command = click.option(
        "--opensearch-index",
        envvar="SEARCH_OPENSEARCH_INDEX",
        default="news",
        show_default=True,
        help="OpenSearch alias searched and moved by builds (env SEARCH_OPENSEARCH_INDEX).",
    )(command)
    command = click.option(
        "--opensearch-url",
        envvar="SEARCH_OPENSEARCH_URL",
        metavar="URL",
        help="OpenSearch address(es), comma-separated (env SEARCH_OPENSEARCH_URL); "
        "credentials only in SEARCH_OPENSEARCH_USER / SEARCH_OPENSEARCH_PASSWORD.",
    )(command)
    return click.option(
        "--backend",
        type=click.Choice(BACKENDS),
        envvar="SEARCH_BACKEND",
        default="local",
        show_default=True,
        help="local: Whoosh generations in --index; opensearch: a cluster (env SEARCH_BACKEND).",
    )(command)


def _settings(index_dir: Path, backend: str, url: str | None, alias: str) -> Settings:
    """Return the settings of a command's backend options; credentials in the URL are
    refused (command lines are visible to every user of the machine, and in logs)."""
    if url and "@" in url.split("//", 1)[-1].split("/", 1)[0]:
        raise click.UsageError(
            "--opensearch-url must not carry credentials: set SEARCH_OPENSEARCH_USER and "
            "SEARCH_OPENSEARCH_PASSWORD instead"
        )
    if backend == "opensearch" and not url:
        raise click.UsageError(
            "--backend opensearch needs --opensearch-url (or SEARCH_OPENSEARCH_URL)"
        )
    return Settings(
        index_dir=index_dir, backend=backend, opensearch_url=url, opensearch_index=alias
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="search")
def cli() -> None:
    """Full-text search for news archives: build the index, query it, serve it."""


@cli.command("rebuild-index")
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
    settings = _settings(index_dir, backend, opensearch_url, opensearch_index)
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


def date_options(command: Callable[..., None]) -> Callable[..., None]:
    """Add --from and --to: a date, or relative to now as the API takes them."""
    said = "YYYY-MM-DD, now or now-<N><h|d|w|M|y> (now-7d: the past week)"
    command = click.option(
        "--to", "date_to", metavar="DATE", help=f"Published on or before: {said}."
    )(command)
    return click.option(
        "--from", "date_from", metavar="DATE", help=f"Published on or after: {said}."
    )(command)


def facet_options(command: Callable[..., None]) -> Callable[..., None]:
    """Add a repeatable --NAME option for every keyword facet of the registry."""
    for facet in reversed(KEYWORD_FACETS):
        command = click.option(
            f"--{facet.name}",
            f"facet_{facet.name}",
            multiple=True,
            help=f"Only this {facet.name} (repeatable: any of).",
        )(command)
    return command


def _request(facet_values: dict[str, tuple[str, ...]], *values: str | None) -> SearchRequest:
    """Return the SearchRequest of a command's options (the keyword facets' values from
    facet_options, the rest as search_request takes them); a bad one is a usage error
    naming its option."""
    filters = {name.removeprefix("facet_"): v for name, v in facet_values.items()}
    text, *rest = values
    try:
        return search_request(text, filters, *rest)
    except BadQuery as exc:
        hint = "TEXT" if exc.param in (None, "q") else f"--{exc.param.replace('_', '-')}"
        raise click.BadParameter(str(exc), param_hint=hint) from None


def query_insights(folder: Path, since: str, limit: int) -> QueryStats:
    """Return the insights of the query log in `folder` (search.query_stats.insights); a
    bad --since is a usage error naming it, a missing log a failure saying where."""
    if not folder.is_dir():
        raise click.ClickException(f"no query log in {folder}: is `search serve` logging there?")
    try:
        return insights(folder, since, limit)
    except BadQuery as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None


def _no_index(index_dir: Path) -> click.ClickException:
    """Return the error every command gives when there is no index yet."""
    return click.ClickException(
        f"no search index in {index_dir}: run `search rebuild-index` to build one"
    )


@cli.command()
@click.argument("text", default="", required=False)
@INDEX_OPTION
@facet_options
@date_options
@click.option("--sort", type=click.Choice(SORTS), help="Default: relevance, or newest for no TEXT.")
@click.option("--page", default="1", show_default=True)
@click.option("--per-page", default="10", show_default=True)
@click.option("--group", type=click.Choice(["story", "none"]), help="story: one hit per story.")
@click.option("--like", metavar="ID", help="Documents like this one (instead of TEXT).")
@click.option("--match", type=click.Choice(MATCHES), help="all, most (default) or any word.")
@click.option("--mode", type=click.Choice(MODES), help="keyword, hybrid or semantic.")
@click.option(
    "--recency", metavar="HALF-LIFE", help="Favour newer documents: 30d, 2w, 12h, or off."
)
@click.option("--json", "as_json", is_flag=True, help="Print the /api/search JSON body.")
@backend_options
def query(
    text: str,
    index_dir: Path,
    date_from: str | None,
    date_to: str | None,
    sort: str | None,
    page: str,
    per_page: str,
    group: str | None,
    like: str | None,
    match: str | None,
    mode: str | None,
    recency: str | None,
    as_json: bool,
    backend: str,
    opensearch_url: str | None,
    opensearch_index: str,
    **facet_values: tuple[str, ...],
) -> None:
    """Search the index (an empty TEXT browses everything, newest first)."""
    request = _request(
        facet_values,
        text,
        date_from,
        date_to,
        sort,
        page,
        per_page,
        group,
        like,
        match,
        mode,
        recency,
    )
    engine = open_backend(_settings(index_dir, backend, opensearch_url, opensearch_index))
    try:
        result = engine.search(request)
    except IndexMissing:
        raise _no_index(index_dir) from None
    except SearchError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.close()
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
        return
    if like:
        click.echo(f"like {like}: {result.query or '(nothing to search for)'}")
    click.echo(format_result(result))


def format_result(result: SearchResult) -> str:
    """Return a search result as readable text."""
    first = (result.page - 1) * result.per_page + 1
    if result.documents is None:
        counted = "result" if result.total == 1 else "results"
    else:
        counted = "story" if result.total == 1 else "stories"
        counted += f" ({result.documents} document{'' if result.documents == 1 else 's'})"
    lines = [f"{result.total} {counted} ({result.took_ms:.1f} ms), sorted by {result.sort}"]
    if result.suggestion:
        lines.append(f"did you mean: {result.suggestion}")
    for number, hit in enumerate(result.hits, start=first):
        when = (hit.published or "undated")[:10]
        source = hit.provider.name or hit.provider.domain or "unknown source"
        lines.append(f"{number:>3}. {hit.title}")
        lines.append(f"     {source} · {when} · {', '.join(hit.topics)}")
        if hit.url:
            lines.append(f"     {hit.url}")
        if hit.story and hit.story.more_count:
            lines.append(f"     + {hit.story.more_count} more from other outlets")
    for name in [*FILTER_PARAMS, "year"]:
        values = result.facets.get(name, [])[:8]
        if values:
            shown = ", ".join(f"{v.value} ({v.count}){'*' if v.selected else ''}" for v in values)
            lines.append(f"{name}: {shown}")
    return "\n".join(lines)


@cli.command("export")
@click.argument("text", default="", required=False)
@INDEX_OPTION
@facet_options
@date_options
@click.option("--sort", type=click.Choice(SORTS), help="Default: relevance, or newest for no TEXT.")
@click.option("--group", type=click.Choice(["story", "none"]), help="story: one row per story.")
@click.option("--like", metavar="ID", help="Documents like this one (instead of TEXT).")
@click.option("--match", type=click.Choice(MATCHES), help="all, most (default) or any word.")
@click.option("--mode", type=click.Choice(MODES), help="keyword, hybrid or semantic.")
@click.option(
    "--recency", metavar="HALF-LIFE", help="Favour newer documents: 30d, 2w, 12h, or off."
)
@click.option("--format", "export_format", type=click.Choice(EXPORT_FORMATS), default="csv")
@click.option(
    "--output", type=click.Path(dir_okay=False, path_type=Path), help="File (default: stdout)."
)
@backend_options
def export_command(
    text: str,
    index_dir: Path,
    date_from: str | None,
    date_to: str | None,
    sort: str | None,
    group: str | None,
    like: str | None,
    match: str | None,
    mode: str | None,
    recency: str | None,
    export_format: str,
    output: Path | None,
    backend: str,
    opensearch_url: str | None,
    opensearch_index: str,
    **facet_values: tuple[str, ...],
) -> None:
    """Write every document the search matches (up to 10,000) as CSV or JSON lines."""
    request = _request(
        facet_values, text, date_from, date_to, sort, None, None, group, like, match, mode, recency
    )
    engine = open_backend(_settings(index_dir, backend, opensearch_url, opensearch_index))
    try:
        plan = ExportPlan.start(engine.search, request)
        chunks = plan.chunks(engine.search, export_format)
        if output:
            write_file(output, chunks)
        else:
            sys.stdout.buffer.writelines(chunks)
    except IndexMissing:
        raise _no_index(index_dir) from None
    except SearchError as exc:  # a timeout, or a new generation midway (search.export)
        raise click.ClickException(str(exc)) from None
    finally:
        engine.close()
    if plan.truncated:
        click.echo(f"cut at {plan.limit:,} rows of {plan.first.total:,}", err=True)


QUERY_LOG_DIR_OPTION = click.option(
    "--query-log-dir",
    "query_log_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    envvar="SEARCH_QUERY_LOG_DIR",
    help="Where the query log is (default: beside the index, INDEX-queries).",
)


@cli.command()
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
    engine = open_backend(_settings(index_dir, backend, opensearch_url, opensearch_index))
    try:
        meta = engine.stats()
    except IndexMissing:
        raise _no_index(index_dir) from None
    except SearchError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.close()
    if as_json:
        click.echo(json.dumps(meta, indent=2))
        return
    for name, value in meta.items():
        click.echo(f"{name}: {value}")


@cli.command()
@INDEX_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def verify(index_dir: Path, as_json: bool) -> None:
    """Check every file of the current and previous generations against the checksums
    their builds recorded (exit 1 if the current one is damaged)."""
    try:
        found = verify_index(index_dir)
    except IndexMissing:
        raise _no_index(index_dir) from None
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


@cli.command()
@INDEX_OPTION
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Interface (loopback by default)."
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes; they share the index read-only.",
)
@click.option(
    "--cors-origin",
    "cors",
    multiple=True,
    help="Allow this origin to call the API from a browser (repeatable; off by default).",
)
@backend_options
@click.option(
    "--notice",
    default="",
    help="A line the page shows above everything, such as that the data is generated.",
)
@click.option(
    "--query-log/--no-query-log",
    default=None,
    help="Record searches for `search stats --queries` (default: on; SEARCH_QUERY_LOG=0: off).",
)
@QUERY_LOG_DIR_OPTION
@click.option(
    "--http",
    "stack",
    type=click.Choice(HTTP_STACKS),
    default=HTTP_STACKS[0],
    show_default=True,
    help="HTTP stack: httptools on uvloop, or pure-Python h11 on asyncio (same limits).",
)
def serve(
    index_dir: Path,
    host: str,
    port: int,
    workers: int,
    cors: tuple[str, ...],
    backend: str,
    opensearch_url: str | None,
    opensearch_index: str,
    notice: str,
    query_log: bool | None,
    query_log_dir: Path | None,
    stack: str,
) -> None:
    """Serve the search page and the JSON API with uvicorn."""
    import os

    import uvicorn

    from search.web.listen import listening_socket
    from search.web.stack import server_options

    # Workers build their own app from the environment (uvicorn's factory mode).
    os.environ["SEARCH_INDEX"] = str(index_dir.resolve())
    # One BLAS thread per worker: a query's embedding is a few small matrix products,
    # where a second thread only waits for a core (10x slower on a busy 2-core machine:
    # docs/BENCHMARKS.md). Set before NumPy loads, which the core never imports.
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    if cors:
        os.environ["SEARCH_CORS_ORIGINS"] = ",".join(cors)
    if notice:
        os.environ["SEARCH_NOTICE"] = notice
    if query_log is not None:
        os.environ["SEARCH_QUERY_LOG"] = "1" if query_log else "0"
    if query_log_dir is not None:
        os.environ["SEARCH_QUERY_LOG_DIR"] = str(query_log_dir.resolve())
    settings = _settings(index_dir, backend, opensearch_url, opensearch_index)
    os.environ["SEARCH_BACKEND"] = backend
    os.environ["SEARCH_OPENSEARCH_INDEX"] = opensearch_index
    if opensearch_url:
        os.environ["SEARCH_OPENSEARCH_URL"] = opensearch_url
    try:
        engine = open_backend(settings)
    except SearchError as exc:
        raise click.ClickException(str(exc)) from None
    missing = engine.generation() is None
    engine.close()
    if missing:
        place = f"alias {opensearch_index} on OpenSearch" if backend == "opensearch" else index_dir
        click.echo(f"no index in {place} yet (or it cannot be reached): serving 503 until then")
    where: dict[str, Any] = {"host": host, "port": port}
    if workers > 1:  # uvicorn's own socket for a pool lacks TCP_NODELAY (search.web.listen)
        try:
            sock = listening_socket(host, port)
        except OSError as exc:
            reason = str(exc.strerror or exc).lower()  # "address already in use", ...
            click.echo(f"cannot listen on {host}:{port}: {reason}", err=True)
            raise SystemExit(1) from exc
        where = {"fd": sock.fileno()}
        click.echo(f"listening on http://{host}:{sock.getsockname()[1]} with {workers} workers")
    uvicorn.run(
        "search.web.app:create_app",
        factory=True,
        workers=workers,
        access_log=True,
        server_header=False,
        **server_options(stack),
        **where,
    )


def main() -> None:
    """Run the CLI (the `search` console script and `python -m search`)."""
    cli(prog_name="search")


if __name__ == "__main__":  # pragma: no cover
    main()

"""The reader's commands: `query` and `export`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from search.cli.options import (
    INDEX_OPTION,
    backend_options,
    date_options,
    facet_options,
    opened_backend,
    request_of,
)
from search.export import ExportPlan, write_file
from search.facets import FILTER_PARAMS
from search.feed_params import EXPORT_FORMATS
from search.request import MATCHES, MODES, SORTS
from search.results import SearchResult


@click.command()
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
    request = request_of(
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
    with opened_backend(index_dir, backend, opensearch_url, opensearch_index) as engine:
        result = engine.search(request)
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


@click.command("export")
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
    request = request_of(
        facet_values, text, date_from, date_to, sort, None, None, group, like, match, mode, recency
    )
    # a timeout, or a new generation midway (search.export), fails the export in one line
    with opened_backend(index_dir, backend, opensearch_url, opensearch_index) as engine:
        plan = ExportPlan.start(engine.search, request)
        chunks = plan.chunks(engine.search, export_format)
        if output:
            write_file(output, chunks)
        else:
            sys.stdout.buffer.writelines(chunks)
    if plan.truncated:
        click.echo(f"cut at {plan.limit:,} rows of {plan.first.total:,}", err=True)

"""What the commands share: their options, and turning options into requests and settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from search.backend import Backend, open_backend
from search.config import BACKENDS, DEFAULT_INDEX, DEFAULT_SEEDS, Settings
from search.errors import BadQuery, IndexMissing, SearchError
from search.facets import KEYWORD_FACETS
from search.params import search_request
from search.query_stats import QueryStats, insights
from search.request import SearchRequest

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


def settings_of(index_dir: Path, backend: str, url: str | None, alias: str) -> Settings:
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


def request_of(facet_values: dict[str, tuple[str, ...]], *values: str | None) -> SearchRequest:
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


def no_index(index_dir: Path) -> click.ClickException:
    """Return the error every command gives when there is no index yet."""
    return click.ClickException(
        f"no search index in {index_dir}: run `search rebuild-index` to build one"
    )


QUERY_LOG_DIR_OPTION = click.option(
    "--query-log-dir",
    "query_log_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    envvar="SEARCH_QUERY_LOG_DIR",
    help="Where the query log is (default: beside the index, INDEX-queries).",
)


@contextmanager
def opened_backend(index_dir: Path, backend: str, url: str | None, alias: str) -> Iterator[Backend]:
    """Yield the backend a command's options name, closing it after; a missing index or
    a failed search (a timeout, a new generation midway) becomes a one-line failure."""
    try:
        engine = open_backend(settings_of(index_dir, backend, url, alias))
        try:
            yield engine
        finally:
            engine.close()
    except IndexMissing:
        raise no_index(index_dir) from None
    except SearchError as exc:
        raise click.ClickException(str(exc)) from None

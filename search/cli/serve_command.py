"""`search serve`: the page and the JSON API under uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from search.backend import open_backend
from search.cli.options import INDEX_OPTION, QUERY_LOG_DIR_OPTION, backend_options, settings_of
from search.config import HTTP_STACKS
from search.errors import SearchError


@click.command()
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
    settings = settings_of(index_dir, backend, opensearch_url, opensearch_index)
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

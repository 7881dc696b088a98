"""The command line: a thin shell around the library (`search --help`).

Each module holds a family of commands (`index_commands`: building and checking the
index; `search_commands`: querying it; `serve_command`: serving it); `options` holds
what they share. This module gathers them into the `search` group.
"""

from __future__ import annotations

import click

from search import __version__
from search.cli.index_commands import rebuild_index, stats, verify
from search.cli.search_commands import export_command, query
from search.cli.serve_command import serve


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="search")
def cli() -> None:
    """Full-text search for news archives: build the index, query it, serve it."""


for command in (rebuild_index, query, export_command, stats, verify, serve):
    cli.add_command(command)


def main() -> None:
    """Run the CLI (the `search` console script and `python -m search`)."""
    cli(prog_name="search")

"""`python -m benchmarks`: the benchmark command."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import click

from benchmarks.build import bench_build, format_build
from benchmarks.generator import END, write_corpus
from benchmarks.httpbench import bench_http, format_http
from benchmarks.judgments import default_corpus
from benchmarks.measure import machine, workdir
from benchmarks.recencybench import bench_recency, format_recency
from benchmarks.relevance import SPLIT_NAMES, evaluate, format_relevance, format_tuning, tune
from benchmarks.search_report import format_search
from benchmarks.searchbench import LOGS, bench_search
from search.config import HTTP_STACKS


@click.group()
def bench() -> None:
    """Benchmarks against textbook Whoosh (and SQLite FTS5); prints tables, writes JSON."""


@bench.command()
@click.option("--sizes", default="10000", show_default=True, help="Comma-separated corpus sizes.")
@click.option("--repeats", default=1, show_default=True, help="Runs per variant (median).")
@click.option("--workdir", "folder", default=None, help="Where corpora and indexes go.")
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None)
def build(sizes: str, repeats: int, folder: str | None, json_path: Path | None) -> None:
    """Index build: documents per second and peak memory, ours against textbook."""
    rows = bench_build(workdir(folder), [int(s) for s in sizes.split(",")], repeats)
    click.echo(f"machine: {machine()}")
    click.echo(format_build(rows))
    if json_path:
        json_path.write_text(json.dumps({"machine": machine(), "build": rows}, indent=2))


@bench.command("search")
@click.option("--size", default=10000, show_default=True, help="Corpus size.")
@click.option("--queries", default=1000, show_default=True, help="Queries replayed per log.")
@click.option(
    "--textbook-queries",
    type=int,
    default=None,
    help="Run textbook Whoosh on only this many (it is slow at 100,000).",
)
@click.option(
    "--log",
    "logs",
    type=click.Choice(list(LOGS)),
    multiple=True,
    help="Query log (repeatable): realistic (rare and mid-frequency words drawn from the "
    "corpus) or current (the Zipf log). Default: both.",
)
@click.option(
    "--memory/--no-memory",
    default=True,
    show_default=True,
    help="Also measure each engine's memory in a fresh interpreter.",
)
@click.option("--workdir", "folder", default=None, help="Where corpora and indexes go.")
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None)
def search_command(
    size: int,
    queries: int,
    textbook_queries: int | None,
    logs: tuple[str, ...],
    memory: bool,
    folder: str | None,
    json_path: Path | None,
) -> None:
    """Search latency: ours against tantivy, SQLite FTS5 and textbook Whoosh, per log and
    per match-count bucket, with the same facets and every word required."""
    load = os.getloadavg()
    result = bench_search(workdir(folder), size, queries, textbook_queries, logs or LOGS, memory)
    result["load_average"] = {"start": load, "end": os.getloadavg()}
    click.echo(f"machine: {machine()}")
    click.echo(f"load average (1, 5, 15 min): start {load}, end {result['load_average']['end']}")
    click.echo(format_search(result))
    if json_path:
        json_path.write_text(json.dumps({"machine": machine(), "search": result}, indent=2))


@bench.command("http")
@click.option("--size", default=10000, show_default=True, help="Corpus size.")
@click.option("--seconds", default=10, show_default=True, help="Load duration per endpoint.")
@click.option("--workers", default=1, show_default=True, help="uvicorn worker processes.")
@click.option("--queries", default=1000, show_default=True, help="Logged queries replayed.")
@click.option("--workdir", "folder", default=None, help="Where corpora and indexes go.")
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None)
@click.option("--http", "stack", type=click.Choice(HTTP_STACKS), default=HTTP_STACKS[0])
@click.option(
    "--index",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="An index of the --size corpus already built (default: build one in --workdir).",
)
def http_command(
    size: int,
    seconds: int,
    workers: int,
    queries: int,
    folder: str | None,
    json_path: Path | None,
    stack: str,
    index: Path | None,
) -> None:
    """HTTP: req/s and latency at 8 connections, cached and uncached, against a no-op."""
    result = bench_http(workdir(folder), size, seconds, queries, workers, stack, index)
    click.echo(f"machine: {machine()}")
    click.echo(format_http(result))
    if json_path:
        json_path.write_text(json.dumps({"machine": machine(), "http": result}, indent=2))


@bench.command("corpus")
@click.option("--count", default=20_000, show_default=True, help="Seed files to write.")
@click.option("--seed", default=42, show_default=True, help="The generator's seed.")
@click.option("--until-now", is_flag=True, help="Date them up to now (default: 2015 to 2026).")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def corpus_command(count: int, seed: int, until_now: bool, folder: Path) -> None:
    """Write a generated corpus of seed files (`make demo-large` serves one)."""
    end = datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0) if until_now else END
    write_corpus(folder, count, seed=seed, end=end)
    click.echo(f"wrote {count:,} generated seed files to {folder}, up to {end:%Y-%m-%d %H:%M}")


@bench.command("relevance")
@click.option("--corpus", type=click.Path(path_type=Path), default=None, help="Real corpus.")
@click.option(
    "--split",
    "splits",
    type=click.Choice(list(SPLIT_NAMES)),
    multiple=True,
    help="Halves to print (repeatable; all = every query). Default: heldout and all.",
)
@click.option(
    "--embeddings/--no-embeddings",
    default=True,
    show_default=True,
    help="Build our index with document vectors (for hybrid and semantic), if it can.",
)
@click.option("--tune", "tuning", is_flag=True, help="Also search the ranking knobs (slow).")
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None)
def relevance_command(
    corpus: Path | None,
    splits: tuple[str, ...],
    embeddings: bool,
    tuning: bool,
    json_path: Path | None,
) -> None:
    """Relevance per query type: nDCG@10, recall@10, coverage@10, MRR of ours (match and
    mode settings), SQLite FTS5 (AND, OR, best per type) and textbook Whoosh."""
    seeds = corpus or default_corpus()
    result = evaluate(seeds, embeddings=embeddings)
    chosen = [SPLIT_NAMES[s] for s in splits or ("heldout", "all")]
    click.echo(f"machine: {machine()}")
    click.echo(format_relevance(result, chosen), nl=False)
    if tuning:
        result["tuning"] = tune(seeds)
        click.echo(format_tuning(result["tuning"]))
    if json_path:
        json_path.write_text(json.dumps({"relevance": result}, indent=2))


@bench.command("recency")
@click.option("--corpus", type=click.Path(path_type=Path), default=None, help="Real corpus.")
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None)
def recency_command(corpus: Path | None, json_path: Path | None) -> None:
    """Recency in ranking: ours with recency off and at several half-lives, per split."""
    result = bench_recency(corpus or default_corpus())
    click.echo(f"machine: {machine()}")
    click.echo(format_recency(result), nl=False)
    if json_path:
        json_path.write_text(json.dumps({"recency": result}, indent=2))


bench()

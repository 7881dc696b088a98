"""`search serve`, `search query` and `search stats` on the OpenSearch backend, as users run
them: real processes, settings from the command line or the environment, the same page,
API and feed as the local backend gives for the same corpus."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from http_support import clean_environment, running_server, search_command

if TYPE_CHECKING:
    from api_contract import BuiltIndex

QUERIES = ["q=facial+recognition", "q=google&topic=AI", "q=ai&sort=newest&page=2", ""]


def test_the_server_answers_as_the_local_one(
    corpus_index: BuiltIndex, opensearch_corpus: BuiltIndex, tmp_path: Path
) -> None:
    env = {
        "SEARCH_BACKEND": "opensearch",
        "SEARCH_OPENSEARCH_URL": str(opensearch_corpus.opensearch),
        "SEARCH_OPENSEARCH_INDEX": "corpus",
    }
    with (
        running_server(corpus_index.folder, tmp_path / "local.log") as local,
        running_server(tmp_path / "unused", tmp_path / "remote.log", workers=2, env=env) as remote,
        local.client() as mine,
        remote.client() as theirs,
    ):
        health = theirs.get("/healthz").json()
        assert (health["status"], health["generation"]) == ("ok", opensearch_corpus.generation)
        for query in QUERIES:
            a, b = (
                mine.get(f"/api/search?{query}").json(),
                theirs.get(f"/api/search?{query}").json(),
            )
            assert (b["total"], b["facets"], b["timeline"]) == (
                a["total"],
                a["facets"],
                a["timeline"],
            )
            # The page groups by story unless told not to: it shows the grouped answer's hits.
            grouped = theirs.get(f"/api/search?{query}&group=story").json()
            page = theirs.get(f"/?{query}")
            assert page.status_code == 200
            assert all(hit["id"] in page.text for hit in grouped["hits"])
        feed = theirs.get("/feed.atom?q=google")
        assert feed.status_code == 200 and feed.text.count("<entry>") == mine.get(
            "/feed.atom?q=google"
        ).text.count("<entry>")
    assert "Traceback" not in (tmp_path / "remote.log").read_text(errors="replace")


def test_query_and_stats_commands(corpus_index: BuiltIndex, opensearch_corpus: BuiltIndex) -> None:
    options = ["--backend", "opensearch", "--opensearch-url", str(opensearch_corpus.opensearch)]
    options += ["--opensearch-index", "corpus"]

    def run(*arguments: str) -> dict[str, object]:
        done = subprocess.run(
            [*search_command(), *arguments, "--json"],
            capture_output=True,
            env=clean_environment(),
            timeout=120,
            check=True,
        )
        return dict(json.loads(done.stdout))

    local = run("query", "facial recognition", "--index", str(corpus_index.folder))
    remote = run("query", "facial recognition", *options)
    assert (remote["total"], remote["facets"]) == (local["total"], local["facets"])
    stats = run("stats", *options)
    assert (stats["backend"], stats["generation"], stats["documents"]) == (
        "opensearch",
        opensearch_corpus.generation,
        opensearch_corpus.documents,
    )


SECRET = "https://admin:secret@127.0.0.1:9"  # noqa: S105 - a made-up one, refused


def test_credentials_never_go_on_the_command_line() -> None:
    done = subprocess.run(
        [*search_command(), "query", "x", "--backend", "opensearch", "--opensearch-url", SECRET],
        capture_output=True,
        env=clean_environment(),
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert b"SEARCH_OPENSEARCH_PASSWORD" in done.stderr and b"secret" not in done.stderr

"""Faults an operator will meet: a disk that fills during a build, a server worker killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from http_support import SEARCH_KEYS, running_server
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.generator import write_corpus
from search.local import LocalBackend
from search.local.store.build import build_index
from search.local.store.generations import current_generation
from search.request import SearchRequest

# Run a build whose files may not grow past a limit: RLIMIT_FSIZE makes the write that
# would pass it fail with EFBIG, as a full disk fails with ENOSPC (SIGXFSZ ignored so the
# write fails instead of killing the process). Forked workers inherit the limit.
_LIMITED_BUILD = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[3]), int(sys.argv[3])))
from search.cli import main
sys.argv = ["search", "rebuild-index", "--seeds", sys.argv[1], "--index", sys.argv[2]]
main()
"""


def test_a_build_that_runs_out_of_space_fails_clearly_and_loses_nothing(tmp_path: Path) -> None:
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    write_corpus(seeds / "a", 300, seed=1)
    build_index(seeds, index, progress=False)
    before = current_generation(index)
    assert before is not None
    count = LocalBackend(index).search(SearchRequest()).total
    write_corpus(seeds / "b", 5000, seed=2)  # big enough for the forked writers too
    limited = subprocess.run(
        [sys.executable, "-c", _LIMITED_BUILD, str(seeds), str(index), str(256 * 1024)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert limited.returncode == 1, limited.stderr
    assert "Error: rebuilding the index" in limited.stderr
    assert "File too large" in limited.stderr or "No space left" in limited.stderr
    assert "Traceback" not in limited.stderr
    assert current_generation(index) == before
    assert LocalBackend(index).search(SearchRequest()).total == count
    report = build_index(seeds, index, progress=False)  # no clean-up by hand
    assert report.documents > count
    generations = sorted(p.name for p in index.iterdir() if p.name.startswith("g-"))
    assert generations == sorted([before.name, report.generation])  # the failed one is gone


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Iterator[httpx.Client]:
    """Yield a client of a real server over the shared corpus."""
    folder = tmp_path_factory.mktemp("api")
    build_index(corpus_dir, folder / "index", progress=False)
    with running_server(folder / "index", folder / "server.log") as server, server.client() as http:
        yield http


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


def test_killing_one_server_worker_leaves_the_others_answering(
    tmp_path: Path, corpus_dir: Path
) -> None:
    index = tmp_path / "index"
    build_index(corpus_dir, index, progress=False)
    with running_server(index, tmp_path / "server.log", workers=2) as server:
        deadline = time.monotonic() + 20
        while server.log().count("Application startup complete") < 2:
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.1)
        workers = [
            pid
            for pid in _children(server.process.pid)
            if b"multiprocessing" in Path(f"/proc/{pid}/cmdline").read_bytes()
            and b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        assert len(workers) == 2, workers
        os.kill(workers[0], signal.SIGKILL)
        time.sleep(0.5)
        statuses = []
        for number in range(40):  # a new connection each time: any live worker may take it
            with httpx.Client(base_url=server.base_url, timeout=10) as http:
                statuses.append(http.get("/api/search", params={"q": f"ai {number}"}).status_code)
        assert statuses == [200] * 40


# Any text a client may send: printable and control characters, other scripts, emoji.
_TEXT = st.text(st.characters(codec="utf-8"), max_size=60)  # utf-8: no lone surrogates
_NAMES = st.sampled_from(["q", "topic", "provider", "from", "to", "sort", "page", "per_page"])
_VALUES = st.one_of(
    _TEXT,
    st.integers(-(10**12), 10**12).map(str),
    st.dates().map(str),
    st.sampled_from(["relevance", "newest", "oldest", "*", '"', "(", "title:", "a~", "AND"]),
)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(params=st.lists(st.tuples(_NAMES, _VALUES), max_size=6))
def test_random_parameters_never_cause_a_server_error(
    params: list[tuple[str, str | int | float | bool | None]], api: httpx.Client
) -> None:
    query = httpx.QueryParams(tuple(params))
    response = api.get("/api/search", params=query)
    assert response.status_code in (200, 400, 414), (params, response.text[:300])
    body = response.json()
    if response.status_code == 200:
        assert set(body) - {"matching"} == SEARCH_KEYS
    else:
        assert set(body["error"]) == {"status", "code", "message", "param"}
        assert body["error"]["status"] == response.status_code
    page = api.get("/", params=query)
    assert page.status_code in (200, 400, 414), params
    assert page.headers["content-type"].startswith("text/html")

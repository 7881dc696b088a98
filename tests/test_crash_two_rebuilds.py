"""Crash safety (DESIGN.md 3): a second rebuild is refused at once while the first one
holds the index lock, and the first one then publishes alone."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from crash_support import (
    SEED,
    assert_tidy,
    expected_documents,
    needs_fork_and_proc,
    search_script,
    start,
)
from whoosh import index as whoosh_index

from benchmarks.generator import write_corpus
from search.local.store import generations

pytestmark = needs_fork_and_proc


WAIT_AT_LOCKED = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from search.local.store.build import build_index

    seeds, index, ready, release = map(Path, sys.argv[1:5])

    def checkpoint(reached: str) -> None:
        if reached == "locked":
            ready.write_text("locked", encoding="utf-8")
            deadline = time.monotonic() + 60
            while not release.exists() and time.monotonic() < deadline:
                time.sleep(0.01)

    report = build_index(seeds, index, progress=False, checkpoint=checkpoint)
    print(report.documents, report.generation, flush=True)
    """
)


def test_second_rebuild_is_refused_while_the_first_runs(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    write_corpus(seeds, 200, seed=SEED)
    expected = expected_documents(seeds)
    ready, release = tmp_path / "ready", tmp_path / "release"
    log = tmp_path / "first.log"
    args = [sys.executable, "-c", WAIT_AT_LOCKED]
    first = start([*args, str(seeds), str(index), str(ready), str(release)], log, processes)

    deadline = time.monotonic() + 60
    while not ready.exists():
        assert first.poll() is None, log.read_text(encoding="utf-8", errors="replace")
        assert time.monotonic() < deadline, "the first build never took the lock"
        time.sleep(0.01)

    started = time.monotonic()
    second = subprocess.run(
        [*search_script(), "rebuild-index", "--seeds", str(seeds), "--index", str(index)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert second.returncode == 1, second.stdout + second.stderr
    assert "another rebuild-index" in second.stderr
    assert f"pid {first.pid}" in second.stderr
    assert elapsed < 10  # refused at once, not after waiting for the first build
    assert not (index / "CURRENT").exists()

    release.write_text("go", encoding="utf-8")
    assert first.wait(timeout=120) == 0, log.read_text(encoding="utf-8", errors="replace")
    documents, generation = log.read_text(encoding="utf-8").split()
    assert int(documents) == len(expected)

    current = generations.current_generation(index)
    assert current is not None
    assert current.name == generation
    assert (index / "CURRENT").read_text(encoding="utf-8").split() == [generation]
    ix = whoosh_index.open_dir(str(current))
    try:
        with ix.searcher() as searcher:
            assert {d["id"] for d in searcher.all_stored_fields()} == expected
    finally:
        ix.close()
    assert generations.read_meta(current)["documents"] == len(expected)
    assert_tidy(index, at_most=1)

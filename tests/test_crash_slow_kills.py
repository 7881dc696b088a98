"""Crash safety (DESIGN.md 3), more kill points (slow: --run-slow): incremental builds
killed at each stage, and many builds killed at random moments, in a smaller world."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from crash_support import (
    SEED,
    Snapshot,
    World,
    assert_a_serves,
    assert_no_orphans,
    assert_tidy,
    expected_documents,
    kill_at,
    move_files,
    needs_fork_and_proc,
    search_script,
    snapshot,
    start,
)

from benchmarks.generator import write_corpus
from search.local.store.build import build_index

pytestmark = needs_fork_and_proc


@pytest.fixture
def small_world(tmp_path: Path) -> World:
    """A copy of the crash setting at a smaller size, for the slow extra kills."""
    staging, seeds, index = tmp_path / "staging", tmp_path / "seeds", tmp_path / "index"
    write_corpus(staging, 2_600, seed=SEED + 1)
    seeds.mkdir()
    world = World(tmp_path, staging, seeds, index, Snapshot("", 0, [], ""), "", 0.0)
    move_files(world, 0, 2_400)
    started = time.monotonic()
    report = build_index(seeds, index, progress=False)
    world.build_seconds = time.monotonic() - started
    world.probe_id = sorted(expected_documents(seeds))[0]
    world.a = snapshot(index, world.probe_id)
    assert world.a.generation == report.generation
    return world


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["locked", "parsed", "indexed", "synced"])
def test_kill_incremental_build_at_stage(
    small_world: World, stage: str, processes: list[subprocess.Popen[bytes]]
) -> None:
    move_files(small_world, 2_400, 2_600)
    (small_world.seeds / "0000" / "0000007.md").unlink()
    a_folder = small_world.index / small_world.a.generation
    a_files = {p.name: p.read_bytes() for p in a_folder.iterdir()}

    kill_at(small_world, stage, processes, incremental=True)

    assert_a_serves(small_world)
    # the killed update worked on hard links: A's files are byte for byte as they were
    assert {p.name: p.read_bytes() for p in a_folder.iterdir()} == a_files
    report = build_index(small_world.seeds, small_world.index, incremental=True, progress=False)
    assert report.incremental is True
    assert report.documents == len(expected_documents(small_world.seeds))
    assert_tidy(small_world.index)


@pytest.mark.slow
@pytest.mark.parametrize("number", range(8))
def test_many_timed_kills(
    small_world: World, number: int, processes: list[subprocess.Popen[bytes]]
) -> None:
    move_files(small_world, 2_400, 2_600)
    rng = random.Random(SEED * 10 + number)
    for _round in range(3):
        log = small_world.root / f"timed-{number}-{_round}.log"
        args = [*search_script(), "rebuild-index", "--seeds", str(small_world.seeds)]
        proc = start([*args, "--index", str(small_world.index)], log, processes)
        time.sleep(0.3 + rng.uniform(0.0, 0.9) * small_world.build_seconds)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        returncode = proc.wait(timeout=60)
        assert_no_orphans(proc.pid)
        if returncode == -signal.SIGKILL:
            assert_a_serves(small_world)
        else:  # it finished before the kill: start over from A
            assert returncode == 0, log.read_text(encoding="utf-8", errors="replace")
            return
    report = build_index(small_world.seeds, small_world.index, progress=False)
    assert report.documents == len(expected_documents(small_world.seeds))
    assert_tidy(small_world.index)

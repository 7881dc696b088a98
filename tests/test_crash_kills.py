"""Crash safety (DESIGN.md 3): a build killed by SIGKILL at any moment leaves the previous
generation serving, leaks no processes, and the next build cleans up after it.

The tests share one world (module scope, built once) and run in order: the kills, then
the builds after them. The corpus is large enough (> writers.PARALLEL_MIN_DOCUMENTS
documents) for the forked parallel writers and the forked parallel parser to run.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time

import pytest
from crash_support import (
    SEED,
    Snapshot,
    World,
    assert_a_serves,
    assert_no_orphans,
    assert_tidy,
    expected_documents,
    group_members,
    kill_at,
    move_files,
    needs_fork_and_proc,
    ordered_documents,
    search_script,
    snapshot,
    start,
)
from whoosh import index as whoosh_index

from benchmarks.generator import write_corpus
from search.ingest.corpus import PARALLEL_MIN_FILES
from search.local.store import generations
from search.local.store import segments as writers
from search.local.store.build import build_index

pytestmark = needs_fork_and_proc


BASE_FILES = 3_500  # generation A
MORE_FILES = 300  # added before the killed builds
LAST_FILES = 100  # added before the build killed after publishing
STAGES = ["locked", "parsed", "half-indexed", "indexed", "synced"]
needs_two_cores = pytest.mark.skipif(
    (os.cpu_count() or 1) < 2, reason="the forked parser and writers need 2 cores"
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Generation A built from BASE_FILES files; then MORE_FILES more files in the seeds."""
    root = tmp_path_factory.mktemp("crash")
    staging, seeds, index = root / "staging", root / "seeds", root / "index"
    write_corpus(staging, BASE_FILES + MORE_FILES + LAST_FILES, seed=SEED)
    seeds.mkdir()
    partial = World(root, staging, seeds, index, Snapshot("", 0, [], ""), "", 0.0)
    move_files(partial, 0, BASE_FILES)

    started = time.monotonic()
    report = build_index(seeds, index, progress=False)
    partial.build_seconds = time.monotonic() - started
    assert report.documents > writers.PARALLEL_MIN_DOCUMENTS  # the forked writers ran
    assert BASE_FILES > PARALLEL_MIN_FILES  # and so did the forked parser
    ordered = ordered_documents(seeds)
    expected = set(ordered)
    assert report.documents == len(expected)

    ix = whoosh_index.open_dir(str(index / report.generation))
    try:
        with ix.searcher() as searcher:
            stored = [d["id"] for d in searcher.all_stored_fields()]
    finally:
        ix.close()
    # document numbers follow the merged list, part after part (the columns rely on it)
    assert stored == ordered
    partial.probe_id = sorted(expected)[len(expected) // 2]
    partial.a = snapshot(index, partial.probe_id)
    assert partial.a.generation == report.generation
    assert partial.a.documents == report.documents
    assert len(partial.a.ai_ids) > 100

    move_files(partial, BASE_FILES, BASE_FILES + MORE_FILES)
    return partial


# --- kills at each stage, and at random moments ------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_kill_at_stage_keeps_previous_generation(
    world: World, stage: str, processes: list[subprocess.Popen[bytes]]
) -> None:
    kill_at(world, stage, processes)
    assert_a_serves(world)


@pytest.mark.parametrize("number", [0, 1])
def test_timed_kill_keeps_previous_generation(
    world: World, number: int, processes: list[subprocess.Popen[bytes]]
) -> None:
    # early (reading, parsing: timed from the lock) or late (timed from the moment the
    # forked writers start: timed from the lock, a fast machine could finish first)
    rng = random.Random(SEED + number)
    delay = rng.uniform(*[(0.05, 0.3), (0.0, 0.15)][number]) * world.build_seconds
    log = world.root / f"timed-{number}.log"
    args = [*search_script(), "rebuild-index", "--seeds", str(world.seeds)]
    proc = start([*args, "--index", str(world.index)], log, processes)

    lock = world.index / ".lock"
    deadline = time.monotonic() + 60
    while not (lock.exists() and lock.read_text(encoding="ascii").strip() == str(proc.pid)):
        assert proc.poll() is None, log.read_text(encoding="utf-8", errors="replace")
        assert time.monotonic() < deadline, "the build never took the lock"
        time.sleep(0.005)
    while number == 1 and not any(world.index.glob(f"g-*-{proc.pid}/part-0")):
        assert proc.poll() is None, log.read_text(encoding="utf-8", errors="replace")
        assert time.monotonic() < deadline, "the build's writers never started"
        time.sleep(0.002)
    time.sleep(delay)
    assert proc.poll() is None, f"the build finished within {delay:.2f} s: no crash tested"
    os.kill(proc.pid, signal.SIGKILL)

    assert proc.wait(timeout=30) == -signal.SIGKILL
    assert_no_orphans(proc.pid)
    assert_a_serves(world)


def kill_a_forked_child(
    world: World, phase: str, processes: list[subprocess.Popen[bytes]]
) -> tuple[int, str]:
    """SIGKILL one forked child of a `search rebuild-index` (as the OOM killer would) while
    it parses or writes; return the build's exit code and output."""
    log = world.root / f"child-{phase}.log"
    args = [*search_script(), "rebuild-index", "--seeds", str(world.seeds)]
    proc = start([*args, "--index", str(world.index)], log, processes)
    deadline = time.monotonic() + 60
    while True:
        children = [m for m in group_members(proc.pid) if m != proc.pid]
        writing = any(world.index.glob(f"g-*-{proc.pid}/part-0"))  # its own generation
        if children and (writing if phase == "write" else not writing):
            break
        assert proc.poll() is None, log.read_text(encoding="utf-8", errors="replace")
        assert time.monotonic() < deadline, f"no forked {phase} child seen"
        time.sleep(0.002)
    os.kill(children[0], signal.SIGKILL)
    returncode = proc.wait(timeout=60)
    assert_no_orphans(proc.pid)
    return returncode, log.read_text(encoding="utf-8", errors="replace")


@needs_two_cores
def test_killed_writer_child_fails_the_build_cleanly(
    world: World, processes: list[subprocess.Popen[bytes]]
) -> None:
    before = snapshot(world.index, world.probe_id)
    returncode, output = kill_a_forked_child(world, "write", processes)
    assert returncode == 1
    assert snapshot(world.index, world.probe_id) == before
    assert output.startswith("Error: rebuilding the index in "), output
    assert "still serving" in output
    assert "Traceback" not in output


@needs_two_cores
def test_killed_parser_child_fails_the_build_cleanly(
    world: World, processes: list[subprocess.Popen[bytes]]
) -> None:
    before = snapshot(world.index, world.probe_id)
    returncode, output = kill_a_forked_child(world, "parse", processes)
    assert returncode == 1
    assert snapshot(world.index, world.probe_id) == before
    assert "Traceback" not in output, output[-400:]
    assert output.startswith("Error: "), output


def test_build_after_the_kills_needs_no_clean_up(world: World) -> None:
    expected = expected_documents(world.seeds)
    report = build_index(world.seeds, world.index, progress=False)

    assert report.documents == len(expected) > world.a.documents
    new = snapshot(world.index, world.probe_id)
    assert new.generation == report.generation
    assert new.documents == report.documents
    assert new.probe_title == world.a.probe_title
    pointer = (world.index / "CURRENT").read_text(encoding="utf-8").split()
    assert pointer == [report.generation, world.a.generation]
    assert_tidy(world.index)


@needs_two_cores
def test_rebuild_right_after_a_kill_during_forked_work(
    world: World, processes: list[subprocess.Popen[bytes]]
) -> None:
    log = world.root / "kill-forked.log"
    args = [*search_script(), "rebuild-index", "--seeds", str(world.seeds)]
    proc = start([*args, "--index", str(world.index)], log, processes)
    deadline = time.monotonic() + 60
    while len(group_members(proc.pid)) < 2:  # the forked parser (or writers) are at work
        assert proc.poll() is None, log.read_text(encoding="utf-8", errors="replace")
        assert time.monotonic() < deadline, "no forked children seen"
        time.sleep(0.002)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    try:
        report = build_index(world.seeds, world.index, progress=False)  # the user retries
    finally:
        assert_no_orphans(proc.pid)
    assert report.documents == len(expected_documents(world.seeds))
    assert_tidy(world.index)


def test_kill_after_publish_serves_the_new_generation(
    world: World, processes: list[subprocess.Popen[bytes]]
) -> None:
    move_files(world, BASE_FILES + MORE_FILES, BASE_FILES + MORE_FILES + LAST_FILES)
    expected = expected_documents(world.seeds)
    before = (world.index / "CURRENT").read_text(encoding="utf-8").split()

    kill_at(world, "published", processes)

    pointer = (world.index / "CURRENT").read_text(encoding="utf-8").split()
    assert pointer[1] == before[0]
    assert pointer[0] not in before
    new = snapshot(world.index, world.probe_id)
    assert new.generation == pointer[0]
    assert new.documents == len(expected)
    # the clean-up after publishing never ran: the generation before the previous one is left
    gens = {p.name for p in world.index.iterdir() if generations.is_generation_name(p.name)}
    assert set(pointer) < gens

    report = build_index(world.seeds, world.index, progress=False)
    assert report.documents == len(expected)
    assert (world.index / "CURRENT").read_text(encoding="utf-8").split() == [
        report.generation,
        pointer[0],
    ]
    assert_tidy(world.index)

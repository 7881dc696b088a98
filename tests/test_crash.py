"""Crash safety (DESIGN.md 3): a build killed by SIGKILL at any moment leaves the previous
generation serving, leaks no processes, and the next build cleans up after it.

Every kill is real: a child Python process runs build_index and SIGKILLs itself at a
checkpoint, or a `search rebuild-index` process is killed from outside after a seeded delay.
The corpus is large enough (> writers.PARALLEL_MIN_DOCUMENTS documents) for the forked
parallel writers and the forked parallel parser to run.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.query import Term

from benchmarks.generator import write_corpus
from search.ingest.corpus import PARALLEL_MIN_FILES, discover, merge, parse_files
from search.local.store import generations
from search.local.store import segments as writers
from search.local.store.build import build_index
from search.model import ParsedFile

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists() or not hasattr(os, "fork"),
    reason="needs fork and /proc (Linux)",
)

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261126
BASE_FILES = 3_500  # generation A
MORE_FILES = 300  # added before the killed builds
LAST_FILES = 100  # added before the build killed after publishing
STAGES = ["locked", "parsed", "half-indexed", "indexed", "synced"]
needs_two_cores = pytest.mark.skipif(
    (os.cpu_count() or 1) < 2, reason="the forked parser and writers need 2 cores"
)

KILL_AT = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from search.local.store.build import build_index

    stage, seeds, index, incremental = sys.argv[1:5]

    def checkpoint(reached: str) -> None:
        if reached == stage:
            os.kill(os.getpid(), signal.SIGKILL)

    report = build_index(
        Path(seeds), Path(index), incremental=incremental == "1", progress=False,
        checkpoint=checkpoint,
    )
    print(report.documents, flush=True)
    """
)

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


# --- processes ---------------------------------------------------------------------------


def group_members(pgid: int) -> list[int]:
    """Return the live (non-zombie) processes in process group `pgid`, from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="ascii", errors="replace")
        except OSError:  # it exited while we looked
            continue
        state, _ppid, pgrp = stat[stat.rindex(")") + 2 :].split()[:3]
        if int(pgrp) == pgid and state not in ("Z", "X"):
            members.append(int(entry.name))
    return members


def children_of(pid: int) -> list[int]:
    """Return the live processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text(encoding="ascii", errors="replace")
            except OSError:
                continue
            state, ppid = stat[stat.rindex(")") + 2 :].split()[:2]
            if int(ppid) == pid and state not in ("Z", "X"):
                found.append(int(entry.name))
    return found


def assert_no_orphans(pid: int, timeout: float = 15.0) -> float:
    """Wait until the killed process's group is empty; return how long that took."""
    started = time.monotonic()
    while True:
        left = group_members(pid) + children_of(pid)
        if not left:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            pytest.fail(f"processes of the killed build {pid} still running: {left}")
        time.sleep(0.05)


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Collect started processes; kill any still running (and their groups) at teardown."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        for member in group_members(proc.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(member, signal.SIGKILL)


def start(
    args: list[str], log: Path, processes: list[subprocess.Popen[bytes]]
) -> subprocess.Popen[bytes]:
    """Start a process in its own session, output to a file (forked children keep pipes open)."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            args, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    processes.append(proc)
    return proc


def search_script() -> list[str]:
    """Return the command that runs the installed console script."""
    script = Path(sys.executable).parent / "search"
    return [str(script)] if script.exists() else [sys.executable, "-m", "search"]


# --- the world the kills happen in -------------------------------------------------------


@dataclass
class Snapshot:
    """What a reader of a generation sees: its name, document count and a query's answer."""

    generation: str
    documents: int
    ai_ids: list[str]
    probe_title: str


@dataclass
class World:
    root: Path
    staging: Path
    seeds: Path
    index: Path
    a: Snapshot
    probe_id: str
    build_seconds: float


def ordered_documents(seeds: Path) -> list[str]:
    """Return the ids a build of `seeds` must index, in merged order."""
    files, _ = discover(seeds)
    parsed = [p for p in parse_files(files, progress=False) if isinstance(p, ParsedFile)]
    return [d.id for d in merge(parsed).documents]


def expected_documents(seeds: Path) -> set[str]:
    """Return the ids a build of `seeds` must index."""
    return set(ordered_documents(seeds))


def snapshot(index_dir: Path, probe_id: str) -> Snapshot:
    """Open the current generation as a reader would and record what it answers."""
    current = generations.current_generation(index_dir)
    assert current is not None, "no generation is serving"
    ix = whoosh_index.open_dir(str(current))
    try:
        with ix.searcher() as searcher:
            ai_ids = sorted(hit["id"] for hit in searcher.search(Term("topic", "ai"), limit=None))
            probe = searcher.document(id=probe_id)
            documents = searcher.doc_count()
    finally:
        ix.close()
    assert probe is not None
    assert generations.read_meta(current)["documents"] == documents
    return Snapshot(current.name, documents, ai_ids, probe["title"])


def move_files(world: World, start_number: int, stop_number: int) -> None:
    """Move generated files numbered [start, stop) from staging into the seeds folder."""
    for number in range(start_number, stop_number):
        relative = Path(f"{number // 1000:04d}") / f"{number:07d}.md"
        (world.seeds / relative.parent).mkdir(exist_ok=True)
        (world.staging / relative).replace(world.seeds / relative)


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


def assert_a_serves(world: World) -> None:
    """The current generation is still A, answering exactly as before."""
    pointer = (world.index / "CURRENT").read_text(encoding="utf-8").split()
    assert pointer[0] == world.a.generation
    assert snapshot(world.index, world.probe_id) == world.a


def kill_at(
    world: World,
    stage: str,
    processes: list[subprocess.Popen[bytes]],
    incremental: bool = False,
) -> int:
    """Run a build that SIGKILLs itself at `stage`; check it died so; return its pid."""
    log = world.root / f"kill-{stage}-{len(processes)}.log"
    args = [sys.executable, "-c", KILL_AT, stage, str(world.seeds), str(world.index)]
    proc = start([*args, "1" if incremental else "0"], log, processes)
    returncode = proc.wait(timeout=120)
    assert returncode == -signal.SIGKILL, log.read_text(encoding="utf-8", errors="replace")
    assert_no_orphans(proc.pid)
    return proc.pid


def assert_tidy(index_dir: Path, at_most: int = 2) -> None:
    """At most `at_most` generations; no part-* folders, temporary files or folders anywhere."""
    gens = [p for p in index_dir.iterdir() if generations.is_generation_name(p.name)]
    assert len(gens) <= at_most, sorted(p.name for p in gens)
    strays = [p.name for p in index_dir.iterdir() if p.is_dir() and p not in gens]
    assert strays == [], f"folders that are not generations: {strays}"
    assert not (index_dir / "CURRENT.tmp").exists()
    for folder, dirnames, filenames in os.walk(index_dir):
        here = Path(folder)
        if here != index_dir:
            assert dirnames == [], f"folders inside a generation: {here}: {dirnames}"
        for name in dirnames + filenames:
            assert not name.startswith("part-"), here / name
            assert not name.endswith((".tmp", ".run")), here / name


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
    # early (reading, parsing) or late (forked writers at work) in the build
    fraction = random.Random(SEED + number).uniform(*[(0.05, 0.3), (0.4, 0.7)][number])
    delay = fraction * world.build_seconds
    log = world.root / f"timed-{number}.log"
    args = [*search_script(), "rebuild-index", "--seeds", str(world.seeds)]
    proc = start([*args, "--index", str(world.index)], log, processes)

    lock = world.index / ".lock"
    deadline = time.monotonic() + 60
    while not (lock.exists() and lock.read_text(encoding="ascii").strip() == str(proc.pid)):
        assert proc.poll() is None, log.read_text(encoding="utf-8", errors="replace")
        assert time.monotonic() < deadline, "the build never took the lock"
        time.sleep(0.005)
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


# --- two rebuilds at once ----------------------------------------------------------------


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


# --- more kill points (slow) -------------------------------------------------------------


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

"""The crash tests' shared parts (tests/test_crash_*.py): processes started in their own
session and proven gone (read from /proc), and the world the kills happen in.

Every kill is real: a child Python process runs build_index and SIGKILLs itself at a
checkpoint, or a `search rebuild-index` process is killed from outside. Started processes
go into conftest.py `processes`, which kills any left at teardown.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from build_support import ROOT, merged_documents
from whoosh import index as whoosh_index
from whoosh.query import Term

from search.local.store import generations

needs_fork_and_proc = pytest.mark.skipif(
    not Path("/proc/self/stat").exists() or not hasattr(os, "fork"),
    reason="needs fork and /proc (Linux)",
)


SEED = 20261126


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
    return [d.id for d in merged_documents(seeds)]


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
            # ids are stored, not indexed (schema version 4): found among the stored fields
            probe = next((f for f in searcher.all_stored_fields() if f["id"] == probe_id), None)
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

"""Processes for the crash tests: start `search rebuild-index` in its own session, kill it
at a chosen moment, and prove nothing it started outlived it (read from /proc)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from http_support import clean_environment, search_command

LOCK_TIMEOUT = 60.0  # seconds for a started build to take the index lock (cold imports)


def _stat_fields(entry: Path) -> list[str] | None:
    """Return the fields of /proc/<pid>/stat after the command name, or None if gone."""
    try:
        stat = (entry / "stat").read_text(encoding="ascii", errors="replace")
    except OSError:  # it exited while we looked
        return None
    return stat[stat.rindex(")") + 2 :].split()


def leftovers(pid: int) -> list[int]:
    """Return the live (non-zombie) processes in `pid`'s process group or with it as parent."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(entry)
        if fields is None or fields[0] in ("Z", "X"):
            continue
        ppid, pgrp = int(fields[1]), int(fields[2])
        if pgrp == pid or ppid == pid:
            found.append(int(entry.name))
    return found


def wait_for_no_leftovers(pid: int, timeout: float = 15.0) -> list[int]:
    """Wait until nothing of the killed process is left; return what is left at timeout."""
    deadline = time.monotonic() + timeout
    while (left := leftovers(pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


@dataclass
class Build:
    """A `search rebuild-index` running in its own session, and when it took the lock."""

    process: subprocess.Popen[bytes]
    log: Path
    locked_at: float

    def output(self) -> str:
        """Return what the build printed."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> int:
        """SIGKILL the build's main process (as a crash would); return its exit status."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        return self.process.wait(timeout=30)

    def stop_group(self) -> None:
        """Kill whatever is left of the build's process group (test clean-up only)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        for member in leftovers(self.process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(member, signal.SIGKILL)


def start_build(seeds: Path, index: Path, log: Path) -> Build:
    """Start `search rebuild-index` and return once it holds the index lock.

    The lock file then names its pid: from that moment on the build is really working on
    the index, so a kill lands in the build itself rather than in Python's start-up."""
    command = [*search_command(), "rebuild-index", "--seeds", str(seeds), "--index", str(index)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=clean_environment(),
            start_new_session=True,  # its own process group: leftovers are found by group
        )
    lock = index / ".lock"
    deadline = time.monotonic() + LOCK_TIMEOUT
    while True:
        try:
            holder = lock.read_text(encoding="ascii").strip()
        except OSError:
            holder = ""
        if holder == str(process.pid):
            return Build(process, log, time.monotonic())
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait(timeout=30)
            raise AssertionError(f"the build never took the lock:\n{log.read_text()}")
        time.sleep(0.002)

"""Running a measured step in a child process: wall time and peak memory of its process tree."""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Run:
    """One measured child run: its JSON output, wall seconds and peak tree RSS in MB."""

    output: dict[str, object]
    seconds: float
    peak_mb: float
    peak_pss_mb: float = 0.0  # with track_pss: shared pages counted once


def _tree_pids(root: int) -> list[int]:
    """Return `root` and its descendants, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text(encoding="ascii", errors="replace")
            parents[int(entry.name)] = int(text.rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(child for child, parent in parents.items() if parent == pid)
    return found


def _tree_pss_kb(root: int) -> int:
    """Return the summed PSS of `root` and its descendants: each page shared between
    them (a forked child's view of its parent's memory) counted once, split among them."""
    total = 0
    for pid in _tree_pids(root):
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text(encoding="ascii")
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1])
                break
    return total


def _tree_rss_kb(root: int) -> int:
    """Return the summed RSS of `root` and its descendants, from /proc (pages shared
    between them are counted once per process)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text(encoding="ascii", errors="replace")
            fields = text.rsplit(")", 1)[1].split()
            parents[int(entry.name)] = int(fields[1])
            rss[int(entry.name)] = int(fields[21]) * page_kb
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(child for child, parent in parents.items() if parent == pid)
    return total


def run_child(code: str, *args: str, track_pss: bool = False) -> Run:
    """Run `python -c code args...`; it must print one JSON object last. Return the Run
    (with the peak summed PSS too if `track_pss`: slower to sample)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True
    )
    peak = peak_pss = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_pss
        while not done.is_set():
            peak = max(peak, _tree_rss_kb(process.pid))
            if track_pss:
                peak_pss = max(peak_pss, _tree_pss_kb(process.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise RuntimeError(f"benchmark child failed ({process.returncode}): {out[-2000:]}")
    return Run(json.loads(out.strip().splitlines()[-1]), seconds, peak / 1024, peak_pss / 1024)


def median(values: list[float]) -> float:
    """Return the median."""
    return statistics.median(values) if values else float("nan")


def percentile(values: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile (fraction in 0..1)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def machine() -> dict[str, object]:
    """Return what the machine is: CPUs, memory, Python."""
    memory = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        memory = int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    return {
        "cpus": os.cpu_count(),
        "memory_mb": memory,
        "python": sys.version.split()[0],
        "platform": sys.platform,
    }


def workdir(path: str | None) -> Path:
    """Return (and create) the folder for generated corpora and indexes."""
    folder = Path(path or os.environ.get("SEARCH_BENCH_DIR") or "/tmp/news-search-bench")  # noqa: S108
    folder.mkdir(parents=True, exist_ok=True)
    return folder

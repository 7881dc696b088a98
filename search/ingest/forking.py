"""Run a function over parts of a job in forked children, for both cores of a build.

Forked children inherit the parent's data without pickling it, and hand back only
their (small) results through a pipe. A child notices when its parent has died (a
killed build) and exits instead of finishing work nobody will publish.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import pickle
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any, BinaryIO, TypeVar

_PR_SET_PDEATHSIG = 1  # prctl option, from <linux/prctl.h>
Part = TypeVar("Part")
Result = TypeVar("Result")


class ChildFailed(OSError):
    """A forked child raised or died; the message says how."""


def parent_alive(parent: int) -> bool:
    """Return False once the process that forked us is gone (we were re-parented)."""
    return os.getppid() == parent


def fork_map(
    function: Callable[[Part], Result],
    parts: Sequence[Part],
    meanwhile: Callable[[], None] | None = None,
) -> list[Result]:
    """Return [function(part) for part in parts], each part computed in a forked child,
    after running `meanwhile` (if given) in this process while the children work.

    Raises ChildFailed if any child fails; every child is waited for either way (if
    `meanwhile` raises, the children are killed first, then its exception propagates)."""
    # Frozen objects are left out of garbage collections: the children's collections
    # then write nothing into the pages they share with this process (nor do ours
    # meanwhile), which would copy them
    frozen_already = gc.get_freeze_count() > 0  # a fork_map within another's `meanwhile`
    gc.freeze()
    try:
        return _map(function, parts, meanwhile)
    finally:
        if not frozen_already:
            gc.unfreeze()


def _map(
    function: Callable[[Part], Result],
    parts: Sequence[Part],
    meanwhile: Callable[[], None] | None,
) -> list[Result]:
    children: list[tuple[int, int]] = []
    for part in parts:
        read_end, write_end = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            _die_with_parent(parent)
            _run_child(function, part, write_end)
        os.close(write_end)
        children.append((pid, read_end))
    if meanwhile is not None:
        try:
            meanwhile()
        except BaseException:
            _kill_and_reap(children)
            raise
    results: list[Result] = []
    failures: list[str] = []
    for pid, read_end in children:
        with os.fdopen(read_end, "rb") as pipe:
            outcome = _receive(pipe)
        _, status = os.waitpid(pid, 0)
        if status != 0 or outcome is None:
            failures.append(f"worker process {pid} {_describe(status)}")
            continue
        ok, value = outcome
        if ok:
            results.append(value)
        else:
            failures.append(str(value))
    if failures:
        raise ChildFailed("; ".join(failures))
    return results


def _receive(pipe: BinaryIO) -> tuple[bool, Any] | None:
    """Return a child's (ok, value), unpickled as it arrives (the whole payload is never
    held as bytes besides the objects); None if the child sent nothing whole."""
    try:
        outcome: tuple[bool, Any] = pickle.load(pipe)  # noqa: S301 (our own child's result)
    except Exception:  # a child that died mid-write: a truncated pickle
        while pipe.read(1 << 16):  # let it finish writing, so waiting for it cannot hang
            pass
        return None
    return outcome


def _kill_and_reap(children: Sequence[tuple[int, int]]) -> None:
    """SIGKILL and wait for every child, closing their pipes: none outlives a failure."""
    for pid, read_end in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.close(read_end)
        os.waitpid(pid, 0)


def _die_with_parent(parent: int) -> None:
    """Ask Linux to SIGKILL this process when its parent dies (best effort elsewhere);
    exit at once if the parent already died between fork() and the request."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the workers' own parent checks remain
        pass
    if not parent_alive(parent):  # killed in the gap: the request above came too late
        os._exit(1)


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"was killed by signal {os.WTERMSIG(status)}"
    return f"exited with status {os.waitstatus_to_exitcode(status)}"


def _run_child(function: Callable[[Part], Result], part: Part, pipe: int) -> None:
    status = 0
    payload: tuple[bool, object] = (False, "worker process was interrupted")
    try:
        payload = (True, function(part))
    except Exception as exc:  # reported to the parent, which raises
        payload = (False, f"{type(exc).__name__}: {exc}")
    finally:
        try:
            with os.fdopen(pipe, "wb") as handle:
                pickle.dump(payload, handle, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:
            status = 1
        os._exit(status)  # skip the parent's atexit handlers and buffered output

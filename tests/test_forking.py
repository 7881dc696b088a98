"""fork_map: results in order, failures reported, and work done in the parent meanwhile."""

from __future__ import annotations

import gc
import os
import pickle
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from search.ingest.forking import ChildFailed, fork_map
from search.model import Article, ParsedFile


def _square_after_writing_pid(job: tuple[Path, int]) -> int:
    folder, number = job
    (folder / f"child-{number}").write_text(str(os.getpid()), encoding="ascii")
    return number * number


def _sleep_then_return(job: tuple[Path, int]) -> int:
    folder, number = job
    (folder / f"child-{number}").write_text(str(os.getpid()), encoding="ascii")
    time.sleep(60)
    return number


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_results_in_order_and_meanwhile_runs_in_the_parent(tmp_path: Path) -> None:
    seen: list[int] = []
    results = fork_map(
        _square_after_writing_pid, [(tmp_path, n) for n in range(3)], lambda: seen.append(1)
    )
    assert results == [0, 1, 4]
    assert seen == [1]  # once, in this process (a child's append would not be seen here)
    pids = {int((tmp_path / f"child-{n}").read_text(encoding="ascii")) for n in range(3)}
    assert len(pids) == 3 and os.getpid() not in pids


def test_a_failing_meanwhile_kills_and_reaps_the_children(tmp_path: Path) -> None:
    def fail() -> None:
        deadline = time.monotonic() + 30
        while len(list(tmp_path.glob("child-*"))) < 2:  # both children started
            assert time.monotonic() < deadline
            time.sleep(0.01)
        raise RuntimeError("the parent's own work failed")

    started = time.monotonic()
    with pytest.raises(RuntimeError, match="the parent's own work failed"):
        fork_map(_sleep_then_return, [(tmp_path, n) for n in range(2)], fail)
    assert time.monotonic() - started < 30  # not the children's 60 s sleep
    pids = [int(p.read_text(encoding="ascii")) for p in tmp_path.glob("child-*")]
    assert len(pids) == 2
    assert not any(_alive(pid) for pid in pids)  # killed and reaped: no zombies either


def test_a_failing_child_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ChildFailed, match="ZeroDivisionError"):
        fork_map(_divide, [1, 0])


def _divide(number: int) -> float:
    return 1 / number


def _large(number: int) -> bytes:
    return bytes([number]) * (4 << 20)  # far more than a pipe holds: read as it comes


def _fails_halfway_through_sending(number: int) -> list[object]:
    return [bytes(4 << 20), lambda: number]  # the lambda cannot be pickled: a truncated payload


def test_large_results_arrive_whole() -> None:
    assert fork_map(_large, [1, 2]) == [_large(1), _large(2)]


def test_a_child_failing_while_sending_is_reported() -> None:
    with pytest.raises(ChildFailed, match="exited with status 1"):
        fork_map(_fails_halfway_through_sending, [1])


def test_the_collector_is_frozen_only_while_children_run() -> None:
    before = gc.get_freeze_count()  # 0 unless an earlier test froze objects itself
    seen: list[int] = []

    def nested() -> None:  # a fork_map within another's meanwhile leaves the outer frozen
        seen.append(gc.get_freeze_count())
        assert fork_map(_divide, [4]) == [0.25]
        seen.append(gc.get_freeze_count())

    assert fork_map(_divide, [2], nested) == [0.5]
    assert seen[0] > 0 and seen[1] > 0
    assert gc.get_freeze_count() == before


def _parsed_file(number: int) -> ParsedFile:
    published = datetime(2024, 5, number, 12, 30, tzinfo=UTC)
    article = Article(
        f"k{number}", "article", "Title", "a.md", "excerpt", "body", ("AI", "Chips"),
        "Provider", "provider.com", published, "https://x.test/a", None, "news", "story", 3,
        ("r1", "r2"),
    )  # fmt: skip
    related = [Article("r1", "related", "Other", "a.md", published=published)]
    return ParsedFile(article, related, [f"a.md: warning {number}"])


def test_parsed_files_cross_from_a_child_whole() -> None:
    sent = fork_map(_parsed_file, [1, 2])
    assert sent == [_parsed_file(1), _parsed_file(2)]
    assert pickle.loads(pickle.dumps(sent[0])) == _parsed_file(1)

"""Index generations (DESIGN.md 3): atomic publish, clean-up, stale locks, a trusted pointer."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from search.errors import IndexBusy
from search.local.store import generations
from search.local.store.build import build_index

WriteSeed = Callable[..., Path]
ROOT = Path(__file__).resolve().parent.parent


def make_generation(index_dir: Path, documents: int = 0) -> Path:
    """Return a new generation folder with a meta.json, as a finished build leaves it."""
    folder = generations.new_generation(index_dir)
    meta = {"generation": folder.name, "documents": documents}
    (folder / generations.META).write_text(json.dumps(meta), encoding="utf-8")
    return folder


def pointer(index_dir: Path) -> list[str]:
    """Return the lines of the CURRENT file."""
    return (index_dir / generations.POINTER).read_text(encoding="utf-8").splitlines()


def generation_folders(index_dir: Path) -> set[str]:
    """Return the names of the generation folders in `index_dir`."""
    return {p.name for p in index_dir.iterdir() if generations.is_generation_name(p.name)}


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    """Return an index folder path (not created)."""
    return tmp_path / "index"


@pytest.fixture
def small_seeds(write_seed: WriteSeed, seeds_dir: Path) -> Path:
    """Return a seeds folder of two articles."""
    write_seed("a.md", 'title: "Alpha"\nwebUrl: "https://example.com/a"\n')
    write_seed("b.md", 'title: "Beta"\nwebUrl: "https://example.com/b"\n')
    return seeds_dir


# --- publish -----------------------------------------------------------------------------


def test_publish_switches_current_and_records_previous(index_dir: Path) -> None:
    first = make_generation(index_dir)
    generations.publish(index_dir, first)
    assert pointer(index_dir) == [first.name]
    assert generations.current_generation(index_dir) == first

    second = make_generation(index_dir)
    generations.publish(index_dir, second)
    assert pointer(index_dir) == [second.name, first.name]
    assert generations.current_generation(index_dir) == second

    third = make_generation(index_dir)
    generations.publish(index_dir, third)
    assert pointer(index_dir) == [third.name, second.name]
    assert generations.current_generation(index_dir) == third
    assert not (index_dir / "CURRENT.tmp").exists()


def test_new_generation_names_are_unique_and_trusted(index_dir: Path) -> None:
    folders = [generations.new_generation(index_dir) for _ in range(50)]
    assert len({f.name for f in folders}) == 50
    assert all(generations.is_generation_name(f.name) for f in folders)
    assert all(f.is_dir() and not any(f.iterdir()) for f in folders)


def test_readers_never_see_a_half_written_pointer(index_dir: Path) -> None:
    folders = [make_generation(index_dir) for _ in range(40)]
    generations.publish(index_dir, folders[0])
    names = {f.name for f in folders}
    seen: list[list[str]] = []
    failures: list[str] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                lines = (index_dir / "CURRENT").read_text(encoding="utf-8").splitlines()
            except OSError as exc:  # the pointer must exist at every moment
                failures.append(repr(exc))
                continue
            if not lines or not set(lines) <= names or len(lines) > 2:
                failures.append(repr(lines))
            if generations.current_generation(index_dir) is None:
                failures.append("no current generation")
            seen.append(lines)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for _ in range(5):
            for folder in folders[1:]:
                generations.publish(index_dir, folder)
    finally:
        done.set()
        reader.join(timeout=30)
    assert failures == []
    assert len(seen) > 5
    assert pointer(index_dir) == [folders[-1].name, folders[-2].name]


def test_publish_failing_before_the_switch_keeps_current(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = make_generation(index_dir)
    generations.publish(index_dir, old)
    new = make_generation(index_dir)

    def fail(self: Path, target: Path) -> Path:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(Path, "replace", fail)
        with pytest.raises(OSError, match="No space left"):
            generations.publish(index_dir, new)
    assert pointer(index_dir) == [old.name]
    assert generations.current_generation(index_dir) == old
    generations.clean_up(index_dir)
    assert not (index_dir / "CURRENT.tmp").exists()


# --- clean_up ----------------------------------------------------------------------------


def test_clean_up_keeps_only_current_and_previous(index_dir: Path) -> None:
    published = [make_generation(index_dir) for _ in range(3)]
    for folder in published:
        generations.publish(index_dir, folder)
    unpublished = [make_generation(index_dir), generations.new_generation(index_dir)]
    (unpublished[1] / "part-0").mkdir()
    (unpublished[1] / "part-0" / "MAIN_x.seg").write_bytes(b"half")
    (index_dir / "CURRENT.tmp").write_text("garbage", encoding="utf-8")
    (index_dir / "notes.txt").write_text("not ours", encoding="utf-8")
    (index_dir / "backup").mkdir()
    (index_dir / "g-not-a-generation").mkdir()

    removed = generations.clean_up(index_dir)

    assert sorted(removed) == sorted([published[0].name, *(f.name for f in unpublished)])
    assert generation_folders(index_dir) == {published[2].name, published[1].name}
    assert not (index_dir / "CURRENT.tmp").exists()
    # only generation folders and the temporary pointer are ours to delete
    assert (index_dir / "notes.txt").is_file()
    assert (index_dir / "backup").is_dir()
    assert (index_dir / "g-not-a-generation").is_dir()
    assert pointer(index_dir) == [published[2].name, published[1].name]
    assert generations.current_generation(index_dir) == published[2]


def test_clean_up_is_idempotent(index_dir: Path) -> None:
    for _ in range(3):
        generations.publish(index_dir, make_generation(index_dir))
    first = generations.clean_up(index_dir)
    assert len(first) == 1
    assert generations.clean_up(index_dir) == []
    assert len(generation_folders(index_dir)) == 2


def test_half_written_generation_is_removed_by_next_build(
    small_seeds: Path, index_dir: Path
) -> None:
    first = build_index(small_seeds, index_dir, progress=False)
    half = generations.new_generation(index_dir)  # a build that died before publishing
    (half / "MAIN_abc.seg").write_bytes(b"\x00" * 100)
    (half / "part-1").mkdir()
    (half / "part-1" / "_MAIN_0.toc").write_bytes(b"x")

    second = build_index(small_seeds, index_dir, progress=False)

    assert not half.exists()
    assert generation_folders(index_dir) == {first.generation, second.generation}
    assert pointer(index_dir) == [second.generation, first.generation]


def test_half_written_generation_without_any_current_is_removed(
    small_seeds: Path, index_dir: Path
) -> None:
    half = generations.new_generation(index_dir)
    (half / "MAIN_abc.seg").write_bytes(b"\x00" * 100)
    report = build_index(small_seeds, index_dir, progress=False)
    assert not half.exists()
    assert generation_folders(index_dir) == {report.generation}


# --- the rebuild lock --------------------------------------------------------------------


def test_stale_lock_file_does_not_block_a_build(small_seeds: Path, index_dir: Path) -> None:
    index_dir.mkdir()
    dead_pid = 4_194_303  # above any pid Linux hands out by default: nobody holds the lock
    (index_dir / ".lock").write_text(f"{dead_pid}\n", encoding="utf-8")

    report = build_index(small_seeds, index_dir, progress=False)

    assert report.documents == 2
    assert generations.current_generation(index_dir) == index_dir / report.generation
    with generations.rebuild_lock(index_dir):
        assert (index_dir / ".lock").read_text(encoding="ascii") == str(os.getpid())


HOLD_LOCK = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from search.local.store.generations import rebuild_lock
    with rebuild_lock(Path(sys.argv[1])):
        print("held", flush=True)
        time.sleep(120)
    """
)


def test_lock_of_a_killed_holder_is_released(small_seeds: Path, index_dir: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(index_dir)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(IndexBusy, match=rf"another rebuild-index \(pid {holder.pid}\)"):
            build_index(small_seeds, index_dir, progress=False)
        assert not (index_dir / "CURRENT").exists()
        assert generation_folders(index_dir) == set()
        os.kill(holder.pid, signal.SIGKILL)
        assert holder.wait(timeout=30) == -signal.SIGKILL
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(timeout=30)
        if holder.stdout is not None:
            holder.stdout.close()

    # the lock file still names the dead holder, but the kernel dropped its flock
    assert (index_dir / ".lock").read_text(encoding="ascii") == str(holder.pid)
    report = build_index(small_seeds, index_dir, progress=False)
    assert report.documents == 2
    assert pointer(index_dir) == [report.generation]


def test_second_lock_raises_index_busy_naming_the_holder(index_dir: Path) -> None:
    with generations.rebuild_lock(index_dir):
        started = time.monotonic()
        with pytest.raises(IndexBusy) as caught, generations.rebuild_lock(index_dir):
            pytest.fail("two holders of the rebuild lock")
        assert time.monotonic() - started < 1.0  # no waiting for the holder
        message = str(caught.value)
        assert f"another rebuild-index (pid {os.getpid()})" in message
        assert str(index_dir) in message
        # a refused attempt does not overwrite the holder's pid
        assert (index_dir / ".lock").read_text(encoding="ascii") == str(os.getpid())
    with generations.rebuild_lock(index_dir):  # released on exit
        pass


def test_build_while_locked_raises_index_busy_and_publishes_nothing(
    small_seeds: Path, index_dir: Path
) -> None:
    first = build_index(small_seeds, index_dir, progress=False)
    before = (index_dir / "CURRENT").read_bytes()
    with generations.rebuild_lock(index_dir):
        with pytest.raises(IndexBusy, match=f"pid {os.getpid()}"):
            build_index(small_seeds, index_dir, progress=False)
        with pytest.raises(IndexBusy):
            build_index(small_seeds, index_dir, incremental=True, progress=False)
    assert (index_dir / "CURRENT").read_bytes() == before
    assert generation_folders(index_dir) == {first.generation}


def test_lock_is_released_when_the_body_raises(index_dir: Path) -> None:
    with pytest.raises(RuntimeError), generations.rebuild_lock(index_dir):
        raise RuntimeError("boom")
    with generations.rebuild_lock(index_dir):
        pass


# --- a pointer that is not trusted -------------------------------------------------------

VALID = "g-20260101T000000000000-1"


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\n\n",
        b"garbage\n",
        b"../outside\n",
        b"..\n",
        b"/etc\n",
        b"../etc\n",
        f"{VALID}/../../outside\n".encode(),
        f"../{VALID}\n".encode(),
        b"\xff\xfe\x00\x01 binary",
        f"{VALID}\n".encode(),  # well-formed, but no such folder
        b"g-20260101T000000000000-1x\n",
    ],
    ids=[
        "empty",
        "blank-lines",
        "garbage",
        "parent-traversal",
        "dot-dot",
        "absolute",
        "etc",
        "nested-traversal",
        "prefixed-traversal",
        "binary",
        "missing-folder",
        "suffix",
    ],
)
def test_untrusted_pointer_means_no_current_generation(
    tmp_path: Path, small_seeds: Path, content: bytes
) -> None:
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    outside = tmp_path / "outside"  # a folder that looks like a generation, outside the index
    outside.mkdir()
    (outside / generations.META).write_text('{"documents": 99}', encoding="utf-8")
    (outside / VALID).mkdir()
    (outside / VALID / generations.META).write_text("{}", encoding="utf-8")
    (index_dir / "CURRENT").write_bytes(content)

    assert generations.current_generation(index_dir) is None
    generations.clean_up(index_dir)
    assert (outside / generations.META).is_file()

    report = build_index(small_seeds, index_dir, incremental=True, progress=False)
    assert report.incremental is False  # nothing current to update
    assert generations.current_generation(index_dir) == index_dir / report.generation
    assert (outside / generations.META).is_file()
    assert (outside / VALID / generations.META).is_file()


def test_pointer_to_a_folder_without_meta_is_not_current(index_dir: Path) -> None:
    half = generations.new_generation(index_dir)
    (index_dir / "CURRENT").write_text(f"{half.name}\n", encoding="utf-8")
    assert generations.current_generation(index_dir) is None


def test_pointer_with_surrounding_whitespace_is_read(index_dir: Path) -> None:
    folder = make_generation(index_dir)
    (index_dir / "CURRENT").write_text(f"  {folder.name}\r\n", encoding="utf-8")
    assert generations.current_generation(index_dir) == folder


@pytest.mark.parametrize(
    ("name", "trusted"),
    [
        (VALID, True),
        ("g-20261126T100848015169-3811", True),
        ("g-20261126T100848-3811", False),
        ("g-20261126T100848015169-", False),
        ("g-20261126T100848015169-38a", False),
        (f"{VALID}/..", False),
        (f"../{VALID}", False),
        ("", False),
        ("CURRENT", False),
        ("part-0", False),
    ],
)
def test_is_generation_name(name: str, trusted: bool) -> None:
    assert generations.is_generation_name(name) is trusted


def test_name_with_trailing_newline_is_not_trusted(index_dir: Path) -> None:
    assert generations.is_generation_name(f"{VALID}\n") is False

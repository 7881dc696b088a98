"""Read-only Whoosh storage whose segment files are read through memory maps, uncopied.

Whoosh's own FileStorage maps a compound segment file, then wraps each file inside it
in a BytesIO, and BytesIO copies a memoryview it is given: every reader holds a
private copy of the postings, terms and stored fields (~90 MB per process at 125,000
documents), and reads the whole index from disk to make it. Here each inner file
reads straight from the map, so pages are loaded when used and shared by every
process serving the index (the page cache), and a search reads exactly the same bytes.
"""

from __future__ import annotations

import mmap
import os
from pathlib import Path
from typing import Any

from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile, StructFile

from search.local.whoosh_compat import drop_buffer, file_name, storage_path

Source = mmap.mmap | bytes  # a mapped file, or b"" for an empty one (which cannot be mapped)
PEEK = 512  # bytes peek() offers: more than a posting block's header, little to copy


class MappedStorage(FileStorage):  # type: ignore[misc]
    """A read-only folder of Whoosh files; open an index with `.open_index()`."""

    def __init__(self, path: str) -> None:
        # supports_mmap=False makes CompoundStorage call our file's subset() for each
        # inner file, instead of mapping the file itself and copying each part.
        super().__init__(path, supports_mmap=False, readonly=True)

    def open_file(self, name: str, **kwargs: Any) -> StructFile:
        """Return the file `name`, read from a memory map (the map keeps its own handle,
        so no file stays open; it is unmapped when the last reader of it is gone)."""
        with Path(storage_path(self, name)).open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            source = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        return _MapSlice(source, 0, size, name, **kwargs)


class _MapSlice(BufferFile):  # type: ignore[misc]
    """A read-only file over map[offset:offset + length], copying only what is read."""

    def __init__(
        self, source: Source, offset: int, length: int, name: str | None, onclose: Any = None
    ) -> None:
        StructFile.__init__(self, _SliceReader(source, offset, length), name=name, onclose=onclose)
        self._source = source
        self._offset = offset
        drop_buffer(self)  # BufferFile's own buffer: unused, every read goes through get()

    def get(self, position: int, length: int) -> bytes:
        """Return `length` bytes at `position` of the slice."""
        start = self._offset + position
        return self._source[start : start + length]

    def subset(self, position: int, length: int, name: str | None = None) -> StructFile:
        """Return a part of this slice as a file of its own."""
        return _MapSlice(self._source, self._offset + position, length, name or file_name(self))


class _SliceReader:
    """The sequential-read file object behind a _MapSlice (read, peek, readline, seek, tell)."""

    def __init__(self, source: Source, offset: int, length: int) -> None:
        self._source = source
        self._start = offset
        self._end = offset + length
        self._pos = offset

    def read(self, size: int | None = -1) -> bytes:
        """Return up to `size` bytes (all that is left when negative) and move past them."""
        start = self._pos
        end = self._end if size is None or size < 0 else min(self._end, start + size)
        self._pos = max(start, end)
        return self._source[start:end]

    def peek(self, size: int = 0) -> bytes:
        """Return some of the bytes ahead without moving past them.

        The unpickler reads through peek() when a file has it: one call fetches a
        block header whole, where read() alone would be called for every opcode."""
        return self._source[self._pos : min(self._end, self._pos + PEEK)]

    def readline(self, size: int | None = -1) -> bytes:
        """Return the bytes up to and including the next newline."""
        newline = self._source.find(b"\n", self._pos, self._end)
        end = self._end if newline < 0 else newline + 1
        if size is not None and size >= 0:
            end = min(end, self._pos + size)
        return self.read(end - self._pos)

    def seek(self, where: int, whence: int = 0) -> int:
        """Move to `where` (from the start, the current place or the end); return it."""
        base = {0: self._start, 1: self._pos, 2: self._end}[whence]
        self._pos = max(self._start, base + where)
        return self._pos - self._start

    def tell(self) -> int:
        """Return the current place, from the start of the slice."""
        return self._pos - self._start

    def close(self) -> None:
        """Nothing to release: the map is shared by every slice of the file."""

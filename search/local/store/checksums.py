"""Checksums of a generation's files: written once by the build, verified when it is opened.

`checksums.json` lists every other file of the generation with its size and SHA-256.
Two levels of checking:

- cheap (every open, also on the request path): every listed file is there with its
  recorded size, and the small files (under SMALL_FILE bytes: the metadata, the column
  names, the table of contents) hash to their recorded digests. Catches truncated, lost
  and replaced files in a few milliseconds.
- full (`search verify`, and servers before they switch to a new generation or start
  serving one): every file is hashed. Catches a flipped byte anywhere, at about 1 s per
  500 MB.

A generation built before checksums existed has no checksums.json: it is served, and
`search verify` says it cannot be checked.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

CHECKSUMS = "checksums.json"
SMALL_FILE = 256 * 1024  # bytes: files this small are hashed on every open
_SKIP = {CHECKSUMS, "MAIN_WRITELOCK"}  # Whoosh's lock file is empty and may be re-created
_CHUNK = 1 << 20


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            sha.update(chunk)
    return sha.hexdigest()


def write_checksums(folder: Path) -> None:
    """Record the size and SHA-256 of every file of the generation in `folder`."""
    files = {
        path.name: {"size": path.stat().st_size, "sha256": _digest(path)}
        for path in sorted(folder.iterdir())
        if path.is_file() and path.name not in _SKIP
    }
    listing = {"algorithm": "sha256", "files": files, "self": _self_digest(files)}
    text = json.dumps(listing, indent=1, sort_keys=True)
    # A new file, renamed over: an incremental build's folder starts as hard links to the
    # previous generation's files, which must not change under it.
    temporary = folder / f"{CHECKSUMS}.tmp"
    temporary.write_text(text + "\n", encoding="utf-8")
    temporary.replace(folder / CHECKSUMS)


def _self_digest(files: object) -> str:
    """Return the digest of the listing itself, so damage to checksums.json is named as such."""
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode("utf-8")).hexdigest()


def has_checksums(folder: Path) -> bool:
    """Return True if the generation records checksums (built by this version or later)."""
    return (folder / CHECKSUMS).is_file()


def verify(folder: Path, full: bool = False) -> list[str]:
    """Return what is wrong with the generation in `folder` (empty: nothing found).

    Cheap unless `full`: sizes of every file and digests of the small ones. A generation
    without checksums.json gives no problems (it cannot be checked)."""
    path = folder / CHECKSUMS
    if not path.is_file():
        return []
    try:
        listing = json.loads(path.read_text(encoding="utf-8"))
        recorded = listing["files"]
        if "self" in listing and listing["self"] != _self_digest(recorded):
            return [f"{CHECKSUMS} does not match its own checksum (damaged on disk)"]
        expected = {str(name): (int(v["size"]), str(v["sha256"])) for name, v in recorded.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        return [f"{CHECKSUMS} is unreadable ({type(exc).__name__})"]
    problems = []
    for name, (size, digest) in sorted(expected.items()):
        file = folder / name
        try:
            actual = file.stat().st_size
        except OSError:
            problems.append(f"{name} is missing")
            continue
        if actual != size:
            problems.append(f"{name} has {actual} bytes, {size} were written")
        elif (full or size <= SMALL_FILE) and _digest(file) != digest:
            problems.append(f"{name} does not match its checksum (damaged on disk)")
    return problems

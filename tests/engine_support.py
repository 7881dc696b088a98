"""Tiny literal indexes for the unit tests of the local engine's internals
(tests/test_local_*.py), and stock Whoosh as the oracle they are compared with.

Indexes are built the product's way (search.local.store.build.build_index, from seed
files written here) and read with stock Whoosh (whoosh.index.open_dir(...).reader()),
so the engine's decoding is compared with Whoosh's own, posting by posting.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh import index as whoosh_index
from whoosh.searching import Searcher

from search.local.searching.matching import Evaluator
from search.local.searching.postings import PostingCache
from search.local.store.build import build_index
from search.local.store.generations import current_generation

Seed = dict[str, Any]
REUTERS = {"name": "Reuters", "domain": "reuters.com"}
SKY = {"name": "Sky", "domain": "sky.com"}

# Five short articles. Title terms (stemmed, stop words dropped, positions renumbered):
#   airports: facial 0, recognit 1, airport 2      ("in" is a stop word)
#   robots:   robot 0, airport 1
#   market:   cloud 0, market 1, grow 2
#   faces:    recognit 0, facial 1, express 2      ("of" is a stop word)
#   split:    facial 0, cream 1, win 2, recognit 3
# The excerpt of robots holds robot at 0, 1 and 3 ("and" dropped, "more" kept).
SEEDS: dict[str, Seed] = {
    "airports": {
        "title": "Facial recognition in airports",
        "excerpt": "Airports adopt face scanning",
        "topics": ["AI", "Computer Vision"],
        "provider": REUTERS,
        "publishedDateTime": "2023-05-01T10:00:00Z",
        "body": "Facial recognition at the gate.",
    },
    "robots": {
        "title": "Robots in airports",
        "excerpt": "Robots robots and more robots learn recognition",
        "topics": ["Robotics"],
        "provider": REUTERS,
        "publishedDateTime": "2023-05-02T10:00:00Z",
    },
    "market": {
        "title": "Cloud market grows",
        "excerpt": "Market data for the cloud market",
        "topics": ["Cloud"],
        "provider": {"name": "The Guardian", "domain": "theguardian.com"},
        "publishedDateTime": "2023-05-03T10:00:00Z",
        "body": "Market share of the cloud.",
    },
    "faces": {
        "title": "Recognition of facial expressions",
        "excerpt": "Facial recognition research",
        "topics": ["AI"],
        "provider": SKY,
        "publishedDateTime": "2023-05-04T10:00:00Z",
    },
    "split": {
        "title": "Facial cream wins recognition",
        "excerpt": "A facial clinic gets national recognition",
        "topics": ["Health"],
        "provider": SKY,
        "publishedDateTime": "2023-05-05T10:00:00Z",
    },
}
NAMES = sorted(SEEDS)  # a full build numbers documents in seed path order

# Many short notes, for postings longer than one block (Whoosh writes 128 per block):
# "market" is in every title (twice in every fifth), "even" in every other one, and
# each title has a word of its own, tagNNN.
NOTES = 300


def note(number: int) -> Seed:
    """Return the seed of generated note `number`."""
    words = ["market"] * (2 if number % 5 == 0 else 1) + [f"tag{number:03d}"]
    if number % 2 == 0:
        words.append("even")
    return {
        "title": " ".join(words),
        "excerpt": "alpha beta alpha" if number % 4 == 0 else "beta gamma",
        "topics": ["Notes"],
        "provider": REUTERS,
        "publishedDateTime": f"2022-01-01T{number // 60:02d}:{number % 60:02d}:00Z",
    }


def write_seed(folder: Path, name: str, seed: Seed) -> None:
    """Write one seed file: JSON values are YAML, so each field is one line."""
    fields = {k: v for k, v in seed.items() if k != "body"}
    fields["webUrl"] = f"https://news.example.com/{name}"
    lines = ["---", *(f"{k}: {json.dumps(v)}" for k, v in fields.items()), "---"]
    (folder / f"{name}.md").write_text("\n".join(lines) + "\n" + seed.get("body", ""), "utf-8")


def build(folder: Path, seeds: dict[str, Seed]) -> Path:
    """Write `seeds` into folder/seeds, build folder/index; return the generation folder."""
    (folder / "seeds").mkdir(parents=True, exist_ok=True)
    for name, seed in seeds.items():
        write_seed(folder / "seeds", name, seed)
    build_index(folder / "seeds", folder / "index", progress=False)
    generation = current_generation(folder / "index")
    assert generation is not None
    return generation


def build_two_segments(folder: Path) -> Path:
    """Build SEEDS, then incrementally: robots retitled (its old document deleted in the
    first segment) and a new article; return the generation of two segments."""
    build(folder, SEEDS)
    changed = {**SEEDS["robots"], "title": "Robots leave airports"}
    write_seed(folder / "seeds", "robots", changed)
    write_seed(folder / "seeds", "extra", {**SEEDS["market"], "title": "Facial recognition"})
    report = build_index(folder / "seeds", folder / "index", incremental=True, progress=False)
    assert (report.added, report.updated, report.deleted) == (1, 1, 0)
    generation = current_generation(folder / "index")
    assert generation is not None
    shutil.rmtree(folder / "seeds")
    return generation


@contextlib.contextmanager
def open_reader(generation: Path) -> Iterator[Any]:
    """Yield stock Whoosh's reader of a generation folder."""
    ix = whoosh_index.open_dir(str(generation))
    reader = ix.reader()
    try:
        yield reader
    finally:
        reader.close()
        ix.close()


def names_of(reader: Any, numbers: Any) -> list[str]:
    """Return the seed names of document numbers, in the order given."""
    return [reader.stored_fields(int(n))["url"].rsplit("/", 1)[1] for n in numbers]


def number_of(reader: Any, name: str) -> int:
    """Return the live document number of seed `name`."""
    for number, fields in reader.iter_docs():
        if fields["url"].endswith(f"/{name}"):
            return int(number)
    raise KeyError(name)


def whoosh_postings(reader: Any, field: str, term: str) -> list[tuple[int, float, list[int]]]:
    """Return (document, weight, positions) of every live posting, as Whoosh reads them."""
    if (field, term) not in reader:
        return []
    matcher = reader.postings(field, term)
    found = []
    while matcher.is_active():
        found.append((int(matcher.id()), float(matcher.weight()), matcher.value_as("positions")))
        matcher.next()
    return found


def whoosh_matches(reader: Any, query: Any) -> list[int]:
    """Return the document numbers Whoosh's own searcher finds for `query`, sorted."""
    with Searcher(reader, closereader=False) as searcher:
        return sorted(int(n) for n in searcher.docs_for_query(query))


def alive_mask(reader: Any) -> npt.NDArray[np.bool_]:
    """Return which document numbers are live (not deleted)."""
    size = reader.doc_count_all()
    return np.array([not reader.is_deleted(n) for n in range(size)], np.bool_)


def make_evaluator(reader: Any) -> Evaluator:
    """Return an Evaluator over `reader`, built as a Snapshot builds it."""
    postings = PostingCache(reader, reader.doc_count_all())

    @contextlib.contextmanager
    def searcher() -> Iterator[Any]:
        with postings.lock:
            yield Searcher(reader, closereader=False)

    return Evaluator(postings, alive_mask(reader), searcher)


def text_terms(reader: Any, fields: tuple[str, ...]) -> list[tuple[str, str]]:
    """Return every (field, term) of `reader` in `fields`."""
    return [
        (field, text.decode("utf-8") if isinstance(text, bytes) else text)
        for field, text in reader.all_terms()
        if field in fields
    ]

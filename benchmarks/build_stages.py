"""Where a full build's time goes: wall and CPU seconds of each stage, in one process.

    PYTHONPATH=TREE python benchmarks/build_stages.py --seeds SEEDS --out DIR [--json PATH]

Runs the steps of `build_index` one after another, as it does (discovering and parsing
the seed files, the Whoosh segments in forked writers with their word counts, the
records for --incremental, the columns, stories and texts to embed, words.json, the
checksums), and reports each stage's wall seconds and CPU seconds of this process and
the forked children it reaped. Run by path with PYTHONPATH set to each tree to compare
trees (it imports only `search`, from the tree under test).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from search.ingest.corpus import discover, merge, parse_files
from search.local.store import segments as writers
from search.local.store.checksums import write_checksums
from search.local.store.document_tables import write_from_documents
from search.local.store.manifest import FileRecord, write_records
from search.local.store.vocabulary import write_words
from search.model import ParsedFile

Result = TypeVar("Result")


def cpu_seconds() -> float:
    """Return the CPU seconds of this process and of its reaped children."""
    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    )


def stages(seeds: Path, out: Path) -> dict[str, Any]:
    """Build `seeds` into the emptied folder `out` stage by stage; return the timings."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    timings: dict[str, dict[str, float]] = {}

    def stage(name: str, call: Callable[[], Result]) -> Result:
        wall, cpu = time.perf_counter(), cpu_seconds()
        result = call()
        timings[name] = {
            "wall_s": round(time.perf_counter() - wall, 2),
            "cpu_s": round(cpu_seconds() - cpu, 2),
        }
        return result

    def parse() -> tuple[list[FileRecord], list[Any]]:
        files, _ = discover(seeds)
        results = parse_files(files, False)
        records = [
            FileRecord(f.relative, f.size, f.mtime_ns, r)
            for f, r in zip(files, results, strict=True)
            if isinstance(r, ParsedFile)
        ]
        return records, merge(r.parsed for r in records).documents

    records, documents = stage("parse (discover, read, merge)", parse)
    words = stage(
        "segments (forked writers, word counts)",
        lambda: writers.write_all(out, documents, progress=False, checkpoint=lambda _: None),
    )
    stage("records.jsonl", lambda: write_records(out / "records.jsonl", records))
    stage(
        "columns, stories, texts",
        lambda: write_from_documents(out, documents, embeddings=False),
    )
    stage("words.json", lambda: write_words(out, words))
    stage("checksums", lambda: write_checksums(out))
    return {"documents": len(documents), "load_1min": os.getloadavg()[0], "stages": timings}


def main() -> None:
    """Parse the command line, time the stages, print (and save) them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = stages(args.seeds, args.out)
    print(json.dumps(result, indent=2))  # noqa: T201
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

"""Writing a generation's per-document columns: columns.npz and columns.json.

Built once when a generation is written, beside the Whoosh files, from one Row per
document in document-number order; `columns.Columns` loads them for searching.
"""

from __future__ import annotations

import array as stdarray
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from search.facets import KEYWORD_FACETS
from search.local.store.document_ids import IDS, id_values
from search.model import Article

ARRAYS = "columns.npz"
NAMES = "columns.json"
NO_DATE = np.iinfo(np.int64).min  # minutes since 1970 of a document without a date
EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class Row:
    """What the columns need from one document: its keyword facets' values and date."""

    keywords: dict[str, tuple[str, ...]]  # facet name -> values (search.facets)
    published: datetime | None
    deleted: bool = False
    id: str | None = None  # the public id (document_ids)


def article_row(document: Article | Mapping[str, Any] | None) -> Row:
    """Return the Row of an Article or of a document's stored fields (None: deleted)."""
    if document is None:
        return Row({}, None, deleted=True)
    if isinstance(document, Mapping):
        published, doc_id = document.get("published"), document.get("id")
    else:
        published, doc_id = document.published, document.id
    return Row({f.name: f.values(document) for f in KEYWORD_FACETS}, published, id=doc_id)


def _display_names(counter: dict[str, Counter[str]]) -> tuple[list[str], dict[str, int]]:
    """Return (display names in id order, {casefolded name: id}); the commonest spelling wins."""
    keys = sorted(counter)
    names = [counter[key].most_common(1)[0][0] for key in keys]
    return names, {key: number for number, key in enumerate(keys)}


def write_columns(folder: Path, rows: Iterable[Row]) -> None:
    """Compute the columns of `rows` (in document-number order) and save them in `folder`.

    Per keyword facet NAME: a single-valued one is array NAME (value id per document,
    -1 for none); a multi-valued one is the pairs NAME_doc, NAME_id. Display names
    go to columns.json under NAME. The documents' ids are array "ids" (document_ids),
    when every live row has one. The rows are read once, as they come, and not kept."""
    published = stdarray.array("q")
    alive = stdarray.array("b")
    spellings: dict[str, dict[str, Counter[str]]] = {f.name: {} for f in KEYWORD_FACETS}
    shared: dict[str, str] = {}  # one string per casefolded value (of any facet)
    # per facet: (document, casefolded value) pairs, each value one shared string
    pairs: dict[str, tuple[stdarray.array[int], list[str]]] = {
        f.name: (stdarray.array("i"), []) for f in KEYWORD_FACETS
    }
    doc_ids: list[str | None] = []
    every_id = True
    for number, row in enumerate(rows):
        alive.append(not row.deleted)
        doc_ids.append(None if row.deleted else row.id)
        every_id = every_id and (row.deleted or row.id is not None)
        when = row.published
        published.append(NO_DATE if when is None else int((when - EPOCH).total_seconds() // 60))
        for facet in KEYWORD_FACETS:
            values = row.keywords.get(facet.name, ())
            if not values:
                continue
            counted = spellings[facet.name]
            keys = []
            for value in values:
                key = value.casefold()
                key = shared.setdefault(key, key)
                counted.setdefault(key, Counter())[value] += 1
                keys.append(key)
            docs, kept = pairs[facet.name]
            for key in dict.fromkeys(keys) if facet.multi else keys[:1]:
                docs.append(number)
                kept.append(key)
    count = len(published)
    arrays: dict[str, npt.NDArray[Any]] = {
        "published": np.frombuffer(published, np.int64).copy(),
        "alive": np.frombuffer(alive, np.int8).astype(np.bool_),
    }
    if every_id:
        arrays[IDS] = id_values(doc_ids)
    del doc_ids
    names: dict[str, list[str]] = {}
    for facet in KEYWORD_FACETS:
        names[facet.name], ids = _display_names(spellings[facet.name])
        docs, kept = pairs[facet.name]
        value_ids = np.array([ids[key] for key in kept], dtype=np.int32)
        if facet.multi:
            arrays[f"{facet.name}_doc"] = np.frombuffer(docs, np.int32).copy()
            arrays[f"{facet.name}_id"] = value_ids
        else:
            single = np.full(count, -1, dtype=np.int32)
            single[np.frombuffer(docs, np.int32)] = value_ids
            arrays[facet.name] = single
    np.savez(folder / ARRAYS, **arrays)  # type: ignore[arg-type]
    (folder / NAMES).write_text(json.dumps(names, ensure_ascii=False), encoding="utf-8")

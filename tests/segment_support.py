"""Everything a Whoosh index holds, read through Whoosh's public reader, for comparing
two writers' indexes of the same documents (tests/test_segment_files.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from search.local.store.schema import TEXT_FIELDS


def index_contents(folder: Path) -> dict[str, Any]:
    """Return {"terms": {(field, term): (term stats, postings)}, "stored": [...],
    "lengths": {field: [...]}, "totals": {field: n}, "documents": n} of an index, with
    document numbers counted across segments."""
    ix = whoosh_index.open_dir(str(folder))
    try:
        with ix.reader() as reader:
            schema = ix.schema
            terms: dict[tuple[str, bytes], Any] = {}
            for (field, text), info in _term_infos(reader):
                matcher = reader.postings(field, text)
                postings = []
                decode = schema[field].format.decode_positions if field in TEXT_FIELDS else None
                while matcher.is_active():
                    value = matcher.value()
                    postings.append(
                        (matcher.id(), matcher.weight(), decode(value) if decode else value)
                    )
                    matcher.next()
                terms[(field, text)] = (info, postings)
            count = reader.doc_count_all()
            return {
                "terms": terms,
                "stored": [reader.stored_fields(n) for n in range(count)],
                "lengths": {
                    f: [reader.doc_field_length(n, f, 0) for n in range(count)] for f in TEXT_FIELDS
                },
                "totals": {f: reader.field_length(f) for f in TEXT_FIELDS},
                "documents": count,
            }
    finally:
        ix.close()


def _term_infos(reader: Any) -> list[tuple[tuple[str, bytes], tuple[Any, ...]]]:
    """Return ((field, term bytes), statistics) of every term, summed over segments."""
    found = []
    for field, text in reader.all_terms():
        info = reader.term_info(field, text)
        found.append(
            (
                (field, text),
                (
                    info.weight(),
                    info.doc_frequency(),
                    info.min_length(),
                    info.max_length(),
                    info.max_weight(),
                    info.min_id(),
                    info.max_id(),
                ),
            )
        )
    return found

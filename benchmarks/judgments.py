"""The judged query set of the relevance evaluation (docs/RELEVANCE.md).

Two sources, both in judgments.json beside this module:

- story queries: one per article of the real corpus with a non-empty `related` list,
  a few words of its title as a reader would type them. Judgments come from the corpus
  itself: the article is grade 2, the documents of its `related` list grade 1, and so is
  any other document a person judged to be coverage of the same story (`same_story`).
- hand queries: topics, provider names, misspellings and phrases, judged by reading the
  titles and excerpts of the corpus (grade 2 squarely on the subject, 1 partly).

Ids are the public document ids after merging (search.identity.doc_id of the canonical
URL), so they are the ids the engine returns. Loading checks every id and title against
the corpus, so a changed corpus fails loudly instead of silently judging wrong documents.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from search.identity import doc_id
from search.ingest.corpus import discover, merge, parse_files
from search.model import Article, ParsedFile

JUDGMENTS = Path(__file__).with_name("judgments.json")
TUNING = "tuning"
HELD_OUT = "held-out"
SPLITS = (TUNING, HELD_OUT)
KINDS = ("story", "topic", "provider", "misspelling", "phrase")
HELD_OUT_EVERY = 3  # of each kind's queries in hash order, every third is held out


class JudgmentError(ValueError):
    """The judged set does not fit the corpus (unknown id, changed title, missing query)."""


@dataclass(frozen=True)
class Query:
    """One judged query: what a reader types, and the grade of each relevant document."""

    name: str  # stable and unique: "story-<article id>" or a slug of the text
    kind: str  # one of KINDS
    q: str
    grades: Mapping[str, int]  # document id -> 2 or 1; every other document is 0
    split: str  # TUNING or HELD_OUT


def default_corpus() -> Path:
    """Return the real corpus: SEARCH_CORPUS, else ../shared/corpus beside the repository."""
    configured = os.environ.get("SEARCH_CORPUS")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "shared" / "corpus"


def load_documents(corpus: Path) -> list[Article]:
    """Return the corpus's documents after merging, exactly as the indexer sees them."""
    files, _ = discover(corpus)
    parsed = [r for r in parse_files(files, progress=False) if isinstance(r, ParsedFile)]
    return merge(parsed).documents


def _hash(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()


def assign_splits(queries: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Return {query text: split} for (kind, text) pairs.

    Within each kind the texts are ordered by a hash of the text and every third is held
    out, so each kind is split about 2:1 and the split depends only on the set of texts."""
    splits: dict[str, str] = {}
    for kind in sorted({k for k, _ in queries}):
        texts = sorted((t for k, t in queries if k == kind), key=lambda t: (_hash(t), t))
        for rank, text in enumerate(texts):
            held = rank % HELD_OUT_EVERY == HELD_OUT_EVERY - 1
            splits[text] = HELD_OUT if held else TUNING
    return splits


def _check_title(by_id: Mapping[str, Article], entry: Mapping[str, Any], key: str) -> Article:
    document = by_id.get(entry[key])
    if document is None:
        raise JudgmentError(f"judged document {entry[key]} ({entry.get('title')!r}) not in corpus")
    if entry.get("title") is not None and entry["title"] != document.title:
        raise JudgmentError(
            f"document {entry[key]} is titled {document.title!r}, judged as {entry['title']!r}"
        )
    return document


def load_queries(documents: Sequence[Article], path: Path = JUDGMENTS) -> list[Query]:
    """Return the judged queries for `documents` (raises JudgmentError if they do not fit)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    by_id = {d.id: d for d in documents}
    same_story: dict[str, set[str]] = {}
    for group in data["same_story"]:
        members = {_check_title(by_id, entry, "id").id for entry in group["documents"]}
        for member in members:
            same_story.setdefault(member, set()).update(members - {member})
    raw: list[tuple[str, str, str, dict[str, int]]] = []  # name, kind, q, grades
    covered: set[str] = set()
    for entry in data["story_queries"]:
        article = _check_title(by_id, entry, "article")
        if not article.related:
            raise JudgmentError(f"story query {entry['q']!r}: {article.id} lists no related")
        grades = {article.id: 2}
        for key in article.related:
            grades.setdefault(doc_id(key), 1)
        for other in sorted(same_story.get(article.id, ())):
            grades.setdefault(other, 1)
        covered.add(article.id)
        raw.append((f"story-{article.id}", "story", entry["q"], grades))
    missing = [d.id for d in documents if d.related and d.id not in covered]
    if missing:
        raise JudgmentError(f"articles with related coverage but no story query: {missing}")
    for entry in data["queries"]:
        if entry["kind"] not in KINDS:
            raise JudgmentError(f"query {entry['q']!r}: unknown kind {entry['kind']!r}")
        grades = {}
        for judged in entry["relevant"]:
            _check_title(by_id, judged, "id")
            if judged["grade"] not in (1, 2) or judged["id"] in grades:
                raise JudgmentError(f"query {entry['q']!r}: bad or repeated {judged['id']}")
            grades[judged["id"]] = judged["grade"]
        raw.append((entry["name"], entry["kind"], entry["q"], grades))
    for label, values in (("name", [r[0] for r in raw]), ("text", [r[2] for r in raw])):
        if len(set(values)) != len(values):
            raise JudgmentError(f"query {label}s must be unique")
    for name, _, _, grades in raw:
        for judged_id in grades:
            if judged_id not in by_id:
                raise JudgmentError(f"query {name}: judged document {judged_id} not in corpus")
    splits = assign_splits([(kind, q) for _, kind, q, _ in raw])
    return [Query(name, kind, q, grades, splits[q]) for name, kind, q, grades in raw]

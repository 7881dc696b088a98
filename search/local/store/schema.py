"""The one Whoosh schema, and how an Article becomes the fields of one document.

Text fields use Whoosh's StemmingAnalyzer (stop words) with Snowball English stems
(`snowball_stem`), so the query parser and the highlighter see exactly the terms the
index holds. Indexing goes through FastPositions, which produces the same terms and
positions as that analyzer in one pass instead of a chain of generators: the analysis
chain is most of the cost of a Whoosh build. tests/test_stemming.py checks the two
agree, term for term.

Stemmers: generations of schema version 3 on index Snowball English ("snowball-english"
in their meta.json); older ones indexed whoosh3's Porter, which skips the
double-consonant step (running -> runn). Each generation's pickled schema keeps the
stem function it was built with, so the query parser always agrees with its index;
`stem_word`, for the code that stems outside the parser (highlights, proximity,
plain-text slots), follows the stemmer of the snapshot in use (`using_stemmer`).
"""

from __future__ import annotations

import contextlib
import re
import sys
import threading
from array import array
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import Any

from snowballstemmer.english_stemmer import EnglishStemmer  # type: ignore[import-untyped]
from whoosh import fields, formats
from whoosh.analysis import STOP_WORDS, StemmingAnalyzer
from whoosh.lang.porter import stem as porter_stem
from whoosh.system import pack_uint

from search.identity import doc_id
from search.local.whoosh_compat import INT_SIZE
from search.model import Article

# Relative weights for BM25F: a word in the title says more than one in the excerpt or
# body. The engine applies them at query time, so they can be tuned without a rebuild.
FIELD_WEIGHTS = {"title": 3.0, "excerpt": 1.5, "body": 1.0, "topic": 1.5, "provider": 1.0}
TEXT_FIELDS = ("title", "excerpt", "body", "topic", "provider")

TOKEN = re.compile(r"[\w\*]+(\.?[\w\*]+)*")  # whoosh.analysis.tokenizers.default_pattern
# The same tokens, without the group: findall() then returns whole tokens, as strings
TOKENS = re.compile(r"[\w\*]+(?:\.?[\w\*]+)*")
_MIN_SIZE = 2  # StopFilter's default minsize
_BIG_ENDIAN = sys.byteorder == "big"
assert array("I").itemsize == 4
_STEM_CACHE_LIMIT = 500_000  # words per stemmer; bounded so a hostile corpus cannot exhaust memory

SNOWBALL = "snowball-english"  # what this code indexes; recorded in each generation's meta
PORTER = "porter"  # whoosh3's Porter: generations of schema version 2 and before
# One stemmer object per thread: it keeps state while stemming. The generated pure-Python
# module is imported directly because `snowballstemmer.stemmer()` hands out PyStemmer's
# compiled algorithms whenever that happens to be installed, of another version than the
# one pinned in pyproject.toml (the index's terms must not depend on what is installed).
_snowball = threading.local()


def snowball_stem(word: str) -> str:
    """Return the Snowball English (Porter2) stem of a lowercase word.

    Pickled by name into every generation's schema (StemFilter keeps its stem function):
    never rename or move it, or those generations can no longer be opened."""
    stemmer = getattr(_snowball, "stemmer", None)
    if stemmer is None:
        stemmer = _snowball.stemmer = EnglishStemmer()
    result: str = stemmer.stemWord(word)
    return result


class Stemmer:
    """A named stem function with a bounded cache of the words it has stemmed."""

    def __init__(self, name: str, function: Callable[[str], str]) -> None:
        self.name = name
        self.function = function
        self.cache: dict[str, str] = {}

    def __call__(self, word: str) -> str:
        """Return the stem of a lowercase word."""
        term = self.cache.get(word)
        if term is None:
            term = self.function(word)
            if len(self.cache) < _STEM_CACHE_LIMIT:
                self.cache[word] = term
        return term


STEMMERS = {SNOWBALL: Stemmer(SNOWBALL, snowball_stem), PORTER: Stemmer(PORTER, porter_stem)}
_BUILD = STEMMERS[SNOWBALL]  # new generations: analyze() and build_schema()
_STEMS = _BUILD.cache
# The stemmer of the snapshot a search is using (Snapshot.acquire pushes it), so code that
# stems query or document words itself agrees with the generation it reads.
_IN_USE: ContextVar[tuple[Stemmer, ...]] = ContextVar("stemmers_in_use", default=())


def stemmer_named(name: str) -> Stemmer:
    """Return the stemmer a generation's meta names (raises ValueError for an unknown one)."""
    try:
        return STEMMERS[name]
    except KeyError:
        raise ValueError(f"unknown stemmer {name!r} (known: {', '.join(STEMMERS)})") from None


def push_stemmer(stemmer: Stemmer) -> None:
    """Make `stemmer` the one `stem_word` uses in this thread (or task) until pop_stemmer."""
    _IN_USE.set((*_IN_USE.get(), stemmer))


def pop_stemmer() -> None:
    """Undo the latest push_stemmer of this thread (or task)."""
    _IN_USE.set(_IN_USE.get()[:-1])


@contextlib.contextmanager
def using_stemmer(stemmer: Stemmer) -> Iterator[None]:
    """Make `stem_word` use `stemmer` within the block."""
    push_stemmer(stemmer)
    try:
        yield
    finally:
        pop_stemmer()


def stemmer_in_use() -> Stemmer:
    """Return the stemmer of the generation being searched in this thread (or task):
    the latest push_stemmer's, Snowball English outside any search."""
    in_use = _IN_USE.get()
    return in_use[-1] if in_use else _BUILD


def stem_word(word: str) -> str:
    """Return the indexed form of a lowercase word in the generation being searched
    (stemmer_in_use), cached."""
    return stemmer_in_use()(word)


def indexed_term(word: str) -> str | None:
    """Return the term StemmingAnalyzer indexes for a lowercase token (its Snowball stem),
    or None for a token it drops (a stop word, or shorter than two characters)."""
    if len(word) < _MIN_SIZE or word in STOP_WORDS:
        return None
    return _STEMS.get(word) or _BUILD(word)


def analyze(text: str) -> dict[str, list[int]]:
    """Return {stemmed term: positions} exactly as StemmingAnalyzer would index `text`."""
    positions: dict[str, list[int]] = {}
    pos = -1
    for index, match in enumerate(TOKEN.finditer(text)):
        word = match.group().lower()
        if len(word) < _MIN_SIZE or word in STOP_WORDS:
            continue
        term = _STEMS.get(word) or _BUILD(word)
        # StopFilter(renumber=True): the first kept token keeps its place, later ones follow on
        pos = index if pos < 0 else pos + 1
        if term in positions:
            positions[term].append(pos)
        else:
            positions[term] = [pos]
    return positions


class FastPositions(formats.Positions):  # type: ignore[misc]
    """Whoosh's Positions format, indexing plain strings through `analyze` in one pass,
    with positions stored as raw little-endian uint32 instead of a pickle per posting:
    cheaper to write, and the engine reads them straight into NumPy for phrases."""

    def encode(self, poslist: Any) -> bytes:
        """Return the posting value: the count, then the positions as uint32."""
        values = array("I", poslist)
        if _BIG_ENDIAN:
            values.byteswap()
        return bytes(pack_uint(len(values))) + values.tobytes()

    def decode_positions(self, valuestring: bytes) -> list[int]:
        """Return the positions of a posting value written by `encode`."""
        values = array("I")
        values.frombytes(valuestring[INT_SIZE:])
        if _BIG_ENDIAN:
            values.byteswap()
        return values.tolist()

    def word_values(
        self, value: Any, analyzer: Any, **kwargs: Any
    ) -> Iterable[tuple[str, int, float, bytes]]:
        """Yield (term, frequency, weight, encoded positions) for each distinct term."""
        if not isinstance(value, str):
            yield from super().word_values(value, analyzer, **kwargs)
            return
        boost = self.field_boost
        encode = self.encode
        for term, poslist in analyze(value).items():
            yield term, len(poslist), len(poslist) * boost, encode(poslist)


def _text_field(stored: bool) -> fields.TEXT:
    field = fields.TEXT(analyzer=StemmingAnalyzer(stemfn=snowball_stem), stored=stored, phrase=True)
    field.format = FastPositions(field_boost=field.format.field_boost)
    return field


def build_schema() -> fields.Schema:
    """Return the schema of every index generation."""
    return fields.Schema(
        # Stored, not indexed: the columns find documents by id (local.store.document_ids);
        # generations of schema version 3 and before index it as a unique ID term.
        id=fields.STORED(),
        kind=fields.ID(stored=True),
        title=_text_field(stored=True),
        excerpt=_text_field(stored=True),
        body=_text_field(stored=True),
        topic=_text_field(stored=False),  # words of topic names, for `topic:vision`
        provider=_text_field(stored=False),  # words of the provider name and domain
        # Exact, case-insensitive terms for filters written as queries. Facets, filters and
        # date sorting read per-document columns instead (local.store.columns): a DATETIME field
        # indexes ~9 terms per date and Whoosh's sortable columns cost as much to write.
        topic_key=fields.KEYWORD(lowercase=True, commas=True),
        provider_key=fields.ID(),
        published=fields.STORED(),  # naive UTC datetime
        topics=fields.STORED(),  # display names, in the seed's order
        provider_name=fields.STORED(),
        provider_domain=fields.STORED(),
        url=fields.STORED(),
        image=fields.STORED(),
        category=fields.STORED(),
        type=fields.STORED(),
        quality=fields.STORED(),
        source=fields.STORED(),
        key=fields.STORED(),
        related=fields.STORED(),  # ids of the related coverage an article lists
    )


def article_fields(article: Article) -> dict[str, Any]:
    """Return the keyword arguments of writer.add_document for one article."""
    values: dict[str, Any] = {
        "id": article.id,
        "kind": article.kind,
        "title": article.title,
        "key": article.key,
        "source": article.source,
        "topics": list(article.topics),
    }
    if article.excerpt:
        values["excerpt"] = article.excerpt
    if article.body:
        values["body"] = article.body
    if article.topics:
        values["topic"] = " ".join(article.topics)
        values["topic_key"] = ",".join(t.replace(",", " ") for t in article.topics)
    if article.provider_name or article.provider_domain:
        values["provider"] = " ".join(
            filter(None, (article.provider_name, article.provider_domain))
        )
        values["provider_key"] = (article.provider_name or article.provider_domain or "").lower()
        values["provider_name"] = article.provider_name
        values["provider_domain"] = article.provider_domain
    if article.published is not None:
        values["published"] = article.published
    for name in ("url", "image", "category", "type", "quality"):
        value = getattr(article, name)
        if value is not None:
            values[name] = value
    if article.related:
        values["related"] = [doc_id(key) for key in article.related]
    return values

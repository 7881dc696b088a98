"""The one Whoosh schema, and how an Article becomes the fields of one document.

Text fields use Whoosh's StemmingAnalyzer (English Porter stems, stop words), so the
query parser and the highlighter see exactly the terms the index holds. Indexing goes
through FastPositions, which produces the same terms and positions as that analyzer
in one pass instead of a chain of generators: the analysis chain is most of the cost
of a Whoosh build. tests/test_schema.py checks the two agree, term for term.
"""

from __future__ import annotations

import re
import sys
from array import array
from collections.abc import Iterable
from typing import Any

from whoosh import fields, formats
from whoosh.analysis import STOP_WORDS, StemmingAnalyzer
from whoosh.lang.porter import stem
from whoosh.system import pack_uint

from search.identity import doc_id
from search.local.whoosh_compat import INT_SIZE
from search.model import Article

# Relative weights for BM25F: a word in the title says more than one in the excerpt or
# body. The engine applies them at query time, so they can be tuned without a rebuild.
FIELD_WEIGHTS = {"title": 3.0, "excerpt": 1.5, "body": 1.0, "topic": 1.5, "provider": 1.0}
TEXT_FIELDS = ("title", "excerpt", "body", "topic", "provider")

TOKEN = re.compile(r"[\w\*]+(\.?[\w\*]+)*")  # whoosh.analysis.tokenizers.default_pattern
_MIN_SIZE = 2  # StopFilter's default minsize
_STEMS: dict[str, str] = {}
_BIG_ENDIAN = sys.byteorder == "big"
assert array("I").itemsize == 4
_STEM_CACHE_LIMIT = 500_000  # words; bounded so a hostile corpus cannot exhaust memory


def stem_word(word: str) -> str:
    """Return the indexed form of a lowercase word (Porter stem, cached)."""
    term = _STEMS.get(word)
    if term is None:
        term = stem(word)
        if len(_STEMS) < _STEM_CACHE_LIMIT:
            _STEMS[word] = term
    return term


def analyze(text: str) -> dict[str, list[int]]:
    """Return {stemmed term: positions} exactly as StemmingAnalyzer would index `text`."""
    positions: dict[str, list[int]] = {}
    pos = -1
    for index, match in enumerate(TOKEN.finditer(text)):
        word = match.group().lower()
        if len(word) < _MIN_SIZE or word in STOP_WORDS:
            continue
        term = _STEMS.get(word) or stem_word(word)
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
    field = fields.TEXT(analyzer=StemmingAnalyzer(), stored=stored, phrase=True)
    field.format = FastPositions(field_boost=field.format.field_boost)
    return field


def build_schema() -> fields.Schema:
    """Return the schema of every index generation."""
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
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

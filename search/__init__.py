"""Full-text search for news archives: seed files in, ranked faceted search out.

from search import Settings, SearchRequest, build_index, open_backend
build_index(Path("seeds"), Path("index"))
backend = open_backend(Settings(index_dir=Path("index")))
result = backend.search(SearchRequest(q="facial recognition", filters={"topic": ["AI"]}))
"""

from search.backend import Backend, build_index, open_backend
from search.config import Settings
from search.errors import BadQuery, DocumentNotFound, IndexMissing, SearchError, SeedError
from search.model import Article, IndexReport
from search.request import SearchRequest
from search.results import SearchResult

__version__ = "0.1.0"

__all__ = [
    "Article",
    "Backend",
    "BadQuery",
    "DocumentNotFound",
    "IndexMissing",
    "IndexReport",
    "SearchError",
    "SearchRequest",
    "SearchResult",
    "SeedError",
    "Settings",
    "__version__",
    "build_index",
    "open_backend",
]

"""Full-text search for news archives: seed files in, ranked faceted search out."""

from search.documents import Article
from search.errors import SearchError
from search.indexer import IndexReport, build_index

__version__ = "0.1.0"

__all__ = ["Article", "IndexReport", "SearchError", "__version__", "build_index"]

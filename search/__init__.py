"""Full-text search for news archives: seed files in, ranked faceted search out."""

from search.errors import SearchError
from search.local.store.build import build_index
from search.model import Article, IndexReport

__version__ = "0.1.0"

__all__ = ["Article", "IndexReport", "SearchError", "__version__", "build_index"]

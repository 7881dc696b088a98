"""The OpenSearch backend: the same API, page and CLI on a cluster (`--backend opensearch`).

Builds write a new index and move an alias to it atomically (the cluster's form of
generations); searches translate our request into OpenSearch's query DSL (never a
`query_string`), with the same matching strategies, disjunctive facets and answers as
the local backend. The only package importing `opensearchpy`.
"""

from search.opensearch.backend import OpenSearchBackend

__all__ = ["OpenSearchBackend"]

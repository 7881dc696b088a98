"""Connecting to a cluster: the address from settings, credentials only from the environment.

    SEARCH_OPENSEARCH_URL        https://host:9200 (or several, comma-separated)
    SEARCH_OPENSEARCH_INDEX      the alias searches read (default "news")
    SEARCH_OPENSEARCH_USER       with SEARCH_OPENSEARCH_PASSWORD: HTTP basic auth
    SEARCH_OPENSEARCH_CA_CERTS   a CA bundle for TLS
    SEARCH_OPENSEARCH_VERIFY     0: do not verify TLS certificates (test clusters only)
    SEARCH_OPENSEARCH_SHARDS     primary shards of new indexes (default 1)
    SEARCH_OPENSEARCH_REPLICAS   replicas of new indexes (default 0: a single node)

Credentials never come from the command line and never appear in a message: `shown()`
strips any user:password from an address before it is printed or logged.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from opensearchpy import OpenSearch
from opensearchpy import exceptions as os_errors

from search.errors import BackendUnavailable, SearchError

DEFAULT_ALIAS = "news"
TIMEOUT = 10.0  # seconds per request to the cluster
POOL_SIZE = 32  # connections kept per node: one per concurrent search of a worker
RETRIES = 3  # a request that fails on one node is retried on the next (connection errors)


@dataclass(frozen=True)
class Cluster:
    """Where the cluster is and what the alias is called."""

    urls: tuple[str, ...]
    alias: str = DEFAULT_ALIAS
    shards: int = 1
    replicas: int = 0

    @classmethod
    def from_env(cls, url: str | None = None, alias: str | None = None) -> Cluster:
        """Return the cluster `url` (else SEARCH_OPENSEARCH_URL) names; raise SearchError
        when neither gives one."""
        raw = url or os.environ.get("SEARCH_OPENSEARCH_URL") or ""
        urls = tuple(u.strip() for u in raw.split(",") if u.strip())
        if not urls:
            raise SearchError(
                "the opensearch backend needs an address: --opensearch-url or SEARCH_OPENSEARCH_URL"
            )
        return cls(
            urls,
            alias or os.environ.get("SEARCH_OPENSEARCH_INDEX") or DEFAULT_ALIAS,
            shards=int(os.environ.get("SEARCH_OPENSEARCH_SHARDS") or 1),
            replicas=int(os.environ.get("SEARCH_OPENSEARCH_REPLICAS") or 0),
        )

    def shown(self) -> str:
        """Return the addresses without any credentials, for messages and logs."""
        return ", ".join(_without_credentials(u) for u in self.urls)

    def client(self) -> OpenSearch:
        """Return a client for the cluster (credentials and TLS from the environment)."""
        options: dict[str, Any] = {
            "timeout": TIMEOUT,
            "max_retries": RETRIES,
            "retry_on_timeout": True,
            "retry_on_status": (502, 503, 504),
            "maxsize": POOL_SIZE,
        }
        user = os.environ.get("SEARCH_OPENSEARCH_USER")
        if user:
            options["http_auth"] = (user, os.environ.get("SEARCH_OPENSEARCH_PASSWORD", ""))
        ca = os.environ.get("SEARCH_OPENSEARCH_CA_CERTS")
        if ca:
            options["ca_certs"] = ca
        if os.environ.get("SEARCH_OPENSEARCH_VERIFY") == "0":
            options["verify_certs"] = False
            options["ssl_show_warn"] = False
        return OpenSearch(list(self.urls), **options)


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


UNAVAILABLE = (os_errors.ConnectionError, os_errors.ConnectionTimeout)
PARTIAL_RETRIES = 3  # a node lost mid-search: by the next try the cluster reads the replica
PARTIAL_PAUSE_S = 0.2  # times the try number; long enough for the node to be noticed gone


def failed_shards(found: object) -> int:
    """Return how many shards failed to answer a search, count or multi-search (failed
    answers of a multi-search count as whole failures when the cluster is at fault).

    OpenSearch answers 200 with the hits of the shards that did answer when others fail
    (a node killed mid-search, say) or have no copy left (a lost primary without a
    replica, counted in total but not in failed): totals, facets and hits would be short."""
    if not isinstance(found, dict):
        return 0
    failed = 0
    for part in found.get("responses") or [found]:
        if not isinstance(part, dict):
            continue
        error = part.get("error")
        if error is not None and int(part.get("status") or 500) >= 500:
            failed += 1
        shards = part.get("_shards")
        # Only answers about documents: index stats count unassigned replicas in total.
        if isinstance(shards, dict) and ("hits" in part or "count" in part):
            # A shard with no copy left counts in total, not in failed.
            missing = int(shards.get("total") or 0) - int(shards.get("successful") or 0)
            failed += max(missing, int(shards.get("failed") or 0))
    return failed


def unavailable(cluster: Cluster, exc: Exception) -> BackendUnavailable:
    """Return the 503 error for a cluster that cannot be reached or cannot answer."""
    reason = type(exc).__name__
    if isinstance(exc, os_errors.TransportError) and isinstance(exc.status_code, int):
        reason = f"HTTP {exc.status_code} {exc.error}"
    return BackendUnavailable(
        f"the search backend (OpenSearch at {cluster.shown()}) is unavailable ({reason}); "
        "try again shortly"
    )

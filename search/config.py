"""Settings shared by the CLI and the web app, with their environment overrides."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

BACKENDS = ("local", "opensearch")
HTTP_STACKS = ("httptools", "h11")  # `search serve --http`, the default first (search.web.stack)
DEFAULT_SEEDS = "seeds"
DEFAULT_INDEX = "index"
OFF = ("0", "off", "false", "no")


@dataclass(frozen=True)
class Settings:
    """Where the seeds and the index live, and who may call the API cross-origin."""

    seeds_dir: Path = Path(DEFAULT_SEEDS)
    index_dir: Path = Path(DEFAULT_INDEX)
    cors_origins: tuple[str, ...] = ()  # origins allowed to call the API from a browser
    result_cache: bool = True  # keep answers per generation (SEARCH_RESULT_CACHE=0: off)
    search_slots: int = 1  # searches a server worker runs at once (search.web.turns)
    backend: str = "local"  # "local" (Whoosh generations in index_dir) or "opensearch"
    opensearch_url: str | None = None  # the cluster (credentials only from the environment)
    opensearch_index: str | None = None  # the alias searched (default "news")
    notice: str = ""  # a line the page shows above everything (make demo-large: generated data)
    query_log: bool = True  # record searches (search.query_log; SEARCH_QUERY_LOG=0: off)
    query_log_dir: Path | None = None  # None: beside the index (SEARCH_QUERY_LOG_DIR)

    @classmethod
    def from_env(cls) -> Settings:
        """Return settings from SEARCH_SEEDS, SEARCH_INDEX, SEARCH_CORS_ORIGINS (comma-
        separated), SEARCH_RESULT_CACHE, SEARCH_SLOTS, SEARCH_NOTICE, SEARCH_QUERY_LOG (0, off,
        false or no: off) and SEARCH_QUERY_LOG_DIR, else the defaults."""
        origins = os.environ.get("SEARCH_CORS_ORIGINS", "")
        return cls(
            seeds_dir=Path(os.environ.get("SEARCH_SEEDS") or DEFAULT_SEEDS),
            index_dir=Path(os.environ.get("SEARCH_INDEX") or DEFAULT_INDEX),
            cors_origins=tuple(o.strip() for o in origins.split(",") if o.strip()),
            result_cache=os.environ.get("SEARCH_RESULT_CACHE", "1") != "0",
            search_slots=max(1, int(os.environ.get("SEARCH_SLOTS") or 1)),
            backend=os.environ.get("SEARCH_BACKEND") or "local",
            opensearch_url=os.environ.get("SEARCH_OPENSEARCH_URL") or None,
            opensearch_index=os.environ.get("SEARCH_OPENSEARCH_INDEX") or None,
            notice=os.environ.get("SEARCH_NOTICE", "").strip(),
            query_log=os.environ.get("SEARCH_QUERY_LOG", "1").strip().lower() not in OFF,
            query_log_dir=Path(folder)
            if (folder := os.environ.get("SEARCH_QUERY_LOG_DIR"))
            else None,
        )

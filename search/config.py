"""Settings shared by the CLI and the web app, with their environment overrides."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SEEDS = "seeds"
DEFAULT_INDEX = "index"


@dataclass(frozen=True)
class Settings:
    """Where the seeds and the index live, and who may call the API cross-origin."""

    seeds_dir: Path = Path(DEFAULT_SEEDS)
    index_dir: Path = Path(DEFAULT_INDEX)
    cors_origins: tuple[str, ...] = ()  # origins allowed to call the API from a browser
    result_cache: bool = True  # keep answers per generation (SEARCH_RESULT_CACHE=0: off)
    # Searches a server worker runs at once (SEARCH_SLOTS); the others wait in arrival
    # order. The GIL runs one at a time anyway, and when all run together each takes as
    # long as all of them: a search needing 30 ms alone takes 240 ms among eight. Two,
    # not one, so that one slow search (a wide wildcard) does not hold up the rest.
    search_slots: int = 2

    @classmethod
    def from_env(cls) -> Settings:
        """Return settings from SEARCH_SEEDS, SEARCH_INDEX, SEARCH_CORS_ORIGINS (comma-
        separated), SEARCH_RESULT_CACHE and SEARCH_SLOTS, else the defaults."""
        origins = os.environ.get("SEARCH_CORS_ORIGINS", "")
        return cls(
            seeds_dir=Path(os.environ.get("SEARCH_SEEDS") or DEFAULT_SEEDS),
            index_dir=Path(os.environ.get("SEARCH_INDEX") or DEFAULT_INDEX),
            cors_origins=tuple(o.strip() for o in origins.split(",") if o.strip()),
            result_cache=os.environ.get("SEARCH_RESULT_CACHE", "1") != "0",
            search_slots=max(1, int(os.environ.get("SEARCH_SLOTS") or 2)),
        )

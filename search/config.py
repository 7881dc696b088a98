"""Settings shared by the CLI and the web app, with their environment overrides."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SEEDS = "seeds"
DEFAULT_INDEX = "index"


@dataclass(frozen=True)
class Settings:
    """Where the seeds and the index live."""

    seeds_dir: Path = Path(DEFAULT_SEEDS)
    index_dir: Path = Path(DEFAULT_INDEX)

    @classmethod
    def from_env(cls) -> Settings:
        """Return settings from SEARCH_SEEDS and SEARCH_INDEX, else the defaults."""
        return cls(
            seeds_dir=Path(os.environ.get("SEARCH_SEEDS") or DEFAULT_SEEDS),
            index_dir=Path(os.environ.get("SEARCH_INDEX") or DEFAULT_INDEX),
        )

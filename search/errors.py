"""The one exception family of the project.

The core raises these; the CLI turns them into exit codes and the web layer into
HTTP statuses, so neither imports the other::

    SearchError                 base: anything the project reports on purpose
    ├── SeedError               one seed file is unusable (path, reason); the build skips it
    ├── IndexBusy               another rebuild holds the index lock
    ├── BuildError              a rebuild failed; the previous generation keeps serving
    ├── IndexMissing (503)      no index generation has been published yet
    ├── DocumentNotFound (404)  no document has the requested id
    ├── SearchTimeout (503)     one search ran past its time limit and was stopped
    ├── BackendUnavailable (503) the search cluster cannot be reached or cannot answer
    ├── IndexCorrupt (503)      the generation's files do not match their checksums
    ├── ExportInterrupted (503) a new generation was published while an export was sent
    └── BadQuery (400)          a request parameter is unusable (names the parameter)
"""

from __future__ import annotations

from pathlib import Path


class SearchError(Exception):
    """Base class: every error the project raises on purpose."""

    status_code = 500
    code = "error"


class SeedError(SearchError):
    """A seed file cannot become a document."""

    code = "bad_seed"

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class IndexBusy(SearchError):
    """Another process is rebuilding the index."""

    status_code = 409
    code = "index_busy"


class BuildError(SearchError):
    """A rebuild failed before publishing; the previous generation is untouched."""

    code = "build_failed"


class IndexMissing(SearchError):
    """No generation has been published in the index folder."""

    status_code = 503
    code = "index_missing"

    def __init__(self, index_dir: Path | str) -> None:
        # The message reaches the public page and API: it names no server path.
        super().__init__("no search index has been built yet: run `search rebuild-index`")
        self.index_dir = str(index_dir)


class DocumentNotFound(SearchError):
    """No document has the requested id."""

    status_code = 404
    code = "not_found"


class BadQuery(SearchError):
    """A request parameter is unusable."""

    status_code = 400
    code = "bad_parameter"

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


class SearchTimeout(SearchError):
    """A search ran past its time limit (huge expansions on a cold index, say)."""

    status_code = 503
    code = "search_timeout"

    def __init__(self, limit: float) -> None:
        super().__init__(
            f"the search took longer than {limit:g} s and was stopped; "
            "try fewer wildcard or fuzzy terms"
        )
        self.param = "q"


class BackendUnavailable(SearchError):
    """The search backend (an OpenSearch cluster) cannot be reached or cannot answer."""

    status_code = 503
    code = "backend_unavailable"


class IndexCorrupt(SearchError):
    """A generation's files do not match the checksums its build recorded."""

    status_code = 503
    code = "index_corrupt"

    def __init__(self, generation: str, problems: list[str]) -> None:
        # File names only: the message reaches the public API, no server path in it.
        shown = "; ".join(problems[:3]) + (
            f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
        )
        super().__init__(f"index generation {generation} is damaged and is not served: {shown}")
        self.generation = generation
        self.problems = problems


class ExportInterrupted(SearchError):
    """A new index generation was published while an export was being sent."""

    status_code = 503
    code = "index_changed"

    def __init__(self, started: str, now: str, rows: int) -> None:
        super().__init__(
            f"the index changed during the export (generation {started} to {now}) after "
            f"{rows} rows; the export was stopped: run it again"
        )

"""The embedded default backend: Whoosh generations in one folder on this machine.

The only package that imports Whoosh or NumPy. `store/` writes and loads the
generation format on disk; `searching/` answers from one opened generation;
`whoosh_compat` holds every read of Whoosh's private attributes.
"""

from search.local.backend import LocalBackend

__all__ = ["LocalBackend"]

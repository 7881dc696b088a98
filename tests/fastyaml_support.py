"""The fast front-matter reader's tests' shared checks (tests/test_fastyaml*.py): the full
loader's answer for a text, and a comparison that tells 1 from 1.0 from True."""

from __future__ import annotations

from typing import Any

import yaml

from search.ingest import frontmatter
from search.ingest.fastyaml import fast_load


def typed(value: Any) -> Any:
    """Return `value` with every scalar paired with its type and mappings as ordered pairs,
    so equal results mean equal types and key order too (1 == 1.0 == True otherwise)."""
    if isinstance(value, dict):
        return ("dict", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [typed(item) for item in value])
    return (type(value).__name__, repr(value))


def full_load(text: str) -> Any:
    """Return what the full loader (libyaml with frontmatter's resolvers) gives, or the
    exception it raises."""
    try:
        return yaml.load(text, Loader=frontmatter._FrontMatterLoader)  # noqa: S506 (a SafeLoader)
    except Exception as exc:  # the comparison needs every failure, whatever its kind
        return exc


def check_same(text: str) -> bool:
    """Assert the fast reader gives the full loader's value or declines; return whether it
    read the text."""
    fast = fast_load(text)
    if fast is None:
        return False
    full = full_load(text)
    assert not isinstance(full, Exception), f"fast read {text!r}, the full loader raises {full!r}"
    assert typed(fast) == typed(full), text
    return True

"""Schemathesis over the newsroom operations of the served /openapi.json: /feed.atom and
/api/export, with the checks and the server of tests/test_schemathesis.py (its `target`
fixture: one real server for this module). Every built-in check but one: no 5xx;
documented status codes, content types and headers (the feed's ETag, the export's
X-Export-* headers); hostile values answered with 400 naming them, or 414.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from test_schemathesis import (
    DEFAULT_EXAMPLES,
    SLOW_EXAMPLES,
    Target,
    call_and_validate,
    target,
)

__all__ = ["target"]  # the fixture, shared with tests/test_schemathesis.py

OPERATIONS = {
    "GET /feed.atom": ("positive", "negative"),
    "GET /api/export": ("positive", "negative"),
}
CASES = [(label, mode) for label, modes in OPERATIONS.items() for mode in modes]


@pytest.mark.parametrize(("label", "mode"), CASES, ids=[f"{m}-{label}" for label, m in CASES])
def test_generated_newsroom_requests_are_answered_as_documented(
    target: Target, label: str, mode: str, request: pytest.FixtureRequest
) -> None:
    slow = request.config.getoption("--run-slow") or os.environ.get("SEARCH_SLOW") == "1"
    examples = int(
        os.environ.get("SEARCH_SCHEMATHESIS_EXAMPLES")
        or (SLOW_EXAMPLES if slow else DEFAULT_EXAMPLES)
    )
    operation = target.schema.find_operation_by_label(label)
    assert operation is not None, f"{label} is not in /openapi.json"
    strategy = operation.as_strategy(generation_mode=schemathesis.GenerationMode(mode))
    seen: list[int] = []

    @given(case=strategy)
    @settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def run(case: schemathesis.Case[Any]) -> None:
        seen.append(call_and_validate(case, target.base_url))

    run()
    assert seen, "no request was sent"
    assert max(seen) < 500
    if mode == "positive":
        assert 200 in seen, "no generated request was answered"

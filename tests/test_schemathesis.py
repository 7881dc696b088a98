"""Schemathesis against the served /openapi.json: requests generated from the document
itself, sent to a real server, and every answer checked against the document.

Checks: every built-in check of schemathesis but one: no 5xx; documented status codes,
content types, headers and body schemas; hostile (schema-violating) values answered with
400 or 414; other methods answered 405 with an Allow header. Not checked: that every
schema-valid request is accepted, because some bounds span two parameters and OpenAPI
cannot say so (page * per_page <= 10,000; from <= to; at most 64 query terms; the URL at
most 8 KB).

The operations are driven one by one with `operation.as_strategy()` rather than with
`schemathesis.pytest.from_fixture`, whose lazy loader does not work with pytest 9
(it sets `Function._nodeid`, which pytest 9 removed).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import schemathesis
from http_support import rebuild_index, running_server
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator
from schemathesis.core.failures import AcceptedNegativeData, FailureGroup

# Examples per operation and mode: 50 take about 10 s for the whole file on 2 cores;
# --run-slow (or SEARCH_SLOW=1) takes 500, SEARCH_SCHEMATHESIS_EXAMPLES=N takes N.
DEFAULT_EXAMPLES, SLOW_EXAMPLES = 50, 500
CONFIG = {
    "checks": {
        # A hostile value is rejected by a 400 naming it, or by 414 when the URL is too long.
        "negative_data_rejection": {"expected-statuses": [400, 414]},
        "positive_data_acceptance": {"enabled": False},  # see the module docstring
    },
    "operations": [
        {
            # The page is lenient on purpose (DESIGN.md 5 and params.py): unknown and
            # repeated parameters are ignored, since links collect tracking tags.
            "include-path": "/",
            "checks": {"negative_data_rejection": {"enabled": False}},
        }
    ],
}
# (operation, generation modes): operations without parameters have nothing to violate,
# and a path parameter of type string cannot be given a non-string value in a URL.
OPERATIONS = {
    "GET /api/search": ("positive", "negative"),
    "GET /api/suggest": ("positive", "negative"),
    "GET /": ("positive", "negative"),
    "GET /api/documents/{doc_id}": ("positive",),
    "GET /healthz": ("positive",),
    "GET /openapi.json": ("positive",),
}
CASES = [(label, mode) for label, modes in OPERATIONS.items() for mode in modes]


@dataclass
class Target:
    """The server under test and the document it serves, loaded by schemathesis."""

    base_url: str
    schema: schemathesis.BaseSchema


@pytest.fixture(scope="module", params=["local", "opensearch"])
def target(
    corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Target]:
    """Yield a real server over the shared corpus and its /openapi.json, loaded: served by
    each backend in turn (OpenSearch: the session's node, index built by conftest)."""
    folder = tmp_path_factory.mktemp("schemathesis")
    env: dict[str, str] = {}
    if request.param == "local":
        rebuild_index(corpus_dir, folder / "index")
    else:
        built = request.getfixturevalue("opensearch_corpus")
        env = {"SEARCH_BACKEND": "opensearch", "SEARCH_OPENSEARCH_URL": built.opensearch}
        env["SEARCH_OPENSEARCH_INDEX"] = "corpus"
    with running_server(folder / "index", folder / "server.log", env=env) as server:
        schema = schemathesis.openapi.from_url(
            f"{server.base_url}/openapi.json", config=schemathesis.Config.from_dict(CONFIG)
        )
        yield Target(server.base_url, schema)
        log = server.log()
    assert "Traceback" not in log, log[-2000:]


def call_and_validate(case: schemathesis.Case[Any], base_url: str) -> int:
    """Send `case`, run every configured check on the answer; return its status.

    One failure is forgiven: a "schema-violating request accepted" whose query string, as
    it went over the wire, is valid after all. Schemathesis 4.32 mutates a repeated (array)
    parameter into an object, which urlencode sends as its keys (plain strings), then
    judges the object rather than what was sent: nothing hostile reached the server."""
    response = case.call(base_url=base_url, timeout=15)
    try:
        case.validate_response(response)
    except FailureGroup as failures:
        accepted = all(isinstance(f, AcceptedNegativeData) for f in failures.exceptions)
        if not (accepted and sent_query_is_valid(case, str(response.request.url))):
            raise
    return response.status_code


def sent_query_is_valid(case: schemathesis.Case[Any], url: str) -> bool:
    """Return True when every parameter of `url`'s query string is one the operation
    documents, given as the document allows (an empty single value counts as absent)."""
    documented = {p["name"]: p for p in case.operation.definition.raw.get("parameters", [])}
    sent: dict[str, list[str]] = {}
    for name, text in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        sent.setdefault(name, []).append(text)
    for name, values in sent.items():
        parameter = documented.get(name)
        if parameter is None:
            return False
        schema = parameter["schema"]
        if schema.get("type") == "array":
            value: Any = values
        elif len(values) != 1:
            return False
        elif values[0] == "" and parameter.get("allowEmptyValue"):
            continue
        elif schema.get("type") == "integer":
            if not re.fullmatch(r"[0-9]{1,9}", values[0]):
                return False
            value = int(values[0])
        else:
            value = values[0]
        if not Draft202012Validator(schema).is_valid(value):
            return False
    return True


@pytest.mark.parametrize(("label", "mode"), CASES, ids=[f"{m}-{label}" for label, m in CASES])
def test_generated_requests_are_answered_as_documented(
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
        derandomize=True,  # the same examples on every run: CI failures reproduce
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def run(case: schemathesis.Case[Any]) -> None:
        seen.append(call_and_validate(case, target.base_url))

    run()
    request.node.user_properties.append(("requests", len(seen)))
    assert seen, "no request was sent"
    assert max(seen) < 500  # checked per answer above too; this says it plainly

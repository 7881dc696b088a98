"""What the API contract says of a result field beyond its Python type.

The result dataclasses (search.results) annotate their fields with a Doc; the web
layer generates the OpenAPI schemas from the types and these (search.web.schemas).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ID_PATTERN = "^[0-9a-f]{16}$"  # search.identity.doc_id's form


@dataclass(frozen=True)
class Doc:
    """What the API contract says of a field beyond its Python type."""

    description: str = ""
    json: str | None = None  # its key in the body, when not the field's name
    body: bool = True  # False: not in the body (a response header, or internal)
    optional: bool = False  # absent from the body unless set
    keys: tuple[str, ...] = ()  # a dict field: exactly these keys
    inline: bool = False  # a dict field whose keys sit in the parent object
    schema: tuple[tuple[str, Any], ...] = ()  # more JSON-schema keywords


def doc(description: str = "", **schema: Any) -> Doc:
    """Return a Doc with a description and JSON-schema keywords (pattern, enum, ...)."""
    return Doc(description, schema=tuple(schema.items()))


NOT_IN_BODY = Doc(body=False)

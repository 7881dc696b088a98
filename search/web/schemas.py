"""JSON schemas of the answers, generated from the result dataclasses (search.results).

Each field's Python type gives its JSON type; its `Doc` annotation gives what the type
cannot say (a pattern, an enum, a description, a key renamed, a field that only
travels as a header). So a field added to a result appears in the OpenAPI document
by itself, and the tests, which validate real answers against that document, fail if
`as_json` and the fields disagree.
"""

from __future__ import annotations

import dataclasses
import types
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

from search import lookup_results, results
from search.contract import Doc

# Component names the API has always used, where they differ from the class names.
NAMES: dict[type, str] = {lookup_results.DocumentDetail: "Document", results.StoryGroup: "Story"}
ROOTS = (
    results.SearchResult,
    lookup_results.Suggestions,
    lookup_results.DocumentDetail,
    lookup_results.Health,
)


def _name(cls: type) -> str:
    return NAMES.get(cls, cls.__name__)


def _split(annotation: Any) -> tuple[Any, Doc]:
    """Return (the bare type, its Doc) of an annotation."""
    if get_origin(annotation) is Annotated:
        bare, *extras = get_args(annotation)
        found = next((e for e in extras if isinstance(e, Doc)), Doc())
        return bare, found
    return annotation, Doc()


def _type_schema(annotation: Any, found: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Return the JSON schema of a Python type, adding dataclasses met to `found`."""
    annotation, _ = _split(annotation)
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        inner = _type_schema(options[0], found)
        if len(options) == 1 and isinstance(inner.get("type"), str):
            return {**inner, "type": [inner["type"], "null"]}
        return {"anyOf": [inner, {"type": "null"}]}
    if origin is list:
        return {"type": "array", "items": _type_schema(args[0], found)}
    if origin is tuple:  # fixed length: JSON arrays of these items
        items = [_type_schema(a, found) for a in args]
        return {
            "type": "array",
            "prefixItems": items,
            "minItems": len(items),
            "maxItems": len(items),
        }
    if origin is dict:
        return {"type": "object", "additionalProperties": _type_schema(args[1], found)}
    if dataclasses.is_dataclass(annotation):
        assert isinstance(annotation, type)
        if _name(annotation) not in found:
            found[_name(annotation)] = {}  # placeholder: recursive types (Hit <-> Story)
            found[_name(annotation)] = _object_schema(annotation, found)
        return {"$ref": f"#/components/schemas/{_name(annotation)}"}
    simple = {str: "string", int: "integer", float: "number", bool: "boolean"}
    return {"type": simple[annotation]}


def _field_schema(annotation: Any, meta: Doc, found: dict[str, dict[str, Any]]) -> dict[str, Any]:
    bare, _ = _split(annotation)
    if meta.optional:  # absent rather than null: describe the value when present
        options = [a for a in get_args(bare) if a is not type(None)]
        bare = options[0] if options else bare
    schema = dict(meta.schema) if ("type", "object") in meta.schema else _type_schema(bare, found)
    if meta.keys:  # a dict with exactly these keys
        value = _type_schema(get_args(bare)[1], found)
        schema = {
            "type": "object",
            "required": list(meta.keys),
            "properties": {key: value for key in meta.keys},
        }
    else:
        schema.update({k: v for k, v in meta.schema if ("type", "object") not in meta.schema})
    if meta.description:
        schema["description"] = meta.description
    return schema


def _object_schema(cls: type, found: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Return the schema of a dataclass's JSON body."""
    hints = get_type_hints(cls, include_extras=True)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for item in dataclasses.fields(cls):
        if not item.init:
            continue
        annotation = hints[item.name]
        _, meta = _split(annotation)
        if not meta.body:
            continue
        schema = _field_schema(annotation, meta, found)
        if meta.inline:  # its keys belong to the parent object
            properties.update(schema["properties"])
            required += schema["required"]
            continue
        key = meta.json or item.name
        properties[key] = schema
        if not meta.optional:
            required.append(key)
    return {"type": "object", "required": required, "properties": properties}


def answer_schemas() -> dict[str, dict[str, Any]]:
    """Return the component schemas of every answer body, by name."""
    found: dict[str, dict[str, Any]] = {}
    for root in ROOTS:
        _type_schema(root, found)
    return dict(sorted(found.items()))

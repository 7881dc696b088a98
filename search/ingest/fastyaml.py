"""A fast reader for the common shape of seed front matter: exactly the full loader's
values, or nothing (the caller then runs the full loader).

Even with libyaml, PyYAML builds, resolves and constructs a node tree in Python: about
0.2 ms a file, some 40% of reading a seed file. Seed files mostly share one shape: a block
mapping of simple keys whose values are one-line plain or quoted scalars, one-line flow
collections (JSON from benchmarks/generator.py, or `[AI, Computer Vision]`), or nested
block mappings and sequences of the same (the real corpus: provider, images, related).
This module reads exactly that shape and declines everything else: anchors, aliases,
tags, block and multi-line scalars, comments, tabs, control and YAML-only line-break
characters, duplicate and long keys, flow collections over several lines or with items
whose reading is subtle (single pairs, trailing commas, plain items with `:` or `#`),
YAML-only escapes, sexagesimal and infinite floats, deep nesting. Scalars resolve as
frontmatter's loader resolves them (YAML 1.1 rules; null words are None, plain decimals
ints, booleans and timestamps stay text as written).
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

MAX_DEPTH = 16  # deeper nesting is not the common shape: the full loader decides
MAX_KEY_CHARS = 128  # YAML refuses implicit keys over 1,024 characters; ours are short

# Outside these, YAML reads a character differently or refuses it: tabs, control
# characters, NEL and the Unicode line and paragraph separators (line breaks in YAML 1.1),
# a byte-order mark, U+FFFE and U+FFFF.
_UNUSUAL = re.compile(
    "[^\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: +|\Z)")
_DOUBLE = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)" *\Z')
_SINGLE = re.compile(r"'([^']*(?:''[^']*)*)' *\Z")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # libyaml refuses, PyYAML keeps
_DECIMAL = re.compile(r"[-+]?(0|[1-9][0-9_]*)")  # frontmatter's loader: these become ints
_FLOAT = next(
    regexp
    for tag, regexp in yaml.resolver.Resolver.yaml_implicit_resolvers["."]
    if tag == "tag:yaml.org,2002:float"
)
_NULLS = frozenset({"~", "null", "Null", "NULL"})
_NUMERIC_START = frozenset("-+.0123456789")
_NEVER_PLAIN = frozenset(",[]{}#&*!|>'\"%@`")  # YAML indicators no plain scalar starts with


class _Decline(Exception):
    """The text is not the common shape."""


def fast_load(text: str) -> dict[str, Any] | None:
    """Return the mapping the full loader gives for `text`, or None when this reader does
    not fully recognise the text (then only the full loader can say what it holds)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            return None
    if not text.replace("\n", "").isprintable() and _UNUSUAL.search(text):
        return None  # isprintable() is quick and stricter: it passes no character YAML reads oddly
    lines: list[tuple[int, str]] = []
    for line in text.split("\n"):
        content = line.lstrip(" ")
        if content:
            if content[0] == "#":
                return None
            lines.append((len(line) - len(content), content))
    if not lines or lines[0][0] != 0:
        return None
    reader = _Reader(lines)
    try:
        result = reader.mapping(0, 0)
    except (_Decline, RecursionError, ValueError):
        return None
    return result if reader.at == len(lines) else None


class _Reader:
    """Reads block collections from (indent, content) lines, from `at` on."""

    __slots__ = ("at", "lines")

    def __init__(self, lines: list[tuple[int, str]]) -> None:
        self.lines = lines
        self.at = 0

    def mapping(self, indent: int, depth: int) -> dict[str, Any]:
        """Return the block mapping whose keys sit at column `indent`."""
        result: dict[str, Any] = {}
        lines, at = self.lines, self.at
        while at < len(lines):
            column, content = lines[at]
            if column < indent:
                break
            match = _KEY.match(content)
            if column > indent or match is None:
                raise _Decline
            key = match[1]
            if key in result or key in _NULLS or len(key) > MAX_KEY_CHARS:
                raise _Decline
            at += 1
            rest = content[match.end() :]
            if rest:
                result[key] = _scalar_or_flow(rest)
                if at < len(lines) and lines[at][0] > indent:
                    raise _Decline  # a deeper line after a one-line value: a multi-line scalar
            else:
                self.at = at
                result[key] = self._nested(indent, depth)
                at = self.at
        self.at = at
        return result

    def sequence(self, indent: int, depth: int) -> list[Any]:
        """Return the block sequence whose `- ` sit at column `indent`."""
        result: list[Any] = []
        lines = self.lines
        while self.at < len(lines):
            column, content = lines[self.at]
            if column < indent:
                break
            if column > indent:
                raise _Decline
            if not content.startswith("- "):
                if content == "-":
                    raise _Decline
                break  # a key at the same column: the end of a sequence under a key
            rest = content[2:].lstrip(" ")
            if not rest or rest.startswith("- "):
                raise _Decline
            if _KEY.match(rest):  # "- key: value": a mapping whose keys sit at rest's column
                lines[self.at] = (column + len(content) - len(rest), rest)
                result.append(self.mapping(lines[self.at][0], depth + 1))
            else:
                self.at += 1
                result.append(_scalar_or_flow(rest))
                self._no_continuation(indent)
        return result

    def _nested(self, parent: int, depth: int) -> Any:
        """Return the value of a key with nothing after its colon (None if nothing nests)."""
        if depth >= MAX_DEPTH:
            raise _Decline
        if self.at == len(self.lines):
            return None
        column, content = self.lines[self.at]
        item = content.startswith("- ") or content == "-"
        if column > parent:
            return self.sequence(column, depth + 1) if item else self.mapping(column, depth + 1)
        if column == parent and item:  # YAML allows a key's sequence at the key's column
            return self.sequence(column, depth + 1)
        return None

    def _no_continuation(self, indent: int) -> None:
        """Decline when a deeper line follows a one-line value (a multi-line scalar)."""
        if self.at < len(self.lines) and self.lines[self.at][0] > indent:
            raise _Decline


def _scalar_or_flow(text: str) -> Any:
    """Return the value of the one-line text after `key: ` or `- `."""
    first = text[0]
    if first == '"':
        end = text.find('"', 1)
        if "\\" not in text and end > 0 and not text[end + 1 :].strip(" "):
            return text[1:end]
        match = _DOUBLE.match(text)
        if match is None:
            raise _Decline
        if "\\" not in match[1]:
            return match[1]
        return _json(text.rstrip(" "))  # JSON's escapes mean the same in YAML
    if first == "'":
        match = _SINGLE.match(text)
        if match is None:
            raise _Decline
        return match[1].replace("''", "'")
    if first in "[{":
        text = text.rstrip(" ")
        try:
            return _from_json(_json(text), 0)
        except ValueError:  # not JSON: plain items such as [AI, Computer Vision]
            value, end = _flow(text, 0, 0)
            if end != len(text):
                raise _Decline from None
            return value
    if first in _NEVER_PLAIN or (first in "-?:" and (len(text) == 1 or text[1] == " ")):
        raise _Decline
    text = text.rstrip(" ")
    if ": " in text or text[-1] == ":" or " #" in text:
        raise _Decline
    return _plain(text)


def _plain(text: str) -> Any:
    """Return a plain scalar's value: None, int, float or the text, as the loader gives."""
    if text[0] in _NUMERIC_START:
        if _DECIMAL.fullmatch(text):
            return int(text.replace("_", ""))
        if _FLOAT.match(text):
            return _float(text)
        return text  # other ints, timestamps: text as written
    if text in _NULLS:
        return None
    if text in ("<<", "="):  # merge and value keys: the full loader refuses these
        raise _Decline
    return text  # booleans too: text as written


def _float(text: str) -> float:
    """Return a YAML 1.1 float's value exactly as PyYAML computes it (declining the rare
    sexagesimal, infinite and not-a-number forms)."""
    value = text.replace("_", "").lower()
    if ":" in value or "inf" in value or "nan" in value:
        raise _Decline
    sign = -1 if value[0] == "-" else 1
    return sign * float(value[1:] if value[0] in "+-" else value)


def _json_float(text: str) -> Any:
    """Return what YAML makes of a JSON number with a fraction or exponent."""
    return _plain(text)


_JSON = json.JSONDecoder(parse_float=_json_float, parse_constant=str)


def _json(text: str) -> Any:
    """Return JSON text's value (YAML reads JSON the same, but for the cases declined)."""
    if "\\" in text and _SURROGATE_ESCAPE.search(text):
        raise _Decline
    return _JSON.decode(text)  # a ValueError declines


def _from_json(value: Any, depth: int) -> Any:
    """Return a decoded JSON value as YAML gives it: booleans stay text as written."""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, list):
        if depth >= MAX_DEPTH:
            raise _Decline
        return [_from_json(item, depth + 1) for item in value]
    if isinstance(value, dict):
        if depth >= MAX_DEPTH or any(len(key) > MAX_KEY_CHARS for key in value):
            raise _Decline
        return {key: _from_json(item, depth + 1) for key, item in value.items()}
    return value


_FLOW_DOUBLE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_FLOW_SINGLE = re.compile(r"'[^']*(?:''[^']*)*'")
# A plain scalar inside a flow collection: no indicator first (`-` only before a
# non-space), and no `:` or `#` at all (where YAML's own rules get subtle)
_FLOW_PLAIN = re.compile(r"(?:[^ ,\[\]{}#&*!|>'\"%@`?:-]|-[^ ,\[\]{}:#])[^,\[\]{}:#]*")


def _flow(text: str, at: int, depth: int) -> tuple[Any, int]:
    """Return the one-line flow node at `at` (after spaces) and where it ends."""
    at = _skip(text, at)
    first = text[at : at + 1]
    if first not in ("[", "{"):
        return _flow_scalar(text, at)
    if depth >= MAX_DEPTH:
        raise _Decline
    closing = "]" if first == "[" else "}"
    items: list[Any] = []
    pairs: dict[str, Any] = {}
    at = _skip(text, at + 1)
    if text[at : at + 1] == closing:
        return (items if first == "[" else pairs), at + 1
    while True:
        if first == "[":
            value, at = _flow(text, at, depth + 1)
            items.append(value)
        else:
            key, at = _flow_scalar(text, _skip(text, at))
            at = _skip(text, at)
            if not isinstance(key, str) or key in pairs or len(key) > MAX_KEY_CHARS:
                raise _Decline
            if text[at : at + 2] != ": ":
                raise _Decline
            pairs[key], at = _flow(text, at + 2, depth + 1)
        at = _skip(text, at)
        after = text[at : at + 1]
        if after == closing:
            return (items if first == "[" else pairs), at + 1
        at = _skip(text, at + 1)
        if after != "," or text[at : at + 1] in ("]", "}", ""):
            raise _Decline  # not a separator, or a trailing comma


def _skip(text: str, at: int) -> int:
    """Return the position of the first non-space at or after `at`."""
    while text.startswith(" ", at):
        at += 1
    return at


def _flow_scalar(text: str, at: int) -> tuple[Any, int]:
    """Return the scalar starting at `at` inside a flow collection and where it ends."""
    first = text[at : at + 1]
    if first == '"':
        match = _FLOW_DOUBLE.match(text, at)
        if match is None:
            raise _Decline
        quoted = match[0]
        return (_json(quoted) if "\\" in quoted else quoted[1:-1]), match.end()
    if first == "'":
        match = _FLOW_SINGLE.match(text, at)
        if match is None:
            raise _Decline
        return match[0][1:-1].replace("''", "'"), match.end()
    match = _FLOW_PLAIN.match(text, at)
    if match is None:
        raise _Decline
    return _plain(match[0].rstrip(" ")), match.end()

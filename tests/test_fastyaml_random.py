"""Random front matter (Hypothesis), written the ways seed files are written and with
nasty scalars written raw: the fast reader gives exactly the full loader's values or
declines, and never reads what the full loader refuses."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from fastyaml_support import check_same
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Scalars that YAML 1.1 resolves, refuses or reads oddly, and characters that matter to it
NASTY = [
    "yes", "No", "ON", "off", "y", "true", "False", "null", "Null", "~", "", " ",
    "017", "0x1F", "0o17", "0b101", "1_000", "10:30", "1:30.5", "190:20:30", "-0", "+1",
    "1.5", "-1.5", "1.", ".5", "1e5", "1.0e+5", "1E3", "6.8523015e+5", ".inf", "-.Inf",
    ".NaN", "NaN", "-Infinity", "2021-02-30", "2021-01-02T10:00:00Z",
    "2001-12-14 21:59:43.10 -5", "<<", "=", "---", "...", "- x", "-", "?", ":", "a: b",
    "a:b", "a #b", "a#b", "&a", "*a", "!t", "!!str x", "|", ">", "'", '"', "\\", "%x", "@x",
    "`x", "[a, b]", "{a: 1}", "a,b", "x\u2028y", "x\x85y", "\ufeffx", "x\x7f", "x\ty",
    "x\ny", "x\r\ny", "\\ud83d", "caf\u00e9 \U0001f600", "x\u00a0y", "a  b ", "&amp;",
]  # fmt: skip
ALPHABET = st.sampled_from(list("aZ09 :#-?[]{},&*!|>'\"%@`~.\\_+\t\n\r\u00e9\u2028\x85\x7f"))
WORDS = st.from_regex(r"[A-Za-z0-9\u00e9][A-Za-z0-9\u00e9 _./:-]{0,11}", fullmatch=True)
NICE_KEYS = st.sampled_from(["title", "a", "b_c", "x-y", "on", "Yes", "webUrl", "_id"])
NASTY_KEYS = st.sampled_from(["null", "1a", "a b", "<<", "-a", "~"]) | st.text(ALPHABET, max_size=6)
NASTY_SCALARS = (
    st.sampled_from(NASTY)
    | st.text(ALPHABET, max_size=12)
    | st.integers(-(10**6), 10**6).map(str)
    | st.floats(allow_nan=True).map(repr)
)


def _quoted(value: str, style: str) -> str:
    if style == "double":
        return json.dumps(value, ensure_ascii=False)
    if style == "double_ascii":
        return json.dumps(value)
    if style == "single":
        return "'" + value.replace("'", "''") + "'"
    return value  # raw: whatever YAML makes of it, or refuses


STYLES = st.sampled_from(["raw", "raw", "double", "double_ascii", "single"])
flows = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
).map(lambda value: json.dumps(value, ensure_ascii=False))


@st.composite
def scalar_lines(draw: st.DrawFn, nasty: int) -> str:
    """Return a scalar as written after `key: `: nasty one time in `nasty`."""
    value = draw(NASTY_SCALARS if draw(st.integers(1, nasty)) == 1 else WORDS)
    return _quoted(value, draw(STYLES))


@st.composite
def yaml_flows(draw: st.DrawFn, nasty: int, depth: int = 0) -> str:
    """Return a one-line flow collection as people write it: plain and quoted scalars."""
    kind = draw(st.sampled_from(["seq", "map", "scalar", "scalar"] if depth else ["seq", "map"]))
    if kind == "scalar" or depth >= 3:
        return draw(scalar_lines(nasty))
    separator = draw(st.sampled_from([", ", ", ", ",", " , "]))
    if kind == "seq":
        items = draw(st.lists(yaml_flows(nasty, depth + 1), max_size=3))
        return "[" + separator.join(items) + "]"
    keys = draw(st.lists(st.one_of(NICE_KEYS, *[NASTY_KEYS] * (nasty == 3)), unique=True))
    pairs = [f"{key}: {draw(yaml_flows(nasty, depth + 1))}" for key in keys[:3]]
    return "{" + separator.join(pairs) + "}"


@st.composite
def blocks(draw: st.DrawFn, nasty: int, indent: int = 0, depth: int = 0) -> list[str]:
    """Return the lines of a block mapping at `indent`, nesting mappings and sequences;
    one scalar or odd line in `nasty` is nasty, and keys are nasty too when `nasty` is 3."""
    lines: list[str] = []
    pad = " " * indent
    keys = st.one_of(NICE_KEYS, *[NASTY_KEYS] * (nasty == 3))
    for key in draw(st.lists(keys, min_size=1, max_size=4, unique=True)):
        kind = draw(st.sampled_from(["scalar", "scalar", "flow", "map", "seq", "empty"]))
        if kind == "scalar" or (depth >= 3 and kind in ("map", "seq")):
            lines.append(f"{pad}{key}: {draw(scalar_lines(nasty))}")
        elif kind == "flow":
            lines.append(f"{pad}{key}: {draw(flows | yaml_flows(nasty))}")
        elif kind == "empty":
            lines.append(f"{pad}{key}:")
        elif kind == "map":
            lines.append(f"{pad}{key}:")
            lines += draw(blocks(nasty, indent + draw(st.sampled_from([1, 2, 4])), depth + 1))
        else:
            lines.append(f"{pad}{key}:")
            lines += draw(_sequence(nasty, indent + draw(st.sampled_from([0, 2, 4])), depth + 1))
        if draw(st.integers(1, 3 * nasty)) == 1:
            lines.append(draw(st.sampled_from(["", "   ", "# note", "  # note", pad + "  more"])))
    return lines


@st.composite
def _sequence(draw: st.DrawFn, nasty: int, indent: int, depth: int) -> list[str]:
    lines: list[str] = []
    pad = " " * indent
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            lines.append(f"{pad}- {draw(scalar_lines(nasty))}")
            continue
        item = draw(blocks(nasty, indent + 2, depth + 1))
        lines.append(f"{pad}- {item[0][indent + 2 :]}")
        lines += item[1:]
    return lines


@st.composite
def documents(draw: st.DrawFn) -> str:
    """Return front-matter text: block style as people write it (with JSON-style values as
    the generator writes them), or PyYAML's own dump; ordinary or nasty throughout."""
    nasty = draw(st.sampled_from([3, 40, 40]))
    if draw(st.integers(0, 3)) == 0:
        keys = NASTY_KEYS if nasty == 3 else NICE_KEYS
        values = st.text() | st.integers() | st.floats() | st.booleans() | st.none()
        data = draw(
            st.dictionaries(
                keys,
                values | st.lists(values, max_size=3) | st.dictionaries(keys, values),
                max_size=5,
            )
        )
        return yaml.safe_dump(
            data,
            allow_unicode=draw(st.booleans()),
            default_flow_style=draw(st.sampled_from([False, None])),
            width=10**6,
        )
    text = "\n".join(draw(blocks(nasty))) + "\n"
    return text.replace("\n", "\r\n") if draw(st.integers(0, 9)) == 0 else text


def _run(text: str, read: list[bool]) -> None:
    read.append(check_same(text))


QUICK = settings(
    max_examples=400,
    deadline=None,
    derandomize=True,  # the default run is the same every time; the slow run explores
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@QUICK
@given(text=documents())
def test_random_front_matter_reads_like_the_full_loader(text: str) -> None:
    check_same(text)


@pytest.mark.slow
@settings(QUICK, max_examples=20_000, derandomize=False)
@given(text=documents())
def test_random_front_matter_reads_like_the_full_loader_long(text: str) -> None:
    check_same(text)


def test_random_front_matter_is_often_read_fast() -> None:
    """The comparisons above mean something only if the fast reader often reads."""
    read: list[bool] = []
    sample: Any = given(text=documents())(lambda text: _run(text, read))
    settings(QUICK, max_examples=300)(sample)()
    assert 0.2 < sum(read) / len(read) < 0.95

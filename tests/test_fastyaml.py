"""The fast front-matter reader (search/ingest/fastyaml.py): it reads every real corpus
file and every generated one itself, giving exactly the full loader's values; it declines
what it does not fully recognise, and every hostile file parses as it did before."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pytest
import yaml
from build_support import fm
from fastyaml_support import check_same, full_load, typed
from frontmatter_support import BAD, GOOD, LAUGHS, MARKER
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.generator import CorpusGenerator, seed_text
from search.errors import SeedError
from search.ingest import frontmatter
from search.ingest.corpus import discover
from search.ingest.fastyaml import MAX_DEPTH, fast_load
from search.ingest.frontmatter import load_front_matter, parse_seed_bytes, split_front_matter
from search.model import ParsedFile


def _parse(raw: bytes) -> ParsedFile | str:
    try:
        return parse_seed_bytes(raw, "x.md")
    except SeedError as exc:
        return exc.reason


def _without_fast_path(monkeypatch: pytest.MonkeyPatch, raws: list[bytes]) -> list[Any]:
    with monkeypatch.context() as patch:
        patch.setattr(frontmatter, "fast_load", lambda text: None)
        return [_parse(raw) for raw in raws]


def test_every_real_corpus_file_is_read_fast_to_the_same_articles(
    corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files, _ = discover(corpus_dir)
    raws = [Path(seed.path).read_bytes() for seed in files if seed.relative != "MANIFEST.md"]
    assert len(raws) == 193  # MANIFEST.md: 171 everyday-ai and 22 everyday-powerapps articles
    for raw in raws:
        assert check_same(split_front_matter(raw.decode("utf-8"))[0])
    slow = _without_fast_path(monkeypatch, raws)

    def no_full_loader(*args: object, **kwargs: object) -> None:
        raise AssertionError("the full YAML loader ran")

    monkeypatch.setattr(yaml, "load", no_full_loader)
    assert [_parse(raw) for raw in raws] == slow
    assert all(isinstance(result, ParsedFile) for result in slow)


def test_generated_files_are_read_fast_to_the_same_articles(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    raws = [seed_text(record).encode() for record in CorpusGenerator(seed=5).records(300)]
    assert sum(b"related:" in raw for raw in raws) > 10  # the related lists are exercised
    for raw in raws:
        assert check_same(split_front_matter(raw.decode("utf-8"))[0])
    assert [_parse(raw) for raw in raws] == _without_fast_path(monkeypatch, raws)


def test_hostile_files_parse_as_the_full_loader_parses_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    marker = str(tmp_path / "exploited").encode()
    raws = [raw.replace(MARKER, marker) for _, raw, _ in BAD + GOOD]
    raws.append(fm(LAUGHS + "title: Laughs\ntopics: *l8\n"))
    assert [_parse(raw) for raw in raws] == _without_fast_path(monkeypatch, raws)
    assert not (tmp_path / "exploited").exists()


ACCEPTED: list[tuple[str, str, dict[str, Any]]] = [
    (
        "yaml11_booleans_stay_text",
        "a: yes\nb: No\nc: ON\nd: off\ne: true\nf: FALSE\n",
        {"a": "yes", "b": "No", "c": "ON", "d": "off", "e": "true", "f": "FALSE"},
    ),
    (
        "only_plain_decimals_are_ints",
        "a: 017\nb: 0x1F\nc: 10:30\nd: 1_000\ne: -1\nf: +5\ng: 0\nh: 1e5\ni: 0b11\n",
        {"a": "017", "b": "0x1F", "c": "10:30", "d": 1000, "e": -1, "f": 5, "g": 0}
        | {"h": "1e5", "i": "0b11"},
    ),
    (
        "floats",
        "a: 1.5\nb: -0.25\nc: 1.0e+5\nd: 1.\ne: .5\nf: -1_0.5\ng: 6.8523015E+5\nh: -0.0\n",
        {"a": 1.5, "b": -0.25, "c": 1e5, "d": 1.0, "e": 0.5, "f": -10.5, "g": 685230.15}
        | {"h": -0.0},
    ),
    ("null_words", "a: ~\nb: null\nc:\nd: NULL\ne: Null\n", dict.fromkeys("abcde")),
    (
        "timestamps_stay_text",
        "a: 2021-02-30\nb: 2021-01-02T10:00:00Z\nc: 2021-01-02 10:00:00.5 +01:00\n",
        {"a": "2021-02-30", "b": "2021-01-02T10:00:00Z", "c": "2021-01-02 10:00:00.5 +01:00"},
    ),
    (
        "quoting",
        "a: 'it''s # not: a comment'\nb: \"say \\\"hi\\\"\\n\\u00e9\\/\"   \nc: \"\"\nd: ''\n",
        {"a": "it's # not: a comment", "b": 'say "hi"\n\u00e9/', "c": "", "d": ""},
    ),
    (
        "plain_oddities",
        "a: -1x\nb: ?x\nc: :x\nd: a:b\ne: C# and F#\nf: AT&T *x* !y\ng: x:\u00a0y\n",
        {"a": "-1x", "b": "?x", "c": ":x", "d": "a:b", "e": "C# and F#", "f": "AT&T *x* !y"}
        | {"g": "x:\u00a0y"},
    ),
    (
        "json_flow",
        'a: {"x": [1, true, null, "y", 2.5, 1E3], "z": {}}\nb: []\nc: [NaN]\n',
        {"a": {"x": [1, "true", None, "y", 2.5, "1E3"], "z": {}}, "b": [], "c": ["NaN"]},
    ),
    (
        "plain_flow",
        "a: [AI, Computer  Vision ,'it''s', \"q\\u00e9\", -1, 2.5, yes, ~, [], {}]\n"
        "b: {name: Example News, domain: example.com, n: {x: [1]}}\n",
        {"a": ["AI", "Computer  Vision", "it's", "q\u00e9", -1, 2.5, "yes", None, [], {}]}
        | {"b": {"name": "Example News", "domain": "example.com", "n": {"x": [1]}}},
    ),
    (
        "blocks_like_the_corpus",
        "title: T\n\nprovider:\n  name: P\n  domain: p.com\ntopics:\n- AI\n- ML\n"
        "related:\n  - title: R\n    images:\n    - url: u\n      width: 620\n"
        "    provider:\n        name: Q\n  - title: S\nheat: -1\n",
        {
            "title": "T",
            "provider": {"name": "P", "domain": "p.com"},
            "topics": ["AI", "ML"],
            "related": [
                {"title": "R", "images": [{"url": "u", "width": 620}], "provider": {"name": "Q"}},
                {"title": "S"},
            ],
            "heat": -1,
        },
    ),
    ("crlf_and_trailing_spaces", "a: x  \r\nb:\r\n  - y \r\n", {"a": "x", "b": ["y"]}),
]


@pytest.mark.parametrize(("name", "text", "expected"), ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_accepted_shape_reads_to_exactly(name: str, text: str, expected: dict[str, Any]) -> None:
    assert typed(fast_load(text)) == typed(expected)
    assert typed(full_load(text)) == typed(expected)


def _nested(depth: int) -> str:
    return "".join(f"{'  ' * level}k:\n" for level in range(depth)) + f"{'  ' * depth}k: v\n"


DECLINED: list[tuple[str, str]] = [
    ("anchor_alias", "a: &x 1\nb: *x\n"),
    ("tag", "a: !!str 1\n"),
    ("python_tag", "a: !!python/object/apply:os.system ['true']\n"),
    ("literal_block", "a: |\n  x\n"),
    ("folded_block", "a: >\n  x\n"),
    ("multi_line_plain", "a: x\n  y\n"),
    ("multi_line_quoted", 'a: "x\n  y"\n'),
    ("comment_line", "# c\na: 1\n"),
    ("trailing_comment", "a: 1 # c\n"),
    ("comment_after_quote", "a: 'x' # c\n"),
    ("duplicate_key", "a: 1\na: 2\n"),
    ("tab", "a:\tx\n"),
    ("infinity", "a: .inf\n"),
    ("minus_infinity", "a: -.Inf\n"),
    ("not_a_number", "a: .NaN\n"),
    ("sexagesimal_float", "a: 1:30.5\n"),
    ("surrogate_escape", 'a: "\\ud83d\\ude00"\n'),
    ("yaml_only_escape", 'a: "\\x41"\n'),
    ("long_key", f"{'k' * 200}: 1\n"),
    ("long_flow_key", f'a: {{"{"k" * 200}": 1}}\n'),
    ("deep_nesting", _nested(MAX_DEPTH + 1)),
    ("flow_single_pair", "a: [x: 1]\n"),
    ("flow_trailing_comma", "a: [x, ]\n"),
    ("flow_plain_with_colon", "a: [http://x]\n"),
    ("flow_plain_with_hash", "a: [C#]\n"),
    ("flow_null_key", "a: {null: 1}\n"),
    ("flow_key_without_value", "a: {x, y: 1}\n"),
    ("flow_colon_without_space", "a: {x:1}\n"),
    ("flow_over_lines", 'a: ["x",\n  "y"]\n'),
    ("merge_value", "a: <<\n"),
    ("value_key", "a: =\n"),
    ("merge_key", "<<: {}\n"),
    ("quoted_key", '"a": 1\n'),
    ("key_with_space", "a b: 1\n"),
    ("null_key", "null: 1\n"),
    ("sequence_document", "- a\n"),
    ("scalar_document", "just text\n"),
    ("empty_document", "\n \n"),
    ("indented_document", "  a: 1\n"),
    ("nested_colon", "a: b: c\n"),
    ("text_after_flow", 'a: ["x"] y\n'),
    ("next_line_line_separator", "a: x\u2028y\n"),
    ("nel", "a: x\x85y\n"),
    ("byte_order_mark", "a: \ufeffx\n"),
    ("delete_character", "a: x\x7f\n"),
    ("lone_cr", "a: x\rb: y\n"),
    ("empty_item", "a:\n  -\n  - x\n"),
    ("nested_sequence", "a:\n  - - x\n"),
    ("key_after_sequence", "a:\n  - x\n  b: 1\n"),
    ("misaligned_key", "a:\n    b: 1\n  c: 2\n"),
    ("directive", "%YAML 1.1\na: 1\n"),
    ("document_end", "a: 1\n...\n"),
]


@pytest.mark.parametrize(("name", "text"), DECLINED, ids=[c[0] for c in DECLINED])
def test_unusual_text_is_left_to_the_full_loader(name: str, text: str) -> None:
    assert fast_load(text) is None
    full = full_load(text)
    if isinstance(full, Exception) or not isinstance(full, dict):
        with pytest.raises(ValueError, match=r"^front matter is"):
            load_front_matter(text)
    else:
        assert typed(load_front_matter(text)) == typed(full)


def test_full_loader_is_libyaml_when_pyyaml_has_it() -> None:
    """The fallback stays on libyaml's parser (about 10 times PyYAML's pure-Python one)."""
    if not yaml.__with_libyaml__:
        pytest.skip("PyYAML was built without libyaml here")
    assert issubclass(frontmatter._FrontMatterLoader, yaml.CSafeLoader)


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(value=st.text(st.sampled_from(list("ab &;#x \t\n\r\x00\x7f\xa0\u2028\u3000\ufeff"))))
def test_clean_shortcut_cleans_like_the_full_cleaning(value: str) -> None:
    """_clean's quick return for ordinary text gives what the three passes give."""
    full = frontmatter._SPACES.sub(" ", html.unescape(frontmatter._CONTROL.sub("", value)))
    assert frontmatter._clean(value) == full.strip()

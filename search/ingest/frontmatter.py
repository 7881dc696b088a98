"""Parse seed files into Article records; the only module that reads YAML (the common
shape through fastyaml.py, everything else through PyYAML).

Everything downstream trusts an Article: text fields are clean strings, topics a
tuple, dates naive UTC (Whoosh drops tzinfo without converting), URLs http(s) only.
Leniency follows DESIGN.md 2.3: an unusable value is dropped with a warning and the
document kept; only unreadable front matter or a missing title skips a file.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import yaml

from search.errors import SeedError
from search.identity import canonical_url, is_web_url, path_key
from search.ingest.fastyaml import fast_load
from search.model import KIND_ARTICLE, KIND_RELATED, Article, ParsedFile

MAX_FILE_BYTES = 5 * 1024 * 1024  # DESIGN.md 2.1: larger files are skipped as too large
MAX_TITLE_CHARS = 1_000  # a longer "title" is a data error; keep the start, warn
MAX_EXCERPT_CHARS = 20_000  # excerpts are teasers; a 2 MB one would bloat every result page
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


class _FrontMatterLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """yaml.safe_load's loader (libyaml when present), except that timestamps stay text.

    PyYAML raises for an impossible timestamp such as 2021-02-30, which would lose the
    whole file; as text, a bad date only loses the date (DESIGN.md 2.3)."""


def _as_text(loader: Any, node: Any) -> Any:
    return loader.construct_scalar(node)


def _decimal_or_text(loader: Any, node: Any) -> Any:
    text = loader.construct_scalar(node)
    return int(text.replace("_", "")) if _DECIMAL.fullmatch(text) else text


# YAML 1.1 reads `title: Yes` as a boolean, `10:30` as 630 and `017` as 15: in a seed
# file these are text, so booleans and timestamps stay as written and only plain
# decimals become integers. Nothing the project reads needs a YAML boolean.
_DECIMAL = re.compile(r"[-+]?(0|[1-9][0-9_]*)")
_FrontMatterLoader.add_constructor("tag:yaml.org,2002:timestamp", _as_text)
_FrontMatterLoader.add_constructor("tag:yaml.org,2002:bool", _as_text)
_FrontMatterLoader.add_constructor("tag:yaml.org,2002:int", _decimal_or_text)


def _a(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def split_front_matter(text: str) -> tuple[str, str]:
    """Return (yaml_text, body) of a seed file's text; raise ValueError if there is none."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n") != "---":
        raise ValueError("no front matter: the first line is not '---'")
    for number, line in enumerate(lines[1:], start=1):
        if line.rstrip("\r\n") == "---":
            body = "".join(lines[number + 1 :]).replace("\r\n", "\n")
            return "".join(lines[1:number]), body
    raise ValueError("front matter is not closed by a '---' line")


def load_front_matter(yaml_text: str) -> dict[str, Any]:
    """Return the front matter mapping; raise ValueError naming the YAML problem."""
    data = fast_load(yaml_text)  # the common shape, read quickly; None: anything else
    if data is not None:
        return data
    try:
        data = yaml.load(yaml_text, Loader=_FrontMatterLoader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as exc:
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(f"front matter is not valid YAML: {problem}") from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise ValueError(f"front matter is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"front matter is {_a(type(data).__name__)}, not a mapping")
    return data


def parse_seed(path: str | Path, relative: str) -> ParsedFile:
    """Read one seed file; raise SeedError naming the file if it cannot be used."""
    try:
        with open(path, "rb") as handle:  # noqa: PTH123 (a string path: no Path made per file)
            raw = handle.read()
    except OSError as exc:
        raise SeedError(relative, f"cannot read: {exc.strerror or exc}") from None
    return parse_seed_bytes(raw, relative)


def parse_seed_bytes(raw: bytes, relative: str) -> ParsedFile:
    """Parse the bytes of a seed file; raise SeedError(relative, reason) if unusable."""
    if len(raw) > MAX_FILE_BYTES:
        raise SeedError(relative, f"too large: {len(raw)} bytes (limit {MAX_FILE_BYTES})")
    if not raw.strip():
        raise SeedError(relative, "empty file")
    if b"\x00" in raw:
        raise SeedError(relative, "binary file (contains NUL bytes)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SeedError(relative, f"not UTF-8 (byte {exc.start})") from None
    try:
        yaml_text, body = split_front_matter(text)
        data = load_front_matter(yaml_text)
    except ValueError as exc:
        raise SeedError(relative, str(exc)) from None
    warnings: list[str] = []
    article = _record(data, relative, KIND_ARTICLE, warnings, "", body=body)
    if article is None:
        raise SeedError(relative, "no usable title (neither 'title' nor 'name')")
    related: list[Article] = []
    items = data.get("related")
    if items is not None and not isinstance(items, list):
        warnings.append(f"'related' is a {type(items).__name__}, not a list; ignored")
        items = None
    for number, item in enumerate(items or []):
        where = f"related[{number}]"
        if not isinstance(item, dict):
            warnings.append(f"{where} is not a mapping; ignored")
            continue
        record = _record(item, relative, KIND_RELATED, warnings, f"{where}.")
        if record is None or record.url is None:
            warnings.append(f"{where} has no usable title and webUrl; ignored")
            continue
        related.append(record)
    if related:
        article = _replace_related(article, tuple(r.key for r in related))
    return ParsedFile(article, related, [f"{relative}: {w}" for w in warnings])


def _replace_related(article: Article, keys: tuple[str, ...]) -> Article:
    """Return the article listing `keys` (each once, never itself) as its coverage."""
    return replace(article, related=tuple(dict.fromkeys(k for k in keys if k != article.key)))


def _record(
    data: dict[str, Any],
    relative: str,
    kind: str,
    warnings: list[str],
    where: str,
    body: str = "",
) -> Article | None:
    """Return an Article from one front-matter mapping, or None when it has no title."""

    def text(name: str, limit: int | None = None) -> str | None:
        value = _text(data.get(name))
        if value is _UNUSABLE:
            warnings.append(f"{where}{name} is {_a(type(data.get(name)).__name__)}; dropped")
            return None
        if value is not None and limit is not None and len(value) > limit:
            warnings.append(f"{where}{name} truncated from {len(value)} to {limit} characters")
            value = value[:limit]
        return value

    title = text("title", MAX_TITLE_CHARS) or text("name", MAX_TITLE_CHARS)
    if not title:
        return None
    url = None
    for name in ("webUrl", "originalUrl"):
        candidate = _url_text(data.get(name))
        if candidate is _UNUSABLE:
            warnings.append(f"{where}{name} is {_a(type(data.get(name)).__name__)}; dropped")
            continue
        if candidate is None:
            continue
        if is_web_url(candidate):
            url = candidate.strip()
            break
        warnings.append(f"{where}{name} is not an http(s) URL; dropped")
    provider_name, provider_domain = _provider(data.get("provider"), where, warnings)
    key = canonical_url(url) if url else path_key(relative)
    return Article(
        key=url if key == url else key,  # one string, not two equal ones
        kind=kind,
        title=title,
        source=relative,
        excerpt=text("excerpt", MAX_EXCERPT_CHARS) or "",
        body=_clean(body, keep_lines=True),
        topics=_topics(data.get("topics"), where, warnings),
        provider_name=_shared(provider_name),
        provider_domain=_shared(provider_domain),
        published=_published(data.get("publishedDateTime"), where, warnings),
        url=url,
        image=_image(data.get("images"), where, warnings),
        category=_shared(text("category")),
        type=_shared(text("type")),
        quality=_quality(data.get("quality"), where, warnings),
    )


# One copy of each value many records repeat (providers, topics, categories): a build
# holds every record, and pickling between build processes keeps the sharing. Bounded,
# so a corpus of unique values costs no more than without it.
_SHARED: dict[Any, Any] = {}
_SHARED_LIMIT = 100_000
Shared = TypeVar("Shared")


def _shared(value: Shared) -> Shared:
    """Return the kept copy of `value` (keeping this one if there is none yet)."""
    if value is None:
        return value
    found = _SHARED.get(value)
    if found is not None:
        return found  # type: ignore[no-any-return]
    if len(_SHARED) < _SHARED_LIMIT:
        _SHARED[value] = value
    return value


_UNUSABLE: Any = object()


def _clean(value: str, keep_lines: bool = False) -> str:
    """Return text without control characters, HTML entities decoded, spaces collapsed."""
    if not keep_lines and value.isprintable() and "&" not in value and "  " not in value:
        return value.strip()  # the common case, quickly: nothing to remove, decode or collapse
    value = _CONTROL.sub("", value)
    if keep_lines:
        return value.strip()
    return _SPACES.sub(" ", html.unescape(value)).strip()


_URL_AMPERSAND = re.compile(r"&(amp|#0*38|#x0*26);", re.IGNORECASE)


def _url_text(value: Any) -> str | Any | None:
    """Return a URL string with only escaped ampersands decoded (`&region=` is a parameter)."""
    if value is None:
        return None
    if not isinstance(value, str):
        return _UNUSABLE
    return _URL_AMPERSAND.sub("&", _CONTROL.sub("", value)).strip() or None


def _text(value: Any) -> str | Any | None:
    """Return a clean string for a scalar, None for null/blank, _UNUSABLE otherwise."""
    if value is None:
        return None
    if isinstance(value, bool):
        return _UNUSABLE
    if isinstance(value, str | int | float | date):
        cleaned = _clean(str(value))
        return cleaned or None
    return _UNUSABLE


def _topics(value: Any, where: str, warnings: list[str]) -> tuple[str, ...]:
    """Return topic names: a scalar becomes one topic; duplicates (any case) collapse."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    seen: dict[str, str] = {}
    for item in items:
        name = _text(item)
        if name is _UNUSABLE:
            warnings.append(f"{where}topics has a {type(item).__name__} item; dropped")
        elif name:
            seen.setdefault(name.casefold(), _shared(name[:200]))
    return _shared(tuple(seen.values()))


def _provider(value: Any, where: str, warnings: list[str]) -> tuple[str | None, str | None]:
    """Return (name, domain): a string is the name; a mapping gives both."""
    if value is None:
        return None, None
    if not isinstance(value, dict):
        name = _text(value)
        if name is _UNUSABLE:
            warnings.append(f"{where}provider is a {type(value).__name__}; dropped")
            return None, None
        return name, None
    name, domain = _text(value.get("name")), _text(value.get("domain"))
    if name is _UNUSABLE:
        warnings.append(f"{where}provider.name is not text; dropped")
        name = None
    if domain is _UNUSABLE:
        warnings.append(f"{where}provider.domain is not text; dropped")
        domain = None
    domain = domain.lower() if domain else None
    return (name or domain), domain


def parse_datetime(value: str) -> datetime:
    """Return naive UTC from ISO 8601 text (an offset is converted; none means UTC)."""
    text = value.strip()
    if len(text) > 10 and text[10] in " t":
        text = text[:10] + "T" + text[11:]
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def _published(value: Any, where: str, warnings: list[str]) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        try:
            return parse_datetime(str(value))
        except (ValueError, OverflowError):
            pass
    shown = repr(value)[:60] if isinstance(value, str | int | float) else type(value).__name__
    warnings.append(f"{where}publishedDateTime {shown} is not an ISO 8601 date; dropped")
    return None


def _image(value: Any, where: str, warnings: list[str]) -> str | None:
    """Return the first image's http(s) URL; images are mappings with `url` or plain URLs."""
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    for item in items[:20]:
        url = _url_text(item.get("url") if isinstance(item, dict) else item)
        if isinstance(url, str) and is_web_url(url):
            return url
    warnings.append(f"{where}images has no http(s) image URL; dropped")
    return None


def _quality(value: Any, where: str, warnings: list[str]) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**31:
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?[0-9]{1,9}\s*", value):
        return int(value)
    warnings.append(f"{where}quality is not an integer; dropped")
    return None

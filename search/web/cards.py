"""A search hit as the page shows it: a result card.

Everything a card shows beyond the hit's own fields is computed here, so the template
only prints: the excerpt cut at a word with an ellipsis, the publication time with its
relative form ("3 days ago"), the placeholder of a card without a picture, and the
story's other outlets as one compact row.
"""

from __future__ import annotations

import html
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from markupsafe import Markup, escape

from search.identity import is_web_url
from search.results import Hit

EXCERPT_CHARS = 240  # about three lines of a card at 1280 px; the longest excerpts run to 340
TONES = 8  # placeholder colours in style.css (.tone-0 to .tone-7)
OUTLETS_SHOWN = 4  # outlet names in a story's row before "+N"
_MARK = re.compile(r"(<mark>|</mark>)")
_CUT = re.compile(r"\s*(?:\.\.\.|…)\s*$")  # an ellipsis the source left at the end
_ENDS_SENTENCE = re.compile("[.!?…:;\"'\u201d\u2019)\\]]$")


@dataclass(frozen=True)
class When:
    """A publication time: machine-readable, in full, and relative to now."""

    iso: str  # the hit's own value, for <time datetime>
    text: str  # "30 Aug 2023, 04:18 UTC"
    ago: str  # "3 years ago"


@dataclass(frozen=True)
class Outlet:
    """Another outlet of a hit's story, with its coverage."""

    name: str
    title: Markup
    url: str | None
    when: When | None


@dataclass(frozen=True)
class Card:
    """One result card."""

    hit: Hit
    title: Markup
    url: str | None  # the article's web address, when it is one
    excerpt: Markup
    source: str
    when: When | None
    image: str | None
    initial: str
    tone: int
    outlets: list[str]  # distinct names of the story's other outlets, first ones only
    more_outlets: int  # distinct outlets beyond those
    coverage: list[Outlet]
    like: str


def card(hit: Hit, now: datetime, like: str) -> Card:
    """Return the card of `hit`; times are relative to `now` (naive UTC)."""
    source = hit.provider.name or hit.provider.domain or "Unknown source"
    coverage = [
        Outlet(
            other.provider.name or other.provider.domain or "Unknown source",
            Markup(other.highlights.title),  # noqa: S704 (highlight() escaped it)
            other.url if other.url and is_web_url(other.url) else None,
            when(other.published, now),
        )
        for other in (hit.story.more if hit.story else [])
    ]
    names = list(dict.fromkeys(o.name for o in coverage if o.name != source))
    return Card(
        hit=hit,
        title=Markup(hit.highlights.title),  # noqa: S704 (highlight() escaped it)
        url=hit.url if hit.url and is_web_url(hit.url) else None,
        excerpt=cut_excerpt(hit.highlights.excerpt),
        source=source,
        when=when(hit.published, now),
        image=hit.image if hit.image and is_web_url(hit.image) else None,
        initial=next((c.upper() for c in source if c.isalnum()), "?"),
        tone=zlib.crc32(source.casefold().encode()) % TONES,  # an outlet keeps its colour
        outlets=names[:OUTLETS_SHOWN],
        more_outlets=max(0, len(names) - OUTLETS_SHOWN),
        coverage=coverage,
        like=like,
    )


def when(published: str | None, now: datetime) -> When | None:
    """Return the publication time of an ISO 8601 UTC value, or None without one."""
    if not published:
        return None
    try:
        moment = datetime.fromisoformat(published)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    text = f"{moment.day} {moment:%b %Y, %H:%M} UTC"
    return When(published, text, ago(moment, now))


_UNITS: list[tuple[int, str]] = [
    (365 * 86_400, "year"),
    (30 * 86_400, "month"),
    (7 * 86_400, "week"),
    (86_400, "day"),
    (3_600, "hour"),
    (60, "minute"),
]


def ago(moment: datetime, now: datetime) -> str:
    """Return how long before `now` `moment` was, in its largest whole unit ("3 days
    ago"; "in 2 hours" for a moment still to come, as generated data may hold)."""
    seconds = int((now - moment).total_seconds())
    if abs(seconds) < 60:
        return "just now"
    size, unit = next((s, u) for s, u in _UNITS if abs(seconds) >= s)
    count = abs(seconds) // size
    phrase = f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{phrase} ago" if seconds > 0 else f"in {phrase}"


def cut_excerpt(marked: str, limit: int = EXCERPT_CHARS) -> Markup:
    """Return a highlighted excerpt (escaped text and <mark>) of at most `limit` visible
    characters, cut after a whole word, ending in an ellipsis when text was left out.

    An excerpt the source already cut keeps its mark: its trailing "..." becomes "…", and
    one without closing punctuation gains one, since it stops mid-sentence."""
    pieces = _pieces(marked)
    text = "".join(piece for piece, _ in pieces)
    stripped = _CUT.sub("", text)
    cut = len(stripped) < len(text.rstrip()) or not _ENDS_SENTENCE.search(stripped)
    end = len(stripped)
    if end > limit:
        space = stripped.rfind(" ", 0, limit + 1)
        end = space if space > limit // 2 else limit  # one endless word: cut inside it
        cut = True
    while cut and end and not (stripped[end - 1].isalnum() or stripped[end - 1] in _ENDS_OK):
        end -= 1  # no dangling comma or dash before the ellipsis
    out: list[str] = []
    left = end
    for piece, marked_piece in pieces:
        if left <= 0:
            break
        part = piece[:left]
        left -= len(part)
        out.append(f"<mark>{escape(part)}</mark>" if marked_piece else str(escape(part)))
    if cut and stripped and stripped[end - 1] not in ".!?":  # a whole sentence needs none
        out.append("…")
    return Markup("".join(out))  # noqa: S704 (every piece escaped above)


_ENDS_OK = set(".!?\"'\u201d\u2019)]%")


def _pieces(marked: str) -> list[tuple[str, bool]]:
    """Return (plain text, marked) runs of highlight() output."""
    pieces: list[tuple[str, bool]] = []
    inside = False
    for part in _MARK.split(marked):
        if part == "<mark>":
            inside = True
        elif part == "</mark>":
            inside = False
        elif part:
            pieces.append((html.unescape(part), inside))
    return pieces


def cards(hits: list[Hit], now: datetime, like_url: Callable[[str], str]) -> list[Card]:
    """Return the cards of `hits`; `like_url` gives a hit id's "More like this" link."""
    return [card(hit, now, like_url(hit.id)) for hit in hits]

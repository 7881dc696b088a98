"""What a search that found nothing offers instead: the spelling suggestion, a relaxed
query (fewer words, match=most instead of all, no quotes) and each filter removed.

Each offer is searched before it is shown, so the page never offers a dead end, and
says how many results it gives. Only a zero-hit page asks, at most MAX_OFFERS small
searches (one hit per page, no facets), each taking its turn like any other search.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from starlette.datastructures import QueryParams
from starlette.requests import Request

from search.errors import SearchError
from search.facets import FILTER_PARAMS
from search.params import parse_search
from search.results import SearchResult
from search.web import api, links

MAX_OFFERS = 8  # searches a zero-hit page may run: the candidates below rarely pass 6
MAX_WORDS = 5  # a longer query is offered as a whole (match=any) rather than word by word
KEPT = ("q", "like", "sort", "group", "match", "mode", "per_page")  # "Remove every filter" keeps


@dataclass(frozen=True)
class Offer:
    """A change of the search that finds something: what it does, its URL, its count."""

    kind: str  # "spelling", "relax" or "filter"
    label: str
    href: str
    total: int
    grouped: bool  # total counts stories


def candidates(pairs: links.Pairs, result: SearchResult) -> list[tuple[str, str, links.Pairs]]:
    """Return (kind, label, query-string pairs) of every change worth trying, best first."""
    base = links.without(pairs, "page")
    q = next((v for k, v in reversed(base) if k == "q"), "").strip()
    found: list[tuple[str, str, links.Pairs]] = []
    if result.suggestion:
        found.append(
            ("spelling", result.suggestion, [*links.without(base, "q"), ("q", result.suggestion)])
        )
    match = next((v for k, v in reversed(base) if k == "match"), "")
    if q and match == "all":
        found.append(("relax", "Match most of your words", links.without(base, "match")))
    if '"' in q:
        plain = " ".join(q.replace('"', " ").split())
        found.append(
            ("relax", f"Search {plain} without quotes", [*links.without(base, "q"), ("q", plain)])
        )
    words = q.split()
    if 1 < len(words) <= MAX_WORDS and '"' not in q:
        for index, word in enumerate(words):
            rest = " ".join(words[:index] + words[index + 1 :])
            found.append(
                ("relax", f"Search without “{word}”", [*links.without(base, "q"), ("q", rest)])
            )
    elif len(words) > MAX_WORDS and match != "any":
        found.append(
            ("relax", "Match any of your words", [*links.without(base, "match"), ("match", "any")])
        )
    filters = [(k, v) for k, v in base if k in FILTER_PARAMS and v]
    for name, value in filters:
        found.append(("filter", f"Remove {name}: {value}", [p for p in base if p != (name, value)]))
    dated = any(k in ("from", "to") and v for k, v in base)
    if dated:
        found.append(("filter", "Remove the dates", links.without(base, "from", "to")))
    if len(filters) + dated > 1:
        found.append(("filter", "Remove every filter", [(k, v) for k, v in base if k in KEPT]))
    return found


async def offers(request: Request, pairs: links.Pairs, result: SearchResult) -> list[Offer]:
    """Return the offers of a zero-hit `result` that find something, best first."""
    found: list[Offer] = []
    for kind, label, changed in candidates(pairs, result)[:MAX_OFFERS]:
        try:
            wanted = parse_search(QueryParams(changed), strict=False)
            answer = await api.search(request, replace(wanted, page=1, per_page=1, facets=False))
        except SearchError:
            continue  # a change the engine refuses is no offer
        if answer.result.total:
            found.append(
                Offer(
                    kind,
                    label,
                    links.url(changed),
                    answer.result.total,
                    answer.result.documents is not None,
                )
            )
    return found

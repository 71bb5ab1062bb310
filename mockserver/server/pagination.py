"""``serve --paginate N``: the index paginated as the api-pagination gem does.

An unmerged 2020 revision of the vendor docs documents ``?page=N`` with ``Link`` (RFC 8288),
``Per-Page`` and ``Total`` headers on this route; off by default, as the seed doc has none.
The page number is Kaminari's ``page(num)``: ``num.to_i``, anything below 1 is page 1, past the
last page is an empty list. Links follow api-pagination's ``pages_from``: ``first`` and
``prev`` unless on the first page, ``last`` and ``next`` unless on (or past) the last one, in
that order. The gem rebuilds the query with ``to_param`` (keys sorted, re-encoded); here the
caller's raw pairs are kept in their order with ``page`` replaced, which selects the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import unquote_plus

from mockserver.engine import ruby

PAGE_KEY = "page"
T = TypeVar("T")


@dataclass(frozen=True)
class Page:
    """One page of a result: its number, the page size and the whole result's size."""

    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def page_number(params: Mapping[str, Any]) -> int:
    """Kaminari's reading of ``page``: ``to_i``, at least 1 (a non-string is page 1 here)."""
    value = params.get(PAGE_KEY)
    return max(1, ruby.to_i(value)) if isinstance(value, str) else 1


def paginate(rows: Sequence[T], params: Mapping[str, Any], per_page: int) -> tuple[list[T], Page]:
    """The rows of the requested page, and the page."""
    page = Page(page_number(params), per_page, len(rows))
    start = (page.number - 1) * per_page
    return list(rows[start : start + per_page]), page


def _without_page(raw_query: bytes) -> list[str]:
    """The raw pairs of the query except ``page`` (Rack splits on ``&`` and ``;``), with every
    byte a header may not carry percent-encoded."""
    text = "".join(chr(b) if 0x21 <= b < 0x7F else f"%{b:02X}" for b in raw_query)
    pairs = text.replace(";", "&").split("&")
    return [p for p in pairs if p and unquote_plus(p.partition("=")[0]) != PAGE_KEY]


def headers(page: Page, url: str, raw_query: bytes) -> dict[str, str]:
    """``Link``, ``Per-Page`` and ``Total`` for ``page`` of the index at ``url`` (no query)."""
    kept = _without_page(raw_query)
    links: dict[str, int] = {}
    if page.number > 1:
        links["first"] = 1
        links["prev"] = page.number - 1
    if page.number < page.pages:
        links["last"] = page.pages
        links["next"] = page.number + 1
    out = {"Per-Page": str(page.per_page), "Total": str(page.total)}
    if links:
        out["Link"] = ", ".join(
            f'<{url}?{"&".join([*kept, f"{PAGE_KEY}={n}"])}>; rel="{rel}"' for rel, n in links.items()
        )
    return out

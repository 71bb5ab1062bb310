"""The search row: a record's typed values laid out by column, built once at load.

Dates become ``date_key`` integers (any year orders correctly), ``time_spent`` becomes tenths
(decimal(10,1)), and every text attribute gets its PostgreSQL ``lower()`` beside it, so a
request never converts or case-folds a stored value again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from mockserver.engine.postgres import pg_lower, tenths
from mockserver.model import FIELDS, Kind

Row = tuple[Any, ...]
"""A record prepared for searching: typed values by ``COLUMN``, plus lower-cased text.

A tuple, not a dict: a million rows must fit in memory; closures look columns up by index.
"""

# Ransack attributes reachable through the API's associations (course, assignee -> login).
ATTRIBUTES: dict[str, Kind] = {
    f.name: (Kind.INT if f.kind is Kind.ID else f.kind) for f in FIELDS if f.name != "account"
}
# Attributes of associated tables (courses.code, logins.username, users.login_id): Ransack
# finds them by splitting the name on "_", which is why ``course_code__eq`` still resolves.
THROUGH_ASSOCIATION = frozenset(
    {"course_code", "course_name", "assignee_login_username", "assignee_login_id"}
)
TEXT_ATTRIBUTES = tuple(name for name, kind in ATTRIBUTES.items() if kind is Kind.STR)
COLUMNS: tuple[str, ...] = (*ATTRIBUTES, *(f"{n}.lower" for n in TEXT_ATTRIBUTES), "account")
COLUMN: dict[str, int] = {name: index for index, name in enumerate(COLUMNS)}
ID = COLUMN["id"]


def _date_value(text: str) -> int:
    return int(text[:-6]) * 10000 + int(text[-5:-3]) * 100 + int(text[-2:])


def _decimal_value(text: str) -> int:
    whole, _, fraction = text.partition(".")
    if len(fraction) == 1 and text.isascii() and whole.lstrip("-").isdigit() and fraction.isdigit():
        scaled = int(whole) * 10
        return scaled - int(fraction) if whole.startswith("-") else scaled + int(fraction)
    return tenths(Decimal(text))


# Cached converters: dates, statuses, course codes and names repeat across rows, so each
# distinct value is converted once and its result object is shared (a million rows fit).
_shared = functools.lru_cache(maxsize=1 << 16)


_CONVERT: dict[Kind, Callable[[Any], Any] | None] = {
    Kind.DATE: _shared(_date_value),
    Kind.DECIMAL: _shared(_decimal_value),
}


_ROW_PLAN: tuple[tuple[str, Callable[[Any], Any] | None], ...] = (
    *((name, _CONVERT.get(kind)) for name, kind in ATTRIBUTES.items()),
    *((name, _shared(pg_lower)) for name in TEXT_ATTRIBUTES),
    ("account", None),
)


def prepare_row(record: dict[str, Any]) -> Row:
    """Typed, search-ready copy of a fixture record (dates as ``date_key``, decimals in tenths)."""
    get = record.get
    return tuple(
        value if convert is None or value is None else convert(value)
        for value, convert in ((get(name), convert) for name, convert in _ROW_PLAN)
    )

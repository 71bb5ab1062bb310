"""Why ``mockserver diff``'s two sides disagree: the Ransack rule an upstream seems to break for
one filter condition and one record, worked out from the recorded record."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from mockserver.engine.ruby import is_blank, strip, to_i
from mockserver.engine.rubydate import ruby_to_date
from mockserver.model import FILTERS_BY_NAME, Filter, Kind
from mockserver.tools.diff_queries import Record, fold

__all__ = ["Explanation", "best_rule", "explain"]

_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_CANONICAL_INT = re.compile(r"[+-]?[0-9]+\Z")
_OPS = {"gt": ">", "lt": "<", "gteq": ">=", "lteq": "<=", "eq": "="}


def _date_value(raw: str) -> str | None:
    parsed = ruby_to_date(strip(raw), dt.date.today())
    return None if parsed is None else dt.date(*parsed).isoformat()


@dataclass(frozen=True)
class Explanation:
    """A Ransack rule the upstream seems to break; ``weak`` when it says nothing about the
    record itself (a blank or odd value), so that a rule that does is preferred."""

    rule: str
    weak: bool = False


def explain(spec: Filter, raw: str, record: Record, upstream_has: bool) -> Explanation | None:
    """The rule that explains why the upstream (``upstream_has``) did or did not return
    ``record`` for ``spec=raw`` where the mock did the opposite; None when no rule fits."""
    name = spec.name
    attribute = spec.attributes[0]
    predicate = spec.predicate.value
    op = _OPS.get(predicate, predicate)
    if is_blank(raw):
        return (
            None
            if upstream_has
            else Explanation(
                f"a blank value drops {name} in Ransack (it never means 'match empty'); upstream "
                "looks like it filtered on it",
                weak=True,
            )
        )
    if spec.kind is Kind.DATE:
        day = _date_value(raw)
        if day is None:
            return (
                None
                if upstream_has
                else Explanation(
                    f"Ransack drops {name} when Date.parse rejects {raw!r}; upstream filtered on it anyway",
                    weak=True,
                )
            )
        value = record.get(attribute)
        if value is None:
            return (
                Explanation(
                    f"NULL never matches in Ransack (SQL); upstream returned a "
                    f"record with no {attribute} for {name}"
                )
                if upstream_has
                else None
            )
        if value == day and predicate in ("gt", "lt") and upstream_has:
            return Explanation(
                f"{name} is strict in Ransack ({op}); upstream looks inclusive "
                f"({op}=), as the API doc words it"
            )
        if value == day and predicate in ("gteq", "lteq") and not upstream_has:
            return Explanation(f"{name} is inclusive in Ransack ({op}); upstream looks strict ({op[0]})")
        if predicate == "eq" and upstream_has:
            for other in ("completion_date", "cert_expiry", "complete_by"):
                if other != attribute and record.get(other) == day:
                    return Explanation(
                        f"{name} compares {attribute} in Ransack; upstream looks like it compares {other}"
                    )
        if value == day and predicate == "eq" and not upstream_has:
            return Explanation(
                f"{name} compares {attribute} in Ransack; upstream missed a "
                f"record whose {attribute} is {day} (does it compare another "
                "attribute?)"
            )
        if not _ISO.match(strip(raw)):
            return Explanation(
                f"Ransack reads {raw!r} as {day} (Ruby's lenient Date.parse); "
                "upstream seems to read it differently",
                weak=True,
            )
        return None
    if spec.kind is Kind.INT:
        number = to_i(raw)
        if not _CANONICAL_INT.match(strip(raw)):
            return Explanation(
                f"Ransack casts {raw!r} with Ruby's to_i (to {number}); upstream casts it differently",
                weak=True,
            )
        if not -(2**31) <= number < 2**31:
            return Explanation(f"{raw} is outside int4; upstream handles the overflow differently", weak=True)
        return None
    value = str(record.get(attribute) or "").lower()
    text = strip(raw)
    found = text.lower() in value
    if not upstream_has and raw != text and found:
        return Explanation("Ransack strips ASCII whitespace from values; upstream seems not to")
    if upstream_has and ("_" in text or "%" in text) and not found:
        return Explanation("%, _ and \\ are literal in Ransack's _cont; upstream treats them as wildcards")
    if not upstream_has and found and text not in str(record.get(attribute) or ""):
        return Explanation("_cont is case-insensitive in Ransack (ILIKE); upstream looks case-sensitive")
    if upstream_has and not found and fold(text).lower() in fold(value):
        return Explanation("Ransack's _cont does not fold accents; upstream matches without them")
    if not upstream_has and found and not value.startswith(text.lower()):
        return Explanation("_cont matches anywhere in Ransack; upstream looks like a prefix match (_start)")
    return None


def best_rule(conditions: list[tuple[str, str]], record: Record, upstream_has: bool) -> str:
    """The strongest explanation among the conditions' (each condition's rule on ``record``)."""
    found = [
        e for name, value in conditions if (e := explain(FILTERS_BY_NAME[name], value, record, upstream_has))
    ]
    found.sort(key=lambda e: e.weak)
    return found[0].rule if found else "no known Ransack rule explains it"

"""The queries ``mockserver diff`` sends: seeded-random filter conjunctions over the recorded
values, the edge values that expose Ransack's surprises first, and the filters it cannot compare.

Filters on attributes the API does not render cannot be compared: the recording holds no
``assignee_login_username`` or ``last_attempt`` (those filters are not sent), and no
``course_name``, so ids that only the upstream returns for ``course_code_or_course_name_cont``
may match the name half and are reported as not comparable, never guessed.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import quote

from mockserver.model import FILTERS, Filter, Kind

__all__ = [
    "COMPARED",
    "NAME_HALF",
    "NAME_HALF_NOTE",
    "NOT_COMPARABLE",
    "Query",
    "Record",
    "encode",
    "fold",
    "generate_queries",
    "show_query",
]

Record = dict[str, Any]
Query = tuple[tuple[str, str], ...]  # (filter name, raw value) pairs, in order

NOT_COMPARABLE: dict[str, str] = {
    "assignee_login_username_eq": "assignee_login_username is not rendered, so the recording "
    "has none: not sent",
    "last_attempt_eq": "last_attempt is not rendered, so the recording has none: not sent",
    "course_code_or_course_name_cont": "only the course_code half: the recording has no "
    "course_name, so ids only upstream returns are not judged",
}
NAME_HALF = "course_code_or_course_name_cont"
NAME_HALF_NOTE = "not comparable: may match course_name, which the recording cannot see"
COMPARED: tuple[Filter, ...] = tuple(
    f for f in FILTERS if f.name not in NOT_COMPARABLE or f.name == NAME_HALF
)


def encode(query: Query) -> str:
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in query)


def show_query(query: Query) -> str:
    """The query as a reader types it (values JSON-quoted when they hold odd characters)."""
    if not query:
        return "(no filter)"
    return "&".join(
        f"{k}={v if v and v.isprintable() and v == v.strip() and ' ' not in v else json.dumps(v)}"
        for k, v in query
    )


def fold(text: str) -> str:
    """``text`` without its accents (what Ransack's _cont does not do)."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


class _Values:
    """Filter values drawn from the recorded records, so that most queries select something."""

    def __init__(self, records: Sequence[Record], rng: random.Random) -> None:
        self.records, self.rng = records, rng

    def present(self, attribute: str) -> list[Any]:
        return [r[attribute] for r in self.records if r.get(attribute) is not None]

    def common(self, attribute: str) -> Any:
        counted = Counter(self.present(attribute))
        return counted.most_common(1)[0][0] if counted else None

    def text(self, attribute: str) -> str:
        rng = self.rng
        pool = [str(t) for t in self.present(attribute) if t] or ["x"]
        base = rng.choice(pool)
        start = rng.randrange(len(base))
        sub = base[start : start + rng.randint(1, 6)]
        how = rng.choice(
            (
                "plain",
                "plain",
                "whole",
                "upper",
                "lower",
                "swapcase",
                "padded",
                "wildcard",
                "accentless",
                "absent",
                "blank",
            )
        )
        if how == "whole":
            return base
        if how in ("upper", "lower", "swapcase"):
            return str(getattr(sub, how)())
        if how == "padded":
            return f" {sub}\t"
        if how == "wildcard":
            at = rng.randrange(len(sub) + 1)
            return sub[:at] + rng.choice("_%") + sub[at + 1 :]
        if how == "accentless":
            return fold(sub)
        if how == "absent":
            return "zq" + sub + "xq"
        if how == "blank":
            return rng.choice(("", " ", "\u00a0"))
        return sub

    def integer(self, attribute: str) -> str:
        rng = self.rng
        value = rng.choice(self.present(attribute) or [0])
        how = rng.choice(
            ("plain", "plain", "plain", "absent", "padded", "suffix", "decimal", "word", "plus", "blank")
        )
        return {
            "plain": str(value),
            "absent": str(max(self.present(attribute) or [0]) + 7),
            "padded": f" {value} ",
            "suffix": f"{value}abc",
            "decimal": f"{value}.9",
            "word": "abc",
            "plus": f"+{value}",
            "blank": "",
        }[how]

    def date(self, attribute: str) -> str:
        rng = self.rng
        days = self.present(attribute) or ["2015-01-01"]
        day = dt.date.fromisoformat(rng.choice(days)) + dt.timedelta(days=rng.choice((0, 0, 0, -1, 1)))
        how = rng.choice(
            ("iso", "iso", "iso", "iso", "compact", "slashes", "words", "invalid", "blank", "padded")
        )
        return {
            "iso": day.isoformat(),
            "compact": day.strftime("%Y%m%d"),
            "slashes": f"{day.year}/{day.month}/{day.day}",
            "words": day.strftime("%b %d %Y"),
            "invalid": f"{day.year}-02-30",
            "blank": "",
            "padded": f" {day.isoformat()} ",
        }[how]

    def value(self, spec: Filter) -> str:
        if spec.kind is Kind.DATE:
            return self.date(spec.attributes[0])
        if spec.kind is Kind.INT:
            return self.integer(spec.attributes[0])
        return self.text(spec.attributes[0])


def _edge_queries(values: _Values) -> Iterator[Query]:
    """One query per compared filter on the value most likely to show a Ransack surprise."""
    for spec in COMPARED:
        attribute = spec.attributes[0]
        common = values.common(attribute)
        if common is None:
            continue
        if spec.kind is Kind.STR:
            yield ((spec.name, str(common)[1:4].swapcase() or str(common)),)
        else:
            yield ((spec.name, str(common)),)
    yield (("score_eq", "abc"),)
    yield (("full_name_cont", ""),)
    yield (("completion_date_lteq", "2015-02-30"),)
    names = [n for n in values.present("full_name") if len(n) > 3]
    if names:
        yield (("full_name_cont", names[0][1] + "_" + names[0][3:5]),)


def generate_queries(records: Sequence[Record], seed: int) -> Iterator[Query]:
    """Edge queries first, then seeded-random conjunctions of one to three compared filters;
    never the same query twice. Endless: the caller stops at its budget."""
    values = _Values(records, random.Random(seed))
    seen: set[Query] = set()
    for query in _edge_queries(values):
        if query not in seen:
            seen.add(query)
            yield query
    misses = 0
    while misses < 1000:
        size = values.rng.choice((1, 1, 2, 2, 3))
        specs = values.rng.sample(COMPARED, size)
        query = tuple((spec.name, values.value(spec)) for spec in specs)
        if query in seen:
            misses += 1
            continue
        seen.add(query)
        yield query

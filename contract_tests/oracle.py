"""The suite's own expectation of every documented filter, written from the API doc and
Ransack's semantics as measured on a real Rails 6.1 + Ransack 4.1 + PostgreSQL 15 app only
(never from ``mockserver/``), so that a bug in the mock's engine cannot agree with itself.

What differs between Rails/Ransack generations (strip or not, ``_`` a wildcard, an
out-of-range integer a 500, ...) is a ``Rules`` value: the suite asserts one generation's
semantics everywhere (``generation.py`` picks it, ``MODERN`` is today's stack).

A record is judged three-valued: True (must be returned), False (must not), None (cannot
tell: the condition reads an attribute the API does not render, e.g. ``last_attempt``). A
query's expectation is then a lower and an upper bound on the result, equal when every
condition is on rendered fields. Inputs the oracle cannot judge (arbitrary ``Date.parse``
strings) raise ``CannotTellError``; the strategies only generate judgeable values.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Record = Mapping[str, Any]

HIDDEN_ATTRIBUTES = ("course_name", "assignee_login_username", "last_attempt")

# Ruby String#strip: ASCII whitespace and NUL. Not NBSP, not other Unicode spaces.
RUBY_STRIP = "\t\n\v\f\r \x00"
# ActiveSupport blank?: /\A[[:space:]]*\z/, Onigmo's [[:space:]] being Unicode White_Space.
UNICODE_SPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)
INT4 = (-(2**31), 2**31 - 1)


class CannotTellError(ValueError):
    """The oracle does not know what the endpoint must do with this input."""


@dataclass(frozen=True)
class Rules:
    """The semantics of one stack generation, one switch per behaviour the suite asserts
    (named after the quirks of schemas/stacks.json; the defaults are today's stack)."""

    strip: bool = True  # Ransack >= 2.4 strips string values (no_strip)
    i_cont: bool = True  # Ransack >= 2.3.1 has _i_cont (i_cont_ignored: the key is ignored)
    underscore_wildcard: bool = False  # Ransack <= 1.7: `_` in _cont is a wildcard
    overflow_500: bool = False  # Ransack < 4: an out-of-int4 integer is a 500
    invalid_utf8_500: bool = False  # Rails 4.x: invalid UTF-8 is a 500, not a 400
    string_error_status: bool = False  # Rails <= 4.2: {"status":"404",...}
    strict_token_scheme: bool = False  # Rails <= 4.2: Bearer and `Token  token=` are refused
    unauthorized_as_format: bool = False  # Rails <= 4.2: the 401 takes the request's format
    bad_accept_ignored: bool = False  # Rails < 6.0: Accept: foo is ignored (200)

    def normalise(self, raw: str, kind: str) -> str | None:
        """The value Ransack casts, or None when the condition is dropped (blank).

        Ransack >= 2.4 strips every string value (Ruby's String#strip: ASCII whitespace and
        NUL, not NBSP); before it, a string keeps its padding, while to_i and Date.parse skip
        it anyway. Blank is ActiveSupport's (Unicode White_Space), on the value as normalised.
        """
        value = ruby_strip(raw) if self.strip or kind != "str" else raw
        return None if is_blank(value) else value


MODERN = Rules()


@dataclass(frozen=True)
class Filter:
    """A documented search parameter, as the doc names it and Ransack reads it."""

    name: str
    attributes: tuple[str, ...]  # OR-ed
    predicate: str  # Ransack's spelling: eq, cont, gt, lt, gteq, lteq
    kind: str  # "str", "int" or "date"
    doc: str  # the vendor doc's wording, quoted in failure messages

    @property
    def rendered(self) -> bool:
        """Whether every attribute it reads appears in the records (so it can be checked exactly)."""
        return not any(a in HIDDEN_ATTRIBUTES for a in self.attributes)


FILTERS: tuple[Filter, ...] = (
    Filter(
        "course_code_or_course_name_cont",
        ("course_code", "course_name"),
        "cont",
        "str",
        "Filter by course code or course name.",
    ),
    Filter("full_name_cont", ("full_name",), "cont", "str", "Filter by full name."),
    Filter("score_eq", ("score",), "eq", "int", "Filter by score."),
    Filter(
        "completion_date_gteq",
        ("completion_date",),
        "gteq",
        "date",
        "Filter by completion date greater or equal to the date provided.",
    ),
    Filter(
        "completion_date_lteq",
        ("completion_date",),
        "lteq",
        "date",
        "Filter by completion date less than or equal to the date provided.",
    ),
    Filter(
        "cert_expiry_gt",
        ("cert_expiry",),
        "gt",
        "date",
        "Filter by certificate expiry greater or equal to the date provided.",
    ),
    Filter(
        "cert_expiry_lt",
        ("cert_expiry",),
        "lt",
        "date",
        "Filter by certificate expiry less than or equal to the date provided.",
    ),
    Filter("percent_complete_eq", ("percent_complete",), "eq", "int", "Filter by % complete."),
    Filter("complete_by_eq", ("complete_by",), "eq", "date", "Filter by date of completion."),
    Filter("last_attempt_eq", ("last_attempt",), "eq", "date", "Filter by date of last attempt."),
    Filter(
        "assignee_login_username_eq",
        ("assignee_login_username",),
        "eq",
        "str",
        "Filter by the assigned trainee's username.",
    ),
    Filter(
        "failed_attempts_eq",
        ("failed_attempts",),
        "eq",
        "int",
        "Filter by # of failed attempts at the Final Quiz.",
    ),
)
FILTERS_BY_NAME = {f.name: f for f in FILTERS}
# Not documented, but what the fingerprint and test_generation ask: Ransack's case-insensitive
# cont (Ruby downcases the value, then ILIKE), judged by the same normalisation.
I_CONT = Filter("full_name_i_cont", ("full_name",), "i_cont", "str", "(undocumented) Ransack's _i_cont")

# Where the doc and Ransack disagree, the suite asserts Ransack and says so.
DOC_VS_RANSACK = {
    "cert_expiry_gt": "the doc says 'greater or equal', but Ransack's _gt is a strict >",
    "cert_expiry_lt": "the doc says 'less than or equal', but Ransack's _lt is a strict <",
}


# --- Ruby and PostgreSQL rules ------------------------------------------------------------------


def ruby_strip(text: str) -> str:
    return text.strip(RUBY_STRIP)


def is_blank(text: str | None) -> bool:
    """Ransack drops a condition whose value is nil or blank: it never means 'match empty'."""
    return text is None or all(c in UNICODE_SPACE for c in text)


def ruby_to_i(text: str) -> int:
    """Ruby String#to_i: leading ASCII whitespace, an optional sign and ``0d`` prefix, ASCII
    digits with single '_' between; else 0."""
    match = re.match(r"[\t\n\v\f\r ]*([+-]?)(?:0[dD](?=[0-9]))?([0-9]+(?:_[0-9]+)*)", text)
    return int(match.group(1) + match.group(2).replace("_", "")) if match else 0


def ruby_downcase(text: str) -> str:
    """Ruby String#downcase: full Unicode lower case per character (İ is i + U+0307), without
    the final-sigma rule Python's str.lower applies."""
    return "".join(c.lower() for c in text)


def pg_lower(text: str) -> str:
    """PostgreSQL lower(), applied per code point (no final-sigma rule; U+0130 gives 'i')."""
    return "".join("i" if c == "\u0130" else c.lower() for c in text)


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_DATE_FORMS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.I | re.ASCII), order)
    for pattern, order in (
        (r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})", "ymd"),  # ISO, also unpadded 2015-1-1
        (r"([0-9]{4})-([0-9]{2})-([0-9]{2})T[0-9:]{8}[+-][0-9]{2}:[0-9]{2}", "ymd"),  # no tz shift
        (r"([0-9]{4})([0-9]{2})([0-9]{2})", "ymd"),
        (r"([0-9]{4})/([0-9]{1,2})/([0-9]{1,2})", "ymd"),
        (r"([0-9]{4})\.([0-9]{1,2})\.([0-9]{1,2})", "ymd"),
        (r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})", "dmy"),  # Ruby reads a/b/yyyy as day/month
        (r"([0-9]{1,2}) ([a-z]{3}) ([0-9]{4})", "dby"),
        (r"([a-z]{3}) ([0-9]{1,2}) ([0-9]{4})", "bdy"),
        (r"([a-z]{3,9}) ([0-9]{1,2}), ([0-9]{4})", "Bdy"),
    )
)
# Inputs Date.parse rejects (the condition is dropped), as observed in the reference.
UNPARSEABLE_DATES = (
    "2015",
    "2015-01",
    "garbage",
    "today",
    "2015-02-30",
    "2015-13-01",
    "2015-00-10",
    "2015-04-31",
)


def cast_date(text: str) -> dt.date | None:
    """Ruby ``to_date`` for the forms this oracle knows; None means the condition is dropped."""
    if text in UNPARSEABLE_DATES:
        return None
    for pattern, order in _DATE_FORMS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        a, b, c = match.groups()
        try:
            if order == "ymd":
                year, month, day = int(a), int(b), int(c)
            elif order == "dmy":
                year, month, day = int(c), int(b), int(a)
            elif order == "dby":
                year, month, day = int(c), _month(b, _MONTHS), int(a)
            elif order == "bdy":
                year, month, day = int(c), _month(a, _MONTHS), int(b)
            else:
                year, month, day = int(c), _month(a, _MONTH_NAMES), int(b)
            return dt.date(year, month, day)
        except ValueError:
            return None  # e.g. 2015-02-30: Date.parse raises, Ransack drops the condition
    raise CannotTellError(f"the oracle does not know how Date.parse reads {text!r}")


def _month(name: str, table: Sequence[str]) -> int:
    lowered = name.lower()
    if lowered not in table:
        raise CannotTellError(f"unknown month name {name!r}")
    return table.index(lowered) + 1


def format_date(day: dt.date, form: str) -> str:
    """``day`` written in one of the lenient forms ``cast_date`` knows (the year always in four
    digits: Date.parse reads a one- or two-digit year as 19xx/20xx)."""
    year = f"{day.year:04d}"
    forms = {
        "iso": day.isoformat(),
        "unpadded": f"{year}-{day.month}-{day.day}",
        "time": f"{day.isoformat()}T23:59:59-12:00",
        "compact": f"{year}{day.month:02d}{day.day:02d}",
        "slash": f"{year}/{day.month:02d}/{day.day:02d}",
        "dot": f"{year}.{day.month:02d}.{day.day:02d}",
        "dmy": f"{day.day:02d}/{day.month:02d}/{year}",
        "d_mon_y": f"{day.day} {_MONTHS[day.month - 1].title()} {year}",
        "mon_d_y": f"{_MONTHS[day.month - 1].title()} {day.day} {year}",
        "month_d_y": f"{_MONTH_NAMES[day.month - 1].title()} {day.day}, {year}",
    }
    return forms[form]


DATE_FORMS = ("iso", "unpadded", "time", "compact", "slash", "dot", "dmy", "d_mon_y", "mon_d_y", "month_d_y")


# --- one condition ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """A documented filter with its cast operand (None operand: the condition is dropped)."""

    filter: Filter
    raw: str | None
    operand: Any
    rules: Rules = MODERN

    @property
    def dropped(self) -> bool:
        return self.operand is None

    @property
    def error(self) -> str | None:
        """Why the whole request is a 500 on this generation, or None."""
        if (
            self.rules.overflow_500
            and isinstance(self.operand, int)
            and not INT4[0] <= self.operand <= INT4[1]
        ):
            return (
                f"{self.filter.name}={self.raw!r} is out of int4: a 500 before Ransack 4.0 "
                "(RangeError from Arel's Casted node)"
            )
        return None

    def explain(self) -> str:
        """Ransack's reading of the raw value, for failure messages."""
        if self.dropped:
            return (
                f"{self.filter.name}={self.raw!r} is dropped (nil, blank, not a date, or a key "
                "this generation ignores)"
            )
        return f"{self.filter.name}={self.raw!r} means {self.filter.predicate} {self.operand!r}"


def condition(name: str, raw: str | None, rules: Rules = MODERN) -> Condition:
    """Cast ``raw`` as Ransack does for filter ``name``: the generation's normalisation (strip,
    blank), then to_i or to_date. Every expectation of the suite starts here, never from raw text."""
    spec = FILTERS_BY_NAME[name] if name in FILTERS_BY_NAME else {I_CONT.name: I_CONT}[name]
    if raw is None or (spec is I_CONT and not rules.i_cont):  # nil, or a key Ransack ignores
        return Condition(spec, raw, None, rules)
    if "\x00" in raw:
        raise CannotTellError("an embedded NUL is a 500 or a truncation, not a filter (see test_generation)")
    value = rules.normalise(raw, spec.kind)
    if value is None:
        return Condition(spec, raw, None, rules)
    if spec.kind == "int":
        return Condition(spec, raw, ruby_to_i(value), rules)
    if spec.kind == "date":
        return Condition(spec, raw, cast_date(value), rules)
    return Condition(spec, raw, value, rules)


def judge(cond: Condition, record: Record) -> bool | None:
    """Whether ``record`` satisfies ``cond``: True, False, or None when it reads hidden data."""
    if cond.dropped:
        return True
    outcomes = [_judge_attribute(cond, attribute, record) for attribute in cond.filter.attributes]
    if True in outcomes:
        return True
    return None if None in outcomes else False


def _judge_attribute(cond: Condition, attribute: str, record: Record) -> bool | None:
    if attribute in HIDDEN_ATTRIBUTES:
        return None
    value = record.get(attribute)
    if value is None:
        return False  # SQL NULL never matches
    predicate, operand = cond.filter.predicate, cond.operand
    if predicate in ("cont", "i_cont"):
        if predicate == "i_cont":
            operand = ruby_downcase(operand)  # i_cont's formatter, before ILIKE lowers both sides
        if cond.rules.underscore_wildcard and "_" in operand:  # ILIKE's `_`: any one character
            pattern = ".".join(re.escape(part) for part in pg_lower(operand).split("_"))
            return re.search(pattern, pg_lower(value), re.S) is not None
        return pg_lower(operand) in pg_lower(value)  # literal: no wildcard survives escaping
    if cond.filter.kind == "date":
        value = dt.date.fromisoformat(value)
    if predicate == "eq":
        return bool(value == operand)
    if predicate == "gt":
        return bool(value > operand)
    if predicate == "lt":
        return bool(value < operand)
    if predicate == "gteq":
        return bool(value >= operand)
    if predicate == "lteq":
        return bool(value <= operand)
    raise AssertionError(f"unknown predicate {predicate}")  # pragma: no cover


# --- a whole query ------------------------------------------------------------------------------


def effective_params(pairs: Iterable[tuple[str, str | None]]) -> dict[str, str | None]:
    """Rack's reading of the documented scalar pairs: the last value of a repeated key wins.

    Other keys are left out (Ransack ignores them); ``k[]``/``k[x]`` forms of documented keys
    have dedicated tests, so the oracle refuses them here.
    """
    params: dict[str, str | None] = {}
    for key, value in pairs:
        base = key.partition("[")[0]
        if base in FILTERS_BY_NAME and base != key:
            raise CannotTellError(f"{key!r}: array and hash params are judged by dedicated tests")
        if key in FILTERS_BY_NAME:
            params[key] = value
    return params


def conditions(pairs: Iterable[tuple[str, str | None]], rules: Rules = MODERN) -> list[Condition]:
    """The documented conditions of a query; every other key is ignored, as Ransack does."""
    params = effective_params(pairs)
    return [condition(key, value, rules) for key, value in params.items()]


@dataclass(frozen=True)
class Expectation:
    """Bounds on the result: ``must`` ids are returned, nothing outside ``may`` is."""

    must: frozenset[int]
    may: frozenset[int]
    conditions: tuple[Condition, ...]

    @property
    def exact(self) -> bool:
        return self.must == self.may

    @property
    def error(self) -> str | None:
        """Why the request is a 500 on this generation (then no rows are expected), or None."""
        return next((c.error for c in self.conditions if c.error), None)


def expect(records: Sequence[Record], conds: Sequence[Condition]) -> Expectation:
    """Bounds on the ids ``conds`` (ANDed) select from ``records``."""
    must: set[int] = set()
    may: set[int] = set()
    for record in records:
        outcomes = [judge(c, record) for c in conds]
        if False in outcomes:
            continue
        may.add(record["id"])
        if None not in outcomes:
            must.add(record["id"])
    return Expectation(frozenset(must), frozenset(may), tuple(conds))

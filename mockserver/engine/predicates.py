"""Ransack predicates: key resolution, value casting, and the row tests they compile to.

``split_key`` finds the predicate suffix (longest first) and the ``_or_``/``_and_`` attribute
list; ``build_condition`` is Condition.extract plus Arel: it casts values the way Ransack's
Value#cast does for the column type and compiles SQL semantics (NULL never matches, escaped
ILIKE) into closures over a row. It raises the deliberate Rails 500s. Pure: no I/O.
"""

from __future__ import annotations

import datetime
import functools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, Overflow
from typing import Any, Protocol

from mockserver.engine import ruby
from mockserver.engine.postgres import date_key, escape_like, like_regex, pg_lower, tenths
from mockserver.engine.rack import ParamValue
from mockserver.engine.rows import ATTRIBUTES, COLUMN, Row
from mockserver.engine.rubydate import ruby_date_new, ruby_to_date
from mockserver.errors import InternalServerError
from mockserver.model import INT4_MAX, INT4_MIN, Kind


@dataclass(frozen=True)
class PredicateSpec:
    """A Ransack predicate: the SQL operator it builds and how values reach it."""

    name: str
    op: str  # eq not_eq lt lteq gt gteq in not_in like not_like null not_null present blank
    quantifier: str | None = None  # "any" / "all" for compound predicates
    pattern: str | None = None  # "cont" / "start" / "end" / "raw" for LIKE operators
    boolean: bool = False  # value is a boolean switch (null, present, ...)

    @property
    def wants_array(self) -> bool:
        return self.quantifier is not None or self.op in ("in", "not_in")


def _predicate_table() -> dict[str, PredicateSpec]:
    table: dict[str, PredicateSpec] = {}
    arel = {
        "eq": "eq",
        "not_eq": "not_eq",
        "lt": "lt",
        "lteq": "lteq",
        "gt": "gt",
        "gteq": "gteq",
        "in": "in",
        "not_in": "not_in",
        "matches": "like",
        "does_not_match": "not_like",
    }
    derived = {
        "cont": ("like", "cont"),
        "not_cont": ("not_like", "cont"),
        "i_cont": ("like", "icont"),
        "not_i_cont": ("not_like", "icont"),
        "start": ("like", "start"),
        "not_start": ("not_like", "start"),
        "end": ("like", "end"),
        "not_end": ("not_like", "end"),
    }
    for name, op in arel.items():
        pattern = "raw" if op in ("like", "not_like") else None
        table[name] = PredicateSpec(name, op, None, pattern)
        for q in ("any", "all"):
            table[f"{name}_{q}"] = PredicateSpec(f"{name}_{q}", op, q, pattern)
    for name, (op, pattern) in derived.items():
        table[name] = PredicateSpec(name, op, None, pattern)
        for q in ("any", "all"):
            table[f"{name}_{q}"] = PredicateSpec(f"{name}_{q}", op, q, pattern)
    for name in ("null", "not_null", "present", "blank", "true", "not_true", "false", "not_false"):
        table[name] = PredicateSpec(name, name, None, None, boolean=True)
    return table


PREDICATES = _predicate_table()


# Longest first, exactly as Ransack detects a predicate suffix.
_SUFFIXES = sorted(PREDICATES, key=len, reverse=True)
_TRUE = frozenset({"1", "t", "T", "true", "TRUE"})
_FALSE = frozenset({"0", "f", "F", "false", "FALSE"})


@functools.lru_cache(maxsize=4096)
def split_key(key: str) -> tuple[tuple[str, ...], str, PredicateSpec] | None:
    """Resolve ``course_code_or_course_name_cont`` into attributes, combinator and predicate.

    None when Ransack would ignore the key (no predicate, or an attribute it cannot resolve).
    """
    for suffix in _SUFFIXES:
        if key.endswith("_" + suffix):
            stem = key[: -len(suffix) - 1]
            predicate = PREDICATES[suffix]
            break
    else:
        return None
    if stem in ATTRIBUTES:
        return (stem,), "or", predicate
    match = re.search(r"_(or|and)_", stem)
    names = tuple(re.split(r"_and_|_or_", stem))
    if match is None or not all(n in ATTRIBUTES for n in names):
        return None
    return names, match.group(1), predicate


_LOOSE_DECIMAL = re.compile(r"\s*([+-]?(?:[0-9][0-9_]*)?(?:\.[0-9][0-9_]*)?(?:[eE][+-]?[0-9]+)?)")


def cast_value(value: ParamValue, kind: Kind, key: str) -> Any:
    """One value as Ransack casts it for a column of ``kind``; None is SQL NULL."""
    if kind is Kind.INT:
        if isinstance(value, (list, dict)):
            raise InternalServerError(
                f"{key!r}: an array or hash given to an integer filter raises NoMethodError "
                "(undefined method `to_i') in Rails, which answers 500"
            )
        return None if ruby.is_blank(value) else ruby.to_i(value or "")
    if kind is Kind.DATE:
        if isinstance(value, list):  # Date.new(*[value].flatten) with defaults 1, 1
            parts = [*_flatten(value), None, None, None][:3]
            if not all(isinstance(p, int) or p is None for p in parts) or parts[0] is None:
                return None
            made = ruby_date_new(parts[0], parts[1] or 1, parts[2] or 1)
            return None if made is None else date_key(*made)
        if not isinstance(value, str) or ruby.is_blank(value):
            return None
        parsed = _to_date(value, datetime.date.today())
        return None if parsed is None else date_key(*parsed)
    if kind is Kind.DECIMAL:
        if ruby.is_blank(value):
            return None
        text = value if isinstance(value, str) else ruby.inspect(value)
        number = _LOOSE_DECIMAL.match(text)
        digits = number.group(1).replace("_", "") if number else ""
        try:
            number_value = Decimal(digits)
        except InvalidOperation:
            return 0  # BigDecimal reads no number as 0
        try:
            return tenths(number_value)
        except Overflow:  # beyond any decimal(10,1): compares as an infinity of its sign
            return -math.inf if number_value < 0 else math.inf
    # text columns: to_s (Ruby inspect for arrays and hashes, "" for nil)
    if value is None:
        return ""
    return value if isinstance(value, str) else ruby.inspect(value)


@functools.lru_cache(maxsize=8192)
def _to_date(value: str, today: datetime.date) -> tuple[int, int, int] | None:
    """Ruby's String#to_date, memoised per value and day (an incomplete date takes today's)."""
    return ruby_to_date(value)


def _flatten(value: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in value:
        out.extend(_flatten(item) if isinstance(item, list) else [item])
    return out


Test = Callable[[Row], bool]


@dataclass(frozen=True)
class Hint:
    """A condition in a form an index can answer: ``attribute op operand``.

    ``op`` is one of eq lt lteq gt gteq (operand: a cast value), ``in`` (operand: a frozenset)
    or ``contains`` (operand: the lower-cased literal text a plain ``_cont`` looks for).
    The index only narrows the candidates; every candidate is still checked by ``matches``.
    """

    attributes: tuple[str, ...]  # OR-ed, as in course_code_or_course_name_cont
    op: str
    operand: Any


@dataclass(frozen=True)
class Notice:
    """A parameter the live API silently ignores or reinterprets; shown to the developer."""

    param: str
    message: str

    def __str__(self) -> str:
        return f"{self.param}: {self.message}"


class Findings(Protocol):
    """Where building a condition reports what the live API would silently do."""

    notices: list[Notice]
    empty: bool  # set when ActiveRecord would swallow a RangeError and return nothing


@dataclass
class Condition:
    """One Ransack condition: attributes combined by ``combinator``, each tested by ``test``."""

    key: str
    attributes: tuple[str, ...]
    combinator: str
    predicate: PredicateSpec
    values: tuple[Any, ...]
    tests: tuple[Test, ...] = ()
    hint: Hint | None = None  # what an index can answer for this condition, if anything

    def matches(self, row: Row) -> bool:
        if self.combinator == "and":
            return all(test(row) for test in self.tests)
        return any(test(row) for test in self.tests)


def _compare_test(attribute: str, op: str, operand: Any) -> Test:
    """SQL comparison; a NULL column or a NULL operand is never true."""
    if operand is None:
        return lambda row: False
    i = COLUMN[attribute]
    if op == "eq":
        return lambda row: row[i] == operand
    if op == "not_eq":
        return lambda row: row[i] is not None and row[i] != operand
    if op == "lt":
        return lambda row: row[i] is not None and row[i] < operand
    if op == "lteq":
        return lambda row: row[i] is not None and row[i] <= operand
    if op == "gt":
        return lambda row: row[i] is not None and row[i] > operand
    if op == "gteq":
        return lambda row: row[i] is not None and row[i] >= operand
    raise AssertionError(op)


def _like_test(attribute: str, pattern: str, negate: bool) -> Test:
    """ILIKE on PostgreSQL: lower() both sides per code point, then LIKE."""
    lowered = pg_lower(pattern)
    column = COLUMN[attribute + ".lower"]
    inner = lowered[1:-1]
    if (
        lowered.startswith("%")
        and lowered.endswith("%")
        and len(lowered) >= 2
        and not re.search(r"(?<!\\)[%_]", inner)
        and "\\" not in inner
    ):
        # the common case, a plain substring
        def positive(row: Row) -> bool:
            text = row[column]
            return text is not None and inner in text
    else:
        regex = like_regex(lowered)

        def positive(row: Row) -> bool:
            text = row[column]
            return text is not None and regex.fullmatch(text) is not None

    if not negate:
        return positive
    return lambda row: row[column] is not None and not positive(row)


def _pattern(kind: str, text: str) -> str:
    """The LIKE pattern Ransack's formatter builds (i_cont downcases with Ruby first)."""
    if kind == "icont":
        return f"%{escape_like(text.lower())}%"
    if kind == "cont":
        return f"%{escape_like(text)}%"
    if kind == "start":
        return f"{escape_like(text)}%"
    if kind == "end":
        return f"%{escape_like(text)}"
    return text  # matches: the raw pattern, wildcards live


def _in_test(attribute: str, operands: Sequence[Any], negate: bool) -> Test:
    i = COLUMN[attribute]
    present = frozenset(v for v in operands if v is not None)
    if not negate:
        return lambda row: row[i] in present
    if any(v is None for v in operands):
        return lambda row: False  # x NOT IN (..., NULL) is never true
    return lambda row: row[i] is not None and row[i] not in present


def _boolean_test(attribute: str, kind: Kind, op: str, switch: bool) -> Test:
    """null / not_null / present / blank as Arel renders them on PostgreSQL."""
    i = COLUMN[attribute]
    if op == "not_null":
        op, switch = "null", not switch
    if op == "null":
        if switch:
            return lambda row: row[i] is None
        return lambda row: row[i] is not None
    if op == "blank":
        op, switch = "present", not switch
    if switch:  # not_eq_all [NULL, '']
        if kind is Kind.STR:
            return lambda row: row[i] is not None and row[i] != ""
        return lambda row: False  # observed: '' never compares on a non-text column
    # eq_any [NULL, '']
    if kind is Kind.STR:
        return lambda row: row[i] is None or row[i] == ""
    return lambda row: row[i] is None


def _has_nul(value: Any) -> bool:
    return isinstance(value, str) and "\x00" in value


def build_condition(
    key: str,
    names: tuple[str, ...],
    combinator: str,
    predicate: PredicateSpec,
    raw: ParamValue,
    search: Findings,
) -> Condition | None:
    """Condition.extract + arel building for one parameter, or None if Ransack drops it."""
    kinds = [ATTRIBUTES[n] for n in names]
    if predicate.boolean:
        if not isinstance(raw, str) or raw not in _TRUE | _FALSE:
            search.notices.append(Notice(key, f"{ruby.inspect(raw)} is not a boolean; ignored"))
            return None
        switch = raw in _TRUE
        if predicate.op in ("true", "not_true", "false", "not_false"):
            raise InternalServerError(
                f"{key!r}: compares a {kinds[0].value} column with a boolean, a PostgreSQL "
                "error (operator does not exist) that Rails answers with 500"
            )
        switches = tuple(_boolean_test(n, k, predicate.op, switch) for n, k in zip(names, kinds, strict=True))
        return Condition(key, names, combinator, predicate, (switch,), switches)

    raw_values: list[ParamValue]
    if predicate.wants_array:
        if isinstance(raw, list):
            raw_values = list(raw)
        elif isinstance(raw, dict):
            raw_values = [[k, v] for k, v in raw.items()]
        else:
            raw_values = [raw]
        # the validator drops nil and empty elements before casting
        raw_values = [v for v in raw_values if v is not None and len(v) > 0]
    else:
        raw_values = [raw]

    tests: list[Test] = []
    cast_values: list[Any] = []
    for name, kind in zip(names, kinds, strict=False):
        values = [cast_value(v, kind, key) for v in raw_values]
        cast_values.extend(values)
        if not any(v is not None and v != "" for v in values):
            continue
        if predicate.pattern is not None:
            if kind is not Kind.STR:
                raise InternalServerError(
                    f"{key!r}: LIKE on the {kind.value} column {name!r} is a PostgreSQL error "
                    "(operator does not exist), which Rails answers with 500"
                )
            texts = [_pattern(predicate.pattern, v) for v in values if v is not None]
            if any(re.search(r"(?<!\\)(?:\\\\)*\\\Z", t) for t in texts):
                raise InternalServerError(
                    f"{key!r}: a LIKE pattern ending in a lone backslash is a PostgreSQL error "
                    "(LIKE pattern must not end with escape character); Rails answers 500"
                )
            subtests = [_like_test(name, t, predicate.op == "not_like") for t in texts]
        elif predicate.op in ("in", "not_in"):
            subtests = [_in_test(name, values, predicate.op == "not_in")]
        else:
            subtests = [_compare_test(name, predicate.op, v) for v in values]
        if (
            kind is Kind.INT
            and predicate.wants_array
            and any(v is not None and not INT4_MIN <= v <= INT4_MAX for v in values)
        ):
            search.empty = True  # ActiveModel raises RangeError; ActiveRecord returns []
        if kind is Kind.STR and any(_has_nul(v) for v in values):
            raise InternalServerError(
                f"{key!r}: a value with a NUL byte makes PostgreSQL's quoting raise "
                "ArgumentError (string contains null byte); Rails answers 500"
            )
        tests.append(_combine(subtests, predicate.quantifier))
    if not tests:
        if kinds[0] is Kind.DATE:
            search.notices.append(
                Notice(key, f"{ruby.inspect(raw)} is not a date Ruby can parse; the condition is dropped")
            )
        return None
    if kinds[0] is Kind.INT and isinstance(raw, str) and not re.fullmatch(r"[+-]?[0-9]+", raw):
        search.notices.append(
            Notice(key, f"{raw!r} is not an integer; Ruby's to_i reads it as {cast_values[0]}")
        )
    return Condition(
        key,
        names,
        combinator,
        predicate,
        tuple(cast_values),
        tuple(tests),
        _hint(names, combinator, predicate, cast_values),
    )


def _hint(
    names: tuple[str, ...], combinator: str, predicate: PredicateSpec, values: list[Any]
) -> Hint | None:
    """The index-friendly form of a single-value condition (OR-ed attributes allowed)."""
    if predicate.quantifier is not None or (len(names) > 1 and combinator != "or"):
        return None
    if predicate.op == "in" and len(names) == 1:
        return Hint(names, "in", frozenset(v for v in values if v is not None))
    if not values or values[0] is None or any(v != values[0] for v in values):
        return None
    value = values[0]
    if predicate.op in ("eq", "lt", "lteq", "gt", "gteq") and len(names) == 1:
        return Hint(names, predicate.op, value)
    if predicate.op == "like" and predicate.pattern in ("cont", "icont") and isinstance(value, str):
        return Hint(names, "contains", pg_lower(value.lower() if predicate.pattern == "icont" else value))
    return None


def _combine(tests: list[Test], quantifier: str | None) -> Test:
    if len(tests) == 1:
        return tests[0]
    if quantifier == "all":
        return lambda row: all(t(row) for t in tests)
    return lambda row: any(t(row) for t in tests)

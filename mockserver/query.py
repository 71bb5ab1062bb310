"""The Ransack engine: Rack params in, a compiled search out, ordered rows out of that.

Pure (no I/O, no aiohttp). It reproduces Ransack 4.1 on PostgreSQL as measured in
``shared/spec/ransack-semantics.md``: key resolution (longest predicate suffix first, ``_or_``
/``_and_`` attribute lists, unknown names ignored), Search's strip and blank rules, Value#cast
per column type, escaped ILIKE with per-code-point ``lower()``, SQL NULL logic, ``m=or`` and
``s=`` sorting, and the deliberate Rails failures (500 for ``score_eq[]=``, a NUL byte, LIKE
on a non-text column).

    compile_search(params) -> Search      parse once per request
    Search.matches(row) -> bool           the reference semantics, row by row
    run(search, rows) -> list[Row]        filter + Ransack/controller order
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from . import ruby
from .errors import InternalServerError
from .model import FIELDS, INT4_MAX, INT4_MIN, Kind
from .rack import Params, ParamValue
from .rubydate import ruby_date_new, ruby_to_date

Row = tuple[Any, ...]
"""A record prepared for searching: typed values by ``COLUMN``, plus lower-cased text.

A tuple, not a dict: a million rows must fit in memory; closures look columns up by index.
"""

# Ransack attributes reachable through the API's associations (course, assignee -> login).
ATTRIBUTES: dict[str, Kind] = {
    f.name: (Kind.INT if f.kind is Kind.ID else f.kind) for f in FIELDS if f.name != "account"
}
TEXT_ATTRIBUTES = tuple(name for name, kind in ATTRIBUTES.items() if kind is Kind.STR)
COLUMNS: tuple[str, ...] = (*ATTRIBUTES, *(f"{n}.lower" for n in TEXT_ATTRIBUTES), "account")
COLUMN: dict[str, int] = {name: index for index, name in enumerate(COLUMNS)}
ID = COLUMN["id"]
CONTROLLER_KEYS = frozenset({"controller", "action", "format"})


def date_key(year: int, month: int, day: int) -> int:
    """An integer that orders like the date, for any year (0, negative, > 9999)."""
    return year * 10000 + month * 100 + day


def pg_lower(text: str) -> str:
    """PostgreSQL ``lower()``: per code point, no final-sigma rule, U+0130 becomes plain i."""
    if text.isascii() or ("\u03a3" not in text and "\u0130" not in text):
        return text.lower()  # only final sigma and U+0130 make str.lower() differ
    return "".join("i" if c == "\u0130" else c.lower() for c in text)


_SPECIAL_PRIMARY = {"ß": "ss", "ẞ": "ss", "ı": "i"}


def collation_key(text: str) -> tuple[Any, ...]:
    """An approximation of glibc 2.36's en_US.UTF-8 collation, which ORDER BY uses.

    Spaces and punctuation are ignored, symbols sort before digits and letters; then level 1
    compares base letters (compatibility-decomposed, case and accents ignored), level 2 the
    accents, level 3 the case, lower case first. That reproduces the observed ``fp`` < ``FP``,
    ``SÉC`` < ``SFA``, ``CAFE`` < ``Café`` and ``strasse`` < ``straße``.
    """
    primary: list[str] = []
    accents: list[int] = []
    case: list[int] = []
    for char in unicodedata.normalize("NFKD", text):
        category = unicodedata.category(char)
        if unicodedata.combining(char):
            if accents:
                accents[-1] = accents[-1] * 0x10000 + ord(char)
            continue
        if category[0] in "PZC":
            continue  # ignorable at the first three levels
        special = _SPECIAL_PRIMARY.get(char)
        if special is not None:
            primary.append(special)
            accents.append(0x110000 + ord(char))  # after any combining accent
        elif category[0] == "S":
            primary.append("\x01" + char)
            accents.append(0)
        else:
            primary.append(char.casefold())
            accents.append(0)
        case.append(1 if char.isupper() else 0)
    return ("".join(primary), tuple(accents), tuple(case), text)


def _date_value(text: str) -> int:
    return int(text[:-6]) * 10000 + int(text[-5:-3]) * 100 + int(text[-2:])


def _decimal_value(text: str) -> int:
    whole, _, fraction = text.partition(".")
    if len(fraction) == 1 and whole.lstrip("-").isdigit() and fraction.isdigit():
        tenths = int(whole) * 10
        return tenths - int(fraction) if whole.startswith("-") else tenths + int(fraction)
    return _tenths(Decimal(text))


# Cached converters: dates, statuses, course codes and names repeat across rows, so each
# distinct value is converted once and its result object is shared (a million rows fit).
_shared = functools.lru_cache(maxsize=1 << 16)
_CONVERT: dict[Kind, Callable[[Any], Any] | None] = {
    Kind.DATE: _shared(_date_value), Kind.DECIMAL: _shared(_decimal_value)}
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


def _tenths(value: Decimal) -> int:
    """decimal(10,1): PostgreSQL rounds half away from zero to one decimal place."""
    return int((value * 10).to_integral_value(rounding=ROUND_HALF_UP))


# ---------------------------------------------------------------------------------------------
# Predicates


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
    arel = {"eq": "eq", "not_eq": "not_eq", "lt": "lt", "lteq": "lteq", "gt": "gt",
            "gteq": "gteq", "in": "in", "not_in": "not_in", "matches": "like",
            "does_not_match": "not_like"}
    derived = {"cont": ("like", "cont"), "not_cont": ("not_like", "cont"),
               "i_cont": ("like", "cont"), "not_i_cont": ("not_like", "cont"),
               "start": ("like", "start"), "not_start": ("not_like", "start"),
               "end": ("like", "end"), "not_end": ("not_like", "end")}
    for name, op in arel.items():
        pattern = "raw" if op in ("like", "not_like") else None
        table[name] = PredicateSpec(name, op, None, pattern)
        for q in ("any", "all"):
            table[f"{name}_{q}"] = PredicateSpec(f"{name}_{q}", op, q, pattern)
    for name, (op, pattern) in derived.items():
        table[name] = PredicateSpec(name, op, None, pattern)
        for q in ("any", "all"):
            table[f"{name}_{q}"] = PredicateSpec(f"{name}_{q}", op, q, pattern)
    for name in ("null", "not_null", "present", "blank"):
        table[name] = PredicateSpec(name, name, None, None, boolean=True)
    return table


PREDICATES = _predicate_table()
# Longest first, exactly as Ransack detects a predicate suffix.
_SUFFIXES = sorted(PREDICATES, key=len, reverse=True)
_TRUE = frozenset({"1", "t", "T", "true", "TRUE"})
_FALSE = frozenset({"0", "f", "F", "false", "FALSE"})


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


# ---------------------------------------------------------------------------------------------
# Casting (Ransack Value#cast by column type)

_LOOSE_DECIMAL = re.compile(r"\s*([+-]?(?:[0-9][0-9_]*)?(?:\.[0-9][0-9_]*)?(?:[eE][+-]?[0-9]+)?)")


class _Drop(Exception):
    """The value cannot be cast; Ransack drops the whole condition."""


def _cast(value: ParamValue, kind: Kind, key: str) -> Any:
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
        parsed = ruby_to_date(value)
        return None if parsed is None else date_key(*parsed)
    if kind is Kind.DECIMAL:
        if ruby.is_blank(value):
            return None
        text = value if isinstance(value, str) else ruby.inspect(value)
        number = _LOOSE_DECIMAL.match(text)
        digits = number.group(1).replace("_", "") if number else ""
        try:
            return _tenths(Decimal(digits))
        except InvalidOperation:
            return 0
    # text columns: to_s (Ruby inspect for arrays and hashes, "" for nil)
    if value is None:
        return ""
    return value if isinstance(value, str) else ruby.inspect(value)


def _flatten(value: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in value:
        out.extend(_flatten(item) if isinstance(item, list) else [item])
    return out


def _escape_like(text: str) -> str:
    """Ransack 4 escape_wildcards on PostgreSQL: backslash before \\ % _ and ."""
    return re.sub(r"([\\%_.])", r"\\\1", text)


def _like_regex(pattern: str) -> re.Pattern[str]:
    """Compile an (already lower-cased) ILIKE pattern with backslash escapes to a regex."""
    out = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            nxt = next(chars, None)
            out.append(re.escape(nxt) if nxt is not None else "")
        elif char == "%":
            out.append(".*")
        elif char == "_":
            out.append(".")
        else:
            out.append(re.escape(char))
    return re.compile("".join(out), re.S)


# ---------------------------------------------------------------------------------------------
# Conditions


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


@dataclass
class Sort:
    attribute: str
    descending: bool


@dataclass
class Search:
    """A compiled request: conditions, their combinator, sorts and what was ignored."""

    conditions: list[Condition] = field(default_factory=list)
    groups: list[Search] = field(default_factory=list)  # nested g[...] groupings
    combinator: str = "and"
    sorts: list[Sort] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    empty: bool = False  # ActiveRecord swallowed a RangeError: the result is empty

    def matches(self, row: Row) -> bool:
        if self.empty:
            return False
        parts = [*self.conditions, *self.groups]
        if not parts:
            return True
        if self.combinator == "or":
            return any(p.matches(row) for p in parts)
        return all(p.matches(row) for p in parts)


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
    if lowered.startswith("%") and lowered.endswith("%") and len(lowered) >= 2 and not re.search(
        r"(?<!\\)[%_]", inner
    ) and "\\" not in inner:
        # the common case, a plain substring
        def positive(row: Row) -> bool:
            text = row[column]
            return text is not None and inner in text
    else:
        regex = _like_regex(lowered)

        def positive(row: Row) -> bool:
            text = row[column]
            return text is not None and regex.fullmatch(text) is not None

    if not negate:
        return positive
    return lambda row: row[column] is not None and not positive(row)


def _pattern(kind: str, text: str) -> str:
    if kind == "cont":
        return f"%{_escape_like(text)}%"
    if kind == "start":
        return f"{_escape_like(text)}%"
    if kind == "end":
        return f"%{_escape_like(text)}"
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


def _build(key: str, names: tuple[str, ...], combinator: str, predicate: PredicateSpec,
           raw: ParamValue, search: Search) -> Condition | None:
    """Condition.extract + arel building for one parameter, or None if Ransack drops it."""
    kinds = [ATTRIBUTES[n] for n in names]
    if predicate.boolean:
        if not isinstance(raw, str) or raw not in _TRUE | _FALSE:
            search.notices.append(Notice(key, f"{ruby.inspect(raw)} is not a boolean; ignored"))
            return None
        switch = raw in _TRUE
        tests = tuple(_boolean_test(n, k, predicate.op, switch) for n, k in zip(names, kinds, strict=False))
        return Condition(key, names, combinator, predicate, (switch,), tests)

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
        values = [_cast(v, kind, key) for v in raw_values]
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
            subtests = [_like_test(name, t, predicate.op == "not_like") for t in texts]
        elif predicate.op in ("in", "not_in"):
            subtests = [_in_test(name, values, predicate.op == "not_in")]
        else:
            subtests = [_compare_test(name, predicate.op, v) for v in values]
        if kind is Kind.INT and predicate.wants_array and any(
            v is not None and not INT4_MIN <= v <= INT4_MAX for v in values
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
            search.notices.append(Notice(key, f"{ruby.inspect(raw)} is not a date Ruby can "
                                              "parse; the condition is dropped"))
        return None
    if kinds[0] is Kind.INT and isinstance(raw, str) and not re.fullmatch(r"[+-]?[0-9]+", raw):
        search.notices.append(Notice(key, f"{raw!r} is not an integer; Ruby's to_i reads it "
                                          f"as {cast_values[0]}"))
    return Condition(key, names, combinator, predicate, tuple(cast_values), tuple(tests),
                     _hint(names, combinator, predicate, cast_values))


def _hint(names: tuple[str, ...], combinator: str, predicate: PredicateSpec,
          values: list[Any]) -> Hint | None:
    """The index-friendly form of a single-value condition (OR-ed attributes allowed)."""
    if predicate.quantifier is not None or (len(names) > 1 and combinator != "or"):
        return None
    if predicate.op == "in" and len(names) == 1:
        return Hint(names, "in", frozenset(v for v in values if v is not None))
    if len(set(map(repr, values))) != 1 or values[0] is None:
        return None
    value = values[0]
    if predicate.op in ("eq", "lt", "lteq", "gt", "gteq") and len(names) == 1:
        return Hint(names, predicate.op, value)
    if predicate.op == "like" and predicate.pattern == "cont" and isinstance(value, str):
        return Hint(names, "contains", pg_lower(value))
    return None


def _combine(tests: list[Test], quantifier: str | None) -> Test:
    if len(tests) == 1:
        return tests[0]
    if quantifier == "all":
        return lambda row: all(t(row) for t in tests)
    return lambda row: any(t(row) for t in tests)


# ---------------------------------------------------------------------------------------------
# Sorting


def _sort_from(value: ParamValue, key: str) -> list[Sort]:
    """Search#sorts=: strings ``attr dir``, arrays of them, or index hashes of name/dir."""
    if isinstance(value, str):
        items: list[ParamValue] = [value]
    elif isinstance(value, list):
        items = value
    elif isinstance(value, dict):
        items = list(value.values())
        if any(not isinstance(v, dict) for v in items):
            raise InternalServerError(
                f"{key!r}: a non-indexed hash makes Ransack call with_indifferent_access on a "
                "String (NoMethodError); Rails answers 500"
            )
    else:
        return []
    sorts: list[Sort] = []
    for item in items:
        if isinstance(item, dict):
            name, direction = item.get("name"), item.get("dir")
        elif isinstance(item, str) and not ruby.is_blank(item):
            name, _, direction = " ".join(re.split(r"\s+", item, maxsplit=1)).partition(" ")
        else:
            continue
        if isinstance(name, str) and name in ATTRIBUTES:
            desc = isinstance(direction, str) and direction.lower() == "desc"
            sorts.append(Sort(name, desc))
    return sorts


# ---------------------------------------------------------------------------------------------
# Compile and run


_MULTIPARAMETER = re.compile(r"\A([^()]*)\((\d*)([a-z]?)\)")


def _collapse_multiparameter(params: dict[str, Any]) -> dict[str, Any]:
    """Ransack's collapse_multiparameter_attributes!: ``d(1i)=2015&d(2i)=1`` -> ``d=[2015, 1]``."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        match = _MULTIPARAMETER.match(key) if "(" in key else None
        if match is None:
            out[key] = _collapse_multiparameter(value) if isinstance(value, dict) else value
            continue
        name, index, cast = match.group(1), int(match.group(2) or 0) - 1, match.group(3)
        if cast == "i":
            value = None if ruby.is_blank(value) else ruby.to_i(value) if isinstance(
                value, str) else value
        slots = out.get(name)
        if not isinstance(slots, list):
            slots = out[name] = []
        while len(slots) <= index:
            slots.append(None)
        slots[index if index >= 0 else -1] = value
    return out


def _blank_param(value: Any) -> bool:
    """Search.new drops a param when ``[*v].all?(&:blank?)``."""
    if isinstance(value, list):
        return all(ruby.is_blank(v) if not isinstance(v, int) else False for v in value)
    return value is None or ruby.is_blank(value)


def _write(search: Search, root: Search, key: str, value: Any) -> None:
    """Grouping#write_attribute: one ``attr_predicate`` key, silently ignored if unknown."""
    resolved = split_key(key)
    if resolved is None:
        root.notices.append(Notice(key, "unknown parameter; ignored"))
        return
    names, combinator, predicate = resolved
    condition = _build(key, names, combinator, predicate, value, root)
    if condition is not None:
        search.conditions.append(condition)


def _set_combinator(search: Search, root: Search, key: str, value: Any) -> None:
    if value in ("or", "and"):
        search.combinator = value
    else:
        root.notices.append(Notice(key, f"{ruby.inspect(value)} is not 'and' or 'or'; ignored"))


def _groupings(search: Search, root: Search, key: str, value: Any) -> None:
    """Grouping#groupings=: an array or index hash of nested groupings (``g[0][m]=or&...``)."""
    if isinstance(value, dict):
        items = list(value.values())
    elif isinstance(value, list):
        items = value
    else:
        raise InternalServerError(
            f"{key!r}: Ransack raises ArgumentError (Invalid argument ({_ruby_class(value)}) "
            "supplied to groupings=); Rails answers 500")
    for item in items:
        if not isinstance(item, dict):
            raise InternalServerError(
                f"{key!r}: a grouping must be a hash; Ransack calls with_indifferent_access on "
                f"a {_ruby_class(item)} (NoMethodError); Rails answers 500")
        group = Search()
        _build_grouping(group, root, item, key)
        if group.conditions or group.groups:
            search.groups.append(group)


def _build_grouping(search: Search, root: Search, params: dict[str, Any], prefix: str) -> None:
    """Grouping#build: nested params are neither stripped nor blank-filtered."""
    for key, value in params.items():
        where = f"{prefix}[{key}]"
        if key in ("g", "groupings"):
            _groupings(search, root, where, value)
        elif key in ("c", "conditions"):
            _conditions(search, root, where, value)
        elif key in ("m", "combinator"):
            _set_combinator(search, root, where, value)
        else:
            _write(search, root, key, value)


def _conditions(search: Search, root: Search, key: str, value: Any) -> None:
    """Grouping#conditions=: ``c[0][a][0][name]=score&c[0][p]=eq&c[0][v][0][value]=80``."""
    items = list(value.values()) if isinstance(value, dict) else value if isinstance(
        value, list) else []
    for item in items:
        if not isinstance(item, dict):
            continue
        names = _names(item.get("a", item.get("attributes")))
        predicate = PREDICATES.get(str(item.get("p", item.get("predicate_name", ""))))
        raw_values = _values(item.get("v", item.get("values")))
        if not names or predicate is None or not raw_values:
            continue
        combinator = item.get("m") if item.get("m") in ("or", "and") else "or"
        raw: Any = raw_values if predicate.wants_array else raw_values[0]
        condition = _build(key, tuple(names), combinator, predicate, raw, root)
        if condition is not None:
            search.conditions.append(condition)


def _names(value: Any) -> list[str] | None:
    items = list(value.values()) if isinstance(value, dict) else value if isinstance(
        value, list) else []
    names = [i.get("name") if isinstance(i, dict) else i for i in items]
    if not names or not all(isinstance(n, str) and n in ATTRIBUTES for n in names):
        return None
    return names


def _values(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [v.get("value") if isinstance(v, dict) else None for v in value.values()]
    if isinstance(value, list):
        return list(value)
    return []


def _ruby_class(value: Any) -> str:
    return {str: "String", list: "Array", dict: "Hash", type(None): "NilClass"}.get(
        type(value), type(value).__name__)


def compile_search(params: Params) -> Search:
    """Ransack's Search.new(params) for the API's model; raises the Rails 500s."""
    search = Search()
    cleaned: dict[str, Any] = {}
    for key, value in params.items():
        if key in CONTROLLER_KEYS:
            continue
        if isinstance(value, str):
            value = ruby.strip(value)
        if _blank_param(value):
            known = split_key(key) is not None or key in ("s", "sorts", "m", "combinator")
            search.notices.append(Notice(key, "blank value; the condition is dropped" if known
                                         else "unknown parameter; ignored"))
            continue
        cleaned[key] = value
    for key, value in _collapse_multiparameter(cleaned).items():
        if key in ("s", "sorts"):
            search.sorts.extend(_sort_from(value, key))
        elif key in ("m", "combinator"):
            _set_combinator(search, search, key, value)
        elif key in ("g", "groupings"):
            _groupings(search, search, key, value)
        elif key in ("c", "conditions"):
            _conditions(search, search, key, value)
        else:
            _write(search, search, key, value)
    return search


def sort_key(sorts: list[Sort]) -> Callable[[Row], tuple[Any, ...]]:
    """ORDER BY the requested sorts, then the controller's id DESC; NULLs largest (PG)."""

    def key(row: Row) -> tuple[Any, ...]:
        parts: list[Any] = []
        for sort in sorts:
            value = row[COLUMN[sort.attribute]]
            missing = value is None
            if isinstance(value, str):
                value = collation_key(value)
            parts.append(_Ordered(missing, value, sort.descending))
        parts.append(-row[ID])
        return tuple(parts)

    return key


@dataclass(frozen=True)
class _Ordered:
    """One ORDER BY term: NULL is the largest value (NULLS LAST asc, NULLS FIRST desc)."""

    missing: bool
    value: Any
    descending: bool

    def _plain(self) -> tuple[bool, Any]:
        return (self.missing, 0 if self.missing else self.value)

    def __lt__(self, other: _Ordered) -> bool:
        if self.descending:
            return bool(other._plain() < self._plain())
        return bool(self._plain() < other._plain())


def order(search: Search, hits: list[Row]) -> list[Row]:
    """Apply ``s=`` sorts to hits already in the controller's id DESC order (stable)."""
    if search.sorts:
        hits.sort(key=sort_key(search.sorts))
    return hits


def run(search: Search, rows: Iterable[Row]) -> list[Row]:
    """Filter rows (already in id DESC order) and apply sorts; the reference implementation."""
    if search.empty:
        return []
    return order(search, [row for row in rows if search.matches(row)])

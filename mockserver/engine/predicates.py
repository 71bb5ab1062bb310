"""Ransack predicates: key resolution, the operator each predicate builds, and its row test.

The vocabulary is ``model.Predicate``; here each predicate gets its semantics (``SPECS``):
an Arel ``Operator``, an optional ``_any``/``_all`` quantifier, the LIKE pattern its formatter
builds, or, for the boolean switches (``_null``, ``_present``, ``_true``...), the operands they
compare with. ``split_key`` finds the predicate suffix (longest first) and the ``_or_``/``_and_``
attribute list; ``build_condition`` is Condition.extract plus Arel: it validates and casts the
values as Ransack does, then compiles SQL semantics (NULL never matches, ILIKE, en_US
collation) into closures over a row. It raises the Rails 500s. Pure: no I/O, no clock.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from mockserver.engine import ruby
from mockserver.engine.casts import NULL_LITERAL, cast_value, out_of_int4, serialize
from mockserver.engine.exposure import Exposure
from mockserver.engine.like import LikeEscapeError, like_matcher, literal_pieces
from mockserver.engine.postgres import collation_key, escape_like, escape_like_17, pg_lower
from mockserver.engine.rack import ParamValue
from mockserver.engine.rows import ATTRIBUTES, COLUMN, THROUGH_ASSOCIATION, Row
from mockserver.errors import InternalServerError
from mockserver.model import INT4_MAX, INT4_MIN, Kind, Predicate
from mockserver.stacks import Quirk


class Operator(StrEnum):
    """The Arel node a predicate builds (Ransack's ``arel_predicate``)."""

    EQ = "eq"
    NOT_EQ = "not_eq"
    LT = "lt"
    LTEQ = "lteq"
    GT = "gt"
    GTEQ = "gteq"
    IN = "in"
    NOT_IN = "not_in"
    MATCHES = "matches"
    DOES_NOT_MATCH = "does_not_match"


class Quantifier(StrEnum):
    """How a compound predicate joins its per-value nodes: ``_any`` OR, ``_all`` AND."""

    ANY = "any"
    ALL = "all"


class Pattern(StrEnum):
    """The LIKE pattern Ransack's formatter builds from a value."""

    RAW = "raw"  # matches: the value is the pattern, wildcards live
    CONT = "cont"
    ICONT = "icont"  # i_cont: Ruby downcases first
    START = "start"
    END = "end"


@dataclass(frozen=True)
class Switch:
    """A boolean predicate: ``1`` compares with ``operands`` by EQ (ANY), ``0`` by NOT_EQ (ALL).

    ``positive`` is False for the predicates whose true value means "not equal".
    """

    operands: tuple[object, ...]
    positive: bool


@dataclass(frozen=True)
class PredicateSpec:
    """What a Ransack predicate builds, and how its values reach SQL."""

    predicate: Predicate
    operator: Operator
    quantifier: Quantifier | None = None
    pattern: Pattern | None = None
    switch: Switch | None = None

    @property
    def name(self) -> str:
        return self.predicate.value

    @property
    def wants_array(self) -> bool:
        return self.quantifier is not None or self.operator in (Operator.IN, Operator.NOT_IN)


_LIKE: dict[str, tuple[Operator, Pattern]] = {
    "matches": (Operator.MATCHES, Pattern.RAW),
    "does_not_match": (Operator.DOES_NOT_MATCH, Pattern.RAW),
    "cont": (Operator.MATCHES, Pattern.CONT),
    "not_cont": (Operator.DOES_NOT_MATCH, Pattern.CONT),
    "i_cont": (Operator.MATCHES, Pattern.ICONT),
    "not_i_cont": (Operator.DOES_NOT_MATCH, Pattern.ICONT),
    "start": (Operator.MATCHES, Pattern.START),
    "not_start": (Operator.DOES_NOT_MATCH, Pattern.START),
    "end": (Operator.MATCHES, Pattern.END),
    "not_end": (Operator.DOES_NOT_MATCH, Pattern.END),
}
_SWITCHES: dict[str, Switch] = {
    "null": Switch((None,), True),
    "not_null": Switch((None,), False),
    "present": Switch((None, ""), False),
    "blank": Switch((None, ""), True),
    "true": Switch((True,), True),
    "not_true": Switch((True,), False),
    "false": Switch((False,), True),
    "not_false": Switch((False,), False),
}


def _spec(predicate: Predicate) -> PredicateSpec:
    """Read a predicate's semantics off its name: base, then ``_any``/``_all``."""
    name = predicate.value
    if name in _SWITCHES:
        return PredicateSpec(predicate, Operator.EQ, switch=_SWITCHES[name])
    quantifier = None
    for q in Quantifier:
        if name.endswith("_" + q.value):
            name, quantifier = name[: -len(q.value) - 1], q
    if name in _LIKE:
        operator, pattern = _LIKE[name]
        return PredicateSpec(predicate, operator, quantifier, pattern)
    return PredicateSpec(predicate, Operator(name), quantifier)


SPECS: dict[str, PredicateSpec] = {p.value: _spec(p) for p in Predicate}

# Longest first, exactly as Ransack detects a predicate suffix.
_SUFFIXES = sorted(SPECS, key=len, reverse=True)
_TRUE = frozenset({"1", "t", "T", "true", "TRUE"})
_FALSE = frozenset({"0", "f", "F", "false", "FALSE"})


def resolve_attribute(name: str) -> str | None:
    """The attribute Ransack binds ``name`` to, or None.

    An attribute reached through an association is found by splitting the name on ``_``,
    and Ruby's split drops trailing empty fields: ``course_code__eq`` reads as ``course_code``.
    """
    if name in ATTRIBUTES:
        return name
    trimmed = name.rstrip("_")
    return trimmed if trimmed in THROUGH_ASSOCIATION else None


SplitKey = tuple[tuple[str, ...], str, "PredicateSpec"]
CACHED_KEY = 256  # longer keys are split afresh: no cache keeps a key over a few KiB


def split_key(key: str) -> SplitKey | None:
    """Resolve ``course_code_or_course_name_cont`` into attributes, combinator and predicate.

    None when Ransack would ignore the key (no predicate, or an attribute it cannot resolve).
    Memoised for keys of ordinary length.
    """
    return _split_key_cached(key) if len(key) <= CACHED_KEY else _split_key(key)


def _split_key(key: str) -> SplitKey | None:
    for suffix in _SUFFIXES:
        if key.endswith("_" + suffix):
            stem = key[: -len(suffix) - 1]
            spec = SPECS[suffix]
            break
    else:
        return None
    single = resolve_attribute(stem)
    if single is not None:
        return (single,), "or", spec
    match = re.search(r"_(or|and)_", stem)
    names = tuple(resolve_attribute(n) for n in re.split(r"_and_|_or_", stem))
    if match is None or None in names:
        return None
    return tuple(n for n in names if n is not None), match.group(1), spec


# --- row tests: one small function per operator ------------------------------------------------

_split_key_cached = functools.lru_cache(maxsize=4096)(_split_key)
Test = Callable[[Row], bool]
_collate = functools.lru_cache(maxsize=1 << 16)(collation_key)  # of the data's texts


def _never(row: Row) -> bool:
    return False


def _eq(i: int, operand: Any) -> Test:
    if operand is None:  # Arel: = nil is IS NULL
        return lambda row: row[i] is None
    if operand is NULL_LITERAL:
        return _never
    return lambda row: row[i] == operand


def _not_eq(i: int, operand: Any) -> Test:
    if operand is None:  # IS NOT NULL
        return lambda row: row[i] is not None
    if operand is NULL_LITERAL:
        return _never
    return lambda row: row[i] is not None and row[i] != operand


def _ordered(compare: Callable[[Any, Any], bool]) -> Callable[[int, Any], Test]:
    """lt/lteq/gt/gteq: NULL on either side is never true; text follows en_US collation."""

    def build(i: int, operand: Any) -> Test:
        if operand is None or operand is NULL_LITERAL:
            return _never
        if isinstance(operand, str):
            key = collation_key(operand)  # once per condition: not kept
            return lambda row: row[i] is not None and compare(_collate(row[i]), key)
        return lambda row: row[i] is not None and compare(row[i], operand)

    return build


def _in(i: int, operands: Sequence[Any]) -> Test:
    present = frozenset(v for v in operands if v is not None and v is not NULL_LITERAL)
    return lambda row: row[i] in present


def _not_in(i: int, operands: Sequence[Any]) -> Test:
    if any(v is None or v is NULL_LITERAL for v in operands):
        return _never  # x NOT IN (..., NULL) is never true
    present = frozenset(operands)
    return lambda row: row[i] is not None and row[i] not in present


_SINGLE: dict[Operator, Callable[[int, Any], Test]] = {
    Operator.EQ: _eq,
    Operator.NOT_EQ: _not_eq,
    Operator.LT: _ordered(lambda a, b: a < b),
    Operator.LTEQ: _ordered(lambda a, b: a <= b),
    Operator.GT: _ordered(lambda a, b: a > b),
    Operator.GTEQ: _ordered(lambda a, b: a >= b),
}
_LIST: dict[Operator, Callable[[int, Sequence[Any]], Test]] = {Operator.IN: _in, Operator.NOT_IN: _not_in}


def _like(attribute: str, pattern: str, negate: bool) -> Test:
    """ILIKE on PostgreSQL: lower() both sides per code point, then LIKE (``engine.like``).

    A pattern ending in a lone backslash is an error only once the matcher reaches that
    backslash with text left (PostgreSQL raises while matching, not while planning).
    """
    lowered = pg_lower(pattern)
    column = COLUMN[attribute + ".lower"]
    matcher: Callable[[str], bool] | None = None  # compiled on first use: an index may answer

    def positive(row: Row) -> bool:
        nonlocal matcher
        text = row[column]
        if text is None:
            return False
        if matcher is None:
            matcher = like_matcher(lowered)
        try:
            return matcher(text)
        except LikeEscapeError:
            raise InternalServerError(
                f"LIKE pattern {lowered!r} ends in a lone backslash and a row reached it: PostgreSQL "
                "raises (LIKE pattern must not end with escape character); Rails answers 500"
            ) from None

    if not negate:
        return positive
    return lambda row: row[column] is not None and not positive(row)


def _format(pattern: Pattern, text: str, underscore_wildcard: bool = False) -> str:
    """The LIKE pattern Ransack's formatter builds (i_cont downcases with Ruby first).

    ``underscore_wildcard``: Ransack <= 1.7.0 does not escape ``_`` (UNDERSCORE_WILDCARD).
    """
    escape = escape_like_17 if underscore_wildcard else escape_like
    if pattern is Pattern.ICONT:
        return f"%{escape(ruby.downcase(text))}%"
    if pattern is Pattern.CONT:
        return f"%{escape(text)}%"
    if pattern is Pattern.START:
        return f"{escape(text)}%"
    if pattern is Pattern.END:
        return f"%{escape(text)}"
    return text


def _nul_cut(value: Any) -> Any:
    """What libpq's PQescapeString sends for a string (pg < 1.1, NUL_TRUNCATES): the text up to
    its first NUL (checked through ctypes: ``%a\0b%`` is ``%a``)."""
    return value.partition("\x00")[0] if isinstance(value, str) else value


def _combine(tests: list[Test], quantifier: Quantifier | None) -> Test:
    if len(tests) == 1:
        return tests[0]
    if quantifier is Quantifier.ALL:
        return lambda row: all(t(row) for t in tests)
    return lambda row: any(t(row) for t in tests)


def attribute_test(
    spec: PredicateSpec, attribute: str, operands: list[Any], quirks: frozenset[Quirk] = frozenset()
) -> Test:
    """The row test of one attribute: one node per value for compound predicates, joined.

    ``quirks`` of the served generation: UNDERSCORE_WILDCARD (``_`` left unescaped) and
    NUL_TRUNCATES (every string that reaches SQL cut at its first NUL, pattern included).
    """
    cut = bool(quirks) and Quirk.NUL_TRUNCATES in quirks
    if spec.pattern is not None:
        negate = spec.operator is Operator.DOES_NOT_MATCH
        wildcard = bool(quirks) and Quirk.UNDERSCORE_WILDCARD in quirks
        texts = [_format(spec.pattern, v, wildcard) for v in operands if isinstance(v, str)]
        if cut:
            texts = [_nul_cut(t) for t in texts]
        return _combine([_like(attribute, t, negate) for t in texts] or [_never], spec.quantifier)
    if cut:
        operands = [_nul_cut(v) for v in operands]
    i = COLUMN[attribute]
    if spec.operator in _LIST:
        build_list = _LIST[spec.operator]
        if spec.quantifier is None:
            return build_list(i, operands)
        # _in_all / _not_in_any: one IN per value, joined by the quantifier
        return _combine([build_list(i, [v]) for v in operands] or [_never], spec.quantifier)
    build = _SINGLE[spec.operator]
    if spec.quantifier is None:
        return build(i, operands[0])
    return _combine([build(i, v) for v in operands] or [_never], spec.quantifier)


# --- Condition.extract ------------------------------------------------------------------------


@dataclass(frozen=True)
class Hint:
    """A condition in a form an index can answer: ``attribute op operand``.

    ``op`` is one of eq lt lteq gt gteq (operand: a cast value), ``in`` (operand: a frozenset)
    or ``contains`` (operand: the lower-cased literal text a plain ``_cont`` looks for): the
    index answers those exactly. ``like`` (operand: the literal texts a LIKE pattern's match
    must contain) only narrows the candidates, which are still checked by ``matches``.
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
    """Where building a condition reports what the live API would silently do, and which
    generation it emulates (``exposure``: its quirks, and those the request touched)."""

    notices: list[Notice]
    exposure: Exposure


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

    @property
    def ransack_key(self) -> str:
        """``Condition#key``: the attribute names joined by the combinator, then the predicate."""
        return f"_{self.combinator}_".join(self.attributes) + "_" + self.predicate.name

    def matches(self, row: Row) -> bool:
        if self.combinator == "and":
            return all(test(row) for test in self.tests)
        return any(test(row) for test in self.tests)

    @property
    def test(self) -> Test:
        """``matches`` as one callable, without a layer for a single attribute (per row, this
        is the hot path of every scan)."""
        return self.tests[0] if len(self.tests) == 1 else self.matches


def raw_values(spec: PredicateSpec, raw: ParamValue) -> list[ParamValue]:
    """Array(values) for array predicates, [value] otherwise; then the validator's filter."""
    if not spec.wants_array:
        values: list[ParamValue] = [raw]
    elif isinstance(raw, list):
        values = list(raw)
    elif isinstance(raw, dict):
        values = [[k, v] for k, v in raw.items()]
    else:
        values = [raw]
    # nil and empty are dropped; a multiparameter (1i) value or a JSON scalar is never empty
    return [v for v in values if v is not None and (not isinstance(v, (str, list, dict)) or len(v) > 0)]


def _boolean_text(value: object) -> str | None:
    """A value as TRUE_VALUES/FALSE_VALUES test it: JSON true/false and 1/0 are in them."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float)) and value in (0, 1):
        return "1" if value else "0"
    return None


def _switch_operands(spec: PredicateSpec, switch: Switch, raw: Sequence[ParamValue]) -> PredicateSpec | None:
    """A boolean predicate with its value read: the EQ-ANY or NOT_EQ-ALL it stands for."""
    flag = next((v in _TRUE for v in map(_boolean_text, raw) if v in _TRUE | _FALSE), None)
    if flag is None:
        return None
    many = len(switch.operands) > 1
    if flag == switch.positive:
        return PredicateSpec(spec.predicate, Operator.EQ, Quantifier.ANY if many else None)
    return PredicateSpec(spec.predicate, Operator.NOT_EQ, Quantifier.ALL if many else None)


def _check_sql(
    key: str, spec: PredicateSpec, name: str, kind: Kind, operands: list[Any], exposure: Exposure
) -> None:
    """The errors PostgreSQL or ActiveRecord raise for this attribute's SQL (Rails' 500s).

    A NUL is a 500 since ruby-pg 1.1 (ruby-pg@55ece45); older drivers cut the string there
    (NUL_TRUNCATES, applied by ``attribute_test``).
    """
    if spec.pattern is not None and kind is not Kind.STR:
        raise InternalServerError(
            f"{key!r}: LIKE on the {kind.value} column {name!r} is a PostgreSQL error "
            "(operator does not exist), which Rails answers with 500"
        )
    if kind is Kind.STR and any(isinstance(v, str) and "\x00" in v for v in operands):
        if exposure.has(Quirk.NUL_TRUNCATES):
            return
        exposure.touch(Quirk.NUL_TRUNCATES)
        raise InternalServerError(
            f"{key!r}: a value with a NUL byte makes PostgreSQL's quoting raise "
            "ArgumentError (string contains null byte); Rails answers 500"
        )


def _check_range(
    key: str, spec: PredicateSpec, names: tuple[str, ...], cast: dict[str, list[Any]], exposure: Exposure
) -> None:
    """An out-of-int4 value that reaches an Arel Casted node raises ActiveModel::RangeError.

    Ransack 4 unwraps it only for a single-attribute, single-value comparison (SQL then simply
    compares); inside a list or an OR/AND of attributes it escapes (the query cache builds the
    SQL outside ActiveRecord's rescue), and Rails answers 500. Before Ransack 4.0
    (ransack@8946268a, CASTED_OVERFLOW_500) every comparison keeps its Casted node: a 500 always.
    """
    if len(names) == 1 and not spec.wants_array and not exposure.has(Quirk.CASTED_OVERFLOW_500):
        [value] = cast[names[0]]
        if type(value) is int and not INT4_MIN <= value <= INT4_MAX and ATTRIBUTES[names[0]] is Kind.INT:
            exposure.touch(Quirk.CASTED_OVERFLOW_500)
        return
    for name in names:
        if ATTRIBUTES[name] is Kind.INT and out_of_int4(cast[name]):
            raise InternalServerError(
                f"{key!r}: a value outside int4 inside a list or multi-attribute condition raises "
                "ActiveModel::RangeError while Rails builds the SQL; Rails answers 500"
            )


def build_condition(
    key: str,
    names: tuple[str, ...],
    combinator: str,
    spec: PredicateSpec,
    raw: ParamValue,
    search: Findings,
    today: datetime.date,
) -> Condition | None:
    """Condition.extract + Arel building for one parameter, or None if Ransack drops it.

    An attribute named twice (``a_or_a_or_a_cont``) adds an identical node: ``x OR x`` is ``x``
    and ``x AND x`` is ``x``, so each is kept once (a 500-name chain costs one test per
    distinct attribute, not 500).
    """
    values = raw_values(spec, raw)
    names = tuple(dict.fromkeys(names))
    if spec.switch is not None:
        return _switch_condition(key, names, combinator, spec, spec.switch, values, search)
    exposure = search.exposure
    first = [cast_value(v, ATTRIBUTES[names[0]], key, today, exposure) for v in values]
    # Predicate#validate: some value must cast to a present value for the first attribute
    # (only then are the values cast for the others, which may raise)
    if not any(v is not None and v != "" for v in first):
        if ATTRIBUTES[names[0]] is Kind.DATE:
            search.notices.append(
                Notice(key, f"{ruby.inspect(raw)} is not a date Ruby can parse; the condition is dropped")
            )
        return None
    cast = {names[0]: first} | {
        n: [cast_value(v, ATTRIBUTES[n], key, today, exposure) for v in values] for n in names[1:]
    }
    for name in names:
        _check_sql(key, spec, name, ATTRIBUTES[name], cast[name], exposure)
    _check_range(key, spec, names, cast, exposure)
    quirks = exposure.stack.quirks
    if spec.pattern not in (None, Pattern.RAW) and any(isinstance(v, str) and "_" in v for v in first):
        exposure.touch(Quirk.UNDERSCORE_WILDCARD)
    tests = tuple(attribute_test(spec, name, cast[name], quirks) for name in names)
    if ATTRIBUTES[names[0]] is Kind.INT and isinstance(raw, str) and not re.fullmatch(r"[+-]?[0-9]+", raw):
        search.notices.append(
            Notice(key, f"{raw!r} is not an integer; Ruby's to_i reads it as {cast[names[0]][0]}")
        )
    all_values = [v for name in names for v in cast[name]]
    hint = None if quirks and _unindexed(all_values, quirks) else _hint(names, combinator, spec, all_values)
    return Condition(key, names, combinator, spec, tuple(all_values), tests, hint)


def _unindexed(values: list[Any], quirks: frozenset[Quirk]) -> bool:
    """The index knows neither cut strings nor ``_`` wildcards: such conditions are scanned."""
    texts = [v for v in values if isinstance(v, str)]
    return (Quirk.NUL_TRUNCATES in quirks and any("\x00" in v for v in texts)) or (
        Quirk.UNDERSCORE_WILDCARD in quirks and any("_" in v for v in texts)
    )


def _switch_condition(
    key: str,
    names: tuple[str, ...],
    combinator: str,
    spec: PredicateSpec,
    switch: Switch,
    values: list[ParamValue],
    search: Findings,
) -> Condition | None:
    """``_null``, ``_present``, ``_true``...: 1 or 0 picks the comparison, the operands are fixed."""
    resolved = _switch_operands(spec, switch, values)
    if resolved is None:
        shown = ruby.inspect(values[0] if len(values) == 1 else values)
        search.notices.append(Notice(key, f"{shown} is not a boolean; ignored"))
        return None
    tests = []
    for name in names:
        operands = [serialize(v, ATTRIBUTES[name], key) for v in switch.operands]
        tests.append(attribute_test(resolved, name, operands))
    return Condition(key, names, combinator, spec, switch.operands, tuple(tests))


def _hint(names: tuple[str, ...], combinator: str, spec: PredicateSpec, values: list[Any]) -> Hint | None:
    """The index-friendly form of a single-value condition (OR-ed attributes allowed)."""
    if spec.quantifier is not None or (len(names) > 1 and combinator != "or"):
        return None
    if spec.operator is Operator.IN and len(names) == 1:
        return Hint(names, "in", frozenset(v for v in values if v is not None and v is not NULL_LITERAL))
    if not values or values[0] is None or any(v != values[0] for v in values):
        return None
    value = values[0]
    if spec.operator in _SINGLE and spec.operator is not Operator.NOT_EQ and len(names) == 1:
        if isinstance(value, str) and spec.operator is not Operator.EQ:
            return None  # text ranges follow the collation, not the index's order
        return Hint(names, spec.operator.value, value)
    if (
        spec.operator is Operator.MATCHES
        and spec.pattern in (Pattern.CONT, Pattern.ICONT)
        and isinstance(value, str)
    ):
        return Hint(names, "contains", pg_lower(value.lower() if spec.pattern is Pattern.ICONT else value))
    if spec.operator is Operator.MATCHES and spec.pattern is not None and isinstance(value, str):
        pieces = literal_pieces(pg_lower(_format(spec.pattern, value)))
        return Hint(names, "like", pieces) if pieces else None
    return None

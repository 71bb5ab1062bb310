"""Ransack's Value#cast for each column type, and what ActiveRecord sends to SQL for a value.

A cast value is what a row test compares with: an int (integers, dates as ``date_key``,
decimals in tenths), a str, ``None`` (Ruby's nil: Arel renders ``= nil`` as ``IS NULL``) or
``NULL_LITERAL`` (a value ActiveRecord serialised to NULL: ``x = NULL`` is never true). Pure.
"""

from __future__ import annotations

import datetime
import math
import re
from decimal import Decimal, InvalidOperation, Overflow
from typing import Any, Final

from mockserver.engine import ruby
from mockserver.engine.exposure import Exposure
from mockserver.engine.postgres import date_key, tenths
from mockserver.engine.rack import ParamValue
from mockserver.engine.rubydate import ruby_date_new, ruby_to_date
from mockserver.errors import InternalServerError
from mockserver.model import INT4_MAX, INT4_MIN, Kind
from mockserver.stacks import Quirk


class _SqlNull:
    """A literal NULL in SQL (not Ruby's nil): no comparison with it is ever true."""

    def __repr__(self) -> str:
        return "NULL_LITERAL"


NULL_LITERAL: Final = _SqlNull()

# Ruby's \s and ISSPACE: ASCII whitespace only (a leading NBSP is not skipped).
_ASCII_SPACE = " \t\n\v\f\r"
_TO_D = re.compile(r"[ \t\n\v\f\r]*([+-]?(?:[0-9][0-9_]*)?(?:\.[0-9][0-9_]*)?(?:[eE][+-]?[0-9]+)?)")
# BigDecimal's special values. PostgreSQL's NaN is larger than every number, so over finite
# rows it compares exactly like +Infinity.
_SPECIAL = {"Infinity": math.inf, "+Infinity": math.inf, "-Infinity": -math.inf, "NaN": math.inf}


def cast_value(
    value: ParamValue, kind: Kind, key: str, today: datetime.date, exposure: Exposure | None = None
) -> Any:
    """One value as Ransack's Value#cast gives it for a column of ``kind``.

    ``exposure``: the served generation (LONG_DATES_PARSED, DECIMAL_NOT_ROUNDED), noting when
    the value would cast otherwise on a generation that has one of them.
    """
    if kind is Kind.INT:
        return _to_integer(value, key)
    if kind is Kind.DATE:
        return _to_date(value, today, exposure, key)
    if kind is Kind.DECIMAL:
        return _to_decimal(value, key, exposure)
    # text columns: to_s (Ruby inspect for arrays and hashes, "" for nil)
    if value is None:
        return ""
    return value if isinstance(value, str) else ruby.inspect(value)


def _to_integer(value: ParamValue, key: str) -> int | None:
    if isinstance(value, (list, dict)):
        raise InternalServerError(
            f"{key!r}: an array or hash given to an integer filter raises NoMethodError "
            "(undefined method `to_i') in Rails, which answers 500"
        )
    if ruby.is_blank(value):
        return None
    if isinstance(value, bool):  # true (false is blank)
        raise InternalServerError(
            f"{key!r}: a JSON true given to an integer filter raises NoMethodError "
            "(undefined method `to_i' for true) in Rails, which answers 500"
        )
    if isinstance(value, float):  # a JSON number: Float#to_i truncates
        return _float_to_i(key, value)
    if isinstance(value, int):  # a multiparameter (1i) value, a JSON integer
        return value
    return ruby.to_i(value or "")


def _float_to_i(key: str, value: float) -> int:
    """``Float#to_i``: truncated; Infinity raises FloatDomainError (Rails' 500)."""
    if math.isinf(value) or math.isnan(value):
        raise InternalServerError(
            f"{key!r}: {ruby.float_to_s(value)}.to_i raises FloatDomainError; Rails answers 500"
        )
    return int(value)


def _to_date(
    value: ParamValue, today: datetime.date, exposure: Exposure | None = None, key: str = ""
) -> int | None:
    if isinstance(value, list):  # Date.new(*[value].flatten) with defaults 1, 1
        parts = [*_flatten(value), None, None, None][:3]
        if not all(isinstance(p, int) or p is None for p in parts) or parts[0] is None:
            return None
        made = ruby_date_new(parts[0], parts[1] or 1, parts[2] or 1)
        return None if made is None else _in_pg_range(key, made)
    if isinstance(value, bool):  # Date.new(true, 1, 1) raises TypeError, rescued: nil
        return None
    if isinstance(value, (int, float)):  # a number has no to_date: Date.new(value, 1, 1)
        if isinstance(value, float) and (math.isinf(value) or math.isnan(value)):
            return None  # Date.new raises, rescued
        made = ruby_date_new(int(value), 1, 1)  # Date.new truncates a Float year
        return None if made is None else _in_pg_range(key, made)
    if not isinstance(value, str) or ruby.is_blank(value):
        return None
    limited = exposure is None or not exposure.has(Quirk.LONG_DATES_PARSED)
    parsed = _string_to_date(value, today, limited)
    # over 128 bytes (32 characters at least): would an older Ruby parse what this one drops?
    if (
        parsed is None
        and limited
        and exposure is not None
        and len(value) > 32
        and _string_to_date(value, today, False) is not None
    ):
        exposure.touch(Quirk.LONG_DATES_PARSED)
    return None if parsed is None else _in_pg_range(key, parsed)


# PostgreSQL's date range: 4714-11-24 BC (Ruby's year -4713) to 5874897-12-31
_PG_FIRST_DATE, _PG_LAST_DATE = date_key(-4713, 11, 24), date_key(5874897, 12, 31)


def _in_pg_range(key: str, made: tuple[int, int, int]) -> int:
    """The date's key; a date PostgreSQL cannot hold is its error, Rails' 500."""
    found = date_key(*made)
    if not _PG_FIRST_DATE <= found <= _PG_LAST_DATE:
        raise InternalServerError(
            f"{key!r}: {made[0]}-{made[1]:02}-{made[2]:02} is outside PostgreSQL's date range "
            "(date/time field value out of range); Rails answers 500"
        )
    return found


def _string_to_date(value: str, today: datetime.date, limited: bool = True) -> tuple[int, int, int] | None:
    """Ruby's String#to_date (an incomplete date takes today's). Not memoised here: a value is
    request text, and repeated requests are answered from the server's memo before they get here."""
    return ruby_to_date(value, today, limited)


def _to_decimal(
    value: ParamValue, key: str, exposure: Exposure | None = None
) -> int | float | Decimal | None:
    """String#to_d (BigDecimal.interpret_loosely), then decimal(10,1) in tenths.

    Rails < 6.0 (before rails@a741208f80d, DECIMAL_NOT_ROUNDED) sends the value unrounded:
    ``12.45`` is 124.5 tenths, which equals no stored value.
    """
    if ruby.is_blank(value):
        return None
    text = value if isinstance(value, str) else ruby.inspect(value)  # true: "true".to_d, 0
    if "\x00" in text:
        raise InternalServerError(
            f"{key!r}: a decimal value with a NUL byte makes BigDecimal raise ArgumentError; "
            "Rails answers 500"
        )
    special = _SPECIAL.get(text.strip(_ASCII_SPACE))
    if special is not None:
        return special
    number = _TO_D.match(text)
    digits = number.group(1).replace("_", "") if number else ""
    try:
        number_value = Decimal(digits)
    except InvalidOperation:
        return 0  # BigDecimal reads no number as 0
    try:
        rounded = tenths(number_value)
        if exposure is not None and rounded != number_value * 10:
            if exposure.has(Quirk.DECIMAL_NOT_ROUNDED):
                return number_value * 10
            exposure.touch(Quirk.DECIMAL_NOT_ROUNDED)
        return rounded
    except Overflow:  # beyond any decimal(10,1): compares as an infinity of its sign
        return -math.inf if number_value < 0 else math.inf


def _flatten(value: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in value:
        out.extend(_flatten(item) if isinstance(item, list) else [item])
    return out


def serialize(value: object, kind: Kind, key: str) -> Any:
    """What ActiveRecord's column type makes of a formatted non-string value (true, false, '').

    Numeric types read true/false as 1/0 and '' as NULL; text reads true/false as 't'/'f';
    a date column quotes a boolean as TRUE, which PostgreSQL refuses to compare (a 500).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        if kind is Kind.STR:
            return "t" if value else "f"
        if kind is Kind.INT:
            return int(value)
        if kind is Kind.DECIMAL:
            return 10 if value else 0
        raise InternalServerError(
            f"{key!r}: compares a {kind.value} column with a boolean, a PostgreSQL error "
            "(operator does not exist) that Rails answers with 500"
        )
    if value == "" and kind is not Kind.STR:
        return NULL_LITERAL
    return value


def out_of_int4(values: list[Any]) -> bool:
    """True when an integer value cannot be an int4 (ActiveModel::RangeError on serialising)."""
    return any(type(v) is int and not INT4_MIN <= v <= INT4_MAX for v in values)

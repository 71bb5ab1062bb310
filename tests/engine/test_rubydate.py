"""Truth table and properties for the Ruby ``String#to_date`` port.

Why: Ransack drops a date condition whenever ``to_date`` raises, and filters on
whatever date Ruby picked otherwise, so both the None/not-None split and the
exact (year, month, day) must match Ruby.
"""

from __future__ import annotations

import datetime
import json
import urllib.parse

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.engine.rubydate import ruby_to_date

from ..golden import GOLDEN_PATH

GOLDEN = GOLDEN_PATH
RUBY_STRIP = " \t\n\x0b\f\r\x00"  # String#strip (NUL only trails, which is moot here)
TODAY = datetime.date(2026, 11, 17)  # a Tuesday

Expected = tuple[int, int, int] | None

# Every date input of the golden file and of ransack-semantics.md section 6,
# after Ransack's strip (so " 2015-01-01 " appears as "2015-01-01").
GOLDEN_AND_SPEC: list[tuple[str, Expected]] = [
    ("2015-01-01", (2015, 1, 1)),
    ("2015-01-02", (2015, 1, 2)),
    ("2015-06-15", (2015, 6, 15)),
    ("2015-12-31", (2015, 12, 31)),
    ("2014-01-01", (2014, 1, 1)),
    ("2014-12-31", (2014, 12, 31)),
    ("2016-01-01", (2016, 1, 1)),
    ("2016-02-06", (2016, 2, 6)),
    ("2016-02-29", (2016, 2, 29)),
    ("2020-01-01", (2020, 1, 1)),
    ("1999-12-31", (1999, 12, 31)),
    ("2038-01-19", (2038, 1, 19)),
    ("2015-1-1", (2015, 1, 1)),
    ("2016-1-1", (2016, 1, 1)),
    ("20150101", (2015, 1, 1)),
    ("2015/01/01", (2015, 1, 1)),
    ("Jan 5 2015", (2015, 1, 5)),
    ("5 Jan 2015", (2015, 1, 5)),
    ("January 1, 2015", (2015, 1, 1)),
    ("2015-01-01T10:00", (2015, 1, 1)),
    ("2015-01-01T23:59:59-12:00", (2015, 1, 1)),  # date part only, no zone shift
    ("2015-01-01 garbage", (2015, 1, 1)),
    ("x2015-01-01", (2015, 1, 1)),
    ("01/02/2015", (2015, 2, 1)),  # dd/mm
    ("02/01/2015", (2015, 1, 2)),
    ("2015.01.01", (2015, 1, 1)),
    ("1.1.2015", (2015, 1, 1)),
    ("15-01-01", (15, 1, 1)),  # comp=false: no century completion
    ("2015-001", (2015, 1, 1)),  # ordinal
    ("2015-W01", (2014, 12, 29)),  # ISO week, Monday
    ("H27.01.01", (2015, 1, 1)),  # Heisei 27
    ("0000-01-01", (0, 1, 1)),
    ("10000-01-01", (10000, 1, 1)),
    ("\u00a02015-01-01", (2015, 1, 1)),  # NBSP is not stripped but is skipped
    ("2015-02-30", None),
    ("2015-13-01", None),
    ("2015-02-29", None),
    ("2015-00-10", None),
    ("20150230", None),
    ("2015", None),  # parse_ddd: mon=20, mday=15
    ("2015-01", None),
    ("garbage", None),
    ("today", None),
    ("", None),
]

# Examples from Ruby's Date.parse / Date._parse documentation.
RUBY_DOCS: list[tuple[str, Expected]] = [
    ("2001-02-03", (2001, 2, 3)),
    ("20010203", (2001, 2, 3)),
    ("3rd Feb 2001", (2001, 2, 3)),
    ("2001-034", (2001, 2, 3)),
    ("2001-W05-6", (2001, 2, 3)),
    ("H13.02.03", (2001, 2, 3)),
    ("Sat Aug 28 02:55:50 +09:00 1999", (1999, 8, 28)),
]

# Worked out by hand from date_parse.c / date_core.c.
FROM_SOURCE: list[tuple[str, Expected]] = [
    ("H11.08.28", (1999, 8, 28)),
    ("R01.05.01", (2019, 5, 1)),  # Reiwa
    ("S64.01.07", (1989, 1, 7)),
    ("M45.07.29", (1912, 7, 29)),
    ("T15.12.24", (1926, 12, 24)),
    ("1999-W35-6", (1999, 9, 4)),
    ("1999W356", (1999, 9, 4)),  # basic-format ISO week
    ("28/Aug/1999", (1999, 8, 28)),
    ("28-Aug-1999", (1999, 8, 28)),  # vms
    ("Aug-28-1999", (1999, 8, 28)),
    ("Aug 28, 1999", (1999, 8, 28)),
    ("Saturday, August 28th, 1999", (1999, 8, 28)),
    ("1999-08-28T12:00:00Z", (1999, 8, 28)),
    ("1999-08-28 11:59 PM", (1999, 8, 28)),
    ("19990828T120000", (1999, 8, 28)),
    ("1999-240", (1999, 8, 28)),
    ("1999240", (1999, 8, 28)),  # 7 digits: year + yday
    ("990828", (99, 8, 28)),  # 6 digits: yymmdd, still no completion
    ("99-08-28", (99, 8, 28)),
    ("-0001-01-01", (-1, 1, 1)),
    ("1 Jan 12 BC", (-11, 1, 1)),  # 12 BC is astronomical year -11
    ("2015-01-01 99999999999pm", None),  # NUM2INT raises RangeError
    ("Feb 30 2015", None),
    ("2015-02-29T10:00", None),
    # Date::ITALY: Julian calendar before 1582-10-15, with a 10-day gap.
    ("1000-02-29", (1000, 2, 29)),
    ("1582-10-04", (1582, 10, 4)),
    ("1582-10-05", None),
    ("1582-10-14", None),
    ("1582-10-15", (1582, 10, 15)),
    ("1700-02-29", None),
    ("1900-02-29", None),
    ("2000-02-29", (2000, 2, 29)),
    # Date._parse rejects more than 128 *bytes* (ArgumentError, rescued by Ransack).
    ("2015-01-01" + "x" * 118, (2015, 1, 1)),
    ("2015-01-01" + "x" * 119, None),
    ("2015-01-01 " + "é" * 58, (2015, 1, 1)),  # 127 bytes
    ("2015-01-01 " + "é" * 59, None),  # 129 bytes, only 70 characters
    ("2015-01-01\udcff", None),  # invalid UTF-8 makes the regexp match raise
]

# Fragments completed from Date.today, here pinned to TODAY (2026-11-17).
CLOCK_DEPENDENT: list[tuple[str, Expected]] = [
    ("Jan 5", (2026, 1, 5)),
    ("01-2015", (2026, 11, 1)),  # "-2015" is read as a zone offset
    ("Monday", (2026, 11, 16)),  # the Monday of this Sunday-started week
    ("Sun", (2026, 11, 15)),
    ("5th", (2026, 11, 5)),
    ("W10", (2026, 3, 2)),  # ISO week 10 of the current cwyear
    ("-060", (2026, 3, 1)),  # ordinal day 60 of the current year
    ("10:00", None),  # time only: a Date gets no jd from it
]

TRUTH_TABLE = GOLDEN_AND_SPEC + RUBY_DOCS + FROM_SOURCE + CLOCK_DEPENDENT


@pytest.mark.parametrize(("text", "expected"), TRUTH_TABLE, ids=repr)
def test_truth_table(text: str, expected: Expected) -> None:
    assert ruby_to_date(text, TODAY) == expected


def test_truth_table_has_no_duplicates() -> None:
    inputs = [text for text, _ in TRUTH_TABLE]
    assert len(inputs) == len(set(inputs))


def _golden_cases() -> list[dict[str, object]]:
    if not GOLDEN.exists():
        pytest.skip("golden file not available")
    return json.loads(GOLDEN.read_text())["index_cases"]


def _date_params(query: str) -> list[tuple[str, str]]:
    pairs = []
    for part in query.split("&"):
        if part:
            key, _, value = part.partition("=")
            pairs.append((urllib.parse.unquote_plus(key), urllib.parse.unquote_plus(value)))
    return pairs


def test_every_golden_date_input_is_in_the_truth_table() -> None:
    table = {text for text, _ in GOLDEN_AND_SPEC}
    seen = set()
    for case in _golden_cases():
        for key, value in _date_params(str(case["query"])):
            if "date" in key and key.rstrip("[]").endswith(("_gteq", "_lteq", "_eq", "_in")):
                seen.add(value.strip(RUBY_STRIP))
    assert seen, "no date queries found"
    assert seen <= table, sorted(seen - table)


def _as_tuple(iso: str) -> tuple[int, int, int]:
    y, m, d = iso.split("-")
    return int(y), int(m), int(d)


def test_golden_single_date_filters_select_the_recorded_rows() -> None:
    """Cases filtering only on completion_date_gteq/lteq must return the golden ids."""
    golden = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else None
    if golden is None:
        pytest.skip("golden file not available")
    rows = {r["id"]: r["completion_date"] for r in golden["fixtures"]}
    checked = 0
    for case in golden["index_cases"]:
        params = _date_params(str(case["query"]))
        if "error" in case or not params:
            continue
        if any(k not in ("completion_date_gteq", "completion_date_lteq") for k, _ in params):
            continue
        selected = set(rows)
        for key, value in dict(params).items():  # Rack: the last repeat wins
            value = value.strip(RUBY_STRIP)
            bound = ruby_to_date(value, TODAY) if value else None
            if bound is None:
                continue  # blank or not a date: Ransack drops the condition
            if key.endswith("gteq"):
                keep = {i for i in selected if rows[i] and _as_tuple(rows[i]) >= bound}
            else:
                keep = {i for i in selected if rows[i] and _as_tuple(rows[i]) <= bound}
            selected = keep
        assert selected == set(case["ids"]), case.get("note")
        checked += 1
    assert checked >= 80


def _valid_ruby_civil(y: int, m: int, d: int) -> bool:
    """Date::ITALY calendar: Julian before 1582-10-15, 1582-10-05..14 missing."""
    if not 1 <= m <= 12 or (1582, 10, 5) <= (y, m, d) <= (1582, 10, 14):
        return False
    julian = (y, m, d) < (1582, 10, 15)
    leap = y % 4 == 0 and (julian or y % 100 != 0 or y % 400 == 0)
    days = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[m - 1]
    return 1 <= d <= days


def _check(text: str) -> None:
    result = ruby_to_date(text, TODAY)
    if result is not None:
        assert all(type(v) is int for v in result)
        assert _valid_ruby_civil(*result), result


@settings(max_examples=300)
@given(st.text())
def test_never_raises_on_arbitrary_text(text: str) -> None:
    _check(text)


DATEISH = st.text(
    alphabet=st.sampled_from(list("0123456789-/.:,' +TtWwZHRhrjanfebmaydecsSatMonBCbc\u00a0é")),
    max_size=40,
)


@settings(max_examples=500)
@given(DATEISH)
def test_never_raises_on_date_like_text(text: str) -> None:
    _check(text)


@given(st.dates())
def test_iso_dates_round_trip(day: datetime.date) -> None:
    expected = (day.year, day.month, day.day)
    if day < datetime.date(1582, 10, 15):
        return  # Ruby reads these in the Julian calendar; covered by the table
    assert ruby_to_date(day.isoformat(), TODAY) == expected
    assert ruby_to_date(day.strftime("%Y%m%d"), TODAY) == expected
    assert ruby_to_date(day.strftime("%d/%m/%Y"), TODAY) == expected
    assert ruby_to_date(day.strftime("%b %d %Y"), TODAY) == expected


def test_today_is_an_argument() -> None:
    """Check an incomplete date takes its gaps from the given day, not from a clock."""
    assert ruby_to_date("Jan 5", datetime.date(2030, 6, 1)) == (2030, 1, 5)
    assert ruby_to_date("5th", datetime.date(1999, 2, 10)) == (1999, 2, 5)
    assert ruby_to_date("2015-01-05", datetime.date(2030, 6, 1)) == (2015, 1, 5)

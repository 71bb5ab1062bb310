"""Ransack's multiparameter collapse (``d(1i)=2015``): Ruby's rules, with bounded work."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from mockserver.engine.multiparameter import MEMORY_SLOTS, NIL_RUN, collapse
from mockserver.engine.rack import parse_query
from mockserver.engine.rows import ID, prepare_row
from mockserver.engine.search import compile_search, run
from mockserver.errors import InternalServerError
from mockserver.generate import generate_records

TODAY = datetime.date(2015, 8, 1)
ROWS = [prepare_row(r) for r in generate_records(5, 60)]


def _ids(query: str) -> set[int]:
    return {row[ID] for row in run(compile_search(parse_query(query.encode()), TODAY), ROWS)}


def test_a_huge_position_builds_a_short_array() -> None:
    """Check that d(999999999i) keeps at most NIL_RUN nils, not 999,999,998 of them."""
    out = collapse({"completion_date_gteq(999999999i)": "2015"})
    array = out["completion_date_gteq"]
    assert len(array) <= NIL_RUN + 1
    assert array[-1] == 2015 and array[:-1] == [None] * NIL_RUN


def test_many_huge_positions_share_one_budget() -> None:
    """Check that gaps in one array keep NIL_RUN nils in all, each gap at least one."""
    params = {f"d({n * 10**6}i)": str(n) for n in range(1, 200)}
    array = collapse(params)["d"]
    assert len(array) <= NIL_RUN + 2 * 199
    assert [v for v in array if v is not None] == list(range(1, 200))


def test_the_budget_is_per_request_not_per_array() -> None:
    """Check that many arrays with huge gaps (nested too) keep NIL_RUN nils in all: the
    work follows the request's size, not its positions."""
    params = {"g": {str(n): {f"full_name_cont({10**8})": "x"} for n in range(300)}}
    params |= {f"a{n}({10**8})": "x" for n in range(300)}
    out = collapse(params)
    arrays = [g["full_name_cont"] for g in out["g"].values()] + [out[f"a{n}"] for n in range(300)]
    assert sum(len(a) for a in arrays) <= NIL_RUN + 2 * 600
    assert all(a[-1] == "x" and a[0] is None for a in arrays)


@given(st.lists(st.integers(1, NIL_RUN), min_size=1, max_size=8))
def test_small_positions_are_ruby_arrays(positions: list[int]) -> None:
    """Check that positions within NIL_RUN give Ruby's array exactly: the value at
    position - 1, nil in every gap, the last write winning."""
    params = {f"d({p}i)": str(i) for i, p in enumerate(positions)}
    note(params)
    expected: list[object] = [None] * max(positions)
    for i, p in enumerate(positions):
        expected[p - 1] = i
    assert collapse(params)["d"] == expected


def test_a_huge_position_reads_as_rails_reads_it() -> None:
    """Check that a date's first three slots decide, whatever the gap after them."""
    with_gap = _ids("completion_date_gteq(1i)=2015&completion_date_gteq(99999999i)=3")
    assert with_gap == _ids("completion_date_gteq(1i)=2015")
    assert _ids("completion_date_gteq(99999999i)=2015") == {row[ID] for row in ROWS}  # y is nil: dropped


@pytest.mark.parametrize(
    "position",
    [str(MEMORY_SLOTS + 1), "1152921504606846976", "4611686018427387904", "9" * 40],
)
def test_a_position_ruby_cannot_allocate_is_a_500(position: str) -> None:
    """Check that an index past what Ruby allocates is its IndexError/NoMemoryError: 500."""
    with pytest.raises(InternalServerError, match="cannot allocate"):
        collapse({f"d({position}i)": "2015"})


@pytest.mark.parametrize(
    ("params", "why"),
    [
        ({"d(xi)": "1"}, "before the array's start"),
        ({"d(0i)": "1"}, "before the array's start"),
        ({"d(1i)": "1", "d(2i)": "2", "d(-2i)": "3"}, "before the array's start"),
        ({"d()": "1"}, "without a position"),
        ({"d(": "1"}, "without a position"),
        ({"d(1a)": "1"}, "to_a on a String"),
        ({"d(1i)": ["1"]}, "to_i on a Array"),
        ({"d": "2015-01-01", "d(1i)": "1"}, "takes no Integer"),
        ({"d": "ab", "d(4)": "x"}, "outside the String"),
    ],
)
def test_what_ruby_raises_is_a_500(params: dict[str, object], why: str) -> None:
    """Check the collapse steps Ruby raises on (the stand-in answers each with 500)."""
    with pytest.raises(InternalServerError, match=why):
        collapse(params)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"d(1x)": "5"}, {"d": ["5"]}),  # no cast letter: the value as is, at 1x.to_i - 1
        ({"d(01i)": "5"}, {"d": [5]}),
        ({"d(1i)(2i)": "5"}, {"d": [5]}),  # split(/\(|\)/): the first position only
        ({"d(1s)": ["a"]}, {"d": ['["a"]']}),  # to_s of an Array is its inspect
        ({"d(1i)": "", "d(2i)": "3"}, {"d": [None, 3]}),  # a blank (i) value is nil
        ({"d(1i)": "1", "d(2i)": "2", "d(0i)": "9"}, {"d": [1, 9]}),  # -1 is the last slot
        ({"d": "ab", "d(1)": "x"}, {"d": "xb"}),  # String#[]=
        ({"d": {"a": "1"}, "d(1i)": "2"}, {"d": {"a": "1", "0": 2}}),  # Hash#[]=
        ({"x(1i)": "1", "a": "2"}, {"a": "2", "x": [1]}),  # a new attribute goes last
        ({"g": {"0": {"d(2i)": "1"}}}, {"g": {"0": {"d": [None, 1]}}}),
    ],
)
def test_collapse_follows_ruby(params: dict[str, object], expected: dict[str, object]) -> None:
    """Check the collapse against Ruby's result for each shape of key the stand-in accepts."""
    assert collapse(params) == expected

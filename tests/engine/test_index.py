"""The indexes may only make searches faster: their answers must equal the reference scan."""

from __future__ import annotations

import datetime
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from mockserver.engine.index import Indexes, run_indexed
from mockserver.engine.rack import parse_query
from mockserver.engine.rows import ATTRIBUTES, ID, prepare_row
from mockserver.engine.search import compile_search, run
from mockserver.errors import RailsError
from mockserver.generate import generate_records
from mockserver.model import FILTERS

TODAY = datetime.date(2026, 11, 17)  # the engine's clock is an argument: a fixed day

RECORDS = generate_records(7, 300)
ROWS = [prepare_row(r) for r in sorted(RECORDS, key=lambda r: r["id"], reverse=True)]
INDEXES = Indexes(ROWS)
PREDICATES = [
    "eq",
    "not_eq",
    "lt",
    "lteq",
    "gt",
    "gteq",
    "cont",
    "not_cont",
    "start",
    "end",
    "in",
    "null",
    "present",
    "eq_any",
    "cont_any",
    "cont_all",
    "matches",
]


def _values() -> st.SearchStrategy[str]:
    """Values present in the data, their substrings and case variants, and noise."""
    present = sorted({str(r[f]) for r in RECORDS for f in ATTRIBUTES if r.get(f) is not None})
    fragments = st.sampled_from(present).flatmap(
        lambda v: st.integers(0, len(v)).flatmap(lambda i: st.integers(i, len(v)).map(lambda j: v[i:j]))
    )
    return st.one_of(
        st.sampled_from(present),
        fragments,
        fragments.map(str.upper),
        st.text(max_size=6),
        st.sampled_from(["1", "0", "true", " ", "%", "_"]),
    )


def _param() -> st.SearchStrategy[str]:
    names = [f.name for f in FILTERS] + [f"{a}_{p}" for a in ATTRIBUTES for p in PREDICATES]
    return st.tuples(st.sampled_from(names), st.booleans(), _values()).map(
        lambda t: (
            f"{t[0]}{'[]' if t[1] and t[0].endswith(('_in', '_any', '_all')) else ''}={quote(t[2], safe='')}"
        )
    )


def _sorts() -> st.SearchStrategy[str]:
    term = st.tuples(st.sampled_from(list(ATTRIBUTES)), st.sampled_from(["asc", "desc"]))
    return st.lists(term, max_size=3).map(lambda terms: "".join(f"s[]={a}+{d}&" for a, d in terms))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_param(), min_size=1, max_size=4), st.sampled_from(["", "m=or&"]), _sorts(), st.booleans())
def test_indexed_search_equals_reference_scan(params: list[str], prefix: str, sorts: str, nest: bool) -> None:
    """Check that run_indexed returns exactly what the row-by-row reference run returns, in the
    same order (sorted on any attributes; conditions nested in single-item groupings or not)."""
    if nest:  # the first condition, two groupings deep: g[0][g][0][name]=value
        name, _, value = params[0].partition("=")
        array = "[]" if name.endswith("[]") else ""
        params = [f"g[0][g][0][{name.removesuffix('[]')}]{array}={value}", *params[1:]]
    query = prefix + sorts + "&".join(params)
    note(query)
    try:
        search = compile_search(parse_query(query.encode()), TODAY)
    except RailsError:
        return
    assert [r[ID] for r in run_indexed(search, ROWS, INDEXES)] == [r[ID] for r in run(search, ROWS)]


@pytest.mark.parametrize(
    "query",
    [
        "completion_date_gteq=2016-01-01&completion_date_lteq=2019-12-31&completion_date_gt=2017-05-01",
        "course_code_or_course_name_cont=safety&score_eq=0",
        "full_name_cont=e&full_name_cont=a",
        "score_in[]=80&score_in[]=100&percent_complete_eq=100",
        "s[]=full_name+desc&s[]=status+asc&s[]=cert_expiry+desc",  # every row: ranked
        "s[]=course_name+asc&s[]=full_name+desc&score_in[]=80&score_in[]=100",  # few: their keys
    ],
)
def test_index_plans_match_reference(query: str) -> None:
    """Check that merged ranges, OR-ed text and IN plans agree with the reference scan."""
    search = compile_search(parse_query(query.encode()), TODAY)
    got = [r[ID] for r in run_indexed(search, ROWS, INDEXES)]
    assert got == [r[ID] for r in run(search, ROWS)]
    assert got  # the dataset is chosen so each of these finds something

"""Truth tables and properties for the pure Ransack engine (beyond the golden replay)."""

from __future__ import annotations

import datetime
from urllib.parse import quote

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from mockserver.engine.postgres import collation_key, pg_lower
from mockserver.engine.predicates import split_key
from mockserver.engine.rack import parse_query
from mockserver.engine.rows import ID, prepare_row
from mockserver.engine.search import compile_search, run
from mockserver.errors import InternalServerError
from mockserver.generate import generate_records
from mockserver.model import FILTERS

TODAY = datetime.date(2026, 11, 17)  # the engine's clock is an argument: a fixed day

RECORDS = generate_records(11, 200)
ROWS = [prepare_row(r) for r in sorted(RECORDS, key=lambda r: r["id"], reverse=True)]


def ids(query: str, rows: list[tuple[object, ...]] | None = None) -> list[int]:
    search = compile_search(parse_query(query.encode()), TODAY)
    return [r[ID] for r in run(search, ROWS if rows is None else rows)]


def row(**fields: object) -> tuple[object, ...]:
    base: dict[str, object] = {
        "id": 1,
        "course_code": "FP",
        "score": 0,
        "percent_complete": 0,
        "failed_attempts": 0,
        "status": "Assigned",
        "cert_expiry": None,
        "completion_date": None,
        "complete_by": None,
        "full_name": "x",
        "time_spent": "0.0",
        "course_name": None,
        "assignee_login_username": None,
        "last_attempt": None,
        "account": None,
    }
    base.update(fields)
    return prepare_row(base)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("full_name_cont", (("full_name",), "or", "cont")),
        ("course_code_or_course_name_cont", (("course_code", "course_name"), "or", "cont")),
        ("score_not_eq", (("score",), "or", "not_eq")),  # longest suffix first
        ("full_name_not_cont_any", (("full_name",), "or", "not_cont_any")),
        ("full_name_and_status_cont", (("full_name", "status"), "and", "cont")),
        ("course_code_or_name_cont", None),  # 'name' is not an attribute
        ("assignee_username_eq", None),  # skips the login level
        ("Full_Name_Cont", None),  # case-sensitive
        ("full_name", None),  # no predicate
        ("score", None),
    ],
)
def test_split_key(key: str, expected: tuple[tuple[str, ...], str, str] | None) -> None:
    """Check that keys resolve like Ransack: longest predicate suffix, _or_/_and_ lists."""
    got = split_key(key)
    assert (None if got is None else (got[0], got[1], got[2].name)) == expected


@pytest.mark.parametrize(
    ("text", "lowered"),
    [
        ("İlker", "ilker"),
        ("ILKER", "ilker"),
        ("ılker", "ılker"),
        ("ΟΔΥΣΣΕΥΣ", "οδυσσευσ"),
        ("ΣΟΦΊΑ", "σοφία"),
        ("GROẞMANN", "großmann"),
        ("\u212aelvin", "kelvin"),
        ("ﬁnn", "ﬁnn"),
        ("Ǆ", "ǆ"),
        ("É", "é"),
    ],
)
def test_pg_lower_per_code_point(text: str, lowered: str) -> None:
    """Check PostgreSQL lower(): per code point, no final sigma, U+0130 becomes plain i."""
    assert pg_lower(text) == lowered


@pytest.mark.parametrize(
    ("value", "matches", "misses"),
    [
        ("W_MIS", "W_MIS Trainee", "WHMIS Trainee"),
        ("H2S.2", "H2S.2 course", "H2SX2 course"),
        ("%", "100% done", "100 done"),
        ("a\\%", "a\\% literal", "a% literal"),
        ("o'brien", "Mary O'Brien", "Mary OBrien"),
        ("yılmaz", "İlker Yılmaz", "ILKER YILMAZ"),
        ("οδυσσευσ", "ΟΔΥΣΣΕΥΣ", "οδυσσευς"),
    ],
)
def test_cont_is_literal_and_case_folded(value: str, matches: str, misses: str) -> None:
    """Check that _cont escapes %, _, \\ and . and folds case per code point only."""
    rows = [row(id=2, full_name=matches), row(id=1, full_name=misses)]
    assert ids(f"full_name_cont={quote(value, safe='')}", rows) == [2]


@pytest.mark.parametrize(
    ("value", "cast"),
    [
        ("80", 80),
        ("80.9", 80),
        ("8e1", 8),
        ("8_0", 80),
        ("+80", 80),
        ("080", 80),
        ("abc", 0),
        ("0x50", 0),
        ("\u00a080", 0),
        ("-0", 0),
        ("99999999999999999999", 99999999999999999999),
    ],
)
def test_integer_casting_like_to_i(value: str, cast: int) -> None:
    """Check that integer filters compare against Ruby's String#to_i of the value."""
    rows = [row(id=2, score=cast if -(2**31) <= cast < 2**31 else 0), row(id=1, score=7)]
    expected = [2] if -(2**31) <= cast < 2**31 else []
    assert ids(f"score_eq={quote(value, safe='')}", rows) == expected


@pytest.mark.parametrize(
    "query",
    [
        "score_eq[]=80",
        "score_eq[a]=80",
        "full_name_cont=a%00b",
        "score_cont=8",
        "g=1",
        "s[name]=score&s[dir]=desc",
        "assignee_login_username_eq=x%00y",
    ],
)
def test_deliberate_rails_500s(query: str) -> None:
    """Check that the spec's Rails 500s are raised as InternalServerError with a reason."""
    with pytest.raises(InternalServerError) as info:
        run(compile_search(parse_query(query.encode()), TODAY), ROWS)
    assert info.value.status == 500 and info.value.detail


def test_null_never_matches_comparisons() -> None:
    """Check that NULL dates match no comparison, and gt/lt are strict."""
    rows = [
        row(id=3, cert_expiry="2016-02-06"),
        row(id=2, cert_expiry=None),
        row(id=1, cert_expiry="2016-02-07"),
    ]
    assert ids("cert_expiry_gt=2016-02-06", rows) == [1]
    assert ids("cert_expiry_lt=2016-02-07", rows) == [3]
    assert ids("cert_expiry_gt=2016-02-06&cert_expiry_lt=2016-02-07", rows) == []


def test_collation_key_orders_like_en_us() -> None:
    """Check the observed en_US orders: lower case first, accents after, spaces ignored."""
    words = ["FP", "fp", "SFA", "SÉC", "straße", "strasse", " padded ", "padded", "$x", "100"]
    assert sorted(words, key=collation_key) == [
        "$x",
        "100",
        "fp",
        "FP",
        " padded ",
        "padded",
        "SÉC",
        "SFA",
        "strasse",
        "straße",
    ]


# ---------------------------------------------------------------------------------------------
# Properties over generated data

_VALUES = sorted(
    {str(r[f.attributes[0]]) for r in RECORDS for f in FILTERS if r.get(f.attributes[0]) is not None}
)
values = st.one_of(
    st.sampled_from(_VALUES),
    st.text(max_size=5),
    st.sampled_from(["", " ", "\t", "abc", "2015-01-01", "%", "_"]),
)
params = st.tuples(st.sampled_from([f.name for f in FILTERS]), values).map(
    lambda kv: f"{kv[0]}={quote(kv[1], safe='')}"
)


def _safe_ids(query: str) -> list[int] | None:
    try:
        return ids(query)
    except InternalServerError:
        return None


@settings(max_examples=150, deadline=None)
@given(st.lists(params, min_size=2, max_size=4, unique_by=lambda p: p.split("=")[0]))
def test_conjunction_is_intersection(parts: list[str]) -> None:
    """Check that ANDed documented filters return the intersection of each alone."""
    note(parts)
    together = _safe_ids("&".join(parts))
    alone = [_safe_ids(p) for p in parts]
    if together is None or any(a is None for a in alone):
        return
    expected = set.intersection(*(set(a) for a in alone if a is not None))
    assert together == [i for i in ids("") if i in expected]


@settings(max_examples=100, deadline=None)
@given(params, st.sampled_from(["score=80", "page=2", "Full_Name_Cont=x", "q[a]=1", "utf8=%E2%9C%93"]))
def test_unknown_parameters_change_nothing(param: str, unknown: str) -> None:
    """Check that adding an unknown parameter never changes the answer."""
    assert _safe_ids(f"{param}&{unknown}") == _safe_ids(param)


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from([f.name for f in FILTERS]),
    st.sampled_from(["", "%20", "%09", "%C2%A0", "%E2%80%83", "%00"]),
)
def test_blank_values_are_dropped(name: str, blank: str) -> None:
    """Check that a blank value (Unicode-aware, after strip) never filters anything."""
    assert ids(f"{name}={blank}") == ids("")


@pytest.mark.parametrize(
    "query", ["cert_expiry_not_false=true", "completion_date_false=true", "last_attempt_not_false=FALSE"]
)
def test_boolean_predicates_on_date_columns_are_500(query: str) -> None:
    """Check _true/_false on a date column: PostgreSQL cannot compare a date with TRUE (seed 7)."""
    with pytest.raises(InternalServerError):
        run(compile_search(parse_query(query.encode()), TODAY), ROWS)


def test_boolean_predicates_drop_non_boolean_values() -> None:
    """Check _true with a value that is not boolean-ish is dropped, as its validator says."""
    assert ids("score_true=maybe") == ids("")


def test_i_cont_downcases_with_ruby_before_ilike() -> None:
    """Check i_cont: Ruby's downcase turns İ into i + combining dot, so it misses plain i."""
    rows = [row(id=2, full_name="İlker"), row(id=1, full_name="ilker")]
    assert ids("full_name_cont=%C4%B0lker", rows) == [2, 1]
    assert ids("full_name_i_cont=%C4%B0lker", rows) == []
    assert ids("full_name_i_cont=ILKER", rows) == [2, 1]


def test_matches_with_a_trailing_escape_is_500_once_a_row_reaches_it() -> None:
    """Check a raw _matches pattern ending in one backslash fails only when a row's text matches
    the pattern up to the backslash, as PostgreSQL raises while matching (seed 7, class M)."""
    rows = [row(id=2, full_name="abc"), row(id=1, full_name="xyz")]
    with pytest.raises(InternalServerError):
        ids("full_name_matches=ab%5C", rows)
    with pytest.raises(InternalServerError):
        ids("full_name_matches=%25%5C", rows)
    assert ids("full_name_matches=zz%5C", rows) == []  # no row reaches the backslash
    assert ids("full_name_matches=ab%5C", []) == []  # nothing to match: Rails answers 200
    assert ids("full_name_matches=ab%5C%5C") == []  # an escaped backslash is fine


def test_compile_query_is_a_value_and_equivalent() -> None:
    """Check compile_query gives equal (not remembered) searches that answer like compile_search."""
    from mockserver.engine.search import compile_query

    raw = b"score_eq=80&full_name_cont=a"
    first, second = compile_query(raw, TODAY), compile_query(raw, TODAY)
    assert first == second and hash(first) == hash(second) and first is not second
    assert first != compile_query(raw, TODAY + datetime.timedelta(days=1))  # a lenient date reads today
    assert [r[ID] for r in run(first, ROWS)] == ids(raw.decode())
    with pytest.raises(InternalServerError):
        compile_query(b"score_eq[]=1", TODAY)


@pytest.mark.parametrize(
    ("stored", "query", "hit"),
    [
        ("12.50", "12.5", True),
        ("0.05", "0.1", True),
        ("-1.25", "-1.3", True),
        ("7.0", "7", True),
        ("1234.5", "1234.5", True),
        ("12.5", "12.6", False),
    ],
)
def test_decimal_fixture_values_of_any_scale(stored: str, query: str, hit: bool) -> None:
    """Check time_spent values with other scales load and compare as decimal(10,1)."""
    rows = [row(id=1, time_spent=stored)]
    assert ids(f"time_spent_eq={query}", rows) == ([1] if hit else [])


def test_decimal_values_past_any_scale_compare_as_infinities() -> None:
    """Check a decimal filter value too large for any decimal(10,1) matches like a huge number."""
    assert ids("time_spent_gt=1e999999") == []
    assert ids("time_spent_lt=1e999999") == ids("")
    assert ids("time_spent_gt=-1E%2B1000000") == ids("")


def test_spellings_of_one_query_are_one_search() -> None:
    """Check %-encoded and plain spellings of the same params are equal searches, and order counts."""
    from mockserver.engine.search import compile_query

    plain = compile_query(b"full_name_cont=ab&score_eq=1", TODAY)
    assert compile_query(b"full_name_cont=%61b&score%5Feq=1", TODAY) == plain
    assert compile_query(b"score_eq=1&full_name_cont=ab", TODAY) != plain


def test_long_keys_and_values_are_not_kept_by_the_engine_caches() -> None:
    """Check that a long parameter name compiles without entering the key-splitting cache
    (no cache keeps a key over a few KiB: the query alone can be 8 KB)."""
    from mockserver.engine import predicates  # the engine's only cache keyed by request text
    from mockserver.engine.search import compile_query

    caches = (predicates._split_key_cached,)
    before = [c.cache_info().currsize for c in caches]
    name = "full_name_or_" * 40 + "course_name_cont"
    dated = "cert_expiry_or_" * 40 + "complete_by_eq"
    search = compile_query(f"{name}=ab&{dated}=2020-01-01T{'0' * 600}".encode(), TODAY)
    assert search.conditions[0].key == name  # the date, unreadable, is dropped
    assert [c.cache_info().currsize for c in caches] == before


def _explicit(index: int, name: str, predicate: str, value: int) -> str:
    return f"c[{index}][a][0][name]={name}&c[{index}][p]={predicate}&c[{index}][v][0][value]={value}"


def _scores(query: str) -> set[int]:
    params = parse_query(query.encode())
    return {row[ID] for row in run(compile_search(params, TODAY), ROWS)}


@given(
    st.integers(0, 100),
    st.integers(0, 100),
    st.sampled_from(["gteq", "lteq", "eq", "gt"]),
    st.sampled_from(["gteq", "lteq", "eq", "gt"]),
)
@settings(max_examples=60)
def test_plain_key_replaces_an_earlier_explicit_condition(a: int, b: int, p: str, q: str) -> None:
    """Check Ransack's Grouping#[]=: score_P=B after c[0] (score, P) replaces it; before it, or with
    another predicate, both conditions apply (measured on the Rails stand-in)."""
    note(f"c[0]: score_{p}={a}; plain: score_{q}={b}")
    explicit, plain = _explicit(0, "score", p, a), f"score_{q}={b}"
    after = _scores(f"{explicit}&{plain}")
    before = _scores(f"{plain}&{explicit}")
    both = _scores(plain) & _scores(explicit)
    assert before == both
    assert after == (_scores(plain) if p == q else both)


def test_plain_key_replaces_every_earlier_condition_with_its_key() -> None:
    """Check that two c[] conditions with the key are both replaced, a grouping's are not, and
    an invalid plain value (blank) replaces nothing."""
    two = f"{_explicit(0, 'score', 'gteq', 90)}&{_explicit(1, 'score', 'gteq', 95)}"
    assert _scores(f"{two}&score_gteq=50") == _scores("score_gteq=50")
    grouped = "g[0][c][0][a][0][name]=score&g[0][c][0][p]=gteq&g[0][c][0][v][0][value]=90"
    assert _scores(f"{grouped}&score_gteq=50") == _scores("score_gteq=90")
    assert _scores(f"{_explicit(0, 'score', 'gteq', 90)}&score_gteq=") == _scores("score_gteq=90")

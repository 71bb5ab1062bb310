"""Truth tables for the Ransack corners the Rails differential found (seed 7, by class).

Each table restates, on a few hand-made rows, what the real Rails 6.1 + Ransack 4.1.1 app
answered in ``shared/spec/rails-differential/cases-seed7.jsonl.gz`` (the case number ``n`` is
given with each row): the statuses and the rows it selected, not what this engine computes.
"""

from __future__ import annotations

import datetime

import pytest

from mockserver.engine.predicates import SPECS, Operator, Quantifier, split_key
from mockserver.engine.rack import parse_query
from mockserver.engine.rows import ID, prepare_row
from mockserver.engine.search import compile_search, run
from mockserver.errors import InternalServerError
from mockserver.model import FILTERS, Predicate

TODAY = datetime.date(2026, 11, 17)


def row(record_id: int, **fields: object) -> tuple[object, ...]:
    base: dict[str, object] = {
        "id": record_id,
        "course_code": "FP",
        "score": 0,
        "percent_complete": 0,
        "failed_attempts": 0,
        "status": "Assigned",
        "full_name": "x",
        "time_spent": "0.0",
    }
    return prepare_row(base | fields)


def answer(query: str, rows: list[tuple[object, ...]]) -> int | list[int]:
    """Rails' answer: 500, or the selected ids (the controller orders by id DESC)."""
    try:
        found = run(compile_search(parse_query(query.encode()), TODAY), rows)
    except InternalServerError:
        return 500
    return [r[ID] for r in found]


def test_one_vocabulary() -> None:
    """Check every predicate the engine knows is a model.Predicate, and the filters use them."""
    assert set(SPECS) == {p.value for p in Predicate}
    assert all(f.predicate.value in SPECS for f in FILTERS)
    assert (
        SPECS["not_in_any"].operator is Operator.NOT_IN and SPECS["not_in_any"].quantifier is Quantifier.ANY
    )
    assert SPECS["i_cont_all"].operator is Operator.MATCHES and SPECS["i_cont_all"].wants_array


SCORES = [row(3, score=80), row(2, score=5), row(1, score=-1)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("score_eq=99999999999999999999", []),  # n=13: one value, one attribute: SQL compares
        ("score_lt=4294967296", [3, 2, 1]),
        ("score_in[]=80&score_in[]=4294967376", 500),  # n=1859: Q, inside a list
        ("failed_attempts_lteq_any=4294967296", 500),  # n=2287: a compound, even with one value
        ("id_in[]=-9223372036854775809", 500),  # n=2758
        ("score_or_full_name_not_in_any=4294967376", 500),  # n=2896: several attributes
        ("score_or_percent_complete_gteq_any[]=9223372036854775807", 500),  # n=3238
        ("score_in[]=80&score_in[]=2147483647", [3]),  # in range: fine
    ],
)
def test_q_out_of_int4_inside_a_list_is_500(query: str, expected: int | list[int]) -> None:
    """Check an out-of-int4 value is a 500 only where Ransack cannot unwrap it (class Q)."""
    assert answer(query, SCORES) == expected


NAMES = [
    row(4, full_name="Émile"),
    row(3, full_name="eve"),
    row(2, full_name="Zoe"),
    row(1, full_name="adam"),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("full_name_lt=f", [4, 3, 1]),  # en_US: accents and case are secondary, É sorts with E
        ("full_name_gteq=E", [4, 3, 2]),  # code points would put "eve" and "adam" after "E"
        ("full_name_gt=Eve", [2]),  # "eve" < "Eve" (lower case first); "Émile" > "eve"? no: m < v
        ("full_name_lteq=eve", [4, 3, 1]),
    ],
)
def test_l_text_comparisons_follow_the_collation(query: str, expected: list[int]) -> None:
    """Check text _lt/_lteq/_gt/_gteq use en_US.UTF-8 order, as ORDER BY does (class L)."""
    assert answer(query, NAMES) == expected


def test_l_collation_ignores_punctuation_and_case_first() -> None:
    """Check the seed-7 L cases: status_gt_any=d selects 'Failed' (n=1842), code points would not."""
    rows = [row(2, status="Failed"), row(1, status="Assigned")]
    assert answer("status_gt_any=d", rows) == [2]
    assert answer("course_code_gt=arocque", [row(2, course_code="FP"), row(1, course_code="AB")]) == [2]


@pytest.mark.parametrize(
    ("query", "rows", "expected"),
    [
        # n=2019: ^ is ignorable, so "^Pᘪ" compares as "Pᘪ"; Elizabeth < EN (l < n)
        (
            "full_name_lt_all[]=%5EP%E1%98%AA&full_name_lt_all[]=EN",
            {3: "Alicia Mckenzie", 2: "Elizabeth Young", 1: "Zoe Park"},
            [3, 2],
        ),
        # n=3183: ⪘ is ignorable but the New Tai Lue sign ᧟ sorts after Latin letters
        (
            "status_gt_all[]=%20&status_gt_all[]=DKO&status_gt_all[]=%E2%AA%98%E1%A7%9F%27%E2%B8%92",
            {2: "Failed", 1: "In Progress"},
            [],
        ),
        # n=4270: an array value compares as its inspect; [ " , and unknown letters are ignored
        (
            "course_code_gteq[]=%F0%9B%86%8C&course_code_gteq[]=e%EF%BB%BF&course_code_gteq[]=R",
            {3: "LADDER", 2: "WHMIS", 1: "AB"},
            [3, 2],
        ),
    ],
)
def test_l_seed7_collation_cases(query: str, rows: dict[int, str], expected: list[int]) -> None:
    """Check the three L cases the first collation approximation got wrong, on their own rows."""
    column = query.split("_g")[0].split("_l")[0]
    assert answer(query, [row(i, **{column: v}) for i, v in rows.items()]) == expected


G_ROWS = [
    row(3, score=80, full_name="ann"),
    row(2, score=5, full_name="bob"),
    row(1, score=80, full_name="cy"),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # G1: a malformed condition raises in Ruby (n=4386, 4333, 4385, 4352, 4348, 4326)
        ("c[]=1", 500),
        ("c[0]=1", 500),
        ("c[0][a]=score&c[0][p]=eq&c[0][v][]=80", 500),
        ("c[0][a][0]=score&c[0][p]=eq&c[0][v][]=80", 500),
        ("c[0][a][0][name]=score&c[0][p]=eq&c[0][v]=80", 500),
        ("c[0][a][0][name]=score&c[0][p]=eq&c[0][v][0]=80", 500),
        ("c[0][a][0][name]=score&c[0][p]=foo&c[0][v][0][value]=80", 500),
        ("c[0][a][0][name]=score&c[0][p]=&c[0][v][0][value]=80", 500),
        # a well-formed condition; a p without a value is no predicate (stand-in: 500)
        ("c[0][a][0][name]=score&c[0][p]=eq&c[0][v][0][value]=80", [3, 1]),
        ("c[0][a][]=full_name&c[0][p]=cont&c[0][v][]=o", [2]),
        ("c[0][a][]=full_name&c[0][p]&c[0][v][]=o", 500),
        ("c[0][a][0][name]=score&c[0][v][0][value]=80", [3, 2, 1]),  # no p at all: dropped
        # an attribute entry without a name (stand-in): harmless alone or when the condition is
        # dropped, a 500 when it comes first or when the condition reaches Arel
        ("c[0][a][0][foo]=x&c[0][p]=eq&c[0][v][0][value]=5", [3, 2, 1]),
        ("c[0][a][0][name]=score&c[0][a][1][foo]=x&c[0][p]=eq&c[0][v][0][value]=5", [3, 2, 1]),
        ("c[0][a][0][name]=score&c[0][a][1][foo]=x&c[0][m]=or&c[0][p]=eq&c[0][v][0][value]=5", 500),
        ("c[0][a][0][foo]=x&c[0][a][1][name]=score&c[0][p]=eq", 500),
        ("c[0][m]=or&c[0][p]=present&c[0][a][1][foo]=x&c[0][a][0][name]=full_name", [3, 2, 1]),
        # G2: more values than the predicate takes: dropped (n=4429, 4518)
        ("c[0][a][0][name]=score&c[0][p]=eq&c[0][v][0][value]=80&c[0][v][1][value]=5", [3, 2, 1]),
        ("c[0][a][0][name]=id&c[0][p]=i_cont&c[0][v][0][value]=a&c[0][v][1][value]=b", [3, 2, 1]),
        ("c[0][a][0][name]=score&c[0][p]=in&c[0][v][0][value]=80&c[0][v][1][value]=5", [3, 2, 1]),
        # G3: several attributes need m (n=4476); unknown names are skipped
        ("c[0][a][0][name]=score&c[0][a][1][name]=full_name&c[0][p]=eq&c[0][v][0][value]=bob", [3, 2, 1]),
        ("c[0][a][0][name]=score&c[0][a][1][name]=id&c[0][m]=or&c[0][p]=eq&c[0][v][0][value]=2", [2]),
        ("c[0][a][0][name]=nope&c[0][a][1][name]=score&c[0][p]=eq&c[0][v][0][value]=5", [2]),
    ],
)
def test_g_explicit_conditions(query: str, expected: int | list[int]) -> None:
    """Check c[...] conditions are built, validated and dropped as Ransack does (G1-G3)."""
    assert answer(query, G_ROWS) == expected


def test_only_a_valid_condition_casts_for_its_other_attributes() -> None:
    """Check a value that fails the first attribute's validation is never cast for the others
    (stand-in: completion_date_or_percent_complete_gteq[]=80 is 200, not to_i on an Array)."""
    assert answer("completion_date_or_percent_complete_gteq[]=80", SCORES) == [3, 2, 1]
    assert answer("percent_complete_or_completion_date_gteq[]=80", SCORES) == 500


def test_g3_each_attribute_casts_the_value_for_its_own_type() -> None:
    """Check a value that does not cast for one attribute compares with NULL there (G3)."""
    rows = [row(2, full_name="2015-01-01", cert_expiry=None), row(1, full_name="y", cert_expiry="2015-01-01")]
    query = (
        "c[0][a][0][name]=full_name&c[0][a][1][name]=cert_expiry&c[0][m]=or&c[0][p]=eq"
        "&c[0][v][0][value]=garbage"
    )
    assert answer(query, rows) == [2]  # cert_expiry IS NULL


TYPED = [
    row(3, score=1, time_spent="1.0", status="t", full_name="f"),
    row(2, score=0, time_spent="0.0", status="x", full_name="t"),
    row(1, score=5, time_spent="2.5", status="f", full_name="x"),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("score_true=1", [3]),  # n=2581 family: true is 1 on an integer column
        ("score_false=TRUE", [2]),  # n=1804 family: false is 0
        ("score_not_false=FALSE", [2]),  # not_false with a false value: = false, i.e. 0
        ("time_spent_not_true=T", [2, 1]),  # n=388 answer: time_spent != 1.0
        ("status_false=t", [1]),  # n=1929: false is 'f' on text
        ("full_name_not_true=0", [2]),  # = 't'
        ("status_true=maybe", [3, 2, 1]),  # not a boolean: dropped
        ("completion_date_false=true", 500),  # a date cannot compare with TRUE
        ("cert_expiry_or_completion_date_not_false=false", 500),
    ],
)
def test_b_boolean_predicates_cast_to_the_column_type(query: str, expected: int | list[int]) -> None:
    """Check _true/_false on non-boolean columns use ActiveRecord's cast (class B)."""
    assert answer(query, TYPED) == expected


SORTABLE = [row(3, score=5), row(2, score=9), row(1, score=7)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("s[0][name]=score", 500),  # n=3650: TypeError, attr.send(nil)
        ("s[a][name]=score&m=or", 500),  # n=3611
        ("s[0][name]=score&s[0][dir]=desc", [2, 1, 3]),
        ("s[0][name]=score&s[0][dir]", [3, 1, 2]),  # a dir key without a value: asc
        ("s[0][name]=nope", [3, 2, 1]),  # an unknown sort is skipped, no error
        ("s[0][name]=score&s[0][dir][]=desc", 500),  # stand-in: downcase on an Array
        ("s[0][name]=nope&s[0][dir][]=desc", 500),  # dir= runs whatever the name
        ("s=score", [3, 1, 2]),  # a string without a direction: asc
    ],
)
def test_t_sort_hash_without_dir_is_500(query: str, expected: int | list[int]) -> None:
    """Check a sort hash naming a real attribute but no dir is a 500 (class T)."""
    assert answer(query, SORTABLE) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("s=score%C2%A0desc", [3, 2, 1]),  # n=3597: NBSP does not split, so no sort at all
        ("s=score%E3%80%80desc", [3, 2, 1]),
        ("s=score%09desc", [2, 1, 3]),  # a tab is Ruby whitespace
        ("s=score%20desc", [2, 1, 3]),
    ],
)
def test_k_sort_split_on_ascii_whitespace_only(query: str, expected: list[int]) -> None:
    """Check a sort spec is split by Ruby's ASCII \\s only (class K)."""
    assert answer(query, SORTABLE) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("score_in_all[]=80&score_in_all[]=5", []),  # n=1690 family: IN (80) AND IN (5)
        ("score_in_all[]=80&score_in_all[]=80", [3]),
        ("score_in_any[]=80&score_in_any[]=5", [3, 2]),
        ("score_not_in_any[]=80&score_not_in_any[]=5", [3, 2, 1]),  # n=1862: NOT IN OR NOT IN
        ("score_not_in_all[]=80&score_not_in_all[]=5", [1]),
        ("score_not_in[]=80&score_not_in[]=5", [1]),
    ],
)
def test_i_in_all_and_not_in_any_build_one_in_per_value(query: str, expected: list[int]) -> None:
    """Check _in_all/_not_in_any are one IN per value joined by AND/OR (class I)."""
    assert answer(query, SCORES) == expected


SPENT = [row(3, time_spent="0.0"), row(2, time_spent="1.5"), row(1, time_spent="99.9")]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("time_spent_eq=Infinity", []),
        ("time_spent_not_eq=Infinity", [3, 2, 1]),  # n=4028: every row
        ("time_spent_in=NaN", []),  # n=4353 family
        ("time_spent_in[]=Infinity&time_spent_in[]=1e400", []),  # n=2389
        ("time_spent_lt=Infinity", [3, 2, 1]),
        ("time_spent_lt=NaN", [3, 2, 1]),  # NaN sorts above every number in PostgreSQL
        ("time_spent_eq=%C2%A01.5", [3]),  # a leading NBSP is not skipped: 0.0
        ("time_spent_eq=%E3%80%801.5", [3]),
        ("time_spent_eq=%201.5", [2]),  # ASCII space is
        ("time_spent_eq_any[]=1.5&time_spent_eq_any[]=e%00d", 500),  # an embedded NUL
    ],
)
def test_n_decimal_casts(query: str, expected: int | list[int]) -> None:
    """Check String#to_d on decimal filters: specials, non-ASCII space, NUL (class N)."""
    assert answer(query, SPENT) == expected


DATES = [row(3, cert_expiry="2016-02-06"), row(2, cert_expiry=None), row(1, cert_expiry="2020-01-01")]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cert_expiry_eq_any[]=2016-02-06&cert_expiry_eq_any[]=garbage", [3, 2]),  # IS NULL OR =
        ("cert_expiry_not_eq_all[]=2016-02-06&cert_expiry_not_eq_all[]=garbage", [1]),  # IS NOT NULL
        ("cert_expiry_eq_any[]=garbage", [3, 2, 1]),  # nothing casts: dropped
        ("cert_expiry_eq=garbage", [3, 2, 1]),
    ],
)
def test_e_an_invalid_date_inside_a_list_is_null(query: str, expected: list[int]) -> None:
    """Check an invalid date next to a valid one in _eq_any/_not_eq_all compares with NULL (E)."""
    assert answer(query, DATES) == expected


@pytest.mark.parametrize(
    ("key", "resolved"),
    [
        ("course_code__eq", ("course_code",)),
        ("course_code___eq", ("course_code",)),
        ("assignee_login_username__cont", ("assignee_login_username",)),
        ("full_name__eq", None),  # a column of the table itself: the name must match exactly
        ("course__code_eq", None),
    ],
)
def test_u_trailing_underscores_after_an_association_attribute(
    key: str, resolved: tuple[str, ...] | None
) -> None:
    """Check course_code__eq reads as course_code_eq (Ruby's split drops trailing empties) (U)."""
    found = split_key(key)
    assert (found[0] if found else None) == resolved
    rows = [row(2, course_code="FP"), row(1, course_code="WHMIS")]
    assert answer("course_code__eq=FP", rows) == [2]


FOREIGN = [
    row(3, course_id=1, assignee_id=7, assignee_login_id=2),
    row(2, course_id=2, assignee_id=None, assignee_login_id=None),
    row(1, course_id=1, assignee_id=5, assignee_login_id=1),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("course_id_eq=1", [3, 1]),
        ("assignee_id_null=1", [2]),
        ("assignee_login_id_eq=1", [1]),
        ("course_id_in[]=1&course_id_in[]=2", [3, 2, 1]),
        ("s=assignee_id+asc", [1, 3, 2]),  # NULLS LAST
        ("s=assignee_id+desc", [2, 3, 1]),
        ("course_id_i_cont=x", 500),  # LIKE on an integer column
    ],
)
def test_d_foreign_keys_filter_and_sort_like_any_column(query: str, expected: int | list[int]) -> None:
    """Check course_id, assignee_id and assignee_login_id are Ransack attributes (class D)."""
    assert answer(query, FOREIGN) == expected

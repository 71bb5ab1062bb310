"""The engine's generation switches, unit by unit, against the source lines stack-generations.md
cites; and the default generation touching nothing on an ordinary query."""

from __future__ import annotations

import datetime

import pytest

from mockserver.engine.postgres import escape_like, escape_like_17
from mockserver.engine.rack import parse_query
from mockserver.engine.rubydate import ruby_to_date
from mockserver.engine.search import compile_query, compile_search
from mockserver.errors import BadRequestError, InternalServerError, QueryLimitError
from mockserver.stacks import DEFAULT_STACK, Quirk, stack_named

TODAY = datetime.date(2026, 1, 15)
R42 = stack_named("rails4.2-ransack1.7")
R51 = stack_named("rails5.1-ransack1.8")
R52 = stack_named("rails5.2-ransack2.3")


@pytest.mark.parametrize(
    ("text", "v17", "v18"),
    [
        ("a_b", "a_b", "a\\_b"),
        ("50%", "50\\%", "50\\%"),
        ("a.b|c", "a\\.b\\|c", "a\\.b|c"),
        ("\\", "\\\\", "\\\\"),
    ],
)
def test_escape_wildcards_before_and_after_1_8(text: str, v17: str, v18: str) -> None:
    """Check §2.6: v1.7.0 escapes /([\\\\|\\%|.])/ (not `_`); 4.1.1 escapes /([\\\\%_.])/."""
    assert escape_like_17(text) == v17
    assert escape_like(text) == v18


def test_long_date_limit_is_ruby_2_6_9s() -> None:
    """Check §2.4: Date.parse("x"*130 + " 2015-01-01") raises on Ruby >= 2.6.9, parses before."""
    text = "x" * 130 + " 2015-01-01"
    assert ruby_to_date(text, TODAY) is None
    assert ruby_to_date(text, TODAY, limited=False) == (2015, 1, 1)


def test_unstripped_sorts_split_as_ruby_does() -> None:
    """Check §2.1: "score desc ".split(/\\s+/, 2) is ["score", "desc "] (ASC); " score desc" gives no sort."""
    trailing = compile_search({"s": "score desc "}, TODAY, R52)
    assert [(s.attribute, s.descending) for s in trailing.sorts] == [("score", False)]
    assert compile_search({"s": " score desc"}, TODAY, R52).sorts == []
    assert [(s.attribute, s.descending) for s in compile_search({"s": "score desc "}, TODAY).sorts] == [
        ("score", True)
    ]


def test_combinator_with_a_space_is_and_before_2_4() -> None:
    """Check §2.11: the visitor ORs only when combinator == "or": "or " stays AND unstripped."""
    assert compile_search({"m": "or "}, TODAY, R52).combinator == "and"
    assert compile_search({"m": "or "}, TODAY).combinator == "or"


def test_explicit_i_cont_condition_is_a_500_before_2_3_1() -> None:
    """Check §2.9: `c[0][p]=i_cont` names no predicate on 1.6-2.3.0 (negative? on nil: 500)."""
    params = {"c": {"0": {"a": {"0": {"name": "full_name"}}, "p": "i_cont", "v": {"0": {"value": "x"}}}}}
    with pytest.raises(InternalServerError):
        compile_search(params, TODAY, R51)
    assert len(compile_search(params, TODAY).conditions) == 1
    assert Quirk.I_CONT_IGNORED in compile_search(params, TODAY).touched


def test_query_checks_switch_with_rack_and_rails() -> None:
    """Check §3.1: invalid UTF-8 values parse on Rails 4.2 (400 from rails@59ab2d1ee59); no query
    limit before Rack 2.2.14."""
    with pytest.raises(BadRequestError) as info:
        parse_query(b"full_name_cont=%FF")
    assert Quirk.INVALID_UTF8_500 in info.value.touched
    assert parse_query(b"full_name_cont=%FF", R42.quirks) == {"full_name_cont": "\udcff"}
    with pytest.raises(BadRequestError):  # a key is matched by Rack 1.6's regex: 400 there too
        parse_query(b"%FF=1", R42.quirks)
    many = b"&" * 5000 + b"score_eq=1"
    with pytest.raises(QueryLimitError):
        parse_query(many)
    assert parse_query(many, R51.quirks) == {"score_eq": "1"}


def test_compiled_searches_differ_per_generation() -> None:
    """Check that a search's value holds the generation's quirks: the same query differs."""
    modern = compile_query(b"s=score+desc+", TODAY)
    old = compile_query(b"s=score+desc+", TODAY, R52)
    assert modern != old
    assert modern.sorts[0].descending and not old.sorts[0].descending
    assert compile_query(b"s=score+desc+", TODAY) == modern


@pytest.mark.parametrize(
    "query",
    [
        b"",
        b"full_name_cont=mich",
        b"score_gteq=80&s=score+desc",
        b"completion_date_gteq=2015-01-01",
        b"score_eq=%2080",
    ],
)
def test_ordinary_queries_touch_nothing(query: bytes) -> None:
    """Check that a query every generation answers alike records no quirk (no header, no cost)."""
    assert compile_search(parse_query(query), TODAY, DEFAULT_STACK).touched == frozenset()


@pytest.mark.parametrize(
    ("query", "touched"),
    [
        (b"full_name_cont=%20mich", True),
        (b"score_null=%201", True),
        (b"s=score+desc+", True),
        (b"score_eq=%2080", False),
        (b"completion_date_gteq=2015-01-01%20", False),
        (b"unknown_key=%20x", False),
    ],
)
def test_strip_is_flagged_only_where_it_changes_the_answer(query: bytes, touched: bool) -> None:
    """Check §2.1: padding matters for text, booleans and sorts; " 80".to_i and Date.parse skip it."""
    search = compile_search(parse_query(query), TODAY)
    assert (Quirk.NO_STRIP in search.touched) is touched

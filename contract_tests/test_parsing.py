"""Rack's query parsing as Rails applies it: separators, encodings, repeats, arrays, errors."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import note
from hypothesis import strategies as st

from . import strategies
from .checks import Dataset, Forall, check_rails_error, check_result, check_same_list
from .client import Client, Query, encode
from .oracle import FILTERS, condition, conditions, expect

RENDERED = [f.name for f in FILTERS if f.rendered]


def _word(dataset: Dataset) -> st.SearchStrategy[str]:
    words = sorted({w for r in dataset.records for w in r["full_name"].split() if w.isalnum()})
    return st.sampled_from(words or ["a"]).flatmap(lambda w: st.just(w[: max(1, len(w) // 2)]))


def test_separators_and_encodings_agree(client: Client, dataset: Dataset, forall: Forall) -> None:
    """Check that ';' separates pairs like '&', '+' decodes like %20, and a percent-encoded key
    is the same key (Rack decodes keys)."""

    @forall(strategies.conditions(dataset, RENDERED, 2), examples=5)
    def check(pairs: tuple[tuple[str, Any], ...]) -> None:
        query = Query(tuple(pairs))
        note(f"query: {query}")
        base = client.index(query)
        check_result(base, dataset, expect(dataset.records, conditions(pairs, dataset.rules)), query)
        check_same_list(client.index(Query(tuple(pairs), separator=";")), base, f"{query} with ';'")
        check_same_list(
            client.index(Query(tuple(pairs), plus_for_space=True)), base, f"{query} with '+' for spaces"
        )
        raw = "&".join(
            encode(k).replace("_", "%5F") + ("" if v is None else "=" + encode(v)) for k, v in pairs
        )
        check_same_list(client.index(raw), base, f"{query} with percent-encoded keys")


def test_repeated_key_last_wins(client: Client, dataset: Dataset, forall: Forall) -> None:
    """Check that when a key repeats, its last value is the one used (a blank last value drops it)."""
    names = st.sampled_from(RENDERED)

    @forall(
        names.flatmap(
            lambda n: st.tuples(
                st.just(n),
                strategies.filter_value(dataset, next(f for f in FILTERS if f.name == n)),
                strategies.filter_value(dataset, next(f for f in FILTERS if f.name == n)),
            )
        ),
        examples=8,
    )
    def check(drawn: tuple[str, Any, Any]) -> None:
        name, first, last = drawn
        query = Query.of((name, first), (name, last))
        note(f"query: {query}")
        check_result(
            client.index(query),
            dataset,
            expect(dataset.records, [condition(name, last, dataset.rules)]),
            query,
        )


def test_array_and_hash_values(client: Client, dataset: Dataset, forall: Forall) -> None:
    """Check Ransack on k[]= and k[x]= values: a string filter searches Ruby's inspect text
    literally, a date filter is dropped, an integer filter is a Rails 500."""

    @forall(_word(dataset), st.booleans(), examples=6)
    def check(word: str, as_hash: bool) -> None:
        key, text = (
            ("full_name_cont[a]", f'{{"a"=>"{word}"}}') if as_hash else ("full_name_cont[]", f'["{word}"]')
        )
        query = Query.of((key, word))
        note(f"query: {query}")
        check_result(
            client.index(query),
            dataset,
            expect(dataset.records, [condition("full_name_cont", text, dataset.rules)]),
            query,
        )

    dates = [f.name for f in FILTERS if f.kind == "date"]
    for name in dates[:3]:
        query = Query.of((f"{name}[]", "2015-01-01"))
        check_result(client.index(query), dataset, expect(dataset.records, []), query)
    check_rails_error(
        client.index(Query.of(("score_eq[]", "80"))),
        500,
        "score_eq[]=80: Ransack calls to_i on an Array (NoMethodError)",
        dataset.rules,
    )


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("full_name_cont=%ZZ", "a malformed %-escape is Rack's InvalidParameterError"),
        ("full_name_cont=abc%", "a trailing % is a malformed escape"),
        ("full_name_cont=%FF", "a value that is not UTF-8 is ActionController::BadRequest (>= 5.0)"),
        ("score_eq=80&score_eq[]=1", "a scalar then an array on one key is a Rack type conflict"),
    ],
)
def test_malformed_queries_answer_400(raw: str, why: str, client: Client, dataset: Dataset) -> None:
    """Check that queries Rack cannot parse answer 400 with Rails' JSON error body (invalid
    UTF-8 is a 500 on Rails 4.x: its blank? regex raises ArgumentError)."""
    if "%FF" in raw and dataset.rules.invalid_utf8_500:
        why = "invalid UTF-8 is a 500 on Rails 4.x (rails@59ab2d1ee59 made it a 400 in 5.0)"
        check_rails_error(client.index(raw), 500, why, dataset.rules)
        return
    check_rails_error(client.index(raw), 400, why, dataset.rules)


def test_array_then_scalar_keeps_the_scalar(client: Client, dataset: Dataset) -> None:
    """Check that k[]=1&k=80 uses the scalar, as Rack does."""
    values = dataset.values("score") or [0]
    value = str(values[len(values) // 2])
    query = Query.of(("score_eq[]", "1"), ("score_eq", value))
    check_result(
        client.index(query),
        dataset,
        expect(dataset.records, [condition("score_eq", value, dataset.rules)]),
        query,
    )

"""Filters together: a conjunction is the intersection of its parts, and opposite date
comparisons partition the records that have the date."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import note

from . import strategies
from .checks import ContractViolationError, Dataset, Forall, check_list, check_result
from .client import Client, Query, short
from .oracle import DOC_VS_RANSACK, FILTERS, conditions, expect


def test_conjunction_is_the_intersection(client: Client, dataset: Dataset, forall: Forall) -> None:
    """Check that two or three filters together (hidden ones included) select exactly the records
    every one of them selects alone."""
    names = [f.name for f in FILTERS]

    @forall(strategies.conditions(dataset, names, 2) | strategies.conditions(dataset, names, 3), examples=10)
    def check(pairs: tuple[tuple[str, Any], ...]) -> None:
        query = Query(tuple(pairs))
        note(f"query: {query}")
        together = client.index(query)
        expectation = expect(dataset.records, conditions(pairs, dataset.rules))
        body = check_result(together, dataset, expectation, query)
        if expectation.error:
            return  # a 500 on this generation: there is no intersection to compare
        parts = [client.index(Query((pair,))) for pair in pairs]
        expected = set.intersection(*({r["id"] for r in check_list(p)} for p in parts))
        got = {r["id"] for r in body}
        if got != expected:
            raise ContractViolationError(
                f"{query}: the conjunction is not the intersection of its parts",
                f"only in the conjunction: {short(sorted(got - expected))}; "
                f"only in the intersection: {short(sorted(expected - got))}",
                [together, *parts],
                "all conditions are ANDed",
            )


def _partition(
    client: Client,
    dataset: Dataset,
    attribute: str,
    upper: tuple[str, dt.date],
    lower: tuple[str, dt.date],
    day: dt.date,
) -> None:
    above = client.index(Query.of((upper[0], upper[1].isoformat())))
    below = client.index(Query.of((lower[0], lower[1].isoformat())))
    a, b = {r["id"] for r in check_list(above)}, {r["id"] for r in check_list(below)}
    with_date = {r["id"] for r in dataset.records if r.get(attribute) is not None}
    on_day = {r["id"] for r in dataset.records if r.get(attribute) == day.isoformat()}
    notes = "; ".join(DOC_VS_RANSACK[n] for n in (upper[0], lower[0]) if n in DOC_VS_RANSACK)
    what = f"{upper[0]}={upper[1]} and {lower[0]}={lower[1]}"
    rule = "gteq/lt and gt/lteq split the non-null rows in two; NULL is in neither"
    if a & b:
        raise ContractViolationError(f"{what} overlap on {short(sorted(a & b))}", notes, [above, below], rule)
    expected = with_date - on_day if upper[0].endswith("_gt") and lower[0].endswith("_lt") else with_date
    if a | b != expected:
        raise ContractViolationError(
            f"{what} do not cover the records with a {attribute} exactly",
            f"not covered: {short(sorted(expected - (a | b)))}; covered but should not be "
            f"(NULL or on the day): {short(sorted((a | b) - expected))}" + (f"\n{notes}" if notes else ""),
            [above, below],
            rule,
        )


def test_date_comparisons_partition(client: Client, dataset: Dataset, forall: Forall) -> None:
    """Check that completion_date_gteq d / _lteq d-1 partition the dated rows, and cert_expiry_gt d /
    _lt d leave out exactly the rows on d (Ransack's strict _gt/_lt, whatever the doc says)."""
    completion = strategies.day_near(strategies.date_anchors(dataset, "completion_date"))
    expiry = strategies.day_near(strategies.date_anchors(dataset, "cert_expiry"))

    @forall(completion, expiry, examples=6)
    def check(day: dt.date, expires: dt.date) -> None:
        note(f"completion day {day}, expiry day {expires}")
        _partition(
            client,
            dataset,
            "completion_date",
            ("completion_date_gteq", day),
            ("completion_date_lteq", day - dt.timedelta(days=1)),
            day,
        )
        _partition(
            client, dataset, "cert_expiry", ("cert_expiry_gt", expires), ("cert_expiry_lt", expires), expires
        )

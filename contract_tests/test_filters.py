"""Each documented filter whose field is rendered: soundness and completeness, exactly.

The expected answer is computed by ``oracle`` from the unfiltered index, with Ransack's
casting (to_i, to_date), strip and blank rules, NULL, per-code-point case folding and
literal wildcards. A filter on a hidden attribute is checked in test_hidden.py.
"""

from __future__ import annotations

import pytest
from hypothesis import note

from . import strategies
from .checks import Dataset, Forall, check_result
from .client import Client, Query
from .oracle import FILTERS, FILTERS_BY_NAME, condition, expect

RENDERED = [f.name for f in FILTERS if f.rendered]
EXAMPLES = {"full_name_cont": 16}


@pytest.mark.parametrize("name", RENDERED)
def test_filter_selects_exactly_the_matching_records(
    name: str, client: Client, dataset: Dataset, forall: Forall
) -> None:
    """Check that a documented filter returns every matching record of the unfiltered index and
    nothing else, in id-descending order."""
    spec = FILTERS_BY_NAME[name]

    @forall(strategies.filter_value(dataset, spec), examples=EXAMPLES.get(name, 10))
    def check(value: str | None) -> None:
        query = Query.of((name, value))
        note(f"query: {query}")
        check_result(
            client.index(query),
            dataset,
            expect(dataset.records, [condition(name, value, dataset.rules)]),
            query,
        )


@pytest.mark.parametrize("name", [f.name for f in FILTERS])
def test_filter_edge_values(name: str, client: Client, dataset: Dataset) -> None:
    """Check every filter on hand-picked traps drawn from the data: Ruby casts, blanks, padding,
    date forms, wildcards, case, accents (exact for rendered fields, bounds for hidden ones)."""
    spec = FILTERS_BY_NAME[name]
    for value in strategies.edge_values(dataset, spec):
        query = Query.of((name, value))
        check_result(
            client.index(query),
            dataset,
            expect(dataset.records, [condition(name, value, dataset.rules)]),
            query,
        )

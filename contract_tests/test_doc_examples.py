"""The API doc's own sample requests, always sent and checked like any other request.

A client developer copies these first, so an endpoint must answer them as Ransack does:
`score` in the doc's sample is not a filter (Ransack ignores a key without a predicate), and
the sample ids are shown or absent exactly as the index says.
"""

from __future__ import annotations

import pytest

from .checks import ContractViolationError, Dataset, check_rails_error, check_result, check_status, json_body
from .client import Client, Query
from .oracle import conditions, expect

# The sample request of train_sessions.md, and the same with the documented score filter.
SAMPLE_QUERIES = (
    Query.of(("score", "80"), ("completion_date_gteq", "2015-01-01")),
    Query.of(("score_eq", "80"), ("completion_date_gteq", "2015-01-01")),
)
SAMPLE_IDS = (3, 2, 1)  # the records of the doc's sample response body


@pytest.mark.parametrize("query", SAMPLE_QUERIES, ids=str)
def test_doc_sample_request(query: Query, client: Client, dataset: Dataset) -> None:
    """Check that the doc's sample requests select exactly what Ransack selects (an unknown key
    such as ``score`` is ignored, ``score_eq=80`` is an exact integer match)."""
    check_result(
        client.index(query), dataset, expect(dataset.records, conditions(query.pairs, dataset.rules)), query
    )


@pytest.mark.parametrize("ident", SAMPLE_IDS)
def test_doc_sample_ids(ident: int, client: Client, dataset: Dataset) -> None:
    """Check that show of each id in the doc's sample answers the indexed record, or Rails' 404."""
    response = client.show(str(ident))
    if ident in dataset.by_id:
        check_status(response, 200, f"the index lists id {ident}")
        if json_body(response) != dataset.by_id[ident]:
            raise ContractViolationError(
                f"GET .../{ident}: show returned a different record than the index lists",
                f"show: {response.body[:300]!r}",
                [response, dataset.response],
                "show returns exactly the record the index lists",
            )
    else:
        check_rails_error(response, 404, f"id {ident} is not in the index", dataset.rules)

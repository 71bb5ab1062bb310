"""The unfiltered index: shape, order, formats, and parameters Ransack ignores."""

from __future__ import annotations

from typing import Any

from hypothesis import note
from hypothesis import strategies as st

from . import strategies
from .checks import (
    ContractViolationError,
    Dataset,
    Forall,
    check_content_type,
    check_list,
    check_result,
    check_same_list,
    check_status,
    schema_errors,
)
from .client import Client, Query
from .oracle import FILTERS, FILTERS_BY_NAME, conditions, expect


def test_index_matches_list_schema(dataset: Dataset) -> None:
    """Check that the unfiltered index validates against schemas/list.schema.json, record by record."""
    problems = schema_errors(dataset.records, "list")
    if problems:
        raise ContractViolationError(
            "the unfiltered index breaks schemas/list.schema.json", "\n".join(problems), [dataset.response]
        )
    check_list(dataset.response)


def test_index_ids_are_unique(dataset: Dataset) -> None:
    """Check that no id appears twice in the unfiltered index."""
    if len(set(dataset.ids)) != len(dataset.ids):
        twice = sorted({i for i in dataset.ids if dataset.ids.count(i) > 1})
        raise ContractViolationError(f"ids listed more than once: {twice[:10]}", "", [dataset.response])


def test_index_is_stable(client: Client, dataset: Dataset) -> None:
    """Check that reading the unfiltered index again gives the same records in the same order."""
    check_same_list(client.index(fresh=True), dataset.response, "the unfiltered index read twice")


def test_json_suffix_and_trailing_slash(client: Client, dataset: Dataset) -> None:
    """Check that /api/train_sessions.json and /api/train_sessions/ answer the index itself, with
    and without filters."""
    names = [f.name for f in FILTERS if f.rendered]
    for suffix in (".json", "/"):
        check_same_list(
            client.index(suffix=suffix),
            dataset.response,
            f"the index with the path suffix {suffix!r} (Rails routes it to the index)",
        )
        for name in names[:: max(1, len(names) // 4)]:
            value = strategies.edge_values(dataset, FILTERS_BY_NAME[name])[0]
            query = Query.of((name, value))
            check_result(
                client.index(query, suffix=suffix),
                dataset,
                expect(dataset.records, conditions(query.pairs, dataset.rules)),
                f"{query} on {suffix!r}",
            )


def test_head_answers_like_get(client: Client, dataset: Dataset) -> None:
    """Check that HEAD of the index is 200 with the JSON content type and no body."""
    response = client.index(method="HEAD")
    check_status(response, 200, "HEAD is routed like GET in Rails")
    check_content_type(response, "application/json", "utf-8")
    if response.body:
        raise ContractViolationError("HEAD returned a body", response.describe(), [response])


def test_unknown_parameters_change_nothing(client: Client, dataset: Dataset, forall: Forall) -> None:
    """Check that parameters Ransack does not know (near-misses included) are ignored, alone or
    next to a documented filter."""
    names = [f.name for f in FILTERS if f.rendered]
    unknown = st.lists(
        st.tuples(
            strategies.unknown_key(),
            st.one_of(
                st.none(),
                st.sampled_from(("1", "2", "10", "true", "asc")),
                st.text(strategies.PRINTABLE, max_size=6),
            ),
        ),
        min_size=1,
        max_size=3,
    )
    known = st.one_of(st.just(()), strategies.conditions(dataset, names, 1))

    paginated = bool(dataset.response.pages)

    @forall(unknown, known, examples=10)
    def check(extra: list[tuple[str, str | None]], pairs: tuple[tuple[str, Any], ...]) -> None:
        if paginated:  # a paginated index reads page=N: it is not an unknown key there
            extra = [(k, v) for k, v in extra if k != "page"]
        query = Query(tuple(pairs) + tuple(extra))
        note(f"query: {query}")
        response = client.index(query)
        expectation = expect(dataset.records, conditions(pairs, dataset.rules))
        if response.status != 200 and not expectation.error:
            check_status(
                response,
                200,
                f"unknown parameters {[k for k, _ in extra]} must be ignored "
                "(Ransack ignores names it does not know)",
            )
        check_result(response, dataset, expectation, query)

"""``GET /api/train_sessions/:id``: the record the index lists, or Rails' 404."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import note
from hypothesis import strategies as st

from .checks import (
    ContractViolationError,
    Dataset,
    Forall,
    check_content_type,
    check_rails_error,
    check_record_shape,
    check_status,
    json_body,
)
from .client import Client, Response

INT4_MAX = 2**31 - 1
NOT_NUMERIC = (
    "abc",
    "null",
    "true",
    "%5B3%5D",
    "%C2%A03",
    "%EF%BC%93",
    ".3",
    "%20",
    "x1",
    "-",
    "+",
    "3.",
    "3.0.0",
)
GAP_PROBES = 25  # probe every absent id between present ones when there are at most this many


def _check_shows(response: Response, record: dict[str, Any], dataset: Dataset, how: str) -> None:
    check_status(response, 200, f"{how}: the index lists id {record['id']}")
    check_content_type(response, "application/json", "utf-8")
    body = json_body(response)
    check_record_shape(body, response)
    if body != record or list(body) != list(record):
        raise ContractViolationError(
            f"{how}: show returned a different record than the index lists for id {record['id']}",
            f"show:  {json.dumps(body, ensure_ascii=False)[:400]}\n"
            f"index: {json.dumps(record, ensure_ascii=False)[:400]}",
            [response, dataset.response],
            "show returns exactly the record the index lists",
        )


def test_show_returns_the_indexed_record(client: Client, dataset: Dataset, forall: Forall) -> None:
    """Check that show answers, for ids the index lists, exactly the record listed."""
    if not dataset.ids:
        return
    edges = sorted({dataset.ids[0], dataset.ids[-1]})
    for ident in edges:
        _check_shows(client.show(str(ident)), dataset.by_id[ident], dataset, f"GET .../{ident}")

    @forall(st.sampled_from(dataset.ids), examples=12)
    def check(ident: int) -> None:
        note(f"id: {ident}")
        _check_shows(client.show(str(ident)), dataset.by_id[ident], dataset, f"GET .../{ident}")


def test_show_id_forms(client: Client, dataset: Dataset, forall: Forall) -> None:
    """Check that the id segment is read like Rails: a .json format, and Ruby to_i on a numeric
    prefix (03, +3, 3abc, a leading space)."""
    if not dataset.ids:
        return
    forms = st.sampled_from(("{}.json", "0{}", "+{}", "{}abc", "%20{}", "{}%20", "00{}", "{}/"))

    @forall(st.sampled_from(dataset.ids), forms, examples=7)
    def check(ident: int, form: str) -> None:
        segment = form.format(ident)
        note(f"segment: {segment}")
        _check_shows(client.show(segment), dataset.by_id[ident], dataset, f"GET .../{segment}")


def _absent_ids(dataset: Dataset) -> list[int]:
    present = set(dataset.ids)
    top = max(present, default=0)
    bottom = min(present, default=1)
    gaps = [i for i in range(bottom, top) if i not in present] if top - bottom < 100_000 else []
    if len(gaps) > GAP_PROBES:
        gaps = gaps[:: len(gaps) // GAP_PROBES + 1]
    edges = [top + 1, top + 2, bottom - 1, 0, -1, -bottom, INT4_MAX + 1, 2**63, 10**20]
    if INT4_MAX not in present:
        edges.append(INT4_MAX)
    return sorted({i for i in gaps + edges if i not in present})


def test_head_show(client: Client, dataset: Dataset) -> None:
    """Check that HEAD of a listed record is 200 with the JSON content type and no body."""
    if not dataset.ids:
        return
    response = client.show(str(dataset.ids[0]), method="HEAD")
    check_status(response, 200, "HEAD is routed like GET in Rails")
    check_content_type(response, "application/json", "utf-8")
    if response.body:
        raise ContractViolationError("HEAD returned a body", response.describe(), [response])


def test_absent_ids_answer_404(client: Client, dataset: Dataset) -> None:
    """Check that ids the index does not list (gaps, neighbours, 0, negative, beyond int4)
    answer 404 with Rails' JSON error body."""
    for ident in _absent_ids(dataset):
        check_rails_error(
            client.show(str(ident)),
            404,
            f"id {ident} is not in the index (ActiveRecord::RecordNotFound)",
            dataset.rules,
        )


def test_non_numeric_ids_answer_404(client: Client, dataset: Dataset) -> None:
    """Check that ids without a numeric prefix, or without a route, answer 404 with Rails' JSON body."""
    for segment in NOT_NUMERIC:
        check_rails_error(
            client.show(segment), 404, f"segment {segment!r} is not a numeric id", dataset.rules
        )

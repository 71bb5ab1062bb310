"""The hidden foreign keys: what ``record`` keeps from the file it overwrites."""

from __future__ import annotations

from typing import Any

from mockserver.associations import keep_foreign_keys


def _public(record_id: int, course_code: str = "FP") -> dict[str, Any]:
    return {"id": record_id, "course_code": course_code, "full_name": "x"}


def test_keys_of_the_previous_file_are_kept_for_the_same_ids() -> None:
    """Check a re-recording keeps hand-written ids of the same sessions, and only those."""
    records = [_public(1), _public(2), _public(3)]
    previous = [
        _public(1) | {"course_id": 5, "assignee_id": 9, "assignee_login_id": 4},
        _public(2) | {"course_id": 5},
    ]
    assert keep_foreign_keys(records, previous) == 4
    assert [(r.get("course_id"), r.get("assignee_id"), r.get("assignee_login_id")) for r in records] == [
        (5, 9, 4),
        (5, None, None),
        (None, None, None),
    ]


def test_nothing_is_kept_when_it_would_be_inconsistent() -> None:
    """Check a session that moved to another course does not take its old course_id along."""
    records = [_public(1, "WHMIS"), _public(2)]
    previous = [_public(1, "WHMIS") | {"course_id": 5}, _public(2, "FP") | {"course_id": 5}]
    assert keep_foreign_keys(records, previous) == 0  # one course_id for two courses
    assert all("course_id" not in r for r in records)


def test_a_previous_file_that_is_not_a_fixture_file_is_ignored() -> None:
    """Check garbage in the old file changes nothing."""
    records = [_public(1)]
    assert keep_foreign_keys(records, {"not": "a list"}) == 0
    assert keep_foreign_keys(records, [1, "x", None]) == 0
    assert records == [_public(1)]


def test_ids_past_int4_take_the_lowest_free_ones() -> None:
    """Check that automatic ids never leave int4: once the sequence would pass 2**31-1, new
    records and new courses take the lowest free ids (Schemathesis found 2147483648 served)."""
    from mockserver.model import INT4_MAX
    from mockserver.templates import complete_all

    filled = complete_all([{}, {}], [INT4_MAX, 1])
    assert [r["id"] for r in filled] == [2, 3]

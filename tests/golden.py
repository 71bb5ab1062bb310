"""What real Ransack 4.1 + Rails 6.1 answered: ``shared/spec/ransack-golden-public.json``.

A copy lives in ``tests/data/`` so the suite runs from any checkout; when the shared spec is
beside the repository (as in CI), a test checks the copy is identical.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SHARED_GOLDEN = Path(__file__).resolve().parents[2] / "shared" / "spec" / "ransack-golden-public.json"
GOLDEN_PATH = Path(__file__).resolve().parent / "data" / "ransack-golden-public.json"


@dataclass(frozen=True)
class IndexCase:
    query: str
    ids: tuple[int, ...] | None
    status: int
    note: str

    @property
    def documented(self) -> bool:
        return not self.note.startswith("undocumented:")


@dataclass(frozen=True)
class ShowCase:
    path_id: str
    status: int
    id: int | None


@cache
def golden() -> dict[str, Any]:
    return json.loads(GOLDEN_PATH.read_text(encoding="utf-8"))


def _status(case: dict[str, Any]) -> int:
    if "error" not in case:
        return 200
    match = re.search(r"HTTP (\d{3})", case.get("note", ""))
    assert match, f"golden case with an error but no HTTP status in its note: {case}"
    return int(match.group(1))


def index_cases() -> list[IndexCase]:
    return [
        IndexCase(
            c["query"],
            tuple(c["ids"]) if "ids" in c and "error" not in c else None,
            _status(c),
            c.get("note", ""),
        )
        for c in golden()["index_cases"]
    ]


def show_cases() -> list[ShowCase]:
    return [ShowCase(c["path_id"], c["status"], c.get("id")) for c in golden()["show_cases"]]


FOREIGN_KEYS = ("course_id", "assignee_id", "assignee_login_id")  # hidden: not in the golden file


def fixture_record(record_id: object = 1, **changes: object) -> dict[str, Any]:
    """A valid fixture record (the first golden one) with ``id`` and ``changes`` set, in the
    golden file's key order (not the model's)."""
    return dict(fixtures()[0], id=record_id) | changes


def fixtures() -> list[dict[str, Any]]:
    """The golden records, with the foreign keys the golden database had (``foreign_keys``)."""
    return foreign_keys([dict(r) for r in golden()["fixtures"]])


def _answer(query: str) -> set[int]:
    return {i for c in golden()["index_cases"] if c["query"] == query for i in c["ids"]}


def foreign_keys(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add course_id, assignee_id and assignee_login_id as the golden database numbered them.

    The golden file holds no ids, but its answers pin the ones its cases use: the course of
    ``course_id_eq=1``, the second course of ``course_id_in``, the username of
    ``assignee_id_eq=101`` and ``assignee_login_id_eq=1``, the assignees without a login of
    ``assignee_id_in[]=90&...91`` and the sessions without an assignee of ``assignee_id_null``.
    Every other course and username gets an id no case names (from 1000 on).
    """
    by_id = {r["id"]: r for r in records}
    courses: dict[tuple[str, str | None], int] = {}
    for course_id, ids in ((1, _answer("course_id_eq=1")), (2, _answer("course_id_in[]=1&course_id_in[]=2"))):
        for i in ids:
            courses.setdefault((by_id[i]["course_code"], by_id[i]["course_name"]), course_id)
    users = {by_id[i]["assignee_login_username"]: 101 for i in _answer("assignee_id_eq=101")}
    logins = {by_id[i]["assignee_login_username"]: 1 for i in _answer("assignee_login_id_eq=1")}
    without_login = _answer("assignee_id_in[]=90&assignee_id_in[]=91")
    for record in records:
        course = (record["course_code"], record["course_name"])
        record["course_id"] = courses.setdefault(course, 1000 + len(courses))
        username = record["assignee_login_username"]
        if username is not None:
            record["assignee_id"] = users.setdefault(username, 1000 + len(users))
            record["assignee_login_id"] = logins.setdefault(username, 1000 + len(logins))
        elif record["id"] in without_login:
            record["assignee_id"] = 90  # a user whose login is missing: no username, no login id
    return records

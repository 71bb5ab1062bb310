"""The hidden foreign keys behind a record's associations: checked across records, then filled.

A real ``train_sessions`` row points at its course (``course_id``) and its assignee
(``assignee_id``, whose user points at a login: ``assignee_login_id``), and Ransack filters and
sorts on those columns. A fixture file may give them or leave them out; what it gives must be
consistent (one course id per course code and name, one user and login id per username, no
login without an assignee), and what it leaves out is numbered in order of first appearance,
as a Rails seed that creates each course and login when first seen would (the real Rails app
the mock is checked against loads fixtures exactly that way, so its ids and the mock's agree).
"""

from __future__ import annotations

import itertools
from collections.abc import Container, Hashable, Iterable
from dataclasses import dataclass, field

from mockserver.errors import FixtureProblem
from mockserver.model import INT4_MAX

Record = dict[str, object]

__all__ = ["FOREIGN_KEYS", "LOGIN_WITHOUT_ASSIGNEE", "keep_foreign_keys", "link_records"]

LOGIN_WITHOUT_ASSIGNEE = "assignee_login_id is set but assignee_id is null (a login belongs to an assignee)"


def login_without_assignee(record: Record) -> bool:
    """The one rule a single record can break (the fixture schema states it too)."""
    return record.get("assignee_login_id") is not None and record.get("assignee_id") is None


def next_id(top: int, used: Container[int]) -> int:
    """The id a sequence hands out after ``top``, or the lowest one not in ``used`` once that
    would leave int4 (every id column's type)."""
    if top < INT4_MAX:
        return top + 1
    return next(i for i in itertools.count(1) if i not in used)


@dataclass
class _Numbering:
    """One foreign key: the id each owner (course, username) has, and the ids in use."""

    column: str
    owner: str  # how the owner is named in messages
    ids: dict[Hashable, int] = field(default_factory=dict)
    owners: dict[int, Hashable] = field(default_factory=dict)
    first: dict[Hashable, int] = field(default_factory=dict)  # owner -> index of its first record
    top: int = 0  # the highest id in use

    def learn(
        self, key: Hashable, given: object, index: int, record: Record, problems: list[FixtureProblem]
    ) -> None:
        """Record an id the file gives, reporting a clash with an earlier record."""
        if type(given) is not int:
            return
        known = self.ids.get(key)
        if known == given:  # the common case: the owner seen again
            return
        if known is not None:
            message = (
                f"{self.owner} {key!r} has {self.column} {known} in record {self.first[key]}, not {given}"
            )
            problems.append(FixtureProblem(index, record.get("id"), self.column, message, clash=True))
            return
        self.ids[key] = given
        self.first[key] = index
        holder = self.take(given, key)
        if holder != key:
            message = f"{self.column} {given} already belongs to {self.owner} {holder!r}"
            problems.append(FixtureProblem(index, record.get("id"), self.column, message, clash=True))

    def take(self, given: int, key: Hashable) -> Hashable:
        """Mark ``given`` as used by ``key`` unless it is used already; returns its owner."""
        if given > self.top:
            self.top = given
        return self.owners.setdefault(given, key)

    def assign(self, key: Hashable) -> int:
        """The owner's id; a new owner gets one more than the highest id in use, as a sequence
        does, or the lowest free id once that would leave int4 (the column's type)."""
        found = self.ids.get(key)
        if found is None:
            found = next_id(self.top, self.owners)
            self.top = max(self.top, found)
            self.ids[key] = found
            self.owners[found] = key
        return found


def link_records(
    records: Iterable[Record], problems: list[FixtureProblem], served: Iterable[Record] = ()
) -> None:
    """Check the given foreign keys across ``records`` and fill the missing ones in place.

    ``served`` are records already served (consistent, keys filled) that ``records`` join: their
    ids are reused for the same course or username and never given to another. Reports every
    inconsistency in ``problems`` (and fills nothing when there is one).
    """
    records = list(records)
    courses = _Numbering("course_id", "course")
    users = _Numbering("assignee_id", "username")
    logins = _Numbering("assignee_login_id", "username")
    for record in served:  # consistent already: nothing to report
        _learn(courses, users, logins, -1, record, [])
    before = len(problems)
    course_ids, user_ids, login_ids = courses.ids, users.ids, logins.ids
    for index, record in enumerate(records):
        # the common case first, in a few dict lookups: every id given and already known
        course, username = (record["course_code"], record["course_name"]), record["assignee_login_username"]
        if course_ids.get(course, 0) == record["course_id"] and (
            (username is None and record["assignee_id"] is None)
            or (
                user_ids.get(username, 0) == record["assignee_id"]
                and login_ids.get(username, 0) == record["assignee_login_id"]
            )
        ):
            continue
        _learn(courses, users, logins, index, record, problems)
    if len(problems) > before:
        return
    for record in records:
        if record["course_id"] is None:
            record["course_id"] = courses.assign((record["course_code"], record["course_name"]))
        username = record["assignee_login_username"]
        if username is not None:
            if record["assignee_id"] is None:
                record["assignee_id"] = users.assign(username)
            if record["assignee_login_id"] is None:
                record["assignee_login_id"] = logins.assign(username)


def _learn(
    courses: _Numbering,
    users: _Numbering,
    logins: _Numbering,
    index: int,
    record: Record,
    problems: list[FixtureProblem],
) -> None:
    """Learn one record's given ids (course, user and login), reporting clashes."""
    course = (record.get("course_code"), record.get("course_name"))
    courses.learn(course, record.get("course_id"), index, record, problems)
    username = record.get("assignee_login_username")
    if username is not None:
        users.learn(username, record.get("assignee_id"), index, record, problems)
        logins.learn(username, record.get("assignee_login_id"), index, record, problems)
    else:
        user = record.get("assignee_id")
        if isinstance(user, int):  # an assignee without a login: the id is taken all the same
            users.take(user, ("no login", user))


FOREIGN_KEYS = ("course_id", "assignee_id", "assignee_login_id")


def keep_foreign_keys(records: list[Record], previous: object) -> int:
    """Copy the foreign keys of ``previous`` records (same id) into ``records`` that lack them.

    ``record`` uses it when it overwrites a fixture file: the live API never renders these
    columns, so ids a team wrote into the file by hand survive a re-recording. Nothing is
    copied when the result would be inconsistent (a session moved to another course, say);
    returns how many records got keys.
    """
    if not isinstance(previous, list):
        return 0
    by_id = {r.get("id"): r for r in previous if isinstance(r, dict)}
    merged = [dict(r) for r in records]
    kept = 0
    for record in merged:
        old = by_id.get(record.get("id"))
        if old is None or old.get("course_code") != record.get("course_code"):
            continue
        for name in FOREIGN_KEYS:
            if record.get(name) is None and old.get(name) is not None:
                record[name] = old[name]
                kept += 1
    problems: list[FixtureProblem] = []
    trial = [dict(r, **{k: r.get(k) for k in FOREIGN_KEYS}) for r in merged]
    for index, record in enumerate(trial):
        if login_without_assignee(record):
            problems.append(
                FixtureProblem(index, record.get("id"), "assignee_login_id", LOGIN_WITHOUT_ASSIGNEE)
            )
    for record in trial:
        record.setdefault("course_name", None)
        record.setdefault("assignee_login_username", None)
    link_records(trial, problems)
    if problems or not kept:
        return 0
    records[:] = merged
    return kept

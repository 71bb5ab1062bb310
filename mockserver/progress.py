"""The course player's test aid (the mock's own, not the vendor's): a session advanced the way
taking the course would advance it, every field kept consistent with the others.

The rules are the fixture generator's (``generate._session``), applied to one record on ``today``:

* ``progress(percent, hours)``: In Progress, ``0 < percent < 100``, ``last_attempt`` today;
* ``fail_quiz(score, hours)``: the final quiz failed: Failed, 100 %, ``score`` below the
  course's pass mark, one more ``failed_attempts``, ``last_attempt`` today, no
  ``completion_date`` (``cert_expiry`` is left alone: a renewal's old certificate still runs);
* ``complete(score, hours)``: Completed, 100 %, ``score`` at or above the pass mark,
  ``completion_date`` and ``last_attempt`` today, ``cert_expiry`` = today + the course's
  certificate validity (years);

each adds ``hours`` (one decimal, as ``decimal(10,1)`` stores it) to ``time_spent``. A Completed
session cannot be progressed or failed (assign a new one). Courses the generator does not know
have pass mark 80 and a 3-year certificate. Pure: today is an argument.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from mockserver.generate import COURSES

__all__ = ["ACTIONS", "ProgressError", "advance", "pass_mark"]

ACTIONS = ("progress", "fail_quiz", "complete")
DEFAULT_PASS_MARK = 80
DEFAULT_VALIDITY_YEARS = 3
MAX_HOURS = Decimal("1000.0")
_COURSES = {course.code: course for course in COURSES}
_DONE = ("Completed", "Expired")


class ProgressError(ValueError):
    """An action the session's state or the given values do not allow; the message says why."""


def pass_mark(course_code: str) -> int:
    course = _COURSES.get(course_code)
    return course.pass_mark if course is not None else DEFAULT_PASS_MARK


def _validity(course_code: str) -> int:
    course = _COURSES.get(course_code)
    return course.validity_years if course is not None else DEFAULT_VALIDITY_YEARS


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February: Ruby's Date#>> gives the 28th
        return day.replace(year=day.year + years, day=28)


def _hours(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ProgressError(f"hours: {value!r} is not a number of hours (e.g. 0.5)")
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    except InvalidOperation:
        raise ProgressError(f"hours: {value!r} is not a number of hours (e.g. 0.5)") from None
    if not Decimal(0) <= hours <= MAX_HOURS:
        raise ProgressError(f"hours: {value!r} is outside 0..{MAX_HOURS}")
    return hours


def _integer(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ProgressError(f"{name}: {value!r} is not an integer in {low}..{high}")
    return value


def advance(
    record: dict[str, Any], action: str, values: dict[str, Any], today: datetime.date
) -> dict[str, Any]:
    """A copy of ``record`` after ``action`` with ``values`` (``percent``/``score``, ``hours``)."""
    if action not in ACTIONS:
        raise ProgressError(f"unknown action {action!r}; one of: {', '.join(ACTIONS)}")
    allowed = {"progress": {"percent", "hours"}}.get(action, {"score", "hours"})
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ProgressError(
            f"{action}: unknown field(s) {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})"
        )
    if record["status"] in _DONE and action != "complete":
        raise ProgressError(
            f"session {record['id']} is {record['status']}: it cannot be progressed or failed "
            "(assign a new one)"
        )
    code = record["course_code"]
    mark = pass_mark(code)
    spent = Decimal(str(record["time_spent"])) + _hours(values.get("hours", "0.1"))
    updated = dict(record, time_spent=str(spent), last_attempt=today.isoformat())
    if action == "progress":
        percent = _integer("percent", values.get("percent"), 1, 99)
        updated.update(status="In Progress", percent_complete=percent)
    elif action == "fail_quiz":
        score = _integer("score", values.get("score"), 0, mark - 1)
        updated.update(
            status="Failed",
            percent_complete=100,
            score=score,
            failed_attempts=record["failed_attempts"] + 1,
            completion_date=None,
        )
    else:
        score = _integer("score", values.get("score"), mark, 100)
        updated.update(
            status="Completed",
            percent_complete=100,
            score=score,
            completion_date=today.isoformat(),
            cert_expiry=_add_years(today, _validity(code)).isoformat(),
        )
    return updated

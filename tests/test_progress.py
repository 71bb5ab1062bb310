"""The player's test aid rules: each action keeps a session's fields consistent."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from mockserver.generate import generate_records
from mockserver.progress import ProgressError, advance, pass_mark

RECORDS = generate_records(4, 120)
TODAY = datetime.date(2026, 2, 28)
OPEN = [r for r in RECORDS if r["status"] in ("Assigned", "In Progress", "Failed")]


@given(st.sampled_from(OPEN), st.integers(1, 99), st.decimals("0", "20", places=1))
def test_progress(record: dict, percent: int, hours) -> None:
    """Check that progress makes the session In Progress at that percent, attempted today, time added."""
    note(record)
    after = advance(record, "progress", {"percent": percent, "hours": str(hours)}, TODAY)
    assert after["status"] == "In Progress" and after["percent_complete"] == percent
    assert after["last_attempt"] == TODAY.isoformat()
    assert float(after["time_spent"]) == pytest.approx(float(record["time_spent"]) + float(hours))
    assert {
        k: v
        for k, v in after.items()
        if k not in ("status", "percent_complete", "last_attempt", "time_spent")
    } == {
        k: v
        for k, v in record.items()
        if k not in ("status", "percent_complete", "last_attempt", "time_spent")
    }


@given(st.sampled_from(OPEN), st.data())
def test_fail_then_complete(record: dict, data: st.DataObject) -> None:
    """Check that a failed quiz counts an attempt below the pass mark; completing issues the certificate."""
    mark = pass_mark(record["course_code"])
    low = data.draw(st.integers(0, mark - 1))
    failed = advance(record, "fail_quiz", {"score": low}, TODAY)
    assert failed["status"] == "Failed" and failed["score"] == low and failed["percent_complete"] == 100
    assert failed["failed_attempts"] == record["failed_attempts"] + 1 and failed["completion_date"] is None
    high = data.draw(st.integers(mark, 100))
    done = advance(failed, "complete", {"score": high}, TODAY)
    assert done["status"] == "Completed" and done["score"] == high
    assert done["completion_date"] == done["last_attempt"] == TODAY.isoformat()
    assert done["failed_attempts"] == failed["failed_attempts"]
    assert done["cert_expiry"] > TODAY.isoformat()
    assert float(done["time_spent"]) == pytest.approx(float(record["time_spent"]) + 0.2)


def test_leap_day_certificate() -> None:
    """Check that a certificate issued on 29 February expires on 28 February (Ruby's Date#>>)."""
    record = dict(OPEN[0], course_code="WHMIS")
    done = advance(record, "complete", {"score": 90}, datetime.date(2024, 2, 29))
    assert done["cert_expiry"] == "2025-02-28"


@pytest.mark.parametrize(
    ("action", "values", "message"),
    [
        ("complete", {"score": 10}, "score: 10"),
        ("fail_quiz", {"score": 95}, "score: 95"),
        ("progress", {"percent": 100}, "percent: 100"),
        ("progress", {"percent": 5, "hours": -1}, "hours"),
        ("progress", {"percent": 5, "minutes": 3}, "unknown field"),
        ("finish", {}, "unknown action"),
    ],
)
def test_refusals_name_the_problem(action: str, values: dict, message: str) -> None:
    """Check that values the course would not allow are refused with a message naming them."""
    with pytest.raises(ProgressError, match=message):
        advance(dict(OPEN[0], course_code="WHMIS"), action, values, TODAY)


def test_completed_cannot_be_failed() -> None:
    """Check that a Completed session is not progressed or failed again."""
    done = next(r for r in RECORDS if r["status"] == "Completed")
    with pytest.raises(ProgressError, match="Completed"):
        advance(done, "fail_quiz", {"score": 1}, TODAY)

"""Tests of the fixture generator: reproducibility, the fixture format, internal consistency.

The format checker below is deliberately written against ``model.FIELDS`` directly (no schema
validator exists yet), so a generator that drifts from the model fails here.
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockserver.generate import (
    COURSES,
    DATE_MAX,
    DATE_MIN,
    GENERATOR_VERSION,
    REFERENCE_DATE,
    dumps_fixture,
    generate_records,
    write_fixture,
)
from mockserver.model import DATE_PATTERN, DECIMAL_PATTERN, FIELDS, PUBLIC_FIELDS, Kind

REPO = Path(__file__).resolve().parent.parent
DEFAULT_FIXTURE = REPO / "fixtures" / "train_sessions.json"
DEFAULT_SEED, DEFAULT_COUNT = 2015, 400
COURSE_BY_CODE = {c.code: c for c in COURSES}
STATUSES = {"Assigned", "In Progress", "Completed", "Failed", "Expired"}
DATE_FIELDS = tuple(f.name for f in FIELDS if f.kind is Kind.DATE)


def format_problems(record: dict[str, object]) -> list[str]:
    """Every way ``record`` breaks the fixture format, per model.FIELDS (empty when valid)."""
    names = {f.name for f in FIELDS}
    problems = [f"unknown key {key!r}" for key in record if key not in names]
    for field in FIELDS:
        if field.name not in record:
            if field.public:
                problems.append(f"{field.name}: missing")
            continue
        value = record[field.name]
        if value is None:
            if not field.nullable:
                problems.append(f"{field.name}: null")
            continue
        if field.kind in (Kind.ID, Kind.INT):
            if type(value) is not int:
                problems.append(f"{field.name}: {value!r} is not an int")
                continue
            if field.minimum is not None and value < field.minimum:
                problems.append(f"{field.name}: {value} < {field.minimum}")
            if field.maximum is not None and value > field.maximum:
                problems.append(f"{field.name}: {value} > {field.maximum}")
        elif not isinstance(value, str):
            problems.append(f"{field.name}: {value!r} is not a string")
        elif field.kind is Kind.DATE:
            if not re.fullmatch(DATE_PATTERN, value):
                problems.append(f"{field.name}: {value!r} is not YYYY-MM-DD")
            else:
                try:
                    date.fromisoformat(value)
                except ValueError:
                    problems.append(f"{field.name}: {value!r} is not a calendar date")
        elif field.kind is Kind.DECIMAL and not re.fullmatch(DECIMAL_PATTERN, value):
            problems.append(f"{field.name}: {value!r} is not a decimal string")
    return problems


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def consistency_problems(r: dict[str, object]) -> list[str]:
    """Every way a record's fields disagree with its status and course (empty when consistent)."""
    out: list[str] = []
    course = COURSE_BY_CODE.get(str(r["course_code"]))
    if course is None:
        return [f"unknown course {r['course_code']!r}"]
    if r["course_name"] != course.name:
        out.append("course_name does not match course_code")
    days = {k: date.fromisoformat(str(r[k])) if r.get(k) else None for k in DATE_FIELDS}
    for key, day in days.items():
        if day is not None and not DATE_MIN <= day <= DATE_MAX:
            out.append(f"{key} {day} outside {DATE_MIN}..{DATE_MAX}")
    if not re.fullmatch(r"[0-9]+\.[0-9]", str(r["time_spent"])):
        out.append("time_spent needs exactly one decimal place")
    status, pct, score = r["status"], r["percent_complete"], r["score"]
    failed = r["failed_attempts"]
    assert isinstance(pct, int) and isinstance(score, int) and isinstance(failed, int)
    done, cert, last = days["completion_date"], days["cert_expiry"], days["last_attempt"]
    spent = float(str(r["time_spent"]))
    if status == "Assigned":
        if (pct, score, failed, spent, done, last) != (0, 0, 0, 0.0, None, None):
            out.append("Assigned must have no progress, score, attempt or completion")
    elif status == "In Progress":
        if not 0 < pct < 100 or done or cert or last is None or spent <= 0 or failed:
            out.append("In Progress must be partly done, attempted, not completed")
    elif status in ("Completed", "Expired"):
        if pct != 100 or score < course.pass_mark or done is None or last != done:
            out.append(f"{status} must be 100 %, passed, completed on its last attempt")
        elif cert != add_years(done, course.validity_years):
            out.append("cert_expiry must be completion_date + the course's validity")
        elif (cert >= REFERENCE_DATE) != (status == "Completed"):
            out.append(f"{status} vs cert_expiry {cert} and reference date {REFERENCE_DATE}")
        elif done > REFERENCE_DATE:
            out.append("completed after the reference date")
    elif status == "Failed":
        if pct != 100 or score >= course.pass_mark or failed < 1 or last is None or done or cert:
            out.append("Failed must be 100 %, under the pass mark, with a failed attempt")
    else:
        out.append(f"unknown status {status!r}")
    if last is not None and last > REFERENCE_DATE:
        out.append("last_attempt after the reference date")
    return out


def assert_valid(records: list[dict[str, object]]) -> None:
    """Format, consistency and dataset-level invariants (ids, people, accounts)."""
    for index, record in enumerate(records):
        assert list(record) == [f.name for f in FIELDS if f.name in record], index
        problems = format_problems(record) + consistency_problems(record)
        assert not problems, (index, record, problems)
    ids = [r["id"] for r in records]
    assert not ids or ids[0] == 1
    assert all(a < b for a, b in pairwise(ids)), "ids must ascend, unique"
    # A username is one person: one name, one account, distinct courses.
    by_user: dict[object, list[dict[str, object]]] = defaultdict(list)
    for r in records:
        if r["assignee_login_username"] is not None:
            by_user[r["assignee_login_username"]].append(r)
    for user, sessions in by_user.items():
        assert re.fullmatch(r"[a-z]+[0-9]*", str(user)), user
        assert len({s["full_name"] for s in sessions}) == 1, user
        assert len({s.get("account") for s in sessions}) == 1, user
        codes = [s["course_code"] for s in sessions]
        assert len(codes) == len(set(codes)), (user, codes)


def test_generator_version_is_a_positive_int() -> None:
    assert isinstance(GENERATOR_VERSION, int) and GENERATOR_VERSION >= 1


def test_same_seed_same_bytes_and_different_seeds_differ() -> None:
    first = dumps_fixture(generate_records(7, 3_000, accounts=("acme", "globex", None)))
    second = dumps_fixture(generate_records(7, 3_000, accounts=("acme", "globex", None)))
    assert first == second
    assert dumps_fixture(generate_records(8, 3_000)) != dumps_fixture(generate_records(7, 3_000))


@pytest.mark.parametrize("count", [0, 1, 2, 3, 4, 5, 9, 97, 2_500])
def test_exact_count_and_every_record_valid(count: int) -> None:
    records = generate_records(11, count)
    assert len(records) == count
    assert_valid(records)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(min_value=-(2**63), max_value=2**63),
    count=st.integers(min_value=0, max_value=300),
    accounts=st.lists(st.one_of(st.none(), st.text(min_size=1, max_size=8)), min_size=1, max_size=4),
)
def test_any_seed_count_and_accounts_give_valid_records(
    seed: int, count: int, accounts: list[str | None]
) -> None:
    records = generate_records(seed, count, accounts=accounts)
    assert len(records) == count
    assert_valid(records)
    for r in records:
        assert r.get("account") in accounts
        assert "account" not in r or r["account"] is not None


def test_accounts_split_people_and_default_omits_the_key() -> None:
    assert all("account" not in r for r in generate_records(3, 500))
    records = generate_records(3, 2_000, accounts=("acme", "globex"))
    assert {r["account"] for r in records} == {"acme", "globex"}
    per_name: dict[object, set[object]] = defaultdict(set)
    for r in records:
        if r["assignee_login_username"] is not None:
            per_name[r["assignee_login_username"]].add(r["account"])
    assert all(len(accounts) == 1 for accounts in per_name.values())


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(ValueError):
        generate_records(1, -1)
    with pytest.raises(ValueError):
        generate_records(1, 5, accounts=())
    with pytest.raises(ValueError):
        generate_records(1, 5, accounts="acme")


def test_people_take_several_distinct_courses_and_data_is_varied() -> None:
    records = generate_records(DEFAULT_SEED, DEFAULT_COUNT)
    names = [str(r["full_name"]) for r in records]
    assert {r["status"] for r in records} == STATUSES
    assert len({r["course_code"] for r in records}) >= 15
    assert len(set(names)) <= DEFAULT_COUNT // 3  # several sessions per person
    assert any(not n.isascii() for n in names)
    assert any("'" in n for n in names)
    assert any(r["assignee_login_username"] is None for r in records)
    assert any(r["complete_by"] is None for r in records)
    assert any(r["complete_by"] is not None for r in records)
    assert any(int(str(b["id"])) - int(str(a["id"])) > 1 for a, b in pairwise(records))


@pytest.mark.parametrize(
    ("change", "checker"),
    [
        ({"scroe": 80}, format_problems),
        ({"score": 2**31}, format_problems),  # int4 is the only enforced range
        ({"score": True}, format_problems),
        ({"time_spent": 12.5}, format_problems),
        ({"complete_by": "2015-02-30"}, format_problems),
        ({"full_name": None}, format_problems),
        ({"status": "Completed", "score": 10}, consistency_problems),
        ({"status": "Assigned", "percent_complete": 100}, consistency_problems),
        ({"time_spent": "12.50"}, consistency_problems),
    ],
)
def test_the_checkers_catch_broken_records(change: dict[str, object], checker: object) -> None:
    """Guards the guards: a checker that accepted everything would make the tests above vacuous."""
    record = next(r for r in generate_records(1, 40) if r["status"] == "Completed") | change
    assert callable(checker) and checker(record)


def test_dumps_fixture_is_canonical() -> None:
    records = generate_records(5, 50, accounts=("acme", None))
    data = dumps_fixture(records)
    assert data.endswith(b"]\n") and data.startswith(b"[\n")
    assert data.count(b"\n") == len(records) + 2  # one record per line
    assert json.loads(data.decode("utf-8")) == records
    shuffled = [dict(reversed(list(r.items()))) for r in records]
    assert dumps_fixture(shuffled) == data
    for line in data.decode("utf-8").splitlines()[1:-1]:
        keys = list(json.loads(line.rstrip(",")))
        assert keys[: len(PUBLIC_FIELDS)] == list(PUBLIC_FIELDS)
    assert "é".encode() in dumps_fixture([{"id": 1, "full_name": "é"}])  # raw UTF-8, not \\u
    assert dumps_fixture([]) == b"[]\n"


def test_dumps_fixture_rejects_unknown_keys() -> None:
    with pytest.raises(ValueError, match="scroe"):
        dumps_fixture([{"id": 1, "scroe": 80}])


def test_write_fixture_is_atomic(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    records = generate_records(9, 120)
    write_fixture(target, records)
    assert target.read_bytes() == dumps_fixture(records)
    write_fixture(str(target), records[:3])
    assert target.read_bytes() == dumps_fixture(records[:3])
    before = target.read_bytes()
    with pytest.raises(ValueError):
        write_fixture(target, [*records, {"id": 999, "bogus": 1}])
    assert target.read_bytes() == before  # the old file survives a failed write
    assert os.listdir(tmp_path) == ["out.json"]  # no temp file left behind


def test_committed_default_fixture_is_reproducible() -> None:
    """fixtures/train_sessions.json must stay ``generate_records(2015, 400)``, byte for byte.

    After a deliberate generator change, regenerate it with ``write_fixture`` and bump
    GENERATOR_VERSION. A Faker upgrade that changes its name lists also breaks this.
    """
    expected = dumps_fixture(generate_records(DEFAULT_SEED, DEFAULT_COUNT))
    assert DEFAULT_FIXTURE.read_bytes() == expected
    assert_valid(json.loads(expected))


def test_write_atomically_keeps_mode_replaces_links_and_leaves_no_temporary(tmp_path: Path) -> None:
    """Check that an output file keeps a regular file's permissions, replaces a symlink (its
    target untouched), and that a failed write leaves the old file and no temporary file."""
    import stat

    from mockserver.generate import write_atomically

    target = tmp_path / "out.json"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    write_atomically(target, [b"new", b"er"])
    assert target.read_bytes() == b"newer" and stat.S_IMODE(target.stat().st_mode) == 0o640
    victim = tmp_path / "victim"
    victim.write_bytes(b"victim")
    link = tmp_path / "link.json"
    link.symlink_to(victim)
    write_atomically(link, [b"data"])
    assert not link.is_symlink() and link.read_bytes() == b"data" and victim.read_bytes() == b"victim"
    assert stat.S_IMODE(link.stat().st_mode) == 0o644

    def broken() -> Iterator[bytes]:
        yield b"half"
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        write_atomically(target, broken())
    assert target.read_bytes() == b"newer"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "out.json", "victim"]

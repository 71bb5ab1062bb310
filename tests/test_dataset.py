"""Fixture loading: every kind of broken file is refused with a precise message, and the hidden
foreign keys are numbered and kept consistent across records (``test_dataset_schema.py``: the
hand-written record checks agree with ``schemas/fixture.schema.json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mockserver.dataset import load_records, validate_records
from mockserver.errors import FixtureError
from mockserver.model import FIELDS, FIELDS_BY_NAME, INT4_MAX, INT4_MIN, PUBLIC_FIELDS
from mockserver.resources import default_fixtures_path
from mockserver.schemas import iter_violations

from .golden import FOREIGN_KEYS
from .golden import fixture_record as _record
from .golden import fixtures as golden_fixtures

NAMES = [f.name for f in FIELDS]
SCORE = FIELDS_BY_NAME["score"]
SCORE_RANGE = f"an integer {SCORE.minimum}..{SCORE.maximum}"


def _write(tmp_path: Path, content: object, name: str = "train_sessions.json") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    return path


def _refused(path: Path) -> FixtureError:
    with pytest.raises(FixtureError) as caught:
        load_records(path)
    error = caught.value
    assert error.path == str(path)
    assert str(error).startswith(f"invalid fixture file {path} (")
    return error


def _messages(error: FixtureError) -> list[str]:
    return [str(problem) for problem in error.problems]


# --- good files ----------------------------------------------------------------------------------


def test_good_file_loads_with_every_key_in_model_order(tmp_path: Path) -> None:
    records = load_records(_write(tmp_path, [_record(1), _record(2, account="acme")]))
    assert [list(r) for r in records] == [NAMES, NAMES]
    assert records[0]["account"] is None and records[1]["account"] == "acme"
    assert records[0]["course_code"] == "FP" and records[1]["id"] == 2


def test_hidden_attributes_may_be_absent(tmp_path: Path) -> None:
    public_only = {name: _record()[name] for name in PUBLIC_FIELDS}
    [record] = load_records(_write(tmp_path, [public_only]))
    assert list(record) == NAMES
    assert record["course_name"] is record["assignee_login_username"] is record["last_attempt"] is None


def test_records_in_model_order_are_returned_as_they_are() -> None:
    """Check that the common (generated) layout is not copied, and the golden one is reordered."""
    in_order = {name: _record().get(name) for name in NAMES}
    assert validate_records([in_order])[0] is in_order
    golden = _record()
    result = validate_records([golden])[0]
    assert result is not golden and list(result) == NAMES


def test_integral_floats_become_ints() -> None:
    """Check that 80.0 is accepted, as JSON Schema's "integer" accepts it, and served as 80."""
    [record] = validate_records([_record(2.0, score=80.0)])
    assert record["id"] == 2 and type(record["id"]) is int
    assert record["score"] == 80 and type(record["score"]) is int


def test_golden_fixtures_load(tmp_path: Path) -> None:
    """Check that the reference data of the real API loads unchanged, as a file."""
    golden = golden_fixtures()
    records = load_records(_write(tmp_path, golden))
    assert len(records) == len(golden) == 250
    assert records == [{name: r.get(name) for name in NAMES} for r in golden]


def test_default_dataset_loads() -> None:
    """Check that the packaged fixture file is valid (every committed fixture file is checked)."""
    records = load_records(default_fixtures_path())
    assert records and all(list(r) == NAMES for r in records)
    assert list(iter_violations(records, "fixture")) == []


def test_an_empty_array_is_an_empty_dataset(tmp_path: Path) -> None:
    """Check that an empty fixture file loads as no records: an empty account is real (the live
    API answers [] for one), as the plugin and the control API already accept."""
    assert load_records(_write(tmp_path, "[]")) == []


def test_utf8_byte_order_mark_is_tolerated(tmp_path: Path) -> None:
    """Check that a BOM (Windows editors add one) is ignored, as RFC 8259 allows."""
    path = _write(tmp_path, b"\xef\xbb\xbf" + json.dumps([_record()]).encode())
    assert len(load_records(path)) == 1


def test_non_ascii_strings_load(tmp_path: Path) -> None:
    path = _write(tmp_path, [_record(full_name="Zoë Ærøskøbing", course_name="TDG – Air")])
    assert load_records(path)[0]["full_name"] == "Zoë Ærøskøbing"


# --- broken files --------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    error = _refused(tmp_path / "nope.json")
    assert _messages(error) == ["cannot read the file: no such file or directory"]
    assert error.problems[0].index is None


def test_directory(tmp_path: Path) -> None:
    error = _refused(tmp_path)
    assert _messages(error) == ["cannot read the file: is a directory"]


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Check that a permission error is reported as such (simulated: CI runs as root)."""
    path = _write(tmp_path, "[]")

    def denied(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    assert _messages(_refused(path)) == ["cannot read the file: permission denied"]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('[\n  {"id": 1,}\n]', "line 2, column 11"),
        ("[\n  {'id': 1}\n]", "line 2, column 4"),
        ('[{"id": 1}] x', "line 1, column 13"),
        ('[{"score": NaN}]', "line 1, column 12"),
        ("", "line 1, column 1"),
    ],
)
def test_invalid_json(tmp_path: Path, text: str, where: str) -> None:
    """Check that a syntax error is reported with its line and column."""
    [message] = _messages(_refused(_write(tmp_path, text)))
    assert message.startswith(f"invalid JSON at {where}: ")


def test_wrong_encoding(tmp_path: Path) -> None:
    """Check that latin-1 bytes are refused with the byte offset and line, not a traceback."""
    content = json.dumps([_record(full_name="Zoë")], ensure_ascii=False).encode("latin-1")
    offset = content.index(b"\xeb")
    [message] = _messages(_refused(_write(tmp_path, content)))
    assert message == (
        f"not valid UTF-8: byte 0xeb at byte offset {offset} (line 1): invalid continuation byte; "
        "save the file as UTF-8"
    )


def test_utf16_file(tmp_path: Path) -> None:
    [message] = _messages(_refused(_write(tmp_path, "[]".encode("utf-16"))))
    assert "byte offset 0" in message and "UTF-16 byte order mark" in message


@pytest.mark.parametrize(
    ("document", "got"),
    [({"fixtures": []}, "an object"), (3, "3"), ("records", '"records"'), (None, "null")],
)
def test_top_level_must_be_an_array(tmp_path: Path, document: object, got: str) -> None:
    [message] = _messages(_refused(_write(tmp_path, json.dumps(document))))
    assert message == f"expected a JSON array of records at the top level, got {got}"


def test_items_must_be_objects(tmp_path: Path) -> None:
    error = _refused(_write(tmp_path, [_record(1), [1], "x", None]))
    assert _messages(error) == [
        "record 1: expected an object (a record), got an array",
        'record 2: expected an object (a record), got "x"',
        "record 3: expected an object (a record), got null",
    ]


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("score", "abc", f'expected {SCORE_RANGE}, got "abc"'),
        ("score", "80", f'expected {SCORE_RANGE}, got "80"'),
        ("score", 80.5, f"expected {SCORE_RANGE}, got 80.5"),
        ("score", None, f"expected {SCORE_RANGE}, got null"),
        ("score", True, f"expected {SCORE_RANGE}, got true (a boolean)"),
        ("failed_attempts", False, "got false (a boolean)"),
        ("score", INT4_MAX + 1, f"expected {SCORE_RANGE}, got {INT4_MAX + 1}"),
        ("score", INT4_MIN - 1, f"got {INT4_MIN - 1}"),
        ("percent_complete", [], "got an array"),
        ("course_code", 7, "expected a string, got 7"),
        ("status", None, "expected a string, got null"),
        ("full_name", {"first": "M"}, "expected a string, got an object"),
        ("course_name", 1, "expected a string or null, got 1"),
        ("account", False, "expected a string or null, got false (a boolean)"),
        ("cert_expiry", "2015-02-30", 'expected a date YYYY-MM-DD or null, got "2015-02-30" (no such date)'),
        ("completion_date", "2015-02-29", 'got "2015-02-29" (no such date)'),
        ("complete_by", "2015-2-3", 'expected a date YYYY-MM-DD or null, got "2015-2-3"'),
        ("last_attempt", "20150203", 'got "20150203"'),
        ("cert_expiry", "2015-02-03T00:00:00", 'got "2015-02-03T00:00:00"'),
        ("cert_expiry", 20150203, "got 20150203"),
        ("cert_expiry", "２０１５-０２-０３", 'got "２０１５-０２-０３"'),
        ("time_spent", "12", 'expected a decimal in a string, like "12.5", got "12"'),
        ("time_spent", 12.5, "got 12.5"),
        ("time_spent", "1e3", 'got "1e3"'),
        ("time_spent", " 1.0", 'got " 1.0"'),
        ("time_spent", "12.5\n", 'got "12.5\\n"'),
        ("time_spent", None, 'expected a decimal in a string, like "12.5", got null'),
    ],
)
def test_bad_values(tmp_path: Path, field: str, value: object, expected: str) -> None:
    """Check that a bad value is named by file, record index, id and field, with what was expected."""
    path = _write(tmp_path, [_record(39), _record(40, **{field: value})])
    error = _refused(path)
    [message] = _messages(error)
    assert message.startswith(f"record 1, id=40, field {field!r}: expected ")
    assert message.endswith(expected)
    assert f"  {path}: record 1, id=40, field {field!r}: " in str(error)


@pytest.mark.parametrize(
    ("record_id", "expected"),
    [
        (0, "expected an integer 1..2147483647, got 0"),
        (-5, "got -5"),
        (INT4_MAX + 1, f"got {INT4_MAX + 1}"),
        (True, "got true (a boolean)"),
        ("40", 'got "40"'),
    ],
)
def test_bad_ids(record_id: object, expected: str) -> None:
    with pytest.raises(FixtureError) as caught:
        validate_records([_record(1), _record(record_id)], "f.json")
    [message] = _messages(caught.value)
    assert message.startswith(f"record 1, id={record_id!r}, field 'id': expected an integer ")
    assert message.endswith(expected)


def test_duplicate_ids_name_both_indexes(tmp_path: Path) -> None:
    error = _refused(_write(tmp_path, [_record(40), _record(41), _record(40), _record(40)]))
    assert _messages(error) == [
        "record 2, id=40, field 'id': duplicate id: record 0 has the same id",
        "record 3, id=40, field 'id': duplicate id: record 0 has the same id",
    ]


def test_unknown_keys_are_errors(tmp_path: Path) -> None:
    """Check that a typo cannot silently become a field, and the likely key is suggested."""
    record = _record(12)
    record["scroe"] = record.pop("score")
    record["colour"] = "red"
    error = _refused(_write(tmp_path, [record]))
    assert _messages(error) == [
        f"record 0, id=12, field 'scroe': unknown key (did you mean 'score'? allowed: {', '.join(NAMES)})",
        f"record 0, id=12, field 'colour': unknown key (allowed: {', '.join(NAMES)})",
        f"record 0, id=12, field 'score': missing required field (expected {SCORE_RANGE})",
    ]


@pytest.mark.parametrize("field", PUBLIC_FIELDS)
def test_missing_required_fields(tmp_path: Path, field: str) -> None:
    """Check that every rendered field is required, nullable ones too (absent is not null)."""
    record = _record(7)
    del record[field]
    error = _refused(_write(tmp_path, [record]))
    [message] = _messages(error)
    where = "record 0" if field == "id" else "record 0, id=7"
    assert message.startswith(f"{where}, field {field!r}: missing required field (expected ")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    records = [_record(i, score="x", time_spent=1) for i in range(1, 31)]
    error = _refused(_write(tmp_path, records))
    assert len(error.problems) == 60
    assert "(60 problems)" in str(error) and "... and 40 more" in str(error)
    assert [p.index for p in error.problems[:4]] == [0, 0, 1, 1]
    assert [p.field for p in error.problems[:2]] == ["score", "time_spent"]


def test_fast_path_does_not_accept_what_the_slow_path_refuses() -> None:
    """Check that learnt types and strings never excuse a bad value in a later record."""
    records = [
        _record(1, cert_expiry="2016-02-29", score=5),
        _record(2, score=INT4_MAX + 1),  # same types as record 0, out of range
        _record(3, completion_date="2016-02-29", cert_expiry="2015-02-29"),  # new string
        _record(4, score=6),
    ]
    in_order = [{name: r.get(name) for name in NAMES} for r in records]
    for data in (records, in_order):
        with pytest.raises(FixtureError) as caught:
            validate_records(data)
        assert [(p.index, p.field) for p in caught.value.problems] == [(1, "score"), (2, "cert_expiry")]


# --- the foreign keys: consistent across records, numbered when absent ---------------------------


def _bare(record_id: int, **changes: object) -> dict[str, Any]:
    """A golden record without its foreign keys."""
    return {k: v for k, v in _record(record_id, **changes).items() if k not in FOREIGN_KEYS}


def test_absent_foreign_keys_are_numbered_in_order_of_first_appearance() -> None:
    """Check the loader numbers courses and logins as a seed creating each when first seen."""
    records = validate_records(
        [
            _bare(1, course_code="B", course_name="Bee", assignee_login_username="zed"),
            _bare(2, course_code="A", course_name="Aye", assignee_login_username=None),
            _bare(3, course_code="B", course_name="Bee", assignee_login_username="amy"),
            _bare(4, course_code="B", course_name=None, assignee_login_username="zed"),
        ]
    )
    assert [(r["course_id"], r["assignee_id"], r["assignee_login_id"]) for r in records] == [
        (1, 1, 1),
        (2, None, None),
        (1, 2, 2),
        (3, 1, 1),
    ]


def test_given_foreign_keys_are_kept_and_absent_ones_avoid_them() -> None:
    """Check given ids are kept, a course or username given one elsewhere reuses it, and a new
    one gets one more than the highest id in use (as a database sequence would)."""
    records = validate_records(
        [
            _bare(1, course_code="B", course_name="Bee", assignee_login_username=None) | {"course_id": 1},
            _bare(2, course_code="B", course_name="Bee", assignee_login_username=None),
            _bare(3, course_code="C", course_name="Cee", assignee_login_username=None),
            _bare(4, assignee_login_username="amy") | {"assignee_id": 7, "assignee_login_id": 1},
            _bare(5, assignee_login_username="amy"),
            _bare(6, assignee_login_username="bob"),
        ]
    )
    assert [r["course_id"] for r in records][:3] == [1, 1, 2]
    assert [(r["assignee_id"], r["assignee_login_id"]) for r in records][3:] == [(7, 1), (7, 1), (8, 2)]


@pytest.mark.parametrize(
    ("second", "field", "words"),
    [
        ({"course_id": 2}, "course_id", "has course_id 1 in record 0, not 2"),
        ({"course_id": 1, "course_name": "Other"}, "course_id", "course_id 1 already belongs to course"),
        ({"assignee_id": 8}, "assignee_id", "has assignee_id 7 in record 0, not 8"),
        (
            {"assignee_id": 7, "assignee_login_id": 3},
            "assignee_login_id",
            "has assignee_login_id 1 in record 0, not 3",
        ),
        (
            {"assignee_id": 7, "assignee_login_id": 1, "assignee_login_username": "bob"},
            "assignee_id",
            "assignee_id 7 already belongs to username 'amy'",
        ),
    ],
)
def test_inconsistent_foreign_keys_are_refused(second: dict[str, object], field: str, words: str) -> None:
    """Check one course_id per course, one assignee_id and login id per username, and back."""
    first = _bare(1, course_code="B", course_name="Bee", assignee_login_username="amy")
    first |= {"course_id": 1, "assignee_id": 7, "assignee_login_id": 1}
    other = _bare(2, course_code="B", course_name="Bee", assignee_login_username="amy") | second
    with pytest.raises(FixtureError) as caught:
        validate_records([first, other])
    assert [(p.index, p.field) for p in caught.value.problems][:1] == [(1, field)]
    assert words in caught.value.problems[0].message


def test_records_joining_served_ones_reuse_and_avoid_their_ids() -> None:
    """Check new records (POST, the plugin's add) take a served course's id and never reuse one."""
    served = validate_records(
        [
            _bare(1, course_code="B", course_name="Bee", assignee_login_username="amy"),
            _bare(2, course_code="C", course_name="Cee", assignee_login_username=None) | {"assignee_id": 2},
        ]
    )
    new = validate_records(
        [
            _bare(3, course_code="C", course_name="Cee", assignee_login_username="amy"),
            _bare(4, course_code="D", course_name="Dee", assignee_login_username="bob"),
        ],
        served=served,
    )
    # served: amy is user 3 (user 2 has no login), login 1
    assert [(r["course_id"], r["assignee_id"], r["assignee_login_id"]) for r in new] == [(2, 3, 1), (3, 4, 2)]
    with pytest.raises(FixtureError):  # a served course's id for another course
        validate_records([_bare(5, course_code="E", course_name="Eee") | {"course_id": 1}], served=served)


def test_an_assignee_without_a_login_keeps_its_id_to_itself() -> None:
    """Check a user id given to a session without a login is never given to a username."""
    records = validate_records(
        [
            _bare(1, course_code="B", course_name="Bee", assignee_login_username=None) | {"assignee_id": 5},
            _bare(2, course_code="B", course_name="Bee", assignee_login_username=None) | {"assignee_id": 5},
            _bare(3, course_code="B", course_name="Bee", assignee_login_username="amy"),
        ]
    )
    assert [(r["assignee_id"], r["assignee_login_id"]) for r in records] == [(5, None), (5, None), (6, 1)]


def test_checking_stops_at_a_bound() -> None:
    """Check that 100,000 broken records yield 1,000 problems, marked incomplete, and that a
    file with few problems is complete."""
    with pytest.raises(FixtureError) as caught:
        validate_records([{}] * 100_000, "big.json")
    assert len(caught.value.problems) == 1000 and not caught.value.complete
    assert "at least 1000 problems; checking stopped there" in str(caught.value)
    with pytest.raises(FixtureError) as few:
        validate_records([{}], "small.json")
    assert few.value.complete and "at least" not in str(few.value)

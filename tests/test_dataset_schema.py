"""The hand-written record checks of ``mockserver.dataset`` and ``schemas/fixture.schema.json``
are one contract: on a corpus, on every field set to every interesting value and on randomly
changed records, both accept and refuse the same records (one known divergence, pinned)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import event, given, note, settings
from hypothesis import strategies as st

from mockserver.dataset import validate_records
from mockserver.errors import FixtureError
from mockserver.model import FIELDS, FIELDS_BY_NAME, INT4_MAX, INT4_MIN, PUBLIC_FIELDS, Field, Kind
from mockserver.schemas import iter_violations

from .golden import FOREIGN_KEYS
from .golden import fixture_record as _record

NAMES = [f.name for f in FIELDS]

PRIMER_ID = 999


def _schema_accepts(record: object) -> bool:
    return not list(iter_violations([record], "fixture"))


def _loader_accepts(record: object) -> bool:
    """The loader's verdict on ``record``, the same whichever path it takes.

    Alone it goes through the slow path; after a good record it may take the fast path; in
    model key order it is checked in place rather than copied.
    """
    # the primer leaves its foreign keys to the loader, so it never clashes with the record's
    primer = {k: v for k, v in _record(PRIMER_ID).items() if k not in FOREIGN_KEYS}
    variants: list[list[object]] = [[record], [primer, record]]
    if isinstance(record, dict):
        in_order = {name: record[name] for name in NAMES if name in record}
        variants.append([primer, in_order | record])
    verdicts = set()
    for data in variants:
        try:
            validate_records(data)
            verdicts.add(True)
        except FixtureError as error:  # a clash with the primer's id is not the record's fault
            verdicts.add(all(p.message.startswith("duplicate id") for p in error.problems))
    assert len(verdicts) == 1, f"the loader's paths disagree on {record!r}"
    return verdicts.pop()


def _without(name: str) -> dict[str, Any]:
    record = _record()
    del record[name]
    return record


VALID, INVALID = True, False
CORPUS: list[tuple[str, object, bool]] = [
    ("golden record", _record(), VALID),
    ("public fields only", {name: _record()[name] for name in PUBLIC_FIELDS}, VALID),
    ("hidden all null", _record(course_name=None, assignee_login_username=None, last_attempt=None), VALID),
    ("missing hidden course_name", _without("course_name"), VALID),
    ("no foreign keys", {k: v for k, v in _record().items() if k not in FOREIGN_KEYS}, VALID),
    ("assignee without a login", _record(assignee_login_username=None, assignee_login_id=None), VALID),
    ("login without an assignee", _record(assignee_id=None), INVALID),
    ("login, assignee absent", {k: v for k, v in _record().items() if k != "assignee_id"}, INVALID),
    ("zero course_id", _record(course_id=0), INVALID),
    ("account set", _record(account="acme"), VALID),
    ("int4 bounds", _record(score=INT4_MIN, percent_complete=INT4_MAX), VALID),
    ("integral float", _record(score=80.0), VALID),
    ("empty strings", _record(course_code="", status="", full_name=""), VALID),
    ("leap day", _record(cert_expiry="2016-02-29"), VALID),
    ("negative decimal", _record(time_spent="-0.5"), VALID),
    ("not an object", [1], INVALID),
    ("null record", None, INVALID),
    ("bool id", _record(True), INVALID),
    ("zero id", _record(0), INVALID),
    ("string score", _record(score="80"), INVALID),
    ("fractional score", _record(score=80.5), INVALID),
    ("score above int4", _record(score=INT4_MAX + 1), INVALID),
    ("null status", _record(status=None), INVALID),
    ("number name", _record(full_name=1), INVALID),
    ("no such date", _record(cert_expiry="2015-02-30"), INVALID),
    ("year zero", _record(cert_expiry="0000-01-01"), INVALID),
    ("compact date", _record(cert_expiry="20150101"), INVALID),
    ("datetime", _record(complete_by="2015-01-01T00:00:00"), INVALID),
    ("unicode digits", _record(last_attempt="٢٠١٥-٠١-٠١"), INVALID),
    ("integer decimal", _record(time_spent="12"), INVALID),
    ("number decimal", _record(time_spent=12.5), INVALID),
    ("null decimal", _record(time_spent=None), INVALID),
    ("unknown key", _record(scroe=80), INVALID),
    ("missing status", _without("status"), INVALID),
    ("missing nullable cert_expiry", _without("cert_expiry"), INVALID),
]


@pytest.mark.parametrize(("label", "record", "valid"), CORPUS, ids=[c[0] for c in CORPUS])
def test_loader_and_schema_agree_on_corpus(label: str, record: object, valid: bool) -> None:
    """Check that the hand checks and fixture.schema.json accept and refuse the same records."""
    assert _loader_accepts(record) is _schema_accepts(record) is valid


INTERESTING: list[object] = [
    *(None, True, False, 0, 1, -1, 100, 101, 0.0, -0.0, 80.0, 80.5, 1e300, float("inf")),
    *(INT4_MIN, INT4_MAX, INT4_MIN - 1, INT4_MAX + 1, float(INT4_MAX), 2**64),
    *("", "x", "80", "12.5", "-0.5", "12", "1e3", ".5", "1.", " 1.0", "0.0"),
    *("2016-02-29", "2015-02-29", "2015-02-30", "2015-1-01", "20150101", "0000-01-01", "9999-12-31"),
    *("2015-01-01T00:00", "٢٠١٥-٠١-٠١", "２０１５-０１-０１"),
    *([], {}, [1], {"a": 1}),
]


def test_loader_and_schema_agree_on_every_field_and_value() -> None:
    """Check agreement for each field (and an unknown key) set to each interesting value."""
    disagreements = []
    for key in [*NAMES, "scroe"]:
        for value in INTERESTING:
            record = _record(2) | {key: value}
            if _loader_accepts(record) != _schema_accepts(record):
                disagreements.append((key, value))
    assert disagreements == []


def test_trailing_newline_decimal_is_the_one_known_divergence() -> None:
    """Check the loader refuses "12.5\\n", which python-jsonschema lets through.

    JSON Schema patterns are ECMA-262, where ``$`` matches only at the end; jsonschema uses
    Python's ``re.search``, whose ``$`` also matches before a final newline. The loader is
    right; the schema file is right for every ECMA-262 validator.
    """
    record = _record(time_spent="12.5\n")
    assert not _loader_accepts(record)
    assert _schema_accepts(record)


_ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=12).filter(lambda v: not v.endswith("\n")),  # the known divergence
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _values(field: Field) -> st.SearchStrategy[object]:
    """Values for one field, good and bad alike, its boundaries and near misses included."""
    good: st.SearchStrategy[object]
    if field.kind in (Kind.ID, Kind.INT):
        low = INT4_MIN if field.minimum is None else field.minimum
        high = INT4_MAX if field.maximum is None else field.maximum
        good = st.integers(low, high) | st.sampled_from([low, high, float(low), float(high)])
        bad = [low - 1, high + 1, True, False, 0.5, "1", None]
    elif field.kind is Kind.STR:
        good = st.text(max_size=8)
        bad = [None, 1, True, [], {}]
    elif field.kind is Kind.DATE:
        good = st.dates().map(lambda d: d.isoformat())
        bad = [
            "2015-02-30",
            "2015-02-29",
            "2015-1-01",
            "0000-01-01",
            "20150101",
            "2015-01-01T00:00",
            20150101,
        ]
    else:
        good = st.from_regex(r"-?[0-9]{1,4}\.[0-9]{1,3}", fullmatch=True)
        bad = ["12", ".5", "1.", "1e3", " 1.0", "-", 12.5, None]
    if field.nullable:
        good = good | st.none()
    return good | st.sampled_from(bad) | _ANY_VALUE


_UNKNOWN_KEYS = ["scroe", "Score", "courseName", ""]


@settings(max_examples=300)
@given(data=st.data())
def test_loader_and_schema_agree_on_mutated_records(data: st.DataObject) -> None:
    """Check that the hand checks and fixture.schema.json agree on randomly changed records."""
    record = _record(2)
    for key in data.draw(st.lists(st.sampled_from([*NAMES, *_UNKNOWN_KEYS]), max_size=2, unique=True)):
        field = FIELDS_BY_NAME.get(key)
        record[key] = data.draw(_values(field) if field else _ANY_VALUE)
    for key in data.draw(st.sets(st.sampled_from(NAMES), max_size=1)):
        record.pop(key, None)
    note(f"record: {record!r}")
    schema = _schema_accepts(record)
    event(f"schema accepts: {schema}")
    assert _loader_accepts(record) == schema

"""Load a fixture file and check it against the fixture format, reporting every problem at once.

The checks are written by hand from ``model.FIELDS`` instead of running the JSON Schema per
record, because a million records must load in seconds; ``tests/test_dataset_schema.py`` proves they
accept and reject exactly what ``schemas/fixture.schema.json`` does, so the two cannot drift apart.
What the schema cannot say, that ids are unique and that the hidden foreign keys agree across
records (``associations``), is checked here only.
"""

from __future__ import annotations

import datetime
import difflib
import json
import logging
import math
import os
import re
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from operator import contains, itemgetter, le
from pathlib import Path
from typing import Any

import orjson

from mockserver.associations import LOGIN_WITHOUT_ASSIGNEE, link_records, login_without_assignee
from mockserver.errors import FixtureError, FixtureProblem
from mockserver.model import DATE_PATTERN, DECIMAL_PATTERN, FIELDS, Field, Kind

__all__ = ["load_records", "validate_records"]

logger = logging.getLogger(__name__)

Record = dict[str, object]
# (value) -> (normalised value, None) when acceptable, else (None, what was expected instead)
_Explain = Callable[[object], tuple[object, str | None]]

_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
_ALLOWED: frozenset[str] = frozenset(_NAMES)
_REQUIRED: frozenset[str] = frozenset(f.name for f in FIELDS if f.public)
MAX_PROBLEMS = 1000  # checking stops here: the CLI prints 20, the control API lists 100
_DATE = re.compile(DATE_PATTERN)
_DECIMAL = re.compile(DECIMAL_PATTERN)
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def load_records(path: str | os.PathLike[str]) -> list[Record]:
    """The records of the fixture file at ``path``, each with all model keys in model order.

    Raises ``FixtureError`` naming the file and every problem found: unreadable file, wrong
    encoding, invalid JSON, or records that break the format. An empty array is a valid,
    empty dataset: an empty account is real, and the live API answers ``[]`` for it.
    """
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise FixtureError(source, [_file_problem(f"cannot read the file: {reason}")]) from exc
    return validate_records(_parse(data, source), source)


def validate_records(data: object, source: str = "<records>", served: Sequence[Record] = ()) -> list[Record]:
    """Check already-parsed fixture data (what ``load_records`` does after parsing).

    ``source`` names the data in the error. Integral floats (``80.0``) are accepted, as JSON
    Schema accepts them, and returned as ints. A record whose keys are already all present in
    model order is returned as is rather than copied. ``served`` are records the new ones will
    join (``POST /__mockserver/records``, the plugin's ``.add()``): their foreign keys are kept
    consistent with them.
    """
    if not isinstance(data, list):
        message = f"expected a JSON array of records at the top level, got {_describe(data)}"
        raise FixtureError(source, [_file_problem(message)])
    checker = _RecordChecker()
    known_good, check = checker.known_good, checker.check
    good_orders = {_NAMES}  # key orders already seen to hold every required key, no unknown one
    problems: list[FixtureProblem] = []
    records: list[Record] = []
    index_of_id: dict[int, int] = {}
    for index, raw in enumerate(data):
        if len(problems) >= MAX_PROBLEMS:  # bounded: a million broken records are not all told
            raise FixtureError(source, problems[:MAX_PROBLEMS], complete=False)
        if not isinstance(raw, dict):
            message = f"expected an object (a record), got {_describe(raw)}"
            problems.append(FixtureProblem(index, None, None, message))
            continue
        order = tuple(raw)
        # what `mockserver generate` writes is already in model order: nothing to copy
        record: Record = raw if order == _NAMES else {name: raw.get(name) for name in _NAMES}
        if order in good_orders:
            found = 0 if known_good(record) else check(record, index, problems)
        else:
            found = _check_keys(raw, index, problems)
            if not found:
                good_orders.add(order)
            found += check(record, index, problems, skip=_REQUIRED - raw.keys())
        record_id = record["id"]
        if login_without_assignee(record):
            problems.append(FixtureProblem(index, record_id, "assignee_login_id", LOGIN_WITHOUT_ASSIGNEE))
            found += 1
        if type(record_id) is int:  # also for otherwise broken records: report every clash
            first = index_of_id.setdefault(record_id, index)
            if first != index:
                message = f"duplicate id: record {first} has the same id"
                problems.append(FixtureProblem(index, record_id, "id", message, clash=True))
                found += 1
        if not found:
            records.append(record)
    if not problems:
        link_records(records, problems, served)  # the foreign keys: consistent, then filled
    if problems:
        raise FixtureError(source, problems[:MAX_PROBLEMS], complete=len(problems) < MAX_PROBLEMS)
    return records


# --- the record checks, derived from model.FIELDS ------------------------------------------------

_INT_KINDS = (Kind.ID, Kind.INT)
_TEXT_KINDS = (Kind.DATE, Kind.DECIMAL)  # strings with a shape; the accepted ones are cached


class _RecordChecker:
    """Checks the records of one file, exactly and fast.

    The slow path checks field by field and explains each refusal. The fast path accepts a
    record in a few C-level operations when its value types, integer ranges and date/decimal
    strings are all known good: value types and strings are learnt only from values the slow
    path accepted, so the fast path never accepts what the slow path would refuse.
    """

    def __init__(self) -> None:
        self._accepted: dict[tuple[Kind, bool], set[object]] = {}
        self._explains = [(f.name, _explainer(f, self._accepted_set(f))) for f in FIELDS]
        self._good_types: set[tuple[type, ...]] = set()
        ints = [f for f in FIELDS if f.kind in _INT_KINDS]
        self._int_values = _getter([f.name for f in ints])
        self._lows = tuple(-math.inf if f.minimum is None else f.minimum for f in ints)
        self._highs = tuple(math.inf if f.maximum is None else f.maximum for f in ints)
        texts = [f for f in FIELDS if f.kind in _TEXT_KINDS]
        self._text_values = _getter([f.name for f in texts])
        self._text_sets = tuple(self._accepted_set(f) for f in texts)

    def _accepted_set(self, field: Field) -> set[object]:
        """The cache of known-good values, shared by the fields of one kind and nullability."""
        key = (field.kind, field.nullable)
        if key not in self._accepted:
            self._accepted[key] = {None} if field.nullable else set()
        return self._accepted[key]

    def check(
        self,
        record: Record,
        index: int,
        problems: list[FixtureProblem],
        skip: AbstractSet[str] = frozenset(),
    ) -> int:
        """Check and normalise ``record`` (all model keys, model order), but not the ``skip``
        keys; returns how many problems it added."""
        found = 0
        for name, explain in self._explains:
            if name in skip:
                continue
            fixed, message = explain(record[name])
            if message is None:
                record[name] = fixed
            else:
                problems.append(FixtureProblem(index, record["id"], name, message))
                found += 1
        if not found and not skip:
            self._good_types.add(tuple(map(type, record.values())))
        return found

    def known_good(self, record: Record) -> bool:
        """True when the fast path can vouch for ``record``; False means "ask ``check``"."""
        if tuple(map(type, record.values())) not in self._good_types:
            return False
        ints = self._int_values(record)
        try:
            in_range = all(map(le, self._lows, ints)) and all(map(le, ints, self._highs))
        except TypeError:  # null in a nullable integer: let the slow path judge it
            return False
        return in_range and all(map(contains, self._text_sets, self._text_values(record)))


def _getter(names: list[str]) -> Callable[[Record], tuple[Any, ...]]:
    """``itemgetter`` that returns a tuple even for a single name."""
    if len(names) == 1:
        name = names[0]
        return lambda record: (record[name],)
    return itemgetter(*names)


def _explainer(field: Field, accepted: set[object]) -> _Explain:
    """The slow, exact check of one field, following JSON Schema's reading of its type."""
    nullable = field.nullable
    expected = _expected(field)

    def refuse(value: object, reason: str = "") -> tuple[object, str | None]:
        return None, f"expected {expected}, got {_describe(value)}{reason}"

    if field.kind in _INT_KINDS:
        low = -math.inf if field.minimum is None else field.minimum
        high = math.inf if field.maximum is None else field.maximum

        def explain_int(value: object) -> tuple[object, str | None]:
            if value is None and nullable:
                return None, None
            if isinstance(value, bool):  # JSON true must not pass as the integer 1
                return refuse(value)
            number = value
            if isinstance(number, float) and number.is_integer():
                number = int(number)  # JSON Schema's "integer" accepts 80.0
            if isinstance(number, int) and low <= number <= high:
                return int(number), None
            return refuse(value)

        return explain_int

    if field.kind is Kind.STR:

        def explain_str(value: object) -> tuple[object, str | None]:
            if isinstance(value, str) or (value is None and nullable):
                return value, None
            return refuse(value)

        return explain_str

    if field.kind in _TEXT_KINDS:
        shape = _DATE if field.kind is Kind.DATE else _DECIMAL
        is_date = field.kind is Kind.DATE

        def explain_text(value: object) -> tuple[object, str | None]:
            if value is None and nullable:
                return None, None
            if not isinstance(value, str):
                return refuse(value)
            if value in accepted:
                return value, None
            if not shape.fullmatch(value):
                return refuse(value)
            if is_date:
                try:
                    datetime.date.fromisoformat(value)
                except ValueError:
                    return refuse(value, " (no such date)")
            accepted.add(value)
            return value, None

        return explain_text

    raise AssertionError(f"no check for {field.kind!r}")  # pragma: no cover - new Kind


def _expected(field: Field) -> str:
    """What a field must hold, in the words the error messages use."""
    if field.kind in (Kind.ID, Kind.INT):
        if field.minimum is not None and field.maximum is not None:
            what = f"an integer {field.minimum}..{field.maximum}"
        elif field.minimum is not None:
            what = f"an integer >= {field.minimum}"
        elif field.maximum is not None:
            what = f"an integer <= {field.maximum}"
        else:
            what = "an integer"
    elif field.kind is Kind.STR:
        what = "a string"
    elif field.kind is Kind.DATE:
        what = "a date YYYY-MM-DD"
    else:
        what = 'a decimal in a string, like "12.5"'
    return what + (" or null" if field.nullable else "")


def _check_keys(raw: dict[object, object], index: int, problems: list[FixtureProblem]) -> int:
    """Report unknown and missing keys; returns how many problems it added."""
    record_id = raw.get("id")
    found = 0
    for key in raw:
        if len(problems) >= MAX_PROBLEMS:  # a record of a million unknown keys: enough said
            break
        if key not in _ALLOWED:
            close = difflib.get_close_matches(str(key), _NAMES, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            message = f"unknown key ({hint}allowed: {', '.join(_NAMES)})"
            problems.append(FixtureProblem(index, record_id, str(key), message))
            found += 1
    for field in FIELDS:
        if field.public and field.name not in raw:
            message = f"missing required field (expected {_expected(field)})"
            problems.append(FixtureProblem(index, record_id, field.name, message))
            found += 1
    return found


# --- reading the file ----------------------------------------------------------------------------


def _parse(data: bytes, source: str) -> object:
    """The JSON document in ``data``, or a FixtureError saying where the bytes or syntax break."""
    body = memoryview(data)[len(_UTF8_BOM) :] if data.startswith(_UTF8_BOM) else data
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as bad:
            raise FixtureError(source, [_file_problem(_encoding_message(data, bad))]) from exc
        message = f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        raise FixtureError(source, [_file_problem(message)]) from exc


def _encoding_message(data: bytes, error: UnicodeDecodeError) -> str:
    offset = error.start
    line = data.count(b"\n", 0, offset) + 1
    hint = " (it starts with a UTF-16 byte order mark)" if data[:2] in _UTF16_BOMS else ""
    return (
        f"not valid UTF-8: byte 0x{data[offset]:02x} at byte offset {offset} (line {line}): "
        f"{error.reason}; save the file as UTF-8{hint}"
    )


def _file_problem(message: str) -> FixtureProblem:
    return FixtureProblem(None, None, None, message)


def _describe(value: object) -> str:
    """A value as it appears in the JSON file (``true``, ``null``, ``"abc"``), kept short."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    if isinstance(value, bool):
        text += " (a boolean)"
    return text

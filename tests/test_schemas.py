"""The committed JSON Schemas: equal to what the model builds, valid 2020-12, and strict enough."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from mockserver.model import FIELDS, HIDDEN_FIELDS, PUBLIC_FIELDS
from mockserver.resources import schemas_dir
from mockserver.schemas import (
    SCHEMA_NAMES,
    Violation,
    build_schemas,
    detect_schema,
    iter_violations,
    load_schema,
    registry,
    render_schema,
    schema_id,
    write_schema_files,
)

from .golden import fixtures as golden_fixtures

REGENERATE = "python -c 'from mockserver.schemas import write_schema_files; write_schema_files(\"schemas\")'"


def _rendered(record: dict[str, Any]) -> dict[str, Any]:
    return {name: record[name] for name in PUBLIC_FIELDS}


def _good_record() -> dict[str, Any]:
    return _rendered(golden_fixtures()[0])


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_committed_file_equals_build(name: str) -> None:
    """Check that schemas/<name>.schema.json cannot drift from model.py."""
    committed = (schemas_dir() / f"{name}.schema.json").read_text(encoding="utf-8")
    assert committed == render_schema(build_schemas()[name]), f"stale: regenerate with {REGENERATE}"


def test_write_schema_files_writes_every_schema(tmp_path: Path) -> None:
    """Check that the writer produces exactly the committed set of files."""
    written = write_schema_files(tmp_path / "out")
    assert [p.name for p in written] == [f"{name}.schema.json" for name in SCHEMA_NAMES]
    for path in written:
        assert path.read_bytes() == (schemas_dir() / path.name).read_bytes()


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    """Check that each schema is itself a valid 2020-12 schema, under its own $id."""
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == schema_id(name) == f"https://learninglogin.example/schemas/{name}.schema.json"
    assert schema["title"] and schema["description"]


def test_properties_come_from_the_model() -> None:
    """Check that record and fixture list the model's fields, in its order, with its words."""
    record, fixture_item = load_schema("record"), load_schema("fixture")["items"]
    assert list(record["properties"]) == record["required"] == list(PUBLIC_FIELDS)
    assert list(fixture_item["properties"]) == [f.name for f in FIELDS]
    assert fixture_item["required"] == list(PUBLIC_FIELDS)
    assert record["additionalProperties"] is False and fixture_item["additionalProperties"] is False
    for field in FIELDS:
        prop = fixture_item["properties"][field.name]
        assert prop["description"] == field.description
        assert ("null" in prop["type"]) is field.nullable
        if field.minimum is not None:
            assert prop["minimum"] == field.minimum and prop["maximum"] == field.maximum
        if field.public:  # the same schema, plus the element name to_xml writes for it
            assert record["properties"][field.name] == prop | {"xml": {"name": field.name.replace("_", "-")}}


def test_xml_form_comes_from_the_model() -> None:
    """Check that the xml keywords name what engine/xml.py writes: root, list wrapper, elements."""
    import xml.etree.ElementTree as ET

    from mockserver.engine import xml
    from mockserver.generate import generate_records

    record, listing = load_schema("record"), load_schema("list")
    assert record["xml"] == {"name": "train-session"}
    assert listing["xml"] == {"name": "train-sessions", "wrapped": True}
    rendered = ET.fromstring(xml.array_document([xml.element(generate_records(3, 1)[0], 1)]))
    assert rendered.tag == listing["xml"]["name"]
    [item] = list(rendered)
    assert item.tag == record["xml"]["name"]
    names = sorted(p["xml"]["name"] for p in record["properties"].values())
    assert sorted(child.tag for child in item) == names


def test_unknown_schema_name() -> None:
    with pytest.raises(ValueError, match="unknown schema 'records'"):
        load_schema("records")


def test_golden_fixtures_are_valid_fixtures() -> None:
    """Check that the reference data of the real API is valid under the fixture schema."""
    assert list(iter_violations(golden_fixtures(), "fixture")) == []


def test_rendered_records_are_valid_records_and_lists() -> None:
    """Check that public-field records validate as records, and as a list through $ref."""
    rendered = [_rendered(r) for r in golden_fixtures()]
    assert [v for r in rendered for v in iter_violations(r, "record")] == []
    assert list(iter_violations(rendered, "list")) == []
    assert list(iter_violations([], "list")) == []


def test_store_rendering_is_a_valid_record() -> None:
    """Check that the bytes the server sends are what record.schema.json describes."""
    import orjson

    from mockserver.server.store import render_record

    for record in golden_fixtures()[:20]:
        full = {f.name: record.get(f.name) for f in FIELDS}
        assert list(iter_violations(orjson.loads(render_record(full)), "record")) == []


def test_registry_resolves_every_schema_offline() -> None:
    """Check that $ref between the files resolves from the registry alone (no retrieval)."""
    resolver = registry().resolver()
    for name in SCHEMA_NAMES:
        assert resolver.lookup(schema_id(name)).contents == load_schema(name)


def test_hidden_fields_are_not_records() -> None:
    """Check that a record carrying a hidden attribute is not a valid API record."""
    violations = list(iter_violations(golden_fixtures()[0], "record"))
    assert [(v.json_pointer, v.rule) for v in violations] == [
        ("", "additionalProperties at record.schema.json#/additionalProperties")
    ]
    assert all(name in violations[0].message for name in HIDDEN_FIELDS if name != "account")


def test_violations_carry_pointers_values_and_rules() -> None:
    """Check that each violation locates the value (JSON pointer) and the rule (file#pointer)."""
    bad = dict(_good_record(), score=True, time_spent="12", **{"a/b~c": 1})
    violations = list(iter_violations([_good_record(), bad], "list"))
    by_pointer = {v.json_pointer: v for v in violations}
    assert set(by_pointer) == {"/1/score", "/1/time_spent", "/1"}
    score = by_pointer["/1/score"]
    assert score == Violation(
        "/1/score", True, "type at record.schema.json#/properties/score/type", score.message
    )
    assert "is not of type 'integer'" in score.message
    assert by_pointer["/1/time_spent"].rule == "pattern at record.schema.json#/properties/time_spent/pattern"
    assert by_pointer["/1"].rule == "additionalProperties at record.schema.json#/additionalProperties"
    assert str(score) == f"/1/score: {score.message} [{score.rule}]"


def test_pointers_reach_into_every_schema() -> None:
    """Check that pointers name the array index and the key, in fixtures and error bodies too."""
    fixture = [golden_fixtures()[0], dict(golden_fixtures()[1], course_name=1)]
    assert [v.json_pointer for v in iter_violations(fixture, "fixture")] == ["/1/course_name"]
    assert [v.json_pointer for v in iter_violations({"status": 404, "error": 1}, "error")] == ["/error"]
    assert [v.json_pointer for v in iter_violations({}, "record")][:1] == [""]


@pytest.mark.parametrize("date", ["2015-02-30", "2015-13-01", "2015-00-10", "2015-1-01", "20150101"])
def test_dates_are_checked_as_real_dates(date: str) -> None:
    """Check that format "date" is asserted, not just annotated: 2015-02-30 is refused."""
    violations = list(iter_violations(dict(_good_record(), cert_expiry=date), "record"))
    assert violations
    assert {v.json_pointer for v in violations} == {"/cert_expiry"}
    assert {v.value for v in violations} == {date}


def test_leap_day_and_null_dates_are_fine() -> None:
    record = dict(_good_record(), cert_expiry="2016-02-29", completion_date=None)
    assert list(iter_violations(record, "record")) == []


@pytest.mark.parametrize(
    ("body", "valid"),
    [
        ({"status": 404, "error": "Not Found"}, True),
        ({"status": 400, "error": "Bad Request", "problems": ["'score_eq': 'abc' is not an integer"]}, True),
        ({"status": 200, "error": "OK"}, False),
        ({"status": "404", "error": "Not Found"}, False),
        ({"status": 404}, False),
        ({"status": 404, "error": "Not Found", "exception": "x"}, False),
        ({"status": 400, "error": "Bad Request", "problems": [1]}, False),
    ],
)
def test_error_schema(body: dict[str, Any], valid: bool) -> None:
    """Check that the error schema takes Rails' body and the strict-mode problems, nothing else."""
    assert (list(iter_violations(body, "error")) == []) is valid


@pytest.mark.parametrize(
    ("instance", "name"),
    [
        ({"status": 404, "error": "Not Found"}, "error"),
        ({"id": 1}, "record"),
        ([], "list"),
        ([{"id": 1}], "list"),
        ([{"id": 1}, {"id": 2, "account": None}], "fixture"),
        ("text", "record"),
    ],
)
def test_detect_schema(instance: object, name: str) -> None:
    assert detect_schema(instance) == name


def test_detect_schema_on_golden_fixtures() -> None:
    assert detect_schema(golden_fixtures()) == "fixture"
    assert detect_schema([_rendered(r) for r in golden_fixtures()]) == "list"

"""The JSON Schemas of the API's bodies and of the fixture file, and validation against them.

The schemas are built from ``model.FIELDS`` (``build_schemas``) and committed as
``schemas/<name>.schema.json`` (``write_schema_files``), so that tools outside this package, the
contract suite among them, can read them; a test keeps the committed files equal to the build.
Validation (``iter_violations``) reads the committed files, resolves ``$ref`` offline through
``registry()`` and checks ``format: date`` for real (2015-02-30 is a violation).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from mockserver.model import (
    DATE_PATTERN,
    DECIMAL_PATTERN,
    FIELDS,
    HIDDEN_FIELDS,
    RESOURCE,
    XML_FIELDS,
    Field,
    Kind,
)
from mockserver.resources import schemas_dir
from mockserver.stacks import DEFAULT_STACK, QUIRKS, STACKS

__all__ = [
    "SCHEMA_NAMES",
    "Violation",
    "build_schemas",
    "detect_schema",
    "iter_violations",
    "load_schema",
    "registry",
    "render_schema",
    "schema_id",
    "write_schema_files",
    "write_stacks_file",
]

Schema = dict[str, Any]

SCHEMA_NAMES: tuple[str, ...] = ("record", "list", "error", "fixture")

_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_BASE_URI = "https://learninglogin.example/schemas/"
_GENERATED = (
    "Generated from mockserver/model.py by mockserver.schemas.write_schema_files; "
    "edit the model, not this file."
)


def schema_id(name: str) -> str:
    """The ``$id`` of schema ``name``; ``$ref`` between the files uses these URIs."""
    return f"{_BASE_URI}{name}.schema.json"


# --- building -----------------------------------------------------------------------------------


def _field_schema(field: Field) -> Schema:
    """One property, typed as the fixture file stores it and the API renders it."""
    schema: Schema = {"description": field.description}
    if field.kind in (Kind.ID, Kind.INT):
        schema["type"] = "integer"
        if field.minimum is not None:
            schema["minimum"] = field.minimum
        if field.maximum is not None:
            schema["maximum"] = field.maximum
    elif field.kind is Kind.STR:
        schema["type"] = "string"
    elif field.kind is Kind.DATE:
        # format alone is only an annotation for most validators; the pattern makes the shape
        # binding everywhere, and a format-asserting validator also rejects 2015-02-30.
        schema.update(type="string", format="date", pattern=DATE_PATTERN)
    elif field.kind is Kind.DECIMAL:
        schema.update(type="string", pattern=DECIMAL_PATTERN)
    else:  # pragma: no cover - a new Kind must be given a schema here
        raise AssertionError(f"no schema for {field.kind!r}")
    if field.nullable:
        schema["type"] = [schema["type"], "null"]
    if field.example is not None:
        schema["examples"] = [field.example]
    return schema


def _object_schema(fields: Iterable[Field]) -> Schema:
    """A closed object over ``fields``: public ones required, unknown keys rejected."""
    fields = tuple(fields)
    return {
        "type": "object",
        "properties": {f.name: _field_schema(f) for f in fields},
        "required": [f.name for f in fields if f.public],
        "additionalProperties": False,
    }


# associations.login_without_assignee, in JSON Schema: an integer login id needs an integer user id.
_LOGIN_NEEDS_ASSIGNEE: Schema = {
    "if": {"properties": {"assignee_login_id": {"type": "integer"}}, "required": ["assignee_login_id"]},
    "then": {"properties": {"assignee_id": {"type": "integer"}}, "required": ["assignee_id"]},
}


def _xml_form(record: Schema) -> Schema:
    """``record`` with the OpenAPI ``xml`` keyword on it and each property: the element names
    Rails' ``to_xml`` writes (the 2015-08 revision's XML answers)."""
    properties = {
        name: schema | {"xml": {"name": name.replace("_", "-")}}
        for name, schema in record["properties"].items()
    }
    return record | {"properties": properties, "xml": {"name": RESOURCE}}


_XML_NOTE = (
    " In XML (`application/xml`, the 2015-08 API revision) a record is Rails' to_xml: the element "
    f"<{RESOURCE}> holding the same fields as dasherized elements (the `xml` keywords), in the order "
    + ", ".join(f.name.replace("_", "-") for f in XML_FIELDS)
    + ', with type="integer", "date" or "decimal" for those columns (none for strings) and '
    'nil="true" for a null (the type kept: <complete-by type="date" nil="true"/>).'
)


def _header(name: str, title: str, description: str) -> Schema:
    return {
        "$schema": _DIALECT,
        "$id": schema_id(name),
        "$comment": _GENERATED,
        "title": title,
        "description": description,
    }


def build_schemas() -> dict[str, Schema]:
    """Every schema, keyed by name (``SCHEMA_NAMES`` order), derived from the model."""
    public = [f for f in FIELDS if f.public]
    record = _header(
        "record",
        "Train session",
        "One train session as the API renders it (GET /api/train_sessions/:id, and each item "
        "of the index). Properties are listed in render order." + _XML_NOTE,
    ) | _xml_form(_object_schema(public))
    listing = _header(
        "list",
        "Train session list",
        "The index (GET /api/train_sessions): the train sessions the token's account may see, "
        f'after the search filters. In XML: <{RESOURCE}s type="array"> around the records; '
        'no record at all is <nil-classes type="array"/> (Array#to_xml names the root after '
        "the first element's class).",
    ) | {
        "type": "array",
        "items": {"$ref": schema_id("record")},
        "xml": {"name": RESOURCE + "s", "wrapped": True},
    }
    error = _header(
        "error",
        "Rails error",
        'The JSON body Rails renders for an error in production, e.g. {"status":404,"error":"Not Found"}; '
        'in XML the same hash: <hash><status type="integer">404</status><error>Not Found</error></hash>.',
    ) | {
        "xml": {"name": "hash"},
        "type": "object",
        "properties": {
            "status": {
                "description": "The HTTP status code.",
                "type": "integer",
                "minimum": 400,
                "maximum": 599,
            },
            "error": {
                "description": "The status code's standard reason phrase.",
                "type": "string",
                "minLength": 1,
            },
            "problems": {
                "description": "Why the request was rejected; only the mock's strict mode "
                "sends this, the live API never does.",
                "type": "array",
                "items": {"type": "string"},
            },
        },
        "required": ["status", "error"],
        "additionalProperties": False,
    }
    fixture_record = (
        {
            "title": "Fixture record",
            "description": "A train session in a fixture file: the rendered fields (required) "
            "and the attributes the API filters on but does not render (optional; absent means "
            "null). Unknown keys are errors, so that a typo cannot silently become a field. "
            "A login belongs to an assignee: assignee_login_id needs assignee_id. The loader also "
            "checks the foreign keys across records (one course_id per course_code and course_name, "
            "one assignee_id and assignee_login_id per username) and numbers the missing ones.",
        }
        | _object_schema(FIELDS)
        | _LOGIN_NEEDS_ASSIGNEE
    )
    fixture = _header(
        "fixture",
        "Train session fixture file",
        "A fixture file (format version 1): a UTF-8 JSON array of train-session records. "
        "Ids must also be unique within the file; JSON Schema cannot say that, the loader "
        "(mockserver.dataset) checks it.",
    ) | {"type": "array", "items": fixture_record}
    return {"record": record, "list": listing, "error": error, "fixture": fixture}


def render_schema(schema: Schema) -> str:
    """The committed text of a schema.

    Keys keep the build order rather than being sorted, so the file lists properties in
    render order; the build is deterministic because it follows ``model.FIELDS``.
    """
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write_schema_files(directory: str | Path) -> list[Path]:
    """Write ``<name>.schema.json`` for every schema into ``directory``; returns the paths."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in build_schemas().items():
        path = target / f"{name}.schema.json"
        path.write_text(render_schema(schema), encoding="utf-8", newline="\n")
        written.append(path)
    return written


STACKS_FILE = "stacks.json"


def build_stacks_data() -> dict[str, Any]:
    """The generation table of ``mockserver.stacks`` as data for the contract suite, which
    imports nothing from this package but must know what each generation answers."""
    return {
        "$comment": "Generated from mockserver/stacks.py by mockserver.schemas.write_stacks_file; "
        "edit stacks.py, not this file.",
        "default": DEFAULT_STACK.name,
        "quirks": {
            str(q): {"layer": str(i.layer), "old": i.old, "modern": i.modern, "changed_in": i.changed_in}
            for q, i in QUIRKS.items()
        },
        "stacks": [
            {"name": s.name, "quirks": sorted(str(q) for q in s.quirks), "note": s.note} for s in STACKS
        ],
    }


def write_stacks_file(directory: str | Path) -> Path:
    """Write ``stacks.json`` (``build_stacks_data``) into ``directory``; returns its path."""
    path = Path(directory) / STACKS_FILE
    path.write_text(render_schema(build_stacks_data()), encoding="utf-8", newline="\n")
    return path


# --- loading and validating ---------------------------------------------------------------------


def load_schema(name: str) -> Schema:
    """The committed schema ``name`` (a fresh dict: callers may modify it)."""
    if name not in SCHEMA_NAMES:
        raise ValueError(f"unknown schema {name!r} (known: {', '.join(SCHEMA_NAMES)})")
    path = schemas_dir() / f"{name}.schema.json"
    schema: Schema = json.loads(path.read_text(encoding="utf-8"))
    return schema


@functools.cache
def registry() -> Registry[Any]:
    """Every committed schema under its ``$id``, so ``$ref`` resolves without the network."""
    return Registry().with_resources(
        (schema_id(name), Resource.from_contents(load_schema(name))) for name in SCHEMA_NAMES
    )


@functools.cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(
        load_schema(name),
        registry=registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


@dataclass(frozen=True)
class Violation:
    """One way an instance breaks a schema, located in both the instance and the schema."""

    json_pointer: str  # RFC 6901 pointer into the instance; "" is the whole document
    value: object  # the offending value at that pointer
    rule: str  # the schema keyword and where it sits, e.g. "minimum at record.schema.json#/..."
    message: str

    def __str__(self) -> str:
        return f"{self.json_pointer or '(document)'}: {self.message} [{self.rule}]"


def _pointer(parts: Iterable[str | int]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _unescape(part: str) -> str:
    return unquote(part).replace("~1", "/").replace("~0", "~")


def _locate(name: str, schema_path: Iterable[str | int]) -> str:
    """``file#pointer`` of the schema keyword at ``schema_path``.

    jsonschema leaves ``$ref`` out of schema paths, so a path through a ``$ref`` would point
    into the wrong file; this walks the path and follows each ``$ref`` it passes.
    """
    uri = schema_id(name)
    node: Any = _validator(name).schema
    pointer: list[str | int] = []
    for part in schema_path:
        while isinstance(node, dict) and part not in node and "$ref" in node:
            ref = node["$ref"]
            node = registry().resolver(uri).lookup(ref).contents
            uri, _, fragment = urljoin(uri, ref).partition("#")
            pointer = [_unescape(p) for p in fragment.split("/")[1:]]
        node = node[part]
        pointer.append(part)
    return f"{uri.rpartition('/')[2]}#{_pointer(pointer)}"


def iter_violations(instance: object, name: str) -> Iterator[Violation]:
    """Every violation of schema ``name`` by ``instance`` (none when it is valid).

    Yields them all, like jsonschema's ``iter_errors``: callers decide whether to show every
    one or only the first.
    """
    for error in _validator(name).iter_errors(instance):
        yield Violation(
            json_pointer=_pointer(error.absolute_path),
            value=error.instance,
            rule=f"{error.validator} at {_locate(name, error.absolute_schema_path)}",
            message=error.message,
        )


def detect_schema(instance: object) -> str:
    """The schema a JSON document most likely claims to follow.

    An array whose items carry a hidden attribute is a fixture file, any other array an index
    body; an object with ``error`` is an error body. Anything else is checked as a record,
    so that a stray scalar gets a "not an object" violation rather than no answer.
    """
    if isinstance(instance, list):
        hidden = set(HIDDEN_FIELDS)
        if any(isinstance(item, dict) and not hidden.isdisjoint(item) for item in instance):
            return "fixture"
        return "list"
    if isinstance(instance, dict) and "error" in instance:
        return "error"
    return "record"

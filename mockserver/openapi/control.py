"""The control API's OpenAPI document (``GET /__mockserver/openapi.json``, ``mockserver openapi
--control``): mock only, kept apart from the API's so that a fuzzer pointed at the API cannot
inject faults or replace the data under its own feet."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from mockserver import __version__
from mockserver.model import INT4_MAX
from mockserver.openapi.common import CONTROL_TAG, Document, document_path, json_content, ok, ref, servers
from mockserver.schemas import load_schema

__all__ = ["FAULT_MAX_DELAY_MS", "build_control_openapi"]

FAULT_MAX_DELAY_MS = 3_600_000  # an hour: longer is no test; unbounded broke JSON (a 100-bit int)
_CONTROL_SECURITY: list[dict[str, list[str]]] = [{}, {"adminToken": []}]
_EMBEDDED_CONTROL = {"Fixture": "fixture", "TrainSession": "record"}  # what the control API's bodies use


def _control_error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": json_content({"$ref": "#/components/schemas/ControlError"}),
    }


_CONTROL_ERRORS = {
    "403": _control_error(
        "Refused: the server listens on a non-loopback interface without "
        "--admin-token, or the X-Mockserver-Admin-Token header is missing "
        "or wrong; or (rule host, origin, content-type) the Host is no loopback name, "
        "the Origin no loopback origin (or Sec-Fetch-Site: cross-site without one), or a "
        "change was sent without Content-Type: application/json."
    ),
}
_MUTATION_ERRORS = {
    **_CONTROL_ERRORS,
    "409": _control_error(
        "The server runs several worker processes (--workers > 1): a change would reach only one of them."
    ),
}
_BODY_ERRORS = {
    **_MUTATION_ERRORS,
    "400": _control_error("The body is not JSON."),
    "408": _control_error("The body did not arrive within --header-timeout seconds."),
    "413": _control_error("The body is larger than 16 MiB."),
}


def _control(
    summary: str,
    description: str,
    responses: dict[str, Any],
    body: dict[str, Any] | None = None,
    parameters: list[Any] | None = None,
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "tags": [CONTROL_TAG],
        "summary": summary,
        "description": description,
        "security": _CONTROL_SECURITY,
        "responses": responses,
    }
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = {"required": True, "content": json_content(body)}
    return operation


def _test_aid_paths() -> dict[str, Any]:
    """The course player's test aid (docs/mock/unassign-and-player.md): its actions and script."""
    action = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "percent": {"type": "integer", "minimum": 1, "maximum": 99, "description": "progress only"},
            "score": {"type": "integer", "minimum": 0, "maximum": 100, "description": "fail_quiz, complete"},
            "hours": {"type": "number", "minimum": 0, "maximum": 1000, "description": "added to time_spent"},
        },
    }
    parameters = [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}},
        {
            "name": "action",
            "in": "path",
            "required": True,
            "schema": {"enum": ["progress", "fail_quiz", "complete"]},
        },
    ]
    return {
        "/__mockserver/sessions/{id}/{action}": {
            "post": _control(
                "Advance a session (the course player's test aid)",
                "progress (percent), fail_quiz (score below the course's pass mark) or complete "
                "(score at or above it), each adding hours to time_spent; answers the updated record.",
                {
                    "200": ok("The updated record, in the fixture format.", {"type": "object"}),
                    "404": _control_error("No session with that id, or no such action."),
                    "422": _control_error("A value the course does not allow, or a Completed session."),
                    **_BODY_ERRORS,
                },
                body=action,
                parameters=parameters,
            )
        },
        "/__mockserver/player.js": {
            "get": _control(
                "The player page's script",
                "Sends the test aid's forms to the endpoint above as JSON.",
                {
                    "200": {
                        "description": "JavaScript.",
                        "content": {"text/javascript": {"schema": {"type": "string"}}},
                    },
                    **_CONTROL_ERRORS,
                },
            )
        },
    }


_LOCAL = "#/components/schemas/"


def _state_paths() -> dict[str, Any]:
    """Health, reset and the served records."""
    count = {"type": "object", "properties": {"records": {"type": "integer"}}, "required": ["records"]}
    invalid = _control_error(
        "Invalid records: `problems` lists the first 100 with the record's index, id, field "
        "and what was expected, `problem_count` how many were found (checking stops at "
        "1,000). Nothing was changed."
    )
    conflict = _control_error(
        "Ids that clash (repeated in the body, or already served for POST): `problems` names "
        "each. Nothing was changed."
    )
    return {
        "/__mockserver/health": {
            "get": _control(
                "Health",
                "Record count, uptime, API request count, journal fill, answer cache counters.",
                {"200": ok("The server is up.", {"$ref": _LOCAL + "Health"}), **_CONTROL_ERRORS},
            )
        },
        "/__mockserver/reset": {
            "post": _control(
                "Reset",
                "Back to the fixtures loaded at start-up; empties the journal and removes every fault.",
                {"200": ok("Reset.", count), **_MUTATION_ERRORS},
            )
        },
        "/__mockserver/records": {
            "get": _control(
                "The served records",
                "Every record, hidden attributes included, in the fixture format.",
                {"200": ok("The records.", ref("fixture")), **_CONTROL_ERRORS},
            ),
            "put": _control(
                "Replace every record",
                "Validated like a fixture file.",
                {"200": ok("Replaced.", count), "409": conflict, "422": invalid, **_BODY_ERRORS},
                body=ref("fixture"),
            ),
            "post": _control(
                "Add records",
                "One record or an array of them, validated like a fixture file; fields left "
                "out are filled as the plugin's add() fills them; ids already served are a 409.",
                {
                    "201": ok(
                        "Added.",
                        {
                            "type": "object",
                            "properties": {"added": {"type": "integer"}, "records": {"type": "integer"}},
                        },
                    ),
                    "409": conflict,
                    "422": invalid,
                    **_BODY_ERRORS,
                },
                body={
                    "oneOf": [
                        {"$ref": _LOCAL + "PartialRecord"},
                        {"type": "array", "items": {"$ref": _LOCAL + "PartialRecord"}},
                    ]
                },
            ),
        },
    }


def _journal_and_fault_paths() -> dict[str, Any]:
    """The request journal and the injected faults."""
    return {
        "/__mockserver/requests": {
            "get": _control(
                "The request journal",
                "The API requests received since the last reset, "
                "oldest first, in a bounded ring buffer. Control and /openapi.json requests "
                "are not recorded; headers and query keys whose name mentions auth, token, key, "
                "secret, password, cookie or session are redacted before anything is stored.",
                {
                    "200": ok("The journal.", {"$ref": _LOCAL + "Journal"}),
                    "400": _control_error("Bad limit."),
                    **_CONTROL_ERRORS,
                },
                parameters=[
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "description": "Only the newest LIMIT entries.",
                        "schema": {"type": "integer", "minimum": 0},
                    }
                ],
            ),
            "delete": _control(
                "Empty the journal",
                "",
                {"200": ok("Emptied; the empty journal.", {"$ref": _LOCAL + "Journal"}), **_CONTROL_ERRORS},
            ),
        },
        "/__mockserver/faults": {
            "get": _control(
                "Active faults",
                "",
                {"200": ok("The faults.", {"$ref": _LOCAL + "Faults"}), **_CONTROL_ERRORS},
            ),
            "post": _control(
                "Inject a fault",
                "Answer `status` (the live API's own body for it) and/or wait "
                "`delay_ms` before answering, for the next `times` API requests whose path "
                "matches the glob `path` (null: every path; times null: until removed). For each "
                "request the first matching rule with a status or kind and the first with a delay "
                "apply. `retry_after` (seconds) is sent as Retry-After on an injected 429 or 503. "
                "`kind` instead misbehaves on the connection: `reset` (TCP reset, no answer), "
                "`empty` (closed, no bytes), `malformed` (a 200 whose body is not JSON), "
                "`truncated` (the real answer cut before its Content-Length).",
                {
                    "201": ok("Added.", {"$ref": _LOCAL + "Faults"}),
                    "422": _control_error("Invalid fault."),
                    **_BODY_ERRORS,
                },
                body={"$ref": _LOCAL + "Fault"},
            ),
            "delete": _control(
                "Remove every fault",
                "",
                {"200": ok("Removed; the empty list.", {"$ref": _LOCAL + "Faults"}), **_CONTROL_ERRORS},
            ),
        },
    }


def _fault_schemas() -> dict[str, Any]:
    """A fault rule as ``POST /__mockserver/faults`` accepts it, and the list of active ones."""
    return {
        "Fault": {
            "type": "object",
            # what FaultRule accepts: a status, a kind or a positive delay (a delay goes with
            # either); not both a status and a kind; retry_after only with a 429 or 503
            "anyOf": [
                {"required": ["status"], "properties": {"status": {"type": "integer"}}},
                {"required": ["kind"], "properties": {"kind": {"type": "string"}}},
                {"required": ["delay_ms"], "properties": {"delay_ms": {"minimum": 1}}},
            ],
            "allOf": [
                {
                    "if": {"required": ["kind"], "properties": {"kind": {"type": "string"}}},
                    "then": {"properties": {"status": {"type": "null"}}},
                },
                {
                    "if": {"required": ["retry_after"], "properties": {"retry_after": {"type": "integer"}}},
                    "then": {"required": ["status"], "properties": {"status": {"enum": [429, 503]}}},
                },
            ],
            "properties": {
                "status": {"enum": [*(s.value for s in HTTPStatus if 400 <= s.value <= 599), None]},
                "delay_ms": {"type": "integer", "minimum": 0, "maximum": FAULT_MAX_DELAY_MS, "default": 0},
                "times": {"type": ["integer", "null"], "minimum": 1, "maximum": INT4_MAX, "default": 1},
                "path": {"type": ["string", "null"], "examples": ["/api/train_sessions/*"]},
                "retry_after": {
                    "type": ["integer", "null"],
                    "minimum": 0,
                    "maximum": INT4_MAX,
                    "default": None,
                },
                "kind": {"enum": ["reset", "empty", "malformed", "truncated", None], "default": None},
            },
            "additionalProperties": False,
        },
        "Faults": {
            "type": "object",
            "properties": {"faults": {"type": "array", "items": {"$ref": "#/components/schemas/Fault"}}},
        },
    }


def _control_schemas() -> dict[str, Any]:
    nullable_int = {"type": ["integer", "null"]}
    return {
        "ControlError": {
            "type": "object",
            "properties": {
                "status": {"type": "integer"},
                "error": {"type": "string"},
                "rule": {"enum": ["host", "origin", "content-type"]},
                "message": {"type": "string"},
                "problems": {"type": "array", "items": {}, "maxItems": 100},
                "problem_count": {"type": "integer", "minimum": 0},
            },
            "required": ["status", "error", "message"],
        },
        "Health": {
            "type": "object",
            "properties": {
                "status": {"const": "ok"},
                "version": {"type": "string"},
                "records": {"type": "integer"},
                "accounts": {"type": "integer"},
                "uptime_seconds": {"type": "number"},
                "requests": {"type": "integer"},
                "journal": {"type": "object"},
                "faults": {"type": "integer"},
                "cache": {
                    "type": "object",
                    "description": "The answer cache (--memo-mb): its bound and bytes held, "
                    "searches compiled and run, answers served by request and by search, and "
                    "request parts (path, query, token, format) served read before.",
                    "properties": {
                        name: {"type": "integer"}
                        for name in (
                            "max_bytes",
                            "bytes",
                            "entries",
                            "searches",
                            "served_by_request",
                            "served_by_search",
                            "served_pure",
                        )
                    },
                },
                "errors": {"type": "integer"},
                "workers": {"type": "integer"},
            },
            "required": ["status", "records", "uptime_seconds", "requests"],
        },
        **_fault_schemas(),
        "Journal": {
            "type": "object",
            "properties": {
                "requests": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "time": {"type": "number"},
                            "method": {"type": "string"},
                            "path": {"type": "string"},
                            "query": {"type": "string"},
                            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
                            "status": {"type": "integer"},
                            "fault": {"type": "boolean"},
                            "truncated": {"type": "boolean"},
                        },
                        "required": ["time", "method", "path", "query", "headers", "status"],
                    },
                },
                "dropped": {"type": "integer"},
                "capacity": nullable_int,
            },
            "required": ["requests"],
        },
    }


# --- the documents ------------------------------------------------------------------------------


def _partial_record() -> dict[str, Any]:
    """A fixture record with every field optional: what POST /__mockserver/records accepts
    (the rest is filled like the plugin's ``.add()``); derived from the committed schema."""
    item = dict(load_schema("fixture")["items"])
    item.pop("required", None)
    return {**item, "title": "Partial fixture record"}


def build_control_openapi(server_url: str | None = None) -> Document:
    """The control API's document (served at ``/__mockserver/openapi.json``): mock only, and
    for deliberate use, since its writes replace the data and inject faults."""
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "mockserver control API",
            "version": __version__,
            "description": (
                "Shape the mock's data, read its request journal, inject faults. Open on "
                "loopback (to loopback Hosts and Origins only; every change needs "
                "Content-Type: application/json); on another interface only with --admin-token. "
                "The emulated API is described at /openapi.json."
            ),
        },
        "servers": servers(server_url),
        "tags": [{"name": CONTROL_TAG, "description": "Mock only: the control API."}],
        "paths": {
            **_state_paths(),
            **_journal_and_fault_paths(),
            **_test_aid_paths(),
            "/__mockserver/openapi.json": document_path(
                "controlOpenapi", "This document", CONTROL_TAG, _CONTROL_SECURITY
            ),
        },
        "components": {
            "schemas": {
                **{title: load_schema(name) for title, name in _EMBEDDED_CONTROL.items()},
                **_control_schemas(),
                "PartialRecord": _partial_record(),
            },
            "securitySchemes": {
                "adminToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Mockserver-Admin-Token",
                    "description": "The control API's token, required when the "
                    "server was started with --admin-token.",
                },
            },
        },
    }

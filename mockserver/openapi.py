"""The OpenAPI 3.1 documents of the emulated API and of the control API, built from ``model.py``.

The API's is served at ``GET /openapi.json`` and written by ``mockserver openapi [--out PATH]``,
so that Prism, Schemathesis, Postman and code generators can use the mock's contract; the
control API's, kept apart so that a fuzzer pointed at the first cannot inject faults, at
``GET /__mockserver/openapi.json`` and by ``mockserver openapi --control``.

* Every filter parameter comes from ``model.FILTERS`` (name, type, the vendor doc's wording and
  what Ransack really does), so the document cannot drift from the engine's filter table.
* Parameter schemas state what the live API *accepts without a 500*, not what the vendor doc
  calls the type: integer filters are strings (Ruby ``to_i`` reads ``abc`` as 0) with no array
  form (``score_eq[]=1`` is a NoMethodError, 500), and string filters exclude NUL (PostgreSQL's
  quoting raises, 500). Every input the document allows gets a documented answer.
* Bodies reference the JSON Schemas in ``schemas/`` by their ``$id``. So that the references
  resolve offline (the ``$id`` host is not a real server), the committed files are also embedded
  verbatim, ``$id`` included, under ``components/schemas``: JSON Schema 2020-12's compound
  document form, which resolves a ``$ref`` to an embedded ``$id`` without any network access.
  They are read from ``schemas/`` at build time, so the document holds no hand-made copy.
"""

from __future__ import annotations

import argparse
import json
from http import HTTPStatus
from pathlib import Path
from typing import Any, TextIO

from mockserver import __version__
from mockserver.errors import UsageError
from mockserver.generate import write_atomically
from mockserver.model import FILTERS, INT4_MAX, Filter, Kind
from mockserver.schemas import load_schema, schema_id
from mockserver.settings import DEFAULT_HOST, DEFAULT_PORT, DEV_TOKEN

FAULT_MAX_DELAY_MS = 3_600_000  # an hour: longer is no test; unbounded broke JSON (a 100-bit int)
__all__ = [
    "API_TAG",
    "CONTROL_TAG",
    "FAULT_MAX_DELAY_MS",
    "build_control_openapi",
    "build_openapi",
    "register",
]

Document = dict[str, Any]

API_TAG = "train_sessions"
CONTROL_TAG = "mockserver control"
META_TAG = "mockserver"
_EMBEDDED = {
    "TrainSession": "record",
    "TrainSessionList": "list",
    "RailsError": "error",
    "Fixture": "fixture",
}
_NO_NUL = "^[^\\u0000]*$"
_API_SECURITY: list[dict[str, list[str]]] = [{"tokenAuth": []}, {"bearerAuth": []}]
_CONTROL_SECURITY: list[dict[str, list[str]]] = [{}, {"adminToken": []}]

_BLANK = (
    "Leading and trailing ASCII whitespace and NUL are stripped (Ruby strip); a blank "
    "value (empty, whitespace only, NBSP only) drops the condition: an empty value never "
    "means 'match empty'."
)
_KIND_NOTES = {
    Kind.INT: "Sent as text and cast with Ruby String#to_i: optional sign and leading ASCII "
    "digits ('80.9' is 80, 'abc' is 0, '8e1' is 8); out-of-int4 values match nothing. "
    "Only a single value is accepted: the array or hash form (score_eq[]=80) makes the "
    "live API answer 500 (NoMethodError), so this document allows a plain string.",
    Kind.DATE: "Cast with Ruby String#to_date (Date.parse): send YYYY-MM-DD; lenient forms "
    "(20150101, 2015/01/01, 'Jan 5 2015', 01/02/2015 = 1 Feb) are read too, and an "
    "invalid or unparseable date drops the condition (all rows come back). NULL "
    "dates never match.",
    Kind.STR: "Matched literally after stripping. A NUL byte inside the value makes the live "
    "API answer 500 (PostgreSQL: string contains null byte), so this document "
    "excludes NUL.",
}
_SEMANTICS = {
    "cont": "ILIKE '%value%': case-insensitive substring, PostgreSQL lower() per code point, "
    "no accent folding; %, _, \\ and . are literal.",
    "eq": "Equality (=).",
    "gt": "Strictly greater (>).",
    "lt": "Strictly less (<).",
    "gteq": "Greater or equal (>=).",
    "lteq": "Less or equal (<=).",
}


def _ref(name: str, pointer: str = "") -> dict[str, str]:
    """A reference to committed schema ``name`` by its ``$id`` (never a copy)."""
    return {"$ref": schema_id(name) + (f"#{pointer}" if pointer else "")}


def _json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


# --- the API ------------------------------------------------------------------------------------


def _filter_parameter(flt: Filter) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if flt.kind is Kind.STR:
        schema["pattern"] = _NO_NUL
    example = {Kind.INT: "80", Kind.DATE: "2015-01-01"}.get(flt.kind, "WHMIS")
    if flt.name == "assignee_login_username_eq":
        example = "mdragsta"
    elif flt.name == "full_name_cont":
        example = "dragsta"
    description = " ".join(
        [
            flt.doc,
            f"Ransack: {flt.ransack}",
            f"Predicate `{flt.predicate.value}` on {' OR '.join(flt.attributes)}: "
            f"{_SEMANTICS[flt.predicate.value]}",
            _KIND_NOTES[flt.kind],
            _BLANK,
        ]
    )
    return {
        "name": flt.name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        "example": example,
        "x-ransack-predicate": flt.predicate.value,
        "x-ransack-attributes": list(flt.attributes),
    }


_OTHER_FORMATS = {  # Rails renders an error in the request's format (README: Errors and HTTP headers)
    "application/xml": {"schema": {"type": "string"}},
    "application/x-yaml": {"schema": {"type": "string"}},
    "text/html": {"schema": {"type": "string", "description": "the app's public/<status>.html, or empty"}},
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description + " JSON for a JSON request; XML, YAML or an HTML page otherwise.",
        "content": {**_json_content(_ref("error")), **_OTHER_FORMATS},
        "headers": {"X-Mockserver-Error": {"$ref": "#/components/headers/MockserverError"}},
    }


_INDEX_DESCRIPTION = (
    "The train sessions the token's account may see, newest id first (ORDER BY id DESC), "
    "filtered by the search parameters below, all ANDed. Unknown parameters are silently "
    "ignored, as Ransack does (the mock names them in X-Mockserver-Ignored; `mockserver serve "
    "--strict` answers 400 instead). Undocumented but live, and emulated: any Ransack "
    "predicate on any attribute (score_gt, status_eq, id_in[] ...), sorting with `s`, "
    "`m=or`; they are not listed here because the vendor does not document them."
)


def _index_operation(operation_id: str, suffix: str) -> dict[str, Any]:
    return {
        "tags": [API_TAG],
        "operationId": operation_id,
        "summary": f"List train sessions{suffix}",
        "description": _INDEX_DESCRIPTION,
        "security": _API_SECURITY,
        "parameters": [{"$ref": f"#/components/parameters/{f.name}"} for f in FILTERS],
        "responses": {
            "200": {
                "description": "The matching train sessions (possibly none).",
                "content": _json_content(_ref("list")),
                "headers": {"X-Mockserver-Ignored": {"$ref": "#/components/headers/MockserverIgnored"}},
            },
            "400": _error(
                "Malformed query string (bad %-escape, invalid UTF-8, a key used as "
                "both scalar and array): ActionController::BadRequest. Also the "
                "mock's --strict mode, with `problems`."
            ),
            "401": {"$ref": "#/components/responses/Unauthorized"},
            "500": _error(
                "The live API's own 500s, reproduced faithfully: an array or hash "
                "value for an integer filter, a NUL byte in a string filter, and "
                "some undocumented Ransack inputs."
            ),
        },
    }


def _show_operation(operation_id: str, suffix: str) -> dict[str, Any]:
    return {
        "tags": [API_TAG],
        "operationId": operation_id,
        "summary": f"Show one train session{suffix}",
        "description": "ActiveRecord's find: the id segment must start with optional "
        "whitespace, a sign and a digit; it is then cast with to_i "
        "('3abc' is 3). Sessions of other accounts answer 404, as missing ones.",
        "security": _API_SECURITY,
        "parameters": [
            {
                "name": "id",
                "in": "path",
                "required": True,
                "description": "The train session's id (int4).",
                "schema": {"type": "integer", "minimum": 1, "maximum": INT4_MAX},
                "example": 3,
            }
        ],
        "responses": {
            "200": {"description": "The train session.", "content": _json_content(_ref("record"))},
            "400": _error("Malformed query string or a path segment that is not UTF-8."),
            "401": {"$ref": "#/components/responses/Unauthorized"},
            "404": _error("No such train session for this account (ActiveRecord::RecordNotFound)."),
        },
    }


# --- the control API ----------------------------------------------------------------------------


def _control_error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": _json_content({"$ref": "#/components/schemas/ControlError"}),
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
        operation["requestBody"] = {"required": True, "content": _json_content(body)}
    return operation


def _ok(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    if schema is None:
        return {"description": description}
    return {"description": description, "content": _json_content(schema)}


def _control_paths() -> dict[str, Any]:
    local = "#/components/schemas/"
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
                "Record count, uptime, API request count, journal fill.",
                {"200": _ok("The server is up.", {"$ref": local + "Health"}), **_CONTROL_ERRORS},
            )
        },
        "/__mockserver/reset": {
            "post": _control(
                "Reset",
                "Back to the fixtures loaded at start-up; empties the journal and removes every fault.",
                {"200": _ok("Reset.", count), **_MUTATION_ERRORS},
            )
        },
        "/__mockserver/records": {
            "get": _control(
                "The served records",
                "Every record, hidden attributes included, in the fixture format.",
                {"200": _ok("The records.", _ref("fixture")), **_CONTROL_ERRORS},
            ),
            "put": _control(
                "Replace every record",
                "Validated like a fixture file.",
                {"200": _ok("Replaced.", count), "409": conflict, "422": invalid, **_BODY_ERRORS},
                body=_ref("fixture"),
            ),
            "post": _control(
                "Add records",
                "One record or an array of them, validated like a fixture file; fields left "
                "out are filled as the plugin's add() fills them; ids already served are a 409.",
                {
                    "201": _ok(
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
                        {"$ref": local + "PartialRecord"},
                        {"type": "array", "items": {"$ref": local + "PartialRecord"}},
                    ]
                },
            ),
        },
        "/__mockserver/requests": {
            "get": _control(
                "The request journal",
                "The API requests received since the last reset, "
                "oldest first, in a bounded ring buffer. Control and /openapi.json requests "
                "are not recorded; headers and query keys whose name mentions auth, token, key, "
                "secret, password, cookie or session are redacted before anything is stored.",
                {
                    "200": _ok("The journal.", {"$ref": local + "Journal"}),
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
                {"200": _ok("Emptied; the empty journal.", {"$ref": local + "Journal"}), **_CONTROL_ERRORS},
            ),
        },
        "/__mockserver/faults": {
            "get": _control(
                "Active faults",
                "",
                {"200": _ok("The faults.", {"$ref": local + "Faults"}), **_CONTROL_ERRORS},
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
                    "201": _ok("Added.", {"$ref": local + "Faults"}),
                    "422": _control_error("Invalid fault."),
                    **_BODY_ERRORS,
                },
                body={"$ref": local + "Fault"},
            ),
            "delete": _control(
                "Remove every fault",
                "",
                {"200": _ok("Removed; the empty list.", {"$ref": local + "Faults"}), **_CONTROL_ERRORS},
            ),
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
                "errors": {"type": "integer"},
                "workers": {"type": "integer"},
            },
            "required": ["status", "records", "uptime_seconds", "requests"],
        },
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

_EMBEDDED_CONTROL = {"Fixture": "fixture", "TrainSession": "record"}  # what the control API's bodies use


def _servers(server_url: str | None) -> list[dict[str, str]]:
    return [{"url": server_url or f"http://{DEFAULT_HOST}:{DEFAULT_PORT}", "description": "mockserver serve"}]


def _document_path(operation_id: str, summary: str, tag: str, security: list[Any]) -> dict[str, Any]:
    return {
        "get": {
            "tags": [tag],
            "operationId": operation_id,
            "summary": summary,
            "security": security,
            "responses": {"200": _ok("The OpenAPI document.", {"type": "object"})},
        }
    }


def build_openapi(server_url: str | None = None) -> Document:
    """The emulated API's document (served at ``/openapi.json``); ``server_url`` defaults to
    ``mockserver serve``'s address.

    It describes the API only: a fuzzer pointed at it (Schemathesis' stateful phase) must not
    find the control API's writes, which would inject faults and replace the data under its
    own feet. The control API has its own document, ``build_control_openapi``.
    """
    index, show = _index_operation, _show_operation
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "LearningLogin train sessions API (as emulated by mockserver)",
            "version": __version__,
            "description": (
                "GET /api/train_sessions and GET /api/train_sessions/:id of LearningLogin's "
                "Rails API, with the Ransack filter semantics measured on the real stack. "
                "Generated from mockserver/model.py; response bodies reference the JSON Schemas "
                "in schemas/ by $id (embedded under components/schemas so they resolve offline). "
                "The mock's control API is described separately, at /__mockserver/openapi.json. "
                "Bound to loopback, the mock answers 403 to a Host that is no loopback name "
                "(DNS rebinding) unless started with --allow-host."
            ),
        },
        "servers": [
            *_servers(server_url),
            {"url": "https://learninglogin.com", "description": "the live API"},
        ],
        "tags": [
            {"name": API_TAG, "description": "The emulated live API."},
            {"name": META_TAG, "description": "Mock only: this document."},
        ],
        "paths": {
            "/api/train_sessions": {"get": index("listTrainSessions", "")},
            "/api/train_sessions.json": {"get": index("listTrainSessionsJson", " (.json)")},
            "/api/train_sessions/{id}": {"get": show("showTrainSession", "")},
            "/api/train_sessions/{id}.json": {"get": show("showTrainSessionJson", " (.json)")},
            "/openapi.json": _document_path("openapi", "This document", META_TAG, []),
        },
        "components": {
            "schemas": {title: load_schema(name) for title, name in _EMBEDDED.items()},
            "parameters": {f.name: _filter_parameter(f) for f in FILTERS},
            "headers": {
                "MockserverIgnored": {
                    "description": "Mock only: the parameters Ransack would silently ignore "
                    "or drop, and why.",
                    "schema": {"type": "string"},
                },
                "MockserverError": {
                    "description": "Mock only: why it answered this error.",
                    "schema": {"type": "string"},
                },
            },
            "responses": {
                "Unauthorized": {
                    "description": "Missing or wrong token: Rails' "
                    "authenticate_or_request_with_http_token answer, plain text.",
                    "headers": {
                        "WWW-Authenticate": {
                            "required": True,
                            "schema": {"const": 'Token realm="Application"'},
                        },
                        "X-Mockserver-Error": {
                            "description": "The mock only: why (no token, scheme not accepted, "
                            "unknown token); the live API does not send it.",
                            "schema": {"type": "string"},
                        },
                    },
                    "content": {"text/plain": {"schema": {"const": "HTTP Token: Access denied.\n"}}},
                },
            },
            "securitySchemes": {
                "tokenAuth": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "Rails token authentication: send `Authorization: Token "
                    'token="TOKEN"` (also accepted: `Token token=TOKEN`, '
                    "`Token TOKEN`). The scheme word is case-sensitive. "
                    f"The mock's development token is {DEV_TOKEN!r}.",
                },
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "`Authorization: Bearer TOKEN`, which Rails' "
                    "token authentication accepts too.",
                },
            },
        },
    }


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
        "servers": _servers(server_url),
        "tags": [{"name": CONTROL_TAG, "description": "Mock only: the control API."}],
        "paths": {
            **_control_paths(),
            "/__mockserver/openapi.json": _document_path(
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


def render_openapi(document: Document) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# --- CLI ----------------------------------------------------------------------------------------


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    p = subparsers.add_parser(
        "openapi",
        help="write the OpenAPI 3.1 document",
        description="Write the OpenAPI 3.1 document of the emulated API (what GET /openapi.json "
        "serves), or with --control the control API's (GET /__mockserver/openapi.json).",
    )
    p.add_argument("--control", action="store_true", help="the control API's document instead of the API's")
    p.add_argument("--out", type=Path, metavar="PATH", help="file to write (default: stdout)")
    p.add_argument(
        "--server",
        metavar="URL",
        help=f"server URL in the document (default http://{DEFAULT_HOST}:{DEFAULT_PORT})",
    )
    p.set_defaults(run=cmd_openapi)


def cmd_openapi(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    build = build_control_openapi if args.control else build_openapi
    text = render_openapi(build(args.server))
    if args.out is None or str(args.out) == "-":
        out.write(text)
        return 0
    try:
        write_atomically(args.out, [text.encode("utf-8")])
    except OSError as exc:
        raise UsageError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    print(f"mockserver: wrote the OpenAPI document to {args.out}", file=err)
    return 0

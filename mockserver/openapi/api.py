"""The emulated API's OpenAPI 3.1 document, built from ``model.py`` and ``revisions.py``.

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

from typing import Any

from mockserver import __version__
from mockserver.model import FILTERS, INT4_MAX, Filter, Kind
from mockserver.openapi.common import API_TAG, META_TAG, Document, document_path, json_content, ref, servers
from mockserver.openapi.unassign import PLAYER_SECURITY, player_paths, unassign_paths
from mockserver.revisions import DEFAULT_REVISION, Feature, Revision
from mockserver.schemas import load_schema
from mockserver.settings import DEV_TOKEN

__all__ = ["build_openapi"]

_EMBEDDED = {
    "TrainSession": "record",
    "TrainSessionList": "list",
    "RailsError": "error",
    "Fixture": "fixture",
}
_NO_NUL = "^[^\\u0000]*$"
_API_SECURITY: list[dict[str, list[str]]] = [{"tokenAuth": []}, {"bearerAuth": []}]

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


_OTHER_FORMATS = {  # Rails renders an error in the request's format (docs/mock/errors-and-headers.md)
    "application/xml": {"schema": ref("error")},
    "application/x-yaml": {"schema": {"type": "string"}},
    "text/html": {"schema": {"type": "string", "description": "the app's public/<status>.html, or empty"}},
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description + " JSON for a JSON request; XML, YAML or an HTML page otherwise.",
        "content": {**json_content(ref("error")), **_OTHER_FORMATS},
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


_XML_NEGOTIATION = (
    " In the 2015-08 API revision the answer is Rails' to_xml (application/xml) when the request's "
    "format is XML: the .xml suffix (whatever the Accept), ?format=xml on a path without suffix, "
    "or an Accept whose first JSON, XML or */* type is XML (application/xml, text/xml, "
    "application/*, text/* ...; a browser-like Accept with */* next to a comma is ignored); "
    "JSON otherwise. The 2015-02 revision answers JSON whatever the format."
)


def _answer_content(schema: str, revision: Revision) -> dict[str, Any]:
    """JSON, and in a revision with XML answers the same schema's XML form (its ``xml`` keywords)."""
    content = json_content(ref(schema))
    if revision.has(Feature.XML):
        content["application/xml"] = {"schema": ref(schema)}
    return content


def _index_operation(operation_id: str, suffix: str, revision: Revision = DEFAULT_REVISION) -> dict[str, Any]:
    return {
        "tags": [API_TAG],
        "operationId": operation_id,
        "summary": f"List train sessions{suffix}",
        "description": _INDEX_DESCRIPTION + (_XML_NEGOTIATION if revision.has(Feature.XML) else ""),
        "security": _API_SECURITY,
        "parameters": [{"$ref": f"#/components/parameters/{f.name}"} for f in FILTERS],
        "responses": {
            "200": {
                "description": "The matching train sessions (possibly none).",
                "content": _answer_content("list", revision),
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


def _show_operation(operation_id: str, suffix: str, revision: Revision = DEFAULT_REVISION) -> dict[str, Any]:
    return {
        "tags": [API_TAG],
        "operationId": operation_id,
        "summary": f"Show one train session{suffix}",
        "description": "ActiveRecord's find: the id segment must start with optional "
        "whitespace, a sign and a digit; it is then cast with to_i "
        "('3abc' is 3). Sessions of other accounts answer 404, as missing ones."
        + (_XML_NEGOTIATION if revision.has(Feature.XML) else ""),
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
            "200": {"description": "The train session.", "content": _answer_content("record", revision)},
            "400": _error("Malformed query string or a path segment that is not UTF-8."),
            "401": {"$ref": "#/components/responses/Unauthorized"},
            "404": _error("No such train session for this account (ActiveRecord::RecordNotFound)."),
        },
    }


def _paths(revision: Revision) -> dict[str, Any]:
    """The API's paths in ``revision``: index and show, with ``.xml`` spellings where it has XML."""
    index, show = _index_operation, _show_operation
    paths: dict[str, Any] = {
        "/api/train_sessions": {"get": index("listTrainSessions", "", revision)},
        "/api/train_sessions.json": {"get": index("listTrainSessionsJson", " (.json)", revision)},
        "/api/train_sessions/{id}": {"get": show("showTrainSession", "", revision)},
        "/api/train_sessions/{id}.json": {"get": show("showTrainSessionJson", " (.json)", revision)},
    }
    if revision.has(Feature.UNASSIGN):
        paths.update(unassign_paths())
    if revision.has(Feature.PLAYER):
        paths.update(player_paths())
    if revision.has(Feature.XML):
        paths["/api/train_sessions.xml"] = {"get": index("listTrainSessionsXml", " (.xml)", revision)}
        paths["/api/train_sessions/{id}.xml"] = {"get": show("showTrainSessionXml", " (.xml)", revision)}
    return paths


def build_openapi(server_url: str | None = None, revision: Revision = DEFAULT_REVISION) -> Document:
    """The emulated API's document (served at ``/openapi.json``); ``server_url`` defaults to
    ``mockserver serve``'s address.

    It describes the API only: a fuzzer pointed at it (Schemathesis' stateful phase) must not
    find the control API's writes, which would inject faults and replace the data under its
    own feet. The control API has its own document, ``build_control_openapi``. ``revision``: the
    API revision served (``revisions.py``), which decides the formats and routes listed.
    """
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
                "(DNS rebinding) unless started with --allow-host. "
                f"API revision {revision.name} (mockserver serve --api-revision; "
                "docs/mock/api-revisions.md)."
            ),
            "x-api-revision": revision.name,
        },
        "servers": [
            *servers(server_url),
            {"url": "https://learninglogin.com", "description": "the live API"},
        ],
        "tags": [
            {"name": API_TAG, "description": "The emulated live API."},
            {"name": META_TAG, "description": "Mock only: this document."},
        ],
        "paths": {
            **_paths(revision),
            "/openapi.json": document_path("openapi", "This document", META_TAG, []),
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
                **(PLAYER_SECURITY if revision.has(Feature.PLAYER) else {}),
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

"""The 2015-08 routes beyond index and show in the API's OpenAPI document: unassign and the
course player (``docs/mock/unassign-and-player.md`` says what they answer and why)."""

from __future__ import annotations

from typing import Any

from mockserver.model import INT4_MAX
from mockserver.openapi.common import API_TAG, json_content, ref

__all__ = ["PLAYER_SECURITY", "player_paths", "unassign_paths"]

_NO_NUL = "^[^\\u0000]*$"
_SECURITY: list[dict[str, list[str]]] = [{"tokenAuth": []}, {"bearerAuth": []}]
PLAYER_SECURITY = {
    "playerToken": {
        "type": "apiKey",
        "in": "query",
        "name": "token",
        "description": "The course player reads the API token from its URL (?token=), as the doc "
        "shows for an <iframe src>; a missing or wrong one shows 'Authentication error'.",
    }
}
NOT_FOUND_TEXT = "Could not find any corresponding train sessions."

_BODY = {
    "type": "object",
    "required": ["course_codes", "login_id"],
    "properties": {
        "course_codes": {
            "type": "array",
            "minItems": 1,
            "items": {"type": "string", "pattern": _NO_NUL},
            "description": "Course codes to unassign (a single string is accepted too). A NUL "
            "inside a code makes the live API answer 500 (PostgreSQL), so it is excluded here.",
        },
        "login_id": {
            "type": "integer",
            "minimum": 0,
            "maximum": INT4_MAX,
            "description": "The assignee's login id; cast as an integer column ('12abc' is 12).",
        },
    },
}
_ERROR_FORMATS = {
    **json_content(ref("error")),
    "application/xml": {"schema": ref("error")},
    "text/html": {"schema": {"type": "string", "description": "the app's public/<status>.html, or empty"}},
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description + " In the request's format (JSON, XML or an HTML page).",
        "content": _ERROR_FORMATS,
    }


def unassign_paths() -> dict[str, Any]:
    """``POST /api/train_sessions/unassign`` and its ``.json``/``.xml`` spellings."""
    paths = {}
    for suffix, operation_id in (("", "unassign"), (".json", "unassignJson"), (".xml", "unassignXml")):
        paths[f"/api/train_sessions/unassign{suffix}"] = {"post": _unassign(operation_id, suffix)}
    return paths


def _unassign(operation_id: str, suffix: str) -> dict[str, Any]:
    empty = {"schema": {"type": "string", "maxLength": 0}}
    return {
        "tags": [API_TAG],
        "operationId": operation_id,
        "summary": f"Unassign courses from one login{f' ({suffix})' if suffix else ''}",
        "description": "Removes the token's account's train sessions whose course code is listed "
        "and whose assignee's login id is login_id (a join on both, then destroy_all). Query "
        "parameters of the same name override the body's. The removal is real in the mock "
        "until POST /__mockserver/reset; with --workers N (N > 1) it answers 409 instead.",
        "security": _SECURITY,
        "requestBody": {
            "required": True,
            "description": "JSON as here. A form body (course_codes[]=FP&login_id=1) and, the "
            "doc's sample, an XML body are accepted too: <content><course-codes type='array'>"
            "<course-code>FP</course-code></course-codes><login-id type='integer'>1</login-id>"
            "</content> (actionpack-xml_parser; without type='array' the codes are a hash and "
            "the live API answers 500). They are not listed as media types: OpenAPI cannot "
            "state the type attributes they need.",
            "content": json_content(_BODY),
        },
        "responses": {
            "200": {
                "description": "Sessions removed: an empty body (head :ok, its Content-Type the "
                f"request's format). None matched: text/plain '{NOT_FOUND_TEXT}'.",
                "content": {
                    "text/plain": {"schema": {"type": "string", "enum": [NOT_FOUND_TEXT]}},
                    "text/html": empty,
                    "application/json": empty,
                    "application/xml": empty,
                    "text/javascript": empty,
                },
            },
            "400": _error(
                "ActionController::ParameterMissing (course_codes or login_id missing or blank), "
                "or a body that does not parse as its Content-Type says."
            ),
            "401": {"$ref": "#/components/responses/Unauthorized"},
            "409": {
                "description": "Mock only: --workers N (N > 1), where each worker has its own data; "
                "serve with --workers 1 to unassign.",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            },
            "500": _error("The live API's own 500s: course_codes a hash, content not a hash."),
        },
    }


def player_paths() -> dict[str, Any]:
    """``GET /api/train_sessions/{login_id}/{course_code}?token=``: the course player's page."""
    html = {"text/html": {"schema": {"type": "string"}}}
    operation = {
        "tags": [API_TAG],
        "operationId": "coursePlayer",
        "summary": "The course player (an HTML page for an <iframe>)",
        "description": "The page of the newest session of that login and course in the token's "
        "account, embeddable (Content-Security-Policy frame-ancestors; no X-Frame-Options). The "
        "mock adds a clearly marked test aid that advances the session "
        "(POST /__mockserver/sessions/{id}/{progress|fail_quiz|complete}).",
        "security": [{"playerToken": []}],
        "parameters": [
            {
                "name": "login_id",
                "in": "path",
                "required": True,
                "schema": {"type": "integer", "minimum": 0, "maximum": INT4_MAX},
                "description": "Id of the login consuming the train session.",
            },
            {
                "name": "course_code",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "pattern": "^[^/.?\\u0000]+$"},
                "description": "The course's code, e.g. WHMIS.",
            },
        ],
        "responses": {
            "200": {"description": "The player page.", "content": html},
            "401": {
                "description": "A missing or wrong token: the 'Authentication error' page.",
                "content": html,
            },
            "404": {"description": "No such session for this account (a page saying so).", "content": html},
        },
    }
    return {"/api/train_sessions/{login_id}/{course_code}": {"get": operation}}

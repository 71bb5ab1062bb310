"""What both OpenAPI documents share: references to the committed schemas, content and responses."""

from __future__ import annotations

from typing import Any

from mockserver.schemas import schema_id
from mockserver.settings import DEFAULT_HOST, DEFAULT_PORT

__all__ = [
    "API_TAG",
    "CONTROL_TAG",
    "META_TAG",
    "Document",
    "document_path",
    "json_content",
    "ok",
    "ref",
    "servers",
]

Document = dict[str, Any]

API_TAG = "train_sessions"
CONTROL_TAG = "mockserver control"
META_TAG = "mockserver"


def ref(name: str, pointer: str = "") -> dict[str, str]:
    """A reference to committed schema ``name`` by its ``$id`` (never a copy)."""
    return {"$ref": schema_id(name) + (f"#{pointer}" if pointer else "")}


def json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def ok(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    if schema is None:
        return {"description": description}
    return {"description": description, "content": json_content(schema)}


def servers(server_url: str | None) -> list[dict[str, str]]:
    return [{"url": server_url or f"http://{DEFAULT_HOST}:{DEFAULT_PORT}", "description": "mockserver serve"}]


def document_path(operation_id: str, summary: str, tag: str, security: list[Any]) -> dict[str, Any]:
    """The path serving a document itself (``/openapi.json``, ``/__mockserver/openapi.json``)."""
    return {
        "get": {
            "tags": [tag],
            "operationId": operation_id,
            "summary": summary,
            "security": security,
            "responses": {"200": ok("The OpenAPI document.", {"type": "object"})},
        }
    }

"""An API answer's body as data: JSON, or Rails' ``to_xml`` (2015-08) read as Rails reads it.

One reader for every tool (validate, record, ``record --from-har``, diff, proxy), so an XML answer
is judged against the same schemas as its JSON twin: ``Hash.from_xml`` casts the ``type``
attributes and reads ``nil="true"`` as null (``engine/xmlparams``), then the root is unwrapped:
``<train-sessions type="array">`` (or ``<nil-classes type="array"/>``) is the list,
``<train-session>`` the record, ``<hash>`` the error body. A field written without its type stays
text, so the schemas report it as they would a JSON string where a number belongs.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from mockserver.engine.xmlparams import Value, from_xml
from mockserver.errors import BadRequestError

__all__ = ["XML_TYPE", "document", "is_xml"]

XML_TYPE = "application/xml"
_LISTS = ("train_sessions", "nil_classes")
_ONES = ("train_session", "hash")


def is_xml(body: bytes) -> bool:
    """Whether ``body`` is an XML document (its first non-blank byte opens a tag)."""
    return body.lstrip()[:1] == b"<"


def _json_form(value: Value) -> Any:
    if isinstance(value, dict):
        return {k: _json_form(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_form(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def xml_document(body: bytes) -> Any:
    """An XML answer in its JSON form; ValueError naming what is wrong."""
    try:
        parsed = from_xml(body)
    except BadRequestError as exc:
        raise ValueError(f"not XML Rails can read: {exc.detail or exc}") from None
    [(root, value)] = parsed.items()
    if root in _LISTS:
        return _json_form(value if isinstance(value, list) else [] if value is None else [value])
    if root in _ONES:
        return _json_form(value)
    tag = root.replace("_", "-")
    raise ValueError(f"XML root <{tag}> is none of <train-sessions>, <nil-classes>, <train-session>, <hash>")


def document(body: bytes) -> Any:
    """The answer as data: XML when it is XML, else JSON (``json.loads``' ValueError otherwise)."""
    if is_xml(body):
        return xml_document(body)
    return json.loads(body)

"""``POST /api/train_sessions/unassign``: the parameters Rails sees and the sessions it removes.

The vendor's controller (API revision 2015-08), as run on a real Rails 6.1 app to check the mock::

    unassign_params = params.key?(:content) ? params.require(:content) : params
    course_codes = unassign_params.require(:course_codes)
    login_id = unassign_params.require(:login_id)
    account_scope.joins(:course, :assignee)
                 .where(courses: { code: course_codes }, users: { login_id: login_id }).destroy_all

``params`` is the body's parameters (JSON, form or XML by Content-Type, with Rails' deep
munge) overwritten key by key by the query's. This module turns the raw body and query into
the ``Unassign`` to apply, raising what Rails raises: ``ParameterMissing`` and unparseable
bodies are 400s, a hash where a course code is expected and a non-hash ``content`` are 500s.
``Unassign.matches`` is the SQL's row test. Pure: no I/O.
"""

from __future__ import annotations

import datetime
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from mockserver.engine import rack, ruby
from mockserver.engine.xmlparams import Value, from_xml
from mockserver.errors import BadRequestError, InternalServerError
from mockserver.model import INT4_MAX, INT4_MIN

__all__ = ["NOT_FOUND_TEXT", "Unassign", "parse_unassign", "request_params"]

NOT_FOUND_TEXT = "Could not find any corresponding train sessions."
JSON_TYPES = frozenset({"application/json", "text/x-json", "application/jsonrequest"})
XML_TYPES = frozenset({"application/xml", "text/xml", "application/x-xml"})
FORM_TYPE = "application/x-www-form-urlencoded"
MULTIPART_TYPE = "multipart/form-data"


def media_type(content_type: str | None) -> str | None:
    """Rails' ``content_mime_type``: the part before ``,`` or ``;``, stripped, lower-cased."""
    if content_type is None:
        return None
    found = content_type.split(";", 1)[0].split(",", 1)[0].strip().lower()
    return found or None


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def strip_json_comments(text: str) -> str:
    """Ruby's JSON parser skips ``/* ... */`` and ``// ...`` comments wherever whitespace may
    stand: the same text with them blanked out (strings left alone; an unclosed ``/*`` stays,
    and fails to parse as it does in Ruby)."""
    if "/" not in text:
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == '"':
            end = i + 1
            while end < n and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            out.append(text[i : end + 1])
            i = end + 1
        elif text.startswith("/*", i) and (close := text.find("*/", i + 2)) >= 0:
            out.append(" ")
            i = close + 2
        elif text.startswith("//", i):
            newline = text.find("\n", i)
            out.append(" ")
            i = n if newline < 0 else newline
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _json_params(body: bytes) -> dict[str, Value]:
    """ActiveSupport::JSON.decode; a non-object document becomes ``{"_json": ...}``."""
    try:
        data = json.loads(strip_json_comments(body.decode("utf-8")), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise BadRequestError(f"JSON body is not valid: {error}") from None
    return data if isinstance(data, dict) else {"_json": data}


def _multipart_params(content_type: str, body: bytes) -> dict[str, Value]:
    """Rack's multipart parser for plain fields (files are not part of unassign)."""
    params = [p.strip() for p in content_type.split(";")[1:]]
    boundary = next((p[9:].strip('"') for p in params if p.lower().startswith("boundary=")), "")
    if not boundary:
        raise BadRequestError("multipart body without a boundary")
    delimiter = b"--" + boundary.encode("latin-1", "replace")
    if delimiter not in body:
        raise BadRequestError("multipart body: bad content body (no boundary line)")
    pairs: list[bytes] = []
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        head, sep, value = part.lstrip(b"\r\n").partition(b"\r\n\r\n")
        name = _disposition_name(head)
        if not sep or name is None:
            continue
        pairs.append(_escape(name) + b"=" + _escape(value.removesuffix(b"\r\n")))
    return _rack(b"&".join(pairs))


def _disposition_name(head: bytes) -> bytes | None:
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-disposition:"):
            marker = line.find(b'name="')
            if marker >= 0:
                start = marker + 6
                return line[start : line.find(b'"', start)]
    return None


def _escape(raw: bytes) -> bytes:
    return b"".join(bytes((b,)) if chr(b).isalnum() else b"%%%02X" % b for b in raw)


def _rack(raw: bytes) -> dict[str, Value]:
    """Rack's nested parameters (``ParamValue`` is a subset of ``Value``)."""
    return cast(dict[str, Value], rack.parse_query(raw))


def deep_munge(value: Value) -> Value:
    """Rails' NoNilParamEncoder: arrays lose their nils, at any depth; strings must be UTF-8."""
    if isinstance(value, dict):
        return {k: deep_munge(v) for k, v in value.items()}
    if isinstance(value, list):
        return [deep_munge(v) for v in value if v is not None]
    if isinstance(value, str) and any("\ud800" <= c <= "\udfff" for c in value):
        raise BadRequestError("Invalid request parameters: Invalid encoding")
    return value


def body_params(content_type: str | None, body: bytes, xml: bool = True) -> dict[str, Value]:
    """The request's body parameters as Rails parses them (``request.request_parameters``);
    ``xml``: the XML parser is registered (actionpack-xml_parser, the 2015-08 app)."""
    kind = media_type(content_type)
    if not body or kind is None:
        return {}
    if kind in JSON_TYPES:
        parsed = _json_params(body)
    elif kind in XML_TYPES and xml:
        parsed = from_xml(body)
    elif kind == FORM_TYPE:
        parsed = _rack(body)
    elif kind == MULTIPART_TYPE and content_type is not None:
        parsed = _multipart_params(content_type, body)
    else:
        return {}
    munged = deep_munge(parsed)
    return munged if isinstance(munged, dict) else {}


def request_params(content_type: str | None, body: bytes, raw_query: bytes) -> dict[str, Value]:
    """``request.parameters``: body parameters, then the query's over them (a shallow merge)."""
    return {**body_params(content_type, body), **_rack(raw_query)}


def _present_or_false(value: Value) -> bool:
    """``value.present? || value == false``, as ``Parameters#require`` tests it."""
    if value is False or isinstance(value, (int, float, Decimal, datetime.date)):
        return True
    if isinstance(value, str):
        return not ruby.is_blank(value)
    return value is not None and len(value) > 0


def _require(params: Mapping[str, Value], key: str) -> Value:
    value = params.get(key)
    if not _present_or_false(value):
        raise BadRequestError(f"param is missing or the value is empty: {key}")
    return value


def _as_text(value: Value) -> str | None:
    """What PostgreSQL compares a course code with: ActiveRecord's string serialisation."""
    if isinstance(value, dict):
        raise InternalServerError("can't cast ActionController::Parameters (a course code is a hash)")
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, float):
        return ruby.float_to_s(value)
    if isinstance(value, Decimal):
        return _ruby_decimal(value)
    if isinstance(value, (int, str)):
        if isinstance(value, str) and "\x00" in value:
            raise InternalServerError("PostgreSQL refuses a string containing NUL")
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return None


def _ruby_decimal(value: Decimal) -> str:
    """BigDecimal#to_s: ``0.15e1``."""
    sign, digits, exponent = value.normalize().as_tuple()
    if not isinstance(exponent, int) or digits == (0,):
        return "0.0"
    text = "".join(map(str, digits))
    return f"{'-' if sign else ''}0.{text}e{len(text) + exponent}"


def _as_login(value: Value) -> int | None:
    """The integer column's cast (ActiveModel::Type::Integer); None: no row can match."""
    if isinstance(value, bool):
        number = 1 if value else 0
    elif isinstance(value, int):
        number = value
    elif isinstance(value, (float, Decimal)):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        number = int(value)
    elif isinstance(value, str):
        number = ruby.to_i(value)
    else:
        return None
    return number if INT4_MIN <= number <= INT4_MAX else None


@dataclass(frozen=True)
class Unassign:
    """The join condition: course codes and login ids (a record matches one of each)."""

    course_codes: frozenset[str]
    login_ids: frozenset[int]

    def matches(self, record: Mapping[str, Any]) -> bool:
        """``INNER JOIN courses, users WHERE code IN (...) AND users.login_id IN (...)``."""
        return (
            record.get("assignee_id") is not None
            and record.get("assignee_login_id") in self.login_ids
            and record.get("course_code") in self.course_codes
        )

    def select(self, records: Iterable[Mapping[str, Any]]) -> list[int]:
        """The ids of ``records`` this unassign destroys."""
        return [record["id"] for record in records if self.matches(record)]


def _out_of_range(value: Value) -> bool:
    """An integer cast ActiveRecord cannot bind (beyond int4): the relation matches nothing."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    number = ruby.to_i(value) if isinstance(value, str) else int(value)
    return not INT4_MIN <= number <= INT4_MAX


def _flatten(values: list[Value]) -> list[Value]:
    """ActiveRecord's array condition flattens nested arrays (``[["FP"]]`` matches FP)."""
    flat: list[Value] = []
    for value in values:
        if isinstance(value, list):
            flat.extend(_flatten(value))
        else:
            flat.append(value)
    return flat


def parse_unassign(params: Mapping[str, Value]) -> Unassign:
    """The controller's ``require`` calls and ``where`` casts over ``request.parameters``."""
    scope = params
    if "content" in params:
        # (``params.key?``: a key present with a blank value is ParameterMissing)
        content = _require(params, "content")
        if not isinstance(content, dict):
            raise InternalServerError(f"private method `require' called for a {type(content).__name__}")
        scope = content
    codes = _require(scope, "course_codes")
    logins = _require(scope, "login_id")
    if not isinstance(logins, (list, dict)) and _out_of_range(logins):
        # an out-of-range scalar makes the condition 1=0: the query never casts the codes
        return Unassign(frozenset(), frozenset())
    code_list = _flatten(codes) if isinstance(codes, list) else [codes]
    texts = [_as_text(code) for code in code_list]  # a hash among them is a 500 before the query
    if isinstance(logins, dict):
        login_list: list[Value] = []
    else:
        login_list = _flatten(logins) if isinstance(logins, list) else [logins]
    login_ids = {_as_login(v) for v in login_list}
    return Unassign(
        frozenset(t for t in texts if t is not None), frozenset(i for i in login_ids if i is not None)
    )

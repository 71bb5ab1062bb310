"""The defects of ``tests/broken_mock.py``: each a middleware factory registered by name, one
deliberate departure from the contract the suite must catch."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .broken_surgery import (
    SHOW_PATH,
    Context,
    Defect,
    Handler,
    is_index,
    json_body,
    json_response,
    query_of,
    query_pairs,
    rename_key,
    replace_condition,
    rewrite_records,
    with_query,
)

DEFECTS: dict[str, tuple[str, Defect | None]] = {}


def defect(name: str, description: str) -> Callable[[Defect], Defect]:
    def register(factory: Defect) -> Defect:
        DEFECTS[name] = (description, factory)
        return factory

    return register


# --- the defects --------------------------------------------------------------------------------

_STRIP = "\t\n\v\f\r \x00"


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if not unicodedata.combining(c))


def _date(value: str) -> str | None:
    return value if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()) else None


DEFECTS["none"] = ("the real mock, unchanged", None)
defect("ignore_score_eq", "score_eq is ignored")(replace_condition("score_eq", lambda r, v: True))
defect("ignore_complete_by_eq", "complete_by_eq is ignored")(
    replace_condition("complete_by_eq", lambda r, v: True)
)
defect("ignore_last_attempt_eq", "last_attempt_eq (hidden attribute) is ignored")(
    replace_condition("last_attempt_eq", lambda r, v: True)
)
defect("cont_case_sensitive", "full_name_cont is case-sensitive (LIKE, not ILIKE)")(
    replace_condition("full_name_cont", lambda r, v: v.strip(_STRIP) in r["full_name"])
)
defect("cont_accent_folding", "full_name_cont folds accents (e matches é)")(
    replace_condition("full_name_cont", lambda r, v: _fold(v.strip(_STRIP)) in _fold(r["full_name"]))
)
defect("cont_prefix", "full_name_cont matches prefixes only (_start)")(
    rename_key("full_name_cont", "full_name_start")
)
defect("cont_wildcards", "full_name_cont lets % and _ act as wildcards (_matches)")(
    replace_condition(
        "full_name_cont",
        lambda r, v: (
            re.search(
                "".join(
                    ".*" if c == "%" else "." if c == "_" else re.escape(c) for c in v.strip(_STRIP).lower()
                ),
                r["full_name"].lower(),
            )
            is not None
        ),
    )
)
defect("cont_no_strip", "full_name_cont does not strip whitespace")(
    replace_condition("full_name_cont", lambda r, v: v.lower() in r["full_name"].lower())
)
defect("blank_matches_empty", "a blank full_name_cont means 'match empty' instead of no filter")(
    replace_condition(
        "full_name_cont",
        lambda r, v: (v.lower() in r["full_name"].lower()) if v.strip() else r["full_name"] == "",
    )
)
defect("gt_inclusive", "cert_expiry_gt is >= (the doc's wording)")(
    rename_key("cert_expiry_gt", "cert_expiry_gteq")
)
defect("lt_inclusive", "cert_expiry_lt is <= (the doc's wording)")(
    rename_key("cert_expiry_lt", "cert_expiry_lteq")
)
defect("gteq_strict", "completion_date_gteq is strict >")(
    rename_key("completion_date_gteq", "completion_date_gt")
)
defect("lteq_strict", "completion_date_lteq is strict <")(
    rename_key("completion_date_lteq", "completion_date_lt")
)
defect("complete_by_is_completion_date", "complete_by_eq filters completion_date")(
    rename_key("complete_by_eq", "completion_date_eq")
)
defect("course_name_ignored", "course_code_or_course_name_cont only searches the code")(
    rename_key("course_code_or_course_name_cont", "course_code_cont")
)
defect("username_case_insensitive", "assignee_login_username_eq ignores case")(
    replace_condition(
        "assignee_login_username_eq",
        lambda r, v: (r["assignee_login_username"] or "").lower() == v.strip(_STRIP).lower() or not v.strip(),
    )
)
defect("to_i_strict", "score_eq drops values Python's int() rejects instead of Ruby to_i")(
    replace_condition("score_eq", lambda r, v: not re.fullmatch(r"\s*[+-]?\d+\s*", v) or r["score"] == int(v))
)
defect("int_wraps", "percent_complete_eq wraps values outside int4 (mod 2**32)")(
    replace_condition(
        "percent_complete_eq",
        lambda r, v: (
            not re.fullmatch(r"\s*[+-]?\d+\s*", v)
            or r["percent_complete"] == ((int(v) + 2**31) % 2**32) - 2**31
        ),
    )
)
defect("invalid_date_empty", "an unparseable completion_date_lteq matches nothing instead of being dropped")(
    replace_condition(
        "completion_date_lteq",
        lambda r, v: bool(
            v.strip() == "" or (_date(v) and r["completion_date"] and r["completion_date"] <= v.strip())
        ),
    )
)
defect("null_dates_match", "cert_expiry_lt also returns records with no cert_expiry")(
    replace_condition(
        "cert_expiry_lt",
        lambda r, v: r["cert_expiry"] is None or not _date(v) or r["cert_expiry"] < v.strip(),
    )
)
defect("score_as_string", "score is rendered as a string")(
    rewrite_records(lambda r: r | {"score": str(r["score"])})
)
defect("dates_as_datetimes", "dates are rendered with a time part")(
    rewrite_records(
        lambda r: (
            r
            | {
                k: v + "T00:00:00.000Z"
                for k, v in r.items()
                if k in ("cert_expiry", "completion_date", "complete_by") and v
            }
        )
    )
)
defect("extra_field", "records carry an extra created_at field")(
    rewrite_records(lambda r: r | {"created_at": "2015-01-01T00:00:00Z"})
)
defect("key_order", "record keys come in alphabetical order")(
    rewrite_records(lambda r: dict(sorted(r.items())))
)
defect("score_is_score_eq", "the doc sample's score=80 (no predicate) is treated as score_eq=80")(
    rename_key("score", "score_eq")
)
defect("show_extra_field", "only show adds a field")(
    rewrite_records(lambda r: r | {"course_name": None}, index=False)
)


@defect("score_eq_80_as_81", "score_eq=80 (the doc's sample value) is answered as score_eq=81")
def _eighty_as_81(ctx: Context) -> Any:
    async def mw(request: web.Request, handler: Handler) -> web.StreamResponse:
        pairs = query_pairs(query_of(request))
        if not any(k == "score_eq" and v == "80" for _, k, v in pairs):
            return await handler(request)
        raw = "&".join("score_eq=81" if (k, v) == ("score_eq", "80") else p for p, k, v in pairs)
        return await handler(with_query(request, raw))

    return mw


@defect("drop_record", "the index never lists one record (show still finds it)")
def _drop_record(ctx: Context) -> Any:
    victim = sorted(ctx.records)[len(ctx.records) // 3]

    async def mw(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if response.status == 200 and is_index(request) and request.method == "GET":
            return json_response([r for r in json_body(response) if r["id"] != victim], response)
        return response

    return mw


@defect("drop_record_filtered", "filtered answers lose their last record")
def _drop_filtered(ctx: Context) -> Any:
    async def mw(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if response.status == 200 and is_index(request) and query_of(request) and request.method == "GET":
            return json_response(json_body(response)[:-1], response)
        return response

    return mw


@defect("ascending", "the index is ordered by id ascending")
def _ascending(ctx: Context) -> Any:
    async def mw(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if response.status == 200 and is_index(request) and request.method == "GET":
            return json_response(json_body(response)[::-1], response)
        return response

    return mw


@defect("and_becomes_or", "several filters are ORed (m=or)")
def _or(ctx: Context) -> Any:
    async def mw(request: web.Request, handler: Handler) -> web.StreamResponse:
        query = query_of(request)
        return await handler(with_query(request, query + "&m=or") if query else request)

    return mw


@defect("first_value_wins", "a repeated key keeps its first value")
def _first_wins(ctx: Context) -> Any:
    async def mw(request: web.Request, handler: Handler) -> web.StreamResponse:
        seen: set[str] = set()
        kept = []
        for raw, key, _ in query_pairs(query_of(request)):
            if key not in seen:
                seen.add(key)
                kept.append(raw)
        return await handler(with_query(request, "&".join(kept)))

    return mw


@defect("semicolon_literal", "';' does not separate query pairs")
def _semicolon(ctx: Context) -> Any:
    async def mw(request: web.Request, handler: Handler) -> web.StreamResponse:
        return await handler(with_query(request, query_of(request).replace(";", "%3B")))

    return mw


@defect("unknown_param_400", "unknown parameters answer 400 (the mock's --strict mode)")
def _strict(ctx: Context) -> Any:
    return None  # a settings change, see SETTINGS


@defect("no_auth", "no token check at all")
def _no_auth(ctx: Context) -> Any:
    return None


@defect("bearer_refused", "the Bearer scheme is refused")
def _bearer(ctx: Context) -> Any:
    async def mw(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.headers.get("Authorization", "").startswith("Bearer "):
            return await handler(request.clone(headers={**request.headers, "Authorization": "Bearer x"}))
        return await handler(request)

    return mw


@defect("lowercase_scheme_accepted", "the token scheme is read case-insensitively")
def _lower_scheme(ctx: Context) -> Any:
    async def mw(request: web.Request, handler: Handler) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        if header[:6].lower() == "token " and not header.startswith("Token "):
            return await handler(
                request.clone(headers={**request.headers, "Authorization": "Token " + header[6:]})
            )
        return await handler(request)

    return mw


@defect("401_as_json", "401 answers a JSON body")
def _401_json(ctx: Context) -> Any:
    async def mw(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if response.status == 401:
            return web.Response(
                status=401,
                body=b'{"status":401,"error":"Unauthorized"}',
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "WWW-Authenticate": 'Token realm="Application"',
                },
            )
        return response

    return mw


@defect("401_no_challenge", "401 answers lack WWW-Authenticate")
def _no_challenge(ctx: Context) -> Any:
    async def mw(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if response.status == 401:
            response.headers.pop("WWW-Authenticate", None)
        return response

    return mw


@defect("wrong_404_body", '404 answers {"error":"not found"}')
def _404_body(ctx: Context) -> Any:
    async def mw(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if response.status == 404:
            return web.Response(
                status=404,
                body=b'{"error":"not found"}',
                headers={"Content-Type": "application/json; charset=utf-8"},
            )
        return response

    return mw


@defect("html_content_type", "the index says text/html")
def _html(ctx: Context) -> Any:
    async def mw(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if response.status == 200 and is_index(request):
            response.headers["Content-Type"] = "text/html; charset=utf-8"
        return response

    return mw


@defect("no_charset", "JSON answers carry no charset")
def _no_charset(ctx: Context) -> Any:
    async def mw(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if response.headers.get("Content-Type", "").startswith("application/json"):
            response.headers["Content-Type"] = "application/json"
        return response

    return mw


@defect("show_off_by_one", "show returns the record listed before the one asked for")
def _off_by_one(ctx: Context) -> Any:
    ordered = sorted(ctx.records)

    async def mw(request: web.Request, handler: Handler) -> web.StreamResponse:
        match = SHOW_PATH.match(request.raw_path.partition("?")[0])
        if match and match.group(1).isdigit() and int(match.group(1)) in ctx.records:
            position = ordered.index(int(match.group(1)))
            if position % 5 == 4:
                path = f"/api/train_sessions/{ordered[position - 1]}"
                return await handler(request.clone(rel_url=URL(path, encoded=True)))
        return await handler(request)

    return mw


@defect("show_strict_id", "show parses the id with int(): 3abc, +3 and 03 answer 404")
def _strict_id(ctx: Context) -> Any:
    async def mw(request: web.Request, handler: Handler) -> web.StreamResponse:
        match = SHOW_PATH.match(request.raw_path.partition("?")[0])
        if match and (not match.group(1).isdigit() or match.group(1).startswith("0")):
            return web.Response(
                status=404,
                body=b'{"status":404,"error":"Not Found"}',
                headers={"Content-Type": "application/json; charset=utf-8"},
            )
        return await handler(request)

    return mw


@defect("json_suffix_404", "the .json suffix answers 404")
def _json_suffix(ctx: Context) -> Any:
    async def mw(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.raw_path.partition("?")[0].endswith(".json"):
            return web.Response(
                status=404,
                body=b'{"status":404,"error":"Not Found"}',
                headers={"Content-Type": "application/json; charset=utf-8"},
            )
        return await handler(request)

    return mw


@defect("head_not_allowed", "HEAD answers 405")
def _head(ctx: Context) -> Any:
    async def mw(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "HEAD":
            return web.Response(status=405)
        return await handler(request)

    return mw


@defect("array_value_ignored", "score_eq[]=80 is ignored instead of a 500")
def _array_ok(ctx: Context) -> Any:
    async def mw(request: web.Request, handler: Handler) -> web.StreamResponse:
        pairs = query_pairs(query_of(request))
        return await handler(with_query(request, "&".join(p for p, k, _ in pairs if k != "score_eq[]")))

    return mw


@defect("malformed_query_ok", "a malformed %-escape is ignored instead of a 400")
def _malformed(ctx: Context) -> Any:
    async def mw(request: web.Request, handler: Handler) -> web.StreamResponse:
        query = query_of(request)
        cleaned = re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", query)
        return await handler(with_query(request, cleaned) if cleaned != query else request)

    return mw


@defect("errors_always_json", "error bodies are JSON whatever the request's format (Accept: */*)")
def _errors_json(ctx: Context) -> Any:
    async def mw(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if response.status >= 400 and response.status != 401:
            body = {"status": response.status, "error": response.reason}
            return web.Response(
                status=response.status,
                body=json.dumps(body).encode(),
                headers={"Content-Type": "application/json; charset=utf-8"},
            )
        return response

    return mw


def _without_header(request: web.Request, name: str, value: str | None = None) -> web.Request:
    headers = CIMultiDict((k, v) for k, v in request.headers.items() if k.lower() != name.lower())
    if value is not None:
        headers[name] = value
    return request.clone(headers=CIMultiDictProxy(headers))


@defect("bad_accept_ignored", "an unparseable Accept header is ignored instead of a 406")
def _bad_accept(ctx: Context) -> Any:
    async def mw(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if response.status == 406:
            return await handler(_without_header(request, "Accept", "application/json"))
        return response

    return mw


@defect("if_none_match_ignored", "If-None-Match is ignored: a matching ETag still answers 200")
def _no_304(ctx: Context) -> Any:
    async def mw(request: web.Request, handler: Handler) -> web.StreamResponse:
        return await handler(_without_header(request, "If-None-Match"))

    return mw


@defect("throttled", "not a defect: every 5th request answers 429 (Retry-After: 0), every 49th 503")
def _throttled(ctx: Context) -> Any:
    count = 0

    async def mw(request: web.Request, handler: Handler) -> web.StreamResponse:
        nonlocal count
        count += 1
        if count % 5 == 0:
            return web.Response(status=429, text="slow down", headers={"Retry-After": "0"})
        if count % 49 == 0:
            return web.Response(status=503, text="busy")  # no Retry-After: the client backs off
        return await handler(request)

    return mw


NOT_DEFECTS = frozenset({"none", "throttled"})  # endpoints that honour the contract
SETTINGS: dict[str, dict[str, Any]] = {"unknown_param_400": {"strict": True}, "no_auth": {"auth": False}}

"""Request and response surgery for the one-defect mocks (``tests/broken_defects.py``): read and
rewrite a raw query, re-render a JSON answer, and the generic defect builders."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from aiohttp import web
from yarl import URL

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Record = dict[str, Any]
INDEX_PATH = re.compile(r"/api/train_sessions(\.json)?/?\Z")
SHOW_PATH = re.compile(r"/api/train_sessions/([^/.?]+)(\.json)?\Z")


def query_pairs(raw: str) -> list[tuple[str, str, str]]:
    """(raw pair, decoded key, decoded value) for each pair of a raw query."""
    out = []
    for part in re.split(r"[&;]", raw):
        if part:
            key, _, value = part.partition("=")
            out.append((part, unquote_plus(key), unquote_plus(value)))
    return out


def with_query(request: web.Request, raw_query: str) -> web.Request:
    path = request.raw_path.partition("?")[0]
    return request.clone(rel_url=URL(path + (f"?{raw_query}" if raw_query else ""), encoded=True))


def query_of(request: web.Request) -> str:
    return request.raw_path.partition("?")[2]


def is_index(request: web.Request) -> bool:
    return bool(INDEX_PATH.match(request.raw_path.partition("?")[0]))


def json_response(body: Any, like: web.StreamResponse, **headers: str) -> web.Response:
    merged = {"Content-Type": like.headers.get("Content-Type", "application/json; charset=utf-8")}
    merged.update(headers)
    return web.Response(
        status=like.status, body=json.dumps(body, ensure_ascii=False).encode(), headers=merged
    )


def json_body(response: web.StreamResponse) -> Any:
    assert isinstance(response, web.Response) and response.body is not None
    return json.loads(bytes(response.body))


@dataclass
class Context:
    """What a defect may use: the records with their hidden attributes, by id."""

    records: dict[int, Record]


Defect = Callable[[Context], Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]]


def rename_key(old: str, new: str) -> Defect:
    """Send ``old`` to the real engine as ``new`` (an undocumented Ransack predicate)."""

    def factory(ctx: Context) -> Any:
        async def mw(request: web.Request, handler: Handler) -> web.StreamResponse:
            pairs = query_pairs(query_of(request))
            if not any(k == old for _, k, _ in pairs):
                return await handler(request)
            raw = "&".join(new + p[len(p.split("=")[0]) :] if k == old else p for p, k, _ in pairs)
            return await handler(with_query(request, raw))

        return mw

    return factory


def replace_condition(key: str, keep: Callable[[Record, str], bool]) -> Defect:
    """Answer ``key`` with a wrong Python predicate instead of the engine's (others unchanged)."""

    def factory(ctx: Context) -> Any:
        async def mw(request: web.Request, handler: Handler) -> web.StreamResponse:
            pairs = query_pairs(query_of(request))
            values = [v for _, k, v in pairs if k == key]
            if not values or not is_index(request):
                return await handler(request)
            real = await handler(request)
            if real.status != 200:
                return real  # keep the engine's 400/500 answers: only the filter is wrong
            raw = "&".join(p for p, k, _ in pairs if k != key)
            response = await handler(with_query(request, raw))
            kept = [r for r in json_body(response) if keep(ctx.records[r["id"]], values[-1])]
            return json_response(kept, response)

        return mw

    return factory


def rewrite_records(change: Callable[[Record], Record], index: bool = True, show: bool = True) -> Defect:
    """Change each rendered record of index and/or show answers."""

    def factory(ctx: Context) -> Any:
        async def mw(request: web.Request, handler: Handler) -> web.StreamResponse:
            response = await handler(request)
            path = request.raw_path.partition("?")[0]
            if response.status != 200 or request.method == "HEAD":
                return response
            if index and INDEX_PATH.match(path):
                return json_response([change(dict(r)) for r in json_body(response)], response)
            if show and SHOW_PATH.match(path):
                return json_response(change(dict(json_body(response))), response)
            return response

        return mw

    return factory

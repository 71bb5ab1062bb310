"""Typed application keys shared by the app factory and its handlers."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from mockserver.engine.xmlparams import Value
from mockserver.server.rendering import PublicPages
from mockserver.server.state import ServerState
from mockserver.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
STATE = web.AppKey("state", ServerState)  # mutable: the served Store lives on it, see state.py
TOKENS = web.AppKey("tokens", Mapping[str, "str | None"])
PAGES = web.AppKey("pages", PublicPages)  # public/<status>.html, read once
MEMO_CONTEXT = web.AppKey("memo_context", int)  # this app's settings and tokens, see memo.py
# a GET/HEAD body's params (views.py): Rails merges them into the index's params
BODY_PARAMS: web.RequestKey[dict[str, Value]] = web.RequestKey("body_params", dict)
IGNORED = web.ResponseKey("ignored", tuple[str, ...])  # an index answer's notices, for the access log

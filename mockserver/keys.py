"""Typed application keys shared by the app factory and its handlers."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from .settings import Settings
from .store import Store

SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("store", Store)
TOKENS = web.AppKey("tokens", Mapping[str, "str | None"])

"""CORS for the emulated API, opt-in with ``--cors ORIGIN`` (repeatable; ``*`` for any origin).

Off by default because the live API sends no CORS headers (a preflight from
``http://localhost:5173`` gets its JSON 404), and a front end that works against the mock only
thanks to CORS would break against the real thing. When on, it serves browser apps under
development: preflights from a listed origin are answered (methods GET/HEAD/OPTIONS, the
requested headers and always ``Authorization``), other answers carry
``Access-Control-Allow-Origin`` and expose the mock's ``X-Mockserver-*`` headers. Never on the
control API, whatever the flag says: a page must not drive it (see ``guard.py``).
"""

from __future__ import annotations

from collections.abc import Iterable

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from mockserver.server.control import CONTROL_PREFIX

__all__ = ["cors_middleware"]

ALLOW_ORIGIN = "Access-Control-Allow-Origin"
_METHODS = "GET, HEAD, OPTIONS"
_EXPOSED = (
    "X-Mockserver-Error, X-Mockserver-Ignored, X-Mockserver-Fault, X-Mockserver-Portability, WWW-Authenticate"
)
_MAX_AGE = "600"


def _normalised(origin: str) -> str:
    return origin.strip().lower().rstrip("/")


def cors_middleware(origins: Iterable[str]) -> Middleware:
    """CORS answers for ``origins`` on every route outside the control API."""
    allowed = frozenset(_normalised(o) for o in origins)
    any_origin = "*" in allowed

    @web.middleware
    async def cors(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if (
            origin is None
            or request.path.startswith(CONTROL_PREFIX)
            or not (any_origin or _normalised(origin) in allowed)
        ):
            return await handler(request)
        vary = {} if any_origin else {"Vary": "Origin"}
        allow = "*" if any_origin else origin
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            requested = request.headers.get("Access-Control-Request-Headers", "")
            names = ["Authorization"]
            names += [
                n.strip() for n in requested.split(",") if n.strip() and n.strip().lower() != "authorization"
            ]
            return web.Response(
                status=204,
                headers={
                    ALLOW_ORIGIN: allow,
                    "Access-Control-Allow-Methods": _METHODS,
                    "Access-Control-Allow-Headers": ", ".join(names),
                    "Access-Control-Max-Age": _MAX_AGE,
                    **vary,
                },
            )
        response = await handler(request)
        response.headers[ALLOW_ORIGIN] = allow
        response.headers["Access-Control-Expose-Headers"] = _EXPOSED
        response.headers.update(vary)
        return response

    return cors

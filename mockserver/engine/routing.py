"""Rails 6.1 routing for the two routes, on the raw request path. Pure: no I/O.

aiohttp decodes the path before its router sees it, which loses ``3%2F4`` (one segment in
Rails, id ``3/4``, so id 3) and ``3%2E0``. So the raw path comes here and follows Journey:
squeeze slashes, drop one trailing ``/``, match
``/api/train_sessions(.:format)`` or ``/api/train_sessions/:id(.:format)`` with each part
``[^/.?]+``, then unescape the parts (``%XX`` only; ``+`` stays). Show's id is then cast the
way ActiveRecord's ``find`` does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mockserver.engine import ruby
from mockserver.errors import BadRequestError
from mockserver.model import INT4_MAX, INT4_MIN

_INDEX = re.compile(r"/api/train_sessions(?:\.([^/.?]+))?\Z")
_SHOW = re.compile(r"/api/train_sessions/([^/.?]+)(?:\.([^/.?]+))?\Z")
_PLAYER = re.compile(r"/api/train_sessions/([^/.?]+)/([^/.?]+)(?:\.([^/.?]+))?\Z")  # the course player
_UNASSIGN = re.compile(r"/api/train_sessions/unassign(?:\.([^/.?]+))?\Z")  # POST only, matched first
_ESCAPED = re.compile(rb"%[a-zA-Z0-9]{2}")  # Journey's UriEncoder::ESCAPED: not only hex
_HEX_PREFIX = re.compile(rb"[0-9A-Fa-f]*")
_NUMERIC = re.compile(r"[\t\n\v\f\r ]*[+-]?[0-9]")


METHODS: dict[str, tuple[str, ...]] = {
    "index": ("GET", "HEAD"),
    "show": ("GET", "HEAD"),
    "player": ("GET", "HEAD"),  # the course player (2015-08)
    "unassign": ("POST",),  # matched by unassign_route, before show (2015-08)
}
"""The request methods each action's route matches (HEAD is routed as GET)."""


@dataclass(frozen=True)
class Route:
    """What Rails dispatches a path to: ``index``, ``show`` (with the raw id) or nothing."""

    action: str | None
    id: str | None = None
    format: str | None = None
    course: str | None = None  # the player's course code (its ``id`` is the login id)

    def allows(self, method: str) -> bool:
        """Whether a route matches the path *and* ``method``: otherwise Rails has no route, so
        no path parameters either (no ``:format`` from a ``.xml`` suffix)."""
        return self.action is not None and method in METHODS[self.action]


def normalize_path(raw: bytes) -> bytes:
    """Journey's normalize_path: squeeze ``/``, drop one trailing ``/`` (``%2F`` stays)."""
    path = re.sub(rb"/+", b"/", b"/" + raw)
    if path != b"/":
        path = path.removesuffix(b"/")
    return re.sub(rb"%[0-9a-f]{2}", lambda m: m.group().upper(), path)


def _unescape_byte(match: re.Match[bytes]) -> bytes:
    """``[match[1, 2].hex].pack("C")``: String#hex reads leading hex digits, else 0."""
    digits = _HEX_PREFIX.match(match.group(), 1)
    return bytes((int(digits.group() or b"0", 16),)) if digits else b"\x00"


def _unescape(part: bytes, what: str) -> str:
    """Journey's unescape_uri (no ``+`` decoding); Rails answers 400 for non-UTF-8 results.

    Any ``%`` and two alphanumerics is replaced, like Journey: ``%ZZ`` is NUL and ``%1G`` is
    ``\x01``.
    """
    raw = _ESCAPED.sub(_unescape_byte, part)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequestError(f"path {what} {raw!r} is not valid UTF-8") from None


def route(raw_path: bytes) -> Route:
    """Route the raw path (without the query string)."""
    path = normalize_path(raw_path).decode("latin-1")
    if match := _INDEX.match(path):
        fmt = match.group(1)
        return Route("index", None, _unescape(fmt.encode("latin-1"), "format") if fmt else None)
    if match := _SHOW.match(path):
        ident = _unescape(match.group(1).encode("latin-1"), "id")
        fmt = match.group(2)
        return Route("show", ident, _unescape(fmt.encode("latin-1"), "format") if fmt else None)
    return Route(None)


def player_route(raw_path: bytes) -> Route | None:
    """The course player's ``/api/train_sessions/:login_id/:course_code(.:format)`` (2015-08
    only, so not part of ``route``: without it the path has no route and no path format)."""
    match = _PLAYER.match(normalize_path(raw_path).decode("latin-1"))
    if match is None:
        return None
    login = _unescape(match.group(1).encode("latin-1"), "login id")
    course = _unescape(match.group(2).encode("latin-1"), "course code")
    fmt = match.group(3)
    return Route("player", login, _unescape(fmt.encode("latin-1"), "format") if fmt else None, course)


def unassign_route(raw_path: bytes) -> Route | None:
    """``post :unassign, on: :collection``: Journey matches the literal segment on the
    normalised, still escaped path (``unas%73ign`` is not it), before ``show``."""
    match = _UNASSIGN.match(normalize_path(raw_path).decode("latin-1"))
    if match is None:
        return None
    fmt = match.group(1)
    return Route("unassign", None, _unescape(fmt.encode("latin-1"), "format") if fmt else None)


def cast_id(segment: str) -> int | None:
    """ActiveRecord's id cast for ``find``: None where Rails answers 404 before any lookup."""
    if not _NUMERIC.match(segment):
        return None
    value = ruby.to_i(segment)
    if not INT4_MIN <= value <= INT4_MAX:
        return None  # RangeError, which ActiveRecord turns into RecordNotFound
    return value

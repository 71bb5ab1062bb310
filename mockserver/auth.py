"""Rails 6.1 HTTP token authentication (``authenticate_or_request_with_http_token``). Pure.

The header parser follows ActionController::HttpAuthentication::Token exactly, including its
quirks: the scheme is case-sensitive, ``Bearer`` is accepted, the first ``key=value`` pair's
value is taken as the token whatever its key, and quotes are only stripped at both ends.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping

from . import ruby

REALM = "Application"
CHALLENGE = f'Token realm="{REALM}"'
DENIED_BODY = b"HTTP Token: Access denied.\n"

_SCHEME = re.compile(r"(?:Token|Bearer)[\t\n\v\f\r ]+")
_PAIR_DELIMITERS = re.compile(r",|;|\t")
_QUOTES = re.compile(r'\A"|"\Z')


def _ruby_blank(value: str | None) -> bool:
    return value is None or ruby.is_blank(value)


def token_from_header(authorization: str | None) -> str | None:
    """The token Rails reads from an ``Authorization`` header, or None (then it answers 401)."""
    if not authorization:
        return None
    match = _SCHEME.match(authorization)
    if match is None:
        return None
    pieces = [ruby.strip(p) for p in _PAIR_DELIMITERS.split(authorization[match.end():])]
    while pieces and pieces[-1] == "":
        pieces.pop()  # Ruby's split drops trailing empty fields
    first = pieces[0] if pieces else None
    if first is None or not first.startswith("token="):
        first = "token=" + (first or "")
    _, _, value = first.partition("=")
    if value == "":
        return None
    token = _QUOTES.sub("", value)
    return None if _ruby_blank(token) else token


def account_for(
    authorization: str | None, tokens: Mapping[str, str | None]
) -> tuple[bool, str | None]:
    """(authenticated, account) for a request's header against the configured tokens."""
    token = token_from_header(authorization)
    if token is None:
        return False, None
    for known, account in tokens.items():
        if hmac.compare_digest(known.encode(), token.encode("utf-8", "surrogateescape")):
            return True, account
    return False, None

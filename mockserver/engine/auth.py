"""Rails 6.1 HTTP token authentication (``authenticate_or_request_with_http_token``). Pure.

The header parser follows ActionController::HttpAuthentication::Token exactly, including its
quirks: the scheme is case-sensitive, ``Bearer`` is accepted, the first ``key=value`` pair's
value is taken as the token whatever its key, quotes are only stripped at both ends, and
Ruby's line anchors let the scheme start any line of the header.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Mapping

from mockserver.engine import ruby
from mockserver.errors import InternalServerError
from mockserver.stacks import DEFAULT_STACK, Quirk, Stack

REALM = "Application"
CHALLENGE = f'Token realm="{REALM}"'
DENIED_BODY = b"HTTP Token: Access denied.\n"

# Ruby's ^ and $ are line anchors and its . stops at a newline; \s is ASCII-only.
_SCHEME = re.compile(r"^(?:Token|Bearer)[\t\n\v\f\r ]+", re.M)  # TOKEN_REGEX, found anywhere
_PAIR_DELIMITERS = re.compile(r",|;|\t")
_PAIR_SPLIT = re.compile(r"=(.+)?")  # params_array_from: pair.split(%r/=(.+)?/)
_QUOTES = re.compile(r'^"|"$', re.M)


def _ruby_blank(value: str | None) -> bool:
    return value is None or ruby.is_blank(value)


def _fields(pair: str) -> list[str]:
    """Ruby ``pair.split(/=(.+)?/)``: groups that took part are kept, trailing empties dropped."""
    fields = [field for field in _PAIR_SPLIT.split(pair) if field is not None]
    while fields and fields[-1] == "":
        fields.pop()
    return fields


def token_from_header(authorization: str | None) -> str | None:
    """The token Rails reads from an ``Authorization`` header, or None (then it answers 401).

    ``token_and_options(request)&.first`` then ``blank?``, step by step: the scheme may start any
    line; its first match is cut out; the rest is split on ``,`` ``;`` and tab, stripped, and
    every empty piece dropped; the first piece gets ``token=`` unless it has it already. The
    other pieces become the options hash, and ``Hash[...]`` raises ArgumentError (a 500) on a
    piece that splits into no field (``=``) or more than two (``a=b\nc``).
    """
    if not authorization:
        return None
    match = _SCHEME.search(authorization)
    if match is None:
        return None
    rest = authorization[: match.start()] + authorization[match.end() :]
    pieces = [piece for p in _PAIR_DELIMITERS.split(rest) if (piece := ruby.strip(p))]
    return _token_of(pieces)


# Rails 4.2 (actionpack v4.2.11 http_authentication.rb), before rails@4b4e890781c (Bearer) and
# rails@d5a0d710379 (any whitespace after the scheme), both v5.0.0:
#   TOKEN_REGEX = /^Token /    AUTHN_PAIR_DELIMITERS = /(?:,|;|\t+)/
#   auth.sub(TOKEN_REGEX, '').split(/\s*#{AUTHN_PAIR_DELIMITERS}\s*/)
_SCHEME_42 = re.compile(r"^Token ", re.M)
_PAIR_SPLIT_42 = re.compile(r"[\t\n\v\f\r ]*(?:,|;|\t+)[\t\n\v\f\r ]*")


def _ruby_split(pattern: re.Pattern[str], text: str) -> list[str]:
    """Ruby ``String#split(regex)``: trailing empty fields are dropped."""
    fields = pattern.split(text)
    while fields and fields[-1] == "":
        fields.pop()
    return fields


def token_from_header_42(authorization: str | None) -> str | None:
    """The token Rails 4.2 reads (``raw_params`` then ``rewrite_param_values``), or None.

    Only ``Token`` and one space open the header; the pieces are not stripped, so
    ``Token  token="T"`` reads `` token="T`` and ``Token token="T" `` reads ``T" ``.
    """
    if not authorization:
        return None
    match = _SCHEME_42.search(authorization)
    if match is None:
        return None
    rest = authorization[: match.start()] + authorization[match.end() :]
    return _token_of(_ruby_split(_PAIR_SPLIT_42, rest) or [""])


def _token_of(pieces: list[str]) -> str | None:
    """Rails' ``rewrite_param_values`` and ``Hash[]`` over the split header: the token, or None.

    An option that is not ``key`` or ``key=value`` makes ``Hash[]`` raise, a 500 in Rails.
    """
    first = pieces[0] if pieces else ""
    if not first.startswith("token="):
        first = "token=" + first
    for option in pieces[1:]:
        if not 1 <= len(_fields(option)) <= 2:
            raise InternalServerError(
                f"Authorization option {option!r} makes Hash[] raise ArgumentError in Rails "
                "(invalid number of elements), which answers 500"
            )
    fields = _fields(first)
    token = _QUOTES.sub("", fields[1]) if len(fields) > 1 else None
    return None if _ruby_blank(token) else token


def read_token(authorization: str | None, strict: bool) -> tuple[str | None, bool]:
    """(token, touched): ``touched`` when Rails 4.2 would read another token than Rails >= 5."""
    if strict:
        return token_from_header_42(authorization), False
    token = token_from_header(authorization)
    if token is None:
        return None, False
    try:
        old = token_from_header_42(authorization)
    except InternalServerError:
        old = None
    return token, old != token


def account_for(
    authorization: str | None, tokens: Mapping[str, str | None], stack: Stack = DEFAULT_STACK
) -> tuple[bool, str | None]:
    """(authenticated, account) for a request's header against the configured tokens."""
    return account_and_touched(authorization, tokens, stack)[:2]


def account_and_touched(
    authorization: str | None,
    tokens: Mapping[str, str | None],
    stack: Stack = DEFAULT_STACK,
    read: Callable[[str | None, bool], tuple[str | None, bool]] = read_token,
) -> tuple[bool, str | None, bool]:
    """``account_for`` plus whether the answer would differ where ``STRICT_TOKEN_SCHEME`` holds;
    ``read``: ``read_token`` or a remembering wrapper of it (the server's memo)."""
    token, touched = read(authorization, stack.has(Quirk.STRICT_TOKEN_SCHEME))
    if token is None:
        return False, None, False
    for known, account in tokens.items():
        if hmac.compare_digest(known.encode(), token.encode("utf-8", "surrogateescape")):
            return True, account, touched
    return False, None, False


def token_header(token: str) -> str:
    """The ``Authorization`` value Rails' ``authenticate_with_http_token`` documents (the one
    builder: tools, the CLI banner and the pytest plugin all call this)."""
    return f'Token token="{token}"'

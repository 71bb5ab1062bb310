"""Query-string parsing exactly as Rack 2.2 ``parse_nested_query`` plus Rails 6.1's checks.

aiohttp's ``request.query`` decodes too early and loses what matters to Rails: ``;`` as a
separator, ``%25`` versus ``%``, ``k[]`` arrays, ``k[x]`` hashes and the last-one-wins rule.
So the raw bytes after ``?`` come here. Pure: no I/O.

Rails answers 400 (ActionController::BadRequest) for a malformed ``%`` escape, a scalar/array
or scalar/hash conflict, and a key or value that is not UTF-8 after decoding. What comes back is
``request.GET``, so arrays lose their nils the way Rails' deep munge drops them. Rack's size
limits (4 MiB, 4096 separators, 65536 bytes of keys per level, depth 100) raise Rack's
QueryLimitError, a RangeError that escapes Rails' error page: ``QueryLimitError`` here, which
the server renders as Rails' failsafe plain-text 500.
"""

from __future__ import annotations

import re
from typing import TypeAlias

from mockserver.engine.exposure import touched_error
from mockserver.errors import BadRequestError, QueryLimitError
from mockserver.stacks import Quirk

NO_QUIRKS: frozenset[Quirk] = frozenset()

ParamValue: TypeAlias = str | list["ParamValue"] | dict[str, "ParamValue"] | None
Params = dict[str, ParamValue]

BYTESIZE_LIMIT = 4_194_304
PARAMS_LIMIT = 4096
KEY_SPACE_LIMIT = 65536
DEPTH_LIMIT = 100

_SEPARATOR = re.compile(rb"[&;] *")
_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_ESCAPE = re.compile(rb"\+|%[0-9A-Fa-f]{2}")
_KEY_HEAD = re.compile(r"\A[\[\]]*([^\[\]]+)\]*", re.S)
# Rack applies these with =~ (a search) and Ruby's ^ and $ are line anchors while its . stops
# at a newline: re.M, no re.S, and .search, so a key with %0A in it splits the way Ruby splits it.
_ARRAY_OF_HASH = re.compile(r"^\[\]\[([^\[\]]+)\]$", re.M)
_ARRAY_TAIL = re.compile(r"^\[\](.+)$", re.M)


def _replace_escape(match: re.Match[bytes]) -> bytes:
    token = match.group()
    return b" " if token == b"+" else bytes((int(token[1:], 16),))


def unescape(component: bytes) -> str:
    """Decode ``+`` and ``%XX`` like URI.decode_www_form_component; 400 on a malformed escape.

    Bytes that are not UTF-8 survive as surrogate escapes: Rails rejects them only where they
    end up (every key is matched by a regex, which raises; values are checked once parsed).
    """
    if _BAD_ESCAPE.search(component):
        raise BadRequestError(f"invalid %-encoding in query string: {component.decode('latin-1')!r}")
    return _ESCAPE.sub(_replace_escape, component).decode("utf-8", "surrogateescape")


def _check_utf8(text: str, what: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        shown = text.encode("utf-8", "surrogateescape")
        raise BadRequestError(f"invalid UTF-8 in query {what}: {shown!r}") from None


class _Level(dict[str, ParamValue]):
    """One hash level with Rack's key-space accounting."""

    __slots__ = ("size",)

    def __init__(self) -> None:
        super().__init__()
        self.size = 0

    def put(self, key: str, value: ParamValue) -> None:
        if key not in self:
            self.size += len(key)
            if self.size > KEY_SPACE_LIMIT:
                raise QueryLimitError(
                    f"query keys exceed Rack's key space limit ({KEY_SPACE_LIMIT} characters)"
                )
        self[key] = value


def _type_name(value: object) -> str:
    if isinstance(value, dict):
        return "Hash"
    if isinstance(value, list):
        return "Array"
    return "NilClass" if value is None else "String"


def _has_key(level: _Level, key: str) -> bool:
    """Rack's params_hash_has_key?: does the (possibly bracketed) key path exist already."""
    if "[]" in key:
        return False
    node: object = level
    for part in re.split(r"[\[\]]+", key):
        if part == "":
            continue
        if not isinstance(node, _Level) or part not in node:
            return False
        node = node[part]
    return True


def _array_at(params: _Level, key: str) -> list[ParamValue]:
    """``params[k] ||= []``, with Rack's ParameterTypeError (400) when ``k`` holds no array."""
    current = params.get(key)
    if current is None:
        current = []
        params.put(key, current)
    if not isinstance(current, list):
        raise BadRequestError(f"expected Array (got {_type_name(current)}) for param `{key}'")
    return current


def _normalize(params: _Level, name: str | None, value: str | None, depth: int) -> ParamValue:
    """Rack 2.2 normalize_params: expand ``a[b][]`` style names into nested structures."""
    if depth <= 0:
        raise QueryLimitError(f"query parameters nested deeper than Rack's limit ({DEPTH_LIMIT})")
    match = _KEY_HEAD.match(name) if name is not None else None
    key = match.group(1) if match else ""
    after = name[match.end() :] if match and name is not None else ""
    if key == "":
        if value is not None and name == "[]":
            return [value]
        return None
    if after == "":
        params.put(key, value)
    elif after == "[":
        params.put(name or "", value)
    elif after == "[]":
        _array_at(params, key).append(value)
    elif (m := _ARRAY_OF_HASH.search(after)) or (m := _ARRAY_TAIL.search(after)):
        child_key = m.group(1)
        items = _array_at(params, key)
        last = items[-1] if items else None
        if isinstance(last, _Level) and not _has_key(last, child_key):
            _normalize(last, child_key, value, depth - 1)
        else:
            items.append(_normalize(_Level(), child_key, value, depth - 1))
    else:
        child = params.get(key)
        if child is None:
            child = _Level()
            params.put(key, child)
        if not isinstance(child, _Level):
            raise BadRequestError(f"expected Hash (got {_type_name(child)}) for param `{key}'")
        params.put(key, _normalize(child, after, value, depth - 1))
    return params


def _split(raw: bytes) -> list[bytes]:
    """Ruby ``String#split(/[&;] */)``: trailing empty fields are dropped."""
    parts = _SEPARATOR.split(raw)
    while parts and parts[-1] == b"":
        parts.pop()
    return parts


def parse_query(raw: bytes, quirks: frozenset[Quirk] = NO_QUIRKS) -> Params:
    """Parse the raw query string (bytes after ``?``) into Rack's nested params.

    Raises BadRequestError wherever Rails answers 400 (and for Rack's size limits). ``quirks``
    of the served generation: NO_QUERY_LIMIT (Rack < 2.2.14, before rack@3f5a4249) has no
    size limits; INVALID_UTF8_500 (Rails < 5.0, before rails@59ab2d1ee59) does not check the
    values' encoding (Ransack's ``blank?`` raises on them later, a 500; ``broken_values``).
    """
    if not raw:
        return {}
    if Quirk.NO_QUERY_LIMIT not in quirks:
        if len(raw) > BYTESIZE_LIMIT:
            raise touched_error(
                QueryLimitError(f"query string exceeds Rack's limit ({BYTESIZE_LIMIT} bytes)"),
                Quirk.NO_QUERY_LIMIT,
            )
        separators = raw.count(b"&") + raw.count(b";")
        if separators >= PARAMS_LIMIT:
            raise touched_error(
                QueryLimitError(f"query has {separators + 1} parameters; Rack's limit is {PARAMS_LIMIT}"),
                Quirk.NO_QUERY_LIMIT,
            )
    check_values = Quirk.INVALID_UTF8_500 not in quirks
    params = _Level()
    for piece in _split(raw):
        if not piece:
            continue
        key_raw, eq, value_raw = piece.partition(b"=")
        key = unescape(key_raw)
        _check_utf8(key, "key")
        _normalize(params, key, unescape(value_raw) if eq else None, DEPTH_LIMIT)
    return {key: _plain(value, key, check_values) for key, value in params.items()}


def _plain(value: ParamValue, key: str, check: bool = True) -> ParamValue:
    """Copy into plain dicts/lists, checking values like Rails' check_param_encoding.

    Arrays lose their nils as in Rails' deep munge (NoNilParamEncoder): ``k[]`` is ``[]``.
    """
    if isinstance(value, dict):
        return {k: _plain(v, f"{key}[{k}]", check) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, f"{key}[]", check) for v in value if v is not None]
    if value is not None and check:
        try:
            _check_utf8(value, f"value of {key!r}")
        except BadRequestError as error:
            raise touched_error(error, Quirk.INVALID_UTF8_500) from None
    return value


def broken_values(value: ParamValue) -> bool:
    """Whether any string in ``value`` is not UTF-8 (surrogate escapes left by ``unescape``)."""
    if isinstance(value, str):
        return any("\udc80" <= c <= "\udcff" for c in value)
    if isinstance(value, dict):
        return any(broken_values(v) for v in value.values())
    if isinstance(value, list):
        return any(broken_values(v) for v in value)
    return False

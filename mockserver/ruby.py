"""Ruby and ActiveSupport value semantics that Ransack's casting depends on.

``String#strip``, ``Object#blank?``, ``String#to_i`` and ``#inspect`` (Ruby 3.1). Dates live
in ``rubydate``. Pure and stdlib only; each function is checked against real Ruby in tests.
"""

from __future__ import annotations

import re

from .rack import ParamValue

# String#strip: NUL and ASCII whitespace on both ends (not NBSP or other Unicode spaces).
_STRIP_CHARS = "\x00\t\n\v\f\r "
# ActiveSupport String#blank?: /\A[[:space:]]*\z/ where [[:space:]] is Unicode White_Space.
_BLANK = re.compile(
    r"[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*\Z"
)
# String#to_i (base 10): leading whitespace, a sign, an optional 0d prefix, digits with single
# underscores between them; anything else stops the scan and no digits at all means 0.
_TO_I = re.compile(r"[\t\n\v\f\r ]*([+-]?)(?:0[dD](?=[0-9]))?([0-9]+(?:_[0-9]+)*)")


def strip(text: str) -> str:
    """Ruby ``String#strip``."""
    return text.strip(_STRIP_CHARS)


def is_blank(value: ParamValue) -> bool:
    """ActiveSupport ``blank?`` for what Rack can produce: nil, strings, arrays and hashes."""
    if value is None:
        return True
    if isinstance(value, str):
        return _BLANK.match(value) is not None
    return len(value) == 0


def to_i(text: str) -> int:
    """Ruby ``String#to_i``: never fails, ``'abc'`` is 0, ``'80.9'`` is 80, ``'8_0'`` is 80."""
    match = _TO_I.match(text)
    if match is None:
        return 0
    number = int(match.group(2).replace("_", ""))
    return -number if match.group(1) == "-" else number


_ESCAPES = {
    '"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\f": "\\f",
    "\v": "\\v", "\b": "\\b", "\a": "\\a", "\x1b": "\\e",
}


def _inspect_str(text: str) -> str:
    out = ['"']
    for index, char in enumerate(text):
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char == "#" and text[index + 1: index + 2] in ("{", "$", "@"):
            out.append("\\#")
        elif not char.isprintable() and char not in "\x85\u200b":
            code = ord(char)
            out.append(f"\\u{code:04X}" if code <= 0xFFFF else f"\\u{{{code:X}}}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def inspect(value: ParamValue) -> str:
    """Ruby 3.1 ``#inspect`` of Rack params, which Ransack searches for when given a non-string."""
    if value is None:
        return "nil"
    if isinstance(value, int):  # multiparameter values cast with to_i
        return str(value)
    if isinstance(value, str):
        return _inspect_str(value)
    if isinstance(value, list):
        return "[" + ", ".join(inspect(v) for v in value) + "]"
    return "{" + ", ".join(f"{_inspect_str(k)}=>{inspect(v)}" for k, v in value.items()) + "}"

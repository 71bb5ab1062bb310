"""Ruby and ActiveSupport value semantics that Ransack's casting depends on.

``String#strip``, ``String#downcase``, ``Object#blank?``, ``String#to_i`` and ``#inspect``
(Ruby 3.1). Dates live in ``rubydate``. Pure and stdlib only; each function is checked against
real Ruby in tests.
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_right
from decimal import Decimal

from mockserver.engine.rack import ParamValue

# String#strip: NUL and ASCII whitespace on both ends (not NBSP or other Unicode spaces).
_STRIP_CHARS = "\x00\t\n\v\f\r "
# ActiveSupport String#blank?: /\A[[:space:]]*\z/ where [[:space:]] is Unicode White_Space.
_BLANK = re.compile(r"[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*\Z")
# String#to_i (base 10): leading whitespace, a sign, an optional 0d prefix, digits with single
# underscores between them; anything else stops the scan and no digits at all means 0.
_TO_I = re.compile(r"[\t\n\v\f\r ]*([+-]?)(?:0[dD](?=[0-9]))?([0-9]+(?:_[0-9]+)*)")


def strip(text: str) -> str:
    """Ruby ``String#strip``."""
    return text.strip(_STRIP_CHARS)


# Capitals Unicode 14 added (Python 3.11 lowers them); Ruby 3.1's Unicode 13 leaves them as they are.
_UNICODE_14_CAPITALS = frozenset(
    "\u2c2f\ua7c0\ua7d0\ua7d6\ua7d8"
    + "".join(chr(c) for c in (*range(0x10570, 0x1057B), *range(0x1057C, 0x1058B), *range(0x1058C, 0x10593)))
    + "\U00010594\U00010595"
)


def downcase(text: str) -> str:
    """Ruby ``String#downcase``: each character's full Unicode lower case (``İ`` is ``i`` and
    U+0307), with none of the context rules: a final ``Σ`` is ``σ``, where Python's
    ``str.lower`` gives ``ς`` (compared with Ruby 3.1.2 on every non-surrogate code point)."""
    return "".join(char if char in _UNICODE_14_CAPITALS else char.lower() for char in text)


def is_blank(value: ParamValue) -> bool:
    """ActiveSupport ``blank?`` for what Rack can produce: nil, strings, arrays and hashes."""
    if value is None:
        return True
    if isinstance(value, str):
        return _BLANK.match(value) is not None
    if isinstance(value, bool):  # JSON body values: false.blank? is true, true's false
        return not value
    if isinstance(value, (int, float)):  # a multiparameter (1i) or JSON number: never blank
        return False
    return len(value) == 0


def to_i(text: str) -> int:
    """Ruby ``String#to_i``: never fails, ``'abc'`` is 0, ``'80.9'`` is 80, ``'8_0'`` is 80."""
    match = _TO_I.match(text)
    if match is None:
        return 0
    number = _digits_to_int(match.group(2).replace("_", "").lstrip("0"))
    return -number if match.group(1) == "-" else number


def _digits_to_int(digits: str) -> int:
    """``int(digits)`` without Python's 4300-digit limit (Ruby has none): split and recombine.

    Divide and conquer keeps a 4 MiB run of digits (Rack's query limit) to seconds, where
    lifting the limit with sys.set_int_max_str_digits would be global and quadratic.
    """
    if len(digits) <= 4000:
        return int(digits or "0")
    low = len(digits) // 2
    scale: int = 10**low
    return _digits_to_int(digits[:-low]) * scale + _digits_to_int(digits[-low:])


_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\t": "\\t",
    "\r": "\\r",
    "\f": "\\f",
    "\v": "\\v",
    "\b": "\\b",
    "\a": "\\a",
    "\x1b": "\\e",
}


# Ruby 3.1's inspect prints every character its Unicode 13.0 tables call printable: all but
# controls (except U+0085), line/paragraph separators and unassigned code points, which become
# \uXXXX or \u{X}. Format characters, private use and NBSP-like spaces print as they are.
# Python >= 3.11 has newer tables, so the code points Unicode 14.0 to 15.1 assigned (Ruby 3.1 still
# sees them as unassigned) are listed here; Python's own category covers the rest.
_ASSIGNED_AFTER_UNICODE_13 = (
    (0x61D, 0x61D),
    (0x870, 0x88E),
    (0x890, 0x891),
    (0x898, 0x89F),
    (0x8B5, 0x8B5),
    (0x8C8, 0x8D2),
    (0xC3C, 0xC3C),
    (0xC5D, 0xC5D),
    (0xCDD, 0xCDD),
    (0xCF3, 0xCF3),
    (0xECE, 0xECE),
    (0x170D, 0x170D),
    (0x1715, 0x1715),
    (0x171F, 0x171F),
    (0x180F, 0x180F),
    (0x1AC1, 0x1ACE),
    (0x1B4C, 0x1B4C),
    (0x1B7D, 0x1B7E),
    (0x1DFA, 0x1DFA),
    (0x20C0, 0x20C0),
    (0x2C2F, 0x2C2F),
    (0x2C5F, 0x2C5F),
    (0x2E53, 0x2E5D),
    (0x2FFC, 0x2FFF),
    (0x31EF, 0x31EF),
    (0x9FFD, 0x9FFF),
    (0xA7C0, 0xA7C1),
    (0xA7D0, 0xA7D1),
    (0xA7D3, 0xA7D3),
    (0xA7D5, 0xA7D9),
    (0xA7F2, 0xA7F4),
    (0xFBC2, 0xFBC2),
    (0xFD40, 0xFD4F),
    (0xFDCF, 0xFDCF),
    (0xFDFE, 0xFDFF),
    (0x10570, 0x1057A),
    (0x1057C, 0x1058A),
    (0x1058C, 0x10592),
    (0x10594, 0x10595),
    (0x10597, 0x105A1),
    (0x105A3, 0x105B1),
    (0x105B3, 0x105B9),
    (0x105BB, 0x105BC),
    (0x10780, 0x10785),
    (0x10787, 0x107B0),
    (0x107B2, 0x107BA),
    (0x10EFD, 0x10EFF),
    (0x10F70, 0x10F89),
    (0x11070, 0x11075),
    (0x110C2, 0x110C2),
    (0x1123F, 0x11241),
    (0x116B9, 0x116B9),
    (0x11740, 0x11746),
    (0x11AB0, 0x11ABF),
    (0x11B00, 0x11B09),
    (0x11F00, 0x11F10),
    (0x11F12, 0x11F3A),
    (0x11F3E, 0x11F59),
    (0x12F90, 0x12FF2),
    (0x1342F, 0x1342F),
    (0x13439, 0x13455),
    (0x16A70, 0x16ABE),
    (0x16AC0, 0x16AC9),
    (0x1AFF0, 0x1AFF3),
    (0x1AFF5, 0x1AFFB),
    (0x1AFFD, 0x1AFFE),
    (0x1B11F, 0x1B122),
    (0x1B132, 0x1B132),
    (0x1B155, 0x1B155),
    (0x1CF00, 0x1CF2D),
    (0x1CF30, 0x1CF46),
    (0x1CF50, 0x1CFC3),
    (0x1D1E9, 0x1D1EA),
    (0x1D2C0, 0x1D2D3),
    (0x1DF00, 0x1DF1E),
    (0x1DF25, 0x1DF2A),
    (0x1E030, 0x1E06D),
    (0x1E08F, 0x1E08F),
    (0x1E290, 0x1E2AE),
    (0x1E4D0, 0x1E4F9),
    (0x1E7E0, 0x1E7E6),
    (0x1E7E8, 0x1E7EB),
    (0x1E7ED, 0x1E7EE),
    (0x1E7F0, 0x1E7FE),
    (0x1F6DC, 0x1F6DF),
    (0x1F774, 0x1F776),
    (0x1F77B, 0x1F77F),
    (0x1F7D9, 0x1F7D9),
    (0x1F7F0, 0x1F7F0),
    (0x1F979, 0x1F979),
    (0x1F9CC, 0x1F9CC),
    (0x1FA75, 0x1FA77),
    (0x1FA7B, 0x1FA7C),
    (0x1FA87, 0x1FA88),
    (0x1FAA9, 0x1FAAF),
    (0x1FAB7, 0x1FABD),
    (0x1FABF, 0x1FABF),
    (0x1FAC3, 0x1FAC5),
    (0x1FACE, 0x1FACF),
    (0x1FAD7, 0x1FADB),
    (0x1FAE0, 0x1FAE8),
    (0x1FAF0, 0x1FAF8),
    (0x2A6DE, 0x2A6DF),
    (0x2B735, 0x2B739),
    (0x2EBF0, 0x2EE5D),
    (0x31350, 0x323AF),
)
_NEW_STARTS = tuple(start for start, _ in _ASSIGNED_AFTER_UNICODE_13)


def _unprintable(char: str) -> bool:
    if char == "\x85":
        return False
    if unicodedata.category(char) in ("Cc", "Cn", "Cs", "Zl", "Zp"):
        return True
    index = bisect_right(_NEW_STARTS, ord(char)) - 1
    return index >= 0 and ord(char) <= _ASSIGNED_AFTER_UNICODE_13[index][1]


def _inspect_str(text: str) -> str:
    out = ['"']
    for index, char in enumerate(text):
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char == "#" and text[index + 1 : index + 2] in ("{", "$", "@"):
            out.append("\\#")
        elif (char < " " or char >= "\x7f") and _unprintable(char):
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
    if isinstance(value, bool):  # a JSON body's true/false
        return "true" if value else "false"
    if isinstance(value, int):  # multiparameter values cast with to_i, JSON numbers
        return str(value)
    if isinstance(value, float):
        return float_to_s(value)
    if isinstance(value, str):
        return _inspect_str(value)
    if isinstance(value, list):
        return "[" + ", ".join(inspect(v) for v in value) + "]"
    return "{" + ", ".join(f"{_inspect_str(k)}=>{inspect(v)}" for k, v in value.items()) + "}"


def float_to_s(value: float) -> str:
    """Ruby ``Float#to_s``: the shortest digits, fixed from 1e-4 up to below 1e15
    (``flo_to_s``: ``decpt`` in -3..15), else ``1.0e+15``; ``Infinity``, ``NaN``."""
    if math.isinf(value) or math.isnan(value):
        return "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"
    if value == 0 or 1e-4 <= abs(value) < 1e15:
        text = repr(value)  # Python is fixed over this whole range, and as short
        return text if "." in text else text + ".0"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    text = "".join(map(str, digits))
    power = len(text) - 1 + int(exponent)  # finite: an int
    return f"{'-' if sign else ''}{text[0]}.{text[1:] or '0'}e{'+' if power >= 0 else '-'}{abs(power):02}"


def class_name(value: object) -> str:
    """The Ruby class of a param value (Rack's, a JSON body's, a multiparameter cast's)."""
    if isinstance(value, str):
        return "String"
    if isinstance(value, bool):
        return "TrueClass" if value else "FalseClass"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    return "Array" if isinstance(value, list) else "Hash" if isinstance(value, dict) else "NilClass"

"""A pure-Python port of Ruby's ``String#to_date``, i.e. ``Date.parse(s, false)``.

Ransack casts date predicates with ``to_date`` and silently drops the condition
when Ruby raises, so the mock has to agree with Ruby on *which* strings are dates
and on *which* date they mean.  This module re-implements, in order, the
non-tight ``date__parse`` pipeline of ruby/date's ``date_parse.c`` and the
``d_new_by_frags`` validation of ``date_core.c``:

* preprocessing: every run of characters outside ``-+',./:@``, ``[`` ``]`` and
  ``[[:alnum:]]`` becomes one space;
* the sub-parsers (day, time, eu, us, iso, jis, vms, sla, dot, iso2, year, mon,
  mday, ddd, then bc and frag), each gated on the character classes still in
  the string, each blanking what it consumed so that later parsers skip it;
* ``comp=false``: two-digit years stay as they are (``15-01-01`` is year 15);
* fragments are completed from *today* (``Jan 5`` takes the current year), then
  validated as jd / ordinal / civil / commercial / week-number dates with
  ``Date::ITALY`` as the calendar reform, exactly like Ruby.  Dates before
  1582-10-15 are therefore **Julian** (``1000-02-29`` is valid, ``1582-10-10``
  does not exist) and the tuple returned is Ruby's own (year, month, day).

Known approximations (all need non-ASCII input): Onigmo's Unicode
``[[:alnum:]]``/``[[:alpha:]]``/``\\b`` and multi-character case folding are
approximated with :mod:`unicodedata` and Python's ``re``.
"""

from __future__ import annotations

import datetime
import math
import re
import unicodedata
from collections.abc import Callable

__all__ = ["ruby_to_date"]

# Date._parse refuses strings longer than this many *bytes* with ArgumentError
# (the ``limit:`` option, 128 by default).  Ransack's cast is ``to_date rescue
# nil``, so an over-long value is dropped exactly like an invalid one.
_LIMIT = 128

_ITALY = 2299161  # Date::ITALY, the default start: 1582-10-15 (Gregorian).
_JULIAN = math.inf  # a "start" that is never reached: proleptic Julian
_GREGORIAN = -math.inf  # a "start" that is always passed: proleptic Gregorian
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1

Hash = dict[str, int]


class _RubyError(Exception):
    """Any exception Ruby would raise here (Date::Error, ArgumentError, RangeError)."""


# --------------------------------------------------------------------------- #
# Regular expressions, written as in date_parse.c                              #
# --------------------------------------------------------------------------- #

_WS = r" \t\n\x0b\f\r"  # Ruby's \s is ASCII-only, unlike Python's
_ABBR_DAYS = "sun|mon|tue|wed|thu|fri|sat"
_ABBR_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"
_ERA = r"c(?:e|\.e\.)|b(?:ce|\.c\.e\.)|a(?:d|\.d\.)|b(?:c|\.c\.)"
_I = re.IGNORECASE


def _ruby_rx(source: str, flags: int = 0) -> re.Pattern[str]:
    r"""Compile an Onigmo pattern: make \d \D \s \S ASCII-only, and {ALPHA} [[:alpha:]]."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(source):
        c = source[i]
        if c == "\\":
            e = source[i + 1]
            body = {"d": "0-9", "s": _WS}.get(e.lower())
            if body is None:
                out.append(source[i : i + 2])
            elif in_class:
                out.append(body)  # only \d and \s occur inside classes
            else:
                out.append(("[^" if e.isupper() else "[") + body + "]")
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
            if source.startswith("[^", i):
                out.append("[^")
                i += 2
                continue
        elif c == "]" and in_class:
            in_class = False
        out.append(c)
        i += 1
    # Python's [^\W\d_] (Unicode letters) stands in for Onigmo's [[:alpha:]].
    return re.compile("".join(out).replace("{ALPHA}", r"[^\W\d_]"), flags)


_PAT_DAY = _ruby_rx(r"\b(" + _ABBR_DAYS + r")[^-/\d\s]*", _I)
_PAT_TIME = _ruby_rx(
    r"("
    r"(?:\d+\s*:\s*\d+(?:\s*:\s*\d+(?:[,.]\d*)?)?|\d+\s*h(?:\s*\d+m?(?:\s*\d+s?)?)?)"
    r"(?:\s*[ap](?:m\b|\.m\.))?"
    r"|\d+\s*[ap](?:m\b|\.m\.)"
    r")"
    r"(?:\s*("
    r"(?:gmt|utc?)?[-+]\d+(?:[,.:]\d+(?::\d+)?)?"
    r"|(?-i:(?:{ALPHA}|[.\s])+)(?:standard|daylight)\stime\b"
    r"|(?-i:{ALPHA}+)(?:\sdst)?\b"
    r"))?",
    _I,
)
_PAT_TIME2 = _ruby_rx(
    r"\A(\d+)h?(?:\s*:?\s*(\d+)m?(?:\s*:?\s*(\d+)(?:[,.](\d+))?s?)?)?"
    r"(?:\s*([ap])(?:m\b|\.m\.))?",
    _I,
)
_PAT_EU = _ruby_rx(
    r"('?\d+)[^-\d\s]*\s*(" + _ABBR_MONTHS + r")[^-\d\s']*"
    r"(?:\s*(" + _ERA + r")?\s*('?-?\d+(?:(?:st|nd|rd|th)\b)?))?",
    _I,
)
_PAT_US = _ruby_rx(
    r"\b(" + _ABBR_MONTHS + r")[^-\d\s']*\s*('?\d+)[^-\d\s']*"
    r"(?:\s*,?\s*(" + _ERA + r")?\s*('?-?\d+))?",
    _I,
)
_PAT_ISO = _ruby_rx(r"('?[-+]?\d+)-(\d+)-('?-?\d+)")
_PAT_ISO21 = _ruby_rx(r"\b(\d{2}|\d{4})?-?w(\d{2})(?:-?(\d))?\b", _I)
_PAT_ISO22 = _ruby_rx(r"-w-(\d)\b", _I)
_PAT_ISO23 = _ruby_rx(r"--(\d{2})?-(\d{2})\b")
_PAT_ISO24 = _ruby_rx(r"--(\d{2})(\d{2})?\b")
_PAT_ISO25_GUARD = _ruby_rx(r"[,.](\d{2}|\d{4})-\d{3}\b")
_PAT_ISO25 = _ruby_rx(r"\b(\d{2}|\d{4})-(\d{3})\b")
_PAT_ISO26_GUARD = _ruby_rx(r"\d-\d{3}\b")
_PAT_ISO26 = _ruby_rx(r"\b-(\d{3})\b")
_PAT_JIS = _ruby_rx(r"\b([mtshr])(\d+)\.(\d+)\.(\d+)", _I)
_PAT_VMS11 = _ruby_rx(r"('?-?\d+)-(" + _ABBR_MONTHS + r")[^-/.]*-('?-?\d+)", _I)
_PAT_VMS12 = _ruby_rx(r"\b(" + _ABBR_MONTHS + r")[^-/.]*-('?-?\d+)(?:-('?-?\d+))?", _I)
_PAT_SLA = _ruby_rx(r"('?-?\d+)/\s*('?\d+)(?:\D\s*('?-?\d+))?", _I)
_PAT_DOT = _ruby_rx(r"('?-?\d+)\.\s*('?\d+)\.\s*('?-?\d+)", _I)
_PAT_YEAR = _ruby_rx(r"'(\d+)\b")
_PAT_MON = _ruby_rx(r"\b(" + _ABBR_MONTHS + r")\S*", _I)
_PAT_MDAY = _ruby_rx(r"(\d+)(st|nd|rd|th)\b", _I)
_PAT_DDD = _ruby_rx(
    r"([-+]?)(\d{2,14})(?:\s*t?\s*(\d{2,6})?(?:[,.](\d*))?)?"
    r"(?:\s*(z\b|[-+]\d{1,4}\b|\[[-+]?\d[^\]]*\]))?",
    _I,
)
_PAT_BC = _ruby_rx(r"\b(bc\b|bce\b|b\.c\.|b\.c\.e\.)", _I)
_PAT_FRAG = _ruby_rx(r"\A\s*(\d{1,2})\s*\Z", _I)  # Ruby's \z is Python's \Z

_MONTH_ABBRS = _ABBR_MONTHS.split("|")
_DAY_ABBRS = _ABBR_DAYS.split("|")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_GENGO = {"m": 1867, "t": 1911, "s": 1925, "h": 1988, "r": 2018}
_KEEP_ASCII = frozenset("-+',./:@[]0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DIGITS = frozenset("0123456789")

_HAVE_ALPHA, _HAVE_DIGIT, _HAVE_DASH, _HAVE_DOT, _HAVE_SLASH = 1, 2, 4, 8, 16


# --------------------------------------------------------------------------- #
# String helpers                                                               #
# --------------------------------------------------------------------------- #


def _bytelen(s: str) -> int:
    """Ruby measures RSTRING_LEN in bytes; the caller's strings are UTF-8."""
    return len(s.encode("utf-8", "surrogatepass"))


def _unicode_alnum(c: str) -> bool:
    """Approximate Onigmo's Unicode ``[[:alnum:]]`` (Alphabetic or Nd) for non-ASCII."""
    cat = unicodedata.category(c)
    if cat[0] == "L" or cat in ("Nd", "Nl", "Mc"):
        return True
    o = ord(c)
    if cat == "Mn":  # Other_Alphabetic marks, but not the generic combining diacritics
        return o == 0x345 or not (
            0x300 <= o <= 0x36F
            or 0x1AB0 <= o <= 0x1AFF
            or 0x1DC0 <= o <= 0x1DFF
            or 0x20D0 <= o <= 0x20FF
            or 0xFE20 <= o <= 0xFE2F
        )
    if cat == "So":  # circled / squared Latin letters are Other_Alphabetic
        return 0x24B6 <= o <= 0x24E9 or 0x1F130 <= o <= 0x1F189
    return False


def _preprocess(s: str) -> str:
    """``str.gsub(/[^-+',.\\/:@[:alnum:]\\[\\]]+/, ' ')``: each foreign run becomes one space."""
    out: list[str] = []
    in_run = False
    for c in s:
        if c in _KEEP_ASCII or (c > "\x7f" and _unicode_alnum(c)):
            out.append(c)
            in_run = False
        elif not in_run:
            out.append(" ")
            in_run = True
    return "".join(out)


def _check_class(s: str) -> int:
    """The HAVE_* flags of ``check_class``: ASCII letters/digits, ``-``, ``.``, ``/``."""
    flags = 0
    for c in s:
        if c < "\x80":
            if c.isalpha():
                flags |= _HAVE_ALPHA
            elif c in _DIGITS:
                flags |= _HAVE_DIGIT
            elif c == "-":
                flags |= _HAVE_DASH
            elif c == ".":
                flags |= _HAVE_DOT
            elif c == "/":
                flags |= _HAVE_SLASH
    return flags


def _abbr_index(s: str, table: list[str]) -> int:
    """``strncasecmp`` over the first 3 characters (ASCII-only case folding)."""
    key = s[:3].translate(_ASCII_LOWER)
    return table.index(key) if key in table else len(table)


def _mon_num(s: str) -> int:
    return _abbr_index(s, _MONTH_ABBRS) + 1


def _day_num(s: str) -> int:
    return _abbr_index(s, _DAY_ABBRS)


def _cstr2num(s: str) -> int:
    """``rb_cstr_to_inum(s, 10, 0)`` on a sign-plus-digits slice ("-" alone is 0)."""
    digits = s.lstrip("+-")
    if not digits:
        return 0
    return -int(digits) if s[0] == "-" else int(digits)


def _lead_number(s: str, signed: bool) -> tuple[int, int] | None:
    """Slice bounds of s3e's number: the first run of [sign]digits, if any."""
    for i, c in enumerate(s):
        if c in _DIGITS or (signed and c in "+-"):
            j = i + 1 if c in "+-" else i
            while j < len(s) and s[j] in _DIGITS:
                j += 1
            return i, j
    return None


# --------------------------------------------------------------------------- #
# date__parse                                                                  #
# --------------------------------------------------------------------------- #


class _Parse:
    """The mutable string and fragment hash that ``date__parse`` threads through."""

    def __init__(self, s: str) -> None:
        self.s = _preprocess(s)
        self.h: Hash = {}

    def have(self, flags: int) -> bool:
        """HAVE_ELEM_P, re-evaluated on the *current* (partly blanked) string."""
        return _check_class(self.s) & flags == flags

    def subx(self, pat: re.Pattern[str]) -> re.Match[str] | None:
        """Match, and blank the match with one space so later parsers skip it."""
        m = pat.search(self.s)
        if m is not None:
            self.s = self.s[: m.start()] + " " + self.s[m.end() :]
        return m

    # -- s3e ---------------------------------------------------------------- #

    def s3e(self, y: str | None, m: str | None, d: str | None, bc: bool) -> None:
        """Assign year/mon/mday from three loosely-ordered tokens (Ruby's heuristics)."""
        if y is not None and m is not None and d is None:
            y, m, d = None, y, m
        if y is None:
            if d is not None and _bytelen(d) > 2:
                y, d = d, None
            if d is not None and d[:1] == "'":
                y, d = d, None
        if y is not None:
            found = _lead_number(y, signed=True)
            if found is not None and found[1] < len(y):
                y, d = d, y[found[0] : found[1]]  # type: ignore[index]  # y is a str here
        if m is not None and (m[:1] == "'" or _bytelen(m) > 2):
            y, m, d = m, d, y  # us -> be
        if d is not None and (d[:1] == "'" or _bytelen(d) > 2):
            y, d = d, y
        h = self.h
        if y is not None:
            found = _lead_number(y, signed=True)
            if found is not None:
                h["year"] = _cstr2num(y[found[0] : found[1]])
        if bc:
            h["_bc"] = 1
        if m is not None:
            found = _lead_number(m, signed=False)
            if found is not None:
                h["mon"] = int(m[found[0] : found[1]])
        if d is not None:
            found = _lead_number(d, signed=False)
            if found is not None:
                h["mday"] = int(d[found[0] : found[1]])

    # -- sub-parsers ------------------------------------------------------- #

    def day(self) -> bool:
        m = self.subx(_PAT_DAY)
        if m is None:
            return False
        self.h["wday"] = _day_num(m.group(1))
        return True

    def time(self) -> bool:
        m = self.subx(_PAT_TIME)
        if m is None:
            return False
        t = _PAT_TIME2.match(m.group(1))
        if t is not None:
            hour = int(t.group(1))
            if t.group(5) is not None:
                if hour > _INT_MAX:  # NUM2INT raises RangeError
                    raise _RubyError("hour out of int range")
                hour = hour % 12 + (12 if t.group(5) in "Pp" else 0)
            self.h["hour"] = hour
            if t.group(2) is not None:
                self.h["min"] = int(t.group(2))
            if t.group(3) is not None:
                self.h["sec"] = int(t.group(3))
        return True

    def _era_bc(self, era: str | None) -> bool:
        return era is not None and era[0] in "Bb"

    def eu(self) -> bool:
        m = self.subx(_PAT_EU)
        if m is None:
            return False
        d, mon, era, y = m.groups()
        self.s3e(y, str(_mon_num(mon)), d, self._era_bc(era))
        return True

    def us(self) -> bool:
        m = self.subx(_PAT_US)
        if m is None:
            return False
        mon, d, era, y = m.groups()
        self.s3e(y, str(_mon_num(mon)), d, self._era_bc(era))
        return True

    def iso(self) -> bool:
        m = self.subx(_PAT_ISO)
        if m is None:
            return False
        self.s3e(m.group(1), m.group(2), m.group(3), False)
        return True

    def iso2(self) -> bool:
        h = self.h
        m = self.subx(_PAT_ISO21)
        if m is not None:
            if m.group(1) is not None:
                h["cwyear"] = int(m.group(1))
            h["cweek"] = int(m.group(2))
            if m.group(3) is not None:
                h["cwday"] = int(m.group(3))
            return True
        m = self.subx(_PAT_ISO22)
        if m is not None:
            h["cwday"] = int(m.group(1))
            return True
        m = self.subx(_PAT_ISO23)
        if m is not None:
            if m.group(1) is not None:
                h["mon"] = int(m.group(1))
            h["mday"] = int(m.group(2))
            return True
        m = self.subx(_PAT_ISO24)
        if m is not None:
            h["mon"] = int(m.group(1))
            if m.group(2) is not None:
                h["mday"] = int(m.group(2))
            return True
        if _PAT_ISO25_GUARD.search(self.s) is None:
            m = self.subx(_PAT_ISO25)
            if m is not None:
                h["year"] = int(m.group(1))
                h["yday"] = int(m.group(2))
                return True
        if _PAT_ISO26_GUARD.search(self.s) is None:
            m = self.subx(_PAT_ISO26)
            if m is not None:
                h["yday"] = int(m.group(1))
                return True
        return False

    def jis(self) -> bool:
        m = self.subx(_PAT_JIS)
        if m is None:
            return False
        era, y, mon, d = m.groups()
        self.h["year"] = int(y) + _GENGO.get(era.translate(_ASCII_LOWER), 0)
        self.h["mon"] = int(mon)
        self.h["mday"] = int(d)
        return True

    def vms(self) -> bool:
        m = self.subx(_PAT_VMS11)
        if m is not None:
            d, mon, y = m.groups()
            self.s3e(y, str(_mon_num(mon)), d, False)
            return True
        m = self.subx(_PAT_VMS12)
        if m is not None:
            mon, d, y = m.groups()
            self.s3e(y, str(_mon_num(mon)), d, False)
            return True
        return False

    def sla(self) -> bool:
        m = self.subx(_PAT_SLA)
        if m is None:
            return False
        self.s3e(m.group(1), m.group(2), m.group(3), False)
        return True

    def dot(self) -> bool:
        m = self.subx(_PAT_DOT)
        if m is None:
            return False
        self.s3e(m.group(1), m.group(2), m.group(3), False)
        return True

    def year(self) -> bool:
        m = self.subx(_PAT_YEAR)
        if m is None:
            return False
        self.h["year"] = int(m.group(1))
        return True

    def mon(self) -> bool:
        m = self.subx(_PAT_MON)
        if m is None:
            return False
        self.h["mon"] = _mon_num(m.group(1))
        return True

    def mday(self) -> bool:
        m = self.subx(_PAT_MDAY)
        if m is None:
            return False
        self.h["mday"] = int(m.group(1))
        return True

    def ddd(self) -> bool:
        m = self.subx(_PAT_DDD)
        if m is None:
            return False
        sign, s2, s3, s4 = m.group(1), m.group(2), m.group(3), m.group(4)
        h = self.h
        neg = sign == "-"
        as_time = s3 is None and s4 is not None  # trailing [,.] fraction: digits are a time
        n = len(s2)

        def num(f: int, w: int) -> int:
            return int(s2[f : f + w])

        def yr(v: int) -> int:
            return -v if neg else v

        if n == 2:
            h["sec" if as_time else "mday"] = num(0, 2)
        elif n == 4:
            if as_time:
                h["sec"], h["min"] = num(2, 2), num(0, 2)
            else:
                h["mon"], h["mday"] = num(0, 2), num(2, 2)
        elif n == 6:
            if as_time:
                h["sec"], h["min"], h["hour"] = num(4, 2), num(2, 2), num(0, 2)
            else:
                h["year"], h["mon"], h["mday"] = yr(num(0, 2)), num(2, 2), num(4, 2)
        elif n in (8, 10, 12, 14):
            if as_time:
                h["sec"], h["min"] = num(n - 2, 2), num(n - 4, 2)
                h["hour"], h["mday"] = num(n - 6, 2), num(n - 8, 2)
                if n >= 10:
                    h["mon"] = num(n - 10, 2)
                if n == 12:
                    h["year"] = yr(num(0, 2))
                if n == 14:
                    h["year"] = yr(num(0, 4))
            else:
                h["year"], h["mon"], h["mday"] = yr(num(0, 4)), num(4, 2), num(6, 2)
                if n >= 10:
                    h["hour"] = num(8, 2)
                if n >= 12:
                    h["min"] = num(10, 2)
                if n >= 14:
                    h["sec"] = num(12, 2)
        elif n == 3:
            if as_time:
                h["sec"], h["min"] = num(1, 2), num(0, 1)
            else:
                h["yday"] = num(0, 3)
        elif n == 5:
            if as_time:
                h["sec"], h["min"], h["hour"] = num(3, 2), num(1, 2), num(0, 1)
            else:
                h["year"], h["yday"] = yr(num(0, 2)), num(2, 3)
        elif n == 7:
            if as_time:
                h["sec"], h["min"] = num(5, 2), num(3, 2)
                h["hour"], h["mday"] = num(1, 2), num(0, 1)
            else:
                h["year"], h["yday"] = yr(num(0, 4)), num(4, 3)
        if s3 is not None and len(s3) in (2, 4, 6):
            l3 = len(s3)
            if s4 is not None:
                h["sec"] = int(s3[l3 - 2 :])
                if l3 >= 4:
                    h["min"] = int(s3[l3 - 4 : l3 - 2])
                if l3 >= 6:
                    h["hour"] = int(s3[:2])
            else:
                h["hour"] = int(s3[:2])
                if l3 >= 4:
                    h["min"] = int(s3[2:4])
                if l3 >= 6:
                    h["sec"] = int(s3[4:6])
        return True

    def bc(self) -> None:
        if self.subx(_PAT_BC) is not None:
            self.h["_bc"] = 1

    def frag(self) -> None:
        m = self.subx(_PAT_FRAG)
        if m is None:
            return
        h = self.h
        n = int(m.group(1))
        if "hour" in h and "mday" not in h and 1 <= n <= 31:
            h["mday"] = n
        if "mday" in h and "hour" not in h and 0 <= n <= 24:
            h["hour"] = n


def _date__parse(s: str) -> Hash:
    """Ruby's ``Date._parse(s, false)``: the fragment hash (time-zone offset omitted)."""
    p = _Parse(s)
    if p.have(_HAVE_ALPHA):
        p.day()
    if p.have(_HAVE_DIGIT):
        p.time()
    steps: tuple[tuple[int, Callable[[], bool]], ...] = (
        (_HAVE_ALPHA | _HAVE_DIGIT, p.eu),
        (_HAVE_ALPHA | _HAVE_DIGIT, p.us),
        (_HAVE_DIGIT | _HAVE_DASH, p.iso),
        (_HAVE_DIGIT | _HAVE_DOT, p.jis),
        (_HAVE_ALPHA | _HAVE_DIGIT | _HAVE_DASH, p.vms),
        (_HAVE_DIGIT | _HAVE_SLASH, p.sla),
        (_HAVE_DIGIT | _HAVE_DOT, p.dot),
        (_HAVE_DIGIT, p.iso2),
        (_HAVE_DIGIT, p.year),
        (_HAVE_ALPHA, p.mon),
        (_HAVE_DIGIT, p.mday),
        (_HAVE_DIGIT, p.ddd),
    )
    for flags, step in steps:  # the first parser that matches wins ("goto ok")
        if p.have(flags) and step():
            break
    if p.have(_HAVE_ALPHA):
        p.bc()
    if p.have(_HAVE_DIGIT):
        p.frag()
    h = p.h
    if h.pop("_bc", 0):
        for key in ("cwyear", "year"):
            if key in h:
                h[key] = 1 - h[key]
    return h


# --------------------------------------------------------------------------- #
# Calendar arithmetic (date_core.c's c_* functions, in exact integers)         #
# --------------------------------------------------------------------------- #


def _civil_to_jd(y: int, m: int, d: int, sg: float) -> int:
    """Julian day of a civil date; Gregorian unless that lands before ``sg``."""
    if m <= 2:
        y -= 1
        m += 12
    a = y // 100
    b = 2 - a + a // 4
    jd = (1461 * (y + 4716)) // 4 + (306001 * (m + 1)) // 10000 + d + b - 1524
    if jd < sg:
        jd -= b
    return jd


def _jd_to_civil(jd: int, sg: float) -> tuple[int, int, int]:
    if jd < sg:
        a = jd
    else:
        x = (4 * jd - 7468865) // 146097
        a = jd + 1 + x - x // 4
    b = a + 1524
    c = (20 * b - 2442) // 7305
    d = (1461 * c) // 4
    e = (10000 * (b - d)) // 306001
    dom = b - d - (306001 * e) // 10000
    if e <= 13:
        return c - 4716, e - 1, dom
    return c - 4715, e - 13, dom


def _c_valid_civil(y: int, m: int, d: int, sg: float) -> int | None:
    if m < 0:
        m += 13
    if m < 1 or m > 12:
        return None
    if d < 0:
        last = _find_last(y, m, sg)
        if last is None:
            return None
        ry, rm, rd = _jd_to_civil(last + d + 1, sg)
        if ry != y or rm != m:
            return None
        d = rd
    jd = _civil_to_jd(y, m, d, sg)
    if _jd_to_civil(jd, sg) != (y, m, d):
        return None
    return jd


def _find_last(y: int, m: int, sg: float) -> int | None:
    """c_find_ldom: jd of the last existing day of a month (c_find_ldoy for m=12)."""
    for i in range(30):
        jd = _c_valid_civil(y, m, 31 - i, sg)
        if jd is not None:
            return jd
    return None


def _find_fdoy(y: int, sg: float) -> int:
    for d in range(1, 31):
        jd = _c_valid_civil(y, 1, d, sg)
        if jd is not None:
            return jd
    raise _RubyError("no first day of year")  # unreachable for real calendars


def _jd_to_ordinal(jd: int, sg: float) -> tuple[int, int]:
    y = _jd_to_civil(jd, sg)[0]
    return y, jd - _find_fdoy(y, sg) + 1


def _c_valid_ordinal(y: int, d: int, sg: float) -> int | None:
    if d < 0:
        last = _find_last(y, 12, sg)
        if last is None:
            return None
        ry, rd = _jd_to_ordinal(last + d + 1, sg)
        if ry != y:
            return None
        d = rd
    jd = _find_fdoy(y, sg) + d - 1
    if _jd_to_ordinal(jd, sg) != (y, d):
        return None
    return jd


def _commercial_to_jd(y: int, w: int, d: int, sg: float) -> int:
    j = _find_fdoy(y, sg) + 3
    return (j - j % 7) + 7 * (w - 1) + (d - 1)


def _jd_to_commercial(jd: int, sg: float) -> tuple[int, int, int]:
    a = _jd_to_civil(jd - 3, sg)[0]
    j = _commercial_to_jd(a + 1, 1, 1, sg)
    if jd >= j:
        ry = a + 1
    else:
        j = _commercial_to_jd(a, 1, 1, sg)
        ry = a
    rd = (jd + 1) % 7
    return ry, 1 + (jd - j) // 7, rd or 7


def _c_valid_commercial(y: int, w: int, d: int, sg: float) -> int | None:
    if d < 0:
        d += 8
    if w < 0:
        ry, rw, _ = _jd_to_commercial(_commercial_to_jd(y + 1, 1, 1, sg) + w * 7, sg)
        if ry != y:
            return None
        w = rw
    jd = _commercial_to_jd(y, w, d, sg)
    if _jd_to_commercial(jd, sg) != (y, w, d):
        return None
    return jd


def _weeknum_to_jd(y: int, w: int, d: int, f: int, sg: float) -> int:
    j = _find_fdoy(y, sg) + 6
    return (j - ((j - f) + 1) % 7 - 7) + 7 * w + d


def _jd_to_weeknum(jd: int, f: int, sg: float) -> tuple[int, int, int]:
    y = _jd_to_civil(jd, sg)[0]
    j = _find_fdoy(y, sg) + 6
    k = jd - (j - ((j - f) + 1) % 7) + 7
    return y, k // 7, k % 7


def _c_valid_weeknum(y: int, w: int, d: int, f: int, sg: float) -> int | None:
    if d < 0:
        d += 7
    if w < 0:
        ry, rw, _ = _jd_to_weeknum(_weeknum_to_jd(y + 1, 1, f, f, sg) + w * 7, f, sg)
        if ry != y:
            return None
        w = rw
    jd = _weeknum_to_jd(y, w, d, f, sg)
    if _jd_to_weeknum(jd, f, sg) != (y, w, d):
        return None
    return jd


def _style(y: int) -> float:
    """guess_style: pure Julian before 1582, pure Gregorian after 1930, else ITALY."""
    if y < 1582:
        return _JULIAN
    if y > 1930:
        return _GREGORIAN
    return _ITALY


def _num2int(v: int) -> int:
    """NUM2INT: Ruby raises RangeError for values outside a C int."""
    if not _INT_MIN <= v <= _INT_MAX:
        raise _RubyError("integer out of int range")
    return v


def _valid_civil(y: int, m: int, d: int) -> int | None:
    m, d = _num2int(m), _num2int(d)
    sg = _style(y)
    if sg == _ITALY:
        return _c_valid_civil(y, m, d, sg)
    if m < 0:
        m += 13
    if m < 1 or m > 12:
        return None
    leap = y % 4 == 0 and (sg == _JULIAN or y % 100 != 0 or y % 400 == 0)
    last = (0, 31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[m]
    if d < 0:
        d = last + d + 1
    if d < 1 or d > last:
        return None
    return _civil_to_jd(y, m, d, sg)


def _valid_ordinal(y: int, d: int) -> int | None:
    return _c_valid_ordinal(y, _num2int(d), _style(y))


def _valid_commercial(y: int, w: int, d: int) -> int | None:
    return _c_valid_commercial(y, _num2int(w), _num2int(d), _style(y))


def _valid_weeknum(y: int, w: int, d: int, f: int) -> int | None:
    return _c_valid_weeknum(y, _num2int(w), _num2int(d), f, _style(y))


# --------------------------------------------------------------------------- #
# d_new_by_frags                                                               #
# --------------------------------------------------------------------------- #

_TIME = ("hour", "min", "sec")
_COMPLETION_TABLE: tuple[tuple[str | None, tuple[str, ...]], ...] = (
    ("time", _TIME),
    (None, ("jd",)),
    ("ordinal", ("year", "yday", *_TIME)),
    ("civil", ("year", "mon", "mday", *_TIME)),
    ("commercial", ("cwyear", "cweek", "cwday", *_TIME)),
    ("wday", ("wday", *_TIME)),
    ("wnum0", ("year", "wnum0", "wday", *_TIME)),
    ("wnum1", ("year", "wnum1", "wday", *_TIME)),
    (None, ("cwyear", "cweek", "wday", *_TIME)),
    (None, ("year", "wnum0", "cwday", *_TIME)),
    (None, ("year", "wnum1", "cwday", *_TIME)),
)


def _today_fields(t: datetime.date) -> Hash:
    """The attributes of Date.today that rt_complete_frags may copy."""
    jd = t.toordinal() + 1721425
    cwyear, cweek, cwday = t.isocalendar()
    return {
        "jd": jd,
        "year": t.year,
        "mon": t.month,
        "mday": t.day,
        "wday": (t.weekday() + 1) % 7,
        "cwyear": cwyear,
        "cweek": cweek,
        "cwday": cwday,
        "wnum0": _jd_to_weeknum(jd, 0, _ITALY)[1],
        "wnum1": _jd_to_weeknum(jd, 1, _ITALY)[1],
        "hour": 0,  # Date's private #hour/#min/#sec
        "min": 0,
        "sec": 0,
    }


def _complete_frags(h: Hash, day: datetime.date) -> None:
    """rt_complete_frags: pick the best-covered pattern and fill its gaps from today."""
    best, kind = 0, None
    keys: tuple[str, ...] = ()
    for k, a in _COMPLETION_TABLE:
        n = sum(1 for key in a if key in h)
        if n > best:
            best, kind, keys = n, k, a
    if kind is None or kind == "time" or len(keys) <= best:
        return  # "time" only yields a jd for DateTime, never for Date
    today = _today_fields(day)
    if kind == "ordinal":
        h.setdefault("year", today["year"])
        h.setdefault("yday", 1)
    elif kind == "wday":
        h["jd"] = today["jd"] - today["wday"] + h["wday"]
    else:
        for key in keys:  # leading gaps come from today, up to the first given field
            if key in h:
                break
            h[key] = today[key]
        defaults: tuple[tuple[str, int], ...] = {
            "civil": (("mon", 1), ("mday", 1)),
            "commercial": (("cweek", 1), ("cwday", 1)),
            "wnum0": (("wnum0", 0), ("wday", 0)),
            "wnum1": (("wnum1", 0), ("wday", 1)),
        }[kind]
        for key, value in defaults:
            h.setdefault(key, value)


def _valid_date_frags(h: Hash) -> int | None:
    """rt__valid_date_frags_p: the first fragment family that forms a valid date."""
    if "jd" in h:
        return h["jd"]
    if "yday" in h and "year" in h:
        jd = _valid_ordinal(h["year"], h["yday"])
        if jd is not None:
            return jd
    if "mday" in h and "mon" in h and "year" in h:
        jd = _valid_civil(h["year"], h["mon"], h["mday"])
        if jd is not None:
            return jd
    wday = h.get("cwday")
    if wday is None and "wday" in h:
        wday = h["wday"] or 7
    if wday is not None and "cweek" in h and "cwyear" in h:
        jd = _valid_commercial(h["cwyear"], h["cweek"], wday)
        if jd is not None:
            return jd
    wday = h.get("wday")
    if wday is None and "cwday" in h:
        wday = 0 if h["cwday"] == 7 else h["cwday"]
    if wday is not None and "wnum0" in h and "year" in h:
        jd = _valid_weeknum(h["year"], h["wnum0"], wday, 0)
        if jd is not None:
            return jd
    wday = h.get("wday", h.get("cwday"))
    if wday is not None:
        wday = (wday - 1) % 7
    if wday is not None and "wnum1" in h and "year" in h:
        jd = _valid_weeknum(h["year"], h["wnum1"], wday, 1)
        if jd is not None:
            return jd
    return None


def _new_by_frags(h: Hash, today: datetime.date) -> int | None:
    """d_new_by_frags with start=ITALY: a julian day number, or None for Date::Error."""
    if "jd" not in h and "yday" not in h and all(k in h for k in ("year", "mon", "mday")):
        return _valid_civil(h["year"], h["mon"], h["mday"])
    # rt_rewrite_frags only acts on :seconds, which date__parse never produces.
    _complete_frags(h, today)
    return _valid_date_frags(h)


def ruby_to_date(s: str, today: datetime.date, limited: bool = True) -> tuple[int, int, int] | None:
    """(year, month, day) as Ruby's String#to_date gives it, or None where Ruby raises Date::Error.

    ``today`` is Ruby's Date.today, from which an incomplete date (``Jan 5``) takes its gaps.
    ``limited``: the 128-character limit of CVE-2021-41817's fix (Ruby 2.6.9/2.7.5/3.0.3);
    older Rubies parse any length.
    """
    if any("\ud800" <= c <= "\udfff" for c in s):
        return None  # broken UTF-8: Ruby's regexp match raises ArgumentError
    if limited and _bytelen(s) > _LIMIT:
        return None  # ArgumentError: string length exceeds the limit 128
    try:
        jd = _new_by_frags(_date__parse(s), today)
    except _RubyError:
        return None
    if jd is None:
        return None
    return _jd_to_civil(jd, _ITALY)


def ruby_date_new(year: int, month: int, day: int) -> tuple[int, int, int] | None:
    """``Date.new(year, month, day)`` (negative month/day count from the end), or None on error.

    Ransack casts a multiparameter date (``d(1i)=2015&d(2i)=1``) this way.
    """
    try:
        jd = _valid_civil(year, month, day)
    except _RubyError:
        return None
    return None if jd is None else _jd_to_civil(jd, _ITALY)

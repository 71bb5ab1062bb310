"""Truth tables and properties for ``mockserver.engine.ruby`` (Ruby 3.1 and ActiveSupport semantics).

The expected values were produced by real Ruby 3.1.2 with ActiveSupport 6.1.7.10 (Debian
packages) on 2026-11-27: ``String#strip``, ``Object#blank?``, ``String#to_i`` and ``#inspect``
with Encoding.default_external/internal set to UTF-8 as Rails sets them. To re-check or extend
them, add a row and run ``.venv/bin/python tools/ruby_oracle/regen.py --write`` on a machine
with Ruby (CI has none and only replays the tables). Beyond these rows, blank?, strip, to_i and
inspect were compared with Ruby on every non-surrogate code point (tools/ruby_oracle/oracle.py).
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mockserver.engine import ruby
from mockserver.engine.rack import ParamValue

STRIP_CASES: list[tuple[str, object]] = [
    ("", ""),
    (" ", ""),
    ("  a  ", "a"),
    ("\ta\n", "a"),
    ("\va\f", "a"),
    ("\ra\r", "a"),
    ("\x00a\x00", "a"),
    ("\x00 a \x00", "a"),
    (" \x00 ", ""),
    ("a\x00b", "a\x00b"),
    ("a b", "a b"),
    ("\xa0a\xa0", "\xa0a\xa0"),
    ("\u2003a\u3000", "\u2003a\u3000"),
    ("\x85a\x85", "\x85a\x85"),
    ("\u200ba\ufeff", "\u200ba\ufeff"),
    ("\x1ca\x1f", "\x1ca\x1f"),
    ("\n\n", ""),
    (" WHMIS ", "WHMIS"),
    ("80 ", "80"),
    (" 2015-01-01 ", "2015-01-01"),
    ("\t \n\v\f\r\x00x\x00\r\f\v\n \t", "x"),
]

# String#downcase, as real Ruby 3.1.2 answered (checked on 2026-12-07): per character, no final
# sigma, a dotted capital I keeps its dot, and Unicode 14's new capitals (U+2C2F) unchanged.
DOWNCASE_CASES: list[tuple[str, str]] = [
    ("ÀÉÎ", "àéî"),
    ("ẞ", "ß"),
    ("ǅ", "ǆ"),
    ("\u2c2f", "\u2c2f"),
    ("ΑΣ", "ασ"),
    ("ΣΑ", "σα"),
    ("İSTANBUL", "i\u0307stanbul"),
    ("ὈΔΥΣΣΕΎΣ", "ὀδυσσεύσ"),
]
BLANK_CASES: list[tuple[ParamValue, object]] = [
    ("", True),
    (" ", True),
    ("\t\n\v\f\r", True),
    ("\xa0", True),
    ("\u2003", True),
    ("\u3000", True),
    ("\x85", True),
    ("\u1680", True),
    ("\u2000\u200a", True),
    ("\u2028\u2029", True),
    ("\u202f\u205f", True),
    ("\u180e", False),
    ("\u200b", False),
    ("\ufeff", False),
    ("\x00", False),
    ("\x1c\x1d\x1e\x1f", False),
    ("a", False),
    (" a ", False),
    ("\xa0a", False),
    (None, True),
    ([], True),
    ([""], False),
    ([None], False),
    ({}, True),
    ({"a": None}, False),
]

TO_I_CASES: list[tuple[str, object]] = [
    ("", 0),
    ("0", 0),
    ("80", 80),
    ("+80", 80),
    ("-80", -80),
    ("080", 80),
    ("-0", 0),
    ("80.9", 80),
    ("8e1", 8),
    ("1e5", 1),
    ("8_0", 80),
    ("1_000", 1000),
    ("1_2_3", 123),
    ("8__0", 8),
    ("_80", 0),
    ("80_", 80),
    ("+_1", 0),
    ("0x50", 0),
    ("0b1", 0),
    ("0o7", 0),
    ("0d12", 12),
    ("0D12", 12),
    ("-0d12", -12),
    ("0d", 0),
    ("0d_1", 0),
    ("0_d1", 0),
    ("0d1_2", 12),
    (" 80", 80),
    ("\t\n\v\f\r80", 80),
    ("\x0080", 0),
    ("\xa080", 0),
    ("\u200380", 0),
    ("8 0", 8),
    ("- 8", 0),
    ("+-8", 0),
    ("--8", 0),
    ("abc", 0),
    ("NaN", 0),
    ("true", 0),
    ("12abc", 12),
    ("\u0663", 0),
    ("\uff13", 0),
    ("2147483647", 2147483647),
    ("2147483648", 2147483648),
    ("-2147483649", -2147483649),
    ("99999999999999999999", 99999999999999999999),
    ("-99999999999999999999", -99999999999999999999),
    ("0" * 5000 + "7", 7),
    ("9" * 5000, 10**5000 - 1),  # past Python's 4300-digit int() limit
    ("1_" * 3000 + "1", (10**3001 - 1) // 9),  # 3001 ones
]

INSPECT_CASES: list[tuple[ParamValue, object]] = [
    ("", '""'),
    ("a", '"a"'),
    ('a"b', '"a\\"b"'),
    ("a\\b", '"a\\\\b"'),
    ("\n\t\r\f\v\b\a\x1b", '"\\n\\t\\r\\f\\v\\b\\a\\e"'),
    ("\x00\x01\x1f", '"\\u0000\\u0001\\u001F"'),
    ("\x7f", '"\\u007F"'),
    ("\x85", '"\x85"'),
    ("\x80\x9f", '"\\u0080\\u009F"'),
    ("\xa0", '"\xa0"'),
    ("\xad", '"\xad"'),
    ("\u0600", '"\u0600"'),
    ("\u200b\u200e\u2066", '"\u200b\u200e\u2066"'),
    ("\u2028\u2029", '"\\u2028\\u2029"'),
    ("\u3000", '"\u3000"'),
    ("\ue000", '"\ue000"'),
    ("\U000f0000", '"\U000f0000"'),
    ("\ufffe\uffff", '"\\uFFFE\\uFFFF"'),
    ("\u0378", '"\\u0378"'),
    ("\u061d", '"\\u061D"'),
    ("\u0890", '"\\u0890"'),
    ("\U0001e290", '"\\u{1E290}"'),
    ("\U0001fae8", '"\\u{1FAE8}"'),
    ("\U0002ebf0", '"\\u{2EBF0}"'),
    ("\U000e0001", '"\U000e0001"'),
    ("\U000e0080", '"\\u{E0080}"'),
    ("#{x}", '"\\#{x}"'),
    ("#$x", '"\\#$x"'),
    ("#@x", '"\\#@x"'),
    ("#x", '"#x"'),
    ("##{", '"#\\#{"'),
    ("#", '"#"'),
    ("é", '"é"'),
    ("日本", '"日本"'),
    ("😀", '"😀"'),
    ("e\u0301", '"é"'),
    ([], "[]"),
    (["a"], '["a"]'),
    (["a", None], '["a", nil]'),
    ([[]], "[[]]"),
    ({}, "{}"),
    ({"a": "v"}, '{"a"=>"v"}'),
    ({"a": ["v", {"b": None}]}, '{"a"=>["v", {"b"=>nil}]}'),
    ({"#{": "\n"}, '{"\\#{"=>"\\n"}'),
    (None, "nil"),
]


@pytest.mark.parametrize(("text", "expected"), STRIP_CASES)
def test_strip_matches_ruby(text: str, expected: str) -> None:
    assert ruby.strip(text) == expected


@pytest.mark.parametrize(("text", "expected"), DOWNCASE_CASES)
def test_downcase_matches_ruby(text: str, expected: str) -> None:
    assert ruby.downcase(text) == expected


@pytest.mark.parametrize(("value", "expected"), BLANK_CASES)
def test_blank_matches_activesupport(value: ParamValue, expected: bool) -> None:
    assert ruby.is_blank(value) is expected


@pytest.mark.parametrize(("text", "expected"), TO_I_CASES, ids=[repr(c[0])[:40] for c in TO_I_CASES])
def test_to_i_matches_ruby(text: str, expected: int) -> None:
    assert ruby.to_i(text) == expected


@pytest.mark.parametrize(("value", "expected"), INSPECT_CASES)
def test_inspect_matches_ruby(value: ParamValue, expected: str) -> None:
    assert ruby.inspect(value) == expected


def _reference_to_i(text: str) -> int:
    """String#to_i written as a character scan, independently of the regex in ruby.py."""
    i, n = 0, len(text)
    while i < n and text[i] in " \t\n\v\f\r":
        i += 1
    sign = 1
    if i < n and text[i] in "+-":
        sign = -1 if text[i] == "-" else 1
        i += 1
    if text[i : i + 2] in ("0d", "0D") and text[i + 2 : i + 3].isascii() and text[i + 2 : i + 3].isdigit():
        i += 2
    value, seen_digit = 0, False
    while i < n:
        c = text[i]
        if "0" <= c <= "9":
            value, seen_digit = value * 10 + int(c), True
        elif c == "_" and seen_digit and i + 1 < n and "0" <= text[i + 1] <= "9":
            pass
        else:
            break
        i += 1
    return sign * value


_NUMBERISH = st.text(st.sampled_from(list("0123456789_+-dDxe. \t\n\x00\xa0a")), max_size=25)


@settings(max_examples=500, deadline=None)
@given(_NUMBERISH | st.text(max_size=20))
@example("0d_1")
@example("1__2")
@example("+_1")
@example("-0d12")
def test_to_i_agrees_with_a_character_scan(text: str) -> None:
    assert ruby.to_i(text) == _reference_to_i(text)


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"\A[ \t\n]*[+-]?[0-9]{1,40}\Z"))
def test_to_i_of_a_plain_integer_is_python_int(text: str) -> None:
    assert ruby.to_i(text) == int(text)


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(codec="utf-8")))
def test_blank_is_unicode_white_space(text: str) -> None:
    # White_Space is what Python's isspace() says, minus the four information separators
    white = all(c.isspace() and c not in "\x1c\x1d\x1e\x1f" for c in text)
    assert ruby.is_blank(text) is white


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_strip_only_trims_ascii_whitespace_and_nul(text: str) -> None:
    stripped = ruby.strip(text)
    assert stripped in text and ruby.strip(stripped) == stripped
    assert not stripped or (stripped[0] not in "\x00\t\n\v\f\r " and stripped[-1] not in "\x00\t\n\v\f\r ")


_RAW_IN_INSPECT = re.compile(r"[\x00-\x1f\x7f-\x84\x86-\x9f\u2028\u2029]")


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        st.none() | st.text(st.characters(codec="utf-8")),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
        max_leaves=8,
    )
)
def test_inspect_output_is_one_line_without_controls(value: ParamValue) -> None:
    shown = ruby.inspect(value)
    assert _RAW_IN_INSPECT.search(shown) is None
    assert not any(unicodedata.category(c) == "Cn" for c in shown)  # unassigned: escaped


# Ruby 3.1.2's answers: ruby -e 'p [1e14, 1e15, ...].map(&:to_s)'
RUBY_FLOAT_TO_S = {
    1e14: "100000000000000.0", 1e15: "1.0e+15", 123456789012345.0: "123456789012345.0",
    1234567890123456.0: "1.234567890123456e+15", 999999999999999.0: "999999999999999.0",
    1e16: "1.0e+16", 0.0001: "0.0001", 0.00001: "1.0e-05", 12345678901234567.0: "1.2345678901234568e+16",
    100.0: "100.0", -0.0: "-0.0", 2.5e-5: "2.5e-05", 1.23e30: "1.23e+30", 1.5: "1.5", 1e20: "1.0e+20",
    float("inf"): "Infinity", -float("inf"): "-Infinity",
}  # fmt: skip


@pytest.mark.parametrize(("value", "expected"), RUBY_FLOAT_TO_S.items())
def test_float_to_s_is_rubys(value: float, expected: str) -> None:
    """Check Float#to_s (a JSON body's number as text) against Ruby's own output."""
    assert ruby.float_to_s(value) == expected


@pytest.mark.parametrize(
    ("value", "blank"), [(False, True), (True, False), (0, False), (0.0, False), (None, True), ("", True)]
)
def test_blank_of_json_scalars(value: object, blank: bool) -> None:
    """Check ActiveSupport's blank? for what a JSON body can carry."""
    assert ruby.is_blank(value) is blank  # type: ignore[arg-type]

"""Hypothesis strategies for the raw-HTTP fuzz (test_fuzz_http.py): filter names and other keys,
bracketed forms, special and raw values, percent-encoding, query strings, paths, headers,
methods and Authorization values, mostly well-formed so that requests reach the mock."""

from __future__ import annotations

from urllib.parse import quote, quote_plus

from hypothesis import strategies as st

from mockserver.model import FILTERS

INDEX = "/api/train_sessions"
FILTER_NAMES = [f.name for f in FILTERS]
OTHER_KEYS = [
    "s",
    "sorts",
    "m",
    "g",
    "c",
    "q",
    "page",
    "per_page",
    "format",
    "controller",
    "action",
    "token",
    "id",
    "id_eq",
    "id_in",
    "score_in",
    "score_not_eq",
    "score_eq_any",
    "score_gt",
    "score_lteq",
    "score_null",
    "score_present",
    "score_cont",
    "score_start",
    "full_name_start",
    "full_name_eq",
    "full_name_in",
    "full_name_matches",
    "status_eq",
    "status_cont",
    "time_spent_eq",
    "time_spent_gt",
    "course_name_cont",
    "course_code_eq",
    "account_eq",
    "completion_date_eq",
    "completion_date_gt",
    "completion_date_null",
    "cert_expiry_present",
    "last_attempt_eq",
    "assignee_login_username_cont",
    "distinct",
    "combinator",
    "score_or_id_eq",
    "full_name_or_course_code_cont",
    "full_name_and_status_cont",
    "utf8",
    "_method",
]
BRACKETS = [
    "",
    "",
    "",
    "[]",
    "[x]",
    "[0]",
    "[]",
    "[][a]",
    "[a][b][c]",
    "[0][score_eq]",
    "[0][a][]",
    "[",
    "]",
    "[[",
    "]]",
    "[x",
    "[]]",
    "[][]",
]
SPECIAL_VALUES = [
    "",
    " ",
    "  ",
    "\t",
    "\n",
    "true",
    "false",
    "null",
    "nil",
    "[]",
    "{}",
    "0",
    "-0",
    "+1",
    "1e5",
    "1.5e3",
    "0x10",
    "0b1",
    "1_000",
    "80.9",
    "99999999999999999999",
    "-99999999999999999999",
    "2147483648",
    "٣",
    "３",
    "Ⅻ",
    "2015-01-05",
    "2015-13-45",
    "0000-01-01",
    "-0001-01-01",
    "Jan 5 2015",
    "5 Jan 2015",
    "2015/01/05",
    "20150105",
    "5.1.2015",
    "H27.01.05",
    "today",
    "id asc",
    "id desc",
    "full_name desc",
    "score",
    "score asc, id desc",
    "or",
    "and",
    "OR",
    "\u0130",
    "\u03a3",
    "ß",
    "ﬁ",
    "a%b",
    "a_b",
    "a\\b",
    "a.b",
    "O'Brien",
    "\x00",
    "a\x00b",
    "\u2028",
    "<script>",
    "&amp;",
    "😀",
]
RAW_FRAGMENTS = [
    b"%",
    b"%Z",
    b"%ZZ",
    b"%FF",
    b"%C3",
    b"%C3%28",
    b"%E2%82",
    b"%00",
    b"%2",
    b"\xff",
    b"\xc3\x28",
    b"\xe2\x82",
    b"\xc3\xa9",
    b"+",
    b"&",
    b";",
    b"=",
    b"==",
    b"&&",
    b"%26",
    b"%3D",
    b"%5B",
    b"%5D",
    b"[",
    b"]",
    b"\x7f",
    b"%%",
    b"%u0041",
    b"'",
    b'"',
    b"<",
]

values = st.one_of(
    st.sampled_from(SPECIAL_VALUES),
    st.integers(-(2**70), 2**70).map(str),
    st.floats().map(repr),
    st.dates().map(lambda d: d.isoformat()),
    st.text(max_size=20),
    st.builds(lambda c, n: c * n, st.sampled_from(["a", "9", "%", " ", "é", "["]), st.integers(100, 3000)),
)


@st.composite
def encoded(draw: st.DrawFn, text: str) -> bytes:
    """``text`` percent-encoded one of several ways, or sent raw (UTF-8 bytes)."""
    how = draw(st.sampled_from(["quote", "quote_plus", "raw", "partial"]))
    if how == "quote":
        return quote(text, safe="").encode()
    if how == "quote_plus":
        return quote_plus(text).encode()
    if how == "raw":  # raw UTF-8 (non-ASCII bytes as sent by careless clients); only the
        # bytes that would end the request line are escaped, so the request reaches the mock
        raw = text.encode("utf-8", "surrogatepass")
        return b"".join(b"%%%02X" % c if c < 0x21 or c == 0x7F else bytes([c]) for c in raw)
    return quote(text, safe="[]%&=;+").encode()


@st.composite
def query_params(draw: st.DrawFn) -> bytes:
    """One ``key=value`` (or a bare key, or a raw fragment)."""
    key = draw(st.one_of(st.sampled_from(FILTER_NAMES), st.sampled_from(OTHER_KEYS), st.text(max_size=12)))
    key += draw(st.sampled_from(BRACKETS))
    shape = draw(st.sampled_from(["pair", "pair", "pair", "bare", "raw", "empty"]))
    if shape == "raw":
        return draw(st.sampled_from(RAW_FRAGMENTS))
    key_bytes = draw(encoded(key))
    if shape == "bare":
        return key_bytes
    if shape == "empty":
        return key_bytes + b"="
    value = draw(encoded(draw(values)))
    if draw(st.integers(0, 9)) == 0:  # splice a raw fragment into the value
        cut = draw(st.integers(0, len(value)))
        value = value[:cut] + draw(st.sampled_from(RAW_FRAGMENTS)) + value[cut:]
    return key_bytes + b"=" + value


queries = st.builds(
    lambda params, sep: sep.join(params),
    st.lists(query_params(), max_size=8),
    st.sampled_from([b"&", b"&", b";", b"&&"]),
)

ids = st.one_of(
    st.integers(-(2**40), 2**40).map(lambda i: str(i).encode()),
    st.sampled_from(
        [
            b"3",
            b"03",
            b"+3",
            b"3abc",
            b"3.json",
            b"3.",
            b"3.0.0",
            b"%33",
            b"3%2F4",
            b"%FF",
            b"%C3%28",
            b"%00",
            b"abc",
            b"%20",
            b"1e2",
            b"0x3",
            b"1_2",
            b"2147483647",
            b"2147483648",
            b"..",
            b".",
            b"%2E",
            b"3;x",
            b"3%",
        ]
    ),
    st.text(max_size=10).map(lambda t: quote(t, safe="").encode()),
    st.binary(max_size=8).map(lambda b: b.replace(b" ", b"%20").replace(b"?", b"").replace(b"#", b"")),
)

paths = st.one_of(
    st.just(INDEX.encode()),
    st.builds(lambda i: INDEX.encode() + b"/" + i, ids),
    st.sampled_from(
        [
            b"/",
            b"/api",
            b"/api/",
            b"/api/train_sessions/",
            b"/api/train_sessions.json",
            b"/api/train_sessions.xml",
            b"//api//train_sessions",
            b"/API/train_sessions",
            b"/api/train_sessions/3/extra",
            b"/api/train_sessions%2F3",
            b"/api/train_sessions/%2F",
            b"/api/train_sessions/3.json/x",
            b"*",
            b"/openapi.json",
            b"/favicon.ico",
        ]
    ),
    st.text(min_size=1, max_size=20).map(lambda t: b"/" + quote(t).encode()),
).filter(lambda p: b"__mockserver" not in p)

AUTH_VALUES = [
    b'Token token="tok"',
    b"Token token=tok",
    b"Token tok",
    b"Bearer tok",
    b"Token token=acct-tok",
    b"Token",
    b"Token ",
    b"Token token=",
    b'Token token="',
    b'Token token="tok',
    b"token tok",
    b"Basic dG9rOg==",
    b"Token token='tok'",
    b'Token foo="tok", token="x"',
    b"Token token=tok\xff",
    b"Token \xc3\x28",
    b'Token token="' + b"a" * 5000 + b'"',
    b"Token ,,,",
    b"Token =",
    b"Token token==tok",
]

_no_newline = lambda b: b"\r" not in b and b"\n" not in b  # noqa: E731 - a line holds one header
_printable = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
# mostly well-formed values (so requests reach the mock), some arbitrary text and bytes
header_values = st.one_of(
    st.sampled_from(AUTH_VALUES),
    st.sampled_from(AUTH_VALUES),
    _printable.map(str.encode),
    _printable.map(lambda t: b"Token " + t.encode()),
    st.text(max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass")).filter(_no_newline),
    st.binary(max_size=40).filter(_no_newline),
)
header_names = st.one_of(
    st.sampled_from(
        [
            b"Authorization",
            b"authorization",
            b"Accept",
            b"Accept-Encoding",
            b"Accept-Language",
            b"Cookie",
            b"X-Forwarded-For",
            b"X-Requested-With",
            b"If-None-Match",
            b"Range",
            b"Content-Type",
            b"User-Agent",
            b"Origin",
        ]
    ),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz-_.!#$%&'*+^`|~0123456789", min_size=1, max_size=15).map(
        str.encode
    ),
)
headers = st.lists(st.tuples(header_names, header_values), max_size=3)
methods = st.sampled_from(
    [b"GET"] * 12
    + [b"HEAD", b"HEAD", b"POST", b"PUT", b"DELETE", b"OPTIONS", b"PATCH", b"TRACE", b"get", b"BREW"]
)
good_auth = st.sampled_from(
    [(b"Authorization", b'Token token="tok"'), (b"Authorization", b"Bearer acct-tok")]
)

"""Truth tables and properties for ``mockserver.engine.routing`` (Rails 6.1 Journey and the id cast).

The expected values were produced by real Ruby 3.1.2 with ActionPack and ActiveModel 6.1.7.10
(Debian packages) on 2026-11-27:

* ROUTE_CASES: a RouteSet drawn with ``namespace :api { resources :train_sessions,
  only: [:index, :show] }``, called with the raw PATH_INFO (as Puma passes it) and a controller
  that echoes ``request.path_parameters``. A row is (action, id, format), None when Rails has
  no route (404), or BAD when Rails raises BadRequest for a non-UTF-8 path parameter (400).
* NORMALIZE_CASES: ``Journey::Router::Utils.normalize_path``, which RouteSet#call applies first.
* CAST_ID_CASES: ``ActiveModel::Type::Integer.new(limit: 4).serialize(id)``, which is how
  ActiveRecord's ``find`` binds the id; nil (no row can match) or ActiveModel::RangeError
  (turned into RecordNotFound) both mean 404, written None.

To re-check or extend, add a row and run ``.venv/bin/python tools/ruby_oracle/regen.py --write``
on a machine with Ruby (CI has none and only replays the tables).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mockserver.engine.routing import Route, cast_id, normalize_path, player_route, route
from mockserver.errors import BadRequestError
from mockserver.model import INT4_MAX, INT4_MIN

BAD = ("raises", "BadRequest")

ROUTE_CASES: list[tuple[bytes, object]] = [
    # index
    (b"/api/train_sessions", ("index", None, None)),
    (b"/api/train_sessions/", ("index", None, None)),
    (b"//api///train_sessions//", ("index", None, None)),
    (b"api/train_sessions", ("index", None, None)),
    (b"/api/train_sessions.json", ("index", None, "json")),
    (b"/api/train_sessions.xml", ("index", None, "xml")),
    (b"/api/train_sessions.", None),
    (b"/api/train_sessions.json.xml", None),
    (b"/api/train_sessions%2F", None),
    (b"/api/train_sessions%2Ejson", None),
    (b"/api/train_sessions.%FF", BAD),
    (b"/api/train_sessions.%C3%A9", ("index", None, "é")),
    (b"/api/train_sessions\n", None),
    # show: the id and format parts are [^/.?]+ each, then unescaped
    (b"/api/train_sessions/3", ("show", "3", None)),
    (b"/api/train_sessions/3/", ("show", "3", None)),
    (b"/api/train_sessions/3//", ("show", "3", None)),
    (b"//api//train_sessions//3", ("show", "3", None)),
    (b"/api/train_sessions/3.json", ("show", "3", "json")),
    (b"/api/train_sessions/3.0", ("show", "3", "0")),
    (b"/api/train_sessions/3.9", ("show", "3", "9")),
    (b"/api/train_sessions/1.5e3", ("show", "1", "5e3")),
    (b"/api/train_sessions/3abc.json", ("show", "3abc", "json")),
    (b"/api/train_sessions/3.", None),
    (b"/api/train_sessions/3.0.0", None),
    (b"/api/train_sessions/.3", None),
    (b"/api/train_sessions/3%2E0", ("show", "3.0", None)),
    (b"/api/train_sessions/3%2e0", ("show", "3.0", None)),
    (b"/api/train_sessions/3%2F4", ("show", "3/4", None)),
    (b"/api/train_sessions/3%2f4", ("show", "3/4", None)),
    (b"/api/train_sessions/3%2F", ("show", "3/", None)),
    (b"/api/train_sessions/%2F", ("show", "/", None)),
    (b"/api/train_sessions/%2E", ("show", ".", None)),
    (b"/api/train_sessions/3/4", None),  # the course player's (2015-08): routing.player_route
    (b"/api/train_sessions/3/edit", None),
    (b"/api/train_sessions/new", ("show", "new", None)),
    (b"/api/train_sessions/3?x", None),
    (b"/api/train_sessions/%3F", ("show", "?", None)),
    (b"/api/train_sessions/+3", ("show", "+3", None)),
    (b"/api/train_sessions/%2B3", ("show", "+3", None)),
    (b"/api/train_sessions/%203", ("show", " 3", None)),
    (b"/api/train_sessions/ 3", ("show", " 3", None)),
    (b"/api/train_sessions/%093", ("show", "\t3", None)),
    (b"/api/train_sessions/%C2%A03", ("show", "\xa03", None)),
    (b"/api/train_sessions/%EF%BC%93", ("show", "３", None)),
    (b"/api/train_sessions/3%00", ("show", "3\x00", None)),
    (b"/api/train_sessions/3\n", ("show", "3\n", None)),
    (b"/api/train_sessions/3%0A", ("show", "3\n", None)),
    (b"/api/train_sessions/%5B3%5D", ("show", "[3]", None)),
    (b"/api/train_sessions/3,4", ("show", "3,4", None)),
    (b"/api/train_sessions/3;x", ("show", "3;x", None)),
    (b"/api/train_sessions/3%25", ("show", "3%", None)),
    (b"/api/train_sessions/3%", ("show", "3%", None)),
    (b"/api/train_sessions/%2", ("show", "%2", None)),
    (b"/api/train_sessions/%ZZ3", ("show", "\x003", None)),
    (b"/api/train_sessions/%1G", ("show", "\x01", None)),
    (b"/api/train_sessions/%g1", ("show", "\x00", None)),
    (b"/api/train_sessions/%0x", ("show", "\x00", None)),
    (b"/api/train_sessions/%fg", ("show", "\x0f", None)),
    (b"/api/train_sessions/%FF", BAD),
    (b"/api/train_sessions/%C3", BAD),
    (b"/api/train_sessions/%C3%A9", ("show", "é", None)),
    (b"/api/train_sessions/\xc3\xa9", ("show", "é", None)),
    (b"/api/train_sessions/\xff", BAD),
    (b"/api/train_sessions/3.%FF", BAD),
    (b"/api/train_sessions/2147483648", ("show", "2147483648", None)),
    # no route
    (b"", None),
    (b"/", None),
    (b"/api", None),
    (b"/api/", None),
    (b"/API/train_sessions", None),
    (b"/api/Train_sessions", None),
    (b"/api/train_session", None),
    (b"/api/train_sessionsx", None),
    (b"/train_sessions", None),
    (b"/api/v1/train_sessions", None),
    (b"\n/api/train_sessions", None),
]

NORMALIZE_CASES: list[tuple[bytes, object]] = [
    (b"", b"/"),
    (b"/", b"/"),
    (b"//", b"/"),
    (b"a", b"/a"),
    (b"/a/", b"/a"),
    (b"/a//", b"/a"),
    (b"//a//b//", b"/a/b"),
    (b"/a%2f", b"/a%2F"),
    (b"/a%2F", b"/a%2F"),
    (b"/%ab%aB%Ab%1g%e9", b"/%AB%aB%Ab%1g%E9"),
    (b"/a/%2f/", b"/a/%2F"),
    (b"/a\n/", b"/a\n"),
]

CAST_ID_CASES: list[tuple[str, object]] = [
    ("3", 3),
    ("03", 3),
    ("003", 3),
    ("+3", 3),
    ("-3", -3),
    ("0", 0),
    ("-0", 0),
    ("3abc", 3),
    ("2abc3", 2),
    ("12abc", 12),
    (" 3", 3),
    ("3 ", 3),
    ("  2  ", 2),
    ("\t3", 3),
    ("\n3", 3),
    ("\v3", 3),
    ("\f3", 3),
    ("\r3", 3),
    ("\x003", None),
    ("\xa03", None),
    ("\u20033", None),
    ("３", None),
    ("\u0663", None),
    ("3,4", 3),
    ("3;x", 3),
    ("3%", 3),
    ("3/4", 3),
    ("3.0", 3),
    ("3.9", 3),
    (".3", None),
    ("1e2", 1),
    ("1.5e3", 1),
    ("0x3", 0),
    ("1_2", 12),
    ("4_0", 40),
    ("3_0", 30),
    ("1_000", 1000),
    ("_3", None),
    ("3__0", 3),
    ("0d12", 12),
    ("abc", None),
    ("null", None),
    ("true", None),
    ("[3]", None),
    ("", None),
    (" ", None),
    ("+", None),
    ("-", None),
    ("+-3", None),
    ("- 3", None),
    ("2147483647", 2147483647),
    ("2147483648", None),
    ("-2147483648", -2147483648),
    ("-2147483649", None),
    ("99999999999999999999", None),
    ("00000000000000000000000000000000000000000000000000000000000000000000000000000003", 3),
    ("9" * 5000, None),
]


def _check_route(raw: bytes, expected: object) -> None:
    if expected == BAD:
        with pytest.raises(BadRequestError):
            route(raw)
    elif expected is None:
        assert route(raw) == Route(None)
    else:
        assert isinstance(expected, tuple)
        assert route(raw) == Route(*expected)


@pytest.mark.parametrize(("raw", "expected"), ROUTE_CASES, ids=[repr(c[0]) for c in ROUTE_CASES])
def test_route_matches_rails(raw: bytes, expected: object) -> None:
    _check_route(raw, expected)


@pytest.mark.parametrize(("raw", "expected"), NORMALIZE_CASES)
def test_normalize_path_matches_journey(raw: bytes, expected: bytes) -> None:
    assert normalize_path(raw) == expected


@pytest.mark.parametrize(("segment", "expected"), CAST_ID_CASES, ids=[repr(c[0])[:40] for c in CAST_ID_CASES])
def test_cast_id_matches_activemodel(segment: str, expected: int | None) -> None:
    assert cast_id(segment) == expected


_PATH = st.lists(
    st.sampled_from(
        [
            b"/",
            b"//",
            b"api",
            b"train_sessions",
            b"/api/train_sessions",
            b"3",
            b"-",
            b"+",
            b".",
            b".json",
            b"%2F",
            b"%2f",
            b"%2E",
            b"%FF",
            b"%C3%A9",
            b"%ZZ",
            b"%1G",
            b"%20",
            b" ",
            b"\n",
            b"?",
            b"%",
            b"%2",
            b"\xff",
            b"\xc3",
        ]
    ),
    max_size=8,
).map(b"".join)


@settings(max_examples=500, deadline=None)
@given(_PATH | st.binary(max_size=40))
@example(b"/api/train_sessions/%FF")
def test_route_only_ever_raises_bad_request(raw: bytes) -> None:
    try:
        found = route(raw)
    except BadRequestError:
        return
    assert found.action in (None, "index", "show")
    assert (found.id is not None) == (found.action == "show")
    for part in (found.id, found.format):
        assert part is None or (isinstance(part, str) and part != "")
        assert part is None or part.encode("utf-8")  # Rails answers 400 for anything else


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=-(10**12), max_value=10**12), st.sampled_from(["", ".json", ".0", "/"]))
def test_numeric_show_paths_route_and_cast(number: int, suffix: str) -> None:
    found = route(f"/api/train_sessions/{number}{suffix}".encode())
    assert found.action == "show" and found.id == str(number)
    assert found.format == (suffix[1:] or None if suffix.startswith(".") else None)
    assert cast_id(found.id) == (number if INT4_MIN <= number <= INT4_MAX else None)


_ID_TEXT = st.text(st.sampled_from(list("0123456789+-_ .\t\n\x00\xa0xe")), max_size=15)


@settings(max_examples=300, deadline=None)
@given(_ID_TEXT | st.text(max_size=12))
def test_cast_id_is_none_or_an_int4(segment: str) -> None:
    value = cast_id(segment)
    assert value is None or INT4_MIN <= value <= INT4_MAX
    # ActiveModel's NUMERIC_REGEX gate: no leading ASCII-space/sign/digit shape, no id at all
    if not re.match(r"[ \t\n\v\f\r]*[+-]?[0-9]", segment):
        assert value is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"/api/train_sessions/3/4", ("player", "3", None, "4")),
        (b"//api/train_sessions/3/FP.html/", ("player", "3", "html", "FP")),
        (b"/api/train_sessions/3/RESP%5FFIT", ("player", "3", None, "RESP_FIT")),
        (b"/api/train_sessions/3/4/5", None),
        (b"/api/train_sessions/3", None),
    ],
)
def test_player_route(raw: bytes, expected: tuple[str, ...] | None) -> None:
    """Check the course player's route (2015-08): login id, course code, format; nothing else."""
    assert player_route(raw) == (None if expected is None else Route(*expected))

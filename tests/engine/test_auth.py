"""Truth table and properties for ``mockserver.engine.auth.token_from_header``.

The expected values were produced by real Ruby 3.1.2 with ActionPack 6.1.7.10 (Debian
packages) on 2026-11-27: ``ActionController::HttpAuthentication::Token.token_and_options``
on a request whose ``authorization`` is the header, ``&.first``, then nil when ``blank?``
(what ``authenticate_or_request_with_http_token`` hands to the login block; nil means 401).
RAISES_500 marks headers for which token_and_options itself raises ArgumentError (an option
piece that ``Hash[...]`` rejects): Rails answers 500, the mock raises InternalServerError. To
re-check or extend, add a row and run ``.venv/bin/python tools/ruby_oracle/regen.py --write``
on a machine with Ruby (CI has none and only replays the table).
"""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mockserver.engine.auth import account_for, token_from_header
from mockserver.engine.ruby import is_blank
from mockserver.errors import InternalServerError

RAISES_500 = ("raises", "ArgumentError")

TOKEN_CASES: list[tuple[str | None, object]] = [
    # the documented forms (ransack-semantics.md, Auth)
    ('Token token="secret"', "secret"),
    ("Token token=secret", "secret"),
    ("Token secret", "secret"),
    ("Bearer secret", "secret"),
    ('Token  token="secret"', "secret"),
    ('Token token="secret", foo="bar"', "secret"),
    ('Token token="secret";other', "secret"),
    (None, None),
    ("", None),
    ("token secret", None),
    ("TOKEN secret", None),
    ("bearer secret", None),
    ('Token token=""', None),
    ("Token token='secret'", "'secret'"),
    ('Token token="secret "', "secret "),
    ("Basic c2VjcmV0Og==", None),
    ('Token foo="bar", token="secret"', 'foo="bar'),
    # scheme and separators
    ("Token", None),
    ("Token ", None),
    ("Tokensecret", None),
    ("Token\tsecret", "secret"),
    ("Token\nsecret", "secret"),
    ("Token\v\f\rsecret", "secret"),
    ("Token\xa0secret", None),
    (" Token secret", None),
    ("xToken secret", None),
    ("Token Bearer secret", "Bearer secret"),
    ("Bearer token=secret", "secret"),
    ("Token token=secret token=other", "secret token=other"),
    ("Token ,secret", "secret"),
    ("Token ;;, secret", "secret"),
    ("Token \t secret \t", "secret"),
    ("Token secret,", "secret"),
    ("Token , ,", None),
    # the value: first '=', quotes at both ends only
    ("Token token=a=b", "a=b"),
    ("Token =secret", "=secret"),
    ("Token ==", "=="),
    ("Token token=", None),
    ("Token token= ", None),
    ('Token token="', None),
    ('Token token=""""', '""'),
    ('Token token="a"b"', 'a"b'),
    ('Token "secret"', "secret"),
    ('Token token= "secret"', ' "secret'),
    ("Token token=\xa0", None),
    ("Token token=\u3000", None),
    ("Token token=\x00", None),
    ("Token token=s\x00", "s"),
    ("Token token=é", "é"),
    ("Token foo=bar", "foo=bar"),
    ("Token foo", "foo"),
    # Ruby's line anchors and '.' that stops at a newline
    ("x\nToken abc", "x"),
    ("x\nBearer abc", "x"),
    ("Token token=a\nb", "a"),
    ("Token token=\nabc", "\nabc"),
    ('Token token=\n"x', "\nx"),
    ('Token token="a\n"b"', "a"),
    ("Token token=\n", None),
    ("Token token=\n=x", None),
    # other option pieces go through Hash[...]
    ("Token secret, =", RAISES_500),
    ("Token secret, ==", "secret"),
    ("Token secret, =x", "secret"),
    ("Token secret, a=b\nc", RAISES_500),
    ("Token secret, a=\nc", "secret"),
    ("Token secret, a", "secret"),
    ("Token secret, a=b=c", "secret"),
    ("Token =, secret", "="),
]


@pytest.mark.parametrize(("header", "expected"), TOKEN_CASES)
def test_token_matches_rails(header: str | None, expected: object) -> None:
    if expected == RAISES_500:
        with pytest.raises(InternalServerError):
            token_from_header(header)
    else:
        assert token_from_header(header) == expected


def test_account_for_uses_the_parsed_token() -> None:
    tokens = {"secret": "acme", "other": None}
    assert account_for('Token token="secret"', tokens) == (True, "acme")
    assert account_for("Bearer other", tokens) == (True, None)
    assert account_for("Token nope", tokens) == (False, None)
    assert account_for(None, tokens) == (False, None)


_HEADER = st.lists(
    st.sampled_from(
        [
            "Token",
            "Bearer",
            "token",
            " ",
            "\t",
            "\n",
            ",",
            ";",
            "=",
            '"',
            "'",
            "token=",
            "secret",
            "a",
            "é",
            "\xa0",
            "\x00",
            "\r",
            "\v",
            "\f",
            "=\n",
            "\n=",
        ]
    ),
    max_size=12,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(st.none() | _HEADER | st.text(max_size=40))
@example("Token secret, =")
@example("x\nToken abc")
def test_token_from_header_returns_a_non_blank_token_or_none(header: str | None) -> None:
    try:
        token = token_from_header(header)
    except InternalServerError:
        # only an option piece after the first can do that, so there must be a delimiter
        assert header is not None and any(d in header for d in ",;\t")
        return
    assert token is None or (isinstance(token, str) and not is_blank(token))


_SAFE_TOKEN = st.text(st.characters(whitelist_categories=("L", "N"), max_codepoint=0x2FF), min_size=1)


@settings(max_examples=200, deadline=None)
@given(
    _SAFE_TOKEN,
    st.sampled_from(
        ['Token token="{}"', "Token token={}", "Token {}", "Bearer {}", 'Bearer token="{}", realm="x"']
    ),
)
def test_well_formed_headers_yield_their_token(token: str, template: str) -> None:
    assert token_from_header(template.format(token)) == token


# Rails 4.2's column of stack-generations.md §3.3, from actionpack v4.2.11's raw_params
# (TOKEN_REGEX = /^Token /, pieces split on /\s*(?:,|;|\t+)\s*/ and never stripped).
RAILS_42 = [
    ('Token token="T"', "T"),
    ("Token token=T", "T"),
    ('Token token="T", foo="bar"', "T"),
    ('Token token="T";other', "T"),
    ("Token T", "T"),
    ("Bearer T", None),
    ('Token  token="T"', ' token="T'),
    ('Token\ttoken="T"', None),
    ('Token token="T" ', 'T" '),
]


@pytest.mark.parametrize(("header", "token"), RAILS_42)
def test_rails_42_token_parsing(header: str, token: str | None) -> None:
    """Check that the Rails 4.2 reader gives the token §3.3's table gives for each header."""
    from mockserver.engine.auth import token_from_header_42

    assert token_from_header_42(header) == token


@pytest.mark.parametrize("header", ["Bearer T", 'Token  token="T"', 'Token\ttoken="T"'])
def test_strict_scheme_is_401_only_on_old_stacks(header: str) -> None:
    """Check that Bearer and extra whitespace authenticate by default, not on rails4.2, and are flagged."""
    from mockserver.engine.auth import account_and_touched
    from mockserver.stacks import stack_named

    tokens = {"T": None}
    assert account_and_touched(header, tokens) == (True, None, True)
    assert account_and_touched(header, tokens, stack_named("rails4.2-ransack1.7"))[0] is False
    assert account_and_touched(header, tokens, stack_named("rails5.1-ransack1.8"))[0] is True


def test_plain_token_header_is_not_flagged() -> None:
    """Check that the documented header authenticates on every stack and touches no quirk."""
    from mockserver.engine.auth import account_and_touched
    from mockserver.stacks import STACKS

    for stack in STACKS:
        assert account_and_touched('Token token="T"', {"T": "acme"}, stack) == (True, "acme", False)

"""Rails token authentication: the accepted header forms, and the exact 401 otherwise."""

from __future__ import annotations

import base64

import pytest

from .checks import Dataset, check_denied, check_same_list
from .client import Client, Query

# Forms Rails' token parser accepts (ActionController::HttpAuthentication::Token).
ACCEPTED = (
    'Token token="{t}"',
    "Token token={t}",
    "Token {t}",
    "Bearer {t}",
    'Token  token="{t}"',
    'Token token="{t}", foo="bar"',
    'Token token="{t}";other',
)
# Accepted only from Rails 5.0 (rails@4b4e890781c, rails@d5a0d710379): Rails <= 4.2 answers 401.
STRICT_SCHEME_REFUSES = ("Bearer {t}", 'Token  token="{t}"')
# Forms it refuses: the scheme is case-sensitive, the first pair's value is the token, quotes
# are only stripped when double, and the value is not trimmed.
REFUSED = (
    'token token="{t}"',
    'TOKEN token="{t}"',
    'Token foo="bar", token="{t}"',
    "Token token='{t}'",
    'Token token="{t} "',
    'Token token=""',
    "Token",
    "{t}",
    "Basic {basic}",
    'Token token="{t}x"',
    'Token token="x{t}"',
    'Token token="wrong-token-for-contract-tests"',
)


def _header(form: str, token: str) -> str:
    basic = base64.b64encode(f"user:{token}".encode()).decode()
    return form.format(t=token, basic=basic)


@pytest.mark.parametrize("form", ACCEPTED)
def test_accepted_header_forms(form: str, client: Client, dataset: Dataset) -> None:
    """Check that every header form Rails accepts gives the same index as the standard one
    (Bearer and a doubled space are a 401 on Rails <= 4.2)."""
    response = client.index(authorization=_header(form, client.token))
    if dataset.rules.strict_token_scheme and form in STRICT_SCHEME_REFUSES:
        why = f"Authorization: {form.format(t='<token>')} (Rails <= 4.2: TOKEN_REGEX = /^Token /)"
        check_denied(response, why, dataset.rules)
        return
    check_same_list(response, dataset.response, f"Authorization: {form.format(t='<token>')}")


def test_missing_token_is_denied(client: Client, dataset: Dataset) -> None:
    """Check that the index and show without Authorization answer Rails' 401, even for an absent id
    or with the token in the query string."""
    rules = dataset.rules
    check_denied(client.index(authorization=None), "no Authorization header", rules)
    check_denied(
        client.index(Query.of(("token", client.token)), authorization=None),
        "the token in the query string is not read",
        rules,
    )
    check_denied(
        client.index(Query.of(("full_name_cont", "a")), suffix=".json", authorization=None),
        "no Authorization header, with a filter and .json",
        rules,
    )
    if dataset.ids:
        check_denied(
            client.show(str(dataset.ids[0]), authorization=None),
            "show of a listed id without Authorization",
            rules,
        )
    check_denied(
        client.show(str(max(dataset.ids, default=0) + 1), authorization=None),
        "show of an absent id without Authorization (auth comes before the lookup)",
        rules,
    )


@pytest.mark.parametrize("form", REFUSED)
def test_wrong_or_malformed_token_is_denied(form: str, client: Client, dataset: Dataset) -> None:
    """Check that a wrong token or a malformed header answers Rails' 401 with the Token challenge."""
    check_denied(
        client.index(authorization=_header(form, client.token)),
        f"Authorization: {form.format(t='<token>', basic='<base64>')}",
        dataset.rules,
    )

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
    """Check that every header form Rails accepts gives the same index as the standard one."""
    response = client.index(authorization=_header(form, client.token))
    check_same_list(response, dataset.response, f"Authorization: {form.format(t='<token>')}")


def test_missing_token_is_denied(client: Client, dataset: Dataset) -> None:
    """Check that the index and show without Authorization answer Rails' 401, even for an absent id
    or with the token in the query string."""
    check_denied(client.index(authorization=None), "no Authorization header")
    check_denied(
        client.index(Query.of(("token", client.token)), authorization=None),
        "the token in the query string is not read",
    )
    check_denied(
        client.index(Query.of(("full_name_cont", "a")), suffix=".json", authorization=None),
        "no Authorization header, with a filter and .json",
    )
    if dataset.ids:
        check_denied(
            client.show(str(dataset.ids[0]), authorization=None), "show of a listed id without Authorization"
        )
    check_denied(
        client.show(str(max(dataset.ids, default=0) + 1), authorization=None),
        "show of an absent id without Authorization (auth comes before the lookup)",
    )


@pytest.mark.parametrize("form", REFUSED)
def test_wrong_or_malformed_token_is_denied(form: str, client: Client) -> None:
    """Check that a wrong token or a malformed header answers Rails' 401 with the Token challenge."""
    check_denied(
        client.index(authorization=_header(form, client.token)),
        f"Authorization: {form.format(t='<token>', basic='<base64>')}",
    )

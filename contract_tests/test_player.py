"""The course player (2015-08): ``GET /api/train_sessions/:login_id/:course_code?token=`` with a
wrong token shows the documented "Authentication error". Safe: a GET that names no real token.
Against a 2015-02 endpoint the route does not exist (404)."""

from __future__ import annotations

import pytest

from .checks import ContractViolationError, Dataset, check_status
from .client import Client, encode
from .revision import EARLIER, api_revision

__all__ = ["api_revision"]  # the fixture, imported for pytest

WRONG_TOKEN = "contract-suite-wrong-token"


def test_player_with_a_wrong_token_says_authentication_error(
    client: Client, dataset: Dataset, api_revision: str
) -> None:
    """Check that the player, given a wrong token, shows 'Authentication error' as an HTML page."""
    # a code from the data, percent-encoded (it may hold spaces, `%`, NBSP); one that is no path
    # segment ("", ".", "..") would reach another route
    codes = [r["course_code"] for r in dataset.records if r.get("course_code") not in ("", ".", "..", None)]
    code = encode(codes[0] if codes else "WHMIS")
    target = f"{client.base_path}/1/{code}?token={WRONG_TOKEN}"
    response = client.request("GET", target, authorization=None, headers={"Accept": "text/html"})
    if api_revision == EARLIER:
        check_status(response, 404, "2015-02 documents no course player")
        return
    media = (response.header("Content-Type") or "").partition(";")[0].strip().lower()
    if response.status == 404 and (not response.body or media == "application/json"):
        # Rails' own 404 (empty HTML page, or the JSON error): no player route at all, as on
        # the Rails stand-in, which leaves the undocumented page out
        pytest.skip("this endpoint serves no course player (Rails' 404 for the player's URL)")
    if media != "text/html" or b"Authentication error" not in response.body:
        raise ContractViolationError(
            "the course player with a wrong token does not show 'Authentication error'",
            response.describe(),
            [response],
            "the doc: a wrong token gets an 'Authentication error' message",
        )
    if response.status == 200 and b"<form" in response.body:
        raise ContractViolationError(
            "the player with a wrong token shows a session's page", response.describe(), [response]
        )

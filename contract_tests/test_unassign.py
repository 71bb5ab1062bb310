"""``POST /api/train_sessions/unassign`` (2015-08): a write, so only with
``--allow-writes LOGIN_ID:COURSE_CODE`` naming a disposable assignment, which it removes.

What is checked: a missing parameter is Rails' 400 and a wrong token 401 (neither removes
anything); then the named assignment is unassigned (200, empty body when something was removed)
and every removed id had that course code and is gone from index and show; a repeat finds nothing
(200 ``Could not find any corresponding train sessions.``). Against 2015-02 the route is a 404.
"""

from __future__ import annotations

import http.client
import json

import pytest

from .checks import ContractViolationError, Dataset, check_status, json_body
from .client import Client, Response
from .revision import EARLIER, api_revision

__all__ = ["api_revision"]  # the fixture, imported for pytest

NOT_FOUND_TEXT = b"Could not find any corresponding train sessions."


@pytest.fixture(scope="module")
def assignment(request: pytest.FixtureRequest) -> tuple[int, str]:
    """(login id, course code) of --allow-writes; the tests are skipped without it."""
    given = request.config.getoption("--allow-writes")
    if not given:
        pytest.skip(
            "unassign is a write: pass --allow-writes LOGIN_ID:COURSE_CODE naming a disposable assignment"
        )
    login, sep, code = given.partition(":")
    if not sep or not login.strip().isdigit() or not code:
        raise pytest.UsageError(f"--allow-writes {given!r}: expected LOGIN_ID:COURSE_CODE, e.g. 42:WHMIS")
    return int(login), code


def post(client: Client, body: object, *, token: str | None = None) -> Response:
    """One unassign POST with a JSON body (the suite's only write; counted in the budget)."""
    client.budget.take()
    client.limiter.wait()
    target = f"{client.base_path}/unassign"
    payload = json.dumps(body).encode()
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Authorization": f'Token token="{token if token is not None else client.token}"',
    }
    url = f"{client.scheme}://{client.netloc}{target}"
    cls = http.client.HTTPSConnection if client.scheme == "https" else http.client.HTTPConnection
    connection = cls(client.host, client.port, timeout=client.timeout)
    try:
        connection.request("POST", target, body=payload, headers=headers)
        raw = connection.getresponse()
        answer = raw.read()
        curl = (
            "curl -sS -i -X POST -H 'Content-Type: application/json' "
            "-H 'Authorization: Token token=\"$TOKEN\"' "
            f"--data '{payload.decode()}' '{url}'"
        )
        return Response("POST", url, raw.status, raw.reason, list(raw.getheaders()), answer, curl)
    finally:
        connection.close()


def test_unassign_refusals_remove_nothing(
    client: Client, dataset: Dataset, api_revision: str, assignment: tuple[int, str]
) -> None:
    """Check that a missing login_id is a 400 and a wrong token a 401, and that neither removes anything."""
    login, code = assignment
    missing = post(client, {"course_codes": [code]})
    denied = post(client, {"course_codes": [code], "login_id": login}, token="contract-suite-wrong-token")
    if api_revision == EARLIER:
        check_status(missing, 404, "2015-02 documents no unassign")
        check_status(denied, 404, "2015-02 documents no unassign (no route before auth)")
    else:
        check_status(missing, 400, "ActionController::ParameterMissing: login_id")
        check_status(denied, 401, "a wrong token")
    after = client.index(fresh=True)
    if json_body(after) != dataset.records:
        raise ContractViolationError("a refused unassign changed the index", "", [missing, denied, after])


def test_unassign_removes_the_named_assignment(
    client: Client, dataset: Dataset, api_revision: str, assignment: tuple[int, str]
) -> None:
    """Check that unassign removes only the course's sessions, from index and show; a repeat finds none."""
    login, code = assignment
    before = {r["id"]: r for r in json_body(client.index(fresh=True))}
    first = post(client, {"course_codes": [code], "login_id": login})
    if api_revision == EARLIER:
        check_status(first, 404, "2015-02 documents no unassign")
        return
    check_status(first, 200, "unassign of the --allow-writes assignment")
    after = client.index(fresh=True)
    remaining = {r["id"] for r in json_body(after)}
    removed = [i for i in before if i not in remaining]
    if first.body not in (b"", NOT_FOUND_TEXT) or (first.body == b"") != bool(removed):
        raise ContractViolationError(
            "unassign's body does not match what it removed",
            f"removed ids {removed}; body {first.body[:80]!r}",
            [first, after],
            "an empty 200 when sessions were removed, the 'Could not find' text when none",
        )
    wrong = [i for i in removed if before[i]["course_code"] != code]
    if wrong or remaining - set(before):
        raise ContractViolationError(
            f"unassign of {code} removed other courses' sessions: {wrong}", "", [first, after]
        )
    for ident in removed[:5]:
        check_status(client.show(str(ident), fresh=True), 404, f"id {ident} was unassigned")
    again = post(client, {"course_codes": [code], "login_id": login})
    check_status(again, 200, "a repeated unassign")
    if again.body != NOT_FOUND_TEXT:
        raise ContractViolationError(
            "a repeated unassign did not answer 'Could not find ...'", again.body[:200].decode(), [again]
        )

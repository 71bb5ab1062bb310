"""HTTP behaviour a client depends on beyond the JSON: format negotiation and conditional GET.

Rails picks an error body's format from the request (path suffix, ``?format=``, Accept): a
client that sends curl's or a browser's ``Accept: */*`` gets an HTML page, not JSON. An Accept
header Rails cannot parse is a 406 before anything else. Every 200 carries a weak ETag, and
sending it back in ``If-None-Match`` answers 304 with no body.
"""

from __future__ import annotations

import json

from .checks import ContractViolationError, Dataset, check_status
from .client import Client

ABSENT_ID = 2**31  # beyond int4: ActiveRecord's RecordNotFound whatever the data


def test_error_for_any_format_is_not_json(client: Client) -> None:
    """Check that a 404 asked for with ``Accept: */*`` is not a JSON body (Rails' HTML page)."""
    response = client.show(str(ABSENT_ID), headers={"Accept": "*/*"})
    check_status(response, 404, f"id {ABSENT_ID} cannot exist")
    media = (response.header("Content-Type") or "").split(";")[0].strip().lower()
    try:
        parsed = json.loads(response.body)
    except ValueError:
        parsed = None
    if media == "application/json" or parsed is not None:
        raise ContractViolationError(
            f"the 404 for Accept: */* is JSON ({media or 'no Content-Type'})",
            response.describe(),
            [response],
            "Rails renders an error in the request's format: JSON only for a JSON request",
        )


def test_unparseable_accept_is_406(client: Client, dataset: Dataset) -> None:
    """Check that an Accept header Rails cannot parse answers 406, even without a token (on
    Rails < 6.0 it is ignored: 200 with the token, 401 without)."""
    for authorization in (client.auth_header, None):
        response = client.index(headers={"Accept": "foo"}, authorization=authorization)
        if dataset.rules.bad_accept_ignored:
            status = 200 if authorization else 401
            why = "Rails < 6.0 looks 'foo' up leniently (rails@b5e8942c950 made it a 406 in 6.0)"
            check_status(response, status, why)
        else:
            check_status(response, 406, "Rails' Mime::Type rejects 'foo' before the controller runs")


def test_etag_round_trips_to_304(client: Client, dataset: Dataset) -> None:
    """Check that a 200 carries a weak ETag and If-None-Match with it answers a bodiless 304."""
    targets = [client.index(fresh=True)]
    if dataset.ids:
        targets.append(client.show(str(dataset.ids[0]), fresh=True))
    for first in targets:
        check_status(first, 200)
        etag = first.header("ETag")
        if not etag or not etag.startswith('W/"'):
            raise ContractViolationError(
                f"the 200 has no weak ETag (ETag: {etag!r})",
                first.describe(),
                [first],
                'Rack::ETag sends W/"..." on every 200',
            )
        target = first.url.split("://", 1)[1].partition("/")[2]
        again = client.request("GET", "/" + target, fresh=True, headers={"If-None-Match": etag})
        check_status(again, 304, f"If-None-Match: {etag} matches the ETag just sent")
        if again.body:
            raise ContractViolationError("the 304 has a body", again.describe(), [again])

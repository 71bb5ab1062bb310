"""Which revision of the vendor's doc an endpoint serves, found with one safe request.

The 2015-08 revision documents XML answers, unassign and the course player; 2015-02 documents
index and show in JSON only. ``GET /api/train_sessions.xml`` tells them apart without writing
anything: an XML answer is 2015-08, a JSON one 2015-02 (Rails then has no XML renderer and
answers JSON whatever the format). The ``api_revision`` fixture reads it once per run; tests of
the later surface adapt to the answer instead of failing against a 2015-02 endpoint.
"""

from __future__ import annotations

import pytest

from .checks import ContractViolationError
from .client import Client

LATER, EARLIER = "2015-08", "2015-02"


def detect(client: Client) -> str:
    """``2015-08`` or ``2015-02``, from the index's answer to ``.xml`` (a GET, cached)."""
    response = client.index(suffix=".xml", headers={"Accept": "application/xml"})
    if response.status != 200:
        raise ContractViolationError(
            f"GET of the index as .xml answered {response.status}, not 200",
            response.describe(),
            [response],
            "every revision answers the index's .xml (in XML since 2015-08, in JSON before)",
        )
    media = (response.header("Content-Type") or "").partition(";")[0].strip().lower()
    if media == "application/xml":
        return LATER
    if media == "application/json":
        return EARLIER
    raise ContractViolationError(
        f"GET of the index as .xml answered Content-Type {media!r}", response.describe(), [response]
    )


@pytest.fixture(scope="session")
def api_revision(client: Client) -> str:
    """The doc revision the endpoint serves (``2015-08`` or ``2015-02``), detected once."""
    return detect(client)

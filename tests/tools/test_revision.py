"""``probe``'s API-revision detection: two safe GETs, never unassign."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from mockserver.cli import main
from mockserver.pytest_plugin import TrainSessionsAPI
from mockserver.tools.revision import decide

Factory = Callable[..., TrainSessionsAPI]


@dataclass
class A:
    status: int
    media: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.headers = {"content-type": self.media}


AUTH_PAGE = A(401, "text/html; charset=utf-8", b"<h1>Authentication error</h1>")
RAILS_404 = A(404, "text/html; charset=UTF-8")


@pytest.mark.parametrize(
    ("index_xml", "player", "revision"),
    [
        (A(200, "application/xml; charset=utf-8"), AUTH_PAGE, "2015-08"),
        (A(200, "application/xml; charset=utf-8"), RAILS_404, "2015-08"),  # the stand-in: no player
        (A(200, "application/json; charset=utf-8"), RAILS_404, "2015-02"),
        (A(200, "application/json; charset=utf-8"), AUTH_PAGE, None),  # a player without XML
        (A(500, "text/html"), RAILS_404, None),
    ],
)
def test_decide(index_xml: A, player: A, revision: str | None) -> None:
    """Check which revision the two answers point to, and that contradictions fit none."""
    assert decide(index_xml, player).revision == revision


@pytest.mark.parametrize("served", ["2015-08", "2015-02"])
def test_probe_reports_the_served_revision(train_sessions_api_factory: Factory, served: str) -> None:
    """Check that probe names the mock's revision and the flag, with GETs only (no unassign)."""
    api = train_sessions_api_factory(api_revision=served)
    out, err = io.StringIO(), io.StringIO()
    main(["probe", api.url_for(), "--api-token", str(api.token), "--json"], out, err)
    report = json.loads(out.getvalue())
    assert report["api_revision"]["revision"] == served
    assert report["api_revision"]["player"] == (served == "2015-08")
    assert {entry.method for entry in api.requests} == {"GET"}
    text, err = io.StringIO(), io.StringIO()
    main(["probe", api.url_for(), "--api-token", str(api.token)], text, err)
    assert f"serve the mock with --api-revision {served}" in text.getvalue()

"""Which revision of the vendor's doc an endpoint serves, from two safe GETs (for ``probe``).

* ``GET /api/train_sessions.xml``: a 2015-08 endpoint answers Rails' ``to_xml``
  (``application/xml``); a 2015-02 one has no XML renderer and answers the JSON index.
* ``GET /api/train_sessions/1/CODE?token=WRONG`` (no Authorization header): the 2015-08 course
  player shows its "Authentication error" page; a 2015-02 endpoint has no such route (Rails'
  404). The token sent is a fixed wrong one, so no session's page is ever shown.

Unassign is never sent: it is a write. An endpoint answering XML without a player (the Rails
stand-in leaves the undocumented player out) is reported as 2015-08 with the player missing;
one with a player but no XML as inconsistent. Pure decision (``decide``) apart from the GETs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["PROBES", "RevisionFinding", "decide", "detect"]

XML_PROBE = "index as .xml (API revision)"
PLAYER_PROBE = "course player with a wrong token (API revision)"
PROBES = (XML_PROBE, PLAYER_PROBE)
WRONG_TOKEN = "mockserver-probe-wrong-token"


class _Answer(Protocol):
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass(frozen=True)
class RevisionFinding:
    """The revision the answers point to (None: they contradict each other) and why."""

    revision: str | None
    xml: bool | None  # the index answered XML to .xml (None: neither XML nor JSON)
    player: bool  # the player showed its Authentication error page
    detail: str

    def as_json(self) -> dict[str, Any]:
        return {"revision": self.revision, "xml": self.xml, "player": self.player, "detail": self.detail}

    def render(self) -> str:
        if self.revision is None:
            return f"api revision: none fits ({self.detail})"
        flag = f"--api-revision {self.revision}"
        return f"api revision: {self.revision} ({self.detail}); serve the mock with {flag}"


def _media(answer: _Answer) -> str:
    return answer.headers.get("content-type", "").partition(";")[0].strip().lower()


def decide(index_xml: _Answer, player: _Answer) -> RevisionFinding:
    """The revision two answers point to: the index's ``.xml`` and the player with a wrong token."""
    media = _media(index_xml)
    xml = True if index_xml.status == 200 and media == "application/xml" else None
    if index_xml.status == 200 and media == "application/json":
        xml = False
    has_player = _media(player) == "text/html" and b"Authentication error" in player.body
    said = f".xml answered {index_xml.status} {media or 'no type'}; the player {player.status}"
    if xml and has_player:
        return RevisionFinding(
            "2015-08", True, True, f"{said} 'Authentication error': XML answers and the player"
        )
    if xml:
        return RevisionFinding("2015-08", True, False, f"{said}: XML answers, but no course player route")
    if xml is False and not has_player:
        return RevisionFinding("2015-02", False, False, f"{said}: JSON whatever the format, no player")
    return RevisionFinding(None, xml, has_player, said)


async def detect(get: Callable[..., Awaitable[Any]], course_code: str = "WHMIS") -> RevisionFinding:
    """Send the two GETs through probe's labelled ``get`` and decide."""
    index_xml = await get(XML_PROBE, target=".xml", headers={"Accept": "application/xml"})
    player = await get(
        PLAYER_PROBE,
        target=f"/1/{course_code}",
        query=f"token={WRONG_TOKEN}",
        auth=False,
        headers={"Accept": "text/html"},
    )
    return decide(index_xml, player)

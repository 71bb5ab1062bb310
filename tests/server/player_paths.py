"""Which recorded targets the course player's route takes (the stand-in serves no player)."""

from __future__ import annotations

from mockserver.engine.routing import player_route, route
from mockserver.errors import BadRequestError


def is_player_target(target: str) -> bool:
    """Whether ``target`` (path and query, as sent) is routed to the 2015-08 course player."""
    path = target.partition("?")[0].encode("utf-8", "surrogateescape")
    try:
        return route(path).action is None and player_route(path) is not None
    except BadRequestError:
        return False

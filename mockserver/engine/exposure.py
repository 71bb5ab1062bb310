"""The served generation during one request, and the quirks the request touched.

The code that implements a quirk asks ``has`` to pick the old or the modern behaviour, and
calls ``touch`` where the request reaches that behaviour with input whose answer would differ
on a generation that has the quirk (a padded value, ``_`` in a LIKE pattern, an out-of-int4
integer...). ``touched`` then names those quirks for the ``X-Mockserver-Portability`` header.
Nothing is recorded, nor any alternative computed, unless the request reaches a quirk's code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mockserver.errors import RailsError
from mockserver.stacks import DEFAULT_STACK, Quirk, Stack


@dataclass
class Exposure:
    """The served ``stack`` and what one request touched of the quirks it lacks."""

    stack: Stack = DEFAULT_STACK
    touched: set[Quirk] = field(default_factory=set)

    def has(self, quirk: Quirk) -> bool:
        quirks = self.stack.quirks
        return bool(quirks) and quirk in quirks

    def touch(self, quirk: Quirk) -> None:
        """The answer would differ on generations that have ``quirk`` (the served one has not)."""
        if quirk not in self.stack.quirks:
            self.touched.add(quirk)

    def mark(self, error: RailsError) -> RailsError:
        """``error`` carrying what was touched before it was raised (the server warns on it)."""
        if self.touched:
            error.touched = error.touched | frozenset(self.touched)
        return error


def touched_error(error: RailsError, quirk: Quirk, stack: Stack = DEFAULT_STACK) -> RailsError:
    """``error`` marked as touching ``quirk`` when the served ``stack`` lacks it."""
    if quirk not in stack.quirks:
        error.touched = error.touched | {quirk}
    return error

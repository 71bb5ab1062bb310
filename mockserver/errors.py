"""Exceptions of the mock server, translated to HTTP or exit codes in one place each.

    MockServerError                  base: every error the package raises on purpose
    ├── UsageError                   bad flags or settings (CLI exit 2)
    ├── FixtureError                 a fixture file breaks the format (CLI exit 2); carries location
    └── RailsError                   the live API would answer this status (the app renders it)
        ├── BadRequestError          400: malformed query (Rack), invalid UTF-8, strict-mode rejects
        ├── NotFoundError            404: ActiveRecord::RecordNotFound or no route
        ├── NotAcceptableError       406: an Accept header Mime::Type cannot parse
        ├── InternalServerError      500: the deliberate Rails-faithful 500s of the spec's error table
        └── QueryLimitError          500: Rack's query limits; rendered as Rails' failsafe page

Stdlib only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus


class MockServerError(Exception):
    """Base class of every deliberate error."""


class UsageError(MockServerError):
    """A bad flag, setting or argument."""


@dataclass
class FixtureProblem:
    """One violation of the fixture format, located precisely."""

    index: int | None  # record index in the array, None for file-level problems
    record_id: object  # the record's id when it has one
    field: str | None
    message: str  # what was expected
    clash: bool = False  # records valid alone that contradict each other (a repeated id, a foreign key)

    def __str__(self) -> str:
        where = []
        if self.index is not None:
            where.append(f"record {self.index}")
        if self.record_id is not None:
            where.append(f"id={self.record_id!r}")
        if self.field:
            where.append(f"field {self.field!r}")
        return (", ".join(where) + ": " if where else "") + self.message


class FixtureError(MockServerError):
    """A fixture file that cannot be served; names the file and every problem found."""

    def __init__(
        self, path: str, problems: list[FixtureProblem], *, limit: int = 20, complete: bool = True
    ) -> None:
        self.path = path
        self.problems = problems
        self.complete = complete  # False: checking stopped at a bound, there may be more
        shown = "\n".join(f"  {path}: {p}" for p in problems[:limit])
        more = len(problems) - limit
        tail = f"\n  ... and {more} more" if more > 0 else ""
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        if not complete:
            count = f"at least {count}; checking stopped there"
        super().__init__(f"invalid fixture file {path} ({count}):\n{shown}{tail}")


# Python 3.13 renamed these phrases (RFC 9110); answers must not change with the interpreter.
_PINNED_PHRASES = {
    413: "Request Entity Too Large",
    416: "Requested Range Not Satisfiable",
    422: "Unprocessable Entity",
}


def reason_phrase(status: int) -> str:
    """The reason phrase for ``status``, the same on Python 3.11 to 3.13."""
    return _PINNED_PHRASES.get(status) or HTTPStatus(status).phrase


# Rack::Utils::HTTP_STATUS_CODES (Rack 2.2.22) where it differs from Python 3.11's phrases
_RACK_PHRASES = {
    413: "Payload Too Large",
    414: "URI Too Long",
    416: "Range Not Satisfiable",
    451: "Unavailable for Legal Reasons",
    509: "Bandwidth Limit Exceeded",
}


def rack_phrase(status: int) -> str:
    """The ``error`` Rails writes in an error body: ``Rack::Utils::HTTP_STATUS_CODES.fetch(status,
    500's)``, so it does not change with the interpreter either."""
    if status in _RACK_PHRASES:
        return _RACK_PHRASES[status]
    try:
        return _PINNED_PHRASES.get(status) or HTTPStatus(status).phrase
    except ValueError:
        return "Internal Server Error"


@dataclass
class RailsError(MockServerError):
    """An HTTP error the live Rails app would produce; rendered as Rails does."""

    status: int = 500
    detail: str = ""  # why the mock answered this (sent in a header, logged)
    problems: list[str] = field(default_factory=list)  # strict-mode problems, listed in the body
    touched: frozenset[str] = frozenset()  # stacks.Quirk values whose generations answer otherwise

    def __post_init__(self) -> None:
        super().__init__(self.detail or self.reason)

    @property
    def reason(self) -> str:
        """The phrase Rails' error body carries (Rack's table)."""
        return rack_phrase(self.status)


class BadRequestError(RailsError):
    def __init__(self, detail: str = "", problems: list[str] | None = None) -> None:
        super().__init__(400, detail, problems or [])


class NotFoundError(RailsError):
    def __init__(self, detail: str = "") -> None:
        super().__init__(404, detail)


class InternalServerError(RailsError):
    def __init__(self, detail: str = "") -> None:
        super().__init__(500, detail)


class NotAcceptableError(RailsError):
    def __init__(self, detail: str = "") -> None:
        super().__init__(406, detail)


class QueryLimitError(RailsError):
    """Rack's QueryLimitError (a RangeError): it escapes even the error page, which reads the
    params again, so Rails answers with its failsafe plain-text 500."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(500, detail)

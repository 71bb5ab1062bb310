"""pytest plugin (``pytest11`` entry point ``mockserver``): a live train-sessions mock for tests.

Off until used: importing this module (pytest does it in every session) costs only stdlib
imports; aiohttp and the mock load when a test first asks for a fixture.

Fixtures, after pytest-httpserver's design:

* ``train_sessions_api_session``: one server per session (per xdist worker), started once.
* ``train_sessions_api``: that server, reset (packaged data, empty journal, no faults) before
  and after each test. The one most tests want.
* ``train_sessions_api_module``: a server of its own per module, so that data shaped once for a
  module is not wiped by the function-scoped resets.
* ``train_sessions_api_factory``: start more servers (other tokens and accounts, a fixture
  file, no auth, strict mode, another stack generation); all stop at the end of the session.

Every server the fixtures start emulates the stack generation named by ``--mockserver-stack``
(or the ini option ``mockserver_stack``; default the measured Rails 6.1/Ransack 4.1 stack);
``train_sessions_api_factory(stack="rails4.2-ransack1.7")`` starts one of another generation.
Likewise ``--mockserver-api-revision`` / ``mockserver_api_revision`` /
``train_sessions_api_factory(api_revision="2015-02")`` choose the revision of the vendor's doc.

The server runs in a background thread with its own event loop, in the test's process, rather
than in a subprocess driven through the control API: start-up takes milliseconds instead of an
interpreter start, shaping data or reading the journal is a direct call (validation errors are
raised in the test with their traceback, not decoded from a 422), and a bug in the mock is
re-raised in the test that triggered it, as pytest-httpserver does. Being on its own loop and
thread, it serves sync clients (``requests``, ``urllib``) and async ones (aiohttp, httpx) alike.
Every change to the server's state is made on the server's loop (``_ServerThread.call``), so the
test thread never races a request.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import os
import secrets
import socket
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

if TYPE_CHECKING:
    from aiohttp import web

    from mockserver.errors import FixtureProblem
    from mockserver.server.journal import JournalEntry
    from mockserver.server.state import ServerState
    from mockserver.stacks import Stack

__all__ = [
    "InvalidRecordError",
    "MockServerBugError",
    "TrainSessionsAPI",
    "start_train_sessions_api",
]

T = TypeVar("T")
_TIMEOUT = 30.0


class InvalidRecordError(ValueError):
    """A record given to ``add``/``replace`` breaks the fixture format; ``problems`` says how."""

    def __init__(self, call: str, problems: list[FixtureProblem]) -> None:
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{call}: invalid record{'s' if len(problems) > 1 else ''}:\n{shown}")


class MockServerBugError(AssertionError):
    """The mock itself failed while serving a request of this test (a mockserver bug)."""


class _ServerThread:
    """An aiohttp app serving on 127.0.0.1:<free port> from a thread with its own loop."""

    def __init__(self, app: web.Application, state: ServerState) -> None:
        self.state = state
        self._app = app
        # Bound here, before the thread starts: the port is known and free of races at once.
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(128)
        self._sock.setblocking(False)
        self.port: int = self._sock.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        self._started: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._run, name=f"train-sessions-api:{self.port}", daemon=True)
        self._thread.start()
        self._started.result(_TIMEOUT)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._start())
        except BaseException as exc:  # reported to the starting thread
            self._started.set_exception(exc)
            self._loop.close()
            return
        self._started.set_result(None)
        self._loop.run_forever()
        # Requests still in flight (a test's delay outliving the test) are cancelled, not left
        # pending on a closed loop, where their garbage collection would log noise later on.
        pending = asyncio.all_tasks(self._loop)
        for task in pending:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        self._loop.close()

    async def _start(self) -> None:
        from aiohttp import web

        from mockserver.server.serving import app_runner

        self._runner = app_runner(self._app, shutdown_timeout=1.0)
        await self._runner.setup()
        from mockserver.server.rawtarget import install_raw_targets

        install_raw_targets(self._runner)  # curl's raw UTF-8 queries, as Puma takes them
        await web.SockSite(self._runner, self._sock).start()

    def call(self, function: Callable[[], T]) -> T:
        """Run ``function`` on the server's loop and return its result (or raise its error)."""
        result: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                result.set_result(function())
            except BaseException as exc:
                result.set_exception(exc)

        self._loop.call_soon_threadsafe(run)
        return result.result(_TIMEOUT)

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(_TIMEOUT)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(_TIMEOUT)
        self._sock.close()


class TrainSessionsAPI:
    """A running mock of the train-sessions API, and the handle a test shapes it with."""

    def __init__(self, server: _ServerThread, token: str | None) -> None:
        self._server = server
        self._added = itertools.count()
        self.url = f"http://127.0.0.1:{server.port}"
        """Base URL, without a trailing slash: ``url + "/api/train_sessions"``."""
        self.token = token
        """The API token the mock accepts (None when started with ``auth=False``)."""

    def __repr__(self) -> str:
        return f"<TrainSessionsAPI {self.url}>"

    @property
    def headers(self) -> dict[str, str]:
        """The header a client must send: ``{"Authorization": 'Token token="..."'}``."""
        from mockserver.engine.auth import token_header  # lazy, as every import of the plugin

        return {} if self.token is None else {"Authorization": token_header(self.token)}

    def url_for(self, path: str = "/api/train_sessions") -> str:
        return self.url + path

    # --- the data -------------------------------------------------------------------------------

    @property
    def records(self) -> list[dict[str, Any]]:
        """Every served record, hidden attributes included, newest id first."""
        return self._server.call(lambda: list(self._server.state.store.records))

    def add(self, **fields: Any) -> dict[str, Any]:
        """Serve one more record and return it; fields not given are filled realistically.

        ``id`` defaults to one more than the highest served id. Raises InvalidRecordError,
        naming each field, when the record breaks the fixture format or its id is served.
        """
        template = _template(next(self._added))
        record = {**template, **fields}
        if "id" not in fields:
            record["id"] = max((r["id"] for r in self.records), default=0) + 1
        call = "train_sessions_api.add(" + ", ".join(f"{k}={v!r}" for k, v in fields.items()) + ")"
        [valid] = self._validate([record], call, self.records)
        state = self._server.state

        def apply() -> None:
            if any(r["id"] == valid["id"] for r in state.store.records):
                from mockserver.errors import FixtureProblem

                raise InvalidRecordError(
                    call,
                    [
                        FixtureProblem(
                            None,
                            valid["id"],
                            "id",
                            "duplicate id: already served (use replace() or leave id out)",
                        )
                    ],
                )
            state.add_records([valid])

        self._server.call(apply)
        return dict(valid)

    def replace(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Serve exactly ``records`` (complete fixture records; validated)."""
        valid = self._validate([dict(r) for r in records], "train_sessions_api.replace()")
        self._server.call(lambda: self._server.state.replace_records(valid))

    def clear(self) -> None:
        """Serve no records at all (then ``add`` exactly the ones a test needs)."""
        self._server.call(lambda: self._server.state.replace_records([]))

    def load(self, path: str | os.PathLike[str]) -> None:
        """Serve the fixture file at ``path``; raises FixtureError naming file, record, field."""
        from mockserver.dataset import load_records

        records = load_records(path)
        self._server.call(lambda: self._server.state.replace_records(records))

    # --- the course player's test aid (the mock's own; see docs/mock/unassign-and-player.md) ----

    def player_url(self, login_id: int, course_code: str) -> str:
        """The course player's URL for ``login_id`` and ``course_code``, with this mock's token."""
        from urllib.parse import quote, urlencode

        query = "" if self.token is None else "?" + urlencode({"token": self.token})
        return f"{self.url}/api/train_sessions/{login_id}/{quote(course_code, safe='')}{query}"

    def progress(self, session_id: int, percent: int, hours: float = 0.1) -> dict[str, Any]:
        """Advance session ``session_id`` to ``percent`` (1-99) In Progress; returns the record."""
        return self._advance(session_id, "progress", {"percent": percent, "hours": hours})

    def fail_quiz(self, session_id: int, score: int, hours: float = 0.1) -> dict[str, Any]:
        """Fail the final quiz with ``score`` (below the pass mark): Failed, one more failed attempt."""
        return self._advance(session_id, "fail_quiz", {"score": score, "hours": hours})

    def complete(self, session_id: int, score: int, hours: float = 0.1) -> dict[str, Any]:
        """Complete with ``score`` (at or above the pass mark): Completed today, certificate issued."""
        return self._advance(session_id, "complete", {"score": score, "hours": hours})

    def _advance(self, session_id: int, action: str, values: dict[str, Any]) -> dict[str, Any]:
        import datetime

        from mockserver.server.player import session_action

        state = self._server.state
        return self._server.call(
            lambda: session_action(state, str(session_id), action, values, datetime.date.today())
        )

    def reset(self) -> None:
        """Back to the data the server started with; empties the journal, removes faults."""
        self._added = itertools.count()
        self._server.call(self._server.state.reset)

    @staticmethod
    def _validate(
        records: list[dict[str, Any]], call: str, served: Sequence[dict[str, Any]] = ()
    ) -> list[dict[str, Any]]:
        from mockserver.dataset import validate_records
        from mockserver.errors import FixtureError

        try:
            return validate_records(records, call, served)
        except FixtureError as exc:
            problems = exc.problems
            if len(records) == 1:  # "record 0" would only be noise for a single record
                problems = [replace(p, index=None) for p in problems]
            raise InvalidRecordError(call, problems) from None

    # --- what the client sent -------------------------------------------------------------------

    @property
    def requests(self) -> list[JournalEntry]:
        """The API requests received since the last reset, oldest first (tokens redacted)."""
        return self._server.call(self._server.state.journal.entries)

    # --- faults ---------------------------------------------------------------------------------

    def fail_next(
        self,
        status: int | None = None,
        times: int | None = 1,
        path: str | None = None,
        *,
        retry_after: int | None = None,
        kind: str | None = None,
    ) -> None:
        """Answer ``status`` (default 500, with the live API's body for it) to the next
        ``times`` requests, or misbehave as ``kind``.

        ``path`` is a glob on the request path (``/api/train_sessions/*``); ``times=None``
        keeps failing until ``reset``. ``retry_after`` (seconds) is sent as ``Retry-After``
        with a 429 or 503. ``kind`` (instead of a status): ``"reset"`` (TCP reset, no answer),
        ``"empty"`` (closed, no bytes), ``"malformed"`` (a 200 whose body is not JSON) or
        ``"truncated"`` (the real answer cut before its Content-Length).
        """
        if status is None and kind is None:
            status = 500
        self._add_fault(status=status, times=times, path=path, retry_after=retry_after, kind=kind)

    def delay(self, ms: int, times: int | None = None, path: str | None = None) -> None:
        """Hold every answer back ``ms`` milliseconds (or only the next ``times``), to test
        client timeouts. A delay and a ``fail_next`` both apply to the same request."""
        self._add_fault(delay_ms=ms, times=times, path=path)

    def _add_fault(self, **kwargs: Any) -> None:
        from mockserver.server.faults import FaultRule

        rule = FaultRule(**kwargs)  # ValueError with the reason when invalid
        self._server.call(lambda: self._server.state.faults.add(rule))

    # --- teardown -------------------------------------------------------------------------------

    def check(self) -> None:
        """Raise MockServerBugError if the mock failed unexpectedly since the last reset."""
        bugs = self._server.call(lambda: list(self._server.state.bugs))
        if bugs:
            raise MockServerBugError(
                f"the mock failed {len(bugs)} time(s) while serving this test's requests (a bug "
                "in mockserver, not in your client); the first failure is chained below"
            ) from bugs[0]

    def stop(self) -> None:
        self._server.stop()


def _template(n: int) -> dict[str, Any]:
    """The ``n``-th realistic record, as ``POST /__mockserver/records`` fills one (one source)."""
    from mockserver.templates import template

    return template(n)


def start_train_sessions_api(
    *,
    fixtures: str | os.PathLike[str] | None = None,
    records: Iterable[Mapping[str, Any]] | None = None,
    tokens: Mapping[str, str | None] | None = None,
    auth: bool = True,
    strict: bool = False,
    journal_size: int = 10_000,
    stack: str | Stack | None = None,
    api_revision: str | None = None,
    _call: str = "start_train_sessions_api",
) -> TrainSessionsAPI:
    """Start a mock on a free loopback port; stop it with ``.stop()``.

    Data: ``records`` (fields left out are filled as ``.add()`` fills them; ``[]`` serves an
    empty account, as the live API answers ``[]`` for one), else the ``fixtures`` file, else
    the packaged dataset that ``mockserver serve`` uses. ``tokens`` maps token -> account
    (default: one random token for the default account); ``.token`` is the first one.
    ``stack`` is a generation's name (``mockserver serve --stack list``) or a ``Stack``;
    default the measured one. ``api_revision`` is the revision of the vendor's doc served
    (``mockserver serve --api-revision list``; default ``2015-08``, with XML answers;
    ``2015-02`` answers JSON whatever the format).
    """
    from mockserver.dataset import load_records
    from mockserver.resources import default_fixtures_path
    from mockserver.revisions import DEFAULT_REVISION, revision_named
    from mockserver.server.app import create_app
    from mockserver.server.state import ServerState
    from mockserver.server.store import Store
    from mockserver.settings import Settings
    from mockserver.stacks import DEFAULT_STACK, Stack

    served = stack if isinstance(stack, Stack) else _stack(stack, _call) if stack else DEFAULT_STACK
    revision = revision_named(api_revision) if api_revision else DEFAULT_REVISION
    if records is not None:
        from mockserver.templates import complete_all

        # fields left out are filled as .add() and POST /__mockserver/records fill them
        partials = [dict(r) if isinstance(r, Mapping) else r for r in records]
        data = TrainSessionsAPI._validate(complete_all(partials, ()), f"{_call}(records=...)")  # type: ignore[arg-type]
    else:
        data = load_records(fixtures if fixtures is not None else default_fixtures_path())
    tokens = dict(tokens) if tokens else {f"mock-{secrets.token_hex(8)}": None}
    settings = Settings(
        host="127.0.0.1",
        port=0,
        tokens=tokens,
        auth=auth,
        strict=strict,
        access_log=False,
        stack=served,
        api_revision=revision.name,
    )
    store = Store(data)
    state = ServerState(store, journal_size=journal_size)
    server = _ServerThread(create_app(settings, store, state=state), state)
    return TrainSessionsAPI(server, next(iter(tokens)) if auth else None)


def _stack(name: str, call: str) -> Stack:
    """The generation ``name``; a ValueError naming the caller and the valid names otherwise."""
    from mockserver.stacks import stack_named

    try:
        return stack_named(name)
    except KeyError as exc:
        raise ValueError(f"{call}(stack={name!r}): {exc.args[0]}") from None


# --- options and fixtures -------------------------------------------------------------------------

_STACK_OPTION = "--mockserver-stack"
_STACK_INI = "mockserver_stack"
_REVISION_OPTION = "--mockserver-api-revision"
_REVISION_INI = "mockserver_api_revision"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockserver", "train-sessions API mock")
    help_text = "the Rails/Ransack generation the mock fixtures emulate (mockserver serve --stack list)"
    group.addoption(
        _STACK_OPTION, default=None, metavar="NAME", help=f"{help_text}; overrides the ini option"
    )
    parser.addini(_STACK_INI, help_text, default="")
    help_text = "the API doc revision the mock fixtures serve (mockserver serve --api-revision list)"
    group.addoption(
        _REVISION_OPTION, default=None, metavar="YYYY-MM", help=f"{help_text}; overrides the ini option"
    )
    parser.addini(_REVISION_INI, help_text, default="")


def _configured_stack(config: pytest.Config) -> str | None:
    """The generation named on the command line, else in the ini file (None: the default)."""
    name = config.getoption(_STACK_OPTION) or config.getini(_STACK_INI)
    return str(name) if name else None


def pytest_configure(config: pytest.Config) -> None:
    """A bad ``--mockserver-stack``/``mockserver_stack`` (or API revision) is one usage error at
    session start, not an error in every test that asks for a mock. Costs nothing when unset."""
    _configured_revision(config)
    name = _configured_stack(config)
    if name is None:
        return
    from mockserver.stacks import stack_named

    try:
        stack_named(name)
    except KeyError as exc:
        raise pytest.UsageError(f"{_STACK_OPTION}/{_STACK_INI}: {exc.args[0]}") from None


def _configured_revision(config: pytest.Config) -> str | None:
    """The API revision named on the command line, else in the ini file (None: the default)."""
    name = config.getoption(_REVISION_OPTION) or config.getini(_REVISION_INI)
    if not name:
        return None
    from mockserver.revisions import revision_named

    try:
        revision_named(name)
    except KeyError as exc:
        raise pytest.UsageError(f"{_REVISION_OPTION}/{_REVISION_INI}: {exc.args[0]}") from None
    return str(name)


@pytest.fixture(scope="session")
def train_sessions_api_factory(pytestconfig: pytest.Config) -> Iterator[Callable[..., TrainSessionsAPI]]:
    """Start mocks with ``start_train_sessions_api``'s options; all stop after the session."""
    started: list[TrainSessionsAPI] = []
    default_stack = _configured_stack(pytestconfig)
    default_revision = _configured_revision(pytestconfig)

    def start(**options: Any) -> TrainSessionsAPI:
        options.setdefault("stack", default_stack)
        options.setdefault("api_revision", default_revision)
        api = start_train_sessions_api(**options, _call="train_sessions_api_factory")
        started.append(api)
        return api

    yield start
    for api in started:
        api.stop()


@pytest.fixture(scope="session")
def train_sessions_api_session(
    train_sessions_api_factory: Callable[..., TrainSessionsAPI],
) -> TrainSessionsAPI:
    """The session's mock (packaged data, one token); never reset automatically."""
    return train_sessions_api_factory()


@pytest.fixture(scope="module")
def train_sessions_api_module(pytestconfig: pytest.Config) -> Iterator[TrainSessionsAPI]:
    """A mock of this module's own, stopped after the module; never reset automatically."""
    api = start_train_sessions_api(
        stack=_configured_stack(pytestconfig), api_revision=_configured_revision(pytestconfig)
    )
    yield api
    api.stop()


@pytest.fixture
def train_sessions_api(train_sessions_api_session: TrainSessionsAPI) -> Iterator[TrainSessionsAPI]:
    """The session's mock, reset before and after the test; re-raises the mock's own bugs."""
    api = train_sessions_api_session
    api.reset()
    yield api
    try:
        api.check()
    finally:
        api.reset()

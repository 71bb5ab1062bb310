"""``mockserver`` command line: ``main(argv) -> int``, one function per subcommand.

Exit codes: 0 ok, 1 a check failed, 2 usage or input error. User mistakes print one line
starting ``mockserver: error:`` and never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import gc
import importlib
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from mockserver import __version__, console
from mockserver import generate as generator
from mockserver.config import (
    SERVE_SETTINGS,
    check_shared_keys,
    environment_help,
    find_config,
    load_config,
    option_values,
    serve_file,
    serve_values,
)
from mockserver.dataset import load_records
from mockserver.engine.auth import token_header
from mockserver.errors import FixtureError, UsageError
from mockserver.network import is_loopback
from mockserver.resources import default_fixtures_path
from mockserver.revisions import DEFAULT_REVISION, REVISIONS
from mockserver.server import serving
from mockserver.server.app import create_app
from mockserver.server.limits import low_limit_notice, raise_open_file_limit
from mockserver.server.store import Store
from mockserver.server.watch import POLL_SECONDS
from mockserver.settings import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEV_TOKEN,
    LOG_FORMATS,
    Settings,
    build_settings,
    parse_token,
)
from mockserver.stacks import DEFAULT_STACK, stacks_listing

PROG = "mockserver"
PROGRESS_COUNT = 50_000  # generate says what it is doing from this many records (about 1s of work)
log = logging.getLogger("mockserver")


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as UsageError (exit 2, one line, no traceback).

    Abbreviated flags are refused (``--fixture`` is not ``--fixtures``): an abbreviation that
    works today breaks when a flag sharing its prefix is added, and the configuration file's
    keys are the full names. An unknown flag names the subcommand's help and the closest flag.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see '{self.prog} --help')")

    def parse_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> Any:  # type: ignore[override]
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            command = self.subcommand(getattr(parsed, "command", None))
            (command or self).unrecognized(extras)
        return parsed

    def subcommand(self, name: str | None) -> _Parser | None:
        """The parser of subcommand ``name`` (None when there is none)."""
        return self.commands().get(name or "")

    def commands(self) -> dict[str, _Parser]:
        """Every subcommand's parser, by name."""
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                return {n: p for n, p in action.choices.items() if isinstance(p, _Parser)}
        return {}

    def unrecognized(self, extras: list[str]) -> None:
        """Refuse ``extras``, suggesting the closest flag of this parser for the first one."""
        flags = [o for a in self._actions for o in a.option_strings if o.startswith("--")]
        first = extras[0].partition("=")[0]
        close = difflib.get_close_matches(first, flags, n=1, cutoff=0.6) if first.startswith("-") else []
        hint = f"; did you mean {close[0]}?" if close else ""
        self.error(f"unrecognized arguments: {' '.join(extras)}{hint}")


def _token(value: str) -> tuple[str, str | None]:
    try:
        return parse_token(value)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_serve(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser(
        "serve",
        help="serve the mock API",
        description="Serve a Ransack-faithful mock of GET /api/train_sessions.",
    )
    p.add_argument("--host", help=f"interface to bind (default {DEFAULT_HOST}; env MOCKSERVER_HOST)")
    p.add_argument(
        "--port", type=int, help=f"port (default {DEFAULT_PORT}; 0 picks a free one; env MOCKSERVER_PORT)"
    )
    p.add_argument(
        "--fixtures",
        type=Path,
        metavar="PATH",
        help="fixture file to serve (default: the packaged dataset; env MOCKSERVER_FIXTURES)",
    )
    p.add_argument(
        "--watch",
        action="store_true",
        default=None,
        help="serve the --fixtures file's new contents when it changes (checked every second; "
        "a change that does not load keeps the old data and logs why)",
    )
    p.add_argument("--seed", type=int, help="serve generated records with this seed")
    p.add_argument("--count", type=int, help="serve this many generated records")
    p.add_argument(
        "--token",
        dest="tokens",
        action="append",
        type=_token,
        metavar="TOKEN[=ACCOUNT]",
        help="accept TOKEN, seeing ACCOUNT's records (repeatable; env MOCKSERVER_TOKENS="
        f"TOKEN[=ACCOUNT],... keeps them out of ps; default: {DEV_TOKEN!r} for the default account)",
    )
    p.add_argument(
        "--no-auth",
        dest="auth",
        action="store_false",
        default=None,
        help="accept requests without a token (env MOCKSERVER_NO_AUTH=1)",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        default=None,
        help="answer 400 for parameters the live API silently ignores (env MOCKSERVER_STRICT=1)",
    )
    p.add_argument(
        "--paginate",
        type=int,
        default=None,
        metavar="N",
        help="paginate the index N rows a page as the api-pagination gem does (?page=N, Link, "
        "Per-Page, Total; an unmerged 2020 vendor doc; default: no pagination, as the seed doc)",
    )
    _add_serve_operation(p)
    _add_serve_guards(p)
    p.add_argument(
        "--public-dir",
        type=Path,
        metavar="DIR",
        help="serve DIR/<status>.html as the HTML error pages (default: a new Rails 6.1 app's "
        "public/404.html, 422.html and 500.html)",
    )
    p.add_argument(
        "--stack",
        metavar="NAME",
        help=f"the Rails/Ransack generation to emulate (default {DEFAULT_STACK.name}; "
        "env MOCKSERVER_STACK); 'list' prints them",
    )
    p.add_argument(
        "--api-revision",
        metavar="YYYY-MM",
        help=f"the revision of the vendor's doc to serve (default {DEFAULT_REVISION.name}: XML, unassign, "
        "the course player; 2015-02: JSON index and show only; env MOCKSERVER_API_REVISION); "
        "'list' prints them",
    )
    p.set_defaults(run=cmd_serve)


def _add_serve_operation(p: argparse.ArgumentParser) -> None:
    """serve's options for running it: the access log, workers, the answer memo."""
    p.add_argument(
        "--quiet",
        dest="access_log",
        action="store_false",
        default=None,
        help="no access log line per request",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="serve from N processes sharing the port (SO_REUSEPORT; default 1)",
    )
    p.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        help="access log lines: text (default) or one JSON object per request (env MOCKSERVER_LOG_FORMAT)",
    )
    p.add_argument(
        "--memo-mb",
        type=int,
        metavar="N",
        help="the answer cache (answers by request, rows by search) holds up to N MiB in all "
        "(default 64; 0: off; env MOCKSERVER_MEMO_MB)",
    )


def _add_serve_guards(p: argparse.ArgumentParser) -> None:
    """serve's options that widen or tune what it refuses (docs/security.md)."""
    p.add_argument(
        "--admin-token",
        metavar="TOKEN",
        help="require TOKEN in X-Mockserver-Admin-Token for the control API "
        "(/__mockserver/); needed to use it with a non-loopback --host "
        "(env MOCKSERVER_ADMIN_TOKEN)",
    )
    p.add_argument(
        "--allow-host",
        dest="allow_hosts",
        action="append",
        metavar="NAME",
        help="on loopback, also answer requests whose Host is NAME (repeatable; '*': any); "
        "others are refused against DNS rebinding",
    )
    p.add_argument(
        "--allow-origin",
        dest="allow_origins",
        action="append",
        metavar="ORIGIN",
        help="let web pages from ORIGIN (e.g. http://app.test:8080) use the control API (repeatable)",
    )
    p.add_argument(
        "--cors",
        action="append",
        metavar="ORIGIN",
        help="answer CORS for ORIGIN on the API routes, never the control API (repeatable; "
        "'*': any origin; default off, as the live API)",
    )
    p.add_argument(
        "--idle-timeout",
        type=float,
        metavar="SECONDS",
        help="close keep-alive connections idle this long (default 15)",
    )
    p.add_argument(
        "--header-timeout",
        type=float,
        metavar="SECONDS",
        help="close connections whose request headers take longer than this, and answer 408 to "
        "a control write whose body does (default 10)",
    )


def _add_generate(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser(
        "generate",
        help="write Faker-generated fixtures",
        description="Write a fixture file; the same seed and count give the same bytes.",
    )
    p.add_argument("--seed", type=int, default=2015, help="random seed (default 2015)")
    p.add_argument("--count", type=int, default=400, help="number of records (default 400)")
    p.add_argument(
        "--account",
        dest="accounts",
        action="append",
        metavar="NAME",
        help="spread people over these accounts (repeatable; default: the default account only)",
    )
    p.add_argument("--out", type=Path, required=True, metavar="PATH", help="file to write ('-' for stdout)")
    p.set_defaults(run=cmd_generate)


# Other subcommands live in their own modules, each exposing ``register(subparsers)`` which adds
# a parser whose ``run`` default is ``(args, out, err) -> int``. Add one line per module here.
COMMAND_MODULES: tuple[str, ...] = (
    "mockserver.config",
    "mockserver.completion",
    "mockserver.openapi",
    "mockserver.tools.validate",
    "mockserver.tools.probe",
    "mockserver.tools.contract",
    "mockserver.tools.record",
    "mockserver.tools.proxy",
    "mockserver.tools.diff",
)


def build_parser() -> _Parser:
    parser = _Parser(
        prog=PROG, description="Mock, schemas and contract tests for LearningLogin's train-sessions API."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help="the configuration file (default: mockserver.toml, or [tool.mockserver] in "
        "pyproject.toml, found from the current directory up to the project's root)",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")
    _add_serve(sub)
    _add_generate(sub)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    for name, command in parser.commands().items():
        command.epilog = environment_help(name)
    return parser


def _prescan(argv: Sequence[str]) -> tuple[Path | None, str | None]:
    """``--config PATH`` and the command name, read before parsing: the file's values become
    the command's defaults, so they must be known first."""
    config: Path | None = None
    items = iter(argv)
    for item in items:
        if item == "--config":
            value = next(items, None)
            config = Path(value) if value else None
        elif item.startswith("--config="):
            config = Path(item.partition("=")[2])
        elif not item.startswith("-"):
            return config, item
    return config, None


def parse_arguments(argv: Sequence[str], cwd: Path | None = None) -> argparse.Namespace:
    """Flags over the configuration file's values (serve adds the environment between them:
    ``settings.resolve``). ``args.file_values`` holds the file's values: dest -> (value, where)."""
    parser = build_parser()
    path, name = _prescan(argv)
    commands = parser.commands()
    names = set(commands)
    config = None
    if not {"-h", "--help", "--version"} & set(argv):  # help stays readable with a broken file
        config = load_config(path, names) if path is not None else find_config(cwd or Path.cwd(), names)
        if path is not None and config is None:
            raise UsageError(f"--config {path}: no [tool.mockserver] table in it")
    values: dict[str, tuple[Any, str]] = {}
    if config is not None:
        every = {n: option_values(config, n, c) for n, c in commands.items()}
        check_shared_keys(config, commands)
        values = every.get(name or "", {})
        command = commands.get(name or "")
        # serve: build_settings puts the environment between the file and the flags
        if command is not None and name != "serve":
            for action in command._actions:
                if action.dest in values:
                    action.required = False  # the file gives it
            command.set_defaults(**{dest: value for dest, (value, _) in values.items()})
    args: argparse.Namespace = parser.parse_args(argv)
    args.config_file = config
    args.file_values = values
    args.commands = commands
    args.parser = parser
    return args


# ---------------------------------------------------------------------------------------------


def load_store(settings: Settings) -> Store:
    """The dataset ``settings`` asks for: a file, generated records, or the packaged default.

    Generated records come from the dataset cache when they were generated before (see
    ``mockserver.cache``; the directory is ``mockserver.settings.cache_dir()``).
    """
    if settings.count is not None:
        # imported here so that this function stays the one place cli.py knows about the cache
        from mockserver.cache import generated_records
        from mockserver.settings import cache_dir

        return Store(generated_records(settings.seed or 0, settings.count, cache_dir()))
    return Store(load_records(settings.fixtures or default_fixtures_path()))


def _banner(settings: Settings, port: int, store: Store, out: TextIO) -> None:
    host = settings.host if ":" not in settings.host else f"[{settings.host}]"
    base = f"http://{host}:{port}/api/train_sessions"
    source = (
        f"generated (seed {settings.seed}, count {settings.count})"
        if settings.count is not None
        else str(settings.fixtures or default_fixtures_path())
    )
    print(f"mockserver: serving {len(store)} train sessions from {source}", file=out)
    if not len(store):
        print(
            "mockserver: the dataset is empty: every index answers [] "
            "(as the live API does for an empty account)",
            file=out,
        )
    print(f"mockserver: listening on {base}  (Ctrl-C to stop)", file=out)
    if settings.watch:
        print(f"mockserver: watching {settings.fixtures} for changes (every {POLL_SECONDS:g}s)", file=out)
    if settings.api_revision != DEFAULT_REVISION.name:
        print(f"mockserver: serving the {settings.api_revision} revision of the API doc", file=out)
    if settings.stack != DEFAULT_STACK:
        stack = settings.stack
        print(f"mockserver: emulating {stack.name} (Rails {stack.rails}, Ransack {stack.ransack})", file=out)
    print(_curl_line(settings, port), file=out)
    if not is_loopback(settings.host):
        print(f"mockserver: warning: bound to {settings.host}, reachable from other machines", file=out)
    if notice := low_limit_notice():
        print(notice, file=out)
    out.flush()


def _curl_line(settings: Settings, port: int) -> str:
    """A curl command that works as pasted: a wildcard bind is asked on loopback (inside a
    container too), and a configured token, a secret never printed, is read from where it was
    given: ``$MOCKSERVER_TOKENS``'s first token, else ``$MOCKSERVER_API_TOKEN`` (set it)."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(settings.host, settings.host)
    url = f"'http://{f'[{host}]' if ':' in host else host}:{port}/api/train_sessions?full_name_cont=a'"
    if not settings.auth:
        return f"  curl -s {url}"
    if settings.uses_dev_token:
        return f"  curl -s -H 'Authorization: {token_header(DEV_TOKEN)}' {url}"
    if settings.sources.get("tokens") == "env MOCKSERVER_TOKENS":
        variable = "${MOCKSERVER_TOKENS%%[,=]*}"  # the first token of TOKEN[=ACCOUNT],...
        return f'  curl -s -H "Authorization: Token token=\\"{variable}\\"" {url}'
    return (
        "  (tokens are never printed: export MOCKSERVER_API_TOKEN=one of your --token values)\n"
        f'  curl -s -H "Authorization: Token token=\\"$MOCKSERVER_API_TOKEN\\"" {url}'
    )


def _listen(settings: Settings) -> list[socket.socket]:
    return serving.listen_all(settings.host, settings.port, reuse_port=settings.workers > 1)


async def _serve(settings: Settings, store: Store, socks: list[socket.socket], out: TextIO | None) -> None:
    """Serve on ``socks`` until SIGINT/SIGTERM, then finish in-flight requests and stop."""

    def ready(port: int) -> None:
        if out is not None:
            _banner(settings, port, store, out)

    try:
        await serving.serve(
            create_app(settings, store),
            socks,
            ready,
            idle_timeout=settings.idle_timeout,
            header_timeout=settings.header_timeout,
        )
    finally:
        if out is not None:
            print("mockserver: shutting down", file=out, flush=True)


def _run_workers(settings: Settings, store: Store, out: TextIO) -> None:
    """One process per worker on the same port (SO_REUSEPORT); data loaded once, then forked."""
    children: list[int] = []
    parent = os.getpid()
    for _ in range(settings.workers - 1):
        pid = os.fork()
        if pid == 0:  # child: its own socket on the shared port
            serving.die_with_parent(parent)
            try:
                serving.run(_serve(settings, store, _listen(settings), None))
            finally:
                os._exit(0)
        children.append(pid)
    try:
        serving.run(_serve(settings, store, _listen(settings), out))
    finally:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        for pid in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def _refuse_unsupported(settings: Settings) -> None:
    """Refuse, in one line, what cannot be served safely or at all on this platform."""
    if not is_loopback(settings.host) and settings.uses_dev_token:
        raise UsageError(
            f"--host {settings.host} is reachable from other machines and the only token is the "
            f"public {DEV_TOKEN!r}: set MOCKSERVER_TOKENS=TOKEN (or --token TOKEN), or --no-auth"
        )
    if settings.workers > 1 and not (hasattr(os, "fork") and hasattr(socket, "SO_REUSEPORT")):
        raise UsageError(
            f"--workers {settings.workers} needs os.fork and SO_REUSEPORT (Linux, macOS); "
            "on this platform serve runs one worker: leave --workers out"
        )


def _print_revisions(out: TextIO) -> None:
    """``serve --api-revision list``: one line per revision of the vendor's doc, the default first."""
    for r in REVISIONS:
        served = ", ".join(sorted(r.features)) or "json only"
        print(f"{r.name}  {served}  (doc {r.commits}; {r.note})", file=out)


def cmd_serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.stack is not None and args.stack.strip() == "list":
        print(stacks_listing(), file=out)
        return 0
    if args.api_revision is not None and args.api_revision.strip() == "list":
        _print_revisions(out)
        return 0
    flags = {dest: getattr(args, dest) for dest in SERVE_SETTINGS}
    file = {
        dest: (value, where) for dest, (value, where) in args.file_values.items() if dest in SERVE_SETTINGS
    }
    settings = build_settings(serve_values(flags), file=serve_file(file))
    _refuse_unsupported(settings)
    raise_open_file_limit()  # before anything opens descriptors; the banner says when it is low
    socks = _listen(settings)
    started = time.perf_counter()
    try:
        store = load_store(settings)
    except BaseException:
        for each in socks:
            each.close()
        raise
    log.info("loaded %d records in %.2fs", len(store), time.perf_counter() - started)
    gc.freeze()  # the dataset lives as long as the process: keep it out of GC passes
    if settings.workers > 1:
        if settings.port == 0:
            raise UsageError("--workers needs a fixed --port (the workers share it)")
        for each in socks:
            each.close()
        _run_workers(settings, store, out)
    else:
        serving.run(_serve(settings, store, socks, out))
    return 0


def cmd_generate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.count < 0:
        raise UsageError(f"--count {args.count}: expected a non-negative number")
    accounts = tuple(args.accounts) if args.accounts else (None,)
    started = time.perf_counter()
    loud = args.count >= PROGRESS_COUNT  # long work says what it is doing (stderr: stdout may be the file)
    if loud:
        print(f"mockserver: generating {args.count} records (seed {args.seed})...", file=err, flush=True)
    records = generator.generate_records(args.seed, args.count, accounts=accounts)
    if loud:
        took = time.perf_counter() - started
        print(f"mockserver: generated in {took:.1f}s; writing {args.out}...", file=err, flush=True)
    if str(args.out) == "-":
        out.buffer.write(generator.dumps_fixture(records)) if hasattr(out, "buffer") else out.write(
            generator.dumps_fixture(records).decode()
        )
        return 0
    try:
        generator.write_fixture(args.out, records)
    except OSError as exc:
        raise UsageError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    elapsed = f" in {time.perf_counter() - started:.1f}s" if loud else ""
    print(f"mockserver: wrote {len(records)} records to {args.out}{elapsed}", file=err)
    return 0


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the CLI; returns the exit code instead of raising for user mistakes."""
    out = out or console.guard(sys.stdout)  # `mockserver probe URL | head -1` exits quietly
    err = err or sys.stderr
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=err, force=True)
    try:
        args = parse_arguments(sys.argv[1:] if argv is None else argv)
        run: Callable[[argparse.Namespace, TextIO, TextIO], int] = args.run
        code = run(args, out, err)
        out.flush()
        return code
    except (UsageError, FixtureError) as exc:
        print(f"{PROG}: error: {exc}", file=err)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

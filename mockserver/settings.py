"""The server's settings: defaults, then the configuration file (``mockserver.config``), then
``MOCKSERVER_*`` environment, then flags.

This is the only module that reads the environment. The result is frozen and passed
explicitly to whatever needs it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mockserver.errors import UsageError
from mockserver.revisions import DEFAULT_REVISION, REVISIONS, Revision, revision_named
from mockserver.stacks import DEFAULT_STACK, STACKS, Stack, stack_named

DEV_TOKEN = "dev-token"
"""The documented development token, used when auth is on and no ``--token`` is given."""

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 3000
MEMO_MB = 64
LOG_FORMATS = ("text", "json")
"""Default bound of the answer cache (``server/memo.py``), in MiB; 0 turns it off."""


@dataclass(frozen=True)
class Settings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    fixtures: Path | None = None  # None: the packaged default fixtures (or generated data)
    seed: int | None = None  # with count: serve generated records instead of a file
    count: int | None = None
    tokens: Mapping[str, str | None] = field(default_factory=dict)  # token -> account
    auth: bool = True
    strict: bool = False  # answer 400 for what the live API silently ignores
    access_log: bool = True
    workers: int = 1
    admin_token: str | None = None  # required by the control API when set (X-Mockserver-Admin-Token)
    allow_hosts: tuple[str, ...] = ()  # Host names accepted besides loopback ones (server/guard.py)
    allow_origins: tuple[str, ...] = ()  # Origins accepted by the control API besides loopback ones
    idle_timeout: float = 15.0  # seconds an idle keep-alive connection is kept (aiohttp: 3,630)
    header_timeout: float = 10.0  # seconds a client may take to send a request's headers (and a control body)
    cors: tuple[str, ...] = ()  # origins answered with CORS headers on API routes ('*': any)
    public_dir: Path | None = None  # public/<status>.html for HTML error pages; None: Rails 6.1's own
    paginate: int | None = None  # rows per index page (api-pagination's headers); None: no pagination
    stack: Stack = DEFAULT_STACK  # the Rails/Ransack generation served (mockserver/stacks.py)
    memo_mb: int = MEMO_MB  # bound of the answer memo in MiB (0: off)
    log_format: str = "text"  # access log lines: text, or one JSON object per request
    api_revision: str = DEFAULT_REVISION.name  # the vendor doc revision served (mockserver/revisions.py)
    watch: bool = False  # serve the fixture file's new contents when it changes (server/watch.py)
    # where each value that is not a default came from ("flag", "env NAME", a file): for
    # `mockserver config` and messages; never part of equality
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    def effective_tokens(self) -> Mapping[str, str | None]:
        """The configured tokens, or the development token for the default account."""
        return self.tokens or {DEV_TOKEN: None}

    @property
    def revision(self) -> Revision:
        """The served ``Revision`` (``api_revision`` is validated by ``build_settings``)."""
        return revision_named(self.api_revision)

    @property
    def uses_dev_token(self) -> bool:
        """Auth accepts only the documented development token (safe to print)."""
        return self.auth and dict(self.effective_tokens()) == {DEV_TOKEN: None}


def parse_token(spec: str) -> tuple[str, str | None]:
    """``TOKEN`` or ``TOKEN=ACCOUNT``; the token itself may not be empty."""
    token, sep, account = spec.partition("=")
    token = token.strip()
    if not token:
        raise UsageError(f"--token {spec!r}: the token is empty (expected TOKEN or TOKEN=ACCOUNT)")
    if sep and not account.strip():
        raise UsageError(f"--token {spec!r}: the account after '=' is empty")
    return token, (account.strip() if sep else None)


def parse_stack(name: str, source: str = "--stack") -> Stack:
    """The generation called ``name``; a UsageError listing the valid names otherwise."""
    try:
        return stack_named(name.strip())
    except KeyError:
        names = ", ".join(s.name for s in STACKS)
        sep = "" if source.endswith("=") else " "
        raise UsageError(f"{source}{sep}{name!r}: unknown stack generation; one of: {names}") from None


def parse_api_revision(name: str, source: str = "--api-revision") -> str:
    """The name of the revision called ``name``; a UsageError listing the valid names otherwise."""
    try:
        return revision_named(name.strip()).name
    except KeyError:
        names = ", ".join(r.name for r in REVISIONS)
        sep = "" if source.endswith("=") else " "
        raise UsageError(f"{source}{sep}{name!r}: unknown API revision; one of: {names}") from None


def _env_bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise UsageError(f"{name}={raw!r}: expected 1/0, true/false, yes/no or on/off")


def _env_int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise UsageError(f"{name}={raw!r}: expected an integer") from None


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Overrides taken from ``MOCKSERVER_*`` variables."""
    env = os.environ if environ is None else environ
    out: dict[str, Any] = {}
    if "MOCKSERVER_HOST" in env:
        out["host"] = env["MOCKSERVER_HOST"]
    if "MOCKSERVER_PORT" in env:
        out["port"] = _env_int("MOCKSERVER_PORT", env["MOCKSERVER_PORT"])
    if env.get("MOCKSERVER_FIXTURES"):
        out["fixtures"] = Path(env["MOCKSERVER_FIXTURES"])
    if env.get("MOCKSERVER_TOKENS"):
        out["tokens"] = dict(parse_token(t) for t in env["MOCKSERVER_TOKENS"].split(",") if t)
    if "MOCKSERVER_STRICT" in env:
        out["strict"] = _env_bool("MOCKSERVER_STRICT", env["MOCKSERVER_STRICT"])
    if env.get("MOCKSERVER_ADMIN_TOKEN"):  # safer than a flag: not visible in ps
        out["admin_token"] = env["MOCKSERVER_ADMIN_TOKEN"]
    if env.get("MOCKSERVER_STACK"):
        out["stack"] = parse_stack(env["MOCKSERVER_STACK"], "MOCKSERVER_STACK=")
    if env.get("MOCKSERVER_API_REVISION"):
        out["api_revision"] = parse_api_revision(env["MOCKSERVER_API_REVISION"], "MOCKSERVER_API_REVISION=")
    if "MOCKSERVER_MEMO_MB" in env:
        out["memo_mb"] = _env_int("MOCKSERVER_MEMO_MB", env["MOCKSERVER_MEMO_MB"])
    if env.get("MOCKSERVER_LOG_FORMAT"):
        out["log_format"] = env["MOCKSERVER_LOG_FORMAT"]
    if "MOCKSERVER_NO_AUTH" in env:
        out["auth"] = not _env_bool("MOCKSERVER_NO_AUTH", env["MOCKSERVER_NO_AUTH"])
    return out


def api_token_from_environment(environ: Mapping[str, str] | None = None) -> str | None:
    """``$MOCKSERVER_API_TOKEN`` for record, proxy and diff: safer than a flag, which ``ps`` shows."""
    env = os.environ if environ is None else environ
    return env.get(API_TOKEN_VARIABLE) or None


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where generated datasets are cached: ``$MOCKSERVER_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/mockserver``, else ``~/.cache/mockserver``."""
    env = os.environ if environ is None else environ
    if env.get("MOCKSERVER_CACHE_DIR"):
        return Path(env["MOCKSERVER_CACHE_DIR"])
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]) / "mockserver"
    return Path(env.get("HOME") or Path.home()) / ".cache" / "mockserver"


DATA_SOURCE = ("fixtures", "seed", "count")
"""One choice, made as a whole: a layer that names any of these replaces a lower layer's."""

ENVIRONMENT_VARIABLES = {
    "host": "MOCKSERVER_HOST",
    "port": "MOCKSERVER_PORT",
    "fixtures": "MOCKSERVER_FIXTURES",
    "tokens": "MOCKSERVER_TOKENS",
    "strict": "MOCKSERVER_STRICT",
    "admin_token": "MOCKSERVER_ADMIN_TOKEN",
    "stack": "MOCKSERVER_STACK",
    "memo_mb": "MOCKSERVER_MEMO_MB",
    "log_format": "MOCKSERVER_LOG_FORMAT",
    "auth": "MOCKSERVER_NO_AUTH",
    "api_revision": "MOCKSERVER_API_REVISION",
}
"""The variable behind each setting ``from_environment`` reads (for messages and ``config``)."""

API_TOKEN_VARIABLE = "MOCKSERVER_API_TOKEN"
CACHE_VARIABLES = ("MOCKSERVER_CACHE_DIR", "XDG_CACHE_HOME", "HOME")
COMMAND_ENVIRONMENT: dict[str, tuple[str, ...]] = {
    "serve": (*ENVIRONMENT_VARIABLES.values(), *CACHE_VARIABLES),
    "record": (API_TOKEN_VARIABLE,),
    "proxy": (API_TOKEN_VARIABLE,),
    "diff": (API_TOKEN_VARIABLE,),
    "validate": (API_TOKEN_VARIABLE,),
    "probe": (API_TOKEN_VARIABLE,),
    "contract": (API_TOKEN_VARIABLE,),
    "config": (*ENVIRONMENT_VARIABLES.values(), API_TOKEN_VARIABLE),
}
"""The variables each command reads (every ``--help`` lists its own; a test checks the list)."""


def resolve(
    flags: Mapping[str, Any],
    environ: Mapping[str, str] | None = None,
    file: Mapping[str, tuple[Any, str]] | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """The chosen values and where each came from: flag > environment > file > default.

    ``file`` maps a setting to (value, where in the file). Values set to None are left out of
    every layer. The data source (``DATA_SOURCE``) is chosen as a whole, so ``--seed 3`` over a
    file's ``fixtures`` generates rather than clashes.
    """
    env = from_environment(environ)
    layers = [
        {k: (v, f"file {where}") for k, (v, where) in (file or {}).items()},
        {k: (v, f"env {ENVIRONMENT_VARIABLES[k]}") for k, v in env.items()},
        {k: (v, "flag") for k, v in flags.items()},
    ]
    chosen: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for layer in layers:
        values = {k: pair for k, pair in layer.items() if pair[0] is not None}
        if any(k in values for k in DATA_SOURCE):
            for k in DATA_SOURCE:
                chosen.pop(k, None)
                sources.pop(k, None)
        for key, (value, source) in values.items():
            chosen[key] = value
            sources[key] = source
    return chosen, sources


def build_settings(
    flags: Mapping[str, Any],
    environ: Mapping[str, str] | None = None,
    file: Mapping[str, tuple[Any, str]] | None = None,
) -> Settings:
    """Defaults, then the configuration file, then environment, then flags (None: not set).
    ``settings.sources`` says where each value that is not a default came from."""
    chosen, sources = resolve(flags, environ, file)
    if chosen.get("fixtures") is not None and (
        chosen.get("seed") is not None or chosen.get("count") is not None
    ):
        given = "--seed" if chosen.get("seed") is not None else "--count"
        raise UsageError(
            f"--fixtures {chosen['fixtures']} and {given} are exclusive: serve a file, or generate "
            f"records with --seed/--count (from: {sources['fixtures']}, {sources[given[2:]]})"
        )
    settings = replace(Settings(), **chosen, sources=sources)
    if not 0 <= settings.port <= 65535:
        raise UsageError(f"--port {settings.port}: expected 0..65535")
    if (settings.seed is None) != (settings.count is None) and settings.fixtures is None:
        settings = replace(settings, count=1000) if settings.count is None else replace(settings, seed=0)
    if settings.count is not None and settings.count < 0:
        raise UsageError(f"--count {settings.count}: expected a non-negative number")
    if settings.watch and settings.fixtures is None:
        raise UsageError("--watch needs --fixtures FILE: generated and packaged data never change")
    if settings.public_dir is not None and not settings.public_dir.is_dir():
        raise UsageError(f"--public-dir {settings.public_dir}: not a directory")
    settings = replace(settings, api_revision=parse_api_revision(settings.api_revision))
    if settings.memo_mb < 0:
        raise UsageError(f"--memo-mb {settings.memo_mb}: expected MiB >= 0 (0 turns the answer memo off)")
    if settings.log_format not in LOG_FORMATS:
        raise UsageError(f"--log-format {settings.log_format!r}: expected one of {', '.join(LOG_FORMATS)}")
    if settings.paginate is not None and settings.paginate < 1:
        raise UsageError(f"--paginate {settings.paginate}: expected at least 1 row per page")
    if settings.workers < 1:
        raise UsageError(f"--workers {settings.workers}: expected at least 1")
    for name in ("idle_timeout", "header_timeout"):
        if not getattr(settings, name) > 0:
            flag = "--" + name.replace("_", "-")
            raise UsageError(f"{flag} {getattr(settings, name):g}: expected a positive number of seconds")
    return settings
